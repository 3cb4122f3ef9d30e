//===- Generate.cpp - ternc generate / perplexity: text from a model ------===//
//
// The executable ternc-generate, which `ternc generate|perplexity` execs. It is
// separate from ternc because Debian's libsentencepiece carries its own copy of
// protobuf-lite, which crashes at load time next to the libprotobuf the ONNX
// importer links; this one links neither MLIR nor ONNX (it compiles through
// the ternc beside it).
//
//   ternc generate [MODEL] [--prompt TEXT] [-n N] [--temperature T] [--top-k K]
//                  [--top-p P] [--repetition-penalty R] [--seed S] [--tokenizer FILE]
//   ternc perplexity [MODEL] --file TEXT_FILE
//
// MODEL is one of
//  - a checkpoint directory in the released MMfreeLM format (config.json,
//    model.safetensors, tokenizer.model): exported by `python -m tern.export`
//    ($TERN_PYTHON, else python3), compiled by this executable, and cached in
//    <cache>/checkpoints/<key>/model.so with key = SHA-256 of the weights and
//    config (remembered by the files' stat, so a second run reads no weights),
//    the target and this executable -- the same key tern.checkpoint computes;
//  - a decode step as tern.export writes it, (tokens int64 [1], state f32
//    [L, 1, d]) -> (logits f32 [1, V], state_out [L, 1, d]), as .onnx/.mlir
//    (compiled once into <cache>/generate/) or an already compiled .so.
// Without MODEL the bundled model (share/tern/models/tiny-mmfree beside bin/).
//
// Tokenizers: a SentencePiece tokenizer.model beside the model (through
// libsentencepiece), or bytes for a 256-token vocabulary (the bundled model).
// BOS (fed first) and EOS (stops generation) come from config.json.
// Sampling, the same rule as tern.generation.sample_next: the repetition
// penalty (CTRL) on logits of tokens already in the context, then temperature
// 0 is greedy (argmax, lowest id on ties; the default); otherwise the top-k
// logits (all when k = 0), softmax(logits / T) in double, the smallest
// descending prefix reaching probability top-p, drawn by inverse CDF with a
// 64-bit Mersenne Twister seeded by --seed.
//
//===----------------------------------------------------------------------===//
#include "tern/Runtime/Model.h"
#include "tern/Tools/Version.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#ifdef TERN_HAVE_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

extern char **environ; // the environment the exporter inherits, plus PYTHONPATH

namespace rt = ::tern::runtime;
using llvm::SmallString;
using llvm::StringRef;

namespace {

struct Options {
  std::string command = "generate";
  std::string model;
  std::string prompt = "In the beginning";
  std::string promptIds;
  std::string tokenizer;
  std::string textFile;
  std::string target = "cpu";
  int64_t maxNewTokens = 100;
  double temperature = 0.0;
  int64_t topK = 0;
  double topP = 1.0;
  double repetitionPenalty = 1.0;
  uint64_t seed = 0;
  bool printIds = false;
  bool useCache = true;
  bool quiet = false;
};

std::string gCommand = "generate";

int fail(const llvm::Twine &message) {
  llvm::errs() << "ternc " << gCommand << ": error: " << message << "\n";
  return 1;
}

void printHelp(StringRef command) {
  if (command == "perplexity") {
    llvm::outs()
        << "usage: ternc perplexity [MODEL] --file TEXT [options]\n\n"
           "Perplexity, exp(mean negative log-likelihood), of a UTF-8 text file under a\n"
           "decode-step model (each token predicted from the ones before it; BOS first when\n"
           "the checkpoint's config has one). MODEL as for ternc generate.\n\n"
           "  --file TEXT          the text\n"
           "  --tokenizer FILE     tokenizer.model (default: the one beside MODEL)\n"
           "  --target cpu|cuda    where the compiled model runs (default cpu)\n"
           "  --no-cache, -q       as for ternc generate\n";
    return;
  }
  llvm::outs()
      << "usage: ternc generate [MODEL] [options]\n\n"
         "Generates text. MODEL: a checkpoint directory (config.json, model.safetensors,\n"
         "tokenizer.model; exported with python -m tern.export, compiled and cached on the\n"
         "first run), a decode-step .onnx/.onnxtxt/.mlir (compiled and cached) or a compiled\n"
         ".so; default: the bundled model (share/tern/models/tiny-mmfree).\n\n"
         "  --prompt TEXT          prompt text (default \"In the beginning\")\n"
         "  --prompt-ids IDS       prompt as token ids, e.g. \"1,2,3\" (any vocabulary)\n"
         "  -n N                   at most N new tokens (default 100); stops at EOS\n"
         "  --temperature T        0 (default): greedy; > 0: sample from softmax(logits/T)\n"
         "  --top-k K              sample among the K most likely tokens (needs T > 0)\n"
         "  --top-p P              nucleus: the most likely tokens of mass P, (0, 1] (T > 0)\n"
         "  --repetition-penalty R divide positive / multiply negative logits of tokens\n"
         "                         already seen by R (> 0; 1: none)\n"
         "  --seed S               sampling seed (default 0)\n"
         "  --tokenizer FILE       tokenizer.model (default: the one beside MODEL)\n"
         "  --target cpu|cuda      where the compiled model runs (default cpu)\n"
         "  --print-ids            print token ids instead of text\n"
         "  --no-cache             compile into a temporary file instead of the cache\n"
         "  -q, --quiet            no progress or timing on stderr\n\n"
         "Environment: TERN_PYTHON (Python with torch for exporting checkpoints),\n"
         "TERN_CACHE_DIR (default $XDG_CACHE_HOME/tern or ~/.cache/tern).\n";
}

std::string num(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", v);
  return s;
}

bool parseDouble(const std::string &v, double &out) {
  char *end = nullptr;
  out = std::strtod(v.c_str(), &end);
  return !v.empty() && !*end && std::isfinite(out);
}

/// Parses `args` (after the subcommand). Returns an exit code to stop with, if any.
std::optional<int> parseArgs(const std::vector<std::string> &args, Options &o) {
  auto value = [&](size_t &i, StringRef flag, std::string &out) -> bool {
    StringRef a = args[i];
    if (a.consume_front(flag)) {
      if (a.consume_front("=")) {
        out = a.str();
        return true;
      }
      if (a.empty() && i + 1 < args.size()) {
        out = args[++i];
        return true;
      }
    }
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    StringRef a = args[i];
    std::string v;
    if (a == "--help" || a == "-h" || a == "-help") {
      printHelp(o.command);
      return 0;
    }
    if (a == "--print-ids") {
      o.printIds = true;
    } else if (a == "--no-cache") {
      o.useCache = false;
    } else if (a == "-q" || a == "--quiet") {
      o.quiet = true;
    } else if (a == "--greedy") {
      o.temperature = 0;
    } else if (value(i, "--prompt-ids", v)) {
      o.promptIds = v;
    } else if (value(i, "--prompt", v)) {
      o.prompt = v;
    } else if (value(i, "--tokenizer", v)) {
      o.tokenizer = v;
    } else if (value(i, "--file", v)) {
      o.textFile = v;
    } else if (value(i, "--target", v)) {
      if (v != "cpu" && v != "cuda")
        return fail("--target must be cpu or cuda, got '" + v + "'"), 1;
      o.target = v;
    } else if (value(i, "--max-new-tokens", v) || value(i, "-n", v) || value(i, "--n", v)) {
      if (StringRef(v).getAsInteger(10, o.maxNewTokens) || o.maxNewTokens < 0)
        return fail("-n expects a count >= 0, got '" + v + "'"), 1;
    } else if (value(i, "--temperature", v)) {
      if (!parseDouble(v, o.temperature))
        return fail("--temperature expects a number, got '" + v + "'"), 1;
    } else if (value(i, "--top-k", v)) {
      if (StringRef(v).getAsInteger(10, o.topK) || o.topK < 0)
        return fail("--top-k expects a count >= 0, got '" + v + "'"), 1;
    } else if (value(i, "--top-p", v)) {
      if (!parseDouble(v, o.topP))
        return fail("--top-p expects a number, got '" + v + "'"), 1;
    } else if (value(i, "--repetition-penalty", v)) {
      if (!parseDouble(v, o.repetitionPenalty))
        return fail("--repetition-penalty expects a number, got '" + v + "'"), 1;
    } else if (value(i, "--seed", v)) {
      if (StringRef(v).getAsInteger(10, o.seed))
        return fail("--seed expects an unsigned integer, got '" + v + "'"), 1;
    } else if (a.starts_with("-") && a.size() > 1) {
      return fail("unknown option '" + a + "' (see ternc " + o.command + " --help)"), 1;
    } else if (o.model.empty()) {
      o.model = a.str();
    } else {
      return fail("more than one model given ('" + o.model + "', '" + a + "')"), 1;
    }
  }
  // The same rules as tern.generation.check_sampling.
  if (o.temperature < 0)
    return fail("--temperature must be >= 0 (0 is greedy), got " + num(o.temperature)), 1;
  if (!(o.topP > 0 && o.topP <= 1))
    return fail("--top-p must be in (0, 1], got " + num(o.topP)), 1;
  if (!(o.repetitionPenalty > 0))
    return fail("--repetition-penalty must be > 0 (1: none), got " +
                num(o.repetitionPenalty)), 1;
  if (o.temperature == 0 && (o.topK > 0 || o.topP < 1))
    return fail("--top-k and --top-p select among sampled tokens: they need --temperature > 0 "
                "(temperature 0 is greedy)"), 1;
  if (o.command == "perplexity" && o.textFile.empty())
    return fail("perplexity needs --file TEXT"), 1;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Files, hashes and the cache
//===----------------------------------------------------------------------===//

std::string cacheRoot() {
  if (auto env = llvm::sys::Process::GetEnv("TERN_CACHE_DIR"))
    return *env;
  SmallString<256> dir;
  if (auto env = llvm::sys::Process::GetEnv("XDG_CACHE_HOME")) {
    dir = *env;
  } else if (!llvm::sys::path::home_directory(dir)) {
    return "";
  } else {
    llvm::sys::path::append(dir, ".cache");
  }
  llvm::sys::path::append(dir, "tern");
  return std::string(dir);
}

std::string hexDigest(llvm::SHA256 &hash) {
  return llvm::toHex(hash.final(), /*LowerCase=*/true);
}

/// Real path, size and modification time (ns) of a file, joined by `sep`
/// (the executable's identity in cache keys, the stat memo of hashes).
std::optional<std::string> statKey(StringRef path, StringRef sep = ":") {
  SmallString<256> real;
  if (llvm::sys::fs::real_path(path, real))
    return std::nullopt;
  llvm::sys::fs::file_status st;
  if (llvm::sys::fs::status(real, st))
    return std::nullopt;
  return std::string(real) + sep.str() + std::to_string(st.getSize()) + sep.str() +
         std::to_string(st.getLastModificationTime().time_since_epoch().count());
}

/// config.json and the weight files of a checkpoint, sorted by name.
bool checkpointFiles(StringRef dir, std::vector<std::string> &files, std::string &error) {
  std::error_code ec;
  bool weights = false;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    StringRef name = llvm::sys::path::filename(it->path());
    bool w = name.ends_with(".safetensors") || name.ends_with(".safetensors.index.json") ||
             name.ends_with(".bin");
    if (w || name == "config.json")
      files.push_back(it->path());
    weights |= w;
  }
  if (ec) {
    error = "cannot list " + dir.str() + ": " + ec.message();
    return false;
  }
  if (!weights) {
    error = dir.str() + ": a checkpoint needs config.json and model.safetensors (or shards / "
                        "pytorch_model.bin)";
    return false;
  }
  std::sort(files.begin(), files.end(), [](const std::string &a, const std::string &b) {
    return llvm::sys::path::filename(a) < llvm::sys::path::filename(b);
  });
  return true;
}

/// SHA-256 of a checkpoint's files (names and bytes), remembered under
/// <cache>/hashes by the files' real paths, sizes and modification times;
/// the same digest as tern.checkpoint.checkpoint_hash.
std::string checkpointHash(StringRef dir, StringRef cache, std::string &error) {
  std::vector<std::string> files;
  if (!checkpointFiles(dir, files, error))
    return "";
  llvm::SHA256 statHash;
  for (const std::string &f : files) {
    // Python hashes f"{realpath}\0{size}\0{mtime_ns}\n".
    std::optional<std::string> key = statKey(f, StringRef("\0", 1));
    if (!key) {
      error = "cannot stat " + f;
      return "";
    }
    statHash.update(*key + "\n");
  }
  SmallString<256> memo(cache);
  llvm::sys::path::append(memo, "hashes", hexDigest(statHash).substr(0, 32));
  if (auto buf = llvm::MemoryBuffer::getFile(memo)) {
    StringRef digest = (*buf)->getBuffer().trim();
    if (digest.size() == 64)
      return digest.str();
  }
  llvm::SHA256 hash;
  for (const std::string &f : files) {
    auto buf = llvm::MemoryBuffer::getFile(f, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!buf) {
      error = "cannot read " + f + ": " + buf.getError().message();
      return "";
    }
    hash.update(llvm::sys::path::filename(f).str() + std::string(1, '\0'));
    hash.update((*buf)->getBuffer());
    hash.update(StringRef("\0", 1));
  }
  std::string digest = hexDigest(hash);
  if (!llvm::sys::fs::create_directories(llvm::sys::path::parent_path(memo))) {
    std::string tmp = std::string(memo) + ".tmp" +
                      std::to_string(llvm::sys::Process::getProcessId());
    std::error_code ec;
    {
      llvm::raw_fd_ostream os(tmp, ec);
      if (!ec)
        os << digest << "\n";
    }
    if (!ec)
      llvm::sys::fs::rename(tmp, memo);
  }
  return digest;
}

/// The cache file for a compiled model file: <cache>/generate/<sha256>.so,
/// keyed by the model's bytes, the target and this executable.
std::string modelCachePath(StringRef model, StringRef cache, StringRef target, StringRef self,
                           std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(model);
  if (!buf) {
    error = "cannot read " + model.str() + ": " + buf.getError().message();
    return "";
  }
  llvm::SHA256 hash;
  hash.update((*buf)->getBuffer());
  hash.update(statKey(self).value_or(self.str()));
  hash.update(llvm::sys::path::extension(model));
  hash.update(target);
  SmallString<256> dir(cache);
  llvm::sys::path::append(dir, "generate");
  if (llvm::sys::fs::create_directories(dir))
    return "";
  llvm::sys::path::append(dir, hexDigest(hash).substr(0, 32) + ".so");
  return std::string(dir);
}

class Clock {
public:
  explicit Clock(bool quiet) : quiet(quiet) {}
  void say(const llvm::Twine &what) const {
    if (quiet)
      return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << llvm::format("[ternc generate %6.1fs] ", s) << what << "\n";
  }

private:
  bool quiet;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// Runs a child process; its stdout is dropped, its stderr shown live unless
/// `quiet` (then kept in a log and shown only when it fails).
bool runChild(StringRef program, llvm::ArrayRef<StringRef> argv,
              std::optional<llvm::ArrayRef<StringRef>> env, bool quiet, StringRef what,
              std::string &error) {
  SmallString<128> log;
  if (quiet && llvm::sys::fs::createTemporaryFile("ternc-generate", "log", log))
    log.clear();
  llvm::FileRemover removeLog(log);
  std::optional<StringRef> redirects[] = {
      std::nullopt, StringRef(""),
      log.empty() ? std::optional<StringRef>() : std::optional<StringRef>(log)};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(program, argv, env, redirects, 0, 0, &msg);
  if (rc == 0)
    return true;
  if (!log.empty())
    if (auto text = llvm::MemoryBuffer::getFile(log))
      llvm::errs() << (*text)->getBuffer();
  error = what.str() + " failed" + (msg.empty() ? "" : ": " + msg) +
          " (its messages are above)";
  return false;
}

/// `ternc compile MODEL --target=T -o SO` by this executable.
bool compileModel(StringRef self, StringRef model, StringRef soPath, StringRef target,
                  const Clock &clock, bool quiet, std::string &error) {
  std::string out = soPath.str() + ".tmp" + std::to_string(llvm::sys::Process::getProcessId());
  std::string targetFlag = "--target=" + target.str();
  std::vector<StringRef> argv = {self, "compile", model, targetFlag, "-o", out};
  if (quiet)
    argv.push_back("--quiet");
  if (llvm::sys::path::extension(model) != ".mlir")
    argv.push_back("--dim=B=1");
  clock.say("compiling " + model + " for " + target);
  SmallString<256> header(out);
  llvm::sys::path::replace_extension(header, "h");
  llvm::FileRemover removeHeader(header); // the cache keeps only the .so
  if (!runChild(self, argv, std::nullopt, quiet, "compiling " + model.str(), error)) {
    llvm::sys::fs::remove(out);
    return false;
  }
  if (std::error_code ec = llvm::sys::fs::rename(out, soPath)) {
    error = "cannot move the compiled model to " + soPath.str() + ": " + ec.message();
    return false;
  }
  return true;
}

/// `python -m tern.export DIR -o ONNX` with $TERN_PYTHON (else python3), and
/// the tern package of this installation (share/tern/python) on PYTHONPATH.
bool exportCheckpoint(StringRef self, StringRef dir, StringRef onnx, const Clock &clock,
                      bool quiet, std::string &error) {
  std::string python;
  if (auto env = llvm::sys::Process::GetEnv("TERN_PYTHON")) {
    python = *env;
  } else if (auto found = llvm::sys::findProgramByName("python3")) {
    python = *found;
  } else {
    error = "exporting a checkpoint needs Python with torch: set TERN_PYTHON or put python3 "
            "on PATH";
    return false;
  }
  SmallString<256> pkg(llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(pkg, "share", "tern", "python");
  std::vector<std::string> envStore;
  bool havePath = false;
  for (char **e = environ; *e; ++e) {
    StringRef kv(*e);
    if (kv.starts_with("PYTHONPATH=") && llvm::sys::fs::is_directory(pkg)) {
      envStore.push_back("PYTHONPATH=" + std::string(pkg) + ":" + kv.drop_front(11).str());
      havePath = true;
    } else {
      envStore.push_back(kv.str());
    }
  }
  if (!havePath && llvm::sys::fs::is_directory(pkg))
    envStore.push_back("PYTHONPATH=" + std::string(pkg));
  std::vector<StringRef> env(envStore.begin(), envStore.end());
  clock.say("exporting " + dir + " to ONNX (" + python + " -m tern.export)");
  std::vector<StringRef> argv = {python, "-m", "tern.export", dir, "-o", onnx};
  return runChild(python, argv, llvm::ArrayRef<StringRef>(env), quiet,
                  "exporting " + dir.str() + " (" + python + " -m tern.export; TERN_PYTHON "
                  "names a Python with torch)",
                  error);
}

//===----------------------------------------------------------------------===//
// Tokenizers and config
//===----------------------------------------------------------------------===//

class Tokenizer {
public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int64_t> encode(StringRef text) const = 0;
  virtual std::string decode(const std::vector<int64_t> &ids) const = 0;
  virtual int64_t vocabSize() const = 0;
};

class ByteTokenizer : public Tokenizer {
public:
  std::vector<int64_t> encode(StringRef text) const override {
    return std::vector<int64_t>(text.bytes_begin(), text.bytes_end());
  }
  std::string decode(const std::vector<int64_t> &ids) const override {
    std::string s;
    for (int64_t i : ids)
      s.push_back(static_cast<char>(i & 0xFF));
    return s;
  }
  int64_t vocabSize() const override { return 256; }
};

#ifdef TERN_HAVE_SENTENCEPIECE
class SentencePieceTokenizer : public Tokenizer {
public:
  bool load(StringRef path, std::string &error) {
    auto status = sp.Load(path.str());
    if (!status.ok()) {
      error = path.str() + ": not a SentencePiece model (" + status.ToString() + ")";
      return false;
    }
    return true;
  }
  std::vector<int64_t> encode(StringRef text) const override {
    std::vector<int> ids;
    (void)sp.Encode(std::string_view(text.data(), text.size()), &ids);
    return std::vector<int64_t>(ids.begin(), ids.end());
  }
  std::string decode(const std::vector<int64_t> &ids) const override {
    std::vector<int> v;
    for (int64_t i : ids)
      v.push_back(static_cast<int>(i));
    std::string s;
    (void)sp.Decode(v, &s);
    return s;
  }
  int64_t vocabSize() const override { return sp.GetPieceSize(); }

private:
  sentencepiece::SentencePieceProcessor sp;
};
#endif

struct ModelInfo {
  std::string dir;             // where config/tokenizer are looked for
  std::optional<int64_t> bos, eos;
};

bool readConfig(StringRef dir, ModelInfo &info, std::string &error) {
  SmallString<256> path(dir);
  llvm::sys::path::append(path, "config.json");
  if (!llvm::sys::fs::exists(path))
    return true;
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf) {
    error = "cannot read " + std::string(path) + ": " + buf.getError().message();
    return false;
  }
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*buf)->getBuffer());
  if (!json) {
    error = std::string(path) + ": not JSON: " + llvm::toString(json.takeError());
    return false;
  }
  const llvm::json::Object *obj = json->getAsObject();
  if (!obj) {
    error = std::string(path) + ": not a JSON object";
    return false;
  }
  auto id = [&](StringRef key) -> std::optional<int64_t> {
    const llvm::json::Value *v = obj->get(key);
    if (!v)
      return std::nullopt;
    if (const llvm::json::Array *a = v->getAsArray()) // HF allows a list; the first is used
      return a->empty() ? std::nullopt : (*a)[0].getAsInteger();
    return v->getAsInteger();
  };
  info.bos = id("bos_token_id");
  info.eos = id("eos_token_id");
  return true;
}

/// tokenizer.json holding {"type": "bytes"} (the bundled model's).
bool isBytesTokenizerJSON(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return false;
  llvm::Expected<llvm::json::Value> json = llvm::json::parse((*buf)->getBuffer());
  if (!json) {
    llvm::consumeError(json.takeError());
    return false;
  }
  const llvm::json::Object *obj = json->getAsObject();
  return obj && obj->getString("type") == "bytes";
}

std::unique_ptr<Tokenizer> loadTokenizer(const Options &o, const ModelInfo &info, int64_t vocab,
                                         std::string &error) {
  std::string path = o.tokenizer;
  if (path.empty()) {
    SmallString<256> sp(info.dir), js(info.dir);
    llvm::sys::path::append(sp, "tokenizer.model");
    llvm::sys::path::append(js, "tokenizer.json");
    if (llvm::sys::fs::exists(sp))
      path = std::string(sp);
    else if (llvm::sys::fs::exists(js))
      path = std::string(js);
  }
  if (path == "bytes" || (path.empty() && vocab == 256) ||
      (StringRef(path).ends_with(".json") && isBytesTokenizerJSON(path)))
    return std::make_unique<ByteTokenizer>();
  if (path.empty()) {
    error = "no tokenizer.model beside the model (vocabulary " + std::to_string(vocab) +
            "): pass --tokenizer FILE or --prompt-ids";
    return nullptr;
  }
  if (StringRef(path).ends_with(".json")) {
    error = path + " is a Hugging Face tokenizer: ternc reads SentencePiece tokenizer.model; "
                   "use `python -m tern generate` (the tokenizers package) or --prompt-ids";
    return nullptr;
  }
#ifdef TERN_HAVE_SENTENCEPIECE
  auto tok = std::make_unique<SentencePieceTokenizer>();
  if (!tok->load(path, error))
    return nullptr;
  return tok;
#else
  error = "this ternc was built without SentencePiece (libsentencepiece-dev): pass --prompt-ids";
  return nullptr;
#endif
}

//===----------------------------------------------------------------------===//
// Sampling
//===----------------------------------------------------------------------===//

/// Sampling rule shared with tern.generation.sample_next (see the file header).
int64_t sampleNext(const std::vector<double> &logits, double temperature, int64_t topK,
                   double topP, std::mt19937_64 &rng) {
  int64_t vocab = logits.size();
  if (temperature <= 0)
    return std::max_element(logits.begin(), logits.end()) - logits.begin();
  std::vector<int64_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  // Descending by logit, lower id first on ties (what a stable sort would give).
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  if (topK > 0 && topK < vocab)
    order.resize(topK);
  std::vector<double> p(order.size());
  double zmax = logits[order[0]] / temperature, sum = 0;
  for (size_t i = 0; i < order.size(); ++i)
    sum += p[i] = std::exp(logits[order[i]] / temperature - zmax);
  if (topP < 1) {
    double acc = 0;
    size_t keep = order.size();
    for (size_t i = 0; i < order.size(); ++i) {
      acc += p[i] / sum;
      if (acc >= topP) {
        keep = i + 1;
        break;
      }
    }
    order.resize(keep);
    p.resize(keep);
    sum = std::accumulate(p.begin(), p.end(), 0.0);
  }
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng) * sum, acc = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    acc += p[i];
    if (u < acc)
      return order[i];
  }
  return order.back();
}

bool parseIds(StringRef text, std::vector<int64_t> &ids) {
  llvm::SmallVector<StringRef> parts;
  text.split(parts, ',', -1, false);
  for (StringRef part : parts) {
    llvm::SmallVector<StringRef> words;
    part.split(words, ' ', -1, false);
    for (StringRef w : words) {
      int64_t v;
      if (w.trim().getAsInteger(10, v))
        return false;
      ids.push_back(v);
    }
  }
  return !ids.empty();
}

/// The library to load for MODEL (compiling or exporting as needed) and where
/// its config/tokenizer live.
std::string resolveModel(Options &o, StringRef self, ModelInfo &info,
                         std::optional<llvm::FileRemover> &removeTemp, std::string &error) {
  Clock clock(o.quiet);
  if (o.model.empty()) {
    // The bundled model: share/tern/models/tiny-mmfree beside bin/ (the build
    // tree mirrors the install's layout).
    SmallString<256> m(llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
    llvm::sys::path::append(m, "share", "tern", "models");
    llvm::sys::path::append(m, "tiny-mmfree", "model.onnx");
    o.model = std::string(m);
    if (!llvm::sys::fs::exists(o.model)) {
      error = "no model given and the bundled model is missing (" + o.model +
              "); pass a checkpoint directory or MODEL.onnx";
      return "";
    }
  }
  if (!llvm::sys::fs::exists(o.model)) {
    error = "no such model file or checkpoint directory: " + o.model;
    return "";
  }
  std::string cache = o.useCache ? cacheRoot() : "";
  bool isDir = llvm::sys::fs::is_directory(o.model);
  info.dir = isDir ? o.model : llvm::sys::path::parent_path(o.model).str();
  if (info.dir.empty())
    info.dir = ".";
  if (!readConfig(info.dir, info, error))
    return "";
  if (!isDir && llvm::sys::path::extension(o.model) == ".so") {
    SmallString<256> abs(o.model);
    llvm::sys::fs::make_absolute(abs); // dlopen searches the library path for bare names
    return std::string(abs);
  }
  auto temporary = [&](StringRef ext) -> std::string {
    SmallString<128> tmp;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("ternc-generate", ext, tmp)) {
      error = "cannot create a temporary file: " + ec.message();
      return "";
    }
    removeTemp.emplace(tmp);
    return std::string(tmp);
  };
  if (!isDir) {
    std::string so = cache.empty() ? "" : modelCachePath(o.model, cache, o.target, self, error);
    if (!error.empty())
      return "";
    if (so.empty() && (so = temporary("so")).empty())
      return "";
    if ((!o.useCache || !llvm::sys::fs::exists(so)) &&
        !compileModel(self, o.model, so, o.target, clock, o.quiet, error))
      return "";
    return so;
  }
  SmallString<256> config(o.model);
  llvm::sys::path::append(config, "config.json");
  if (!llvm::sys::fs::exists(config)) {
    error = o.model + ": not a checkpoint directory (no config.json)";
    return "";
  }
  std::string so;
  SmallString<256> entry;
  if (!cache.empty()) {
    std::string digest = checkpointHash(o.model, cache, error);
    if (digest.empty())
      return "";
    llvm::SHA256 key;
    key.update(digest + std::string(1, '\0') + o.target + std::string(1, '\0') +
               statKey(self).value_or(self.str()));
    entry = cache;
    llvm::sys::path::append(entry, "checkpoints", hexDigest(key).substr(0, 32));
    SmallString<256> lib(entry);
    llvm::sys::path::append(lib, "model.so");
    so = std::string(lib);
    if (llvm::sys::fs::exists(so))
      return so;
    if (std::error_code ec = llvm::sys::fs::create_directories(entry)) {
      error = "cannot create " + std::string(entry) + ": " + ec.message();
      return "";
    }
  } else if ((so = temporary("so")).empty()) {
    return "";
  }
  SmallString<128> onnx;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("ternc-export", "onnx", onnx)) {
    error = "cannot create a temporary file: " + ec.message();
    return "";
  }
  llvm::FileRemover removeOnnx(onnx);
  SmallString<128> onnxData(onnx);
  onnxData += ".data"; // external data of a model over 2 GB
  llvm::FileRemover removeOnnxData(onnxData);
  if (!exportCheckpoint(self, o.model, onnx, clock, o.quiet, error) ||
      !compileModel(self, onnx, so, o.target, clock, o.quiet, error))
    return "";
  clock.say("cached " + so);
  return so;
}

/// Loads MODEL and checks that it is a batch-1 decode step.
std::unique_ptr<rt::Model> loadDecodeStep(Options &o, const char *argv0, ModelInfo &info,
                                          std::optional<llvm::FileRemover> &removeTemp,
                                          std::string &error) {
  // `self` is the ternc beside this executable: it compiles, and its identity keys the cache.
  SmallString<256> self(llvm::sys::path::parent_path(
      llvm::sys::fs::getMainExecutable(argv0, (void *)&fail)));
  llvm::sys::path::append(self, "ternc");
  std::string soPath = resolveModel(o, self, info, removeTemp, error);
  if (soPath.empty())
    return nullptr;
  std::unique_ptr<rt::Model> model = rt::Model::load(soPath, error);
  if (!model)
    return nullptr;
  const auto &ins = model->inputs();
  const auto &outs = model->outputs();
  if (ins.size() != 2 || outs.size() != 2 || ins[0].dtype != TERN_I64 ||
      ins[0].shape != std::vector<int64_t>{1} || ins[1].dtype != TERN_F32 ||
      ins[1].shape.size() != 3 || ins[1].shape[1] != 1 || outs[0].dtype != TERN_F32 ||
      outs[0].shape.size() != 2 || outs[0].shape[0] != 1 || outs[1].shape != ins[1].shape) {
    std::string sig;
    for (const auto &t : ins)
      sig += (sig.empty() ? "" : ", ") + t.name + ": " + rt::describe(t.shape, t.dtype);
    sig += " -> ";
    for (size_t i = 0; i < outs.size(); ++i)
      sig += (i ? ", " : "") + outs[i].name + ": " + rt::describe(outs[i].shape, outs[i].dtype);
    error = "not a batch-1 decode step (tokens [1] int64, state [L,1,d] f32 -> logits "
            "[1,V], state): " + sig;
    return nullptr;
  }
  return model;
}

/// What `generate` and `perplexity` start from: the decode step of MODEL,
/// its vocabulary, where its config lives, and its tokenizer.
struct Checkpoint {
  ModelInfo info;
  std::optional<llvm::FileRemover> removeTemp; // a library compiled outside the cache
  std::unique_ptr<rt::Model> model;
  int64_t vocab = 0;
  std::unique_ptr<Tokenizer> tok; // null when not needed and not found
};

/// Loads MODEL's decode step and, unless `o.printIds`, its tokenizer, which
/// is an error to lack when `needTokenizer`.
bool openCheckpoint(Options &o, const char *argv0, bool needTokenizer, Checkpoint &c,
                    std::string &error) {
  c.model = loadDecodeStep(o, argv0, c.info, c.removeTemp, error);
  if (!c.model)
    return false;
  c.vocab = c.model->outputs()[0].shape[1];
  if (o.printIds && !needTokenizer)
    return true;
  c.tok = loadTokenizer(o, c.info, c.vocab, error);
  if (!c.tok) {
    if (needTokenizer)
      return false;
    error.clear(); // token ids in, token ids out
    return true;
  }
  if (c.tok->vocabSize() > c.vocab) {
    error = "the tokenizer has " + std::to_string(c.tok->vocabSize()) + " tokens, the model only " +
            std::to_string(c.vocab) + " logits";
    return false;
  }
  return true;
}

/// One decode step after another over the model's recurrent state.
class Decoder {
public:
  explicit Decoder(rt::Model &model) : model(model), in(2) {
    token.dtype = TERN_I64;
    token.shape = {1};
    token.data.resize(sizeof(int64_t));
    state.dtype = TERN_F32;
    state.shape = model.inputs()[1].shape;
    state.data.assign(state.numElements() * sizeof(float), 0);
  }
  bool step(int64_t id, std::string &error) {
    std::memcpy(token.data.data(), &id, sizeof id);
    in[0] = token;
    in[1] = std::move(state);
    if (!model.run(in, out, error))
      return false;
    state = std::move(out[1]);
    return true;
  }
  std::vector<double> logits() const {
    const float *p = reinterpret_cast<const float *>(out[0].data.data());
    return std::vector<double>(p, p + out[0].numElements());
  }

private:
  rt::Model &model;
  rt::Array token, state;
  std::vector<rt::Array> in, out;
};

std::vector<int64_t> promptIds(const Options &o, const Tokenizer &tok, const ModelInfo &info,
                               StringRef text) {
  std::vector<int64_t> ids;
  if (info.bos && !dynamic_cast<const ByteTokenizer *>(&tok))
    ids.push_back(*info.bos);
  std::vector<int64_t> body = tok.encode(text);
  ids.insert(ids.end(), body.begin(), body.end());
  return ids;
}

} // namespace

/// `ternc generate`.
int ternGenerateMain(int argc, char **argv, const char *argv0) {
  Options o;
  gCommand = o.command = "generate";
  std::vector<std::string> args(argv, argv + argc);
  if (std::optional<int> rc = parseArgs(args, o))
    return *rc;
  std::vector<int64_t> prompt;
  if (!o.promptIds.empty() && !parseIds(o.promptIds, prompt))
    return fail("--prompt-ids expects integers separated by commas or spaces");
  Checkpoint c;
  std::string error;
  if (!openCheckpoint(o, argv0, /*needTokenizer=*/o.promptIds.empty(), c, error))
    return fail(error);
  const ModelInfo &info = c.info;
  int64_t vocab = c.vocab;
  std::unique_ptr<Tokenizer> &tok = c.tok;
  if (o.promptIds.empty())
    prompt = promptIds(o, *tok, info, o.prompt);
  if (prompt.empty())
    return fail("the prompt is empty");
  for (int64_t t : prompt)
    if (t < 0 || t >= vocab)
      return fail("prompt token " + std::to_string(t) + " is outside [0, " +
                  std::to_string(vocab) + ")");
  bool text = tok && !o.printIds;
  // Text is decoded from the prompt's own tokens on (BOS is a control token).
  std::vector<int64_t> context(prompt);
  if (info.bos && !context.empty() && context[0] == *info.bos && tok &&
      !dynamic_cast<ByteTokenizer *>(tok.get()))
    context.erase(context.begin());

  Decoder dec(*c.model);
  auto start = std::chrono::steady_clock::now();
  for (int64_t t : prompt)
    if (!dec.step(t, error))
      return fail(error);
  auto afterPrompt = std::chrono::steady_clock::now();
  std::string base;
  if (text) {
    base = tok->decode(context);
    llvm::outs() << (o.promptIds.empty() ? o.prompt : base);
  } else {
    for (size_t i = 0; i < prompt.size(); ++i)
      llvm::outs() << (i ? " " : "") << prompt[i];
  }
  llvm::outs().flush();

  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> generated;
  std::set<int64_t> seen(prompt.begin(), prompt.end());
  size_t printed = 0;
  bool stoppedAtEOS = false;
  auto continuation = [&] {
    std::vector<int64_t> all(context);
    all.insert(all.end(), generated.begin(), generated.end());
    std::string full = tok->decode(all);
    return StringRef(full).starts_with(base) ? full.substr(base.size()) : tok->decode(generated);
  };
  for (int64_t n = 0; n < o.maxNewTokens; ++n) {
    std::vector<double> logits = dec.logits();
    if (o.repetitionPenalty != 1)
      for (int64_t id : seen)
        logits[id] = logits[id] > 0 ? logits[id] / o.repetitionPenalty
                                    : logits[id] * o.repetitionPenalty;
    int64_t next = sampleNext(logits, o.temperature, o.topK, o.topP, rng);
    if (info.eos && next == *info.eos) {
      stoppedAtEOS = true;
      break;
    }
    generated.push_back(next);
    seen.insert(next);
    if (text) {
      // Print what is new once it is whole (a byte token may be mid-character).
      std::string cont = continuation();
      bool partial = cont.size() >= 3 && StringRef(cont).ends_with("\xEF\xBF\xBD");
      if (!partial && cont.size() > printed) {
        llvm::outs() << StringRef(cont).drop_front(printed);
        printed = cont.size();
      }
    } else {
      llvm::outs() << " " << next;
    }
    llvm::outs().flush();
    if (n + 1 < o.maxNewTokens && !dec.step(next, error))
      return fail(error);
  }
  if (text) {
    std::string cont = continuation();
    if (cont.size() > printed)
      llvm::outs() << StringRef(cont).drop_front(printed);
  }
  llvm::outs() << "\n";
  llvm::outs().flush();
  auto end = std::chrono::steady_clock::now();
  if (!o.quiet) {
    double pt = std::chrono::duration<double>(afterPrompt - start).count();
    double gt = std::chrono::duration<double>(end - afterPrompt).count();
    llvm::errs() << llvm::format("[ternc generate] prompt %zu tokens in %.3f s; %zu tokens "
                                 "in %.3f s (%.1f tokens/s)%s\n",
                                 prompt.size(), pt, generated.size(), gt,
                                 gt > 0 ? generated.size() / gt : 0.0,
                                 stoppedAtEOS ? "; stopped at EOS" : "");
  }
  return 0;
}

/// `ternc perplexity`.
int ternPerplexityMain(int argc, char **argv, const char *argv0) {
  Options o;
  gCommand = o.command = "perplexity";
  std::vector<std::string> args(argv, argv + argc);
  if (std::optional<int> rc = parseArgs(args, o))
    return *rc;
  auto text = llvm::MemoryBuffer::getFile(o.textFile);
  if (!text)
    return fail("cannot read " + o.textFile + ": " + text.getError().message());
  Checkpoint c;
  std::string error;
  if (!openCheckpoint(o, argv0, /*needTokenizer=*/true, c, error))
    return fail(error);
  int64_t vocab = c.vocab;
  std::vector<int64_t> ids = promptIds(o, *c.tok, c.info, (*text)->getBuffer());
  if (ids.size() < 2)
    return fail("perplexity needs at least two tokens of text");
  for (int64_t t : ids)
    if (t < 0 || t >= vocab)
      return fail("token " + std::to_string(t) + " is outside the model's vocabulary [0, " +
                  std::to_string(vocab) + ")");
  Decoder dec(*c.model);
  double nll = 0;
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    if (!dec.step(ids[i], error))
      return fail(error);
    std::vector<double> logits = dec.logits();
    double zmax = *std::max_element(logits.begin(), logits.end()), sum = 0;
    for (double z : logits)
      sum += std::exp(z - zmax);
    nll += zmax + std::log(sum) - logits[ids[i + 1]];
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  size_t n = ids.size() - 1;
  llvm::outs() << llvm::format("perplexity %.4f over %zu tokens (%.4f nats/token)\n",
                               std::exp(nll / n), n, nll / n);
  if (!o.quiet)
    llvm::errs() << llvm::format("[ternc perplexity] %zu tokens in %.3f s (%.1f tokens/s)\n",
                                 n, seconds, seconds > 0 ? n / seconds : 0.0);
  return 0;
}

int main(int argc, char **argv) {
  StringRef command = argc > 1 ? argv[1] : "";
  if (command == "--version")
    return ::tern::printToolVersion(llvm::outs(), "ternc-generate"), 0;
  if (command == "generate")
    return ternGenerateMain(argc - 2, argv + 2, argv[0]);
  if (command == "perplexity")
    return ternPerplexityMain(argc - 2, argv + 2, argv[0]);
  llvm::errs() << "usage: ternc generate|perplexity ... (ternc-generate is run by ternc)\n";
  return 1;
}

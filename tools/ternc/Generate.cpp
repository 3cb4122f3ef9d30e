//===- Generate.cpp - ternc generate: text from a decode-step model -------===//
//
//   ternc generate [MODEL.onnx | MODEL.mlir | MODEL.so] [--prompt TEXT] [-n N]
//                  [--temperature T] [--top-k K] [--seed S]
//
// MODEL is a decode step as tern.export writes it:
//   (tokens int64 [1], state f32 [L, 1, d]) -> (logits f32 [1, V], state_out [L, 1, d]).
// A model file is compiled once by this same executable (`ternc compile`, batch
// pinned with --dim=B=1) into a cache keyed by the file's contents and the
// compiler's own build, then loaded through tern::runtime::Model. Without MODEL
// the bundled model (models/tiny-mmfree/model.onnx) is used.
//
// Tokenizer: bytes (token id = one byte of UTF-8 text), for models with V = 256
// such as the bundled one; other vocabularies take --prompt-ids and print ids.
// Sampling: temperature <= 0 is greedy (argmax, lowest id on ties; the default),
// so the output equals tern.generate and the PyTorch reference token for token.
// Otherwise keep the top-k logits (all when k = 0), softmax(logits / T) in
// double, and draw by inverse CDF with a 64-bit Mersenne Twister seeded by
// --seed (reproducible here; a different generator from numpy's, so sampled
// text differs from Python's for the same seed).
//
//===----------------------------------------------------------------------===//
#include "tern/Runtime/Model.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace rt = ::tern::runtime;
using llvm::StringRef;

#ifndef TERN_BUNDLED_MODEL
#define TERN_BUNDLED_MODEL ""
#endif

namespace {

struct Options {
  std::string model;
  std::string prompt = "In the beginning";
  std::string promptIds;
  int64_t maxNewTokens = 100;
  double temperature = 0.0;
  int64_t topK = 0;
  uint64_t seed = 0;
  bool printIds = false;
  bool useCache = true;
  bool quiet = false;
};

int fail(const llvm::Twine &message) {
  llvm::errs() << "ternc generate: error: " << message << "\n";
  return 1;
}

void printHelp() {
  llvm::outs()
      << "usage: ternc generate [MODEL] [options]\n\n"
         "Generates text with a decode-step model (tokens [1] + state [L,1,d] -> logits [1,V]\n"
         "+ state). MODEL: .onnx/.onnxtxt/.mlir (compiled and cached) or a compiled .so;\n"
         "default: the bundled model " TERN_BUNDLED_MODEL "\n\n"
         "  --prompt TEXT        prompt text (byte tokenizer; default \"In the beginning\")\n"
         "  --prompt-ids IDS     prompt as token ids, e.g. \"1,2,3\" (any vocabulary)\n"
         "  -n N                 tokens to generate (default 100)\n"
         "  --temperature T      0 (default): greedy; > 0: sample from softmax(logits/T)\n"
         "  --top-k K            sample among the K most likely tokens (0: all)\n"
         "  --seed S             sampling seed (default 0)\n"
         "  --print-ids          print token ids instead of text\n"
         "  --no-cache           compile into a temporary file instead of the cache\n"
         "  -q, --quiet          no progress or timing on stderr\n";
}

/// Parses `args` (after "generate"). Returns an exit code to stop with, if any.
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
      printHelp();
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
    } else if (value(i, "--max-new-tokens", v) || value(i, "-n", v) || value(i, "--n", v)) {
      if (StringRef(v).getAsInteger(10, o.maxNewTokens) || o.maxNewTokens < 0) {
        fail("-n expects a count >= 0, got '" + v + "'");
        return 1;
      }
    } else if (value(i, "--temperature", v)) {
      char *end = nullptr;
      o.temperature = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !std::isfinite(o.temperature)) {
        fail("--temperature expects a number, got '" + v + "'");
        return 1;
      }
    } else if (value(i, "--top-k", v)) {
      if (StringRef(v).getAsInteger(10, o.topK) || o.topK < 0) {
        fail("--top-k expects a count >= 0, got '" + v + "'");
        return 1;
      }
    } else if (value(i, "--seed", v)) {
      if (StringRef(v).getAsInteger(10, o.seed)) {
        fail("--seed expects an unsigned integer, got '" + v + "'");
        return 1;
      }
    } else if (a.starts_with("-") && a.size() > 1) {
      fail("unknown option '" + a + "' (see ternc generate --help)");
      return 1;
    } else if (o.model.empty()) {
      o.model = a.str();
    } else {
      fail("more than one model given ('" + o.model + "', '" + a + "')");
      return 1;
    }
  }
  return std::nullopt;
}

/// The cache file for a compiled model: ~/.cache/tern/generate/<sha256>.so,
/// keyed by the model's bytes and this ternc executable (path, size, mtime).
std::string cachePath(StringRef model, StringRef self, std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(model);
  if (!buf) {
    error = "cannot read " + model.str() + ": " + buf.getError().message();
    return "";
  }
  llvm::SHA256 hash;
  hash.update((*buf)->getBuffer());
  llvm::sys::fs::file_status st;
  if (!llvm::sys::fs::status(self, st)) {
    std::string key = self.str() + ":" + std::to_string(st.getSize()) + ":" +
                      std::to_string(st.getLastModificationTime().time_since_epoch().count());
    hash.update(key);
  }
  hash.update(llvm::sys::path::extension(model));
  std::string digest = llvm::toHex(hash.final(), /*LowerCase=*/true);
  llvm::SmallString<256> dir;
  if (auto env = llvm::sys::Process::GetEnv("XDG_CACHE_HOME")) {
    dir = *env;
  } else if (!llvm::sys::path::home_directory(dir)) {
    return "";
  } else {
    llvm::sys::path::append(dir, ".cache");
  }
  llvm::sys::path::append(dir, "tern", "generate");
  if (llvm::sys::fs::create_directories(dir))
    return "";
  llvm::sys::path::append(dir, digest.substr(0, 32) + ".so");
  return std::string(dir);
}

/// Compiles `model` with `ternc compile` (this executable) into `soPath`.
bool compileModel(StringRef self, StringRef model, StringRef soPath, bool quiet,
                  std::string &error) {
  std::string out = soPath.str() + ".tmp" + std::to_string(llvm::sys::Process::getProcessId());
  std::vector<StringRef> argv = {self, "compile", model, "--target=cpu", "-o", out, "--quiet"};
  if (llvm::sys::path::extension(model) != ".mlir")
    argv.push_back("--dim=B=1");
  if (!quiet)
    llvm::errs() << "[ternc generate] compiling " << model << " ...\n";
  // The compiler's diagnostics go to a file, shown only when the compile fails.
  llvm::SmallString<128> log;
  if (llvm::sys::fs::createTemporaryFile("ternc-generate", "log", log))
    log.clear();
  llvm::FileRemover removeLog(log);
  std::optional<StringRef> redirects[] = {std::nullopt, std::nullopt,
                                          log.empty() ? std::optional<StringRef>()
                                                      : std::optional<StringRef>(log)};
  std::string msg;
  int rc = llvm::sys::ExecuteAndWait(self, argv, std::nullopt, redirects, 0, 0, &msg);
  if (rc != 0) {
    llvm::sys::fs::remove(out);
    llvm::SmallString<16> header(out);
    llvm::sys::path::replace_extension(header, "h");
    llvm::sys::fs::remove(header);
    if (!log.empty())
      if (auto text = llvm::MemoryBuffer::getFile(log))
        llvm::errs() << (*text)->getBuffer();
    error = "compiling " + model.str() + " failed" + (msg.empty() ? "" : ": " + msg) +
            " (ternc compile's messages are above)";
    return false;
  }
  // ternc compile also writes a header next to the library; the cache keeps only the .so.
  llvm::SmallString<256> header(out);
  llvm::sys::path::replace_extension(header, "h");
  llvm::sys::fs::remove(header);
  if (std::error_code ec = llvm::sys::fs::rename(out, soPath)) {
    error = "cannot move the compiled model to " + soPath.str() + ": " + ec.message();
    return false;
  }
  return true;
}

/// Sampling rule shared with tern.generation.sample_next (see the file header).
int64_t sampleNext(const float *logits, int64_t vocab, double temperature, int64_t topK,
                   std::mt19937_64 &rng) {
  if (temperature <= 0) {
    int64_t best = 0;
    for (int64_t i = 1; i < vocab; ++i)
      if (logits[i] > logits[best])
        best = i;
    return best;
  }
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

} // namespace

/// Entry point of `ternc generate` (called from ternc.cpp's main).
int ternGenerateMain(int argc, char **argv, const char *argv0) {
  Options o;
  std::vector<std::string> args(argv, argv + argc);
  if (std::optional<int> rc = parseArgs(args, o))
    return *rc;
  if (o.model.empty()) {
    o.model = TERN_BUNDLED_MODEL;
    if (o.model.empty() || !llvm::sys::fs::exists(o.model))
      return fail("no model given and the bundled model is missing (" + o.model +
                  "); pass MODEL.onnx");
  }
  if (!llvm::sys::fs::exists(o.model))
    return fail("no such model file: " + o.model);

  std::string self = llvm::sys::fs::getMainExecutable(argv0, (void *)&ternGenerateMain);
  std::string error;
  std::string soPath;
  std::optional<llvm::FileRemover> removeTemp;
  if (llvm::sys::path::extension(o.model) == ".so") {
    soPath = o.model;
  } else {
    if (o.useCache)
      soPath = cachePath(o.model, self, error);
    if (!error.empty())
      return fail(error);
    if (soPath.empty()) {
      llvm::SmallString<128> tmp;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile("ternc-generate", "so", tmp))
        return fail("cannot create a temporary file: " + ec.message());
      soPath = std::string(tmp);
      removeTemp.emplace(soPath);
    }
    if ((!o.useCache || !llvm::sys::fs::exists(soPath)) &&
        !compileModel(self, o.model, soPath, o.quiet, error))
      return fail(error);
  }
  std::unique_ptr<rt::Model> model = rt::Model::load(soPath, error);
  if (!model)
    return fail(error);

  // Check the decode-step signature.
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
    return fail("not a batch-1 decode step (tokens [1] int64, state [L,1,d] f32 -> logits "
                "[1,V], state): " + sig);
  }
  int64_t vocab = outs[0].shape[1];
  bool bytes = vocab == 256;

  std::vector<int64_t> prompt;
  if (!o.promptIds.empty()) {
    if (!parseIds(o.promptIds, prompt))
      return fail("--prompt-ids expects integers separated by commas or spaces");
  } else if (bytes) {
    for (unsigned char c : o.prompt)
      prompt.push_back(c);
  } else {
    return fail("this model's vocabulary has " + std::to_string(vocab) +
                " tokens, not the 256 bytes ternc generate can tokenize: pass --prompt-ids");
  }
  if (prompt.empty())
    return fail("the prompt is empty");
  for (int64_t t : prompt)
    if (t < 0 || t >= vocab)
      return fail("prompt token " + std::to_string(t) + " is outside [0, " +
                  std::to_string(vocab) + ")");
  bool text = bytes && !o.printIds;

  rt::Array token;
  token.dtype = TERN_I64;
  token.shape = {1};
  token.data.resize(sizeof(int64_t));
  rt::Array state;
  state.dtype = TERN_F32;
  state.shape = ins[1].shape;
  state.data.assign(state.numElements() * sizeof(float), 0);
  std::vector<rt::Array> in(2), out;

  auto step = [&](int64_t id) -> bool {
    std::memcpy(token.data.data(), &id, sizeof id);
    in[0] = token;
    in[1] = std::move(state);
    if (!model->run(in, out, error))
      return false;
    state = std::move(out[1]);
    return true;
  };

  auto start = std::chrono::steady_clock::now();
  for (int64_t t : prompt)
    if (!step(t))
      return fail(error);
  auto afterPrompt = std::chrono::steady_clock::now();
  if (text)
    llvm::outs() << o.prompt;
  else
    for (size_t i = 0; i < prompt.size(); ++i)
      llvm::outs() << (i ? " " : "") << prompt[i];
  llvm::outs().flush();

  std::mt19937_64 rng(o.seed);
  int64_t produced = 0;
  for (int64_t n = 0; n < o.maxNewTokens; ++n) {
    const float *logits = reinterpret_cast<const float *>(out[0].data.data());
    int64_t next = sampleNext(logits, vocab, o.temperature, o.topK, rng);
    if (text)
      llvm::outs() << static_cast<char>(next);
    else
      llvm::outs() << " " << next;
    llvm::outs().flush();
    ++produced;
    if (n + 1 < o.maxNewTokens && !step(next))
      return fail(error);
  }
  llvm::outs() << "\n";
  llvm::outs().flush();
  auto end = std::chrono::steady_clock::now();
  if (!o.quiet) {
    double pt = std::chrono::duration<double>(afterPrompt - start).count();
    double gt = std::chrono::duration<double>(end - afterPrompt).count();
    llvm::errs() << llvm::format("[ternc generate] prompt %zu tokens in %.3f s; %lld tokens "
                                 "in %.3f s (%.1f tokens/s)\n",
                                 prompt.size(), pt, static_cast<long long>(produced), gt,
                                 gt > 0 ? produced / gt : 0.0);
  }
  return 0;
}

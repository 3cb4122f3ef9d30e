//===- OnnxRuntimeBaseline.cpp - onnxruntime next to a decode bench -------===//
//
// onnxruntime has no C++ package on Debian; a Python with it ($TERN_PYTHON, as
// for `ternc generate`, else python3 on PATH) runs it, through the same script
// a user would run by hand (scripts/bench_vs_onnxruntime.py, installed as
// <prefix>/share/tern/scripts/), so both figures come from one ONNX file. No
// source path is compiled in: the build tree mirrors the install's share/.
//
//===----------------------------------------------------------------------===//
#include "OnnxRuntimeBaseline.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"

#include <optional>

extern char **environ;

namespace tern::bench {

namespace {
/// $TERN_PYTHON, else python3 on PATH.
std::string findPython() {
  if (std::optional<std::string> env = llvm::sys::Process::GetEnv("TERN_PYTHON"))
    return *env;
  auto found = llvm::sys::findProgramByName("python3");
  return found ? *found : std::string();
}

/// <prefix>/share/tern/scripts/NAME beside <prefix>/bin/tern-bench.
std::string findScript(llvm::StringRef name) {
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  llvm::SmallString<256> script(llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(script, "share", "tern", "scripts", name);
  return std::string(script);
}

/// This process's environment plus TERN_BUILD_DIR (the build this tern-bench
/// belongs to, so the script compiles with the same ternc).
std::vector<std::string> childEnvironment() {
  std::vector<std::string> env;
  for (char **e = environ; *e; ++e)
    if (llvm::StringRef(*e).starts_with("TERN_BUILD_DIR=") == false)
      env.push_back(*e);
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  // .../build/bin/tern-bench -> .../build
  env.push_back("TERN_BUILD_DIR=" + llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)).str());
  return env;
}
} // namespace

bool runOnnxRuntimeBaseline(const std::string &mode, const std::string &config, int threads,
                            std::vector<std::pair<std::string, std::string>> &fields,
                            std::string &error) {
  if (mode == "off")
    return true;
  if (mode != "auto" && mode != "on") {
    error = "--onnxruntime must be auto, on or off, got '" + mode + "'";
    return false;
  }
  std::string python = findPython();
  std::optional<llvm::StringRef> quiet[] = {std::nullopt, llvm::StringRef(""), llvm::StringRef("")};
  if (python.empty() ||
      llvm::sys::ExecuteAndWait(python, {python, "-c", "import onnxruntime"}, std::nullopt, quiet) != 0) {
    if (mode == "on") {
      error = "onnxruntime is not importable by " + (python.empty() ? "python3" : python) +
              " (set TERN_PYTHON to a Python that has it, or use --onnxruntime off)";
      return false;
    }
    fields.push_back({"onnxruntime", "\"not installed\""});
    return true;
  }
  std::string script = findScript("bench_vs_onnxruntime.py");
  if (!llvm::sys::fs::exists(script)) {
    error = "the onnxruntime baseline script is missing: " + script;
    return false;
  }
  llvm::SmallString<128> out;
  if (llvm::sys::fs::createTemporaryFile("tern-bench-ort", "json", out)) {
    error = "cannot create a temporary file";
    return false;
  }
  llvm::FileRemover remove(out);
  std::vector<std::string> env = childEnvironment();
  std::vector<llvm::StringRef> envRefs(env.begin(), env.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(out), std::nullopt};
  std::string threadText = std::to_string(threads);
  int rc = llvm::sys::ExecuteAndWait(
      python, {python, script, "--config", config, "--threads", threadText}, envRefs, redirects);
  auto text = llvm::MemoryBuffer::getFile(out);
  if (rc != 0 || !text) {
    error = llvm::formatv("{0} failed (exit {1})", script, rc).str();
    return false;
  }
  llvm::StringRef body = (*text)->getBuffer().trim();
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(body.substr(body.rfind('\n') + 1));
  const llvm::json::Object *obj = parsed ? parsed->getAsObject() : nullptr;
  std::optional<double> ort = obj ? obj->getNumber("onnxruntime_tokens_per_s") : std::nullopt;
  std::optional<double> tern = obj ? obj->getNumber("tern_tokens_per_s") : std::nullopt;
  std::optional<double> ratio = obj ? obj->getNumber("vs_onnxruntime") : std::nullopt;
  if (!ort || !tern || !ratio) {
    if (!parsed)
      llvm::consumeError(parsed.takeError());
    error = "unexpected output from " + std::string(script) + ": " + body.str();
    return false;
  }
  auto num = [](double v) { return llvm::formatv("{0:f3}", v).str(); };
  fields.push_back({"onnxruntime_tokens_per_s", num(*ort)});
  fields.push_back({"onnx_tern_tokens_per_s", num(*tern)});
  fields.push_back({"vs_onnxruntime", num(*ratio)});
  return true;
}

} // namespace tern::bench

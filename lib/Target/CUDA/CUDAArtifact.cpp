//===- CUDAArtifact.cpp - nvcc, the device probe, tern-translate hook -----===//
#include "tern/Target/CUDA/CUDATarget.h"

#include "Tern/TernOps.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Tools/Options.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/MemoryBuffer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>

namespace mlir::tern {

std::string findNVCC(llvm::StringRef preferred) {
  if (!preferred.empty())
    return llvm::sys::fs::can_execute(preferred) ? preferred.str() : std::string();
  if (std::optional<std::string> env = llvm::sys::Process::GetEnv("TERN_NVCC"))
    if (llvm::sys::fs::can_execute(*env))
      return *env;
  if (std::optional<std::string> home = llvm::sys::Process::GetEnv("CUDA_HOME")) {
    SmallString<128> p(*home);
    llvm::sys::path::append(p, "bin", "nvcc");
    if (llvm::sys::fs::can_execute(p))
      return std::string(p);
  }
  if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/nvcc"))
    return "/usr/local/cuda/bin/nvcc";
  if (auto found = llvm::sys::findProgramByName("nvcc"))
    return *found;
  return "";
}

static LogicalResult writeBytes(Location loc, StringRef path, const char *data, size_t n) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  os.write(data, n);
  return success();
}

LogicalResult buildCUDALibrary(Location loc, const CUDAModelSource &model, StringRef outputPath,
                               const CUDABuildOptions &options) {
  std::string nvcc = findNVCC(options.nvcc);
  if (nvcc.empty())
    return emitError(loc) << "nvcc not found (looked at $TERN_NVCC, $CUDA_HOME/bin, "
                             "/usr/local/cuda/bin and PATH): install the CUDA toolkit";
  SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("ternc-cuda", dir))
    return emitError(loc) << "cannot create a temporary directory: " << ec.message();
  SmallString<128> cu(dir), weights(dir), log(dir);
  llvm::sys::path::append(cu, "model.cu");
  llvm::sys::path::append(weights, "model.weights");
  llvm::sys::path::append(log, "nvcc.log");
  llvm::scope_exit cleanup([&] {
    if (!options.keepSource)
      llvm::sys::fs::remove_directories(dir);
  });
  if (failed(writeBytes(loc, cu, model.source.data(), model.source.size())) ||
      failed(writeBytes(loc, weights, model.weights.data(), model.weights.size())))
    return failure();
  std::string define = "-DTERN_WEIGHTS_FILE=\"" + std::string(weights) + "\"";
  std::vector<std::string> args = {nvcc, "-shared", "-Xcompiler", "-fPIC", "-O3", "-std=c++17",
                                   "-fmad=false", "-lineinfo", define};
  for (size_t i = 0; i < options.archs.size(); ++i) {
    const std::string &a = options.archs[i];
    args.push_back("-gencode");
    args.push_back("arch=compute_" + a + ",code=sm_" + a);
  }
  // PTX of the newest architecture too, so newer GPUs can JIT it.
  if (!options.archs.empty()) {
    args.push_back("-gencode");
    args.push_back("arch=compute_" + options.archs.back() + ",code=compute_" +
                   options.archs.back());
  }
  for (const std::string &f : options.extraFlags)
    args.push_back(f);
  args.push_back("-o");
  args.push_back(outputPath.str());
  args.push_back(std::string(cu));
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log), StringRef(log)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(nvcc, argRefs, std::nullopt, redirects, 0, 0, &message);
  if (rc != 0) {
    std::string output;
    if (auto buf = llvm::MemoryBuffer::getFile(log))
      output = (*buf)->getBuffer().take_back(4000).str();
    return emitError(loc) << "nvcc failed (exit " << rc << (message.empty() ? "" : ", " + message)
                          << ")" << (options.keepSource ? " on " + std::string(cu) : "")
                          << ":\n" << output;
  }
  return success();
}

static LogicalResult writeText(Location loc, StringRef path, StringRef text) {
  if (path == "-") {
    llvm::outs() << text;
    return success();
  }
  return writeBytes(loc, path, text.data(), text.size());
}

LogicalResult compileForCUDA(ModuleOp module, StringRef kind, StringRef outputPath,
                             const CUDABuildOptions &options, llvm::raw_ostream *pipelineLog,
                             llvm::function_ref<void(StringRef)> progress) {
  Location loc = module.getLoc();
  FailureOr<func::FuncOp> fn = findCUDAModelFunction(module);
  if (failed(fn))
    return failure();
  if (kind == "header") {
    FailureOr<ModelSignature> sig = getModelSignature(*fn);
    if (failed(sig))
      return failure();
    return writeText(loc, outputPath, emitModelHeader(*sig));
  }
  progress("lowering to kernels (tern-cuda-prepare)");
  PassManager pm(module->getContext());
  buildCUDAPreparePipeline(pm);
  if (pipelineLog) {
    *pipelineLog << "// tern-cuda-prepare:\n";
    pm.printAsTextualPipeline(*pipelineLog);
    *pipelineLog << "\n";
  }
  if (failed(pm.run(module)))
    return failure();
  if (kind == "mlir") {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeText(loc, outputPath, text);
  }
  progress("emitting CUDA C++");
  CUDAEmitOptions emitOptions;
  emitOptions.mac = options.mac;
  SmallString<128> weightsPath(outputPath);
  llvm::sys::path::replace_extension(weightsPath, "weights");
  if (kind == "cu") {
    SmallString<128> abs(weightsPath);
    llvm::sys::fs::make_absolute(abs);
    emitOptions.weightsPath = std::string(abs);
  }
  FailureOr<ModelSignature> sig = getModelSignature(*fn);
  if (failed(sig))
    return failure();
  FailureOr<CUDAModelSource> model = emitCUDAModel(*fn, emitOptions);
  if (failed(model))
    return failure();
  if (kind == "cu") {
    if (outputPath == "-")
      return emitError(loc) << "--emit=cu needs -o FILE.cu (the weights go next to it)";
    return failure(failed(writeText(loc, outputPath, model->source)) ||
                   failed(writeBytes(loc, weightsPath, model->weights.data(),
                                     model->weights.size())));
  }
  if (kind != "so")
    return emitError(loc) << "unknown CUDA output kind '" << kind << "' (so, cu, mlir, header)";
  progress(("compiling " + std::to_string(model->numLaunches) +
            " kernel launches with nvcc (sm_" + llvm::join(options.archs, ", sm_") + ")")
               .c_str());
  if (failed(buildCUDALibrary(loc, *model, outputPath, options)))
    return failure();
  SmallString<128> header(outputPath);
  llvm::sys::path::replace_extension(header, "h");
  return writeText(loc, header, emitModelHeader(*sig));
}

int countCUDADevices(std::string &why) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    why = "no CUDA driver (libcuda.so.1 cannot be loaded)";
    return 0;
  }
  using InitFn = int (*)(unsigned);
  using CountFn = int (*)(int *);
  auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
  auto count = reinterpret_cast<CountFn>(dlsym(lib, "cuDeviceGetCount"));
  int n = 0;
  if (!init || !count) {
    why = "the CUDA driver lacks cuInit/cuDeviceGetCount";
  } else if (int rc = init(0)) {
    why = "cuInit failed with CUDA driver error " + std::to_string(rc) +
          (rc == 100 ? " (no CUDA-capable device is detected)" : "");
  } else if (int rc2 = count(&n)) {
    why = "cuDeviceGetCount failed with CUDA driver error " + std::to_string(rc2);
    n = 0;
  } else if (n == 0) {
    why = "the CUDA driver reports 0 devices";
  }
  dlclose(lib);
  return n;
}

static llvm::cl::opt<CUDAMac, false, ::tern::ChoiceParser<CUDAMac>> clTranslateMac(
    "tern-cuda-mac", llvm::cl::desc("--tern-to-cuda: ternary MAC of the GEMV kernels"),
    llvm::cl::init(CUDAMac::DP4A), getCUDAMacValues());

void registerCUDATranslation() {
  static TranslateFromMLIRRegistration reg(
      "tern-to-cuda",
      "Tern CUDA backend: a module prepared by tern-cuda-prepare to CUDA C++ (kernels + host "
      "launcher); weights are referenced through TERN_WEIGHTS_FILE",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError("expected a module");
        FailureOr<func::FuncOp> fn = findCUDAModelFunction(module);
        if (failed(fn))
          return failure();
        CUDAEmitOptions options;
        options.mac = clTranslateMac;
        FailureOr<CUDAModelSource> model = emitCUDAModel(*fn, options);
        if (failed(model))
          return failure();
        os << model->source;
        return success();
      },
      [](DialectRegistry &registry) {
        registry.insert<TernDialect, arith::ArithDialect, func::FuncDialect,
                        linalg::LinalgDialect, math::MathDialect, scf::SCFDialect,
                        tensor::TensorDialect>();
      });
}

} // namespace mlir::tern

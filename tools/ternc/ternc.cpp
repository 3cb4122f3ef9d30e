//===- ternc.cpp - the Tern compiler driver -------------------------------===//
//
//   ternc compile MODEL (.onnx | .onnxtxt | .mlir) --target=cpu -o model.so
//   ternc run MODEL --input=@a.npy ... [--output=@y.npy ...]
//
// The driver only assembles registered pipelines (see lib/Target).
//
//===----------------------------------------------------------------------===//
#include "Tern/TernOps.h"
#include "tern/InitAllPasses.h"
#include "tern/Runtime/Model.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Target/HLS/HLSTarget.h"
#ifdef TERN_HAVE_ONNX_IMPORT
#include "tern/Import/ONNX/ImportONNX.h"
#endif

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <cstring>

using namespace mlir;
namespace cl = llvm::cl;
namespace rt = ::tern::runtime;
namespace mt = mlir::tern;

static cl::OptionCategory ternCategory("ternc options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx | model.onnxtxt | model.mlir>"),
                                      cl::Required, cl::cat(ternCategory));
static cl::opt<std::string> target("target", cl::desc("Backend: cpu or cuda"), cl::init("cpu"),
                                   cl::cat(ternCategory));
static cl::opt<std::string> cudaMac(
    "cuda-mac",
    cl::desc("--target=cuda ternary MAC: auto (= dp4a), dp4a (offset codes c=t+1 through the "
             "int8 dot product), select (multiply-free: bit-plane masks, AND/XOR, byte adds)"),
    cl::init("auto"), cl::cat(ternCategory));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"), cl::value_desc("path"),
                                       cl::cat(ternCategory));
static cl::opt<std::string> emit("emit",
                                 cl::desc("compile output: so (default), obj, asm, llvm, mlir, header; "
                                          "--target=cuda: so, cu, mlir, header"),
                                 cl::init("so"), cl::cat(ternCategory));
static cl::opt<std::string> mlirStage(
    "mlir-stage", cl::desc("with --emit=mlir: imported, tern (default), linalg or llvm"),
    cl::init("tern"), cl::cat(ternCategory));
static cl::opt<std::string> cpu("cpu", cl::desc("Target CPU (default: native, the host)"),
                                cl::init("native"), cl::cat(ternCategory));
static cl::opt<std::string> targetFeatures("target-features",
                                           cl::desc("Extra target features, e.g. +avx2,-avx512f"),
                                           cl::cat(ternCategory));
static cl::opt<std::string> ternaryKernel(
    "ternary-kernel",
    cl::desc("CPU ternary kernels: auto (vnni with AVX-512 VNNI, else avxvnni with AVX-VNNI, "
             "else select), vnni, vnni-base3 (1.6-bit weights), avxvnni, lut (vpshufb lookup "
             "tables, multiply-free), select (vectorized, multiply-free), portable "
             "(scalar select/add/sub)"),
    cl::init("auto"), cl::cat(ternCategory));
static cl::list<std::string> dims("dim", cl::desc("Value of a symbolic input dimension: NAME=N"),
                                  cl::cat(ternCategory));
static cl::opt<bool> reportFusion("report-fusion",
                                  cl::desc("Report which layers were fused into tern ops and why not"),
                                  cl::cat(ternCategory));
static cl::opt<bool> printPipeline("print-pipeline", cl::desc("Print the pass pipelines that run"),
                                   cl::cat(ternCategory));
static cl::opt<bool> quiet("quiet", cl::desc("No progress messages"), cl::cat(ternCategory));
// --target=hls / hls-csim (lib/Target/HLS).
static cl::opt<int64_t> hlsPE("hls-pe", cl::desc("hls: ternary output rows per cycle (PE array)"),
                              cl::init(1), cl::cat(ternCategory));
static cl::opt<int64_t> hlsSIMD("hls-simd",
                                cl::desc("hls: packed weight bytes per row per cycle (4 trits "
                                         "each); element-wise lanes"),
                                cl::init(1), cl::cat(ternCategory));
static cl::opt<bool> hlsShare("hls-share",
                             cl::desc("hls: one instance per distinct stage, reused across "
                                      "layers (sequential top) instead of a dataflow of all"),
                             cl::cat(ternCategory));
static cl::opt<std::string> hlsIO("hls-io",
                                  cl::desc("hls: token I/O ports, m_axi (default) or axis "
                                           "(AXI4-Stream; weights stay m_axi)"),
                                  cl::init("m_axi"), cl::cat(ternCategory));
static cl::opt<std::string> hlsMath("hls-math", cl::desc("hls: element-wise math, float or fixed"),
                                    cl::init("float"), cl::cat(ternCategory));
static cl::opt<std::string> hlsPart("hls-part", cl::desc("hls: FPGA part for run_hls.tcl/hls_config.cfg"),
                                    cl::init("xcu280-fsvh2892-2L-e"), cl::cat(ternCategory));
static cl::opt<double> hlsClock("hls-clock-mhz", cl::desc("hls: target clock in MHz"),
                                cl::init(300.0), cl::cat(ternCategory));
static cl::opt<int64_t> hlsRomThreshold(
    "hls-rom-threshold", cl::desc("hls: constants with more elements go to DDR weight ports"),
    cl::init(4096), cl::cat(ternCategory));
static cl::opt<std::string> hlsCXX("hls-cxx", cl::desc("hls-csim: host C++ compiler"),
                                   cl::init("g++"), cl::cat(ternCategory));
static cl::list<std::string> inputs("input", cl::desc("run: an input, @file.npy, in graph order"),
                                    cl::cat(ternCategory));
static cl::list<std::string> outputs("output",
                                     cl::desc("run: where to write an output, @file.npy, in graph order"),
                                     cl::cat(ternCategory));

namespace {

/// Progress on a terminal, with elapsed time (silenced by --quiet).
class Progress {
public:
  Progress() : enabled(!quiet && llvm::sys::Process::StandardErrIsDisplayed()) {}
  void step(StringRef what) {
    if (!enabled)
      return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << llvm::format("[ternc %6.1fs] ", s) << what << "\n";
  }

private:
  bool enabled;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

int fail(const Twine &message) {
  llvm::errs() << "ternc: error: " << message << "\n";
  return 1;
}

OwningOpRef<ModuleOp> loadModel(MLIRContext &ctx, llvm::SourceMgr &sourceMgr,
                                const std::vector<rt::Array> *givenInputs = nullptr) {
  StringRef ext = llvm::sys::path::extension(modelPath);
  if (ext == ".mlir")
    return parseSourceFile<ModuleOp>(modelPath, sourceMgr, &ctx);
#ifdef TERN_HAVE_ONNX_IMPORT
  mt::ONNXImportOptions options;
  for (const std::string &d : dims) {
    auto [name, value] = StringRef(d).split('=');
    int64_t n = 0;
    if (name.empty() || value.getAsInteger(10, n) || n <= 0) {
      fail("--dim expects NAME=N with N > 0, got '" + d + "'");
      return nullptr;
    }
    options.dimValues[name] = n;
  }
  // `ternc run` binds symbolic dimensions (a batch, a sequence length) from
  // the arrays it was given.
  if (givenInputs)
    for (const rt::Array &a : *givenInputs)
      options.inputShapes.push_back(a.shape);
  return mt::importONNXFile(modelPath, &ctx, options);
#else
  fail("this ternc was built without the ONNX importer; give a .mlir file");
  return nullptr;
#endif
}

LogicalResult runPipeline(ModuleOp module, function_ref<void(OpPassManager &)> build,
                          StringRef name) {
  PassManager pm(module->getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  build(pm);
  if (printPipeline) {
    llvm::errs() << "// " << name << ":\n";
    pm.printAsTextualPipeline(llvm::errs());
    llvm::errs() << "\n";
  }
  return pm.run(module);
}

mt::CPUCodegenOptions codegenOptions() {
  mt::CPUCodegenOptions options;
  options.cpu = cpu;
  options.features = targetFeatures;
  return options;
}

/// Everything up to the LLVM dialect; `stopAfter` ends early for --emit=mlir.
LogicalResult lowerForCPU(ModuleOp module, StringRef stopAfter, mt::ModelSignature &sig,
                          Progress &progress, bool indexChecks = true) {
  if (stopAfter == "imported")
    return success();
#ifdef TERN_HAVE_ONNX_IMPORT
  progress.step("recognizing ternary layers and legalizing ONNX ops");
  if (failed(runPipeline(module,
                         [&](OpPassManager &pm) {
                           mt::buildONNXToTernPipeline(pm, reportFusion, indexChecks);
                         },
                         "onnx-to-tern")))
    return failure();
#endif
  if (stopAfter == "tern")
    return success();
  FailureOr<mt::ModelSignature> s = mt::prepareModelFunction(module);
  if (failed(s))
    return failure();
  sig = *s;
  FailureOr<mt::TernaryKernel> kernel =
      mt::selectTernaryKernel(module.getLoc(), ternaryKernel, codegenOptions());
  if (failed(kernel))
    return failure();
  progress.step(("lowering ternary layers (" + mt::stringifyTernaryKernel(*kernel) + " kernels)").str());
  if (failed(runPipeline(
          module, [&](OpPassManager &pm) { mt::buildCPUTernToLinalgPipeline(pm, *kernel); },
          "tern-cpu-to-linalg")))
    return failure();
  if (stopAfter == "linalg")
    return success();
  progress.step("bufferizing and lowering to LLVM");
  return runPipeline(
      module, [&](OpPassManager &pm) { mt::buildCPULinalgToLLVMPipeline(pm, *kernel); },
      "tern-cpu-lower-to-llvm");
}

LogicalResult writeFile(StringRef path, StringRef contents) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file)
    return emitError(UnknownLoc::get(nullptr), error), failure();
  file->os() << contents;
  file->keep();
  return success();
}

/// Compiles the lowered module into a shared library at `soPath`.
LogicalResult buildLibrary(ModuleOp module, const mt::ModelSignature &sig, StringRef soPath,
                           Progress &progress) {
  progress.step("generating machine code and linking");
  return mt::buildModelLibrary(module, sig, codegenOptions(), soPath);
}

/// The CUDA backend: tern level -> tern-cuda-prepare -> CUDA C++ -> nvcc
/// (see lib/Target/CUDA); `kind` is so, cu, mlir or header.
LogicalResult buildCUDA(ModuleOp module, StringRef out, StringRef kind, Progress &progress) {
  mt::ModelSignature sig;
  if (failed(lowerForCPU(module, "tern", sig, progress, /*indexChecks=*/false)))
    return failure();
  mt::CUDABuildOptions options;
  FailureOr<mt::CUDAMac> mac = mt::parseCUDAMac(cudaMac);
  if (failed(mac))
    return fail("unknown --cuda-mac '" + cudaMac + "' (auto, dp4a, select)"), failure();
  options.mac = *mac;
  return mt::compileForCUDA(module, kind, out, options, printPipeline ? &llvm::errs() : nullptr,
                            [&](StringRef s) { progress.step(s); });
}

int compileCUDACommand(MLIRContext &ctx) {
  std::string kind = emit;
  static const char *kinds[] = {"so", "cu", "mlir", "header"};
  if (!llvm::is_contained(kinds, StringRef(kind)))
    return fail("unknown --emit '" + kind + "' for --target=cuda (so, cu, mlir, header)");
  if (outputPath.empty() && kind != "mlir" && kind != "header")
    return fail("compile needs -o OUTPUT");
  Progress progress;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr);
  if (!module)
    return 1;
  std::string out = outputPath.empty() ? "-" : outputPath.getValue();
  if (failed(buildCUDA(*module, out, kind, progress)))
    return 1;
  progress.step("wrote " + out);
  return 0;
}

void printSummary(const rt::TensorInfo &info, const rt::Array &a);

/// The HLS backend (lib/Target/HLS): tern level -> tern-hls-to-loops -> an
/// HLS C++ package in a directory; `run` also builds and runs its C simulation.
int hlsCommand(MLIRContext &ctx, bool run) {
  std::vector<rt::Array> in;
  for (const std::string &spec : inputs) {
    rt::Array a;
    std::string error;
    if (spec.empty() || spec[0] != '@')
      return fail("--input expects @FILE.npy, got '" + spec + "'");
    if (!rt::readNpy(spec.substr(1), a, error))
      return fail(error);
    in.push_back(std::move(a));
  }
  if (hlsMath != "float" && hlsMath != "fixed")
    return fail("--hls-math must be float or fixed");
  if (hlsIO != "m_axi" && hlsIO != "axis")
    return fail("--hls-io must be m_axi or axis");
  if (hlsPE < 1 || hlsSIMD < 1 || hlsClock <= 0)
    return fail("--hls-pe and --hls-simd must be >= 1, --hls-clock-mhz > 0");
  if (!run && outputPath.empty())
    return fail("compile --target=hls needs -o DIR (the package directory)");
  Progress progress;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr, run ? &in : nullptr);
  if (!module)
    return 1;
  mt::ModelSignature unused;
  if (failed(lowerForCPU(*module, "tern", unused, progress, /*indexChecks=*/false)))
    return 1;
  mt::HLSCompileOptions options;
  options.pipeline.pe = hlsPE;
  options.pipeline.simd = hlsSIMD;
  options.pipeline.romThreshold = hlsRomThreshold;
  options.pipeline.share = hlsShare;
  options.package.math = hlsMath == "fixed" ? mt::HLSMath::Fixed : mt::HLSMath::Float;
  options.package.part = hlsPart;
  options.package.axisIO = hlsIO == "axis";
  options.package.clockMHz = hlsClock;
  options.package.modelName = llvm::sys::path::stem(modelPath).str();
  options.printPipeline = printPipeline ? &llvm::errs() : nullptr;
  options.progress = [&](StringRef s) { progress.step(s); };
  SmallString<128> dir(outputPath.getValue());
  if (run && dir.empty())
    if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("ternc-hls", dir))
      return fail("cannot create a temporary directory: " + ec.message());
  FailureOr<mt::ModelSignature> sig = mt::compileHLSPackage(*module, dir, options);
  if (failed(sig))
    return 1;
  if (!in.empty() && failed(mt::writeHLSInputs(*module, dir, in)))
    return 1;
  if (!run) {
    progress.step("wrote the HLS package " + std::string(dir));
    return 0;
  }
  if (!outputs.empty() && outputs.size() != sig->outputs.size())
    return fail("the model has " + Twine(sig->outputs.size()) + " outputs, got " +
                Twine(outputs.size()) + " --output flags");
  progress.step("C simulation with " + hlsCXX);
  std::vector<rt::Array> out;
  if (failed(mt::runHLSCSim(*module, *sig, dir, hlsCXX, out)))
    return 1;
  std::string error;
  for (size_t i = 0; i < out.size(); ++i) {
    if (outputs.empty()) {
      printSummary(rt::TensorInfo{sig->outputs[i].name, sig->outputs[i].dtype, sig->outputs[i].shape}, out[i]);
      continue;
    }
    if (!rt::writeNpy(outputs[i].substr(1), out[i], error))
      return fail(error);
  }
  if (outputPath.empty())
    llvm::sys::fs::remove_directories(dir);
  return 0;
}

int compileCommand(MLIRContext &ctx) {
  if (target == "hls")
    return hlsCommand(ctx, false);
  if (target == "cuda")
    return compileCUDACommand(ctx);
  if (target != "cpu")
    return fail("unknown --target '" + target + "' (available: cpu, cuda)");
  if (outputPath.empty() && emit != "mlir" && emit != "llvm" && emit != "asm" && emit != "header")
    return fail("compile needs -o OUTPUT");
  static const char *kinds[] = {"so", "obj", "asm", "llvm", "mlir", "header"};
  if (!llvm::is_contained(kinds, StringRef(emit)))
    return fail("unknown --emit '" + emit + "' (so, obj, asm, llvm, mlir, header)");
  Progress progress;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr);
  if (!module)
    return 1;
  std::string stopAfter = emit == "mlir" ? mlirStage.getValue() : std::string("llvm");
  static const char *stages[] = {"imported", "tern", "linalg", "llvm"};
  if (!llvm::is_contained(stages, StringRef(stopAfter)))
    return fail("unknown --mlir-stage '" + stopAfter + "' (imported, tern, linalg, llvm)");
  mt::ModelSignature sig;
  if (failed(lowerForCPU(*module, emit == "header" ? "tern" : stopAfter, sig, progress)))
    return 1;
  std::string out = outputPath.empty() ? "-" : outputPath.getValue();
  if (emit == "header") {
    FailureOr<mt::ModelSignature> s = mt::prepareModelFunction(*module);
    if (failed(s))
      return 1;
    return failed(writeFile(out, mt::emitModelHeader(*s)));
  }
  if (emit == "mlir") {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return failed(writeFile(out, text));
  }
  if (emit == "so") {
    if (failed(buildLibrary(*module, sig, out, progress)))
      return 1;
    // The generated header sits next to the library: model.so -> model.h.
    SmallString<128> header(out);
    llvm::sys::path::replace_extension(header, "h");
    if (failed(writeFile(header, mt::emitModelHeader(sig))))
      return 1;
    progress.step("wrote " + out + " and " + std::string(header));
    return 0;
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(out, ec);
  if (ec)
    return fail("cannot write " + out + ": " + ec.message());
  mt::CPUCodegenOptions options = codegenOptions();
  auto kind = emit == "obj" ? mt::CPUEmitKind::Object
              : emit == "asm" ? mt::CPUEmitKind::Assembly
                              : mt::CPUEmitKind::LLVMIR;
  return failed(mt::emitCPUCode(*module, options, kind, os));
}

/// Shape, dtype and a value summary of an output (when no --output is given).
void printSummary(const rt::TensorInfo &info, const rt::Array &a) {
  llvm::outs() << info.name << ": " << rt::describe(a.shape, a.dtype);
  int64_t n = a.numElements();
  auto value = [&](int64_t i) -> double {
    const char *p = a.data.data();
    switch (a.dtype) {
    case TERN_F32: return reinterpret_cast<const float *>(p)[i];
    case TERN_F64: return reinterpret_cast<const double *>(p)[i];
    case TERN_I64: return static_cast<double>(reinterpret_cast<const int64_t *>(p)[i]);
    case TERN_I32: return reinterpret_cast<const int32_t *>(p)[i];
    case TERN_I8: return reinterpret_cast<const int8_t *>(p)[i];
    case TERN_BOOL: return reinterpret_cast<const uint8_t *>(p)[i];
    }
    return 0;
  };
  if (n > 0) {
    double lo = value(0), hi = value(0), sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, value(i));
      hi = std::max(hi, value(i));
      sum += value(i);
    }
    llvm::outs() << llvm::format("  min %g max %g mean %g\n  [", lo, hi, sum / n);
    for (int64_t i = 0; i < std::min<int64_t>(n, 8); ++i)
      llvm::outs() << (i ? ", " : "") << llvm::format("%g", value(i));
    llvm::outs() << (n > 8 ? ", ...]" : "]");
  }
  llvm::outs() << "\n";
}

int runCommand(MLIRContext &ctx) {
  if (target == "hls-csim")
    return hlsCommand(ctx, true);
  if (target != "cpu" && target != "cuda")
    return fail("unknown --target '" + target + "' for run (available: cpu, cuda)");
  if (target == "cuda") {
    std::string why;
    if (mt::countCUDADevices(why) == 0)
      return fail("no CUDA GPU found (" + why + "): `ternc run --target=cuda` needs an NVIDIA "
                  "GPU; `ternc compile --target=cuda` works without one");
  }
  std::vector<rt::Array> in;
  for (const std::string &spec : inputs) {
    if (spec.empty() || spec[0] != '@')
      return fail("--input expects @FILE.npy, got '" + spec + "'");
    rt::Array a;
    std::string error;
    if (!rt::readNpy(spec.substr(1), a, error))
      return fail(error);
    in.push_back(std::move(a));
  }
  llvm::StringMap<size_t> outputFiles; // absolute path -> its --output position
  for (auto [i, spec] : llvm::enumerate(outputs)) {
    if (spec.empty() || spec[0] != '@')
      return fail("--output expects @FILE.npy, got '" + spec + "'");
    SmallString<256> abs(StringRef(spec).substr(1));
    llvm::sys::fs::make_absolute(abs);
    llvm::sys::path::remove_dots(abs, /*remove_dot_dot=*/true);
    auto [it, fresh] = outputFiles.try_emplace(abs, i);
    if (!fresh)
      return fail("--output " + Twine(i) + " and --output " + Twine(it->second) +
                  " name the same file '" + spec.substr(1) + "'");
  }

  Progress progress;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr, &in);
  if (!module)
    return 1;
  SmallString<128> soPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("ternc-model", "so", soPath))
    return fail("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeSo(soPath);
  SmallString<128> headerPath(soPath);
  llvm::sys::path::replace_extension(headerPath, "h");
  llvm::FileRemover removeHeader(target == "cuda" ? headerPath.str() : "");
  if (target == "cuda") {
    if (failed(buildCUDA(*module, soPath, "so", progress)))
      return 1;
  } else {
    mt::ModelSignature sig;
    if (failed(lowerForCPU(*module, "llvm", sig, progress)))
      return 1;
    if (failed(buildLibrary(*module, sig, soPath, progress)))
      return 1;
  }
  std::string error;
  std::unique_ptr<rt::Model> model = rt::Model::load(std::string(soPath), error);
  if (!model)
    return fail(error);
  if (!outputs.empty() && outputs.size() != model->outputs().size())
    return fail("the model has " + Twine(model->outputs().size()) + " outputs, got " +
                Twine(outputs.size()) + " --output flags");
  std::vector<rt::Array> out;
  progress.step("running");
  if (!model->run(in, out, error))
    return fail(error);
  for (size_t i = 0; i < out.size(); ++i) {
    if (outputs.empty()) {
      printSummary(model->outputs()[i], out[i]);
      continue;
    }
    if (!rt::writeNpy(outputs[i].substr(1), out[i], error))
      return fail(error);
  }
  return 0;
}

} // namespace

// `ternc generate`: tools/ternc/Generate.cpp (parses its own arguments).
int ternGenerateMain(int argc, char **argv, const char *argv0);

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  auto usage = [] {
    llvm::errs() << "usage: ternc compile MODEL --target=cpu|cuda -o OUT [--emit=...]\n"
                    "       ternc run MODEL --input=@a.npy ... [--output=@y.npy ...]\n"
                    "       ternc generate [MODEL] [--prompt TEXT] [-n N] [--temperature T] [--top-k K]\n"
                    "       ternc {compile|run|generate} --help\n";
    return 1;
  };
  if (argc < 2)
    return usage();
  StringRef command = argv[1];
  if (command == "generate")
    return ternGenerateMain(argc - 2, argv + 2, argv[0]);
  if (command != "compile" && command != "run")
    return usage();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  mt::registerAllTernPasses();
  // Argument 0 names the program and subcommand, so help reads "ternc run".
  std::string program = std::string("ternc ") + command.str();
  std::vector<const char *> args = {program.c_str()};
  args.insert(args.end(), argv + 2, argv + argc);
  cl::HideUnrelatedOptions(ternCategory);
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                                   "Tern: compiler for ternary MatMul-free language models\n"))
    return 1;

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<mt::TernDialect>();
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  return command == "compile" ? compileCommand(ctx) : runCommand(ctx);
}

//===- ternc.cpp - the Tern compiler driver -------------------------------===//
//
//   ternc compile MODEL (.onnx | .onnxtxt | .mlir) --target=cpu -o model.so
//   ternc run MODEL --input=@a.npy ... [--output=@y.npy ...]
//
// The driver only assembles registered pipelines (see lib/Target).
//
//===----------------------------------------------------------------------===//
#include "tern/Runtime/Model.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Target/CPU/CPUTargetInfo.h"
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Target/HLS/HLSTarget.h"
#include "tern/Tools/Options.h"
#include "tern/Tools/ToolSetup.h"
#include "tern/Tools/Version.h"
#ifdef TERN_HAVE_ONNX_IMPORT
#include "tern/Import/ONNX/ImportONNX.h"
#endif

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <unistd.h>

using namespace mlir;
namespace cl = llvm::cl;
namespace rt = ::tern::runtime;
namespace mt = mlir::tern;

static cl::OptionCategory ternCategory("ternc options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx | model.onnxtxt | model.mlir>"),
                                      cl::Required, cl::cat(ternCategory));
enum class TargetKind { CPU, CUDA, HLS, HLSCSim };
static cl::opt<TargetKind, false, ::tern::ChoiceParser<TargetKind>> target(
    "target", cl::desc("Backend"), cl::init(TargetKind::CPU),
    cl::values(clEnumValN(TargetKind::CPU, "cpu", "a shared library for this CPU (default)"),
               clEnumValN(TargetKind::CUDA, "cuda", "CUDA C++ built by nvcc into a shared library"),
               clEnumValN(TargetKind::HLS, "hls", "compile: an HLS C++ package (a directory)"),
               clEnumValN(TargetKind::HLSCSim, "hls-csim",
                          "run: the HLS package's C simulation, built with --hls-cxx")),
    cl::cat(ternCategory));
static cl::opt<mt::CUDAMac, false, ::tern::ChoiceParser<mt::CUDAMac>> cudaMac(
    "cuda-mac", cl::desc("--target=cuda ternary MAC"), cl::init(mt::CUDAMac::DP4A),
    mt::getCUDAMacValues(), cl::cat(ternCategory));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"), cl::value_desc("path"),
                                       cl::cat(ternCategory));
enum class EmitKind { SO, Obj, Asm, LLVM, MLIR, Header, Wrapper, CU };
static cl::opt<EmitKind, false, ::tern::ChoiceParser<EmitKind>> emit(
    "emit", cl::desc("compile output"), cl::init(EmitKind::SO),
    cl::values(clEnumValN(EmitKind::SO, "so", "a shared library and its header (default)"),
               clEnumValN(EmitKind::Obj, "obj", "cpu: an object file (link it with --emit=wrapper)"),
               clEnumValN(EmitKind::Asm, "asm", "cpu: assembly"),
               clEnumValN(EmitKind::LLVM, "llvm", "cpu: LLVM IR"),
               clEnumValN(EmitKind::MLIR, "mlir", "MLIR at --mlir-stage (cuda: the prepared module)"),
               clEnumValN(EmitKind::Header, "header", "the C header of the model's ABI"),
               clEnumValN(EmitKind::Wrapper, "wrapper",
                          "cpu: the C source of the ABI wrapper to link with obj"),
               clEnumValN(EmitKind::CU, "cu", "cuda: the CUDA C++ source")),
    cl::cat(ternCategory));
/// How far `compile --emit=mlir` lowers, in pipeline order.
enum class MLIRStage { Imported, Tern, Linalg, LLVM };
static cl::opt<MLIRStage, false, ::tern::ChoiceParser<MLIRStage>> mlirStage(
    "mlir-stage", cl::desc("with --emit=mlir: the stage to print"), cl::init(MLIRStage::Tern),
    cl::values(clEnumValN(MLIRStage::Imported, "imported", "the onnx dialect, as imported"),
               clEnumValN(MLIRStage::Tern, "tern", "ternary layers recognized as tern ops (default)"),
               clEnumValN(MLIRStage::Linalg, "linalg", "ternary layers lowered for the CPU kernel"),
               clEnumValN(MLIRStage::LLVM, "llvm", "the LLVM dialect")),
    cl::cat(ternCategory));
static cl::opt<std::string> targetTriple(
    "target-triple",
    cl::desc("CPU target triple, e.g. aarch64-linux-gnu (default: the host's); `run` on another "
             "architecture runs the model under qemu-user"),
    cl::cat(ternCategory));
static cl::opt<std::string> cpu("cpu",
                                cl::desc("Target CPU, any LLVM knows for the triple (e.g. znver3, "
                                         "sapphirerapids, neoverse-n1); its features are derived "
                                         "(default: native on the host's architecture, else generic)"),
                                cl::cat(ternCategory));
static cl::opt<std::string> targetFeatures("target-features",
                                           cl::desc("Target feature changes on top of --cpu, e.g. "
                                                    "+avx2,-avx512f or +dotprod"),
                                           cl::cat(ternCategory));
static cl::opt<std::string> linker("linker",
                                   cl::desc("C compiler driver that links model libraries (default: "
                                            "clang-22 for the host, TRIPLE-gcc for other triples; "
                                            "a clang gets --target=TRIPLE)"),
                                   cl::cat(ternCategory));
static cl::opt<std::string> sysroot("sysroot",
                                    cl::desc("Target sysroot for --linker and qemu-user (default: "
                                             "the linker's own; /usr/TRIPLE for qemu)"),
                                    cl::cat(ternCategory));
static cl::opt<std::string> qemu("qemu",
                                 cl::desc("run on another architecture: the qemu-user program "
                                          "(default: qemu-ARCH on PATH)"),
                                 cl::cat(ternCategory));
// The choices are the kernel table's (TernaryKernels.cpp), added in main():
// a kernel's TernaryKernelKind, or Auto.
enum class KernelChoice : int { Auto = -1 };
static cl::opt<KernelChoice, false, ::tern::ChoiceParser<KernelChoice>> ternaryKernel(
    "ternary-kernel", cl::desc("CPU ternary kernel"), cl::init(KernelChoice::Auto),
    cl::values(clEnumValN(KernelChoice::Auto, "auto", "the best the target allows (default)")),
    cl::cat(ternCategory));
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
                                      "layers (sequential top; the default, for batch-1 decode)"),
                             cl::init(true), cl::cat(ternCategory));
static cl::opt<bool> hlsDataflow("hls-dataflow",
                                 cl::desc("hls: a DATAFLOW region of every stage instead of "
                                          "shared stages (overrides --hls-share)"),
                                 cl::cat(ternCategory));
enum class HLSWeights { HBM, DDR, OnChip };
static cl::opt<HLSWeights, false, ::tern::ChoiceParser<HLSWeights>> hlsWeights(
    "hls-weights", cl::desc("hls: where the weights live"),
    cl::values(clEnumValN(HLSWeights::HBM, "hbm",
                          "HBM (default): one m_axi bundle per engine, spread over the "
                          "pseudo-channels"),
               clEnumValN(HLSWeights::DDR, "ddr", "DDR4: bundles spread over the DDR channels"),
               clEnumValN(HLSWeights::OnChip, "onchip",
                          "on-chip block-RAM ROMs (small models; refused when they do not fit)")),
    cl::init(HLSWeights::HBM), cl::cat(ternCategory));
enum class HLSPlatform { U280, U55C };
static cl::opt<HLSPlatform, false, ::tern::ChoiceParser<HLSPlatform>> hlsPlatform(
    "hls-platform", cl::desc("hls: the board, for connectivity.cfg and the bank limits"),
    cl::init(HLSPlatform::U280),
    cl::values(clEnumValN(HLSPlatform::U280, "u280", "Alveo U280: HBM and DDR (default)"),
               clEnumValN(HLSPlatform::U55C, "u55c", "Alveo U55C: HBM only")),
    cl::cat(ternCategory));
static cl::opt<bool> hlsGoldens("hls-goldens",
                                cl::desc("hls: write tb_data/ inputs and the CPU backend's "
                                         "goldens (default on)"),
                                cl::init(true), cl::cat(ternCategory));
enum class HLSIO { MAxi, Axis };
static cl::opt<HLSIO, false, ::tern::ChoiceParser<HLSIO>> hlsIO(
    "hls-io", cl::desc("hls: token I/O ports"), cl::init(HLSIO::MAxi),
    cl::values(clEnumValN(HLSIO::MAxi, "m_axi", "AXI4 memory-mapped (default)"),
               clEnumValN(HLSIO::Axis, "axis", "AXI4-Stream beats with TLAST, state kept on chip")),
    cl::cat(ternCategory));
static cl::opt<mt::HLSMath, false, ::tern::ChoiceParser<mt::HLSMath>> hlsMath(
    "hls-math", cl::desc("hls: element-wise math"), cl::init(mt::HLSMath::Float),
    cl::values(clEnumValN(mt::HLSMath::Float, "float", "fp32 (default)"),
               clEnumValN(mt::HLSMath::Fixed, "fixed", "ap_fixed")),
    cl::cat(ternCategory));
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
static cl::list<std::string> constInputs(
    "const-input",
    cl::desc("compile: a graph input that becomes a constant, NAME=@FILE.npy (e.g. a shape "
             "operand given as an input)"),
    cl::cat(ternCategory));
static cl::list<std::string> outputs("output",
                                     cl::desc("run: where to write an output, @file.npy, in graph order"),
                                     cl::cat(ternCategory));

namespace {

/// The stages of a compile on stderr, with elapsed time (silenced by --quiet).
/// On a terminal, one line rewritten in place ("\r[ternc 12.3s] 3/5 lowering
/// ..."), which stays on screen once done; elsewhere (a log, a pipe) one plain
/// line per stage, so a log shows where a long compile spent its time.
class Progress {
public:
  /// `total`: the stages this command expects (it grows if more come).
  explicit Progress(int total)
      : enabled(!quiet), terminal(llvm::sys::Process::StandardErrIsDisplayed()), total(total) {
    active = this;
  }
  ~Progress() {
    endLine();
    if (watched)
      watched->getDiagEngine().eraseHandler(handler);
    active = nullptr;
  }
  /// Ends the line in place before anything else writes to the terminal.
  void endLine() {
    if (shown)
      llvm::errs() << "\n";
    shown = false;
  }
  /// Ends the line before each diagnostic (call after the SourceMgr handler is
  /// registered: handlers run newest first, and this one passes them on).
  void watch(MLIRContext &ctx) {
    watched = &ctx;
    handler = ctx.getDiagEngine().registerHandler([this](Diagnostic &) {
      endLine();
      return failure();
    });
  }
  /// The Progress of the running command (fail() ends its line).
  static inline Progress *active = nullptr;
  void step(StringRef what) {
    total = std::max(total, ++done);
    show(llvm::formatv("{0}/{1} {2}", done, total, what).str());
  }
  /// The last line (what was written), not counted as a stage.
  void finish(StringRef what) { show(what.str()); }

private:
  void show(const std::string &text) {
    if (!enabled)
      return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string line = llvm::formatv("[ternc {0,6:f1}s] ", s).str() + text;
    if (!terminal) {
      llvm::errs() << line << "\n";
      return;
    }
    // One screen line: cut to the terminal's width, clear what the last one left.
    unsigned columns = llvm::sys::Process::StandardErrColumns();
    if (columns > 1 && line.size() >= columns)
      line.resize(columns - 1);
    llvm::errs() << "\r" << line << "\x1b[K";
    llvm::errs().flush();
    shown = true;
  }
  bool enabled, terminal, shown = false;
  int total, done = 0;
  MLIRContext *watched = nullptr;
  DiagnosticEngine::HandlerID handler = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// The command-line spelling of --emit's value (compileForCUDA takes it).
std::string emitName() { return emit.getParser().nameOf(emit).str(); }

int fail(const Twine &message) {
  if (Progress::active)
    Progress::active->endLine();
  llvm::errs() << "ternc: error: " << message << "\n";
  return 1;
}

#ifdef TERN_HAVE_ONNX_IMPORT
/// An array as an import-time value (`--const-input`, shape operands of `run`).
mt::ONNXInputValue toInputValue(MLIRContext &ctx, const rt::Array &a) {
  Builder b(&ctx);
  Type t;
  switch (a.dtype) {
  case TERN_F32: t = b.getF32Type(); break;
  case TERN_F64: t = b.getF64Type(); break;
  case TERN_F16: t = b.getF16Type(); break;
  case TERN_I64: t = b.getI64Type(); break;
  case TERN_I32: t = b.getI32Type(); break;
  case TERN_I16: t = b.getI16Type(); break;
  case TERN_I8: t = b.getI8Type(); break;
  case TERN_BOOL: t = b.getI1Type(); break;
  case TERN_U8: t = IntegerType::get(&ctx, 8, IntegerType::Unsigned); break;
  case TERN_U16: t = IntegerType::get(&ctx, 16, IntegerType::Unsigned); break;
  case TERN_U32: t = IntegerType::get(&ctx, 32, IntegerType::Unsigned); break;
  case TERN_U64: t = IntegerType::get(&ctx, 64, IntegerType::Unsigned); break;
  }
  return mt::ONNXInputValue{t, a.shape, std::string(a.data.begin(), a.data.end())};
}
#endif

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
  // ... and specializes inputs that feed shape operands on their values.
  if (givenInputs)
    for (const rt::Array &a : *givenInputs) {
      options.inputShapes.push_back(a.shape);
      options.inputValues.push_back(toInputValue(ctx, a));
    }
  for (const std::string &spec : constInputs) {
    auto [name, file] = StringRef(spec).split('=');
    rt::Array a;
    std::string error;
    if (name.empty() || !file.starts_with("@")) {
      fail("--const-input expects NAME=@FILE.npy, got '" + spec + "'");
      return nullptr;
    }
    if (!rt::readNpy(file.drop_front().str(), a, error)) {
      fail("--const-input " + name + ": " + error);
      return nullptr;
    }
    options.constInputs[name] = toInputValue(ctx, a);
  }
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
  options.triple = targetTriple;
  options.cpu = cpu;
  options.features = targetFeatures;
  options.linker = linker;
  options.sysroot = sysroot;
  return options;
}

/// The resolved CPU target of the command line (an error message otherwise),
/// checked before any model is read.
FailureOr<mt::CPUTargetDesc> commandLineTarget(std::string &error) {
  mt::CPUCodegenOptions o = codegenOptions();
  return mt::resolveCPUTarget(mt::CPUTargetRequest{o.triple, o.cpu, o.features}, error);
}

/// Everything up to the LLVM dialect; `stopAfter` ends early for --emit=mlir.
LogicalResult lowerForCPU(ModuleOp module, MLIRStage stopAfter, mt::ModelSignature &sig,
                          Progress &progress, bool indexChecks = true) {
  if (stopAfter == MLIRStage::Imported)
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
  if (stopAfter == MLIRStage::Tern)
    return success();
  FailureOr<mt::ModelSignature> s = mt::prepareModelFunction(module);
  if (failed(s))
    return failure();
  sig = *s;
  // The target rides on the module: the pipeline's passes and codegen read it.
  if (failed(mt::recordCPUTarget(module, codegenOptions())))
    return failure();
  FailureOr<mt::TernaryKernelAttr> kernel = mt::selectTernaryKernel(
      module,
      ternaryKernel == KernelChoice::Auto
          ? std::string("auto")
          : mt::getTernaryKernelName(static_cast<mt::TernaryKernelKind>(ternaryKernel.getValue())),
      codegenOptions());
  if (failed(kernel))
    return failure();
  progress.step("lowering ternary layers (" + mt::getTernaryKernelName(kernel->getKind()) + " kernels)");
  if (failed(runPipeline(
          module, [&](OpPassManager &pm) { mt::buildCPUTernToLinalgPipeline(pm); },
          "tern-cpu-to-linalg")))
    return failure();
  if (stopAfter == MLIRStage::Linalg)
    return success();
  progress.step("bufferizing and lowering to LLVM");
  return runPipeline(
      module, [&](OpPassManager &pm) { mt::buildCPULinalgToLLVMPipeline(pm); },
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
  if (failed(lowerForCPU(module, MLIRStage::Tern, sig, progress, /*indexChecks=*/true)))
    return failure();
  mt::CUDABuildOptions options;
  options.mac = cudaMac;
  return mt::compileForCUDA(module, kind, out, options, printPipeline ? &llvm::errs() : nullptr,
                            [&](StringRef s) { progress.step(s); });
}

int compileCUDACommand(MLIRContext &ctx) {
  static const EmitKind kinds[] = {EmitKind::SO, EmitKind::CU, EmitKind::MLIR, EmitKind::Header};
  if (!llvm::is_contained(kinds, emit))
    return fail("--emit=" + emitName() + " is not a --target=cuda output (so, cu, mlir, header)");
  std::string kind = emitName();
  if (outputPath.empty() && kind != "mlir" && kind != "header")
    return fail("compile needs -o OUTPUT");
  // import, recognize, then tern-cuda-prepare, emit and nvcc as far as `kind` goes.
  Progress progress(kind == "header" ? 2 : kind == "mlir" ? 3 : kind == "cu" ? 4 : 5);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.watch(ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr);
  if (!module)
    return 1;
  std::string out = outputPath.empty() ? "-" : outputPath.getValue();
  if (failed(buildCUDA(*module, out, kind, progress)))
    return 1;
  progress.finish("wrote " + out);
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
  if (hlsPlatform == HLSPlatform::U55C && hlsWeights == HLSWeights::DDR)
    return fail("--hls-platform=u55c has no DDR: use --hls-weights=hbm");
  if (hlsPE < 1 || hlsSIMD < 1 || hlsClock <= 0)
    return fail("--hls-pe and --hls-simd must be >= 1, --hls-clock-mhz > 0");
  if (!run && outputPath.empty())
    return fail("compile --target=hls needs -o DIR (the package directory)");
  // import, recognize, loops, package, [CPU goldens], [C simulation].
  Progress progress(4 + (hlsGoldens ? 1 : 0) + (run ? 1 : 0));
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.watch(ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr, run ? &in : nullptr);
  if (!module)
    return 1;
  mt::ModelSignature unused;
  // Index checks become the HLS top's status registers (tern-hls-index-status).
  if (failed(lowerForCPU(*module, MLIRStage::Tern, unused, progress, /*indexChecks=*/true)))
    return 1;
  mt::HLSCompileOptions options;
  options.pipeline.pe = hlsPE;
  options.pipeline.simd = hlsSIMD;
  options.pipeline.romThreshold = hlsRomThreshold;
  std::string platform = hlsPlatform == HLSPlatform::U55C ? "u55c" : "u280";
  options.pipeline.weightMemory = hlsWeights == HLSWeights::HBM   ? "hbm"
                                  : hlsWeights == HLSWeights::DDR ? "ddr"
                                                                  : "onchip";
  options.pipeline.weightBanks = hlsWeights == HLSWeights::DDR ? 2 : 32;
  if (FailureOr<mt::HLSPlatformInfo> info = mt::getHLSPlatformInfo(platform); succeeded(info))
    options.pipeline.onChipBRAM18 = info->bram18;
  options.package.platform = platform;
  options.pipeline.share = hlsShare && !hlsDataflow;
  options.cpuGoldens = hlsGoldens;
  options.inputs = in.empty() ? nullptr : &in;
  options.package.math = hlsMath;
  options.package.part = hlsPart;
  options.package.axisIO = hlsIO == HLSIO::Axis;
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
  if (!run) {
    progress.finish("wrote the HLS package " + std::string(dir));
    return 0;
  }
  if (!outputs.empty() && outputs.size() != sig->outputs.size())
    return fail("the model has " + Twine(sig->outputs.size()) + " outputs, got " +
                Twine(outputs.size()) + " --output flags");
  progress.step("C simulation with " + hlsCXX);
  progress.endLine();
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
  if (target == TargetKind::HLS)
    return hlsCommand(ctx, false);
  if (target == TargetKind::CUDA)
    return compileCUDACommand(ctx);
  if (target == TargetKind::HLSCSim)
    return fail("--target=hls-csim runs a model (ternc run); compile writes the package with "
                "--target=hls");
  if (emit == EmitKind::CU)
    return fail("--emit=cu is a --target=cuda output");
  if (outputPath.empty() && (emit == EmitKind::SO || emit == EmitKind::Obj))
    return fail("compile needs -o OUTPUT");
  std::string targetError;
  if (failed(commandLineTarget(targetError)))
    return fail(targetError);
  bool codegen = emit == EmitKind::SO || emit == EmitKind::Obj || emit == EmitKind::Asm ||
                 emit == EmitKind::LLVM;
  MLIRStage lastStage = emit == EmitKind::MLIR ? mlirStage.getValue()
                        : codegen              ? MLIRStage::LLVM
                                               : MLIRStage::Tern;
  // Import, then one stage per pipeline up to `lastStage`, then machine code.
  Progress progress(1 + static_cast<int>(lastStage) + (codegen ? 1 : 0));
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.watch(ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr);
  if (!module)
    return 1;
  mt::ModelSignature sig;
  bool abiOnly = emit == EmitKind::Header || emit == EmitKind::Wrapper;
  if (failed(lowerForCPU(*module, lastStage, sig, progress)))
    return 1;
  std::string out = outputPath.empty() ? "-" : outputPath.getValue();
  if (abiOnly) {
    FailureOr<mt::ModelSignature> s = mt::prepareModelFunction(*module);
    if (failed(s))
      return 1;
    return failed(writeFile(out, emit == EmitKind::Header ? mt::emitModelHeader(*s)
                                                          : mt::emitModelWrapper(*s)));
  }
  if (emit == EmitKind::MLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    // ONNX nodes, and the tern ops recognized from them, carry their names in
    // locations: keep them at every stage, so the printed module parses back
    // (tern-opt) with "node 'NAME'" in its reports and diagnostics.
    module->print(os, OpPrintingFlags().enableDebugInfo());
    return failed(writeFile(out, text));
  }
  if (emit == EmitKind::SO) {
    if (failed(buildLibrary(*module, sig, out, progress)))
      return 1;
    // The generated header sits next to the library: model.so -> model.h.
    SmallString<128> header(out);
    llvm::sys::path::replace_extension(header, "h");
    if (failed(writeFile(header, mt::emitModelHeader(sig))))
      return 1;
    progress.finish("wrote " + out + " and " + std::string(header));
    return 0;
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(out, ec);
  if (ec)
    return fail("cannot write " + out + ": " + ec.message());
  mt::CPUCodegenOptions options = codegenOptions();
  auto kind = emit == EmitKind::Obj   ? mt::CPUEmitKind::Object
              : emit == EmitKind::Asm ? mt::CPUEmitKind::Assembly
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
    case TERN_U8: return reinterpret_cast<const uint8_t *>(p)[i];
    case TERN_I16: return reinterpret_cast<const int16_t *>(p)[i];
    case TERN_U16: return reinterpret_cast<const uint16_t *>(p)[i];
    case TERN_F16: return rt::halfToFloat(reinterpret_cast<const uint16_t *>(p)[i]);
    case TERN_U32: return reinterpret_cast<const uint32_t *>(p)[i];
    case TERN_U64: return static_cast<double>(reinterpret_cast<const uint64_t *>(p)[i]);
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

/// The program that runs model libraries for `triple` on this machine: qemu-user
/// with the target's C library, and tern-run-model built for the target.
struct ForeignRunner {
  std::string qemu, sysroot, runner;
};
FailureOr<ForeignRunner> findForeignRunner(const llvm::Triple &triple, std::string &error) {
  ForeignRunner r;
  std::string debianTriple = mt::getToolchainTriple(triple.str());
  std::string qemuName = qemu.empty() ? "qemu-" + triple.getArchName().str() : qemu.getValue();
  auto found = llvm::sys::findProgramByName(qemuName);
  if (!found) {
    error = "running " + triple.getArchName().str() + " code on this " +
            llvm::Triple(llvm::sys::getProcessTriple()).getArchName().str() + " host needs " +
            qemuName + " (Debian package qemu-user), or name one with --qemu";
    return failure();
  }
  r.qemu = *found;
  r.sysroot = sysroot.empty() ? "/usr/" + debianTriple : sysroot.getValue();
  if (!llvm::sys::fs::is_directory(r.sysroot)) {
    error = "no C library for " + debianTriple + " at " + r.sysroot +
            " (Debian package libc6-dev-" + debianTriple + "-cross or similar), or name one with --sysroot";
    return failure();
  }
  SmallString<256> runner(llvm::sys::path::parent_path(
      llvm::sys::fs::getMainExecutable(nullptr, reinterpret_cast<void *>(&findForeignRunner))));
  llvm::sys::path::append(runner, debianTriple, "tern-run-model");
  if (!llvm::sys::fs::can_execute(runner)) {
    error = "no model runner for " + debianTriple + " at " + std::string(runner) + " (it is built when " +
            debianTriple + "-g++ is installed: Debian package g++-" + debianTriple + ")";
    return failure();
  }
  r.runner = std::string(runner);
  return r;
}

/// `ternc run` for another architecture: cross-compiles the library and runs
/// it with the target's tern-run-model under qemu-user.
int runUnderQemu(MLIRContext &ctx, const mt::CPUTargetDesc &cpuTarget, const std::vector<rt::Array> &in) {
  std::string error;
  llvm::Triple triple(cpuTarget.triple);
  FailureOr<ForeignRunner> runner = findForeignRunner(triple, error);
  if (failed(runner))
    return fail(error);
  Progress progress(6); // import, recognize, two lowerings, machine code, run
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.watch(ctx);
  progress.step("importing " + modelPath);
  OwningOpRef<ModuleOp> module = loadModel(ctx, sourceMgr, &in);
  if (!module)
    return 1;
  SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("ternc-run", dir))
    return fail("cannot create a temporary directory: " + ec.message());
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(dir); });
  SmallString<128> soPath(dir);
  llvm::sys::path::append(soPath, "model.so");
  mt::ModelSignature sig;
  if (failed(lowerForCPU(*module, MLIRStage::LLVM, sig, progress)) ||
      failed(buildLibrary(*module, sig, soPath, progress)))
    return 1;
  if (!outputs.empty() && outputs.size() != sig.outputs.size())
    return fail("the model has " + Twine(sig.outputs.size()) + " outputs, got " +
                Twine(outputs.size()) + " --output flags");
  std::vector<std::string> args = {runner->qemu, "-L", runner->sysroot, runner->runner, std::string(soPath)};
  for (const std::string &spec : inputs)
    args.push_back("--input=" + spec);
  std::vector<std::string> outFiles;
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    SmallString<128> file(dir);
    llvm::sys::path::append(file, "out" + std::to_string(i) + ".npy");
    outFiles.push_back(outputs.empty() ? std::string(file) : outputs[i].substr(1));
    args.push_back("--output=@" + outFiles.back());
  }
  progress.step("running under " + runner->qemu);
  progress.endLine();
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(runner->qemu, argRefs, std::nullopt, {}, 0, 0, &message);
  if (rc != 0)
    return fail("the " + triple.getArchName() + " model run under " + runner->qemu + " failed (exit " +
                Twine(rc) + (message.empty() ? "" : ": " + message) + ")");
  if (outputs.empty())
    for (size_t i = 0; i < outFiles.size(); ++i) {
      rt::Array a;
      if (!rt::readNpy(outFiles[i], a, error))
        return fail(error);
      printSummary(rt::TensorInfo{sig.outputs[i].name, sig.outputs[i].dtype, sig.outputs[i].shape}, a);
    }
  return 0;
}

int runLibrary(const std::string &soPath, const std::vector<rt::Array> &in);

int runCommand(MLIRContext &ctx) {
  if (target == TargetKind::HLSCSim)
    return hlsCommand(ctx, true);
  if (target == TargetKind::HLS)
    return fail("--target=hls writes a package (ternc compile); run it with --target=hls-csim");
  if (target == TargetKind::CUDA) {
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
  std::string targetError;
  FailureOr<mt::CPUTargetDesc> cpuTarget = commandLineTarget(targetError);
  if (target == TargetKind::CPU && failed(cpuTarget))
    return fail(targetError);
  if (target == TargetKind::CPU && !mt::isHostCompatible(llvm::Triple(cpuTarget->triple)))
    return runUnderQemu(ctx, *cpuTarget, in);

  // A compiled library runs as it is: no import, no compile.
  if (llvm::sys::path::extension(modelPath) == ".so") {
    SmallString<256> lib(modelPath.getValue());
    llvm::sys::fs::make_absolute(lib); // dlopen would search the library path for a bare name
    return runLibrary(std::string(lib), in);
  }
  // import, recognize, two lowerings (CPU) or prepare and emit (CUDA), machine code, run.
  Progress progress(6);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  progress.watch(ctx);
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
  llvm::FileRemover removeHeader(target == TargetKind::CUDA ? headerPath.str() : "");
  if (target == TargetKind::CUDA) {
    if (failed(buildCUDA(*module, soPath, "so", progress)))
      return 1;
  } else {
    mt::ModelSignature sig;
    if (failed(lowerForCPU(*module, MLIRStage::LLVM, sig, progress)))
      return 1;
    if (failed(buildLibrary(*module, sig, soPath, progress)))
      return 1;
  }
  progress.step("running");
  progress.endLine();
  return runLibrary(std::string(soPath), in);
}

/// Loads a compiled model library and runs it on `in` (ternc run).
int runLibrary(const std::string &soPath, const std::vector<rt::Array> &in) {
  std::string error;
  std::unique_ptr<rt::Model> model = rt::Model::load(soPath, error);
  if (!model)
    return fail(error);
  if (!outputs.empty() && outputs.size() != model->outputs().size())
    return fail("the model has " + Twine(model->outputs().size()) + " outputs, got " +
                Twine(outputs.size()) + " --output flags");
  std::vector<rt::Array> out;
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

/// `ternc generate` and `ternc perplexity` run ternc-generate beside this
/// executable (tools/ternc/Generate.cpp; it links SentencePiece, whose private
/// protobuf copy cannot share a process with the ONNX importer's).
int execGenerate(char **argv) {
  std::string self = llvm::sys::fs::getMainExecutable(argv[0], (void *)&execGenerate);
  SmallString<256> tool(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(tool, "ternc-generate");
  std::string path(tool);
  argv[0] = path.data();
  execv(path.c_str(), argv);
  return fail("cannot run " + path + ": " + std::strerror(errno));
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  auto usage = [] {
    llvm::errs() << "usage: ternc compile MODEL --target=cpu|cuda|hls -o OUT [--emit=...]\n"
                    "       ternc run MODEL|MODEL.so --input=@a.npy ... [--output=@y.npy ...]\n"
                    "       ternc generate [CKPT_DIR|MODEL] [--prompt TEXT] [-n N] [--temperature T]\n"
                    "                      [--top-k K] [--top-p P] [--repetition-penalty R]\n"
                    "       ternc perplexity [CKPT_DIR|MODEL] --file TEXT\n"
                    "       ternc {compile|run|generate|perplexity} --help;  ternc --version\n";
    return 1;
  };
  if (argc < 2)
    return usage();
  StringRef command = argv[1];
  if (command == "--version" || command == "-version" || command == "version")
    return ::tern::printToolVersion(llvm::outs(), "ternc"), 0;
  if (command == "generate" || command == "perplexity")
    return execGenerate(argv);
  if (command != "compile" && command != "run")
    return usage();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  ::tern::registerToolPasses();
  static std::deque<std::string> kernelText; // the parser keeps StringRefs
  for (const mt::TernaryKernelInfo &info : mt::getTernaryKernelTable())
    ternaryKernel.getParser().addLiteralOption(
        kernelText.emplace_back(mt::getTernaryKernelName(info.kind)),
        static_cast<KernelChoice>(info.kind),
        kernelText.emplace_back(mt::getTernaryKernelDescription(info)));
  // Argument 0 names the program and subcommand, so help reads "ternc run".
  std::string program = std::string("ternc ") + command.str();
  std::vector<const char *> args = {program.c_str()};
  args.insert(args.end(), argv + 2, argv + argc);
  cl::HideUnrelatedOptions(ternCategory);
  if (!cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                                   "Tern: compiler for ternary MatMul-free language models\n"))
    return 1;

  DialectRegistry registry;
  ::tern::registerToolDialects(registry);
  MLIRContext ctx(registry);
  ::tern::loadToolDialects(ctx);
  if (reportFusion) // the report names each node; the printed op would only add noise
    ctx.printOpOnDiagnostic(false);
  return command == "compile" ? compileCommand(ctx) : runCommand(ctx);
}

//===- CPUPipeline.cpp - the CPU backend's pass pipelines -----------------===//
#include "tern/Conversion/Passes.h"
#include "tern/Target/CPU/CPUTarget.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::tern {

/// The kernels' names, for parsing and printing.
static constexpr std::pair<TernaryKernel, const char *> kTernaryKernelNames[] = {
    {TernaryKernel::Portable, "portable"},     {TernaryKernel::Select, "select"},
    {TernaryKernel::VNNI, "vnni"},             {TernaryKernel::AVXVNNI, "avxvnni"},
    {TernaryKernel::VNNIBase3, "vnni-base3"}, {TernaryKernel::LUT, "lut"}};

FailureOr<TernaryKernel> parseTernaryKernel(StringRef name, StringRef cpu, StringRef features) {
  for (auto [kernel, spelling] : kTernaryKernelNames)
    if (name == spelling)
      return kernel;
  if (name != "auto")
    return failure();
  (void)cpu;
  if (hasTargetFeature(features, "avx512f") && hasTargetFeature(features, "avx512vnni"))
    return TernaryKernel::VNNI;
  if (hasTargetFeature(features, "avxvnni"))
    return TernaryKernel::AVXVNNI;
  return TernaryKernel::Select;
}

bool hasTargetFeature(StringRef features, StringRef feature) {
  bool on = false;
  SmallVector<StringRef> parts;
  features.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef part : parts)
    if (part.size() > 1 && part.drop_front() == feature)
      on = part.front() == '+';
  return on;
}

StringRef stringifyTernaryKernel(TernaryKernel kernel) {
  for (auto [k, spelling] : kTernaryKernelNames)
    if (k == kernel)
      return spelling;
  return "portable";
}

void buildCPUTernToLinalgPipeline(OpPassManager &pm, TernaryKernel kernel) {
  pm.addPass(createTernFoldWeightQuant());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createTernDecompose());
  pm.addPass(createTernConvertToLinalg());
  TernTernaryToArithOptions layout;
  layout.groupBytes = kernel == TernaryKernel::Portable ? 1 : 64;
  // The VNNI kernels read compile-time weights in row tiles of one vector's
  // i32 lanes (no horizontal sums), the lookup-table kernel in tiles of 64
  // rows (one byte each per vector); the select kernel reads 64-byte groups
  // per row.
  bool avx512 = kernel == TernaryKernel::VNNI || kernel == TernaryKernel::VNNIBase3;
  layout.tileRows = avx512                              ? 16
                    : kernel == TernaryKernel::AVXVNNI ? 8
                    : kernel == TernaryKernel::LUT     ? 64
                                                       : 1;
  // 1.6-bit weights: 20% fewer bytes to stream per token, twice the dot
  // products per weight (see tern-ternary-to-vector).
  layout.base3Weights = kernel == TernaryKernel::VNNIBase3;
  pm.addPass(createTernTernaryToArith(layout));
  pm.addPass(createTernVerifyNoMultiply());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

// Upstream passes, spelled as pipeline strings so `ternc --print-pipeline`
// shows exactly what runs.
static constexpr const char *kBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{modify-public-functions},"
    // Deallocation needs known memory effects, which the kernels' target
    // intrinsics lack: it runs before the kernels are generated.
    "buffer-deallocation-pipeline";
static constexpr const char *kToOpenMP =
    "convert-linalg-to-loops,"
    // Subviews with loop-dependent offsets expand into affine.apply: expand
    // them before affine is lowered.
    "expand-strided-metadata,"
    "lower-affine,"
    // scf.parallel (the kernels' row loops) becomes an OpenMP worksharing loop.
    "convert-scf-to-openmp";
static constexpr const char *kToLLVM =
    // Inline the alloca scopes around parallel bodies (they hold no allocas)
    // before their loops become multi-block CFGs.
    "canonicalize,"
    "convert-scf-to-cf,"
    "canonicalize,"
    "convert-vector-to-llvm,"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    // Heap buffers through _mlir_memref_to_llvm_* (the artifact's buffer
    // cache, see CPUArtifact.cpp) rather than malloc/free.
    "finalize-memref-to-llvm{use-generic-functions},"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "convert-func-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-openmp-to-llvm,"
    "reconcile-unrealized-casts";

void buildCPULinalgToLLVMPipeline(OpPassManager &pm, TernaryKernel kernel) {
  // The textual pipeline names upstream passes: make sure they are registered.
  static bool registered = (registerAllPasses(), true);
  (void)registered;
  // The strings are fixed and known-good; a parse failure is a programming
  // error that the pipeline tests catch.
  // Bufferization's conflict analysis is cubic in a chain tied to one
  // CSE'd tensor.empty: untie it first (compile time linear in graph size).
  pm.addPass(createTernSplitSharedEmptyTensors());
  if (failed(parsePassPipeline(kBufferize, pm)))
    llvm::report_fatal_error("invalid built-in CPU pipeline");
  if (kernel != TernaryKernel::Portable) {
    TernTernaryToVectorOptions options;
    // Base-3 accumulations are marked; the vnni strategy lowers them.
    options.strategy =
        kernel == TernaryKernel::VNNIBase3 ? std::string("vnni") : stringifyTernaryKernel(kernel).str();
    pm.addPass(createTernTernaryToVector(options));
    pm.addPass(createTernVerifyNoMultiply());
  }
  pm.addPass(createTernApproximateMath());
  if (failed(parsePassPipeline(kToOpenMP, pm)))
    llvm::report_fatal_error("invalid built-in CPU pipeline");
  if (failed(parsePassPipeline(kToLLVM, pm)))
    llvm::report_fatal_error("invalid built-in CPU pipeline");
}

namespace {
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  // An enum option: a misspelled kernel is a parse error, not a silent default.
  Option<TernaryKernel> kernel{
      *this, "ternary-kernel", llvm::cl::desc("The ternary kernels (default portable)"),
      llvm::cl::init(TernaryKernel::Portable),
      llvm::cl::values(clEnumValN(TernaryKernel::Portable, "portable", "scalar select/add/sub"),
                       clEnumValN(TernaryKernel::Select, "select", "vectorized select/add/sub"),
                       clEnumValN(TernaryKernel::VNNI, "vnni", "AVX-512 VNNI, 16-row tiles"),
                       clEnumValN(TernaryKernel::AVXVNNI, "avxvnni", "AVX-VNNI, 8-row tiles"),
                       clEnumValN(TernaryKernel::VNNIBase3, "vnni-base3", "AVX-512 VNNI, 1.6-bit weights"),
                       clEnumValN(TernaryKernel::LUT, "lut", "AVX-512 BW lookup tables"))};
  TernaryKernel get() const { return kernel; }
};
} // namespace

void registerCPUPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "tern-cpu-to-linalg", "Tern CPU backend: tern ops to multiply-free linalg",
      [](OpPassManager &pm, const CPUPipelineOptions &o) { buildCPUTernToLinalgPipeline(pm, o.get()); });
  PassPipelineRegistration<CPUPipelineOptions>(
      "tern-cpu-lower-to-llvm", "Tern CPU backend: linalg on tensors to the LLVM dialect",
      [](OpPassManager &pm, const CPUPipelineOptions &o) { buildCPULinalgToLLVMPipeline(pm, o.get()); });
  PassPipelineRegistration<CPUPipelineOptions>(
      "tern-cpu-pipeline", "Tern CPU backend: tern ops to LLVM dialect",
      [](OpPassManager &pm, const CPUPipelineOptions &o) {
        buildCPUTernToLinalgPipeline(pm, o.get());
        buildCPULinalgToLLVMPipeline(pm, o.get());
      });
}

} // namespace mlir::tern

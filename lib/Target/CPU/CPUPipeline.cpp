//===- CPUPipeline.cpp - the CPU backend's pass pipelines -----------------===//
#include "Tern/TernaryKernels.h"
#include "tern/Conversion/Passes.h"
#include "tern/Target/CPU/CPUTarget.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

namespace mlir::tern {

FailureOr<TernaryKernelAttr> selectTernaryKernel(ModuleOp module, StringRef name,
                                                const CPUCodegenOptions &options) {
  // The driver normally recorded the target; otherwise `options` give it.
  if (failed(getCPUTarget(module, options)))
    return failure();
  PassManager pm(module.getContext());
  pm.addPass(createTernSelectTernaryKernel(TernSelectTernaryKernelOptions{name.str()}));
  if (failed(pm.run(module)))
    return failure();
  return getModuleTernaryKernel(module);
}

void buildCPUTernToLinalgPipeline(OpPassManager &pm, StringRef kernel) {
  if (!kernel.empty())
    pm.addPass(createTernSelectTernaryKernel(TernSelectTernaryKernelOptions{kernel.str()}));
  pm.addPass(createTernFoldWeightQuant());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createTernDecompose());
  pm.addPass(createTernConvertToLinalg());
  // The weights' layout is the chosen kernel's (the module attribute).
  pm.addPass(createTernTernaryToArith());
  pm.addPass(createTernVerifyNoMultiply());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

// Upstream passes, spelled as pipeline strings so `ternc --print-pipeline`
// shows exactly what runs.
static constexpr const char *kBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    // The private functions of tern-split-large-functions write their
    // results straight into the caller's buffers; the model function copies
    // into the caller's outputs at the end (they may alias its inputs).
    "buffer-results-to-out-params{hoist-static-allocs},"
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

void buildCPULinalgToLLVMPipeline(OpPassManager &pm, StringRef kernel) {
  // The textual pipeline names upstream passes: make sure they are registered.
  static bool registered = (registerAllPasses(), true);
  (void)registered;
  if (!kernel.empty())
    pm.addPass(createTernSelectTernaryKernel(TernSelectTernaryKernelOptions{kernel.str()}));
  // One loop per run of element-wise ops rather than per node: less
  // memory traffic, and less IR for every later pass and LLVM.
  pm.addPass(createTernFuseElementwise());
  // The strings are fixed and known-good; a parse failure is a programming
  // error that the pipeline tests catch.
  // Bufferization's conflict analysis is cubic in a chain tied to one
  // CSE'd tensor.empty: untie it first (compile time linear in graph size).
  pm.addPass(createTernSplitSharedEmptyTensors());
  // Later passes and LLVM work per function in proportion to its size:
  // bound it (compile time linear in graph size).
  pm.addPass(createTernSplitLargeFunctions());
  if (failed(parsePassPipeline(kBufferize, pm)))
    llvm::report_fatal_error("invalid built-in CPU pipeline");
  // Bufferization names and places constant globals in a run-to-run order:
  // fix both (identical compiles give identical libraries).
  pm.addPass(createTernOrderConstantGlobals());
  // The kernel the module's #tern.ternary_kernel names (portable: the
  // generic loops stay).
  pm.addPass(createTernTernaryToVector());
  pm.addPass(createTernVerifyNoMultiply());
  pm.addPass(createTernApproximateMath());
  if (failed(parsePassPipeline(kToOpenMP, pm)))
    llvm::report_fatal_error("invalid built-in CPU pipeline");
  if (failed(parsePassPipeline(kToLLVM, pm)))
    llvm::report_fatal_error("invalid built-in CPU pipeline");
}

namespace {
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  // The select pass rejects unknown names and kernels the target lacks.
  Option<std::string> kernel{*this, "ternary-kernel",
                             llvm::cl::desc("The ternary kernel: auto or one of the kernel table "
                                            "(TernaryKernels.cpp); empty keeps the module's "
                                            "#tern.ternary_kernel (default portable)"),
                             llvm::cl::init("portable")};
  StringRef get() const { return kernel; }
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

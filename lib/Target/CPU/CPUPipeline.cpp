//===- CPUPipeline.cpp - the CPU backend's pass pipelines -----------------===//
#include "tern/Conversion/Passes.h"
#include "tern/Target/CPU/CPUTarget.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::tern {

void buildCPUTernToLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createTernFoldWeightQuant());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createTernDecompose());
  pm.addPass(createTernConvertToLinalg());
  pm.addPass(createTernTernaryToArith());
  pm.addPass(createTernVerifyNoMultiply());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

// Upstream passes, spelled as a pipeline string so `ternc --print-pipeline`
// shows exactly what runs.
static constexpr const char *kLinalgToLLVM =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{modify-public-functions},"
    "buffer-deallocation-pipeline,"
    "convert-linalg-to-loops,"
    // Subviews with loop-dependent offsets expand into affine.apply: expand
    // them before affine is lowered.
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "canonicalize,"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    "finalize-memref-to-llvm,"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "convert-func-to-llvm,"
    "convert-cf-to-llvm,"
    "reconcile-unrealized-casts";

void buildCPULinalgToLLVMPipeline(OpPassManager &pm) {
  // The textual pipeline names upstream passes: make sure they are registered.
  static bool registered = (registerAllPasses(), true);
  (void)registered;
  // The string is fixed and known-good; a parse failure is a programming error
  // that the pipeline tests catch.
  if (failed(parsePassPipeline(kLinalgToLLVM, pm)))
    llvm::report_fatal_error("invalid built-in CPU pipeline");
}

void registerCPUPipelines() {
  PassPipelineRegistration<>("tern-cpu-to-linalg",
                             "Tern CPU backend: tern ops to multiply-free linalg",
                             buildCPUTernToLinalgPipeline);
  PassPipelineRegistration<>("tern-cpu-lower-to-llvm",
                             "Tern CPU backend: linalg on tensors to the LLVM dialect",
                             buildCPULinalgToLLVMPipeline);
  PassPipelineRegistration<>("tern-cpu-pipeline", "Tern CPU backend: tern ops to LLVM dialect",
                             [](OpPassManager &pm) {
                               buildCPUTernToLinalgPipeline(pm);
                               buildCPULinalgToLLVMPipeline(pm);
                             });
}

} // namespace mlir::tern

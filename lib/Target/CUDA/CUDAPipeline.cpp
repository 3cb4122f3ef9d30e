//===- CUDAPipeline.cpp - the CUDA backend's pass pipeline ----------------===//
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::tern {

void buildCUDAPreparePipeline(OpPassManager &pm) {
  pm.addPass(createTernCUDARaiseIndexChecks());
  pm.addPass(createTernFoldWeightQuant());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createTernCUDASplitGLU());
  pm.addPass(createTernDecompose());
  pm.addPass(createCSEPass());
  pm.addPass(createLinalgGeneralizeNamedOpsPass());
  // Element-wise producers fuse into their consumers: a tmatmul's rescale
  // and the gate math after it become one generic, the GEMV's epilogue.
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createTernCUDAPlanKernels());
}

void registerCUDAPipelines() {
  static bool passes = (registerTernCUDAPasses(), true);
  (void)passes;
  PassPipelineRegistration<>("tern-cuda-prepare",
                             "Tern CUDA backend: tern ops to the kernel-level form the CUDA "
                             "emitter reads (tmatmul, fused act_quant, element-wise generics)",
                             buildCUDAPreparePipeline);
}

} // namespace mlir::tern

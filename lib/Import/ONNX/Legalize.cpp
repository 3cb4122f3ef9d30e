//===- Legalize.cpp - every remaining onnx.node to upstream dialects ------===//
//
// Collects the per-family patterns (Legalize/*.cpp) and applies them in one
// post-order walk (subgraph bodies before the Scan/Loop/If holding them). A
// node no family handles, or one a family rejects, fails the pass with an
// error naming the node.
//
//===----------------------------------------------------------------------===//
#include "Legalize/LegalizeUtils.h"
#include "tern/Import/ONNX/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXLEGALIZE
#include "tern/Import/ONNX/Passes.h.inc"

namespace {
struct LegalizePass : impl::TernONNXLegalizeBase<LegalizePass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override {
    RewritePatternSet set(ctx);
    onnx_import::populateONNXElementwisePatterns(set);
    onnx_import::populateONNXMatMulPatterns(set);
    onnx_import::populateONNXReductionPatterns(set);
    onnx_import::populateONNXDataMovementPatterns(set);
    onnx_import::populateONNXIndexingPatterns(set, indexChecks);
    onnx_import::populateONNXControlFlowPatterns(set);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    bool reported = false;
    {
      ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error)
          reported = true;
        return failure(); // keep propagating to the caller's handler
      });
      walkAndApplyPatterns(getOperation(), patterns);
    }
    bool failedAny = reported;
    getOperation()->walk([&](ONNXNodeOp op) {
      failedAny = true;
      if (reported)
        return WalkResult::interrupt();
      if (!op.isDefaultDomain())
        op.emitError() << op.describe()
                       << ": custom-domain node left after recognition (run "
                          "tern-onnx-recognize-custom-ops first)";
      else
        op.emitError() << op.describe() << ": no lowering for this operator";
      return WalkResult::interrupt();
    });
    if (failedAny || failed(onnx_import::makeUnsignedSignless(getOperation())))
      return signalPassFailure();
    getOperation()->walk([](ONNXNoneOp op) {
      if (op->use_empty())
        op->erase();
    });
  }

  FrozenRewritePatternSet patterns;
};
} // namespace
} // namespace mlir::tern

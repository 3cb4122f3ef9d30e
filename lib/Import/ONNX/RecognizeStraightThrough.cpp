//===- RecognizeStraightThrough.cpp - a + (b - a) to b ---------------------===//
//
// The straight-through estimator `x + (q(x) - x).detach()` reaches ONNX as
// Add(x, Sub(q, x)) (`detach` vanishes, or stays as an Identity). Its value
// is q (up to float rounding of the round trip through x), so every such Add
// is replaced by q, for activations and weights alike, before the BitLinear
// recognizer looks for the quantization. Matched by meaning: the Add's
// operands in either order, Identity on the Sub or on either x, and the
// result type equal to q's (a broadcast `a + (b - a)` is not b).
//
//===----------------------------------------------------------------------===//
#include "RecognizeUtils.h"
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZESTRAIGHTTHROUGH
#include "tern/Import/ONNX/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

/// If `add` computes a + (b - a), returns b.
static Value matchStraightThrough(ONNXNodeOp add, std::string &why) {
  if (add.getInputs().size() != 2 || !add.getInput(0) || !add.getInput(1))
    return {};
  for (int k = 0; k < 2; ++k) {
    Value a = stripIdentity(add.getInput(k));
    ONNXNodeOp sub = defNode(stripIdentity(add.getInput(1 - k)), "Sub");
    if (!sub || !sub.getInput(0) || !sub.getInput(1))
      continue;
    if (stripIdentity(sub.getInput(1)) != a) {
      why = "the Sub does not subtract the Add's other operand";
      continue;
    }
    Value b = sub.getInput(0);
    if (b.getType() != add->getResult(0).getType()) {
      why = "q is broadcast (its type differs from the sum's)";
      return {};
    }
    return b;
  }
  return {};
}

struct RecognizeStraightThroughPass
    : mlir::tern::impl::TernONNXRecognizeStraightThroughBase<RecognizeStraightThroughPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<ONNXNodeOp> adds;
    getOperation()->walk([&](ONNXNodeOp op) {
      if (op.isDefaultDomain() && op.getOpType() == "Add")
        adds.push_back(op);
    });
    IRRewriter rw(&getContext());
    int64_t replaced = 0;
    for (ONNXNodeOp add : adds) {
      std::string why;
      Value b = matchStraightThrough(add, why);
      if (!b) {
        // Only Adds of a Sub are candidates worth a remark.
        if (!why.empty())
          reportCandidate(report, add, "straight-through estimator", false, why);
        continue;
      }
      rw.replaceAllUsesWith(add->getResult(0), b);
      ++replaced;
    }
    // One line for all of them: a model has two per BitLinear.
    if (report && replaced)
      emitRemark(getOperation()->getLoc())
          << "straight-through estimator fused " << replaced << " times: a + (q - a) is q";
    eraseDeadOps(getOperation());
  }
};
} // namespace

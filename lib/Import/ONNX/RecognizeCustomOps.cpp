//===- RecognizeCustomOps.cpp ---------------------------------------------------------===//
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZECUSTOMOPS
#include "tern/Import/ONNX/Passes.h.inc"

namespace {
struct PassRecognizeCustomOps : impl::TernONNXRecognizeCustomOpsBase<PassRecognizeCustomOps> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
} // namespace mlir::tern

//===- RecognizeBitLinear.cpp ---------------------------------------------------------===//
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZEBITLINEAR
#include "tern/Import/ONNX/Passes.h.inc"

namespace {
struct PassRecognizeBitLinear : impl::TernONNXRecognizeBitLinearBase<PassRecognizeBitLinear> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
} // namespace mlir::tern

//===- RecognizeRMSNorm.cpp ---------------------------------------------------------===//
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZERMSNORM
#include "tern/Import/ONNX/Passes.h.inc"

namespace {
struct PassRecognizeRMSNorm : impl::TernONNXRecognizeRMSNormBase<PassRecognizeRMSNorm> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
} // namespace mlir::tern

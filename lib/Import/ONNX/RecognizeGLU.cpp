//===- RecognizeGLU.cpp ---------------------------------------------------------===//
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZEGLU
#include "tern/Import/ONNX/Passes.h.inc"

namespace {
struct PassRecognizeGLU : impl::TernONNXRecognizeGLUBase<PassRecognizeGLU> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
} // namespace mlir::tern

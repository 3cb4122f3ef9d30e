//===- RecognizeMLGRU.cpp ---------------------------------------------------------===//
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXRECOGNIZEMLGRU
#include "tern/Import/ONNX/Passes.h.inc"

namespace {
struct PassRecognizeMLGRU : impl::TernONNXRecognizeMLGRUBase<PassRecognizeMLGRU> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
} // namespace mlir::tern

//===- Legalize.cpp ---------------------------------------------------------===//
#include "tern/Import/ONNX/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNONNXLEGALIZE
#include "tern/Import/ONNX/Passes.h.inc"

namespace {
struct PassLegalize : impl::TernONNXLegalizeBase<PassLegalize> {
  using Base::Base;
  void runOnOperation() override {}
};
} // namespace
} // namespace mlir::tern

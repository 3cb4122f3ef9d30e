//===- KeepStateOnChip.cpp - pair the recurrent state ports ---------------===//
//
// A decode step takes the recurrent state as input `X` and returns the next
// state as output `X_out`. With AXI4-Stream token I/O the state should not
// cross the stream every token: this pass pairs the two ports so that the
// emitter keeps the state in an on-chip array of the top.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSKEEPSTATEONCHIP
#include "tern/Target/HLS/Passes.h.inc"

namespace {

struct KeepStateOnChipPass : impl::TernHLSKeepStateOnChipBase<KeepStateOnChipPass> {
  using Base::Base;
  void runOnOperation() override {
    FailureOr<func::FuncOp> maybeTop = getHLSTop(getOperation());
    if (failed(maybeTop))
      return signalPassFailure();
    func::FuncOp top = *maybeTop;
    FailureOr<std::vector<HLSPort>> ports = getHLSPorts(top);
    if (failed(ports))
      return signalPassFailure();
    OpBuilder b(top.getContext());
    for (auto [i, in] : llvm::enumerate(*ports)) {
      if (in.kind != HLSPort::Input)
        continue;
      for (auto [j, out] : llvm::enumerate(*ports)) {
        if (out.kind != HLSPort::Output || out.status || out.name != in.name + "_out" ||
            top.getArgument(i).getType() != top.getArgument(j).getType())
          continue;
        top.setArgAttr(i, hls::kStateOut, b.getI64IntegerAttr(j));
        top.setArgAttr(j, hls::kStateIn, b.getI64IntegerAttr(i));
      }
    }
  }
};

} // namespace
} // namespace mlir::tern

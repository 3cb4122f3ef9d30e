//===- VerifyChannels.cpp - one producer, one consumer per channel --------===//
//
// An HLS DATAFLOW region turns every buffer passed between its processes
// into a FIFO or ping-pong channel, which must have exactly one producer and
// one consumer; Vitis otherwise serializes the region or rejects it. The
// split-fanout pass establishes the rule; this pass checks it.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSVERIFYCHANNELS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

struct VerifyChannelsPass : impl::TernHLSVerifyChannelsBase<VerifyChannelsPass> {
  using Base::Base;

  /// Checks the stage calls that use `channel` in a dataflow function.
  LogicalResult verifyChannel(ModuleOp module, Value channel) {
    SmallVector<func::CallOp> writers, readers;
    for (OpOperand &use : channel.getUses()) {
      auto call = dyn_cast<func::CallOp>(use.getOwner());
      if (!call)
        continue;
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal())
        return call.emitOpError("HLS dataflow: a stage must be a function of the module");
      Value arg = callee.getArgument(use.getOperandNumber());
      // A producer may read back what it wrote (a reduction's accumulator).
      if (hlsMayWrite(module, arg))
        writers.push_back(call);
      else if (hlsMayRead(module, arg))
        readers.push_back(call);
    }
    for (auto [calls, role] :
         {std::pair(&writers, "producers"), std::pair(&readers, "consumers")}) {
      if (calls->size() <= 1)
        continue;
      InFlightDiagnostic diag = emitError(channel.getLoc())
                                << "HLS dataflow channel has " << calls->size() << " " << role
                                << " (a DATAFLOW channel needs one producer and one consumer)";
      for (func::CallOp call : *calls)
        diag.attachNote(call.getLoc()) << "used by @" << call.getCallee();
      return failure();
    }
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn->hasAttr(hls::kDataflow) || fn.isExternal())
        continue;
      SmallVector<Value> channels;
      for (BlockArgument arg : fn.getArguments())
        if (isa<MemRefType>(arg.getType()))
          channels.push_back(arg);
      fn.walk([&](Operation *op) {
        if (isa<memref::AllocOp, memref::AllocaOp>(op))
          channels.push_back(op->getResult(0));
      });
      for (Value channel : channels)
        if (failed(verifyChannel(module, channel)))
          return signalPassFailure();
    }
  }
};

} // namespace
} // namespace mlir::tern

//===- PlanWeightPorts.cpp - m_axi bundles and memory banks of weights ----===//
//
// Weight ports read by the same stage function (one engine, reused across
// layers in share mode) are never read at the same time: they share one
// m_axi bundle. Every other engine gets a bundle of its own, so engines do
// not contend for one AXI master, and each bundle is given a memory bank
// (HBM pseudo-channel or DDR channel) round-robin, written to the package's
// connectivity file (`sp=`).
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSPLANWEIGHTPORTS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

struct PlanWeightPortsPass : impl::TernHLSPlanWeightPortsBase<PlanWeightPortsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (memory != "hbm" && memory != "ddr") {
      module.emitError("tern-hls-plan-weight-ports: memory must be hbm or ddr, got '")
          << memory << "'";
      return signalPassFailure();
    }
    if (banks < 1) {
      module.emitError("tern-hls-plan-weight-ports: banks must be >= 1");
      return signalPassFailure();
    }
    FailureOr<func::FuncOp> top = getHLSTop(module);
    if (failed(top))
      return signalPassFailure();
    // The engine of a weight port: the first stage it is passed to (walk
    // order), or the port itself when the top reads it directly.
    llvm::MapVector<Value, std::string> engineOf;
    top->walk([&](func::CallOp call) {
      for (Value v : call.getOperands())
        if (auto arg = dyn_cast<BlockArgument>(v);
            arg && arg.getOwner()->getParentOp() == *top &&
            top->getArgAttr(arg.getArgNumber(), hls::kWeight) && !engineOf.count(v))
          engineOf[v] = call.getCallee().str();
    });
    llvm::StringMap<int64_t> groupOf;
    MLIRContext *ctx = module.getContext();
    std::string prefix = memory == "hbm" ? "HBM" : "DDR";
    for (BlockArgument arg : top->getArguments()) {
      unsigned i = arg.getArgNumber();
      auto name = top->getArgAttrOfType<StringAttr>(i, hls::kWeight);
      if (!name)
        continue;
      std::string engine = engineOf.count(arg) ? engineOf[arg] : "port:" + name.str();
      auto [it, inserted] = groupOf.try_emplace(engine, groupOf.size());
      int64_t k = it->second;
      top->setArgAttr(i, hls::kBundle, StringAttr::get(ctx, "gmem_w" + std::to_string(k)));
      top->setArgAttr(i, hls::kBank,
                      StringAttr::get(ctx, prefix + "[" + std::to_string(k % banks) + "]"));
    }
  }
};

} // namespace
} // namespace mlir::tern

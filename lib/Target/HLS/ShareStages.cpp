//===- ShareStages.cpp - one instance per distinct stage ------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSSHARESTAGES
#include "tern/Target/HLS/Passes.h.inc"

namespace {

struct ShareStagesPass : impl::TernHLSShareStagesBase<ShareStagesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> top = getHLSTop(module);
    if (failed(top))
      return signalPassFailure();
    // ROMs become arguments, innermost stages first, until only the top
    // names globals.
    for (bool changed = true; changed;) {
      changed = false;
      for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
        if (fn != *top && hoistGlobals(module, fn))
          changed = true;
    }
    // Merge identical stages until nothing changes (merging inner stages can
    // make the functions calling them identical).
    for (bool changed = true; changed;)
      changed = mergeOnce(module, *top);
    (*top)->removeAttr(hls::kDataflow);
    (*top)->setAttr(hls::kShared, UnitAttr::get(&getContext()));
  }

  bool hoistGlobals(ModuleOp module, func::FuncOp fn) {
    SmallVector<memref::GetGlobalOp> gets;
    fn.walk([&](memref::GetGlobalOp g) { gets.push_back(g); });
    if (gets.empty())
      return false;
    std::optional<SymbolTable::UseRange> uses = SymbolTable::getSymbolUses(fn, module);
    if (!uses)
      return false;
    SmallVector<func::CallOp> calls;
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto call = dyn_cast<func::CallOp>(use.getUser());
      if (!call)
        return false;
      calls.push_back(call);
    }
    for (memref::GetGlobalOp get : gets) {
      unsigned pos = fn.getNumArguments();
      (void)fn.insertArgument(pos, get.getType(), {}, get.getLoc());
      get.getResult().replaceAllUsesWith(fn.getArgument(pos));
      for (func::CallOp call : calls) {
        OpBuilder b(call);
        Value g = memref::GetGlobalOp::create(b, get.getLoc(), get.getType(), get.getName());
        call->insertOperands(call->getNumOperands(), g);
      }
      get.erase();
    }
    return true;
  }

  static bool sameStage(func::FuncOp a, func::FuncOp b) {
    if (a.getFunctionType() != b.getFunctionType() ||
        a->getAttr(hls::kStage) != b->getAttr(hls::kStage) ||
        a.getAllArgAttrs() != b.getAllArgAttrs())
      return false;
    return OperationEquivalence::isRegionEquivalentTo(&a.getBody(), &b.getBody(),
                                                      OperationEquivalence::IgnoreLocations);
  }

  bool mergeOnce(ModuleOp module, func::FuncOp top) {
    SmallVector<func::FuncOp> stages;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn != top && fn->hasAttr(hls::kStage))
        stages.push_back(fn);
    bool changed = false;
    llvm::SmallPtrSet<Operation *, 16> erased;
    for (size_t i = 0; i < stages.size(); ++i) {
      if (erased.contains(stages[i]))
        continue;
      for (size_t j = i + 1; j < stages.size(); ++j) {
        if (erased.contains(stages[j]) || !sameStage(stages[i], stages[j]))
          continue;
        if (failed(SymbolTable::replaceAllSymbolUses(stages[j], stages[i].getSymNameAttr(),
                                                     module)))
          continue;
        erased.insert(stages[j]);
        stages[j].erase();
        changed = true;
      }
    }
    return changed;
  }
};
} // namespace
} // namespace mlir::tern

//===- SelectTernaryKernel.cpp - the CPU ternary kernel as a module attr --===//
#include "Tern/TernaryKernels.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNSELECTTERNARYKERNEL
#include "tern/Transforms/Passes.h.inc"

namespace {
struct SelectTernaryKernelPass : impl::TernSelectTernaryKernelBase<SelectTernaryKernelPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Attribute recorded = module->getAttr(kTargetAttrName);
    if (recorded && !isa<LLVM::TargetAttr>(recorded)) {
      module.emitError() << "'" << kTargetAttrName << "' must be an #llvm.target attribute, got "
                         << recorded;
      return signalPassFailure();
    }
    LLVM::TargetAttr target = getTernaryTarget(module);
    TernaryKernelKind kind;
    if (kernel == "auto") {
      kind = chooseTernaryKernel(target);
    } else if (std::optional<TernaryKernelKind> named = parseTernaryKernelName(kernel)) {
      kind = *named;
    } else {
      module.emitError() << "unknown ternary kernel '" << kernel << "' (" << getTernaryKernelNameList()
                         << ")";
      return signalPassFailure();
    }
    if (failed(checkTernaryKernelTarget(kind, target, [&] { return module.emitError(); })))
      return signalPassFailure();
    module->setAttr(kTernaryKernelAttrName, TernaryKernelAttr::get(&getContext(), kind));
  }
};
} // namespace
} // namespace mlir::tern

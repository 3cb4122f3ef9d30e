//===- NameConstants.cpp - reproducible names of constant globals ---------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSNAMECONSTANTS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

std::string shapeName(MemRefType type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  for (int64_t d : type.getShape())
    os << d << "x";
  os << type.getElementType();
  return s;
}

struct NameConstantsPass : impl::TernHLSNameConstantsBase<NameConstantsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<memref::GlobalOp> order;
    llvm::SmallPtrSet<Operation *, 32> seen;
    module.walk([&](memref::GetGlobalOp get) {
      if (auto global = symbols.lookup<memref::GlobalOp>(get.getName()))
        if (seen.insert(global).second)
          order.push_back(global);
    });
    for (auto global : module.getOps<memref::GlobalOp>())
      if (seen.insert(global).second)
        order.push_back(global);
    if (order.empty())
      return;
    MLIRContext *ctx = module.getContext();
    // Two rounds, so that a new name never meets an old one.
    for (int round = 0; round < 2; ++round) {
      for (auto [k, global] : llvm::enumerate(order)) {
        std::string name = round == 0 ? "__tern_hls_renaming_" + std::to_string(k)
                                      : "constant_" + shapeName(global.getType()) + "_" +
                                            std::to_string(k);
        auto attr = StringAttr::get(ctx, name);
        if (failed(SymbolTable::replaceAllSymbolUses(global, attr, module)))
          return signalPassFailure();
        global.setSymName(name);
      }
    }
    // The globals first, in that order.
    Block *body = module.getBody();
    for (memref::GlobalOp global : llvm::reverse(order))
      global->moveBefore(body, body->begin());
  }
};

} // namespace
} // namespace mlir::tern

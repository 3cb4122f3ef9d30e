//===- OrderConstantGlobals.cpp - deterministic constant globals ----------===//
//
// One-shot bufferization (function boundaries) orders the functions it
// visits through hash maps keyed by operation pointers, and creates a
// `__constant_*` global per tensor constant as it goes: with the many
// functions of tern-split-large-functions, the globals' order and names --
// and so the model library's data layout -- changed from one identical
// compile to the next. Renaming and ordering them by first use makes the
// output a function of the input alone.
//
//===----------------------------------------------------------------------===//
#include "tern/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNORDERCONSTANTGLOBALS
#include "tern/Transforms/Passes.h.inc"

namespace {

/// A global made by bufferization for a tensor constant.
bool isBufferizedConstant(memref::GlobalOp global) {
  return global && global.getConstant() && global.isPrivate() &&
         global.getSymName().starts_with("__constant_");
}

/// Renames `global` and points its readers at the new name.
void rename(SymbolTable &symbols, memref::GlobalOp global, StringRef name,
            ArrayRef<memref::GetGlobalOp> readers) {
  symbols.remove(global);
  global.setSymName(name);
  symbols.insert(global);
  for (memref::GetGlobalOp reader : readers)
    reader.setNameAttr(FlatSymbolRefAttr::get(global.getSymNameAttr()));
}

struct OrderConstantGlobalsPass : impl::TernOrderConstantGlobalsBase<OrderConstantGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Every read of each global, in program order.
    llvm::MapVector<StringAttr, SmallVector<memref::GetGlobalOp>> reads;
    module.walk([&](memref::GetGlobalOp op) { reads[op.getNameAttr().getAttr()].push_back(op); });

    SmallVector<memref::GlobalOp> ordered;
    for (auto &entry : reads)
      if (auto global = symbols.lookup<memref::GlobalOp>(entry.first);
          isBufferizedConstant(global))
        ordered.push_back(global);
    for (auto global : llvm::make_early_inc_range(module.getOps<memref::GlobalOp>()))
      if (isBufferizedConstant(global) && !reads.contains(global.getSymNameAttr()))
        symbols.erase(global);

    // Temporary names first, so that no final name meets an old one.
    SmallVector<SmallVector<memref::GetGlobalOp>> readers;
    for (auto [k, global] : llvm::enumerate(ordered)) {
      readers.push_back(reads.lookup(global.getSymNameAttr()));
      rename(symbols, global, ("__tern_order_tmp_" + Twine(k)).str(), readers.back());
    }
    for (auto [k, global] : llvm::enumerate(ordered)) {
      std::string name = ("__constant_" + Twine(k)).str();
      for (unsigned n = 0; symbols.lookup(name); ++n) // never another symbol's name
        name = ("__constant_" + Twine(k) + "_" + Twine(n)).str();
      rename(symbols, global, name, readers[k]);
    }
    // In that order at the top of the module.
    for (memref::GlobalOp global : llvm::reverse(ordered))
      global->moveBefore(&module.getBody()->front());
  }
};

} // namespace
} // namespace mlir::tern

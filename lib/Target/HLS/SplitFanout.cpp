//===- SplitFanout.cpp - one producer, one consumer per channel -----------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSSPLITFANOUT
#include "tern/Target/HLS/Passes.h.inc"

namespace {

struct Effects {
  bool read = false, write = false;
  void merge(Effects o) {
    read |= o.read;
    write |= o.write;
  }
};

/// How the uses of a memref read and write it (through calls, transitively).
Effects effectsOf(ModuleOp module, Value memref) {
  Effects e;
  for (OpOperand &use : memref.getUses()) {
    Operation *user = use.getOwner();
    if (isa<affine::AffineLoadOp, memref::LoadOp>(user)) {
      e.read = true;
    } else if (isa<affine::AffineStoreOp, memref::StoreOp>(user)) {
      e.write = true;
    } else if (auto call = dyn_cast<func::CallOp>(user)) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal()) {
        e.read = e.write = true;
        continue;
      }
      e.merge(effectsOf(module, callee.getArgument(use.getOperandNumber())));
    } else {
      e.read = e.write = true; // views, copies: be conservative
    }
  }
  return e;
}

/// True if every write of the argument is a direct store in the function.
bool writesByDirectStores(Value arg) {
  return llvm::all_of(arg.getUsers(), [](Operation *u) {
    return isa<affine::AffineLoadOp, affine::AffineStoreOp, memref::LoadOp, memref::StoreOp>(u);
  });
}

struct SplitFanoutPass : impl::TernHLSSplitFanoutBase<SplitFanoutPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> regions;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn->hasAttr(hls::kDataflow))
        regions.push_back(fn);
    for (func::FuncOp fn : regions) {
      SmallVector<memref::AllocOp> buffers;
      for (Operation &op : fn.getBody().front())
        if (auto alloc = dyn_cast<memref::AllocOp>(op))
          buffers.push_back(alloc);
      for (memref::AllocOp alloc : buffers)
        split(module, alloc);
      for (BlockArgument arg : fn.getArguments())
        splitInput(module, fn, arg);
      if (!isLegal(module, fn))
        fn->removeAttr(hls::kDataflow);
    }
  }

  /// Calls of `fn`'s body that read / write `buffer`, in order.
  void accessors(ModuleOp module, Value buffer, SmallVectorImpl<func::CallOp> &readers,
                 SmallVectorImpl<func::CallOp> &writers, bool &other) {
    other = false;
    SetVector<Operation *> users;
    for (Operation *u : buffer.getUsers())
      users.insert(u);
    for (Operation *u : users) {
      auto call = dyn_cast<func::CallOp>(u);
      if (!call) {
        other = true;
        continue;
      }
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      Effects e;
      for (OpOperand &operand : call->getOpOperands())
        if (operand.get() == buffer)
          e.merge(callee ? effectsOf(module, callee.getArgument(operand.getOperandNumber()))
                         : Effects{true, true});
      if (e.write)
        writers.push_back(call);
      else if (e.read)
        readers.push_back(call);
    }
    auto before = [](func::CallOp a, func::CallOp b) { return a->isBeforeInBlock(b); };
    llvm::sort(readers, before);
    llvm::sort(writers, before);
  }

  void split(ModuleOp module, memref::AllocOp alloc) {
    SmallVector<func::CallOp> readers, writers;
    bool other;
    accessors(module, alloc, readers, writers, other);
    if (other || writers.size() != 1 || readers.size() < 2)
      return;
    func::CallOp writer = writers.front();
    if (llvm::any_of(readers, [&](func::CallOp r) { return r->isBeforeInBlock(writer); }))
      return;
    auto callee = module.lookupSymbol<func::FuncOp>(writer.getCallee());
    if (!callee)
      return;
    std::optional<SymbolTable::UseRange> uses = SymbolTable::getSymbolUses(callee, module);
    if (!uses || std::distance(uses->begin(), uses->end()) != 1)
      return;
    SmallVector<unsigned> argIdx;
    for (OpOperand &operand : writer->getOpOperands())
      if (operand.get() == alloc.getResult())
        argIdx.push_back(operand.getOperandNumber());
    if (argIdx.size() != 1 || !writesByDirectStores(callee.getArgument(argIdx[0])))
      return;
    unsigned a = argIdx[0];
    Value arg = callee.getArgument(a);

    // One more buffer per extra reader; the producer stores to each.
    OpBuilder b(alloc);
    b.setInsertionPointAfter(alloc);
    SmallVector<Value> copies;
    for (size_t i = 1; i < readers.size(); ++i)
      copies.push_back(b.clone(*alloc)->getResult(0));
    SmallVector<Value> newArgs;
    for (size_t i = 0; i < copies.size(); ++i) {
      unsigned pos = callee.getNumArguments();
      (void)callee.insertArgument(pos, arg.getType(), callee.getArgAttrDict(a), arg.getLoc());
      newArgs.push_back(callee.getArgument(pos));
    }
    SmallVector<Operation *> stores;
    for (Operation *u : arg.getUsers())
      if (isa<affine::AffineStoreOp, memref::StoreOp>(u))
        stores.push_back(u);
    for (Operation *store : stores) {
      OpBuilder sb(store);
      sb.setInsertionPointAfter(store);
      for (Value dst : newArgs) {
        Operation *clone = sb.clone(*store);
        clone->replaceUsesOfWith(arg, dst);
      }
    }
    writer->insertOperands(writer->getNumOperands(), copies);
    for (size_t i = 1; i < readers.size(); ++i)
      readers[i]->replaceUsesOfWith(alloc.getResult(), copies[i - 1]);
  }

  /// An input port read by several stages: a `load` stage reads it once
  /// into one local buffer per reader (stage calls only; ports stay read-only).
  void splitInput(ModuleOp module, func::FuncOp fn, BlockArgument arg) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.hasStaticShape())
      return;
    SmallVector<func::CallOp> readers, writers;
    bool other;
    accessors(module, arg, readers, writers, other);
    if (other || !writers.empty() || readers.size() < 2)
      return;
    MLIRContext *ctx = module.getContext();
    Location loc = arg.getLoc();
    // The load stage: for every element, load once, store to each copy.
    OpBuilder mb(ctx);
    mb.setInsertionPoint(fn);
    SmallVector<Type> argTypes(readers.size() + 1, type);
    std::string name = (fn.getName() + "_load" + Twine(arg.getArgNumber())).str();
    auto load = func::FuncOp::create(mb, loc, name, mb.getFunctionType(argTypes, {}));
    load.setPrivate();
    load->setAttr(hls::kStage, mb.getStringAttr("load"));
    SymbolTable(module).insert(load);
    OpBuilder b = OpBuilder::atBlockBegin(load.addEntryBlock());
    SmallVector<Value> ivs;
    for (int64_t size : type.getShape()) {
      auto loop = affine::AffineForOp::create(b, loc, 0, size);
      ivs.push_back(loop.getInductionVar());
      b.setInsertionPointToStart(loop.getBody());
    }
    Value v = affine::AffineLoadOp::create(b, loc, load.getArgument(0), ivs);
    for (size_t i = 0; i < readers.size(); ++i)
      affine::AffineStoreOp::create(b, loc, v, load.getArgument(i + 1), ivs);
    b.setInsertionPointToEnd(&load.getBody().front());
    func::ReturnOp::create(b, loc);
    // One buffer per reader, filled before the first reader runs.
    OpBuilder fb = OpBuilder::atBlockBegin(&fn.getBody().front());
    SmallVector<Value> operands = {arg};
    for (size_t i = 0; i < readers.size(); ++i)
      operands.push_back(memref::AllocOp::create(fb, loc, type));
    fb.setInsertionPoint(readers.front());
    func::CallOp::create(fb, loc, load, operands);
    for (size_t i = 0; i < readers.size(); ++i)
      readers[i]->replaceUsesOfWith(arg, operands[i + 1]);
  }

  /// One producer per buffer, before all its consumers; ports: inputs are
  /// only read, outputs written once.
  bool isLegal(ModuleOp module, func::FuncOp fn) {
    SmallVector<Value> buffers(fn.getArguments());
    for (Operation &op : fn.getBody().front()) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        buffers.push_back(alloc);
      else if (!isa<func::CallOp, func::ReturnOp, memref::AllocaOp, memref::GetGlobalOp,
                    arith::ConstantOp>(op))
        return false;
    }
    for (Value v : buffers) {
      if (!isa<MemRefType>(v.getType()))
        continue;
      SmallVector<func::CallOp> readers, writers;
      bool other;
      accessors(module, v, readers, writers, other);
      if (other || writers.size() > 1)
        return false;
      if (writers.empty())
        continue;
      if (llvm::any_of(readers, [&](func::CallOp r) { return r->isBeforeInBlock(writers[0]); }))
        return false;
      if (!isa<BlockArgument>(v) && readers.size() > 1)
        return false;
    }
    return true;
  }
};
} // namespace

bool hlsMayWrite(ModuleOp module, Value memref) { return effectsOf(module, memref).write; }
bool hlsMayRead(ModuleOp module, Value memref) { return effectsOf(module, memref).read; }

} // namespace mlir::tern

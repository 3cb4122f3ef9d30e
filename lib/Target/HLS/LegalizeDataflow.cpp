//===- LegalizeDataflow.cpp - canonical dataflow regions ------------------===//
//
// After bufferization the top function is buffers, stage calls, token loops
// (scf.for around stage calls, with memref iteration arguments) and copies.
// This pass makes it a canonical HLS dataflow region: loops become
// `recurrence` stages (their state lives in an out-parameter), copies into
// outputs are elided (the producer writes the port), remaining copies become
// `copy` stages; memref.copy inside stages becomes linalg.copy (it lowers to
// loops with the rest).
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "llvm/ADT/MapVector.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSLEGALIZEDATAFLOW
#include "tern/Target/HLS/Passes.h.inc"

namespace {

/// Ops that may stay in a dataflow region next to the stage calls.
bool isRegionGlue(Operation *op) {
  return isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp, arith::ConstantOp,
             func::CallOp, func::ReturnOp>(op);
}

/// Views and scalars cloned into an outlined function rather than passed.
bool isCloneable(Operation *op) {
  return isa<arith::ConstantOp, memref::GetGlobalOp, memref::SubViewOp, memref::ExpandShapeOp,
             memref::CollapseShapeOp, memref::CastOp, memref::ReinterpretCastOp>(op);
}

/// The buffer a view chain starts from.
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<memref::SubViewOp, memref::ExpandShapeOp, memref::CollapseShapeOp, memref::CastOp,
             memref::ReinterpretCastOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

struct LegalizeDataflowPass : impl::TernHLSLegalizeDataflowBase<LegalizeDataflowPass> {
  using Base::Base;
  func::FuncOp top;
  int64_t counter = 0;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> maybeTop = getHLSTop(module);
    if (failed(maybeTop))
      return signalPassFailure();
    top = *maybeTop;
    Block &body = top.getBody().front();

    for (Operation &op : llvm::make_early_inc_range(body))
      if (auto loop = dyn_cast<scf::ForOp>(op))
        if (failed(outlineLoop(loop)))
          return signalPassFailure();
    elideOutputCopies(body);
    // What is left writes outputs or slices of them (e.g. the per-layer
    // states of a concatenated state output): one copy stage per written
    // buffer, so that each has a single producer.
    llvm::MapVector<Value, SmallVector<Operation *>> byTarget;
    for (Operation &op : body) {
      if (isRegionGlue(&op) || isCloneable(&op))
        continue;
      Value target;
      if (auto copy = dyn_cast<memref::CopyOp>(op))
        target = rootOf(copy.getTarget());
      else if (auto dps = dyn_cast<DestinationStyleOpInterface>(op); dps && dps.getNumDpsInits() == 1)
        target = rootOf(dps.getDpsInits()[0]);
      byTarget[target ? target : op.getResult(0)].push_back(&op);
    }
    for (auto &[target, ops] : byTarget)
      outline(ops, "copy", /*resultsAsOutParams=*/false);
    // Views nobody uses any more.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isCloneable(&op) && op.use_empty())
        op.erase();

    // memref.copy inside stages lowers with the linalg ops.
    module.walk([&](memref::CopyOp copy) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
    top->setAttr(hls::kDataflow, UnitAttr::get(&getContext()));
  }

  /// `memref.copy %buf, %out` where %out is an output port used nowhere else
  /// and the copy is the last use of the local buffer %buf: the producers
  /// write %out directly.
  void elideOutputCopies(Block &body) {
    for (Operation &op : llvm::make_early_inc_range(body)) {
      auto copy = dyn_cast<memref::CopyOp>(op);
      if (!copy)
        continue;
      auto src = copy.getSource().getDefiningOp<memref::AllocOp>();
      auto dst = dyn_cast<BlockArgument>(copy.getTarget());
      if (!src || !dst || dst.getOwner() != &body || !dst.hasOneUse() ||
          src.getType() != dst.getType())
        continue;
      bool lastUse = llvm::all_of(src->getUsers(), [&](Operation *user) {
        return user == copy || user->isBeforeInBlock(copy);
      });
      if (!lastUse)
        continue;
      copy.erase();
      src.getResult().replaceAllUsesWith(dst);
      src.erase();
    }
  }

  /// Replaces `ops` (consecutive in one block) by a call of a new stage
  /// function taking what they use from outside. With resultsAsOutParams,
  /// the ops' memref results become out-parameters (fresh buffers).
  func::CallOp outline(ArrayRef<Operation *> ops, StringRef kind, bool resultsAsOutParams,
                       function_ref<void(OpBuilder &, IRMapping &, ArrayRef<Value>)> buildBody = {}) {
    MLIRContext *ctx = &getContext();
    SetVector<Value> inputs;
    SetVector<Operation *> clones;
    std::function<void(Value)> use = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (def && llvm::is_contained(ops, def))
        return;
      if (def && isCloneable(def)) {
        if (clones.contains(def))
          return;
        for (Value o : def->getOperands())
          use(o);
        clones.insert(def);
        return;
      }
      inputs.insert(v);
    };
    for (Operation *op : ops) {
      for (Value v : op->getOperands())
        use(v);
      SetVector<Value> above;
      getUsedValuesDefinedAbove(op->getRegions(), above);
      for (Value v : above)
        use(v);
    }
    SmallVector<Type> types;
    for (Value v : inputs)
      types.push_back(v.getType());
    SmallVector<Value> results;
    if (resultsAsOutParams)
      for (Operation *op : ops)
        for (Value r : op->getResults())
          results.push_back(r);
    for (Value r : results)
      types.push_back(r.getType());

    OpBuilder b(top);
    Location loc = ops.front()->getLoc();
    std::string name = (top.getName() + "_" + kind + Twine(counter++)).str();
    auto fn = func::FuncOp::create(b, loc, name, FunctionType::get(ctx, types, {}));
    fn.setPrivate();
    fn->setAttr(hls::kStage, b.getStringAttr(kind));
    Block *entry = fn.addEntryBlock();
    IRMapping mapping;
    for (auto [v, arg] : llvm::zip(inputs, entry->getArguments()))
      mapping.map(v, arg);
    SmallVector<Value> outParams(entry->getArguments().drop_front(inputs.size()));
    b.setInsertionPointToStart(entry);
    for (Operation *op : clones)
      b.clone(*op, mapping);
    if (buildBody)
      buildBody(b, mapping, outParams);
    else
      for (Operation *op : ops)
        b.clone(*op, mapping);
    func::ReturnOp::create(b, loc);

    // At the last op: everything the group reads is defined by then.
    b.setInsertionPoint(ops.back());
    SmallVector<Value> args(inputs.begin(), inputs.end());
    for (Value r : results) {
      Value buffer = memref::AllocOp::create(b, loc, cast<MemRefType>(r.getType()));
      r.replaceAllUsesWith(buffer);
      args.push_back(buffer);
    }
    auto call = func::CallOp::create(b, loc, fn, args);
    for (Operation *op : llvm::reverse(ops))
      op->erase();
    return call;
  }

  /// A token loop becomes a `recurrence` stage: its memref iteration
  /// arguments live in out-parameters (copied from their inits first, the
  /// yielded buffer copied back at the end of each iteration).
  LogicalResult outlineLoop(scf::ForOp loop) {
    for (Value init : loop.getInitArgs())
      if (!isa<MemRefType>(init.getType()) ||
          !cast<MemRefType>(init.getType()).hasStaticShape())
        return loop.emitOpError("HLS: token loops may only carry static buffers");
    SmallVector<Value> inits(loop.getInitArgs());
    unsigned numIter = inits.size();
    // Inits are inputs of the stage: outline() collects them from the loop's
    // operands; its results become out-parameters.
    outline({loop.getOperation()}, "recurrence", /*resultsAsOutParams=*/true,
            [&](OpBuilder &b, IRMapping &mapping, ArrayRef<Value> outs) {
              Location loc = loop.getLoc();
              for (unsigned i = 0; i < numIter; ++i)
                memref::CopyOp::create(b, loc, mapping.lookup(inits[i]), outs[i]);
              // Static bounds (the token count): an affine.for, so the
              // slices it indexes fold into affine accesses.
              std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()),
                                     ub = getConstantIntValue(loop.getUpperBound()),
                                     step = getConstantIntValue(loop.getStep());
              Block *newBody;
              Value iv;
              if (lb && ub && step) {
                auto newLoop = affine::AffineForOp::create(b, loc, *lb, *ub, *step);
                newBody = newLoop.getBody();
                iv = newLoop.getInductionVar();
              } else {
                auto newLoop = scf::ForOp::create(b, loc, mapping.lookup(loop.getLowerBound()),
                                                  mapping.lookup(loop.getUpperBound()),
                                                  mapping.lookup(loop.getStep()));
                newBody = newLoop.getBody();
                iv = newLoop.getInductionVar();
              }
              IRMapping inner = mapping;
              inner.map(loop.getInductionVar(), iv);
              for (unsigned i = 0; i < numIter; ++i)
                inner.map(loop.getRegionIterArgs()[i], outs[i]);
              OpBuilder lb2 = OpBuilder::atBlockBegin(newBody);
              lb2.setInsertionPoint(newBody->getTerminator());
              auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
              for (Operation &op : loop.getBody()->without_terminator())
                lb2.clone(op, inner);
              for (unsigned i = 0; i < numIter; ++i) {
                Value y = inner.lookupOrDefault(yield.getOperand(i));
                if (y != outs[i])
                  memref::CopyOp::create(lb2, loc, y, outs[i]);
              }
            });
    return success();
  }
};
} // namespace
} // namespace mlir::tern

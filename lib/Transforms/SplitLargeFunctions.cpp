//===- SplitLargeFunctions.cpp - functions of bounded size ----------------===//
//
// A model is one function. Several upstream passes after bufferization do
// work in proportion to the whole function for each loop or buffer in it
// (SCFToControlFlow splits the function's one block at every loop, moving
// the rest of it; buffer-deallocation simplification compares buffers
// pairwise), and LLVM's scheduler does on the straight-line code of many
// small unrolled loops: compile time grew with the square of the graph.
// Before bufferization, a function with more than `max-ops` ops has its
// top-level ops moved, in consecutive runs of about `max-ops`, into private
// functions called in their place. Every later pass then sees functions of
// bounded size, and the work becomes linear in the graph.
//
// A run ends only where every value live across the cut can cross a call
// (a tensor of static shape, which bufferization turns into an
// out-parameter, or a scalar). Expressions of constants and arguments that
// cost nothing to recompute (constants, `tensor.empty`, reshapes and casts
// of them, scalar arithmetic) are cloned into each run that uses them rather
// than passed: a weight stays a view of its global in every run, never a
// result copied out of another. The new functions are `noinline` with
// internal linkage, so LLVM's inliner does not rebuild the large function
// and the model library exports nothing new.
//
//===----------------------------------------------------------------------===//
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNSPLITLARGEFUNCTIONS
#include "tern/Transforms/Passes.h.inc"

namespace {

/// An op that costs nothing to recompute: no data of its own to copy.
bool isCheapToClone(Operation *op) {
  if (op->getNumRegions() != 0 || op->getNumResults() == 0 || !isMemoryEffectFree(op))
    return false;
  if (op->getNumOperands() == 0) // constants, tensor.empty, memref.get_global
    return true;
  if (llvm::all_of(op->getResultTypes(), [](Type t) { return t.isIntOrIndexOrFloat(); }))
    return true;
  return isa<ViewLikeOpInterface, tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp,
             tensor::ExtractSliceOp>(op);
}

/// The body's ops that each run clones instead of receiving: cheap ops of
/// constants, arguments and other such ops.
DenseSet<Operation *> findClonedOps(Block &body) {
  DenseSet<Operation *> cloned;
  for (Operation &op : body.without_terminator())
    if (isCheapToClone(&op) && llvm::all_of(op.getOperands(), [&](Value v) {
          return isa<BlockArgument>(v) || cloned.contains(v.getDefiningOp());
        }))
      cloned.insert(&op);
  return cloned;
}

/// Values that may be a run's argument or result.
bool canCrossCall(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.hasStaticShape();
  return type.isIntOrIndexOrFloat();
}

unsigned countOps(Operation *op) {
  unsigned n = 0;
  op->walk([&](Operation *) { ++n; });
  return n;
}

/// Consecutive runs of the body's ops (all but cloned ops and the terminator)
/// of at least `maxOps` ops each, cut only where nothing that cannot cross a
/// call is live. One run: nothing to split.
SmallVector<SmallVector<Operation *>> partitionBody(Block &body,
                                                   const DenseSet<Operation *> &cloned,
                                                   unsigned maxOps) {
  SmallVector<Operation *> ops;
  DenseMap<Operation *, unsigned> position;
  for (Operation &op : body.without_terminator())
    if (!cloned.contains(&op)) {
      position[&op] = ops.size();
      ops.push_back(&op);
    }
  // The cut after ops[j] is blocked while the prefix sum of delta up to j is
  // positive: a value that cannot cross a call is defined at or before ops[j]
  // and used after it. (Cloned ops read no run's results.)
  SmallVector<int> delta(ops.size() + 1, 0);
  for (auto [i, op] : llvm::enumerate(ops))
    for (Value result : op->getResults()) {
      if (canCrossCall(result.getType()))
        continue;
      unsigned last = i;
      for (Operation *user : result.getUsers()) {
        auto it = position.find(body.findAncestorOpInBlock(*user));
        last = std::max<unsigned>(last, it == position.end() ? ops.size() : it->second);
      }
      ++delta[i];
      --delta[last];
    }
  SmallVector<SmallVector<Operation *>> runs(1);
  unsigned size = 0;
  int blocked = 0;
  for (auto [i, op] : llvm::enumerate(ops)) {
    runs.back().push_back(op);
    size += countOps(op);
    blocked += delta[i];
    if (size >= maxOps && blocked == 0 && i + 1 < ops.size()) {
      runs.emplace_back();
      size = 0;
    }
  }
  return runs;
}

/// Moves `run` (consecutive ops of `parent`'s body) into a new private
/// function placed after `insertAfter`, and calls it where the run was.
void outlineRun(func::FuncOp parent, ArrayRef<Operation *> run,
                const DenseSet<Operation *> &cloned, StringRef name, SymbolTable &symbols,
                Operation *&insertAfter) {
  Block &body = parent.getBody().front();
  MLIRContext *ctx = parent.getContext();
  DenseSet<Operation *> members(run.begin(), run.end());

  // Arguments, in order of first use: values of the body that the run (or a
  // cloned op it reads) uses and that are neither its own nor cloned.
  llvm::SetVector<Value> inputs;
  DenseSet<Operation *> seen;
  std::function<void(Value)> use = [&](Value v) {
    if (v.getParentBlock() != &body)
      return; // defined inside the run
    Operation *def = v.getDefiningOp();
    if (def && members.contains(def))
      return;
    if (!def || !cloned.contains(def)) {
      inputs.insert(v);
      return;
    }
    if (seen.insert(def).second)
      for (Value operand : def->getOperands())
        use(operand);
  };
  for (Operation *op : run)
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands())
        use(v);
    });
  SmallVector<Value> outputs;
  for (Operation *op : run)
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !members.contains(body.findAncestorOpInBlock(*user));
          }))
        outputs.push_back(result);

  Location loc = run.front()->getLoc();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(insertAfter);
  auto type = b.getFunctionType(TypeRange(inputs.getArrayRef()), TypeRange(outputs));
  auto fn = func::FuncOp::create(b, loc, name, type);
  symbols.insert(fn); // renamed if taken
  fn.setPrivate();
  fn->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("noinline")}));
  fn->setAttr("llvm.linkage", LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  insertAfter = fn;

  Block *entry = fn.addEntryBlock();
  IRMapping mapping;
  mapping.map(inputs.getArrayRef(), entry->getArguments());
  // A cloned op's value in the new function, cloned (after what it reads) at
  // the insertion point on first use.
  std::function<Value(Value)> materialize = [&](Value v) -> Value {
    if (Value mapped = mapping.lookupOrNull(v))
      return mapped;
    Operation *def = v.getDefiningOp();
    for (Value operand : def->getOperands())
      materialize(operand);
    b.clone(*def, mapping);
    return mapping.lookup(v);
  };
  Operation *next = run.back()->getNextNode();
  b.setInsertionPointToEnd(entry);
  for (Operation *op : run) {
    // Point the op at the new function's values -- cloned ops just before it,
    // so a buffer is still allocated where it is first needed -- and move it.
    op->walk([&](Operation *nested) {
      for (OpOperand &operand : nested->getOpOperands()) {
        Value v = operand.get();
        if (v.getParentBlock() != &body)
          continue;
        Operation *def = v.getDefiningOp();
        if (def && members.contains(def))
          continue;
        operand.set(materialize(v));
      }
    });
    op->moveBefore(entry, entry->end());
  }
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc, outputs);

  b.setInsertionPoint(next);
  auto call = func::CallOp::create(b, loc, fn, inputs.getArrayRef());
  for (auto [result, replacement] : llvm::zip(outputs, call.getResults()))
    result.replaceUsesWithIf(replacement, [&](OpOperand &operand) {
      return !fn->isProperAncestor(operand.getOwner());
    });
}

struct SplitLargeFunctionsPass : impl::TernSplitLargeFunctionsBase<SplitLargeFunctionsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal() && fn.getBody().hasOneBlock() && countOps(fn) > maxOps + 1)
        functions.push_back(fn);
    SymbolTable symbols(module);
    for (func::FuncOp fn : functions) {
      Block &body = fn.getBody().front();
      DenseSet<Operation *> cloned = findClonedOps(body);
      SmallVector<SmallVector<Operation *>> runs = partitionBody(body, cloned, maxOps);
      if (runs.size() < 2)
        continue;
      Operation *insertAfter = fn;
      for (auto [i, run] : llvm::enumerate(runs))
        outlineRun(fn, run, cloned, (fn.getName() + "_part" + Twine(i)).str(), symbols,
                   insertAfter);
      // Cloned ops no run left a use of, users before what they read.
      SmallVector<Operation *> dead;
      for (Operation &op : body.without_terminator())
        if (cloned.contains(&op))
          dead.push_back(&op);
      for (Operation *op : llvm::reverse(dead))
        if (op->use_empty())
          op->erase();
    }
  }
};

} // namespace
} // namespace mlir::tern

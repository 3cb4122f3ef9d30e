//===- SplitLargeFunctions.cpp - functions of bounded size ----------------===//
//
// A model is one function. Several upstream passes after bufferization do
// work in proportion to the whole function for each loop or buffer in it
// (SCFToControlFlow splits the function's one block at every loop, moving
// the rest of it; buffer-deallocation simplification compares buffers
// pairwise), and so does instruction selection on the straight-line code
// that calls outlined loops: compile time grew with the square of the graph.
// Before bufferization, a function with more than `max-ops` ops has its
// top-level ops moved, in consecutive runs of about `max-ops`, into private
// functions called in their place. Every later pass then sees functions of
// bounded size, and the work becomes linear in the graph.
//
// A run ends only where every value live across the cut can cross a call
// (a tensor of static shape, which bufferization turns into an
// out-parameter, or a scalar). Constants and `tensor.empty` are cloned into
// each run that uses them rather than passed: they hold no data to move and
// later passes want to see them (a weight's global). The new functions are
// `noinline` with internal linkage, so LLVM's inliner does not rebuild the
// large function and the model library exports nothing new.
//
//===----------------------------------------------------------------------===//
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNSPLITLARGEFUNCTIONS
#include "tern/Transforms/Passes.h.inc"

namespace {

/// Ops copied into every run that uses them instead of passed to it.
bool isCloned(Operation *op) {
  return op->getNumOperands() == 0 && op->getNumRegions() == 0 && op->getNumResults() == 1 &&
         isMemoryEffectFree(op);
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
SmallVector<SmallVector<Operation *>> partitionBody(Block &body, unsigned maxOps) {
  SmallVector<Operation *> ops;
  DenseMap<Operation *, unsigned> position;
  for (Operation &op : body.without_terminator())
    if (!isCloned(&op)) {
      position[&op] = ops.size();
      ops.push_back(&op);
    }
  // blocked(j) = prefix sum of delta up to j > 0: a value that cannot cross a
  // call is defined at or before ops[j] and used after it.
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
/// function and calls it where the run was.
void outlineRun(func::FuncOp parent, ArrayRef<Operation *> run, StringRef name,
                SymbolTable &symbols, Operation *&insertAfter) {
  Block &body = parent.getBody().front();
  MLIRContext *ctx = parent.getContext();
  DenseSet<Operation *> members(run.begin(), run.end());
  // Arguments in order of first use (cloned ops are not passed).
  llvm::SetVector<Value> inputs;
  for (Operation *op : run)
    op->walk([&](Operation *nested) {
      for (Value v : nested->getOperands()) {
        if (v.getParentBlock() != &body)
          continue; // defined inside the run
        Operation *def = v.getDefiningOp();
        if (!def || (!members.contains(def) && !isCloned(def)))
          inputs.insert(v);
      }
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
  DenseMap<Value, Value> mapping;
  for (auto [v, arg] : llvm::zip(inputs, entry->getArguments()))
    mapping[v] = arg;
  Operation *next = run.back()->getNextNode();
  b.setInsertionPointToEnd(entry);
  for (Operation *op : run) {
    // Point the op at the new function's values, cloning what it reads of
    // the cloned kinds just before it (a buffer is then allocated where it
    // is first needed, as before), and move it there.
    op->walk([&](Operation *nested) {
      for (OpOperand &operand : nested->getOpOperands()) {
        Value v = operand.get();
        if (v.getParentBlock() != &body)
          continue;
        Value &mapped = mapping[v];
        if (!mapped) {
          Operation *def = v.getDefiningOp();
          if (!def || members.contains(def))
            continue;
          mapped = b.clone(*def)->getResult(0);
        }
        operand.set(mapped);
      }
    });
    op->moveBefore(entry, entry->end());
  }
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc, outputs);

  b.setInsertionPoint(next);
  auto call = func::CallOp::create(b, loc, fn, inputs.getArrayRef());
  for (auto [result, replacement] : llvm::zip(outputs, call.getResults()))
    result.replaceUsesWithIf(replacement, [&](OpOperand &use) {
      return !fn->isProperAncestor(use.getOwner());
    });
}

struct SplitLargeFunctionsPass : impl::TernSplitLargeFunctionsBase<SplitLargeFunctionsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal() && fn.getBody().hasOneBlock())
        functions.push_back(fn);
    SymbolTable symbols(module);
    for (func::FuncOp fn : functions) {
      if (countOps(fn) <= maxOps + 1)
        continue;
      Block &body = fn.getBody().front();
      SmallVector<SmallVector<Operation *>> runs = partitionBody(body, maxOps);
      if (runs.size() < 2)
        continue;
      Operation *insertAfter = fn;
      for (auto [i, run] : llvm::enumerate(runs))
        outlineRun(fn, run, (fn.getName() + "_part" + Twine(i)).str(), symbols, insertAfter);
      // Cloned ops now used by no run (they have no operands: any order).
      for (Operation &op : llvm::make_early_inc_range(body.without_terminator()))
        if (isCloned(&op) && op.use_empty())
          op.erase();
    }
  }
};

} // namespace
} // namespace mlir::tern

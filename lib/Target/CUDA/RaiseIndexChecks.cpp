//===- RaiseIndexChecks.cpp - importer index checks -> tern.index_check ---===//
//
// `tern-cuda-raise-index-checks`: the importer's run-time index check (see
// tern/Utils/IndexChecks.h) is a loop nest over the index tensor whose body
// calls the CPU runtime's `tern_rt_index_error` for an index outside
// [-dim, dim). The CUDA backend has no such function (its kernels report
// through a device error word), so each nest becomes one `tern.index_check`.
// Loops of one iteration may have been folded (their induction variable is
// then the constant 0). Anything else calling the function is an error: a
// check is never dropped silently.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Utils/IndexChecks.h"

#include "Tern/TernOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCUDARAISEINDEXCHECKS
#include "tern/Target/CUDA/Passes.h.inc"

namespace {

/// One matched check: `root` (the outermost loop, or the scf.if when every
/// loop was folded) is replaced by tern.index_check.
struct MatchedCheck {
  Operation *root = nullptr;
  tensor::ExtractOp extract;
  int64_t dim = 0;
  std::string what;
  SmallVector<Operation *> outsideRoot; ///< the compare chain when root is the scf.if
};

static bool isConstInt(Value v, int64_t want) {
  APInt c;
  return matchPattern(v, m_ConstantInt(&c)) && c.getSExtValue() == want;
}

/// `cmpi pred x, c` with `c` == want.
static bool isCompare(Value v, arith::CmpIPredicate pred, Value x, int64_t want) {
  auto cmp = v.getDefiningOp<arith::CmpIOp>();
  return cmp && cmp.getPredicate() == pred && cmp.getLhs() == x && isConstInt(cmp.getRhs(), want);
}

/// The text of the message global `msg` refers to (memref.cast of memref.get_global).
static FailureOr<std::string> messageText(Value msg, Operation *from) {
  if (auto cast = msg.getDefiningOp<memref::CastOp>())
    msg = cast.getSource();
  auto get = msg.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return failure();
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(from, get.getNameAttr());
  auto init = global ? dyn_cast_or_null<DenseElementsAttr>(global.getInitialValueAttr()) : nullptr;
  if (!init || !init.getElementType().isInteger(8))
    return failure();
  std::string text;
  for (APInt c : init.getValues<APInt>())
    text += static_cast<char>(c.getZExtValue());
  return text;
}

static FailureOr<MatchedCheck> matchCheck(func::CallOp call) {
  auto fail = [&](const Twine &why) -> FailureOr<MatchedCheck> {
    call.emitError("CUDA backend: a call of ")
        << kIndexErrorFunction << " that is not a run-time index check it knows (" << why << ")";
    return failure();
  };
  if (call.getNumOperands() != 3)
    return fail("expected 3 operands");
  MatchedCheck m;
  APInt hi;
  if (!matchPattern(call.getOperand(2), m_ConstantInt(&hi)) || hi.isNegative())
    return fail("the axis size is not a constant");
  m.dim = hi.getSExtValue();
  FailureOr<std::string> what = messageText(call.getOperand(0), call);
  if (failed(what))
    return fail("the message is not a constant global");
  m.what = *what;
  auto ifOp = dyn_cast<scf::IfOp>(call->getParentOp());
  if (!ifOp || ifOp.getNumResults() != 0 || !ifOp.getElseRegion().empty() ||
      ifOp.thenBlock()->getOperations().size() != 2)
    return fail("not alone in an scf.if");
  // index < -dim || index >= dim, in either order.
  Value v = call.getOperand(1);
  auto orOp = ifOp.getCondition().getDefiningOp<arith::OrIOp>();
  if (!orOp)
    return fail("the condition is not an or of two compares");
  Value a = orOp.getLhs(), b = orOp.getRhs();
  auto slt = arith::CmpIPredicate::slt, sge = arith::CmpIPredicate::sge;
  if (!(isCompare(a, slt, v, -m.dim) && isCompare(b, sge, v, m.dim)) &&
      !(isCompare(b, slt, v, -m.dim) && isCompare(a, sge, v, m.dim)))
    return fail("the condition is not index < -dim || index >= dim");
  Value x = v;
  auto ext = x.getDefiningOp<arith::ExtSIOp>();
  if (ext)
    x = ext.getIn();
  m.extract = x.getDefiningOp<tensor::ExtractOp>();
  if (!m.extract)
    return fail("the index is not read from a tensor");
  auto type = m.extract.getTensor().getType();
  if (!type.hasStaticShape())
    return fail("the index tensor has a dynamic shape");
  // Every dimension is scanned whole: a loop 0..size step 1, or the
  // constant 0 for a dimension of size 1 (its loop folded away).
  SmallPtrSet<Operation *, 4> loops;
  for (auto [d, idx] : llvm::enumerate(m.extract.getIndices())) {
    int64_t size = type.getDimSize(d);
    if (isConstInt(idx, 0) && size == 1)
      continue;
    scf::ForOp loop = scf::getForInductionVarOwner(idx);
    if (!loop || !isConstInt(loop.getLowerBound(), 0) || !isConstInt(loop.getStep(), 1) ||
        !isConstInt(loop.getUpperBound(), size) || loop.getNumResults() != 0 ||
        !loops.insert(loop).second)
      return fail("dimension " + Twine(d) + " of the index tensor is not scanned whole");
  }
  // The loops are exactly the scf.if's enclosing ops, and do nothing else.
  m.root = ifOp;
  for (Operation *p = ifOp->getParentOp(); p && loops.contains(p); p = p->getParentOp())
    m.root = p;
  unsigned nested = 0;
  for (Operation *p = ifOp->getParentOp(); p != m.root->getParentOp(); p = p->getParentOp())
    ++nested;
  if (nested != loops.size())
    return fail("the scan loops do not enclose the check");
  WalkResult other = m.root->walk([&](Operation *op) {
    bool part = isa<scf::ForOp, scf::IfOp, scf::YieldOp, tensor::ExtractOp>(op) ||
                op->getDialect() == orOp->getDialect() || op == call.getOperation();
    return part ? WalkResult::advance() : WalkResult::interrupt();
  });
  if (other.wasInterrupted())
    return fail("the scan loops do other work");
  if (m.root == ifOp)
    m.outsideRoot = {orOp, a.getDefiningOp(), b.getDefiningOp()};
  if (m.root == ifOp && ext)
    m.outsideRoot.push_back(ext);
  if (m.root == ifOp)
    m.outsideRoot.push_back(m.extract);
  return m;
}

/// Gives every remaining user of `op` its own copy right before it, then
/// erases `op`: CSE may have merged the gather's own read of the index (in
/// its kernel body) with the check's read outside, which the host cannot do.
static void sinkIntoUsers(Operation *op) {
  for (OpOperand &use : llvm::make_early_inc_range(op->getUses())) {
    OpBuilder b(use.getOwner());
    use.set(b.clone(*op)->getResult(cast<OpResult>(use.get()).getResultNumber()));
  }
  op->erase();
}

struct RaiseIndexChecksPass : impl::TernCUDARaiseIndexChecksBase<RaiseIndexChecksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (call.getCallee() == kIndexErrorFunction)
        calls.push_back(call);
    });
    // The message strings (memref.cast, then memref.get_global, then the
    // global), erased when no check reads them any more.
    llvm::SetVector<Operation *> messageOps;
    llvm::SetVector<StringAttr> globals;
    for (func::CallOp call : calls) {
      Value msg = call.getOperand(0);
      if (auto cast = msg.getDefiningOp<memref::CastOp>()) {
        messageOps.insert(cast);
        msg = cast.getSource();
      }
      if (auto get = msg.getDefiningOp<memref::GetGlobalOp>()) {
        messageOps.insert(get);
        globals.insert(get.getNameAttr().getAttr());
      }
    }
    for (func::CallOp call : calls) {
      FailureOr<MatchedCheck> m = matchCheck(call);
      if (failed(m))
        return signalPassFailure();
      OpBuilder b(m->root);
      IndexCheckOp::create(b, call.getLoc(), m->extract.getTensor(), m->dim, m->what);
      m->root->erase();
      for (Operation *op : m->outsideRoot) // users before what they read
        sinkIntoUsers(op);
    }
    for (Operation *op : messageOps) // casts before the get_globals they read
      if (op->use_empty())
        op->erase();
    for (StringAttr name : globals)
      if (Operation *g = SymbolTable::lookupSymbolIn(module, name);
          g && SymbolTable::symbolKnownUseEmpty(g, module))
        g->erase();
    if (auto fn = module.lookupSymbol<func::FuncOp>(kIndexErrorFunction);
        fn && fn.isExternal() && SymbolTable::symbolKnownUseEmpty(fn, module))
      fn.erase();
  }
};

} // namespace

} // namespace mlir::tern

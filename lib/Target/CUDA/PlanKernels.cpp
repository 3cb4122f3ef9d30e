//===- PlanKernels.cpp - the CUDA backend's launch plan --------------------===//
//
// `tern-cuda-plan-kernels`: decides which ops the CUDA emitter runs in one
// launch and records it as attributes (include/tern/Target/CUDA/Passes.td):
// tmatmuls fused into the element-wise generic that consumes them (the
// GEMV/GEMM epilogue), independent GEMV groups merged into one launch, and
// act_quants that share a quantization launch with what it computes on the
// fly (RMSNorms, a pre-norm, the element-wise producer of its input).
//
//===----------------------------------------------------------------------===//
#include "tern/Target/CUDA/CUDATarget.h"

#include "Tern/TernOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Dominance.h"

#include <map>

namespace mlir::tern {
#define GEN_PASS_DEF_TERNCUDAPLANKERNELS
#include "tern/Target/CUDA/Passes.h.inc"

namespace {

constexpr size_t kMaxQuantMembers = 4; // TERN_MAX_QUANT in the kernel library
constexpr size_t kMaxMergedGroups = 4;

bool isElementwise(linalg::GenericOp g) {
  return g.getNumReductionLoops() == 0 && g.getNumDpsInits() >= 1 &&
         llvm::all_of(g.getIndexingMapsArray(), [](AffineMap m) {
           return m.isProjectedPermutation(/*allowZeroInResults=*/true);
         });
}

/// The RMSNorm an act_quant computes on the fly: its input's producer when
/// used only there.
RMSNormOp memberNorm(ActQuantOp q) {
  auto norm = q.getInput().getDefiningOp<RMSNormOp>();
  if (norm && norm->hasOneUse() && norm->getBlock() == q->getBlock())
    return norm;
  return nullptr;
}
Value quantBase(ActQuantOp q) {
  RMSNormOp norm = memberNorm(q);
  return norm ? norm.getInput() : q.getInput();
}

/// Users of `v` are all members of the group (or their RMSNorms).
bool onlyFeedsGroup(Value v, ArrayRef<ActQuantOp> members) {
  return llvm::all_of(v.getUsers(), [&](Operation *u) {
    return llvm::any_of(members, [&](ActQuantOp q) {
      return u == q.getOperation() || u == memberNorm(q).getOperation();
    });
  });
}

struct Planner {
  func::FuncOp fn;
  DominanceInfo dom;
  Builder b;
  int64_t nextQuant = 0, nextLaunch = 0;
  DenseMap<Operation *, SmallVector<TMatmulOp>> gemmGroups;
  DenseMap<Operation *, Operation *> quantFirst; // member -> first member

  explicit Planner(func::FuncOp fn) : fn(fn), dom(fn), b(fn.getContext()) {}

  IntegerAttr id(int64_t v) { return b.getI64IntegerAttr(v); }

  void planBlock(Block &block) {
    for (Operation &op : block)
      for (Region &r : op.getRegions())
        for (Block &inner : r)
          if (!isa<linalg::GenericOp>(op))
            planBlock(inner);
    planGemmGroups(block);
    planQuantGroups(block);
    planLaunches(block);
    planQuantInLaunches(block);
  }

  /// Values a quantization group's launch reads.
  SmallVector<Value> groupSources(ArrayRef<ActQuantOp> members, int64_t gid) {
    SmallVector<Value> srcs;
    auto marked = [&](Operation *op, StringRef attr) {
      auto a = op ? op->getAttrOfType<IntegerAttr>(attr) : IntegerAttr();
      return a && a.getInt() == gid;
    };
    Value base;
    for (ActQuantOp q : members) {
      RMSNormOp norm = q.getInput().getDefiningOp<RMSNormOp>();
      if (norm && marked(norm, cuda::kQuantNorm)) {
        base = norm.getInput();
        if (norm.getWeight())
          srcs.push_back(norm.getWeight());
      } else {
        base = q.getInput();
      }
    }
    Operation *producer = base.getDefiningOp();
    if (marked(producer, cuda::kQuantPre)) {
      auto pre = cast<RMSNormOp>(producer);
      srcs.push_back(pre.getInput());
      if (pre.getWeight())
        srcs.push_back(pre.getWeight());
    } else if (marked(producer, cuda::kQuantChain)) {
      auto chain = cast<linalg::GenericOp>(producer);
      for (Value v : chain->getOperands()) {
        auto norm = v.getDefiningOp<RMSNormOp>();
        if (norm && marked(norm, cuda::kQuantChainNorm)) {
          srcs.push_back(norm.getInput());
          if (norm.getWeight())
            srcs.push_back(norm.getWeight());
        } else {
          srcs.push_back(v);
        }
      }
    } else {
      srcs.push_back(base);
    }
    return srcs;
  }

  /// A quantization group of at most 4 token rows whose inputs are all
  /// ready when a GEMV launch ends, and some of them produced by it, runs in
  /// that launch's last block: one launch less, and the rows are quantized
  /// as soon as they exist.
  void planQuantInLaunches(Block &block) {
    DenseMap<int64_t, Operation *> heads;
    DenseMap<Value, int64_t> producedBy;
    for (Operation &op : block) {
      auto launch = op.getAttrOfType<IntegerAttr>(cuda::kLaunch);
      if (!launch)
        continue;
      heads.try_emplace(launch.getInt(), &op);
      for (Value r : op.getResults())
        producedBy[r] = launch.getInt();
    }
    DenseSet<int64_t> taken;
    std::map<int64_t, SmallVector<ActQuantOp>> groups;
    for (Operation &op : block)
      if (auto q = dyn_cast<ActQuantOp>(op))
        if (auto g = q->getAttrOfType<IntegerAttr>(cuda::kQuantGroup))
          groups[g.getInt()].push_back(q);
    for (auto &[gid, members] : groups) {
      auto type = cast<RankedTensorType>(members.front().getInput().getType());
      int64_t rows = type.getNumElements() / std::max<int64_t>(type.getShape().back(), 1);
      if (rows > 4)
        continue;
      SmallVector<Value> srcs = groupSources(members, gid);
      std::optional<int64_t> launch;
      for (Value v : srcs)
        if (auto it = producedBy.find(v); it != producedBy.end())
          launch = launch ? std::max(*launch, it->second) : it->second;
      if (!launch || taken.contains(*launch))
        continue;
      Operation *head = heads[*launch];
      bool ready = llvm::all_of(srcs, [&](Value v) {
        auto it = producedBy.find(v);
        return (it != producedBy.end() && it->second == *launch) || dom.properlyDominates(v, head);
      });
      if (!ready)
        continue;
      taken.insert(*launch);
      for (ActQuantOp q : members)
        q->setAttr(cuda::kQuantInLaunch, id(*launch));
    }
  }

  void planGemmGroups(Block &block) {
    for (Operation &op : block) {
      auto g = dyn_cast<linalg::GenericOp>(op);
      if (!g || !isElementwise(g) || !isa<RankedTensorType>(g.getResult(0).getType()))
        continue;
      SmallVector<TMatmulOp> mms;
      SmallVector<int64_t> inputs;
      SmallVector<int64_t> ranges = g.getStaticLoopRanges();
      for (OpOperand *in : g.getDpsInputOperands()) {
        auto mm = in->get().getDefiningOp<TMatmulOp>();
        if (!mm || !mm->hasOneUse() || mm->getBlock() != &block ||
            !g.getMatchingIndexingMap(in).isIdentity() ||
            ArrayRef<int64_t>(ranges) != mm.getResult().getType().getShape() ||
            llvm::is_contained(mms, mm))
          continue;
        mms.push_back(mm);
        inputs.push_back(in->getOperandNumber());
      }
      if (mms.empty())
        continue;
      gemmGroups[g] = mms;
      g->setAttr(cuda::kGemmInputs, b.getDenseI64ArrayAttr(inputs));
    }
  }

  void planQuantGroups(Block &block) {
    DenseSet<Operation *> grouped;
    for (Operation &op : block) {
      auto first = dyn_cast<ActQuantOp>(op);
      if (!first || grouped.contains(first))
        continue;
      SmallVector<ActQuantOp> members = {first};
      Value base = quantBase(first);
      grouped.insert(first);
      for (Operation *next = first->getNextNode(); next && members.size() < kMaxQuantMembers;
           next = next->getNextNode()) {
        auto q = dyn_cast<ActQuantOp>(next);
        if (!q || grouped.contains(q) || quantBase(q) != base)
          continue;
        // The group launches at its first member: a later member's norm
        // weight must exist by then.
        RMSNormOp norm = memberNorm(q);
        if (norm && norm.getWeight() && !dom.properlyDominates(norm.getWeight(), first))
          continue;
        members.push_back(q);
        grouped.insert(q);
      }
      int64_t gid = nextQuant++;
      for (ActQuantOp q : members) {
        q->setAttr(cuda::kQuantGroup, id(gid));
        quantFirst[q] = first;
        if (RMSNormOp norm = memberNorm(q))
          norm->setAttr(cuda::kQuantNorm, id(gid));
      }
      if (auto pre = base.getDefiningOp<RMSNormOp>();
          pre && pre->getBlock() == &block && onlyFeedsGroup(pre.getResult(), members)) {
        pre->setAttr(cuda::kQuantPre, id(gid));
        continue;
      }
      auto g = base.getDefiningOp<linalg::GenericOp>();
      if (!g || g->getBlock() != &block || g->getNumResults() != 1 || gemmGroups.count(g) ||
          !isElementwise(g) ||
          !cast<RankedTensorType>(g.getResult(0).getType()).getElementType().isF32() ||
          !g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity() ||
          !onlyFeedsGroup(g.getResult(0), members))
        continue;
      // The element-wise math producing the input, and an RMSNorm read only
      // by that math (MLGRU: RMSNorm(g) * w * SiLU(h)).
      g->setAttr(cuda::kQuantChain, id(gid));
      for (OpOperand *in : g.getDpsInputOperands()) {
        auto norm = in->get().getDefiningOp<RMSNormOp>();
        if (norm && norm->getBlock() == &block && norm->hasOneUse() &&
            g.getMatchingIndexingMap(in).isIdentity() &&
            norm.getResult().getType() == g.getResult(0).getType()) {
          norm->setAttr(cuda::kQuantChainNorm, id(gid));
          break;
        }
      }
    }
  }

  void planLaunches(Block &block) {
    auto rows = [](Operation *g) {
      auto t = cast<RankedTensorType>(g->getResult(0).getType());
      return t.getNumElements() / std::max<int64_t>(t.getShape().back(), 1);
    };
    Operation *head = nullptr;
    size_t merged = 0;
    for (Operation &op : block) {
      if (!gemmGroups.count(&op))
        continue;
      // Ready at `head`: defined before it, or quantized by a group launched
      // before it.
      auto readyAt = [&](Value v) {
        if (dom.properlyDominates(v, head))
          return true;
        auto q = v.getDefiningOp<ActQuantOp>();
        auto first = q ? quantFirst.find(q) : quantFirst.end();
        return first != quantFirst.end() && first->second->getBlock() == head->getBlock() &&
               first->second->isBeforeInBlock(head);
      };
      bool ready = head && rows(head) == rows(&op) && merged < kMaxMergedGroups &&
                   llvm::all_of(op.getOperands(), [&](Value v) {
                     auto mm = v.getDefiningOp<TMatmulOp>();
                     if (mm && llvm::is_contained(gemmGroups[&op], mm))
                       return llvm::all_of(mm->getOperands(), readyAt);
                     return readyAt(v);
                   });
      if (ready) {
        ++merged;
      } else {
        head = &op;
        merged = 1;
        ++nextLaunch;
      }
      op.setAttr(cuda::kLaunch, id(nextLaunch - 1));
    }
  }
};

struct PlanKernelsPass : impl::TernCUDAPlanKernelsBase<PlanKernelsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    fn->removeAttr(cuda::kPlanned);
    fn.walk([](Operation *op) {
      for (StringRef name : {cuda::kGemmInputs, cuda::kLaunch, cuda::kQuantGroup, cuda::kQuantNorm,
                             cuda::kQuantPre, cuda::kQuantChain, cuda::kQuantChainNorm,
                             cuda::kQuantInLaunch})
        op->removeAttr(name);
    });
    if (fn.isExternal())
      return;
    Planner planner(fn);
    for (Block &block : fn.getBody())
      planner.planBlock(block);
    fn->setAttr(cuda::kPlanned, UnitAttr::get(fn.getContext()));
  }
};

} // namespace
} // namespace mlir::tern

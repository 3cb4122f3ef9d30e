//===- OutlineStages.cpp - one stage function per compute op --------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSOUTLINESTAGES
#include "tern/Target/HLS/Passes.h.inc"

namespace {

/// Shape glue and scalars: pure, cheap, cloned into every stage that reads them.
bool isGlue(Operation *op) {
  if (isa<tensor::EmptyOp, linalg::FillOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
          tensor::ExtractSliceOp, tensor::InsertSliceOp, tensor::CastOp, tensor::ExtractOp,
          arith::ConstantOp>(op))
    return true;
  if (op->getNumRegions() != 0 || !isPure(op))
    return false;
  if (!isa<arith::ArithDialect, math::MathDialect, affine::AffineDialect>(op->getDialect()))
    return false;
  return llvm::all_of(op->getResultTypes(), [](Type t) { return t.isIntOrIndexOrFloat(); });
}

bool isCompute(Operation *op) {
  return isa<linalg::LinalgOp>(op) && !isa<linalg::FillOp>(op);
}

std::string stageKind(Operation *op) {
  if (op->hasAttr(hls::kTernaryMatmul))
    return "ternary_matmul";
  if (isa<linalg::CopyOp>(op))
    return "copy";
  if (auto g = dyn_cast<linalg::GenericOp>(op))
    return g.getNumReductionLoops() ? "reduction" : "elementwise";
  std::string name = op->getName().stripDialect().str();
  for (char &c : name)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

struct OutlineStagesPass : impl::TernHLSOutlineStagesBase<OutlineStagesPass> {
  using Base::Base;

  func::FuncOp top;
  int64_t counter = 0;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> maybeTop = getHLSTop(module);
    if (failed(maybeTop))
      return signalPassFailure();
    top = *maybeTop;
    if (failed(processBlock(top.getBody().front())))
      return signalPassFailure();
  }

  LogicalResult processBlock(Block &block) {
    SmallVector<Operation *> computes;
    for (Operation &op : block) {
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        if (failed(processBlock(*loop.getBody())))
          return failure();
        continue;
      }
      if (isCompute(&op))
        computes.push_back(&op);
    }
    for (Operation *op : computes)
      outline(op);
    // Glue nobody reads any more.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
      if (isGlue(&op) && op.use_empty())
        op.erase();
    return success();
  }

  /// Glue defining `v` (cloned into stages), or null for a stage input.
  static Operation *glueOf(Value v) {
    Operation *def = v.getDefiningOp();
    return def && isGlue(def) ? def : nullptr;
  }

  void outline(Operation *compute) {
    // Post-order DFS: glue before its users, the compute op last.
    SetVector<Operation *> order;
    SetVector<Value> inputs;
    std::function<void(Operation *)> visit = [&](Operation *op) {
      if (order.contains(op))
        return;
      SetVector<Value> used;
      for (Value v : op->getOperands())
        used.insert(v);
      getUsedValuesDefinedAbove(op->getRegions(), used);
      for (Value v : used) {
        if (Operation *def = glueOf(v))
          visit(def);
        else
          inputs.insert(v);
      }
      order.insert(op);
    };
    visit(compute);

    MLIRContext *ctx = compute->getContext();
    OpBuilder b(top);
    std::string name = (top.getName() + "_s" + Twine(counter++) + "_" + stageKind(compute)).str();
    SmallVector<Type> inputTypes;
    for (Value v : inputs)
      inputTypes.push_back(v.getType());
    auto fn = func::FuncOp::create(b, compute->getLoc(), name,
                                   FunctionType::get(ctx, inputTypes, compute->getResultTypes()));
    fn.setPrivate();
    fn->setAttr(hls::kStage, b.getStringAttr(stageKind(compute)));
    Block *entry = fn.addEntryBlock();
    IRMapping mapping;
    for (auto [v, arg] : llvm::zip(inputs, entry->getArguments()))
      mapping.map(v, arg);
    b.setInsertionPointToStart(entry);
    for (Operation *op : order)
      b.clone(*op, mapping);
    SmallVector<Value> results;
    for (Value r : compute->getResults())
      results.push_back(mapping.lookup(r));
    func::ReturnOp::create(b, compute->getLoc(), results);

    b.setInsertionPoint(compute);
    auto call = func::CallOp::create(b, compute->getLoc(), fn, inputs.getArrayRef());
    compute->replaceAllUsesWith(call.getResults());
    compute->erase();
  }
};
} // namespace
} // namespace mlir::tern

//===- IndexStatus.cpp - gather index checks as status outputs ------------===//
//
// The import's run-time index checks call the CPU runtime's
// `tern_rt_index_error`; an FPGA kernel has no runtime to call. Each check
// becomes a reduction over its index tensor that keeps the first failing
// check's id and index, returned by the model function as two more outputs
// (s_axilite status registers of the HLS top). The gather itself stays
// clamped, so no read leaves its table.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"
#include "tern/Utils/IndexChecks.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSINDEXSTATUS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

struct Check {
  func::CallOp call;
  Value indices;    ///< the index tensor the check scans
  std::string what; ///< the node's message
  int64_t dim = 0;
};

/// The text of a check's message: a constant i8 global behind casts.
static FailureOr<std::string> messageOf(Value v) {
  while (auto cast = v.getDefiningOp<memref::CastOp>())
    v = cast.getSource();
  auto get = v.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return failure();
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
  if (!global || !global.getInitialValue())
    return failure();
  auto data = dyn_cast<DenseIntElementsAttr>(*global.getInitialValue());
  if (!data)
    return failure();
  std::string s;
  for (const APInt &c : data.getValues<APInt>())
    s.push_back(static_cast<char>(c.getZExtValue()));
  return s;
}

/// Recognizes the scan buildIndexBoundCheck emits around `call`: the index
/// is `tensor.extract` (maybe sign-extended) of the index tensor.
static FailureOr<Check> matchCheck(func::CallOp call) {
  if (call.getNumOperands() != 3)
    return failure();
  Check c;
  c.call = call;
  FailureOr<std::string> what = messageOf(call.getOperand(0));
  if (failed(what))
    return failure();
  c.what = *what;
  Value index = call.getOperand(1);
  if (auto ext = index.getDefiningOp<arith::ExtSIOp>())
    index = ext.getIn();
  auto extract = index.getDefiningOp<tensor::ExtractOp>();
  if (!extract)
    return failure();
  c.indices = extract.getTensor();
  APInt dim;
  if (!matchPattern(call.getOperand(2), m_ConstantInt(&dim)))
    return failure();
  c.dim = dim.getSExtValue();
  return c;
}

struct IndexStatusPass : impl::TernHLSIndexStatusBase<IndexStatusPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Check> checks;
    func::FuncOp model;
    WalkResult walk = module.walk([&](func::CallOp call) {
      if (call.getCallee() != kIndexErrorFunction)
        return WalkResult::advance();
      FailureOr<Check> c = matchCheck(call);
      auto fn = call->getParentOfType<func::FuncOp>();
      if (failed(c) || !isa<RankedTensorType>(c->indices.getType()) || (model && fn != model) ||
          fn.isPrivate()) {
        call.emitOpError("HLS: cannot turn this index check into a status output (expected "
                         "the import's scan of a static index tensor in the model function)");
        return WalkResult::interrupt();
      }
      model = fn;
      checks.push_back(*c);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (checks.empty())
      return eraseRuntimeDecls(module);
    if (!llvm::all_of(checks,
                      [&](Check &c) { return c.indices.getParentRegion() == &model.getBody(); })) {
      checks.front().call.emitOpError("HLS: the index tensor must be defined in the model "
                                      "function's body");
      return signalPassFailure();
    }

    // The status reductions go where the model returns, after everything
    // that defines an index tensor.
    auto ret = cast<func::ReturnOp>(model.getBody().front().getTerminator());
    OpBuilder b(ret);
    Location loc = model.getLoc();
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto statusType = RankedTensorType::get({}, i32);
    auto indexType = RankedTensorType::get({}, i64);
    // Each check fills its own zero-initialized registers (one producer per
    // dataflow channel); several are combined below.
    auto zeros = [&](Type t) {
      return linalg::FillOp::create(
                 b, loc, ValueRange{arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, 0))},
                 ValueRange{tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, t)})
          .getResult(0);
    };
    SmallVector<Value> perCheck; // status, bad_index of each check
    SmallVector<Attribute> descriptions;
    for (size_t n = 0; n < checks.size(); ++n) {
      Check &c = checks[n];
      auto type = cast<RankedTensorType>(c.indices.getType());
      unsigned rank = type.getRank();
      MLIRContext *ctx = b.getContext();
      SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx),
                                     AffineMap::get(rank, 0, ctx), AffineMap::get(rank, 0, ctx)};
      SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::reduction);
      int64_t id = static_cast<int64_t>(n) + 1;
      auto generic = linalg::GenericOp::create(
          b, c.call.getLoc(), TypeRange{statusType, indexType}, ValueRange{c.indices},
          ValueRange{zeros(i32), zeros(i64)}, maps, iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value v = args[0];
            if (v.getType() != i64)
              v = arith::ExtSIOp::create(nb, l, i64, v);
            Value lo = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(-c.dim));
            Value hi = arith::ConstantOp::create(nb, l, nb.getI64IntegerAttr(c.dim));
            Value below = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, v, lo);
            Value above = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, v, hi);
            Value outside = arith::OrIOp::create(nb, l, below, above);
            Value zero = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(0));
            Value first = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, args[1], zero);
            Value take = arith::AndIOp::create(nb, l, outside, first);
            Value idv = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(id));
            Value s = arith::SelectOp::create(nb, l, take, idv, args[1]);
            Value k = arith::SelectOp::create(nb, l, take, v, args[2]);
            linalg::YieldOp::create(nb, l, ValueRange{s, k});
          });
      perCheck.push_back(generic.getResult(0));
      perCheck.push_back(generic.getResult(1));
      descriptions.push_back(
          b.getDictionaryAttr({b.getNamedAttr("what", b.getStringAttr(c.what)),
                               b.getNamedAttr("dim", b.getI64IntegerAttr(c.dim))}));
    }

    Value status = perCheck[0], bad = perCheck[1];
    if (checks.size() > 1) {
      // The first failing check in id order wins.
      SmallVector<AffineMap> maps(perCheck.size() + 2, AffineMap::get(0, 0, b.getContext()));
      auto combine = linalg::GenericOp::create(
          b, loc, TypeRange{statusType, indexType}, perCheck, ValueRange{zeros(i32), zeros(i64)},
          maps, ArrayRef<utils::IteratorType>{}, [&](OpBuilder &nb, Location l, ValueRange args) {
            Value zero = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(0));
            Value s = args[perCheck.size() - 2], k = args[perCheck.size() - 1];
            for (size_t n = perCheck.size() - 2; n >= 2; n -= 2) {
              Value failed =
                  arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ne, args[n - 2], zero);
              s = arith::SelectOp::create(nb, l, failed, args[n - 2], s);
              k = arith::SelectOp::create(nb, l, failed, args[n - 1], k);
            }
            linalg::YieldOp::create(nb, l, ValueRange{s, k});
          });
      status = combine.getResult(0);
      bad = combine.getResult(1);
    }

    // The scans (the outermost op of each check in the function body) go.
    for (Check &c : checks) {
      Operation *op = c.call;
      while (op->getParentOp() != model.getOperation())
        op = op->getParentOp();
      if (op->getNumResults() != 0) {
        op->emitOpError("HLS: unexpected results on an index check");
        return signalPassFailure();
      }
      op->erase();
    }

    // Two more results: status and bad_index, named and marked.
    unsigned first = model.getNumResults();
    SmallVector<Value> results(ret.getOperands());
    results.push_back(status);
    results.push_back(bad);
    ret->setOperands(results);
    if (failed(model.insertResults(
            {first, first}, {statusType, indexType},
            {b.getDictionaryAttr({b.getNamedAttr("tern.name", b.getStringAttr("status"))}),
             b.getDictionaryAttr({b.getNamedAttr("tern.name", b.getStringAttr("bad_index"))})})))
      return signalPassFailure();
    // The message casts and index extracts the scans used.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(model.getBody().front())))
      if (isOpTriviallyDead(&op))
        op.erase();
    model->setAttr(hls::kIndexChecks, b.getArrayAttr(descriptions));
    model->setAttr(hls::kStatusOutputs,
                   b.getDenseI64ArrayAttr({static_cast<int64_t>(first), first + 1}));
    eraseRuntimeDecls(module);
  }

  /// The runtime declaration and the message globals, once unused.
  void eraseRuntimeDecls(ModuleOp module) {
    SymbolTable table(module);
    for (Operation &op : llvm::make_early_inc_range(module.getBody()->getOperations())) {
      auto sym = dyn_cast<SymbolOpInterface>(&op);
      if (!sym || !sym.isPrivate())
        continue;
      bool runtime =
          sym.getName() == kIndexErrorFunction || sym.getName().starts_with("tern_rt_index_check");
      if (runtime && SymbolTable::symbolKnownUseEmpty(&op, module))
        op.erase();
    }
  }
};

} // namespace
} // namespace mlir::tern

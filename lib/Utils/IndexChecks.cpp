//===- IndexChecks.cpp - run-time bound checks of gather indices ----------===//
#include "tern/Utils/IndexChecks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

/// `memref<?xi8>` holding `text` (a private constant global of the module).
static Value buildMessage(OpBuilder &b, Location loc, ModuleOp module, StringRef text) {
  auto bytesType = MemRefType::get({static_cast<int64_t>(text.size())}, b.getI8Type());
  SmallVector<int8_t> bytes(text.begin(), text.end());
  auto init = DenseElementsAttr::get(RankedTensorType::get(bytesType.getShape(), b.getI8Type()),
                                     ArrayRef<int8_t>(bytes));
  // Built detached, then inserted through the symbol table, which renames it
  // when a previous check's message already took the name.
  OpBuilder mb(module.getContext());
  auto global = memref::GlobalOp::create(mb, loc, "tern_rt_index_check",
                                         mb.getStringAttr("private"), bytesType, init,
                                         /*constant=*/true, /*alignment=*/nullptr);
  SymbolTable(module).insert(global, module.getBody()->begin());
  Value ref = memref::GetGlobalOp::create(b, loc, bytesType, global.getSymName());
  return memref::CastOp::create(b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
                                ref);
}

static func::FuncOp declareIndexError(ModuleOp module, Location loc) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(tern::kIndexErrorFunction))
    return fn;
  OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
  Type i64 = mb.getI64Type();
  auto type = mb.getFunctionType(
      {MemRefType::get({ShapedType::kDynamic}, mb.getI8Type()), i64, i64}, {});
  auto fn = func::FuncOp::create(mb, loc, tern::kIndexErrorFunction, type);
  fn.setPrivate();
  return fn;
}

void tern::buildIndexBoundCheck(OpBuilder &b, Location loc, Value indices, int64_t dim,
                                StringRef what) {
  auto type = cast<RankedTensorType>(indices.getType());
  ModuleOp module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  if (!module || !type.hasStaticShape())
    return;
  func::FuncOp fn = declareIndexError(module, loc);
  Value message = buildMessage(b, loc, module, what);
  Type i64 = b.getI64Type();
  Value lo = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(-dim));
  Value hi = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(dim));
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // One scf.for per dimension; the innermost body checks one index.
  SmallVector<Value> ivs;
  OpBuilder::InsertionGuard guard(b);
  for (int64_t size : type.getShape()) {
    Value ub = arith::ConstantIndexOp::create(b, loc, size);
    auto loop = scf::ForOp::create(b, loc, zero, ub, one);
    ivs.push_back(loop.getInductionVar());
    b.setInsertionPointToStart(loop.getBody());
  }
  Value v = tensor::ExtractOp::create(b, loc, indices, ivs);
  if (v.getType() != i64)
    v = arith::ExtSIOp::create(b, loc, i64, v);
  Value below = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, lo);
  Value above = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, v, hi);
  Value bad = arith::OrIOp::create(b, loc, below, above);
  auto ifOp = scf::IfOp::create(b, loc, bad, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  func::CallOp::create(b, loc, fn, ValueRange{message, v, hi});
}

//===- Unsigned.cpp - ONNX uint8/16/32/64 tensors as signless integers ----===//
//
// The importer types ONNX unsigned tensors with unsigned element types (ui8,
// ...), but arith works on signless integers and picks signedness per op
// (divui, maxui, cmpi ult, uitofp, extui). So a node that touches unsigned
// tensors is lowered on signless copies of its operands (tensor.bitcast, no
// data movement) with `tern.unsigned_operands` / `tern.unsigned_results`
// telling the lowering which values are unsigned; its results are bitcast back
// for the nodes not yet lowered. Only the ops listed in kUnsignedAware choose
// their arith ops by signedness (or do not depend on it); any other op with an
// unsigned tensor is an error naming the node, never a silently signed result.
// After the walk, makeUnsignedSignless rewrites every remaining unsigned type
// to signless, drops the bitcasts, and marks unsigned function arguments and
// results with `tern.unsigned` so the C ABI reports uint8 ... to callers.
//
//===----------------------------------------------------------------------===//
#include "LegalizeUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

static constexpr StringLiteral kUnsignedOperands = "tern.unsigned_operands";
static constexpr StringLiteral kUnsignedResults = "tern.unsigned_results";

/// Ops whose lowering is correct on unsigned tensors: data movement (bits are
/// copied), wrap-around arithmetic (Add/Sub/Mul/Sum), and the ops that pick an
/// unsigned arith op from the flags (Div, Mod, Max, Min, Clip, comparisons,
/// Cast, Pow, DequantizeLinear; Relu and Abs are the identity).
static bool isUnsignedAware(StringRef opType) {
  static const llvm::StringSet<> ops = {
      "Identity", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat",
      "Split", "Slice", "Gather", "GatherElements", "Expand", "Tile", "Where", "Shape",
      "Size", "Add", "Sub", "Mul", "Sum", "Div", "Mod", "Max", "Min", "Clip", "Equal",
      "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Cast", "CastLike", "Pow",
      "DequantizeLinear", "Relu", "Abs"};
  return ops.contains(opType);
}

static bool isUnsignedTensor(Type t) {
  auto tensor = dyn_cast<RankedTensorType>(t);
  auto i = tensor ? dyn_cast<IntegerType>(tensor.getElementType()) : IntegerType();
  return i && i.isUnsigned();
}

static Type signless(Type t) {
  if (auto i = dyn_cast<IntegerType>(t))
    return i.isSignless() ? t : IntegerType::get(t.getContext(), i.getWidth());
  if (auto tensor = dyn_cast<RankedTensorType>(t)) {
    Type e = signless(tensor.getElementType());
    return e == tensor.getElementType() ? t : tensor.clone(e);
  }
  return t;
}

static bool flagAt(ONNXNodeOp op, StringRef name, unsigned i) {
  auto flags = op->getAttrOfType<DenseBoolArrayAttr>(name);
  return flags && i < flags.size() && flags[i];
}

bool onnx_import::isUnsignedOperand(ONNXNodeOp op, unsigned i) {
  return flagAt(op, kUnsignedOperands, i);
}

bool onnx_import::isUnsignedResult(ONNXNodeOp op, unsigned i) {
  return flagAt(op, kUnsignedResults, i);
}

FailureOr<bool> onnx_import::prepareUnsignedNode(ONNXNodeOp op, PatternRewriter &rw) {
  SmallVector<bool> operands, results;
  bool any = false;
  for (Value v : op->getOperands())
    any |= operands.emplace_back(isUnsignedTensor(v.getType()));
  for (Value v : op->getResults())
    any |= results.emplace_back(isUnsignedTensor(v.getType()));
  if (!any)
    return false;
  if (!isUnsignedAware(op.getOpType())) {
    op.emitError() << op.describe()
                   << ": unsigned integer tensors (uint8/16/32/64) are not supported by this "
                      "operator";
    return failure();
  }
  Location loc = op.getLoc();
  rw.setInsertionPoint(op);
  rw.modifyOpInPlace(op, [&] {
    for (auto [i, isU] : llvm::enumerate(operands))
      if (isU) {
        Value v = op->getOperand(i);
        op->setOperand(i, tensor::BitcastOp::create(rw, loc, signless(v.getType()), v));
      }
    op->setAttr(kUnsignedOperands, rw.getDenseBoolArrayAttr(operands));
    op->setAttr(kUnsignedResults, rw.getDenseBoolArrayAttr(results));
  });
  rw.setInsertionPointAfter(op);
  for (auto [i, isU] : llvm::enumerate(results)) {
    if (!isU)
      continue;
    Value r = op->getResult(i);
    Type unsignedType = r.getType();
    r.setType(signless(unsignedType));
    auto back = tensor::BitcastOp::create(rw, loc, unsignedType, r);
    rw.replaceAllUsesExcept(r, back.getResult(), back);
  }
  rw.setInsertionPoint(op);
  return true;
}

/// The constant's value with signless element type (same bits).
static Attribute signlessValue(Attribute value, Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped)
    return value;
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return dense.bitcast(shaped.getElementType());
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(shaped, res.getRawHandle());
  return value;
}

LogicalResult onnx_import::makeUnsignedSignless(Operation *root) {
  MLIRContext *ctx = root->getContext();
  // Remember the unsigned signature before the types change.
  root->walk([&](func::FuncOp fn) {
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (isUnsignedTensor(fn.getArgumentTypes()[i]))
        fn.setArgAttr(i, "tern.unsigned", UnitAttr::get(ctx));
    for (unsigned i = 0; i < fn.getNumResults(); ++i)
      if (isUnsignedTensor(fn.getResultTypes()[i]))
        fn.setResultAttr(i, "tern.unsigned", UnitAttr::get(ctx));
  });
  bool bad = false;
  root->walk([&](Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument a : block.getArguments())
          a.setType(signless(a.getType()));
    for (OpResult r : op->getResults())
      r.setType(signless(r.getType()));
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      Attribute v = signlessValue(c.getValue(), c.getType());
      if (auto typed = dyn_cast<TypedAttr>(v); typed && typed.getType() == c.getType())
        c.setValueAttr(typed);
      else if (c.getValue().getType() != c.getType()) {
        c.emitError() << "cannot make the unsigned constant signless";
        bad = true;
      }
    }
  });
  root->walk([&](tensor::BitcastOp bc) {
    if (bc.getSource().getType() == bc.getType()) {
      bc.replaceAllUsesWith(bc.getSource());
      bc.erase();
    }
  });
  root->walk([&](func::FuncOp fn) {
    if (fn.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
    fn.setType(FunctionType::get(ctx, fn.getBody().getArgumentTypes(), ret.getOperandTypes()));
  });
  return failure(bad);
}

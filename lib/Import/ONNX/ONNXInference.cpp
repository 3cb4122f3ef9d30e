//===- ONNXInference.cpp - static result types of ONNX nodes --------------===//
#include "ONNXInference.h"
#include "ONNXUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/STLExtras.h"
#include "ONNX/ONNXOps.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {
enum class Kind {
  Unary,       // same type as input 0
  UnaryBool,   // bool of input 0's shape
  Binary,      // broadcast, element type of input 0
  Compare,     // broadcast, bool
  Variadic,    // broadcast of all inputs, element type of input 0
};
} // namespace

static const llvm::StringMap<Kind> &simpleOps() {
  static const llvm::StringMap<Kind> ops = [] {
    llvm::StringMap<Kind> m;
    for (const char *op :
         {"Abs", "Neg", "Sqrt", "Reciprocal", "Sigmoid", "Tanh", "Exp", "Log", "Relu",
          "Round", "Floor", "Ceil", "Erf", "Not", "Sign", "Sin", "Cos", "Tan", "Asin",
          "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "LeakyRelu", "Elu",
          "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Identity",
          "Softmax", "LogSoftmax", "Hardmax", "Shrink", "ThresholdedRelu", "Mish", "Clip",
          "CumSum", "Gelu", "Trilu"})
      m[op] = Kind::Unary;
    for (const char *op : {"IsNaN", "IsInf"})
      m[op] = Kind::UnaryBool;
    for (const char *op : {"Add", "Sub", "Mul", "Div", "Pow", "Mod", "And", "Or", "Xor",
                           "BitShift", "PRelu"})
      m[op] = Kind::Binary;
    for (const char *op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"})
      m[op] = Kind::Compare;
    for (const char *op : {"Max", "Min", "Sum", "Mean"})
      m[op] = Kind::Variadic;
    return m;
  }();
  return ops;
}

static const llvm::StringSet<> &otherOps() {
  static const llvm::StringSet<> ops = {
      "Cast", "CastLike", "MatMul", "Gemm", "ReduceMean", "ReduceMax", "ReduceMin",
      "ReduceSum", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum",
      "ReduceLogSumExp", "ArgMax", "ArgMin", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
      "Transpose", "Concat", "Split", "Slice", "Gather", "GatherElements", "Expand", "Tile",
      "Shape", "Size", "ConstantOfShape", "Range", "Pad", "Where", "DequantizeLinear",
      "Dropout", "LayerNormalization", "Constant"};
  return ops;
}

bool onnx_import::isSupportedOp(StringRef domain, StringRef opType) {
  if (domain == "tern")
    return llvm::is_contained({"RMSNorm", "BitLinear", "GLU", "MLGRU"}, opType);
  if (!domain.empty())
    return false;
  return simpleOps().count(opType) || otherOps().contains(opType) ||
         llvm::is_contained({"Scan", "Loop", "If"}, opType);
}

int64_t onnx_import::minimumOpsetFor(StringRef op) {
  // Legacy broadcasting (a `broadcast` attribute) before 7.
  if (llvm::is_contained({"Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal",
                          "Less", "Greater", "PRelu", "Gemm"},
                         op))
    return 7;
  if (op == "Scan")
    return 9; // Scan-8 has sequence_lens and a batch axis
  if (op == "Reshape")
    return 5; // shape attribute before
  if (op == "Concat")
    return 4;
  if (op == "Cast" || op == "Clip" || op == "Tile" || op == "Dropout")
    return 6; // string `to`, consumed_inputs, tiles/axis inputs, is_test
  if (op == "Pad" || op == "Split")
    return 2;
  return 1;
}

//===----------------------------------------------------------------------===//
// Inference
//===----------------------------------------------------------------------===//

namespace {
struct Inferer {
  const NodeDesc &n;
  SmallVectorImpl<Type> &types;
  std::string &error;

  LogicalResult fail(const Twine &msg) {
    error = msg.str();
    return failure();
  }
  RankedTensorType in(unsigned i) {
    Value v = n.input(i);
    return v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
  }
  LogicalResult need(unsigned count) {
    for (unsigned i = 0; i < count; ++i)
      if (!in(i))
        return fail("input " + Twine(i) + " is required and must be a tensor");
    return success();
  }
  void push(ArrayRef<int64_t> shape, Type elem) {
    types.push_back(RankedTensorType::get(shape, elem));
  }
  MLIRContext *ctx() { return n.attrs.getContext(); }
  int64_t attrInt(StringRef name, int64_t def) { return getIntAttr(n.attrs, name, def); }

  /// Integer values of constant input `i` (absent: std::nullopt, error unset).
  FailureOr<std::optional<SmallVector<int64_t>>> constInts(unsigned i, StringRef what) {
    Value v = n.input(i);
    if (!v)
      return std::optional<SmallVector<int64_t>>();
    auto ints = getConstantInts(v);
    if (!ints) {
      error = (what + " (input " + Twine(i) +
               ") must be a constant: Tern compiles static shapes only" + graphInputHint(v))
                  .str();
      return failure();
    }
    return std::optional<SmallVector<int64_t>>(std::move(*ints));
  }

  /// Axes from input `i` when present, else attribute "axes".
  FailureOr<std::optional<SmallVector<int64_t>>> axes(unsigned i) {
    if (n.input(i))
      return constInts(i, "axes");
    return getIntsAttr(n.attrs, "axes");
  }

  LogicalResult run();
  LogicalResult simple(Kind kind);
  LogicalResult matmul();
  LogicalResult gemm();
  LogicalResult reduce(bool arg);
  LogicalResult reshape();
  LogicalResult squeeze(bool unsqueeze);
  LogicalResult split();
  LogicalResult slice();
  LogicalResult gather(bool elements);
  LogicalResult pad();
  LogicalResult tern();
};
} // namespace

LogicalResult Inferer::simple(Kind kind) {
  unsigned count = kind == Kind::Unary || kind == Kind::UnaryBool ? 1
                   : kind == Kind::Variadic                        ? n.inputs.size()
                                                                   : 2;
  if (count == 0)
    return fail("expects at least one input");
  if (failed(need(count)))
    return failure();
  SmallVector<ArrayRef<int64_t>> shapes;
  for (unsigned i = 0; i < count; ++i) {
    shapes.push_back(in(i).getShape());
    // Element types must agree (except Pow's exponent, BitShift's shift).
    if (i > 0 && n.opType != "Pow" && in(i).getElementType() != in(0).getElementType())
      return fail("input " + Twine(i) + " has element type " +
                  typeStr(in(i).getElementType()) + " but input 0 has " +
                  typeStr(in(0).getElementType()));
  }
  SmallVector<int64_t> shape;
  if (!broadcastShapes(shapes, shape)) {
    std::string s;
    for (ArrayRef<int64_t> sh : shapes)
      s += (s.empty() ? "" : " and ") + shapeStr(sh);
    return fail("inconsistent shapes: " + s + " do not broadcast");
  }
  if (n.opType == "PRelu" && shape != SmallVector<int64_t>(in(0).getShape()))
    return fail("slope " + shapeStr(in(1).getShape()) + " does not broadcast to X " +
                shapeStr(in(0).getShape()));
  Type elem = in(0).getElementType();
  if (kind == Kind::Compare || kind == Kind::UnaryBool)
    elem = IntegerType::get(ctx(), 1);
  push(shape, elem);
  if (n.opType == "Dropout" && n.numResults > 1)
    push(shape, IntegerType::get(ctx(), 1));
  return success();
}

LogicalResult Inferer::matmul() {
  if (failed(need(2)))
    return failure();
  SmallVector<int64_t> a(in(0).getShape()), b(in(1).getShape());
  if (a.empty() || b.empty())
    return fail("MatMul operands must have rank >= 1");
  if (in(0).getElementType() != in(1).getElementType())
    return fail("operands have different element types");
  bool aVec = a.size() == 1, bVec = b.size() == 1;
  if (aVec)
    a.insert(a.begin(), 1);
  if (bVec)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), k2 = b[b.size() - 2], nn = b.back();
  if (k != k2)
    return fail("inconsistent shapes: MatMul of " + shapeStr(in(0).getShape()) + " and " +
                shapeStr(in(1).getShape()) + " (contraction " + Twine(k) + " vs " +
                Twine(k2) + ")");
  SmallVector<int64_t> batch;
  if (!broadcastShapes({ArrayRef<int64_t>(a).drop_back(2), ArrayRef<int64_t>(b).drop_back(2)},
                       batch))
    return fail("inconsistent shapes: MatMul batch dimensions of " +
                shapeStr(in(0).getShape()) + " and " + shapeStr(in(1).getShape()) +
                " do not broadcast");
  if (!aVec)
    batch.push_back(m);
  if (!bVec)
    batch.push_back(nn);
  push(batch, in(0).getElementType());
  return success();
}

LogicalResult Inferer::gemm() {
  if (failed(need(2)))
    return failure();
  if (in(0).getRank() != 2 || in(1).getRank() != 2)
    return fail("Gemm operands must have rank 2");
  int64_t m = in(0).getDimSize(0), k = in(0).getDimSize(1);
  if (attrInt("transA", 0))
    std::swap(m, k);
  int64_t k2 = in(1).getDimSize(0), nn = in(1).getDimSize(1);
  if (attrInt("transB", 0))
    std::swap(k2, nn);
  if (k != k2)
    return fail("inconsistent shapes: Gemm contraction " + Twine(k) + " vs " + Twine(k2));
  if (RankedTensorType c = in(2)) {
    SmallVector<int64_t> out;
    SmallVector<int64_t> mn = {m, nn};
    if (!broadcastShapes({c.getShape(), ArrayRef<int64_t>(mn)}, out) ||
        out != mn)
      return fail("inconsistent shapes: C " + shapeStr(c.getShape()) +
                  " does not broadcast to " + shapeStr(mn));
  }
  push({m, nn}, in(0).getElementType());
  return success();
}

LogicalResult Inferer::reduce(bool arg) {
  if (failed(need(1)))
    return failure();
  RankedTensorType x = in(0);
  int64_t rank = x.getRank();
  bool keep = attrInt("keepdims", 1) != 0;
  SmallVector<int64_t> axesList;
  if (arg) {
    int64_t axis = attrInt("axis", 0);
    if (!normalizeAxis(axis, std::max<int64_t>(rank, 1)) || rank == 0)
      return fail("axis " + Twine(attrInt("axis", 0)) + " out of range for rank " +
                  Twine(rank));
    axesList.push_back(axis);
  } else {
    auto ax = axes(1);
    if (failed(ax))
      return failure();
    if (!*ax || (*ax)->empty()) {
      if (attrInt("noop_with_empty_axes", 0)) {
        push(x.getShape(), x.getElementType());
        return success();
      }
      for (int64_t i = 0; i < rank; ++i)
        axesList.push_back(i);
    } else {
      for (int64_t a : **ax) {
        int64_t axis = a;
        if (!normalizeAxis(axis, rank))
          return fail("axis " + Twine(a) + " out of range for rank " + Twine(rank));
        axesList.push_back(axis);
      }
    }
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = llvm::is_contained(axesList, i);
    if (!reduced)
      shape.push_back(x.getDimSize(i));
    else if (keep)
      shape.push_back(1);
  }
  push(shape, arg ? IntegerType::get(ctx(), 64) : x.getElementType());
  return success();
}

LogicalResult Inferer::reshape() {
  if (failed(need(1)))
    return failure();
  RankedTensorType x = in(0);
  if (n.opType == "Flatten") {
    int64_t axis = attrInt("axis", 1);
    int64_t rank = x.getRank();
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis > rank)
      return fail("axis " + Twine(attrInt("axis", 1)) + " out of range for rank " +
                  Twine(rank));
    int64_t a = 1, b = 1;
    for (int64_t i = 0; i < rank; ++i)
      (i < axis ? a : b) *= x.getDimSize(i);
    push({a, b}, x.getElementType());
    return success();
  }
  auto shapeOr = constInts(1, "shape");
  if (failed(shapeOr))
    return failure();
  if (!*shapeOr)
    return fail("Reshape needs a shape input");
  SmallVector<int64_t> shape = **shapeOr;
  bool allowZero = attrInt("allowzero", 0) != 0;
  int64_t known = 1, inferIdx = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= x.getRank())
        return fail("shape[" + Twine(i) + "] = 0 copies a dimension the input lacks");
      shape[i] = x.getDimSize(i);
    }
    if (shape[i] == -1) {
      if (inferIdx >= 0)
        return fail("shape has more than one -1");
      inferIdx = i;
      continue;
    }
    if (shape[i] < 0)
      return fail("shape[" + Twine(i) + "] = " + Twine(shape[i]) + " is invalid");
    known *= shape[i];
  }
  int64_t total = x.getNumElements();
  if (inferIdx >= 0) {
    if (known == 0 || total % known != 0)
      return fail("inconsistent shapes: cannot reshape " + shapeStr(x.getShape()) +
                  " into " + shapeStr(**shapeOr));
    shape[inferIdx] = total / known;
  } else if (known != total) {
    return fail("inconsistent shapes: cannot reshape " + shapeStr(x.getShape()) + " (" +
                Twine(total) + " elements) into " + shapeStr(**shapeOr));
  }
  push(shape, x.getElementType());
  return success();
}

LogicalResult Inferer::squeeze(bool unsqueeze) {
  if (failed(need(1)))
    return failure();
  RankedTensorType x = in(0);
  auto ax = axes(1);
  if (failed(ax))
    return failure();
  SmallVector<int64_t> shape(x.getShape());
  if (unsqueeze) {
    if (!*ax)
      return fail("Unsqueeze needs axes");
    int64_t outRank = x.getRank() + (*ax)->size();
    SmallVector<int64_t> norm;
    for (int64_t a : **ax) {
      int64_t axis = a;
      if (!normalizeAxis(axis, outRank))
        return fail("axis " + Twine(a) + " out of range for output rank " + Twine(outRank));
      if (llvm::is_contained(norm, axis))
        return fail("duplicate axis " + Twine(a));
      norm.push_back(axis);
    }
    llvm::sort(norm);
    for (int64_t a : norm)
      shape.insert(shape.begin() + a, 1);
    push(shape, x.getElementType());
    return success();
  }
  SmallVector<int64_t> result;
  if (!*ax) {
    for (int64_t d : shape)
      if (d != 1)
        result.push_back(d);
  } else {
    SmallVector<int64_t> norm;
    for (int64_t a : **ax) {
      int64_t axis = a;
      if (!normalizeAxis(axis, x.getRank()))
        return fail("axis " + Twine(a) + " out of range for rank " + Twine(x.getRank()));
      if (shape[axis] != 1)
        return fail("cannot squeeze axis " + Twine(a) + " of size " + Twine(shape[axis]));
      norm.push_back(axis);
    }
    for (int64_t i = 0; i < x.getRank(); ++i)
      if (!llvm::is_contained(norm, i))
        result.push_back(shape[i]);
  }
  push(result, x.getElementType());
  return success();
}

/// Sizes of Split's outputs along `axis` (shared with the lowering).
LogicalResult onnx_import::splitSizes(const NodeDesc &n, int64_t dim, unsigned numOutputs,
                                SmallVectorImpl<int64_t> &sizes, std::string &error) {
  std::optional<SmallVector<int64_t>> split;
  if (Value s = n.input(1)) {
    split = getConstantInts(s);
    if (!split) {
      error = "split sizes (input 1) must be a constant" + graphInputHint(s);
      return failure();
    }
  } else {
    split = getIntsAttr(n.attrs, "split");
  }
  if (split) {
    if (split->size() != numOutputs) {
      error = "split has " + std::to_string(split->size()) + " sizes for " +
              std::to_string(numOutputs) + " outputs";
      return failure();
    }
    int64_t sum = 0;
    for (int64_t s : *split) {
      if (s < 0) {
        error = "negative split size";
        return failure();
      }
      sum += s;
    }
    if (sum != dim) {
      error = "inconsistent shapes: split sizes sum to " + std::to_string(sum) +
              " but the axis has " + std::to_string(dim);
      return failure();
    }
    sizes.assign(split->begin(), split->end());
    return success();
  }
  int64_t parts = getIntAttr(n.attrs, "num_outputs", numOutputs);
  if (parts != static_cast<int64_t>(numOutputs) || parts <= 0) {
    error = "num_outputs " + std::to_string(parts) + " does not match the " +
            std::to_string(numOutputs) + " outputs";
    return failure();
  }
  if (n.opset < 18 && dim % parts != 0) {
    error = "inconsistent shapes: axis of size " + std::to_string(dim) +
            " does not split evenly into " + std::to_string(parts);
    return failure();
  }
  int64_t chunk = (dim + parts - 1) / parts;
  int64_t left = dim;
  for (int64_t i = 0; i < parts; ++i) {
    int64_t s = std::min(chunk, left);
    sizes.push_back(s);
    left -= s;
  }
  return success();
}

LogicalResult Inferer::split() {
  if (failed(need(1)))
    return failure();
  RankedTensorType x = in(0);
  int64_t axis = attrInt("axis", 0);
  if (!normalizeAxis(axis, x.getRank()))
    return fail("axis out of range");
  SmallVector<int64_t> sizes;
  if (failed(splitSizes(n, x.getDimSize(axis), n.numResults, sizes, error)))
    return failure();
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(x.getShape());
    shape[axis] = s;
    push(shape, x.getElementType());
  }
  return success();
}

namespace mlir::tern::onnx_import {
/// Static parameters of a Slice (shared with the lowering): per-axis start,
/// step and result size, with numpy clamping.
LogicalResult sliceParams(const NodeDesc &n, ArrayRef<int64_t> shape,
                          SmallVectorImpl<int64_t> &starts, SmallVectorImpl<int64_t> &steps,
                          SmallVectorImpl<int64_t> &sizes, std::string &error) {
  int64_t rank = shape.size();
  // Slice-1 (before opset 10) has starts/ends/axes attributes.
  static constexpr const char *attrNames[] = {"", "starts", "ends", "axes", ""};
  bool fromAttrs = n.opset < 10;
  auto get = [&](unsigned i) -> std::optional<SmallVector<int64_t>> {
    if (fromAttrs)
      return attrNames[i][0] ? getIntsAttr(n.attrs, attrNames[i]) : std::nullopt;
    Value v = n.input(i);
    if (!v)
      return std::nullopt;
    return getConstantInts(v);
  };
  for (unsigned i = 1; i < 5; ++i)
    if (!fromAttrs && n.input(i) && !get(i)) {
      error = "Slice input " + std::to_string(i) + " must be a constant" +
              graphInputHint(n.input(i));
      return failure();
    }
  auto st = get(1), en = get(2);
  if (!st || !en) {
    error = "Slice needs starts and ends";
    return failure();
  }
  SmallVector<int64_t> ax;
  if (auto a = get(3))
    ax = *a;
  else
    for (size_t i = 0; i < st->size(); ++i)
      ax.push_back(i);
  SmallVector<int64_t> stp(st->size(), 1);
  if (auto s = get(4))
    stp = *s;
  if (en->size() != st->size() || ax.size() != st->size() || stp.size() != st->size()) {
    error = "Slice starts/ends/axes/steps have different lengths";
    return failure();
  }
  starts.assign(rank, 0);
  steps.assign(rank, 1);
  sizes.assign(shape.begin(), shape.end());
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < st->size(); ++i) {
    int64_t axis = ax[i];
    if (!normalizeAxis(axis, rank) || seen[axis]) {
      error = "Slice axis " + std::to_string(ax[i]) + " out of range or repeated";
      return failure();
    }
    seen[axis] = true;
    int64_t dim = shape[axis], step = stp[i];
    if (step == 0) {
      error = "Slice step must not be 0";
      return failure();
    }
    int64_t s = (*st)[i], e = (*en)[i];
    // INT64_MAX/MIN sentinels are common; clamp before adding dim.
    if (s < 0)
      s = s < -dim ? -dim - 1 : s + dim;
    if (e < 0)
      e = e < -dim ? -dim - 1 : e + dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, -1, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    int64_t size = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
    starts[axis] = s;
    steps[axis] = step;
    sizes[axis] = std::max<int64_t>(size, 0);
  }
  return success();
}

/// Output shape of Pad and the per-dimension low/high pads.
LogicalResult padParams(const NodeDesc &n, ArrayRef<int64_t> shape,
                        SmallVectorImpl<int64_t> &low, SmallVectorImpl<int64_t> &high,
                        std::string &error) {
  int64_t rank = shape.size();
  std::optional<SmallVector<int64_t>> pads;
  if (Value p = n.input(1))
    pads = getConstantInts(p);
  else
    pads = getIntsAttr(n.attrs, "pads");
  if (!pads) {
    error = "Pad needs constant pads" + (n.input(1) ? graphInputHint(n.input(1)) : "");
    return failure();
  }
  SmallVector<int64_t> axes;
  if (Value a = n.input(3)) {
    auto ax = getConstantInts(a);
    if (!ax) {
      error = "Pad axes must be a constant" + graphInputHint(a);
      return failure();
    }
    axes = *ax;
  } else {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
  }
  if (pads->size() != 2 * axes.size()) {
    error = "Pad has " + std::to_string(pads->size()) + " pads for " +
            std::to_string(axes.size()) + " axes";
    return failure();
  }
  low.assign(rank, 0);
  high.assign(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i];
    if (!normalizeAxis(axis, rank)) {
      error = "Pad axis out of range";
      return failure();
    }
    low[axis] = (*pads)[i];
    high[axis] = (*pads)[i + axes.size()];
    if (shape[axis] + low[axis] + high[axis] < 0) {
      error = "Pad removes more than the dimension";
      return failure();
    }
  }
  return success();
}
} // namespace mlir::tern::onnx_import

LogicalResult Inferer::slice() {
  if (failed(need(1)))
    return failure();
  SmallVector<int64_t> starts, steps, sizes;
  if (failed(sliceParams(n, in(0).getShape(), starts, steps, sizes, error)))
    return failure();
  push(sizes, in(0).getElementType());
  return success();
}

LogicalResult Inferer::gather(bool elements) {
  if (failed(need(2)))
    return failure();
  RankedTensorType data = in(0), idx = in(1);
  if (!isa<IntegerType>(idx.getElementType()))
    return fail("indices must be integers");
  int64_t axis = attrInt("axis", 0);
  if (!normalizeAxis(axis, data.getRank()))
    return fail("axis " + Twine(attrInt("axis", 0)) + " out of range for rank " +
                Twine(data.getRank()));
  if (elements) {
    if (idx.getRank() != data.getRank())
      return fail("indices must have the rank of data");
    push(idx.getShape(), data.getElementType());
    return success();
  }
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, idx.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  push(shape, data.getElementType());
  return success();
}

LogicalResult Inferer::pad() {
  if (failed(need(1)))
    return failure();
  SmallVector<int64_t> low, high;
  if (failed(padParams(n, in(0).getShape(), low, high, error)))
    return failure();
  SmallVector<int64_t> shape(in(0).getShape());
  for (size_t i = 0; i < shape.size(); ++i)
    shape[i] += low[i] + high[i];
  push(shape, in(0).getElementType());
  return success();
}

LogicalResult Inferer::tern() {
  StringRef op = n.opType;
  if (failed(need(1)))
    return failure();
  RankedTensorType x = in(0);
  if (x.getRank() < 1 || !x.getElementType().isF32())
    return fail("X must be an f32 tensor of rank >= 1");
  auto withLast = [&](int64_t last) {
    SmallVector<int64_t> shape(x.getShape());
    shape.back() = last;
    push(shape, x.getElementType());
  };
  auto weight = [&](unsigned i, StringRef name) -> RankedTensorType {
    RankedTensorType w = in(i);
    if (!w || w.getRank() != 2) {
      error = (name + " must be a rank-2 [out, in] tensor").str();
      return {};
    }
    return w;
  };
  if (op == "RMSNorm") {
    push(x.getShape(), x.getElementType());
    return success();
  }
  if (op == "BitLinear") {
    RankedTensorType w = weight(1, "W");
    if (!w)
      return failure();
    if (w.getDimSize(1) != x.getShape().back())
      return fail("inconsistent shapes: W " + shapeStr(w.getShape()) + " for X " +
                  shapeStr(x.getShape()));
    withLast(w.getDimSize(0));
    return success();
  }
  if (op == "GLU") {
    RankedTensorType gu = weight(1, "W_gu"), d = weight(2, "W_d");
    if (!gu || !d)
      return failure();
    if (gu.getDimSize(1) != x.getShape().back() || gu.getDimSize(0) != 2 * d.getDimSize(1))
      return fail("inconsistent shapes: W_gu " + shapeStr(gu.getShape()) + ", W_d " +
                  shapeStr(d.getShape()) + " for X " + shapeStr(x.getShape()));
    withLast(d.getDimSize(0));
    return success();
  }
  if (op == "MLGRU") {
    RankedTensorType h = in(1), wo = weight(5, "W_o");
    if (!h || !wo)
      return failure();
    withLast(wo.getDimSize(0));
    types.push_back(h);
    return success();
  }
  return fail("unsupported operator");
}

LogicalResult Inferer::run() {
  StringRef op = n.opType;
  if (n.domain == "tern")
    return tern();
  if (!n.domain.empty())
    return fail("unsupported domain");
  auto it = simpleOps().find(op);
  if (it != simpleOps().end())
    return simple(it->second);
  if (op == "Dropout")
    return simple(Kind::Unary);
  if (op == "Cast" || op == "CastLike") {
    if (failed(need(op == "Cast" ? 1 : 2)))
      return failure();
    Type elem;
    if (op == "CastLike") {
      elem = in(1).getElementType();
    } else {
      auto to = dyn_cast_or_null<TypeAttr>(n.attrs.get("to"));
      if (!to)
        return fail("Cast needs a supported 'to' element type");
      elem = to.getValue();
    }
    push(in(0).getShape(), elem);
    return success();
  }
  if (op == "MatMul")
    return matmul();
  if (op == "Gemm")
    return gemm();
  if (op.starts_with("Reduce"))
    return reduce(false);
  if (op == "ArgMax" || op == "ArgMin")
    return reduce(true);
  if (op == "Reshape" || op == "Flatten")
    return reshape();
  if (op == "Squeeze" || op == "Unsqueeze")
    return squeeze(op == "Unsqueeze");
  if (op == "Transpose") {
    if (failed(need(1)))
      return failure();
    int64_t rank = in(0).getRank();
    SmallVector<int64_t> perm;
    if (auto p = getIntsAttr(n.attrs, "perm"))
      perm = *p;
    else
      for (int64_t i = rank - 1; i >= 0; --i)
        perm.push_back(i);
    if (static_cast<int64_t>(perm.size()) != rank)
      return fail("perm has " + Twine(perm.size()) + " entries for rank " + Twine(rank));
    SmallVector<int64_t> shape;
    SmallVector<bool> seen(rank, false);
    for (int64_t p : perm) {
      if (p < 0 || p >= rank || seen[p])
        return fail("perm is not a permutation");
      seen[p] = true;
      shape.push_back(in(0).getDimSize(p));
    }
    push(shape, in(0).getElementType());
    return success();
  }
  if (op == "Concat") {
    if (n.inputs.empty() || failed(need(n.inputs.size())))
      return failure();
    int64_t rank = in(0).getRank();
    int64_t axis = attrInt("axis", 0);
    if (!normalizeAxis(axis, rank))
      return fail("axis out of range");
    SmallVector<int64_t> shape(in(0).getShape());
    for (unsigned i = 1; i < n.inputs.size(); ++i) {
      RankedTensorType t = in(i);
      if (t.getRank() != rank || t.getElementType() != in(0).getElementType())
        return fail("inconsistent inputs: " + typeStr(t) + " vs " + typeStr(in(0)));
      for (int64_t d = 0; d < rank; ++d) {
        if (d == axis)
          shape[d] += t.getDimSize(d);
        else if (t.getDimSize(d) != shape[d])
          return fail("inconsistent shapes: " + shapeStr(t.getShape()) + " vs " +
                      shapeStr(in(0).getShape()) + " off the concat axis");
      }
    }
    push(shape, in(0).getElementType());
    return success();
  }
  if (op == "Split")
    return split();
  if (op == "Slice")
    return slice();
  if (op == "Gather" || op == "GatherElements")
    return gather(op == "GatherElements");
  if (op == "Expand" || op == "Tile") {
    if (failed(need(2)))
      return failure();
    auto v = constInts(1, op == "Expand" ? "shape" : "repeats");
    if (failed(v))
      return failure();
    SmallVector<int64_t> other = **v, shape;
    if (op == "Tile") {
      if (static_cast<int64_t>(other.size()) != in(0).getRank())
        return fail("repeats must have one entry per dimension");
      for (int64_t i = 0; i < in(0).getRank(); ++i) {
        if (other[i] < 0)
          return fail("negative repeat");
        shape.push_back(in(0).getDimSize(i) * other[i]);
      }
    } else if (!broadcastShapes({in(0).getShape(), ArrayRef<int64_t>(other)}, shape)) {
      return fail("inconsistent shapes: " + shapeStr(in(0).getShape()) +
                  " does not expand to " + shapeStr(other));
    }
    push(shape, in(0).getElementType());
    return success();
  }
  if (op == "Shape") {
    if (failed(need(1)))
      return failure();
    int64_t rank = in(0).getRank();
    int64_t start = attrInt("start", 0), end = attrInt("end", rank);
    if (start < 0)
      start += rank;
    if (end < 0)
      end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    push({std::max<int64_t>(end - start, 0)}, IntegerType::get(ctx(), 64));
    return success();
  }
  if (op == "Size") {
    if (failed(need(1)))
      return failure();
    push({}, IntegerType::get(ctx(), 64));
    return success();
  }
  if (op == "ConstantOfShape") {
    auto v = constInts(0, "shape");
    if (failed(v))
      return failure();
    SmallVector<int64_t> shape = *v ? **v : SmallVector<int64_t>{};
    for (int64_t d : shape)
      if (d < 0)
        return fail("negative dimension in shape");
    Type elem = Float32Type::get(ctx());
    if (auto value = dyn_cast_or_null<ElementsAttr>(n.attrs.get("value")))
      elem = value.getElementType();
    push(shape, elem);
    return success();
  }
  if (op == "Range") {
    if (failed(need(3)))
      return failure();
    Type elem = in(0).getElementType();
    double start, limit, delta;
    if (isa<IntegerType>(elem)) {
      auto s = getScalarInt(n.input(0)), l = getScalarInt(n.input(1)),
           d = getScalarInt(n.input(2));
      if (!s || !l || !d)
        return fail("Range needs constant start, limit and delta" +
                    graphInputHint(!s ? n.input(0) : !l ? n.input(1) : n.input(2)));
      start = *s, limit = *l, delta = *d;
    } else {
      auto s = getScalarFloat(n.input(0)), l = getScalarFloat(n.input(1)),
           d = getScalarFloat(n.input(2));
      if (!s || !l || !d)
        return fail("Range needs constant start, limit and delta" +
                    graphInputHint(!s ? n.input(0) : !l ? n.input(1) : n.input(2)));
      start = *s, limit = *l, delta = *d;
    }
    if (delta == 0)
      return fail("Range delta must not be 0");
    int64_t count = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
    push({count}, elem);
    return success();
  }
  if (op == "Pad")
    return pad();
  if (op == "Where") {
    if (failed(need(3)))
      return failure();
    SmallVector<int64_t> shape;
    if (!broadcastShapes({in(0).getShape(), in(1).getShape(), in(2).getShape()}, shape))
      return fail("inconsistent shapes: condition/X/Y do not broadcast");
    if (in(1).getElementType() != in(2).getElementType())
      return fail("X and Y have different element types");
    push(shape, in(1).getElementType());
    return success();
  }
  if (op == "DequantizeLinear") {
    if (failed(need(2)))
      return failure();
    push(in(0).getShape(), in(1).getElementType());
    return success();
  }
  if (op == "LayerNormalization") {
    if (failed(need(2)))
      return failure();
    RankedTensorType x = in(0);
    int64_t axis = attrInt("axis", -1);
    if (!normalizeAxis(axis, x.getRank()))
      return fail("axis out of range");
    push(x.getShape(), x.getElementType());
    SmallVector<int64_t> stat(x.getShape());
    for (int64_t i = axis; i < x.getRank(); ++i)
      stat[i] = 1;
    for (unsigned i = 1; i < n.numResults; ++i)
      push(stat, Float32Type::get(ctx()));
    return success();
  }
  return fail("unsupported operator");
}

LogicalResult onnx_import::inferResultTypes(const NodeDesc &node,
                                            SmallVectorImpl<Type> &types,
                                            std::string &error) {
  types.clear();
  Inferer inf{node, types, error};
  if (failed(inf.run()))
    return failure();
  if (types.size() < node.numResults) {
    // Optional outputs the op does not produce (e.g. Dropout's mask).
    error = "the node has " + std::to_string(node.numResults) + " outputs but the op has " +
            std::to_string(types.size());
    return failure();
  }
  types.resize(node.numResults);
  return success();
}

//===----------------------------------------------------------------------===//
// Folding of small integer computations
//===----------------------------------------------------------------------===//

/// Values with more elements than this are not folded (shape math only).
static constexpr int64_t kMaxFoldElements = 4096;
/// The largest ConstantOfShape folded into a constant (64 MiB of f32).
static constexpr int64_t kMaxSplatFoldElements = int64_t(1) << 24;

namespace {
struct IntTensor {
  SmallVector<int64_t> shape;
  SmallVector<int64_t> data;
};
} // namespace

static std::optional<IntTensor> constInt(Value v) {
  if (!v)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !isa<IntegerType>(type.getElementType()) ||
      type.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  auto ints = getConstantInts(v);
  if (!ints)
    return std::nullopt;
  return IntTensor{SmallVector<int64_t>(type.getShape()), *ints};
}

static SmallVector<int64_t> strides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// Element of `t` at the broadcast multi-index `idx` of a result of rank r.
static int64_t bcastAt(const IntTensor &t, ArrayRef<int64_t> idx) {
  int64_t off = idx.size() - t.shape.size(), flat = 0;
  SmallVector<int64_t> st = strides(t.shape);
  for (size_t i = 0; i < t.shape.size(); ++i)
    flat += (t.shape[i] == 1 ? 0 : idx[off + i]) * st[i];
  return t.data[flat];
}

static bool nextIndex(SmallVectorImpl<int64_t> &idx, ArrayRef<int64_t> shape) {
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    if (++idx[i] < shape[i])
      return true;
    idx[i] = 0;
  }
  return false;
}

static int64_t truncTo(int64_t v, Type elem) {
  auto it = cast<IntegerType>(elem);
  unsigned w = it.getWidth();
  if (w >= 64)
    return v;
  if (w == 1)
    return v != 0;
  APInt a(64, static_cast<uint64_t>(v));
  a = a.trunc(w);
  return it.isUnsigned() ? static_cast<int64_t>(a.getZExtValue()) : a.getSExtValue();
}

/// Float values with at most this many elements fold (scalar shape math:
/// sizes and trip counts computed in float, as function expansions do).
static constexpr int64_t kMaxFloatFoldElements = 16;

/// The values of a small constant float tensor, as doubles.
static std::optional<SmallVector<double>> constFloats(Value v) {
  auto type = v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
  if (!type || !isa<FloatType>(type.getElementType()) ||
      type.getNumElements() > kMaxFloatFoldElements)
    return std::nullopt;
  auto dense = dyn_cast_or_null<DenseElementsAttr>(getConstantElements(v));
  if (!dense)
    return std::nullopt;
  SmallVector<double> out;
  for (APFloat f : dense.getValues<APFloat>()) {
    bool lost;
    f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
    out.push_back(f.convertToDouble());
  }
  return out;
}

/// Folds small float Add/Sub/Mul/Div/Ceil/Floor/Neg/Abs/Relu and Cast from
/// float. Each op is computed in double and rounded once to the result type,
/// which is the correctly rounded result for f16/f32 operands.
static Value foldSmallFloat(OpBuilder &b, Location loc, const NodeDesc &n,
                            RankedTensorType type) {
  StringRef op = n.opType;
  static const llvm::StringSet<> ops = {"Add", "Sub",  "Mul", "Div", "Ceil",
                                        "Floor", "Neg", "Abs", "Relu", "Cast"};
  if (!ops.contains(op) || type.getNumElements() > kMaxFloatFoldElements || n.inputs.empty())
    return {};
  bool binary = op == "Add" || op == "Sub" || op == "Mul" || op == "Div";
  if (n.inputs.size() != (binary ? 2u : 1u))
    return {};
  auto x = constFloats(n.input(0));
  if (!x)
    return {};
  std::optional<SmallVector<double>> y;
  if (binary) {
    y = constFloats(n.input(1));
    // Same shape, or a one-element operand.
    if (!y || !(y->size() == x->size() || y->size() == 1 || x->size() == 1))
      return {};
  }
  int64_t count = type.getNumElements();
  if ((x->size() != 1 && static_cast<int64_t>(x->size()) != count) ||
      (y && y->size() != 1 && static_cast<int64_t>(y->size()) != count))
    return {};
  SmallVector<double> r;
  for (int64_t i = 0; i < count; ++i) {
    double a = (*x)[x->size() == 1 ? 0 : i];
    double c = y ? (*y)[y->size() == 1 ? 0 : i] : 0.0;
    double v = op == "Add"     ? a + c
               : op == "Sub"   ? a - c
               : op == "Mul"   ? a * c
               : op == "Div"   ? a / c
               : op == "Ceil"  ? std::ceil(a)
               : op == "Floor" ? std::floor(a)
               : op == "Neg"   ? -a
               : op == "Abs"   ? std::fabs(a)
               : op == "Relu"  ? (a > 0 ? a : 0.0)
                               : a;
    r.push_back(v);
  }
  Type elem = type.getElementType();
  if (auto ft = dyn_cast<FloatType>(elem)) {
    SmallVector<APFloat> values;
    for (double v : r) {
      APFloat f(v);
      bool lost;
      f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      values.push_back(f);
    }
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
  }
  // Cast float -> integer or bool: truncation toward zero; NaN and
  // out-of-range values are left to the lowering.
  if (op != "Cast" || !isa<IntegerType>(elem))
    return {};
  SmallVector<int64_t> ints;
  for (double v : r) {
    if (!std::isfinite(v) || std::fabs(v) >= 9.2e18)
      return {};
    ints.push_back(elem.isInteger(1) ? (v != 0.0) : static_cast<int64_t>(v));
  }
  return createConstant(b, loc, type, ints);
}

bool onnx_import::foldNode(OpBuilder &b, Location loc, const NodeDesc &n,
                           ArrayRef<Type> types, SmallVectorImpl<Value> &results) {
  if (!n.domain.empty() || types.size() != 1)
    return false;
  auto type = dyn_cast<RankedTensorType>(types[0]);
  if (!type)
    return false;
  StringRef op = n.opType;
  auto emit = [&](ArrayRef<int64_t> data) {
    results.push_back(createConstant(b, loc, type, data));
    return true;
  };

  if (op == "Shape") {
    auto in = cast<RankedTensorType>(n.input(0).getType());
    int64_t rank = in.getRank();
    int64_t start = getIntAttr(n.attrs, "start", 0), end = getIntAttr(n.attrs, "end", rank);
    if (start < 0)
      start += rank;
    if (end < 0)
      end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    SmallVector<int64_t> dims;
    for (int64_t i = start; i < end; ++i)
      dims.push_back(in.getDimSize(i));
    return emit(dims);
  }
  if (op == "Size")
    return emit({cast<RankedTensorType>(n.input(0).getType()).getNumElements()});
  // Above this a splat stays a run-time fill: a folded [2^20, 2^20] constant
  // reached LLVM as a 4 TiB initializer and never finished compiling.
  if (op == "ConstantOfShape" && type.getNumElements() > kMaxSplatFoldElements)
    return false;
  if (op == "ConstantOfShape") {
    Attribute fill;
    if (auto value = dyn_cast_or_null<ElementsAttr>(n.attrs.get("value"))) {
      if (value.getNumElements() != 1)
        return false;
      if (auto dense = dyn_cast<DenseElementsAttr>(value))
        fill = DenseElementsAttr::get(type, dense.getValues<Attribute>()[0]);
      else
        return false;
    } else {
      fill = DenseElementsAttr::get(type, b.getF32FloatAttr(0.0f));
    }
    results.push_back(arith::ConstantOp::create(b, loc, type, cast<TypedAttr>(fill)));
    return true;
  }
  // A small integer constant cast to float (e.g. Range bounds computed from an
  // integer size, as the window functions' expansions do).
  if (op == "Cast" && n.feedsShapeOperand && isa<FloatType>(type.getElementType()) &&
      type.getNumElements() <= kMaxFoldElements) {
    if (auto c = constInt(n.input(0))) {
    const llvm::fltSemantics &sem = cast<FloatType>(type.getElementType()).getFloatSemantics();
    SmallVector<APFloat> values;
    for (int64_t v : c->data) {
      APFloat f(static_cast<double>(v));
      bool lost;
      f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
      values.push_back(f);
    }
    results.push_back(arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, values)));
    return true;
    }
  }
  if (Value folded = n.feedsShapeOperand ? foldSmallFloat(b, loc, n, type) : Value()) {
    results.push_back(folded);
    return true;
  }
  if (!isa<IntegerType>(type.getElementType()) || type.getNumElements() > kMaxFoldElements)
    return false;

  SmallVector<IntTensor> in;
  for (Value v : n.inputs) {
    if (!v) {
      in.push_back({});
      continue;
    }
    auto c = constInt(v);
    if (!c)
      return false;
    in.push_back(*c);
  }
  if (in.empty())
    return false;
  Type elem = type.getElementType();
  ArrayRef<int64_t> outShape = type.getShape();
  int64_t numel = type.getNumElements();

  if (op == "Identity" || op == "Reshape" || op == "Flatten" || op == "Squeeze" ||
      op == "Unsqueeze")
    return emit(in[0].data);
  if (op == "Cast") {
    SmallVector<int64_t> d;
    for (int64_t v : in[0].data)
      d.push_back(truncTo(v, elem));
    return emit(d);
  }
  if (op == "Concat") {
    int64_t rank = outShape.size();
    int64_t axis = getIntAttr(n.attrs, "axis", 0);
    if (!normalizeAxis(axis, rank))
      return false;
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i)
      outer *= outShape[i];
    SmallVector<int64_t> d;
    for (int64_t o = 0; o < outer; ++o)
      for (IntTensor &t : in) {
        int64_t inner = 1;
        for (size_t i = axis; i < t.shape.size(); ++i)
          inner *= t.shape[i];
        d.append(t.data.begin() + o * inner, t.data.begin() + (o + 1) * inner);
      }
    return emit(d);
  }
  if (op == "Gather") {
    const IntTensor &data = in[0], &idx = in[1];
    int64_t axis = getIntAttr(n.attrs, "axis", 0);
    if (!normalizeAxis(axis, data.shape.size()))
      return false;
    int64_t outer = 1, inner = 1, dim = data.shape[axis];
    for (int64_t i = 0; i < axis; ++i)
      outer *= data.shape[i];
    for (size_t i = axis + 1; i < data.shape.size(); ++i)
      inner *= data.shape[i];
    SmallVector<int64_t> d;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k : idx.data) {
        if (k < -dim || k >= dim)
          return false; // the lowering reports nothing; leave it to run time
        if (k < 0)
          k += dim;
        for (int64_t i = 0; i < inner; ++i)
          d.push_back(data.data[(o * dim + k) * inner + i]);
      }
    return emit(d);
  }
  if (op == "Slice") {
    SmallVector<int64_t> starts, steps, sizes;
    std::string err;
    if (failed(sliceParams(n, in[0].shape, starts, steps, sizes, err)))
      return false;
    SmallVector<int64_t> d, idx(outShape.size(), 0), st = strides(in[0].shape);
    if (numel == 0)
      return emit(d);
    do {
      int64_t flat = 0;
      for (size_t i = 0; i < idx.size(); ++i)
        flat += (starts[i] + idx[i] * steps[i]) * st[i];
      d.push_back(in[0].data[flat]);
    } while (nextIndex(idx, outShape));
    return emit(d);
  }
  if (op == "Range") {
    int64_t start = in[0].data[0], delta = in[2].data[0];
    SmallVector<int64_t> d;
    for (int64_t i = 0; i < numel; ++i)
      d.push_back(truncTo(start + i * delta, elem));
    return emit(d);
  }
  static const llvm::StringSet<> binary = {"Add", "Sub", "Mul", "Div", "Max", "Min",
                                           "Equal", "Less", "Greater", "Where", "Expand",
                                           "Neg", "Abs", "Mod", "Not", "And", "Or",
                                           "LessOrEqual", "GreaterOrEqual"};
  if (!binary.contains(op) || in.size() > 3 || (op != "Where" && in.size() > 2))
    return false;
  for (const IntTensor &t : in)
    if (t.data.empty())
      return false;
  SmallVector<int64_t> d, idx(outShape.size(), 0);
  if (numel == 0)
    return emit(d);
  do {
    int64_t a = bcastAt(in[0], idx);
    int64_t bb = in.size() > 1 ? bcastAt(in[1], idx) : 0;
    int64_t r;
    if (op == "Add") r = a + bb;
    else if (op == "Sub") r = a - bb;
    else if (op == "Mul") r = a * bb;
    else if (op == "Div") { if (bb == 0) return false; r = a / bb; }
    else if (op == "Mod") { if (bb == 0) return false; r = a % bb; if (r != 0 && ((r < 0) != (bb < 0))) r += bb; }
    else if (op == "Max") r = std::max(a, bb);
    else if (op == "Min") r = std::min(a, bb);
    else if (op == "Equal") r = a == bb;
    else if (op == "Less") r = a < bb;
    else if (op == "Greater") r = a > bb;
    else if (op == "LessOrEqual") r = a <= bb;
    else if (op == "GreaterOrEqual") r = a >= bb;
    else if (op == "And") r = a && bb;
    else if (op == "Or") r = a || bb;
    else if (op == "Not") r = !a;
    else if (op == "Neg") r = -a;
    else if (op == "Abs") r = a < 0 ? -a : a;
    else if (op == "Expand") r = a;
    else /* Where */ r = a ? bb : bcastAt(in[2], idx);
    d.push_back(truncTo(r, elem));
  } while (nextIndex(idx, outShape));
  return emit(d);
}

NodeDesc onnx_import::nodeDescOf(Operation *o) {
  auto op = cast<ONNXNodeOp>(o);
  NodeDesc d;
  d.opType = op.getOpType();
  d.domain = op.isDefaultDomain() ? StringRef() : op.getDomain();
  d.opset = op.getOpset();
  for (unsigned i = 0, e = op.getInputs().size(); i < e; ++i)
    d.inputs.push_back(op.getInput(i));
  d.attrs = op.getOnnxAttrs();
  d.numResults = op.getNumResults();
  return d;
}

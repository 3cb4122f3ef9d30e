//===- EmitHost.cpp - the CUDA emitter's data movement and host code ------===//
//
// Slices (views or strided copies), in-place inserts and destination passing,
// concatenation, padding, fills, host scalars and scf.for as host loops.
//
//===----------------------------------------------------------------------===//
#include "CUDAEmitter.h"

namespace mlir::tern::cuda_detail {

// ----------------------------------------------------------------------------
// Data movement
// ----------------------------------------------------------------------------

void Emitter::emitStridedCopy(const std::string &src, const std::string &dst, Type elem,
                              ArrayRef<int64_t> shape, ArrayRef<int64_t> srcStrides,
                              ArrayRef<int64_t> dstStrides) {
  int64_t total = product(shape);
  if (total == 0)
    return;
  line("{");
  ++indent;
  line("TernStridedCopy c = {};");
  line("c.rank = " + std::to_string(shape.size()) + ";");
  for (size_t d = 0; d < shape.size(); ++d)
    line("c.shape[" + std::to_string(d) + "] = " + std::to_string(shape[d]) + "; c.src_strides[" +
         std::to_string(d) + "] = " + std::to_string(srcStrides[d]) + "; c.dst_strides[" +
         std::to_string(d) + "] = " + std::to_string(dstStrides[d]) + ";");
  std::string t = "uint" + std::to_string(8 * elemBytes(elem)) + "_t";
  line("tern_strided_copy_kernel<" + t + "><<<tern_grid_for(" + std::to_string(total) +
       ", 256), 256, 0, stream>>>((const " + t + " *)" + src + ", (" + t + " *)" + dst + ", " +
       std::to_string(total) + ", c);");
  countLaunch();
  --indent;
  line("}");
}

/// Host expression of the element offset of a slice: sum(offset_d * stride_d).
static FailureOr<std::string> sliceOffset(Operation *op, ArrayRef<OpFoldResult> offsets,
                                          ArrayRef<int64_t> strides,
                                          function_ref<FailureOr<std::string>(Value)> scalar,
                                          int64_t &staticPart) {
  std::string dyn;
  staticPart = 0;
  for (auto [d, ofr] : llvm::enumerate(offsets)) {
    if (auto attr = dyn_cast<Attribute>(ofr)) {
      staticPart += cast<IntegerAttr>(attr).getInt() * strides[d];
      continue;
    }
    FailureOr<std::string> s = scalar(cast<Value>(ofr));
    if (failed(s))
      return failure();
    dyn += (dyn.empty() ? "" : " + ") + ("(" + *s + ") * " + std::to_string(strides[d]));
  }
  return dyn;
}

LogicalResult Emitter::emitExtractSlice(tensor::ExtractSliceOp op) {
  auto srcType = op.getSourceType();
  if (!srcType.hasStaticShape() || !op.getType().hasStaticShape() ||
      llvm::any_of(op.getStaticSizes(), ShapedType::isDynamic) ||
      llvm::any_of(op.getStaticStrides(), ShapedType::isDynamic))
    return op.emitError("CUDA backend: slices need static sizes and strides");
  FailureOr<Buffer> src = bufferOf(op, op.getSource());
  if (failed(src))
    return failure();
  Type elem = srcType.getElementType();
  int64_t eb = elemBytes(elem);
  SmallVector<int64_t> strides = denseStrides(srcType.getShape());
  int64_t staticOff = 0;
  FailureOr<std::string> dyn = sliceOffset(op, op.getMixedOffsets(), strides,
                                           [&](Value v) { return scalarOf(op, v); }, staticOff);
  if (failed(dyn))
    return failure();
  ArrayRef<int64_t> sizes = op.getStaticSizes();
  ArrayRef<int64_t> steps = op.getStaticStrides();
  // Contiguous: unit strides, and after the first dimension with more than
  // one element every dimension is whole.
  bool contiguous = llvm::all_of(steps, [](int64_t s) { return s == 1; });
  bool seenMulti = false;
  for (size_t d = 0; d < sizes.size() && contiguous; ++d) {
    if (seenMulti && sizes[d] != srcType.getDimSize(d))
      contiguous = false;
    if (sizes[d] > 1)
      seenMulti = true;
  }
  Buffer view = *src;
  view.offset += staticOff * eb;
  if (!dyn->empty())
    view.dynOffset = (view.dynOffset.empty() ? "" : view.dynOffset + " + ") + "(" + *dyn + ") * " +
                     std::to_string(eb);
  if (contiguous) {
    bufs[op.getResult()] = view;
    views.insert(op.getResult());
    return success();
  }
  Buffer dst = allocateFor(op.getResult());
  SmallVector<int64_t> srcStrides, dstStrides = denseStrides(sizes);
  for (size_t d = 0; d < sizes.size(); ++d)
    srcStrides.push_back(strides[d] * steps[d]);
  emitStridedCopy(view.base(), dst.base(), elem, sizes, srcStrides, dstStrides);
  return success();
}

LogicalResult Emitter::emitInsertSlice(tensor::InsertSliceOp op) {
  auto destType = op.getDestType();
  auto srcType = dyn_cast<RankedTensorType>(op.getSourceType());
  if (!destType.hasStaticShape() || !srcType || !srcType.hasStaticShape() ||
      llvm::any_of(op.getStaticSizes(), ShapedType::isDynamic) ||
      llvm::any_of(op.getStaticStrides(), ShapedType::isDynamic))
    return op.emitError("CUDA backend: slices need static sizes and strides");
  FailureOr<Buffer> dest = bufferOf(op, op.getDest());
  FailureOr<Buffer> src = bufferOf(op, op.getSource());
  if (failed(dest) || failed(src))
    return failure();
  Type elem = destType.getElementType();
  int64_t eb = elemBytes(elem), bytes = destType.getNumElements() * eb;
  // In place when the destination's buffer is its own (not a view, not an
  // input or constant) and nothing else reads it (the sequence output of an
  // MLGRU loop, a state tensor built slice by slice); otherwise copy it first.
  Buffer out;
  bool inPlace = canInsertInPlace(op);
  if (inPlace) {
    out = *dest;
    bufs[op.getResult()] = out;
  } else {
    out = allocateFor(op.getResult());
    emitMemcpy(out.base(), dest->base(), bytes);
  }
  SmallVector<int64_t> strides = denseStrides(destType.getShape());
  int64_t staticOff = 0;
  FailureOr<std::string> dyn = sliceOffset(op, op.getMixedOffsets(), strides,
                                           [&](Value v) { return scalarOf(op, v); }, staticOff);
  if (failed(dyn))
    return failure();
  Buffer view = out;
  view.offset += staticOff * eb;
  if (!dyn->empty())
    view.dynOffset = (view.dynOffset.empty() ? "" : view.dynOffset + " + ") + "(" + *dyn + ") * " +
                     std::to_string(eb);
  if (inPlace && src->kind == view.kind && src->offset == view.offset &&
      src->dynOffset == view.dynOffset)
    return success(); // computed in place (placeInSlice)
  ArrayRef<int64_t> sizes = op.getStaticSizes();
  SmallVector<int64_t> dstStrides, srcStrides = denseStrides(sizes);
  for (size_t d = 0; d < sizes.size(); ++d)
    dstStrides.push_back(strides[d] * op.getStaticStrides()[d]);
  emitStridedCopy(src->base(), view.base(), elem, sizes, srcStrides, dstStrides);
  return success();
}

std::optional<Buffer> Emitter::placeInSlice(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  for (Operation *user : v.getUsers()) {
    auto ins = dyn_cast<tensor::InsertSliceOp>(user);
    if (!ins || ins.getSource() != v || ins.getDest() == v || ins->getBlock() != def->getBlock() ||
        !canInsertInPlace(ins))
      continue;
    auto destType = ins.getDestType();
    ArrayRef<int64_t> sizes = ins.getStaticSizes();
    if (!destType.hasStaticShape() || llvm::any_of(sizes, ShapedType::isDynamic) ||
        llvm::any_of(ins.getStaticStrides(), [](int64_t st) { return st != 1; }))
      continue;
    // Contiguous: after the first dimension with more than one element,
    // every dimension is whole.
    bool contiguous = true, seenMulti = false;
    for (size_t d = 0; d < sizes.size() && contiguous; ++d) {
      if (seenMulti && sizes[d] != destType.getDimSize(d))
        contiguous = false;
      if (sizes[d] > 1)
        seenMulti = true;
    }
    if (!contiguous)
      continue;
    // Offsets known on the host where v is computed.
    bool known = llvm::all_of(ins.getOffsets(), [&](Value o) {
      return scalars.count(o) && dom.properlyDominates(o, def);
    });
    if (!known)
      continue;
    SmallVector<int64_t> strides = denseStrides(destType.getShape());
    int64_t staticOff = 0;
    FailureOr<std::string> dyn = sliceOffset(ins, ins.getMixedOffsets(), strides,
                                             [&](Value o) { return scalarOf(ins, o); }, staticOff);
    if (failed(dyn))
      continue;
    int64_t eb = elemBytes(destType.getElementType());
    Buffer view = bufs[ins.getDest()];
    view.offset += staticOff * eb;
    if (!dyn->empty())
      view.dynOffset = (view.dynOffset.empty() ? "" : view.dynOffset + " + ") + "(" + *dyn +
                       ") * " + std::to_string(eb);
    return view;
  }
  return std::nullopt;
}

LogicalResult Emitter::emitConcat(tensor::ConcatOp op) {
  auto type = op.getResultType();
  if (!type.hasStaticShape())
    return op.emitError("CUDA backend: needs static shapes");
  Buffer out = allocateFor(op.getResult());
  Type elem = type.getElementType();
  int64_t eb = elemBytes(elem), dim = op.getDim(), at = 0;
  SmallVector<int64_t> strides = denseStrides(type.getShape());
  for (Value in : op.getInputs()) {
    auto it = cast<RankedTensorType>(in.getType());
    FailureOr<Buffer> src = bufferOf(op, in);
    if (failed(src))
      return failure();
    Buffer view = out;
    view.offset += at * strides[dim] * eb;
    emitStridedCopy(src->base(), view.base(), elem, it.getShape(), denseStrides(it.getShape()),
                    strides);
    at += it.getDimSize(dim);
  }
  return success();
}

LogicalResult Emitter::emitPad(tensor::PadOp op) {
  auto type = op.getResultType();
  auto srcType = op.getSourceType();
  if (!type.hasStaticShape() || !srcType.hasStaticShape() || !op.getConstantPaddingValue())
    return op.emitError("CUDA backend: pads need static shapes and a constant padding value");
  Buffer out = allocateFor(op.getResult());
  Type elem = type.getElementType();
  if (failed(emitFill(op.getResult(), op.getConstantPaddingValue(), type.getNumElements(), elem)))
    return failure();
  FailureOr<Buffer> src = bufferOf(op, op.getSource());
  if (failed(src))
    return failure();
  SmallVector<int64_t> strides = denseStrides(type.getShape());
  int64_t off = 0;
  for (auto [d, lo] : llvm::enumerate(op.getStaticLow())) {
    if (ShapedType::isDynamic(lo))
      return op.emitError("CUDA backend: pads need static sizes");
    off += lo * strides[d];
  }
  Buffer view = out;
  view.offset += off * elemBytes(elem);
  emitStridedCopy(src->base(), view.base(), elem, srcType.getShape(), denseStrides(srcType.getShape()),
                  strides);
  return success();
}

LogicalResult Emitter::emitFill(Value result, Value fillValue, int64_t n, Type elem) {
  Operation *op = result.getDefiningOp();
  FailureOr<std::string> v = scalarOf(op, fillValue);
  if (failed(v))
    return failure();
  FailureOr<Buffer> out = bufferOf(op, result);
  if (failed(out))
    return failure();
  std::string ct = cType(elem);
  line("tern_fill_kernel<" + ct + "><<<tern_grid_for(" + std::to_string(n) +
       ", 256), 256, 0, stream>>>(" + out->ptr(ct, false) + ", (" + ct + ")" + *v + ", " +
       std::to_string(n) + ");");
  countLaunch();
  return success();
}

// ----------------------------------------------------------------------------
// Run-time checks
// ----------------------------------------------------------------------------

/// One block scans the indices and records the first bad one in the arena's
/// TernIndexError word (cleared at the start of each run; the launcher reads
/// it back with the outputs and names the check's node).
LogicalResult Emitter::emitIndexCheck(IndexCheckOp op) {
  auto type = op.getIndices().getType();
  if (type.getNumElements() == 0)
    return success();
  FailureOr<Buffer> src = bufferOf(op, op.getIndices());
  if (failed(src))
    return failure();
  if (!indexError)
    indexError = allocate(16);
  std::string ct = cType(type.getElementType());
  line("tern_index_check_kernel<" + ct + "><<<1, TERN_ROW_THREADS, 0, stream>>>(" +
       src->ptr(ct, true) + ", " + std::to_string(type.getNumElements()) + ", " +
       std::to_string(op.getDim()) + "LL, " + std::to_string(indexChecks.size()) +
       ", (TernIndexError *)" + indexError->base() + "); // " + cString(op.getWhat()));
  indexChecks.push_back({op.getWhat().str(), static_cast<int64_t>(op.getDim())});
  countLaunch();
  return success();
}

// ----------------------------------------------------------------------------
// Host code: scalars and loops
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitHostScalar(Operation *op) {
  if (op->getNumResults() != 1 || isa<ShapedType>(op->getResult(0).getType()))
    return op->emitError("CUDA backend: unsupported op ") << op->getName();
  Type t = op->getResult(0).getType();
  std::string ct = cType(t);
  if (ct.empty())
    return op->emitError("CUDA backend: unsupported scalar type ") << t;
  SmallVector<std::string> a;
  for (Value v : op->getOperands()) {
    FailureOr<std::string> s = scalarOf(op, v);
    if (failed(s))
      return failure();
    a.push_back(*s);
  }
  std::string e;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](arith::AddIOp) { e = a[0] + " + " + a[1]; })
      .Case([&](arith::SubIOp) { e = a[0] + " - " + a[1]; })
      .Case([&](arith::MulIOp) { e = a[0] + " * " + a[1]; })
      .Case([&](arith::DivSIOp) { e = a[0] + " / " + a[1]; })
      .Case([&](arith::RemSIOp) { e = a[0] + " % " + a[1]; })
      .Case([&](arith::IndexCastOp) { e = "(" + ct + ")" + a[0]; })
      .Case([&](arith::AddFOp) { e = a[0] + " + " + a[1]; })
      .Case([&](arith::SubFOp) { e = a[0] + " - " + a[1]; })
      .Case([&](arith::MulFOp) { e = a[0] + " * " + a[1]; })
      .Case([&](arith::DivFOp) { e = a[0] + " / " + a[1]; })
      .Case([&](arith::SIToFPOp) { e = "(" + ct + ")" + a[0]; })
      .Case([&](arith::MaxSIOp) { e = "std::max<" + ct + ">(" + a[0] + ", " + a[1] + ")"; })
      .Case([&](arith::MinSIOp) { e = "std::min<" + ct + ">(" + a[0] + ", " + a[1] + ")"; })
      .Case([&](arith::SelectOp) { e = a[0] + " ? " + a[1] + " : " + a[2]; })
      .Case([&](arith::CmpIOp c) {
        static const char *ops[] = {"==", "!=", "<", "<=", ">", ">=", "<", "<=", ">", ">="};
        e = a[0] + " " + ops[static_cast<int>(c.getPredicate())] + " " + a[1];
      })
      .Case([&](WeightScaleOp w) {
        auto it = weights.find(w.getWeight());
        if (it != weights.end())
          e = floatLiteral(it->second.scale, true);
      })
      .Default([&](Operation *) {});
  if (e.empty())
    return op->emitError("CUDA backend: unsupported op ") << op->getName();
  if (isa<WeightScaleOp>(op)) {
    scalars[op->getResult(0)] = e;
    return success();
  }
  std::string name = newScalar();
  line("const " + ct + " " + name + " = " + e + ";");
  scalars[op->getResult(0)] = name;
  return success();
}

LogicalResult Emitter::emitFor(scf::ForOp op) {
  FailureOr<std::string> lb = scalarOf(op, op.getLowerBound());
  FailureOr<std::string> ub = scalarOf(op, op.getUpperBound());
  FailureOr<std::string> step = scalarOf(op, op.getStep());
  if (failed(lb) || failed(ub) || failed(step))
    return failure();
  SmallVector<Buffer> iterBufs;
  for (auto [init, arg] : llvm::zip(op.getInitArgs(), op.getRegionIterArgs())) {
    auto tt = dyn_cast<RankedTensorType>(init.getType());
    if (!tt)
      return op.emitError("CUDA backend: loop-carried scalars are not supported");
    FailureOr<Buffer> src = bufferOf(op, init);
    if (failed(src))
      return failure();
    Buffer b = allocateFor(arg);
    emitMemcpy(b.base(), src->base(), tt.getNumElements() * elemBytes(tt.getElementType()));
    iterBufs.push_back(b);
  }
  std::string iv = newScalar();
  scalars[op.getInductionVar()] = iv;
  line("for (int64_t " + iv + " = " + *lb + "; " + iv + " < " + *ub + "; " + iv + " += " + *step +
       ") {");
  ++indent;
  ++loopDepth;
  Block &body = *op.getBody();
  for (Operation &inner : body.without_terminator())
    if (failed(emitOp(&inner)))
      return failure();
  auto yield = cast<scf::YieldOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getOperands())) {
    if (llvm::is_contained(op.getRegionIterArgs(), v) && v != op.getRegionIterArgs()[i])
      return op.emitError("CUDA backend: loops that permute their carried values are not supported");
    FailureOr<Buffer> src = bufferOf(yield, v);
    if (failed(src))
      return failure();
    if (src->kind == iterBufs[i].kind && src->offset == iterBufs[i].offset && src->dynOffset.empty())
      continue;
    auto tt = cast<RankedTensorType>(v.getType());
    emitMemcpy(iterBufs[i].base(), src->base(), tt.getNumElements() * elemBytes(tt.getElementType()));
  }
  --loopDepth;
  --indent;
  line("}");
  for (auto [res, b] : llvm::zip(op.getResults(), iterBufs))
    bufs[res] = b;
  return success();
}

} // namespace mlir::tern::cuda_detail

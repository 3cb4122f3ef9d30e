//===- EmitKernels.cpp - the CUDA emitter's kernels ------------------------===//
//
// Quantization groups (tern_quant_rows_kernel with a row source, generated
// functors for fused element-wise producers), GEMV/GEMM groups (generated
// kernels: tmatmuls + epilogue, merged groups), generic kernels, and linalg
// region bodies as C.
//
//===----------------------------------------------------------------------===//
#include "CUDAEmitter.h"

namespace mlir::tern::cuda_detail {

// ----------------------------------------------------------------------------
// Fused RMSNorm + act_quant
// ----------------------------------------------------------------------------

bool onlyFeedsTMatmul(Value xq) {
  return llvm::all_of(xq.getUsers(), [&](Operation *u) {
    auto mm = dyn_cast<TMatmulOp>(u);
    return mm && mm.getInput() == xq;
  });
}

/// The op defining `v` when it carries `attr` = `group`.
template <typename OpTy>
static OpTy markedProducer(Value v, StringRef attr, int64_t group) {
  auto op = v.getDefiningOp<OpTy>();
  auto a = op ? op->template getAttrOfType<IntegerAttr>(attr) : IntegerAttr();
  return a && a.getInt() == group ? op : OpTy();
}

LogicalResult Emitter::readQuantPlans(Block &block) {
  std::map<int64_t, ActQuantOp> firsts;
  for (Operation &op : block) {
    auto q = dyn_cast<ActQuantOp>(op);
    auto gid = q ? q->getAttrOfType<IntegerAttr>(cuda::kQuantGroup) : IntegerAttr();
    if (!gid)
      continue;
    int64_t group = gid.getInt();
    RMSNormOp norm = markedProducer<RMSNormOp>(q.getInput(), cuda::kQuantNorm, group);
    Value base = norm ? norm.getInput() : q.getInput();
    auto [it, isNew] = firsts.try_emplace(group, q);
    QuantPlan &plan = quantPlans[it->second];
    if (isNew) {
      plan.base = base;
    } else if (plan.base != base || plan.members.size() >= 4) {
      return q.emitError("CUDA backend: invalid launch plan (")
             << cuda::kQuantGroup << " " << group
             << "): members must read the same input, at most 4 of them";
    }
    plan.members.push_back(q);
    plan.norms.push_back(norm);
  }
  // What each group computes on the fly must have no other reader.
  for (auto &[gid, first] : firsts) {
    QuantPlan &plan = quantPlans[first];
    if (auto l = first->getAttrOfType<IntegerAttr>(cuda::kQuantInLaunch))
      quantInLaunch[l.getInt()] = first;
    DenseSet<Operation *> inGroup;
    for (auto [q, norm] : llvm::zip(plan.members, plan.norms)) {
      inGroup.insert(q);
      if (norm)
        inGroup.insert(norm);
    }
    plan.pre = markedProducer<RMSNormOp>(plan.base, cuda::kQuantPre, gid);
    if (!plan.pre) {
      plan.chain = markedProducer<linalg::GenericOp>(plan.base, cuda::kQuantChain, gid);
      if (plan.chain && (plan.chain->getNumResults() != 1 || !isElementwiseGeneric(plan.chain) ||
                         !plan.chain.getMatchingIndexingMap(plan.chain.getDpsInitOperand(0)).isIdentity()))
        return plan.chain.emitError("CUDA backend: invalid launch plan (")
               << cuda::kQuantChain << "): not a one-result element-wise generic";
      if (plan.chain)
        for (OpOperand *in : plan.chain.getDpsInputOperands())
          if (RMSNormOp n = markedProducer<RMSNormOp>(in->get(), cuda::kQuantChainNorm, gid);
              n && plan.chain.getMatchingIndexingMap(in).isIdentity() &&
              n.getResult().getType() == plan.chain.getResult(0).getType()) {
            plan.chainNorm = n;
            break;
          }
    }
    SmallVector<Operation *> fused(plan.norms.begin(), plan.norms.end());
    fused.append({plan.pre, plan.chain, plan.chainNorm});
    for (Operation *op : fused) {
      if (!op)
        continue;
      bool onlyGroup = llvm::all_of(op->getUsers(), [&](Operation *u) { return inGroup.contains(u); });
      if (!onlyGroup || op->getBlock() != &block)
        return op->emitError("CUDA backend: invalid launch plan: this op is computed inside "
                             "quantization group ")
               << gid << " but has readers outside it";
      inGroup.insert(op);
      absorbed.insert(op);
    }
  }
  return success();
}

LogicalResult Emitter::emitQuantGroup(ActQuantOp first) {
  auto it = quantPlans.find(first);
  QuantPlan plan;
  if (it != quantPlans.end()) {
    plan = it->second;
    if (quantEmitted.contains(first))
      return success(); // run in the last block of the GEMV launch producing its rows
  } else if (first->hasAttr(cuda::kQuantGroup)) {
    return success(); // a later member of a group emitted earlier
  } else {
    plan.base = first.getInput(); // unplanned: a launch of its own
    plan.members.push_back(first);
    plan.norms.push_back(nullptr);
  }
  line("{");
  ++indent;
  FailureOr<QuantSetup> q = emitQuantSetup(plan, first, "g");
  if (failed(q))
    return failure();
  // Rows up to 8192 stay in registers (EPT elements per thread).
  int64_t threads = q->K >= 1024 ? 1024 : std::max<int64_t>(32, (q->K + 31) / 32 * 32);
  line("tern_quant_rows_kernel<" + std::to_string(quantEPT(q->K, threads)) + "><<<" +
       std::to_string(q->rows) + ", " + std::to_string(threads) + ", 0, stream>>>(" + q->src +
       ", " + std::to_string(q->K) + ", " + std::to_string(q->kp) + ", g);");
  countLaunch();
  --indent;
  line("}");
  return success();
}

int Emitter::quantEPT(int64_t K, int64_t threads) {
  int64_t need = (K + threads - 1) / threads;
  return need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : need <= 8 ? 8 : need <= 16 ? 16 : need <= 32 ? 32 : 0;
}

FailureOr<Emitter::QuantSetup> Emitter::emitQuantSetup(QuantPlan plan, ActQuantOp first,
                                                      StringRef var) {
  QuantSetup setup;
  auto inType = cast<RankedTensorType>(plan.base.getType());
  setup.K = inType.getShape().back();
  setup.rows = inType.getNumElements() / std::max<int64_t>(setup.K, 1);
  setup.kp = 32 * rowBlocks(setup.K);
  int64_t K = setup.K, rows = setup.rows, kp = setup.kp;
  std::string what = plan.pre ? "rmsnorm + " : plan.chain ? "element-wise + " : "";
  line("// fused " + what + "rmsnorm + act_quant: " + std::to_string(plan.members.size()) +
       " output(s), " + std::to_string(rows) + " row(s) of " + std::to_string(K));
  // The source the kernel reads.
  if (plan.chain) {
    FailureOr<std::string> s = emitChainSource(plan, K);
    if (failed(s))
      return failure();
    setup.src = *s;
    setup.srcType = setup.src.substr(0, setup.src.find('{'));
  } else {
    Value x = plan.pre ? plan.pre.getInput() : plan.base;
    FailureOr<Buffer> xb = bufferOf(first, x);
    if (failed(xb))
      return failure();
    std::string args = xb->ptr("float", true) + ", " + std::to_string(K);
    if (plan.pre) {
      std::string w = "nullptr";
      if (plan.pre.getWeight()) {
        FailureOr<Buffer> wb = bufferOf(plan.pre, plan.pre.getWeight());
        if (failed(wb))
          return failure();
        w = wb->ptr("float", true);
      }
      args += ", " + w + ", " + floatLiteral(plan.pre.getEps().convertToFloat(), true) + ", 1";
    }
    setup.src = "tern_row_source(" + args + ")";
    setup.srcType = "TernRowSource";
  }
  std::string g = var.str();
  line("TernQuantGroup " + g + " = {};");
  line(g + ".count = " + std::to_string(plan.members.size()) + ";");
  for (auto [i, q] : llvm::enumerate(plan.members)) {
    RMSNormOp norm = plan.norms[i];
    std::string normPtr = "nullptr";
    if (norm && norm.getWeight()) {
      FailureOr<Buffer> w = bufferOf(q, norm.getWeight());
      if (failed(w))
        return failure();
      normPtr = w->ptr("float", true);
    }
    std::string xqPtr = "nullptr", natPtr = "nullptr", sumPtr = "nullptr";
    if (!q.getOutput().use_empty()) {
      Buffer il = allocate(rows * kp);
      interleaved[q.getOutput()] = il;
      xqPtr = il.ptr("int8_t", false);
      if (dp4a()) {
        Buffer sums = allocate(rows * 4);
        rowSums[q.getOutput()] = sums;
        sumPtr = sums.ptr("int32_t", false);
      }
    }
    if (!onlyFeedsTMatmul(q.getOutput()))
      natPtr = allocateFor(q.getOutput()).ptr("int8_t", false);
    Buffer sx = allocateFor(q.getScale());
    std::string idx = g + ".out[" + std::to_string(i) + "].";
    line(idx + "norm = " + normPtr + "; " + idx + "xq = " + xqPtr + "; " + idx +
         "xq_natural = " + natPtr + ";");
    line(idx + "xsum = " + sumPtr + ";");
    line(idx + "sx = " + sx.ptr("float", false) + "; " + idx + "eps = " +
         floatLiteral(norm ? norm.getEps().convertToFloat() : 0.0, true) + "; " + idx + "rms = " +
         (norm ? "1" : "0") + "; " + idx + "bits = " + std::to_string(q.getBits()) + ";");
  }
  return setup;
}

FailureOr<std::string> Emitter::emitChainSource(QuantPlan plan, int64_t K) {
  linalg::GenericOp g = plan.chain;
  std::string name = "@K@";
  KernelParams params;
  ArrayRef<int64_t> shape = cast<RankedTensorType>(g.getResult(0).getType()).getShape();
  SmallVector<std::string> dims;
  std::string body;
  llvm::raw_string_ostream os(body);
  const char *ind = "    ";
  {
    SmallVector<int64_t> lead(shape.begin(), shape.end() - 1);
    SmallVector<int64_t> leadStrides = denseStrides(lead);
    for (auto [d, size] : llvm::enumerate(lead)) {
      std::string v = "d" + std::to_string(d);
      os << ind << "const int64_t " << v << " = (row / " << leadStrides[d] << ") % " << size
         << "; (void)" << v << ";\n";
      dims.push_back(v);
    }
    dims.push_back("k");
  }
  std::string normIn = "nullptr", normEps = "0.0f";
  DenseMap<unsigned, std::string> argValues;
  for (OpOperand *in : g.getDpsInputOperands()) {
    Value v = in->get();
    if (plan.chainNorm && v == plan.chainNorm.getResult()) {
      FailureOr<Buffer> xb = bufferOf(g, plan.chainNorm.getInput());
      if (failed(xb))
        return failure();
      normIn = xb->ptr("float", true);
      normEps = floatLiteral(plan.chainNorm.getEps().convertToFloat(), true);
      std::string x = params.add("const float *", normIn);
      std::string e = "(" + x + "[row * " + std::to_string(K) + " + k] / r)";
      if (plan.chainNorm.getWeight()) {
        FailureOr<std::string> w = captureTensor(g, plan.chainNorm.getWeight(), params);
        if (failed(w))
          return failure();
        e = "(" + e + " * " + *w + "[k])";
      }
      argValues[in->getOperandNumber()] = e;
      continue;
    }
    auto tt = dyn_cast<RankedTensorType>(v.getType());
    if (!tt) {
      FailureOr<std::string> sc = captureScalar(g, v, params);
      if (failed(sc))
        return failure();
      argValues[in->getOperandNumber()] = *sc;
      continue;
    }
    FailureOr<std::string> p = captureTensor(g, v, params);
    if (failed(p))
      return failure();
    argValues[in->getOperandNumber()] =
        *p + "[" + offsetExpr(g.getMatchingIndexingMap(in), tt.getShape(), dims) + "]";
  }
  OpOperand *init = g.getDpsInitOperand(0);
  if (!g.getMatchingBlockArgument(init).use_empty()) {
    FailureOr<std::string> p = captureTensor(g, init->get(), params);
    if (failed(p))
      return failure();
    argValues[init->getOperandNumber()] =
        *p + "[" + offsetExpr(g.getMatchingIndexingMap(init), shape, dims) + "]";
  }
  FailureOr<SmallVector<std::string>> yielded = emitRegionBody(
      *g.getBody(), [&](BlockArgument a) { return argValues.lookup(a.getArgNumber()); }, dims,
      params, os, ind);
  if (failed(yielded))
    return failure();
  // Member declarations drop __restrict__ (not valid on members everywhere).
  std::string k;
  llvm::raw_string_ostream ks(k);
  ks << "// " << name << ": the element-wise math feeding a quantization group, per element\n"
     << "struct " << name << " {\n";
  for (const std::string &d : params.decls) {
    std::string decl = d;
    size_t pos = decl.find(" __restrict__");
    if (pos == std::string::npos)
      pos = decl.find("__restrict__");
    if (pos != std::string::npos)
      decl.erase(pos, std::string(" __restrict__").size());
    ks << "  " << decl << ";\n";
  }
  ks << "  const float *norm_in;\n  float norm_eps;\n"
     << "  __device__ __forceinline__ float operator()(int64_t row, int64_t k, float r) const {\n"
     << "    (void)r;\n" << body << "    return " << (*yielded)[0] << ";\n  }\n};\n\n";
  name = internKernel(k, "_src");
  SmallVector<std::string> init2(params.args.begin(), params.args.end());
  init2.push_back(normIn);
  init2.push_back(normEps);
  return name + "{" + llvm::join(init2, ", ") + "}";
}

LogicalResult Emitter::emitRMSNorm(RMSNormOp op) {
  auto type = op.getInput().getType();
  int64_t K = type.getShape().back(), rows = type.getNumElements() / std::max<int64_t>(K, 1);
  FailureOr<Buffer> x = bufferOf(op, op.getInput());
  if (failed(x))
    return failure();
  std::string w = "nullptr";
  if (op.getWeight()) {
    FailureOr<Buffer> wb = bufferOf(op, op.getWeight());
    if (failed(wb))
      return failure();
    w = wb->ptr("float", true);
  }
  Buffer y = allocateFor(op.getResult());
  line("tern_rmsnorm_kernel<<<" + std::to_string(rows) + ", TERN_ROW_THREADS, 0, stream>>>(" +
       x->ptr("float", true) + ", " + w + ", " + y.ptr("float", false) + ", " + std::to_string(K) +
       ", " + floatLiteral(op.getEps().convertToFloat(), true) + "); // rmsnorm");
  countLaunch();
  return success();
}

FailureOr<Buffer> Emitter::interleavedInput(Operation *user, Value xq) {
  auto it = interleaved.find(xq);
  if (it != interleaved.end())
    return it->second;
  FailureOr<Buffer> nat = bufferOf(user, xq);
  if (failed(nat))
    return failure();
  auto type = cast<RankedTensorType>(xq.getType());
  int64_t K = type.getShape().back(), rows = type.getNumElements() / std::max<int64_t>(K, 1);
  int64_t kp = 32 * rowBlocks(K);
  Buffer il = allocate(rows * kp);
  std::string sumPtr = "nullptr";
  if (dp4a()) {
    Buffer sums = allocate(rows * 4);
    rowSums[xq] = sums;
    sumPtr = sums.ptr("int32_t", false);
    line("TERN_CHECK(cudaMemsetAsync(" + sums.base() + ", 0, " + std::to_string(rows * 4) +
         ", stream));");
  }
  line("tern_interleave_kernel<<<tern_grid_for(" + std::to_string(rows * kp) +
       ", 256), 256, 0, stream>>>(" + nat->ptr("int8_t", true) + ", " + il.ptr("int8_t", false) +
       ", " + std::to_string(rows) + ", " + std::to_string(K) + ", " + std::to_string(kp) + ", " +
       sumPtr + ");");
  countLaunch();
  interleaved[xq] = il;
  return il;
}

// ----------------------------------------------------------------------------
// Region bodies as C
// ----------------------------------------------------------------------------

std::string Emitter::affineExpr(AffineExpr e, ArrayRef<std::string> dims) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return dims[d.getPosition()];
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return "(int64_t)" + std::to_string(c.getValue());
  auto bin = cast<AffineBinaryOpExpr>(e);
  std::string l = affineExpr(bin.getLHS(), dims), r = affineExpr(bin.getRHS(), dims);
  switch (e.getKind()) {
  case AffineExprKind::Add: return "(" + l + " + " + r + ")";
  case AffineExprKind::Mul: return "(" + l + " * " + r + ")";
  case AffineExprKind::Mod: return "tern_mod(" + l + ", " + r + ")";
  case AffineExprKind::FloorDiv: return "tern_floordiv(" + l + ", " + r + ")";
  case AffineExprKind::CeilDiv: return "tern_ceildiv(" + l + ", " + r + ")";
  default: return "0";
  }
}

std::string Emitter::offsetExpr(AffineMap map, ArrayRef<int64_t> shape, ArrayRef<std::string> dims) {
  SmallVector<int64_t> strides = denseStrides(shape);
  std::string s = "(int64_t)0";
  for (unsigned i = 0; i < map.getNumResults(); ++i) {
    AffineExpr e = map.getResult(i);
    if (auto c = dyn_cast<AffineConstantExpr>(e); c && c.getValue() == 0)
      continue;
    if (shape[i] == 1)
      continue;
    s += " + " + affineExpr(e, dims) + " * " + std::to_string(strides[i]);
  }
  return s;
}

FailureOr<std::string> Emitter::captureScalar(Operation *user, Value v, KernelParams &params) {
  auto it = params.captured.find(v);
  if (it != params.captured.end())
    return it->second;
  FailureOr<std::string> s = scalarOf(user, v);
  if (failed(s))
    return failure();
  // Integer literals go in as they are; float constants (weight scales, eps)
  // and host variables become kernel parameters, so that layers of the same
  // shape share one kernel.
  if (auto c = v.getDefiningOp<arith::ConstantOp>();
      c && !isa<ShapedType>(c.getType()) && !isa<FloatType>(c.getType()))
    return params.captured[v] = *s;
  std::string name = params.add(cType(v.getType()), *s);
  return params.captured[v] = name;
}

FailureOr<std::string> Emitter::captureTensor(Operation *user, Value v, KernelParams &params) {
  auto it = params.captured.find(v);
  if (it != params.captured.end())
    return it->second;
  FailureOr<Buffer> b = bufferOf(user, v);
  if (failed(b))
    return failure();
  Type elem = cast<RankedTensorType>(v.getType()).getElementType();
  std::string name = params.add("const " + cType(elem) + " *__restrict__", b->ptr(cType(elem), true));
  return params.captured[v] = name;
}

static std::string mathFn(StringRef base, Type t) {
  return t.isF32() ? (base + "f").str() : base.str();
}

FailureOr<SmallVector<std::string>> Emitter::emitRegionBody(
    Block &body, function_ref<std::string(BlockArgument)> argExpr, ArrayRef<std::string> dimExpr,
    KernelParams &params, llvm::raw_ostream &os, StringRef ind) {
  DenseMap<Value, std::string> names;
  unsigned local = 0;
  auto get = [&](Operation *user, Value v) -> FailureOr<std::string> {
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == &body)
      return names[v] = argExpr(arg);
    if (isa<ShapedType>(v.getType()))
      return user->emitError("CUDA backend: a tensor used in a kernel body must be read with tensor.extract"),
             failure();
    return captureScalar(user, v, params);
  };
  for (Operation &op : body) {
    if (auto yield = dyn_cast<linalg::YieldOp>(op)) {
      SmallVector<std::string> out;
      for (Value v : yield.getValues()) {
        FailureOr<std::string> e = get(&op, v);
        if (failed(e))
          return failure();
        out.push_back(*e);
      }
      return out;
    }
    if (op.getNumResults() != 1)
      return op.emitError("CUDA backend: unsupported op in a kernel body"), failure();
    Type rt = op.getResult(0).getType();
    std::string ct = cType(rt);
    if (ct.empty())
      return op.emitError("CUDA backend: unsupported type in a kernel body: ") << rt, failure();
    SmallVector<std::string> a;
    for (Value v : op.getOperands()) {
      if (isa<tensor::ExtractOp>(op) && v == op.getOperand(0)) {
        a.push_back("");
        continue;
      }
      FailureOr<std::string> e = get(&op, v);
      if (failed(e))
        return failure();
      a.push_back(*e);
    }
    Type at = op.getNumOperands() ? op.getOperand(0).getType() : rt;
    std::string uct = unsignedCType(at);
    std::string e;
    auto bin = [&](StringRef o) { return "(" + a[0] + " " + o.str() + " " + a[1] + ")"; };
    auto call1 = [&](StringRef f) { return mathFn(f, rt) + "(" + a[0] + ")"; };
    auto ucast = [&](int i) { return "((" + uct + ")" + a[i] + ")"; };
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::ConstantOp c) {
          if (auto f = dyn_cast<FloatAttr>(c.getValue()))
            e = floatLiteral(f.getValueAsDouble(), f.getType().isF32());
          else if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
            e = rt.isInteger(1) ? (i.getValue().getBoolValue() ? "true" : "false")
                                : "((" + ct + ")" + std::to_string(i.getValue().getSExtValue()) + "LL)";
        })
        .Case([&](arith::AddFOp) { e = bin("+"); })
        .Case([&](arith::SubFOp) { e = bin("-"); })
        .Case([&](arith::MulFOp) { e = bin("*"); })
        .Case([&](arith::DivFOp) { e = bin("/"); })
        .Case([&](arith::RemFOp) { e = mathFn("fmod", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::NegFOp) { e = "(-" + a[0] + ")"; })
        .Case([&](arith::MaximumFOp) { e = "tern_maximum(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MinimumFOp) { e = "tern_minimum(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MaxNumFOp) { e = mathFn("fmax", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MinNumFOp) { e = mathFn("fmin", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::AddIOp) { e = bin("+"); })
        .Case([&](arith::SubIOp) { e = bin("-"); })
        .Case([&](arith::MulIOp) { e = bin("*"); })
        .Case([&](arith::DivSIOp) { e = bin("/"); })
        .Case([&](arith::RemSIOp) { e = bin("%"); })
        .Case([&](arith::DivUIOp) { e = "(" + ucast(0) + " / " + ucast(1) + ")"; })
        .Case([&](arith::RemUIOp) { e = "(" + ucast(0) + " % " + ucast(1) + ")"; })
        .Case([&](arith::FloorDivSIOp) { e = "tern_floordiv(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::CeilDivSIOp) { e = "tern_ceildiv(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::AndIOp) { e = bin("&"); })
        .Case([&](arith::OrIOp) { e = bin("|"); })
        .Case([&](arith::XOrIOp) { e = bin("^"); })
        .Case([&](arith::ShLIOp) { e = bin("<<"); })
        .Case([&](arith::ShRSIOp) { e = bin(">>"); })
        .Case([&](arith::ShRUIOp) { e = "(" + ucast(0) + " >> " + a[1] + ")"; })
        .Case([&](arith::MaxSIOp) { e = "max(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MinSIOp) { e = "min(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MaxUIOp) { e = "max(" + ucast(0) + ", " + ucast(1) + ")"; })
        .Case([&](arith::MinUIOp) { e = "min(" + ucast(0) + ", " + ucast(1) + ")"; })
        .Case([&](arith::SelectOp) { e = "(" + a[0] + " ? " + a[1] + " : " + a[2] + ")"; })
        .Case([&](arith::SIToFPOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::UIToFPOp) { e = "((" + ct + ")" + ucast(0) + ")"; })
        .Case([&](arith::FPToSIOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::FPToUIOp) { e = "((" + ct + ")(" + unsignedCType(rt) + ")" + a[0] + ")"; })
        .Case([&](arith::ExtFOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::TruncFOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::ExtUIOp) { e = "((" + ct + ")" + ucast(0) + ")"; })
        .Case([&](arith::ExtSIOp) {
          e = at.isInteger(1) ? "(" + a[0] + " ? (" + ct + ")-1 : (" + ct + ")0)"
                              : "((" + ct + ")" + a[0] + ")";
        })
        .Case([&](arith::TruncIOp) { e = rt.isInteger(1) ? "((" + a[0] + " & 1) != 0)" : "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::IndexCastOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::BitcastOp) {
          e = rt.isF32() ? "__int_as_float(" + a[0] + ")" : rt.isInteger(32) ? "__float_as_int(" + a[0] + ")" : "";
        })
        .Case([&](arith::CmpFOp c) {
          std::string x = a[0], y = a[1];
          switch (c.getPredicate()) {
          case arith::CmpFPredicate::AlwaysFalse: e = "false"; break;
          case arith::CmpFPredicate::OEQ: e = "(" + x + " == " + y + ")"; break;
          case arith::CmpFPredicate::OGT: e = "(" + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::OGE: e = "(" + x + " >= " + y + ")"; break;
          case arith::CmpFPredicate::OLT: e = "(" + x + " < " + y + ")"; break;
          case arith::CmpFPredicate::OLE: e = "(" + x + " <= " + y + ")"; break;
          case arith::CmpFPredicate::ONE: e = "(" + x + " < " + y + " || " + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::ORD: e = "(!isnan(" + x + ") && !isnan(" + y + "))"; break;
          case arith::CmpFPredicate::UEQ: e = "!(" + x + " < " + y + " || " + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::UGT: e = "!(" + x + " <= " + y + ")"; break;
          case arith::CmpFPredicate::UGE: e = "!(" + x + " < " + y + ")"; break;
          case arith::CmpFPredicate::ULT: e = "!(" + x + " >= " + y + ")"; break;
          case arith::CmpFPredicate::ULE: e = "!(" + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::UNE: e = "(" + x + " != " + y + ")"; break;
          case arith::CmpFPredicate::UNO: e = "(isnan(" + x + ") || isnan(" + y + "))"; break;
          case arith::CmpFPredicate::AlwaysTrue: e = "true"; break;
          }
        })
        .Case([&](arith::CmpIOp c) {
          std::string x = a[0], y = a[1], ux = ucast(0), uy = ucast(1);
          switch (c.getPredicate()) {
          case arith::CmpIPredicate::eq: e = "(" + x + " == " + y + ")"; break;
          case arith::CmpIPredicate::ne: e = "(" + x + " != " + y + ")"; break;
          case arith::CmpIPredicate::slt: e = "(" + x + " < " + y + ")"; break;
          case arith::CmpIPredicate::sle: e = "(" + x + " <= " + y + ")"; break;
          case arith::CmpIPredicate::sgt: e = "(" + x + " > " + y + ")"; break;
          case arith::CmpIPredicate::sge: e = "(" + x + " >= " + y + ")"; break;
          case arith::CmpIPredicate::ult: e = "(" + ux + " < " + uy + ")"; break;
          case arith::CmpIPredicate::ule: e = "(" + ux + " <= " + uy + ")"; break;
          case arith::CmpIPredicate::ugt: e = "(" + ux + " > " + uy + ")"; break;
          case arith::CmpIPredicate::uge: e = "(" + ux + " >= " + uy + ")"; break;
          }
        })
        .Case([&](math::ExpOp) { e = call1("exp"); })
        .Case([&](math::Exp2Op) { e = call1("exp2"); })
        .Case([&](math::ExpM1Op) { e = call1("expm1"); })
        .Case([&](math::LogOp) { e = call1("log"); })
        .Case([&](math::Log2Op) { e = call1("log2"); })
        .Case([&](math::Log10Op) { e = call1("log10"); })
        .Case([&](math::Log1pOp) { e = call1("log1p"); })
        .Case([&](math::TanhOp) { e = call1("tanh"); })
        .Case([&](math::SinhOp) { e = call1("sinh"); })
        .Case([&](math::CoshOp) { e = call1("cosh"); })
        .Case([&](math::SinOp) { e = call1("sin"); })
        .Case([&](math::CosOp) { e = call1("cos"); })
        .Case([&](math::TanOp) { e = call1("tan"); })
        .Case([&](math::AtanOp) { e = call1("atan"); })
        .Case([&](math::AsinOp) { e = call1("asin"); })
        .Case([&](math::AcosOp) { e = call1("acos"); })
        .Case([&](math::ErfOp) { e = call1("erf"); })
        .Case([&](math::SqrtOp) { e = call1("sqrt"); })
        .Case([&](math::RsqrtOp) { e = "(" + std::string(rt.isF32() ? "1.0f" : "1.0") + " / " + call1("sqrt") + ")"; })
        .Case([&](math::AbsFOp) { e = call1("fabs"); })
        .Case([&](math::AbsIOp) { e = "(" + a[0] + " < 0 ? -" + a[0] + " : " + a[0] + ")"; })
        .Case([&](math::FloorOp) { e = call1("floor"); })
        .Case([&](math::CeilOp) { e = call1("ceil"); })
        .Case([&](math::RoundOp) { e = call1("round"); })
        .Case([&](math::RoundEvenOp) { e = call1("rint"); })
        .Case([&](math::TruncOp) { e = call1("trunc"); })
        .Case([&](math::PowFOp) { e = mathFn("pow", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](math::Atan2Op) { e = mathFn("atan2", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](math::FmaOp) { e = mathFn("fma", rt) + "(" + a[0] + ", " + a[1] + ", " + a[2] + ")"; })
        .Case([&](linalg::IndexOp i) {
          e = i.getDim() < dimExpr.size() ? "((int64_t)" + dimExpr[i.getDim()] + ")" : "";
        })
        .Case([&](tensor::ExtractOp x) {
          FailureOr<std::string> p = captureTensor(&op, x.getTensor(), params);
          if (failed(p))
            return;
          auto tt = x.getTensor().getType();
          SmallVector<int64_t> strides = denseStrides(tt.getShape());
          std::string off = "(int64_t)0";
          for (auto [d, stride] : llvm::enumerate(strides))
            off += " + (int64_t)" + a[d + 1] + " * " + std::to_string(stride);
          e = *p + "[" + off + "]";
        })
        .Default([&](Operation *) {});
    if (e.empty())
      return op.emitError("CUDA backend: unsupported op in a kernel body: ") << op.getName(), failure();
    std::string name = "v" + std::to_string(local++);
    os << ind << "const " << ct << " " << name << " = " << e << ";\n";
    names[op.getResult(0)] = name;
  }
  return body.getParentOp()->emitError("CUDA backend: kernel body without a yield"), failure();
}

// ----------------------------------------------------------------------------
// GEMV/GEMM groups: tmatmuls + their element-wise epilogue
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitGemmSegment(Operation *genericOp, ArrayRef<TMatmulOp> mms,
                                       KernelParams &params, std::string &code, int64_t &N,
                                       int64_t &M) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(genericOp);
  TMatmulOp firstMM = mms.front();
  SmallVector<int64_t> shape(firstMM.getResult().getType().getShape());
  N = shape.back();
  M = product(shape) / std::max<int64_t>(N, 1);
  struct MMInfo { std::string x, w, nc; int64_t kb; };
  SmallVector<MMInfo> infos;
  for (TMatmulOp mm : mms) {
    auto wit = weights.find(mm.getWeight());
    if (wit == weights.end())
      return mm.emitError("CUDA backend: tmatmul weights must be constant (tern.constant)");
    const PackedWeight &w = wit->second;
    FailureOr<Buffer> x = interleavedInput(mm, mm.getInput());
    if (failed(x))
      return failure();
    Buffer wb;
    wb.kind = Buffer::Weights;
    wb.offset = w.offset;
    Buffer nb = wb;
    nb.offset = w.offset + w.rows * w.kb * 8;
    MMInfo info;
    info.x = params.add("const int8_t *__restrict__", x->ptr("int8_t", true));
    info.w = params.add("const uint4 *__restrict__", wb.ptr("uint4", true));
    if (dp4a())
      info.nc = params.add("const int32_t *__restrict__",
                           rowSums.lookup(mm.getInput()).ptr("int32_t", true));
    else
      info.nc = params.add("const int32_t *__restrict__", nb.ptr("int32_t", true));
    info.kb = w.kb;
    infos.push_back(info);
  }
  // Loop dimensions of the epilogue from (m, n).
  SmallVector<std::string> dims;
  std::string body;
  llvm::raw_string_ostream os(body);
  const char *ind = "        ";
  {
    SmallVector<int64_t> lead(shape.begin(), shape.end() - 1);
    SmallVector<int64_t> leadStrides = denseStrides(lead);
    for (auto [d, size] : llvm::enumerate(lead)) {
      std::string v = "d" + std::to_string(d);
      os << ind << "const int64_t " << v << " = (m / " << leadStrides[d] << ") % " << size
         << "; (void)" << v << ";\n";
      dims.push_back(v);
    }
    dims.push_back("n");
  }
  SmallVector<std::string> outStores;
  if (generic) {
    // Operands: tmatmul results are the accumulators; others are loaded.
    DenseMap<unsigned, std::string> argValues;
    for (OpOperand *in : generic.getDpsInputOperands()) {
      unsigned idx = in->getOperandNumber();
      auto it = llvm::find_if(mms, [&](TMatmulOp mm) { return mm->getResult(0) == in->get(); });
      if (it != mms.end()) {
        argValues[idx] = "acc" + std::to_string(it - mms.begin());
        continue;
      }
      Value v = in->get();
      auto tt = dyn_cast<RankedTensorType>(v.getType());
      if (!tt) {
        FailureOr<std::string> s = captureScalar(generic, v, params);
        if (failed(s))
          return failure();
        argValues[idx] = *s;
        continue;
      }
      FailureOr<std::string> p = captureTensor(generic, v, params);
      if (failed(p))
        return failure();
      argValues[idx] = *p + "[" + offsetExpr(generic.getMatchingIndexingMap(in), tt.getShape(), dims) + "]";
    }
    for (OpOperand &init : generic.getDpsInitsMutable()) {
      BlockArgument arg = generic.getMatchingBlockArgument(&init);
      if (arg.use_empty())
        continue;
      FailureOr<std::string> p = captureTensor(generic, init.get(), params);
      if (failed(p))
        return failure();
      auto tt = cast<RankedTensorType>(init.get().getType());
      argValues[init.getOperandNumber()] =
          *p + "[" + offsetExpr(generic.getMatchingIndexingMap(&init), tt.getShape(), dims) + "]";
    }
    FailureOr<SmallVector<std::string>> yielded = emitRegionBody(
        *generic.getBody(),
        [&](BlockArgument a) { return argValues.lookup(a.getArgNumber()); }, dims, params, os, ind);
    if (failed(yielded))
      return failure();
    for (auto [i, res] : llvm::enumerate(generic.getResults())) {
      auto tt = cast<RankedTensorType>(res.getType());
      Buffer out = allocateFor(res);
      std::string p = params.add(cType(tt.getElementType()) + " *__restrict__",
                                 out.ptr(cType(tt.getElementType()), false));
      AffineMap map = generic.getMatchingIndexingMap(generic.getDpsInitOperand(i));
      outStores.push_back(p + "[" + offsetExpr(map, tt.getShape(), dims) + "] = " + (*yielded)[i] + ";");
    }
  } else {
    Buffer out = allocateFor(firstMM.getResult());
    std::string p = params.add("int32_t *__restrict__", out.ptr("int32_t", false));
    outStores.push_back(p + "[m * " + std::to_string(N) + " + n] = acc0;");
  }
  for (const std::string &s : outStores)
    os << ind << s << "\n";

  // The warp computes rows n0 .. n0+R-1 (`rows` of them valid) for tokens
  // m0 .. m0+MT-1; after the warp reduction lane r*MT + t holds (n0+r, m0+t)
  // and runs the epilogue for it.
  llvm::raw_string_ostream ks(code);
  ks << "    // " << mms.size() << " tmatmul(s) [" << M << " x " << N << "]"
     << (generic ? " + element-wise epilogue" : ", int32 result") << "\n"
     << "    const int64_t n0 = task * R;\n"
     << "    const int rows = (int)min((int64_t)R, (int64_t)" << N << " - n0);\n";
  for (const MMInfo &info : ArrayRef<MMInfo>(infos).drop_front())
    ks << "    tern_rows_prefetch<R, " << info.kb << ">(" << info.w << " + n0 * " << info.kb / 2
       << ", rows, lane);\n";
  for (auto [i, info] : llvm::enumerate(infos)) {
    int64_t kp = 32 * info.kb;
    // The accumulator starts at the correction of the MAC: the row's count of
    // -1 weights (select) or -sum(x) of the token (dp4a).
    std::string start = dp4a() ? info.nc + "[m0 + t]" : info.nc + "[n0 + r]";
    ks << "    int a" << i << "[R][MT];\n"
       << "#pragma unroll\n    for (int r = 0; r < R; ++r)\n"
       << "#pragma unroll\n      for (int t = 0; t < MT; ++t) a" << i
       << "[r][t] = lane == 0 && t < mcount && r < rows ? " << start << " : 0;\n"
       << "    tern_rows_dot<MT, R, " << info.kb << ", "
       << (dp4a() ? "TERN_MAC_DP4A" : "TERN_MAC_SELECT") << ">(" << info.w << " + n0 * "
       << info.kb / 2 << ", rows, " << info.x << " + m0 * " << kp << ", " << kp
       << ", mcount, lane, a" << i << ");\n"
       << "    tern_warp_sum<R, MT>(a" << i << ");\n";
  }
  ks << "#pragma unroll\n    for (int r = 0; r < R; ++r)\n"
     << "#pragma unroll\n    for (int t = 0; t < MT; ++t) {\n"
     << "      if (lane == r * MT + t && t < mcount && r < rows) {\n"
     << "        const int64_t n = n0 + r, m = m0 + t;\n";
  for (size_t i = 0; i < infos.size(); ++i)
    ks << "        const int32_t acc" << i << " = a" << i << "[r][t];\n";
  ks << body << "      }\n    }\n";
  return success();
}

LogicalResult Emitter::emitGemmGroup(Operation *head) {
  SmallVector<Operation *> segments = {head};
  auto merged = mergedGemms.find(head);
  if (merged != mergedGemms.end())
    segments.append(merged->second.begin(), merged->second.end());
  std::string name = "@K@";
  KernelParams params;
  SmallVector<std::string> codes;
  SmallVector<int64_t> ns;
  int64_t M = 0, totalN = 0;
  unsigned numMM = 0;
  for (Operation *g : segments) {
    SmallVector<TMatmulOp> mms;
    if (auto mm = dyn_cast<TMatmulOp>(g))
      mms.push_back(mm);
    else
      mms = gemmGroups.lookup(g);
    std::string code;
    int64_t n = 0, m = 0;
    if (failed(emitGemmSegment(isa<TMatmulOp>(g) ? nullptr : g, mms, params, code, n, m)))
      return failure();
    codes.push_back(code);
    ns.push_back(n);
    M = m;
    totalN += n;
    numMM += mms.size();
  }
  // MT token rows per warp, R weight rows per warp sharing each activation
  // load (R * MT accumulators per MAC, at most 8 per lane).
  int mt = M <= 1 ? 1 : M <= 2 ? 2 : M <= 4 ? 4 : 8;
  int rpw = mt == 1 ? 4 : mt == 2 ? 2 : 1;
  int64_t tasks = 0;
  for (int64_t n : ns)
    tasks += (n + rpw - 1) / rpw;
  // A quantization group planned into this launch: its last block quantizes
  // the rows the launch produced (blocks of 8 warps, so that block is wide).
  std::string quantTail, warps = "tern_gemv_warps(" + std::to_string(tasks) + ")";
  auto launchAttr = head->getAttrOfType<IntegerAttr>(cuda::kLaunch);
  auto fused = launchAttr ? quantInLaunch.find(launchAttr.getInt()) : quantInLaunch.end();
  bool scoped = false;
  if (fused != quantInLaunch.end() && !quantEmitted.contains(fused->second)) {
    ActQuantOp first = cast<ActQuantOp>(fused->second);
    line("{");
    ++indent;
    scoped = true;
    FailureOr<QuantSetup> q = emitQuantSetup(quantPlans[first], first, "qg");
    if (failed(q))
      return failure();
    quantEmitted.insert(first);
    Buffer counter = allocate(4);
    std::string src = params.add(q->srcType, q->src);
    std::string grp = params.add("TernQuantGroup", "qg");
    std::string cnt = params.add("unsigned *", counter.ptr("unsigned", false));
    warps = "TERN_WARPS_PER_BLOCK";
    // At most 16 row elements per thread in registers on top of the GEMV's
    // (32 made the 1.3B gate/up kernel spill); longer rows are re-read from L2.
    int ept = quantEPT(q->K, 32 * 8);
    ept = ept > 16 ? 0 : ept;
    quantTail = "  // the quantization of the rows this launch wrote, by the block that finishes last\n"
                "  if (tern_last_block(" + cnt + ")) {\n"
                "    __shared__ float tern_scratch[32];\n"
                "    for (int64_t row = 0; row < " + std::to_string(q->rows) + "; ++row)\n"
                "      tern_quant_row<" + std::to_string(ept) + ">(" + src +
                ", row, " + std::to_string(q->K) + ", " + std::to_string(q->kp) + ", " + grp +
                ", tern_scratch);\n  }\n";
  }
  std::string k;
  llvm::raw_string_ostream ks(k);
  ks << "// " << name << ": " << numMM << " ternary GEMV/GEMM(s) in " << segments.size()
     << " group(s), " << M << " row(s), " << totalN << " output column(s)\n";
  // A minimum of 2 blocks per SM lets ptxas keep every weight load of a
  // chunk in flight (without it, it delays loads to save registers).
  ks << "__global__ void __launch_bounds__(TERN_WARPS_PER_BLOCK * 32, 2)\n"
     << name << "(" << llvm::join(params.decls, ", ") << ") {\n"
     << "  constexpr int MT = " << mt << ", R = " << rpw << ";\n"
     << "  const int lane = threadIdx.x & 31;\n"
     << "  const int64_t m0 = (int64_t)blockIdx.y * MT;\n"
     << (M % mt == 0 ? std::string("  const int mcount = MT; // whole tiles\n")
                     : "  const int mcount = (int)min((int64_t)MT, (int64_t)" +
                           std::to_string(M) + " - m0);\n")
     << "  const int64_t warps = (int64_t)blockDim.x >> 5;\n"
     << "  for (int64_t first = (int64_t)blockIdx.x * warps + (threadIdx.x >> 5); first < "
     << tasks << "; first += (int64_t)gridDim.x * warps) {\n"
     << "  int64_t task = first;\n";
  for (auto [i, code] : llvm::enumerate(codes)) {
    int64_t segTasks = (ns[i] + rpw - 1) / rpw;
    if (i)
      ks << "  task -= " << (ns[i - 1] + rpw - 1) / rpw << ";\n";
    ks << "  if (task < " << segTasks << ") {\n" << code << "    continue;\n  }\n";
  }
  ks << "  }\n" << quantTail << "}\n\n";
  name = internKernel(k);
  std::string t = std::to_string(tasks);
  line(name + "<<<dim3(tern_gemv_blocks(" + t + ", " + warps + "), " +
       std::to_string((M + mt - 1) / mt) + "), " + warps + " * 32, 0, stream>>>(" +
       llvm::join(params.args, ", ") + "); // " + std::to_string(numMM) + " tmatmul(s) in " +
       std::to_string(segments.size()) + " group(s)" + (quantTail.empty() ? "" : " + quantization"));
  countLaunch();
  if (scoped) {
    --indent;
    line("}");
  }
  return success();
}

// ----------------------------------------------------------------------------
// Generic kernels (element-wise, broadcasts, reductions)
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitGeneric(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return op.emitError("CUDA backend: needs static shapes");
  for (Value v : op.getOperands())
    if (auto t = dyn_cast<ShapedType>(v.getType()); t && !isa<RankedTensorType>(t))
      return op.emitError("CUDA backend: linalg on buffers is not supported");
  auto iters = op.getIteratorTypesArray();
  SmallVector<unsigned> par, red;
  for (auto [i, it] : llvm::enumerate(iters))
    (it == utils::IteratorType::parallel ? par : red).push_back(i);
  std::string name = "@K@";
  KernelParams params;
  SmallVector<std::string> dims(ranges.size());
  for (unsigned i = 0; i < ranges.size(); ++i)
    dims[i] = "d" + std::to_string(i);
  std::string body;
  llvm::raw_string_ostream os(body);
  int64_t total = 1;
  for (unsigned d : par)
    total *= ranges[d];
  // Index decomposition of the parallel point.
  os << "    int64_t rem = p;\n";
  for (auto it = par.rbegin(); it != par.rend(); ++it)
    os << "    const int64_t d" << *it << " = rem % " << ranges[*it] << "; rem /= " << ranges[*it]
       << "; (void)d" << *it << ";\n";
  os << "    (void)rem;\n";
  DenseMap<unsigned, std::string> argValues;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Value v = in->get();
    auto tt = dyn_cast<RankedTensorType>(v.getType());
    if (!tt) {
      FailureOr<std::string> s = captureScalar(op, v, params);
      if (failed(s))
        return failure();
      argValues[in->getOperandNumber()] = *s;
      continue;
    }
    FailureOr<std::string> p = captureTensor(op, v, params);
    if (failed(p))
      return failure();
    argValues[in->getOperandNumber()] =
        *p + "[" + offsetExpr(op.getMatchingIndexingMap(in), tt.getShape(), dims) + "]";
  }
  // Outputs: an accumulator per init, loaded when the body reads it.
  SmallVector<std::string> outPtrs, outOffsets, accs;
  for (auto [i, res] : llvm::enumerate(op.getResults())) {
    OpOperand *init = op.getDpsInitOperand(i);
    auto tt = cast<RankedTensorType>(res.getType());
    std::string ct = cType(tt.getElementType());
    if (ct.empty())
      return op.emitError("CUDA backend: unsupported element type ") << tt.getElementType();
    Buffer out = allocateFor(res);
    outPtrs.push_back(params.add(ct + " *__restrict__", out.ptr(ct, false)));
    outOffsets.push_back(offsetExpr(op.getMatchingIndexingMap(init), tt.getShape(), dims));
    std::string acc = "acc" + std::to_string(i);
    accs.push_back(acc);
    BlockArgument arg = op.getMatchingBlockArgument(init);
    if (!arg.use_empty()) {
      FailureOr<std::string> p = captureTensor(op, init->get(), params);
      if (failed(p))
        return failure();
      os << "    " << ct << " " << acc << " = " << *p << "[" << outOffsets.back() << "];\n";
    } else {
      os << "    " << ct << " " << acc << " = " << ct << "();\n";
    }
    argValues[init->getOperandNumber()] = acc;
  }
  std::string ind = "    ";
  for (unsigned d : red) {
    os << ind << "for (int64_t d" << d << " = 0; d" << d << " < " << ranges[d] << "; ++d" << d
       << ") {\n";
    ind += "  ";
  }
  FailureOr<SmallVector<std::string>> yielded = emitRegionBody(
      *op.getBody(), [&](BlockArgument a) { return argValues.lookup(a.getArgNumber()); }, dims,
      params, os, ind);
  if (failed(yielded))
    return failure();
  for (auto [i, y] : llvm::enumerate(*yielded))
    os << ind << accs[i] << " = " << y << ";\n";
  for (size_t i = 0; i < red.size(); ++i) {
    ind.resize(ind.size() - 2);
    os << ind << "}\n";
  }
  for (size_t i = 0; i < accs.size(); ++i)
    os << "    " << outPtrs[i] << "[" << outOffsets[i] << "] = " << accs[i] << ";\n";

  std::string k;
  llvm::raw_string_ostream ks(k);
  ks << "// " << name << ": linalg.generic, " << total << " point(s)"
     << (red.empty() ? "" : ", reduction loop(s) per thread") << "\n"
     << "__global__ void " << name << "(" << llvm::join(params.decls, ", ") << ") {\n"
     << "  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < " << total
     << "; p += (int64_t)gridDim.x * blockDim.x) {\n"
     << body << "  }\n}\n\n";
  name = internKernel(k);
  line(name + "<<<tern_grid_for(" + std::to_string(total) + ", 256), 256, 0, stream>>>(" +
       llvm::join(params.args, ", ") + "); // linalg.generic");
  countLaunch();
  return success();
}

} // namespace mlir::tern::cuda_detail

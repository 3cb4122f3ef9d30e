//===- ModelBuilder.cpp - synthetic benchmark models as tern IR -----------===//
#include "ModelBuilder.h"

#include "Tern/TernOps.h"
#include "tern/Utils/IndexChecks.h"
#include "tern/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <vector>

using namespace mlir;

namespace tern::bench {

bool lookupConfig(const std::string &name, ModelConfig &config) {
  if (name == "370m")
    config = {"370m", 1024, 24, 2816, 32000};
  else if (name == "1.3b")
    config = {"1.3b", 2048, 24, 5632, 32000};
  else if (name == "2.7b")
    config = {"2.7b", 2560, 32, 6912, 32000};
  else if (name == "tiny")
    config = {"tiny", 256, 2, 768, 1024};
  else
    return false;
  return true;
}

namespace {

/// xorshift64*: fast and good enough for benchmark weights.
struct Random {
  uint64_t state;
  uint64_t next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
  }
};

struct Builder {
  MLIRContext *ctx;
  OpBuilder b;
  Location loc;
  Random rng;

  RankedTensorType f32(ArrayRef<int64_t> shape) { return RankedTensorType::get(shape, b.getF32Type()); }

  /// Random ternary weights [rows, cols], as a packed tern.constant.
  Value ternary(int64_t rows, int64_t cols) {
    std::vector<int8_t> trits(rows * cols);
    for (size_t i = 0; i < trits.size(); i += 16) {
      uint64_t r = rng.next();
      for (size_t k = 0; k < 16 && i + k < trits.size(); ++k, r >>= 4)
        trits[i + k] = static_cast<int8_t>((r & 15) % 3) - 1; // 6/5/5 of 16: close to uniform
    }
    auto attr = mlir::tern::TernaryAttr::get(ctx, rows, cols, 0.05f, trits);
    return mlir::tern::ConstantOp::create(b, loc, attr);
  }

  Value splat(ArrayRef<int64_t> shape, float v) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(f32(shape), v));
  }

  /// A dense f32 constant of random values in a resource blob (embeddings).
  Value randomTable(int64_t rows, int64_t cols) {
    std::vector<float> values(rows * cols);
    for (float &v : values)
      v = static_cast<float>(static_cast<int64_t>(rng.next() >> 40) % 2001 - 1000) * 1e-3f;
    auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(values));
    auto attr = DenseResourceElementsAttr::get(f32({rows, cols}), "embeddings", std::move(blob));
    return arith::ConstantOp::create(b, loc, attr);
  }

  Value add(Value x, Value y) {
    auto type = cast<RankedTensorType>(x.getType());
    return mlir::tern::buildElementwise(b, loc, type.getShape(), type.getElementType(), {x, y},
                                  [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                                    return arith::AddFOp::create(nb, l, a[0], a[1]);
                                  });
  }

  Value rmsnorm(Value x, int64_t d) {
    return mlir::tern::RMSNormOp::create(b, loc, x.getType(), x, splat({d}, 1.0f),
                                   b.getF32FloatAttr(1e-6f));
  }
};

} // namespace

OwningOpRef<ModuleOp> buildGemvModule(MLIRContext *ctx, int64_t rows, int64_t cols,
                                      int64_t batch, uint64_t seed) {
  Builder m{ctx, OpBuilder(ctx), UnknownLoc::get(ctx), Random{seed | 1}};
  OwningOpRef<ModuleOp> module = ModuleOp::create(m.loc);
  m.b.setInsertionPointToEnd(module->getBody());
  auto inType = RankedTensorType::get({batch, cols}, m.b.getI8Type());
  auto outType = RankedTensorType::get({batch, rows}, m.b.getI32Type());
  auto fn = func::FuncOp::create(m.b, m.loc, "main", m.b.getFunctionType({inType}, {outType}));
  m.b.setInsertionPointToStart(fn.addEntryBlock());
  Value w = m.ternary(rows, cols);
  Value y = mlir::tern::TMatmulOp::create(m.b, m.loc, outType, fn.getArgument(0), w);
  func::ReturnOp::create(m.b, m.loc, y);
  return module;
}

OwningOpRef<ModuleOp> buildModelModule(MLIRContext *ctx, const ModelConfig &c, int64_t tokens,
                                       uint64_t seed, bool indexCheck) {
  Builder m{ctx, OpBuilder(ctx), UnknownLoc::get(ctx), Random{seed | 1}};
  OpBuilder &b = m.b;
  Location loc = m.loc;
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  bool decode = tokens == 1;
  auto tokType = RankedTensorType::get({tokens}, b.getI64Type());
  auto stateType = m.f32({c.layers, 1, c.d});
  auto logitsType = m.f32({tokens, c.vocab});
  auto fn = func::FuncOp::create(b, loc, "main",
                                 b.getFunctionType({tokType, stateType}, {logitsType, stateType}));
  b.setInsertionPointToStart(fn.addEntryBlock());
  Value toks = fn.getArgument(0), states = fn.getArgument(1);

  // Embedding gather: x[t, :] = table[token[t], :], after the bound check.
  if (indexCheck)
    mlir::tern::buildIndexBoundCheck(b, loc, toks, c.vocab, "embedding gather");
  Value table = m.randomTable(c.vocab, c.d);
  Value xInit = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{tokens, c.d}, b.getF32Type());
  auto gather = linalg::GenericOp::create(
      b, loc, xInit.getType(), ValueRange{}, ValueRange{xInit},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel, utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange) {
        Value t = linalg::IndexOp::create(nb, l, 0), col = linalg::IndexOp::create(nb, l, 1);
        Value tok = tensor::ExtractOp::create(nb, l, toks, ValueRange{t});
        Value row = arith::IndexCastOp::create(nb, l, nb.getIndexType(), tok);
        linalg::YieldOp::create(nb, l, Value(tensor::ExtractOp::create(nb, l, table, ValueRange{row, col})));
      });
  // Layers work on [1, T, d] (sequence) or [1, d] (one step).
  Value x = mlir::tern::buildReshape(b, loc, gather.getResult(0),
                               decode ? SmallVector<int64_t>{1, c.d} : SmallVector<int64_t>{1, tokens, c.d});
  auto rowType = m.f32({1, c.d});
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1)),
      sizes = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(c.d)};
  auto eps = b.getF32FloatAttr(1e-6f);
  auto bits = b.getI32IntegerAttr(8);
  for (int64_t l = 0; l < c.layers; ++l) {
    SmallVector<OpFoldResult> at = {b.getIndexAttr(l), b.getIndexAttr(0), b.getIndexAttr(0)};
    Value h = tensor::ExtractSliceOp::create(b, loc, rowType, states, at, sizes, strides);
    Value n = m.rmsnorm(x, c.d);
    SmallVector<Value> weights = {m.ternary(c.d, c.d), m.ternary(c.d, c.d), m.ternary(c.d, c.d),
                                  m.ternary(c.d, c.d)};
    SmallVector<Value> norms(4, m.splat({c.d}, 1.0f));
    Value lb = l > 0 ? m.splat({c.d}, 0.1f * static_cast<float>(l) / c.layers) : Value();
    Value o, hNew;
    auto variant = mlir::tern::MLGRUVariantAttr::get(ctx, mlir::tern::MLGRUVariant::released);
    if (decode) {
      auto op = mlir::tern::MLGRUStepOp::create(b, loc, TypeRange{n.getType(), rowType}, n, h, weights, norms,
                                          m.splat({c.d}, 1.0f), lb, variant, eps, bits, eps);
      o = op.getOutput();
      hNew = op.getFinalState();
    } else {
      auto op = mlir::tern::MLGRUSequenceOp::create(b, loc, TypeRange{n.getType(), rowType}, n, h, weights,
                                              norms, m.splat({c.d}, 1.0f), lb, variant, eps, bits, eps);
      o = op.getOutput();
      hNew = op.getFinalState();
    }
    states = tensor::InsertSliceOp::create(b, loc, hNew, states, at, sizes, strides);
    x = m.add(x, o);
    Value n2 = m.rmsnorm(x, c.d);
    Value g = mlir::tern::GLUOp::create(b, loc, n2.getType(), n2, m.ternary(2 * c.inter, c.d),
                                  m.splat({c.d}, 1.0f), m.ternary(c.d, c.inter),
                                  m.splat({c.inter}, 1.0f), eps, bits);
    x = m.add(x, g);
  }
  Value xn = m.rmsnorm(x, c.d);
  auto headType = cast<RankedTensorType>(xn.getType()).clone(
      decode ? SmallVector<int64_t>{1, c.vocab} : SmallVector<int64_t>{1, tokens, c.vocab});
  Value logits = mlir::tern::BitLinearOp::create(b, loc, headType, xn, m.ternary(c.vocab, c.d), Value(), eps, bits);
  logits = mlir::tern::buildReshape(b, loc, logits, {tokens, c.vocab});
  func::ReturnOp::create(b, loc, ValueRange{logits, states});
  return module;
}

} // namespace tern::bench

//===- TernaryToVector.cpp - vectorized CPU ternary kernels ---------------===//
//
// Input: a bufferized ternary accumulation over 64-byte groups:
//   x     memref<M x G x 4 x 64 x i8>   (activations, trit k = g*256 + j*64 + b)
//   codes memref<N x G x 64 x i8>       (code of trit k at bits 2j of byte b)
//   out   memref<M x N x i32>           (accumulated into)
// Output: scf.parallel over blocks of R rows; per group one 64-byte load of
// codes per row, decoded four times by shift+mask and combined with the four
// 64-byte activation vectors of the group.
//
//===----------------------------------------------------------------------===//
#include "tern/Conversion/Passes.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNTERNARYTOVECTOR
#include "tern/Conversion/Passes.h.inc"

namespace {

enum class Strategy { Select, VNNI };

constexpr int64_t kLanes = 64;

/// The largest of `choices` that divides `n`.
int64_t blockFor(int64_t n, std::initializer_list<int64_t> choices) {
  for (int64_t c : choices)
    if (n % c == 0)
      return c;
  return 1;
}

struct KernelBuilder {
  OpBuilder &b;
  Location loc;
  Strategy strategy;
  VectorType bytes = VectorType::get({kLanes}, b.getI8Type());

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value splat(VectorType t, int64_t v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(t, APInt(t.getElementTypeBitWidth(), v, /*isSigned=*/true)));
  }
  /// The accumulator of one (token, row) pair.
  VectorType accType() const {
    return strategy == Strategy::VNNI ? VectorType::get({16}, b.getI32Type())
                                      : VectorType::get({kLanes}, b.getI32Type());
  }
  Value dpbusd(Value acc, Value unsignedBytes, Value signedBytes) {
    return LLVM::CallIntrinsicOp::create(b, loc, acc.getType(),
                                         b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
                                         ValueRange{acc, unsignedBytes, signedBytes})
        .getResult(0);
  }
  /// Codes of bit pair j: (w >> 2j) & 3.
  Value decode(Value w, int64_t j) {
    Value shifted = j == 0 ? w : Value(arith::ShRUIOp::create(b, loc, w, splat(bytes, 2 * j)));
    return arith::AndIOp::create(b, loc, shifted, splat(bytes, 3));
  }
  /// acc + select(c == +1 code) x - select(c == -1 code) x, widened to i32.
  Value selectAccumulate(Value acc, Value code, Value x) {
    Value zero = splat(bytes, 0);
    Value plus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, splat(bytes, 2));
    Value minus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, zero);
    Value negX = arith::SubIOp::create(b, loc, zero, x);
    Value v = arith::SelectOp::create(b, loc, plus, x,
                                      arith::SelectOp::create(b, loc, minus, negX, zero));
    Value wide = arith::ExtSIOp::create(b, loc, accType(), v);
    return arith::AddIOp::create(b, loc, acc, wide);
  }
};

LogicalResult lowerKernel(linalg::GenericOp op, Strategy strategy) {
  Value x = op.getDpsInputs()[0], codes = op.getDpsInputs()[1], out = op.getDpsInits()[0];
  auto xType = dyn_cast<MemRefType>(x.getType());
  auto wType = dyn_cast<MemRefType>(codes.getType());
  auto oType = dyn_cast<MemRefType>(out.getType());
  if (!xType || !wType || !oType || xType.getRank() != 4 || wType.getRank() != 3 ||
      oType.getRank() != 2 || !xType.hasStaticShape() || !wType.hasStaticShape() ||
      xType.getDimSize(3) != kLanes || wType.getDimSize(2) != kLanes)
    return op.emitOpError("is not a bufferized 64-byte-group ternary accumulation");
  int64_t m = xType.getDimSize(0), groups = xType.getDimSize(1), n = wType.getDimSize(0);

  OpBuilder b(op);
  Location loc = op.getLoc();
  KernelBuilder k{b, loc, strategy};
  // Register blocking: R rows x T tokens of accumulators.
  int64_t tokens = strategy == Strategy::VNNI ? blockFor(m, {4, 2, 1}) : 1;
  int64_t rows = blockFor(n, {4, 2, 1});
  // VNNI decode keeps one accumulator per bit pair ("plane") and row: the
  // codes of pair j are used in place as (w & 3 << 2j) = 4^j * code, saving the
  // shifts; the planes are scaled back (exactly, by shifts) after the loop.
  int64_t planes = strategy == Strategy::VNNI && tokens == 1 ? 4 : 1;
  Value c0 = k.index(0), c1 = k.index(1);

  // VNNI: sum(x) per token, for the offset correction (dpbusd with all-ones).
  Value xsum;
  if (strategy == Strategy::VNNI) {
    xsum = memref::AllocaOp::create(b, loc, MemRefType::get({m}, b.getI32Type()));
    Value ones = k.splat(k.bytes, 1);
    scf::ForOp::create(b, loc, c0, k.index(m), c1, ValueRange{},
                       [&](OpBuilder &nb, Location l, Value t, ValueRange) {
      auto groupLoop = scf::ForOp::create(
          nb, l, c0, k.index(groups), c1, ValueRange{k.splat(k.accType(), 0)},
          [&](OpBuilder &gb, Location gl, Value g, ValueRange acc) {
            Value sum = acc[0];
            for (int64_t j = 0; j < 4; ++j) {
              Value xv = vector::LoadOp::create(gb, gl, k.bytes, x, ValueRange{t, g, k.index(j), c0});
              sum = k.dpbusd(sum, ones, xv);
            }
            scf::YieldOp::create(gb, gl, sum);
          });
      Value total = vector::ReductionOp::create(nb, l, vector::CombiningKind::ADD, groupLoop.getResult(0));
      memref::StoreOp::create(nb, l, total, xsum, ValueRange{t});
      scf::YieldOp::create(nb, l);
    });
  }

  // One block of `rows` output rows starting at row0.
  auto rowBlock = [&](OpBuilder &pb, Location pl, Value row0) {
        SmallVector<Value> rowIdx;
        for (int64_t r = 0; r < rows; ++r)
          rowIdx.push_back(r == 0 ? row0 : Value(arith::AddIOp::create(pb, pl, row0, k.index(r))));
        scf::ForOp::create(pb, pl, c0, k.index(m), k.index(tokens), ValueRange{},
                           [&](OpBuilder &tb, Location tl, Value t0, ValueRange) {
          SmallVector<Value> tokIdx;
          for (int64_t t = 0; t < tokens; ++t)
            tokIdx.push_back(t == 0 ? t0 : Value(arith::AddIOp::create(tb, tl, t0, k.index(t))));
          SmallVector<Value> init(rows * tokens * planes, k.splat(k.accType(), 0));
          auto groupLoop = scf::ForOp::create(
              tb, tl, c0, k.index(groups), c1, init,
              [&](OpBuilder &gb, Location gl, Value g, ValueRange accIn) {
                SmallVector<Value> acc(accIn.begin(), accIn.end());
                SmallVector<Value> w;
                for (int64_t r = 0; r < rows; ++r)
                  w.push_back(vector::LoadOp::create(gb, gl, k.bytes, codes, ValueRange{rowIdx[r], g, c0}));
                for (int64_t j = 0; j < 4; ++j) {
                  SmallVector<Value> xv;
                  for (int64_t t = 0; t < tokens; ++t)
                    xv.push_back(vector::LoadOp::create(gb, gl, k.bytes, x,
                                                        ValueRange{tokIdx[t], g, k.index(j), c0}));
                  for (int64_t r = 0; r < rows; ++r) {
                    if (planes == 4) {
                      Value plane = arith::AndIOp::create(gb, gl, w[r], k.splat(k.bytes, 3 << (2 * j)));
                      Value &a = acc[r * 4 + j];
                      a = k.dpbusd(a, plane, xv[0]);
                      continue;
                    }
                    Value code = k.decode(w[r], j);
                    for (int64_t t = 0; t < tokens; ++t) {
                      Value &a = acc[t * rows + r];
                      a = strategy == Strategy::VNNI ? k.dpbusd(a, code, xv[t])
                                                     : k.selectAccumulate(a, code, xv[t]);
                    }
                  }
                }
                scf::YieldOp::create(gb, gl, acc);
              });
          for (int64_t t = 0; t < tokens; ++t)
            for (int64_t r = 0; r < rows; ++r) {
              Value dot;
              for (int64_t j = 0; j < planes; ++j) {
                Value part = vector::ReductionOp::create(
                    tb, tl, vector::CombiningKind::ADD, groupLoop.getResult((t * rows + r) * planes + j));
                if (j > 0) // exact: every lane sum of plane j is a multiple of 4^j
                  part = arith::ShRSIOp::create(
                      tb, tl, part, arith::ConstantOp::create(tb, tl, tb.getI32IntegerAttr(2 * j)));
                dot = dot ? Value(arith::AddIOp::create(tb, tl, dot, part)) : part;
              }
              if (xsum)
                dot = arith::SubIOp::create(tb, tl, dot,
                                            memref::LoadOp::create(tb, tl, xsum, ValueRange{tokIdx[t]}));
              Value prev = memref::LoadOp::create(tb, tl, out, ValueRange{tokIdx[t], rowIdx[r]});
              memref::StoreOp::create(tb, tl, arith::AddIOp::create(tb, tl, prev, dot), out,
                                      ValueRange{tokIdx[t], rowIdx[r]});
            }
          scf::YieldOp::create(tb, tl);
        });
  };
  // Threads pay off for large matrices only: a small layer runs on one
  // thread instead of waking a team (and waiting at its barrier).
  constexpr int64_t kParallelWeights = 1 << 20;
  Operation *loop;
  if (n * groups * 4 * kLanes >= kParallelWeights) {
    loop = scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{k.index(n)},
                                   ValueRange{k.index(rows)},
                                   [&](OpBuilder &pb, Location pl, ValueRange ivs) {
                                     rowBlock(pb, pl, ivs[0]);
                                   });
  } else {
    loop = scf::ForOp::create(b, loc, c0, k.index(n), k.index(rows), ValueRange{},
                              [&](OpBuilder &fb, Location fl, Value row0, ValueRange) {
                                rowBlock(fb, fl, row0);
                                scf::YieldOp::create(fb, fl);
                              });
  }
  if (strategy == Strategy::Select)
    loop->setAttr(kTernaryAccumulationAttr, b.getUnitAttr());
  loop->setAttr("tern.ternary_kernel",
                    b.getStringAttr(strategy == Strategy::VNNI ? "vnni-offset-dot" : "select-add-sub"));
  op.erase();
  return success();
}

struct TernaryToVectorPass : impl::TernTernaryToVectorBase<TernaryToVectorPass> {
  using Base::Base;
  void runOnOperation() override {
    Strategy s;
    if (strategy == "select")
      s = Strategy::Select;
    else if (strategy == "vnni")
      s = Strategy::VNNI;
    else {
      getOperation()->emitError("tern-ternary-to-vector: unknown strategy '")
          << strategy << "' (select, vnni)";
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> kernels;
    getOperation()->walk([&](linalg::GenericOp op) {
      auto group = op->getAttrOfType<IntegerAttr>(kTernaryGroupBytesAttr);
      if (op->hasAttr(kTernaryAccumulationAttr) && group && group.getInt() == kLanes &&
          op.hasPureBufferSemantics())
        kernels.push_back(op);
    });
    for (linalg::GenericOp op : kernels)
      if (failed(lowerKernel(op, s)))
        return signalPassFailure();
  }
};
} // namespace
} // namespace mlir::tern

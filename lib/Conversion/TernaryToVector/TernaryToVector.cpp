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
// Row-tiled codes (tern.tile_rows = 16, VNNI only):
//   x     memref<M x KC x 4 x 4 x i8>   (trit k = 16 kc + 4 j + s)
//   codes memref<N/16 x KC x 16 x 4 x i8> (row 16 t + i, trit 16 kc + 4 j + s
//                                          at bits 2j of byte 4 i + s)
//   out   memref<M x N/16 x 16 x i32>
// One 64-byte load holds 16 trits of 16 rows; each bit pair is masked in place
// and dot-multiplied with 4 broadcast activation bytes, so the 16 lanes of the
// accumulators are the 16 rows' sums: no horizontal reduction.
//
//===----------------------------------------------------------------------===//
#include "tern/Conversion/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNTERNARYTOVECTOR
#include "tern/Conversion/Passes.h.inc"

namespace {

enum class Strategy { Select, VNNI, AVXVNNI, LUT };

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
        b, loc, DenseElementsAttr::get(t, APInt(t.getElementTypeBitWidth(), v, /*isSigned=*/true,
                                                /*implicitTrunc=*/true)));
  }
  /// base, base + 1, ..., base + n - 1 (the rows, tiles or tokens of a block).
  SmallVector<Value> offsets(OpBuilder &ob, Location l, Value base, int64_t n) {
    SmallVector<Value> out = {base};
    for (int64_t i = 1; i < n; ++i)
      out.push_back(arith::AddIOp::create(ob, l, base, index(i)));
    return out;
  }
  /// The accumulator of one (token, row) pair.
  VectorType accType() const {
    return strategy == Strategy::VNNI ? VectorType::get({16}, b.getI32Type())
                                      : VectorType::get({kLanes}, b.getI32Type());
  }
  /// vpdpbusd on 16 (AVX-512 VNNI) or 8 (AVX-VNNI or AVX-512 VL; LLVM picks
  /// the encoding the target has) i32 lanes.
  Value dpbusd(Value acc, Value unsignedBytes, Value signedBytes) {
    bool wide = cast<VectorType>(acc.getType()).getNumElements() == 16;
    return LLVM::CallIntrinsicOp::create(b, loc, acc.getType(),
                                         b.getStringAttr(wide ? "llvm.x86.avx512.vpdpbusd.512"
                                                              : "llvm.x86.avx512.vpdpbusd.256"),
                                         ValueRange{acc, unsignedBytes, signedBytes})
        .getResult(0);
  }
  /// Codes of bit pair j: (w >> 2j) & 3.
  Value decode(Value w, int64_t j) {
    Value shifted = j == 0 ? w : Value(arith::ShRUIOp::create(b, loc, w, splat(bytes, 2 * j)));
    return arith::AndIOp::create(b, loc, shifted, splat(bytes, 3));
  }
  /// acc + select(c == +1 code) x + select(c == -1 code) ~x, widened to i32;
  /// -x = ~x + 1 (-x of x = -128 does not fit in a byte), so the caller adds
  /// the count of -1 codes, `minusCount` (the popcount of the mask), at the end.
  Value selectAccumulate(Value acc, Value code, Value x, Value &minusCount) {
    Value zero = splat(bytes, 0);
    Value plus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, splat(bytes, 2));
    Value minus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, zero);
    Value notX = arith::XOrIOp::create(b, loc, x, splat(bytes, -1));
    Value v = arith::SelectOp::create(b, loc, plus, x,
                                      arith::SelectOp::create(b, loc, minus, notX, zero));
    Value bits = vector::ExtractOp::create(
        b, loc, vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI64Type()), minus), int64_t(0));
    minusCount = arith::AddIOp::create(b, loc, minusCount, math::CtPopOp::create(b, loc, bits));
    Value wide = arith::ExtSIOp::create(b, loc, accType(), v);
    return arith::AddIOp::create(b, loc, acc, wide);
  }
};

/// Threads pay off for large products only: a small one (weights x tokens
/// below this; a 1024 x 1024 GEMV) runs on one thread instead of waking a team
/// and waiting at its barrier, which costs more than the halved work saves.
constexpr int64_t kParallelWork = 1 << 21;

/// Software prefetch of the tiled kernels' code streams this many 64-byte
/// groups (4 KiB) ahead: decode streams the weights from memory and the
/// hardware prefetcher alone leaves the loads waiting (measured: +10% on a
/// 5632 x 2048 GEMV; on 1.3B decode with 2 threads 16 / 32 / 64 / 128 groups
/// gave about 69 / 76 / 79 / 77 tokens/s, within this machine's run-to-run
/// noise; the lookup-table kernel: 99 -> 157 GOPS on a 32768 x 8192 GEMV).
constexpr int64_t kPrefetchGroups = 64;

/// A loop over [0, n) in steps of `step`: scf.parallel (OpenMP rows) for
/// large matrices, scf.for otherwise.
Operation *buildRowLoop(OpBuilder &b, Location loc, int64_t n, int64_t step, bool parallel,
                        function_ref<void(OpBuilder &, Location, Value)> body) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, n);
  Value stepV = arith::ConstantIndexOp::create(b, loc, step);
  if (parallel)
    return scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{upper}, ValueRange{stepV},
                                   [&](OpBuilder &pb, Location pl, ValueRange ivs) {
                                     body(pb, pl, ivs[0]);
                                   });
  return scf::ForOp::create(b, loc, c0, upper, stepV, ValueRange{},
                            [&](OpBuilder &fb, Location fl, Value iv, ValueRange) {
                              body(fb, fl, iv);
                              scf::YieldOp::create(fb, fl);
                            });
}

/// Collapses a contiguous memref's dims `from..rank-1` into one (null if the
/// layout does not allow it).
Value collapseTrailing(OpBuilder &b, Location loc, Value memref, int64_t from) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < from; ++d)
    groups.push_back({d});
  ReassociationIndices last;
  for (int64_t d = from; d < type.getRank(); ++d)
    last.push_back(d);
  groups.push_back(last);
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, groups))
    return nullptr;
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
}

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
        SmallVector<Value> rowIdx = k.offsets(pb, pl, row0, rows);
        scf::ForOp::create(pb, pl, c0, k.index(m), k.index(tokens), ValueRange{},
                           [&](OpBuilder &tb, Location tl, Value t0, ValueRange) {
          SmallVector<Value> tokIdx = k.offsets(tb, tl, t0, tokens);
          SmallVector<Value> init(rows * tokens * planes, k.splat(k.accType(), 0));
          // select: then per row the count of -1 codes (see selectAccumulate).
          int64_t counted = rows * tokens * planes;
          if (strategy == Strategy::Select)
            init.append(rows * tokens, arith::ConstantOp::create(tb, tl, tb.getI64IntegerAttr(0)));
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
                      a = strategy == Strategy::VNNI
                              ? k.dpbusd(a, code, xv[t])
                              : k.selectAccumulate(a, code, xv[t], acc[counted + t * rows + r]);
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
              if (strategy == Strategy::Select)
                dot = arith::AddIOp::create(
                    tb, tl, dot,
                    arith::TruncIOp::create(tb, tl, tb.getI32Type(), groupLoop.getResult(counted + t * rows + r)));
              Value prev = memref::LoadOp::create(tb, tl, out, ValueRange{tokIdx[t], rowIdx[r]});
              memref::StoreOp::create(tb, tl, arith::AddIOp::create(tb, tl, prev, dot), out,
                                      ValueRange{tokIdx[t], rowIdx[r]});
            }
          scf::YieldOp::create(tb, tl);
        });
  };
  // The select kernel spends ~7x the VNNI kernel's time per weight: threads
  // pay off on 8x smaller products.
  int64_t work = m * n * groups * 4 * kLanes * (strategy == Strategy::Select ? 8 : 1);
  Operation *loop = buildRowLoop(b, loc, n, rows, work >= kParallelWork,
                                 [&](OpBuilder &pb, Location pl, Value row0) { rowBlock(pb, pl, row0); });
  if (strategy == Strategy::Select)
    loop->setAttr(kTernaryAccumulationAttr, b.getUnitAttr());
  loop->setAttr("tern.ternary_kernel",
                    b.getStringAttr(strategy == Strategy::VNNI ? "vnni-offset-dot" : "select-add-sub"));
  op.erase();
  return success();
}

/// The row-tiled VNNI kernel; R = `tileRows` rows per tile are the i32 lanes
/// of one vector (16: zmm, 8: ymm).
///
/// Base-3 tiles (tern.base3, R = 16): a byte holds 5 codes as m_0 (see
/// TernaryPacking.h); m_{p+1} = m_p + m_p + m_p (byte adds, mod 256) and
/// c_p = (3 m_p - m_{p+1}) / 256, so per digit p two dot products, C_p with
/// m_p and D_p with m_{p+1}, and the row sums are (3 sum C - sum D) / 256.
LogicalResult lowerTiledKernel(linalg::GenericOp op, int64_t tileRows) {
  Value x = op.getDpsInputs()[0], codes = op.getDpsInputs()[1], out = op.getDpsInits()[0];
  bool base3 = op->hasAttr(kTernaryBase3Attr);
  int64_t digits = base3 ? 5 : 4;
  auto xType = dyn_cast<MemRefType>(x.getType());
  auto wType = dyn_cast<MemRefType>(codes.getType());
  auto oType = dyn_cast<MemRefType>(out.getType());
  if (!xType || !wType || !oType || xType.getRank() != 4 || wType.getRank() != 4 ||
      oType.getRank() != 3 || !xType.hasStaticShape() || !wType.hasStaticShape() ||
      !oType.hasStaticShape() || xType.getDimSize(2) != digits || xType.getDimSize(3) != 4 ||
      (base3 && tileRows != 16) ||
      wType.getDimSize(2) != tileRows || wType.getDimSize(3) != 4 || oType.getDimSize(2) != tileRows)
    return op.emitOpError("is not a bufferized ") << tileRows << "-row-tiled ternary accumulation";
  int64_t m = xType.getDimSize(0), kc = xType.getDimSize(1), tiles = wType.getDimSize(0);

  OpBuilder b(op);
  Location loc = op.getLoc();
  KernelBuilder k{b, loc, Strategy::VNNI};
  Value xFlat = collapseTrailing(b, loc, x, 2);         // [M, KC, 4 * digits]
  Value codesFlat = collapseTrailing(b, loc, codes, 2); // [tiles, KC, 4R]
  if (!xFlat || !codesFlat)
    return op.emitOpError("needs contiguous activations and codes");
  VectorType lanes = VectorType::get({tileRows}, b.getI32Type());
  VectorType codeBytes = VectorType::get({4 * tileRows}, b.getI8Type());
  VectorType sixteenBytes = VectorType::get({16}, b.getI8Type());
  Value c0 = k.index(0), c1 = k.index(1);

  // sum(x) per token, for the offset correction (codes are trit + 1).
  Value xsum = memref::AllocaOp::create(b, loc, MemRefType::get({m}, b.getI32Type()));
  scf::ForOp::create(b, loc, c0, k.index(m), c1, ValueRange{},
                     [&](OpBuilder &nb, Location l, Value t, ValueRange) {
    VectorType sixteenWords = VectorType::get({16}, b.getI32Type());
    auto sumLoop = scf::ForOp::create(
        nb, l, c0, k.index(kc), c1, ValueRange{k.splat(sixteenWords, 0)},
        [&](OpBuilder &gb, Location gl, Value g, ValueRange acc) {
          Value xv = vector::LoadOp::create(gb, gl, sixteenBytes, xFlat, ValueRange{t, g, c0});
          Value sum = arith::AddIOp::create(gb, gl, acc[0], arith::ExtSIOp::create(gb, gl, sixteenWords, xv));
          if (base3) { // bytes 16..19 of a 20-trit group
            VectorType four = VectorType::get({4}, gb.getI8Type()), fourWords = VectorType::get({4}, gb.getI32Type());
            Value tail = arith::ExtSIOp::create(
                gb, gl, fourWords, vector::LoadOp::create(gb, gl, four, xFlat, ValueRange{t, g, k.index(16)}));
            Value tailSum = vector::ReductionOp::create(gb, gl, vector::CombiningKind::ADD, tail);
            Value lane0 = vector::InsertOp::create(gb, gl, tailSum, k.splat(sixteenWords, 0), int64_t(0));
            sum = arith::AddIOp::create(gb, gl, sum, lane0);
          }
          scf::YieldOp::create(gb, gl, sum);
        });
    Value total = vector::ReductionOp::create(nb, l, vector::CombiningKind::ADD, sumLoop.getResult(0));
    memref::StoreOp::create(nb, l, total, xsum, ValueRange{t});
    scf::YieldOp::create(nb, l);
  });

  // Register blocking: T tokens x R tiles x 4 bit pairs accumulators (<= 16
  // of the 32 zmm registers; <= 8 of the 16 ymm registers of AVX2).
  // Base 3 keeps 10 accumulators per (token, tile): <= 20.
  int64_t tokens = tileRows == 16 && !base3 ? blockFor(m, {4, 2, 1}) : blockFor(m, {2, 1});
  int64_t rowTiles = tokens * (tileRows == 16 && !base3 ? 1 : 2) >= 4 ? 1 : blockFor(tiles, {2, 1});
  int64_t accPer = base3 ? 10 : 4; // accumulators per (token, tile)
  VectorType dword = VectorType::get({4}, b.getI8Type());
  VectorType oneWord = VectorType::get({1}, b.getI32Type());

  auto tileBlock = [&](OpBuilder &pb, Location pl, Value tile0) {
    SmallVector<Value> tileIdx = k.offsets(pb, pl, tile0, rowTiles);
    scf::ForOp::create(pb, pl, c0, k.index(m), k.index(tokens), ValueRange{},
                       [&](OpBuilder &tb, Location tl, Value t0, ValueRange) {
      SmallVector<Value> tokIdx = k.offsets(tb, tl, t0, tokens);
      SmallVector<Value> init(tokens * rowTiles * accPer, k.splat(lanes, 0));
      // The group loop in two parts, so the prefetch address costs no
      // per-iteration selects: groups [0, split) prefetch D groups ahead in
      // their own tiles; the last D groups prefetch the start of the next
      // block's tiles (where this thread reads next).
      int64_t split = std::max<int64_t>(kc - kPrefetchGroups, 0);
      Value lastGroup = k.index(kc - 1);
      SmallVector<Value> nextTiles;
      for (int64_t r = 0; r < rowTiles; ++r)
        nextTiles.push_back(arith::MinSIOp::create(
            tb, tl, arith::AddIOp::create(tb, tl, tileIdx[r], k.index(rowTiles)), k.index(tiles - 1)));
      auto groupLoop = [&](int64_t lo, int64_t hi, ValueRange init, bool tail) {
        return scf::ForOp::create(
          tb, tl, k.index(lo), k.index(hi), c1, init,
          [&](OpBuilder &gb, Location gl, Value g, ValueRange accIn) {
            SmallVector<Value> acc(accIn.begin(), accIn.end());
            Value ahead = tail ? arith::MinSIOp::create(
                                     gb, gl, arith::SubIOp::create(gb, gl, g, k.index(kc - kPrefetchGroups)),
                                     lastGroup)
                               : Value(arith::AddIOp::create(gb, gl, g, k.index(kPrefetchGroups)));
            SmallVector<Value> w;
            for (int64_t r = 0; r < rowTiles; ++r) {
              memref::PrefetchOp::create(gb, gl, codesFlat,
                                         ValueRange{tail ? nextTiles[r] : tileIdx[r], ahead, c0},
                                         /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
              w.push_back(vector::LoadOp::create(gb, gl, codeBytes, codesFlat, ValueRange{tileIdx[r], g, c0}));
            }
            SmallVector<Value> m(w); // base 3: m_p of each tile
            for (int64_t j = 0; j < digits; ++j) {
              SmallVector<Value> xb;
              for (int64_t t = 0; t < tokens; ++t) {
                Value word = vector::LoadOp::create(gb, gl, dword, xFlat,
                                                    ValueRange{tokIdx[t], g, k.index(4 * j)});
                Value lane = vector::BitCastOp::create(gb, gl, oneWord, word);
                Value wide = vector::BroadcastOp::create(gb, gl, lanes, lane);
                xb.push_back(vector::BitCastOp::create(gb, gl, codeBytes, wide));
              }
              for (int64_t r = 0; r < rowTiles; ++r) {
                if (base3) {
                  Value twice = arith::AddIOp::create(gb, gl, m[r], m[r]);
                  Value next = arith::AddIOp::create(gb, gl, twice, m[r]);
                  for (int64_t t = 0; t < tokens; ++t) {
                    Value &cAcc = acc[(t * rowTiles + r) * accPer + 2 * j];
                    Value &dAcc = acc[(t * rowTiles + r) * accPer + 2 * j + 1];
                    cAcc = k.dpbusd(cAcc, m[r], xb[t]);
                    dAcc = k.dpbusd(dAcc, next, xb[t]);
                  }
                  m[r] = next;
                  continue;
                }
                Value plane = arith::AndIOp::create(gb, gl, w[r], k.splat(codeBytes, 3 << (2 * j)));
                for (int64_t t = 0; t < tokens; ++t) {
                  Value &a = acc[(t * rowTiles + r) * accPer + j];
                  a = k.dpbusd(a, plane, xb[t]);
                }
              }
            }
            scf::YieldOp::create(gb, gl, acc);
          });
      };
      SmallVector<Value> accs(init);
      if (split > 0)
        accs = groupLoop(0, split, accs, false).getResults();
      ValueRange results = groupLoop(split, kc, accs, true).getResults();
      for (int64_t t = 0; t < tokens; ++t) {
        Value offset = vector::BroadcastOp::create(
            tb, tl, lanes, memref::LoadOp::create(tb, tl, xsum, ValueRange{tokIdx[t]}));
        for (int64_t r = 0; r < rowTiles; ++r) {
          // Bit pair j was used in place (4^j * code): every lane of its
          // accumulator is a multiple of 4^j, so the shift back is exact.
          ValueRange a = results.slice((t * rowTiles + r) * accPer, accPer);
          Value dot;
          if (base3) {
            // (3 sum C - sum D) / 256: exact, the sum is 256 * the dot product.
            Value c = a[0], d = a[1];
            for (int64_t j = 1; j < 5; ++j) {
              c = arith::AddIOp::create(tb, tl, c, a[2 * j]);
              d = arith::AddIOp::create(tb, tl, d, a[2 * j + 1]);
            }
            Value c3 = arith::AddIOp::create(tb, tl, arith::AddIOp::create(tb, tl, c, c), c);
            dot = arith::ShRSIOp::create(tb, tl, arith::SubIOp::create(tb, tl, c3, d), k.splat(lanes, 8));
          } else {
            dot = a[0];
            for (int64_t j = 1; j < 4; ++j)
              dot = arith::AddIOp::create(tb, tl, dot,
                                          arith::ShRSIOp::create(tb, tl, a[j], k.splat(lanes, 2 * j)));
          }
          dot = arith::SubIOp::create(tb, tl, dot, offset);
          SmallVector<Value, 3> at = {tokIdx[t], tileIdx[r], c0};
          Value prev = vector::LoadOp::create(tb, tl, lanes, out, at);
          vector::StoreOp::create(tb, tl, arith::AddIOp::create(tb, tl, prev, dot), out, at);
        }
      }
      scf::YieldOp::create(tb, tl);
    });
  };
  Operation *loop = buildRowLoop(b, loc, tiles, rowTiles,
                                 m * tiles * tileRows * kc * 4 * digits >= kParallelWork, tileBlock);
  loop->setAttr("tern.ternary_kernel",
                b.getStringAttr(base3 ? "vnni-offset-dot-base3" : tileRows == 16 ? "vnni-offset-dot-tiled"
                                                                                 : "avxvnni-offset-dot-tiled"));
  op.erase();
  return success();
}

/// The lookup-table kernel (tern.tile_rows = 64, G = 1, AVX-512 BW):
///   x     memref<M x KC x 4 x 1 x i8>    (trit k = 4 kc + j)
///   codes memref<T x KC x 64 x 1 x i8>   (byte i: row 64 t + i, trit 4 kc + j
///                                          at bits 2j)
///   out   memref<M x T x 64 x i32>
/// Tables first: per token and group, the 9 sums (c0-1) x0 + (c1-1) x1 of a
/// trit pair at index c0 + 4 c1 (= the code byte's low nibble for trits 0, 1,
/// its high nibble for trits 2, 3), int16 split into low and high bytes, built
/// with selects. Then per tile of 64 rows, token and group: one 64-byte load
/// of codes, two nibble masks, four vpshufb (64 rows' low and high bytes of
/// both pairs), interleaved into int16 in the in-lane unpack order (elements
/// 8L + r hold row 16L + r, resp. 16L + 8 + r) and added. Every 32 groups the
/// int16 sums (|sum| <= 32 * 512) are widened into int32; one shuffle puts the
/// rows back in order at the end. Multiply-free.
LogicalResult lowerLUTKernel(linalg::GenericOp op) {
  constexpr int64_t kRows = 64, kBlockGroups = 32;
  Value x = op.getDpsInputs()[0], codes = op.getDpsInputs()[1], out = op.getDpsInits()[0];
  auto xType = dyn_cast<MemRefType>(x.getType());
  auto wType = dyn_cast<MemRefType>(codes.getType());
  auto oType = dyn_cast<MemRefType>(out.getType());
  if (!xType || !wType || !oType || xType.getRank() != 4 || wType.getRank() != 4 ||
      oType.getRank() != 3 || !xType.hasStaticShape() || !wType.hasStaticShape() ||
      !oType.hasStaticShape() || xType.getDimSize(2) != 4 || xType.getDimSize(3) != 1 ||
      wType.getDimSize(2) != kRows || wType.getDimSize(3) != 1 || oType.getDimSize(2) != kRows)
    return op.emitOpError("is not a bufferized 64-row-tiled ternary accumulation");
  int64_t m = xType.getDimSize(0), kc = xType.getDimSize(1), tiles = wType.getDimSize(0);

  OpBuilder b(op);
  Location loc = op.getLoc();
  KernelBuilder k{b, loc, Strategy::Select};
  Value xFlat = collapseTrailing(b, loc, x, 1);         // [M, 4 KC]
  // Codes as [T * KC, 64]: the tile loop steps through rows r0 = tile * KC by
  // KC, so addresses need no multiply (the loop is verified multiply-free).
  Value codesFlat = collapseTrailing(b, loc, codes, 2); // [T, KC, 64]
  if (!xFlat || !codesFlat)
    return op.emitOpError("needs contiguous activations and codes");
  Value codeRows = memref::CollapseShapeOp::create(b, loc, codesFlat, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
  VectorType bytes16 = VectorType::get({16}, i8), words32 = VectorType::get({32}, i16);
  VectorType lanes32 = VectorType::get({32}, i32), lanes64 = VectorType::get({64}, i32);
  Value c0 = k.index(0), c1 = k.index(1);
  auto mask = [&](VectorType t, function_ref<bool(int64_t)> on) {
    SmallVector<bool> bits;
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      bits.push_back(on(i));
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t.clone(b.getI1Type()), ArrayRef<bool>(bits)));
  };

  // Tables [M, KC, 64] bytes: pair A low | pair A high | pair B low | pair B high.
  Value tables = memref::AllocOp::create(b, loc, MemRefType::get({m, kc, kRows}, i8), /*alignment=*/b.getI64IntegerAttr(64));
  // Lanes 0-15 are pair A's entries, 16-31 pair B's; entry e = c0 + 4 c1.
  Value firstPlus = mask(words32, [](int64_t i) { return (i % 16 & 3) == 2; });
  Value firstMinus = mask(words32, [](int64_t i) { return (i % 16 & 3) == 0; });
  Value secondPlus = mask(words32, [](int64_t i) { return (i % 16 >> 2) == 2; });
  Value secondMinus = mask(words32, [](int64_t i) { return (i % 16 >> 2) == 0; });
  Value zeroWords = k.splat(words32, 0);
  auto build = scf::ForOp::create(b, loc, c0, k.index(m), c1, ValueRange{},
                                  [&](OpBuilder &nb, Location l, Value t, ValueRange) {
    scf::ForOp::create(nb, l, c0, k.index(kc), c1, ValueRange{},
                       [&](OpBuilder &gb, Location gl, Value g, ValueRange) {
      Value at = arith::AddIOp::create(gb, gl, g, g);
      at = arith::AddIOp::create(gb, gl, at, at); // 4 g
      Value four = arith::ExtSIOp::create(gb, gl, VectorType::get({4}, i16),
                                          vector::LoadOp::create(gb, gl, VectorType::get({4}, i8), xFlat,
                                                                 ValueRange{t, at}));
      SmallVector<int64_t> firstIdx, secondIdx;
      for (int64_t i = 0; i < 32; ++i) {
        firstIdx.push_back(i < 16 ? 0 : 2);
        secondIdx.push_back(i < 16 ? 1 : 3);
      }
      auto term = [&](ArrayRef<int64_t> idx, Value plus, Value minus) {
        Value v = vector::ShuffleOp::create(gb, gl, four, four, idx);
        Value neg = arith::SubIOp::create(gb, gl, zeroWords, v);
        return arith::SelectOp::create(gb, gl, plus, v, arith::SelectOp::create(gb, gl, minus, neg, zeroWords));
      };
      Value sums = arith::AddIOp::create(gb, gl, term(firstIdx, firstPlus, firstMinus),
                                         term(secondIdx, secondPlus, secondMinus));
      VectorType bytes32 = VectorType::get({32}, i8);
      Value lo = arith::TruncIOp::create(gb, gl, bytes32, sums);
      Value hi = arith::TruncIOp::create(gb, gl, bytes32,
                                         arith::ShRSIOp::create(gb, gl, sums, k.splat(words32, 8)));
      SmallVector<int64_t> order;
      for (int64_t i = 0; i < 64; ++i) // A lo, A hi, B lo, B hi
        order.push_back((i / 16 % 2) * 32 + (i / 32) * 16 + i % 16);
      vector::StoreOp::create(gb, gl, vector::ShuffleOp::create(gb, gl, lo, hi, order), tables,
                              ValueRange{t, g, c0});
      scf::YieldOp::create(gb, gl);
    });
    scf::YieldOp::create(nb, l);
  });
  build->setAttr(kTernaryAccumulationAttr, b.getUnitAttr());

  SmallVector<int64_t> unpackLo, unpackHi, rowOrder;
  for (int64_t lane = 0; lane < 4; ++lane)
    for (int64_t r = 0; r < 8; ++r) {
      unpackLo.append({16 * lane + r, 64 + 16 * lane + r});
      unpackHi.append({16 * lane + 8 + r, 64 + 16 * lane + 8 + r});
    }
  for (int64_t row = 0; row < kRows; ++row)
    rowOrder.push_back(row % 16 < 8 ? 8 * (row / 16) + row % 16 : 32 + 8 * (row / 16) + row % 16 - 8);
  SmallVector<int64_t> splat128;
  for (int64_t i = 0; i < kRows; ++i)
    splat128.push_back(i % 16);
  Value lowNibble = k.splat(k.bytes, 15), four = k.splat(k.bytes, 4);
  auto pshufb = [&](OpBuilder &gb, Location gl, Value table, Value idx) {
    return LLVM::CallIntrinsicOp::create(gb, gl, k.bytes, gb.getStringAttr("llvm.x86.avx512.pshuf.b.512"),
                                         ValueRange{table, idx})
        .getResult(0);
  };

  // Prefetch kPrefetchGroups ahead in the code stream, which runs on into the
  // next tile.
  Value lastRow = k.index(tiles * kc - 1);
  auto tileBody = [&](OpBuilder &pb, Location pl, Value r0) {
    Value tile = arith::DivUIOp::create(pb, pl, r0, k.index(kc));
    scf::ForOp::create(pb, pl, c0, k.index(m), c1, ValueRange{},
                       [&](OpBuilder &tb, Location tl, Value t, ValueRange) {
      auto blockLoop = scf::ForOp::create(
          tb, tl, c0, k.index(kc), k.index(kBlockGroups), ValueRange{k.splat(lanes32, 0), k.splat(lanes32, 0)},
          [&](OpBuilder &bb, Location bl, Value g0, ValueRange acc) {
            Value g1 = arith::MinSIOp::create(bb, bl, arith::AddIOp::create(bb, bl, g0, k.index(kBlockGroups)),
                                              k.index(kc));
            auto groupLoop = scf::ForOp::create(
                bb, bl, g0, g1, c1, ValueRange{k.splat(words32, 0), k.splat(words32, 0)},
                [&](OpBuilder &gb, Location gl, Value g, ValueRange sums) {
                  Value row = arith::AddIOp::create(gb, gl, r0, g);
                  Value ahead = arith::MinSIOp::create(
                      gb, gl, arith::AddIOp::create(gb, gl, row, k.index(kPrefetchGroups)), lastRow);
                  memref::PrefetchOp::create(gb, gl, codeRows, ValueRange{ahead, c0}, /*isWrite=*/false,
                                             /*localityHint=*/3, /*isDataCache=*/true);
                  Value w = vector::LoadOp::create(gb, gl, k.bytes, codeRows, ValueRange{row, c0});
                  Value idx[2] = {arith::AndIOp::create(gb, gl, w, lowNibble),
                                  arith::AndIOp::create(gb, gl, arith::ShRUIOp::create(gb, gl, w, four), lowNibble)};
                  Value lo = sums[0], hi = sums[1];
                  for (int64_t pair = 0; pair < 2; ++pair) {
                    Value part[2];
                    for (int64_t half = 0; half < 2; ++half) {
                      Value t16 = vector::LoadOp::create(gb, gl, bytes16, tables,
                                                         ValueRange{t, g, k.index(32 * pair + 16 * half)});
                      part[half] = pshufb(gb, gl, vector::ShuffleOp::create(gb, gl, t16, t16, splat128), idx[pair]);
                    }
                    auto words = [&](ArrayRef<int64_t> order) {
                      return vector::BitCastOp::create(gb, gl, words32,
                                                       vector::ShuffleOp::create(gb, gl, part[0], part[1], order));
                    };
                    lo = arith::AddIOp::create(gb, gl, lo, words(unpackLo));
                    hi = arith::AddIOp::create(gb, gl, hi, words(unpackHi));
                  }
                  scf::YieldOp::create(gb, gl, ValueRange{lo, hi});
                });
            Value lo = arith::AddIOp::create(bb, bl, acc[0],
                                             arith::ExtSIOp::create(bb, bl, lanes32, groupLoop.getResult(0)));
            Value hi = arith::AddIOp::create(bb, bl, acc[1],
                                             arith::ExtSIOp::create(bb, bl, lanes32, groupLoop.getResult(1)));
            scf::YieldOp::create(bb, bl, ValueRange{lo, hi});
          });
      Value rows = vector::ShuffleOp::create(tb, tl, blockLoop.getResult(0), blockLoop.getResult(1), rowOrder);
      SmallVector<Value, 3> at = {t, tile, c0};
      Value prev = vector::LoadOp::create(tb, tl, lanes64, out, at);
      vector::StoreOp::create(tb, tl, arith::AddIOp::create(tb, tl, prev, rows), out, at);
      scf::YieldOp::create(tb, tl);
    });
  };
  // Twice the VNNI kernel's time per weight, but the tables are built on one
  // thread first: the same threshold as VNNI (1024 x 1024 stays on one).
  Operation *loop =
      buildRowLoop(b, loc, tiles * kc, kc, m * tiles * kRows * kc * 4 >= kParallelWork, tileBody);
  loop->setAttr(kTernaryAccumulationAttr, b.getUnitAttr());
  loop->setAttr("tern.ternary_kernel", b.getStringAttr("lut-pshufb"));
  b.setInsertionPointAfter(loop);
  memref::DeallocOp::create(b, loc, tables);
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
    else if (strategy == "avxvnni")
      s = Strategy::AVXVNNI;
    else if (strategy == "lut")
      s = Strategy::LUT;
    else {
      getOperation()->emitError("tern-ternary-to-vector: unknown strategy '")
          << strategy << "' (select, vnni, avxvnni, lut)";
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> kernels, tiledKernels, lutKernels;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (!op->hasAttr(kTernaryAccumulationAttr) || !op.hasPureBufferSemantics())
        return;
      auto group = op->getAttrOfType<IntegerAttr>(kTernaryGroupBytesAttr);
      auto tile = op->getAttrOfType<IntegerAttr>(kTernaryTileRowsAttr);
      // Row tiles have VNNI kernels only (16 rows: AVX-512, 8: AVX-VNNI);
      // otherwise they stay generic (scalar loops, still multiply-free).
      if (tile && ((tile.getInt() == 16 && s == Strategy::VNNI) ||
                   (tile.getInt() == 8 && s == Strategy::AVXVNNI)))
        tiledKernels.push_back(op);
      else if (tile && tile.getInt() == 64 && s == Strategy::LUT)
        lutKernels.push_back(op);
      else if (!tile && group && group.getInt() == kLanes)
        kernels.push_back(op);
    });
    // The 64-byte-group kernels are AVX-512 VNNI or portable vector code:
    // under AVX-VNNI (no AVX-512) and LUT the untiled layers take `select`.
    for (linalg::GenericOp op : kernels)
      if (failed(lowerKernel(op, s == Strategy::VNNI ? s : Strategy::Select)))
        return signalPassFailure();
    for (linalg::GenericOp op : lutKernels)
      if (failed(lowerLUTKernel(op)))
        return signalPassFailure();
    for (linalg::GenericOp op : tiledKernels)
      if (failed(lowerTiledKernel(op, op->getAttrOfType<IntegerAttr>(kTernaryTileRowsAttr).getInt())))
        return signalPassFailure();
  }
};
} // namespace
} // namespace mlir::tern

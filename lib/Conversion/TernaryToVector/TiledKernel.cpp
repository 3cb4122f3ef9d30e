//===- TiledKernel.cpp - the loop nest of the row-tiled CPU kernels -------===//
//
// Row-tiled codes (tern.tile_rows = R, see tern-ternary-to-arith):
//   x     memref<M x KC x D x 4 x i8>    (trit k = 4D kc + 4 j + s)
//   codes memref<N/R x KC x R x 4 x i8>  (row R t + i, trit 16 kc + 4 j + s
//                                          at bits 2j of byte 4 i + s)
//   out   memref<M x N/R x R x i32>
// One 4R-byte load holds 16 trits of R rows; a family's TiledDot combines it
// with the 4 activation bytes of each trit position j, broadcast to every
// 32-bit lane, so the R lanes of the result are the R rows' sums: no
// horizontal reduction. Codes are c = trit + 1, so the families accumulate
// sum(c x) and sum(x) is subtracted once per token and row.
//
// The code stream is prefetched kPrefetchGroups groups ahead. Families with
// int16 partial sums (blockGroups > 0) run the group loop in blocks and widen
// after each.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

namespace mlir::tern::kernels {

LogicalResult lowerTiledKernel(linalg::GenericOp op, const TiledDot &dot) {
  Value x = op.getDpsInputs()[0], codes = op.getDpsInputs()[1], out = op.getDpsInits()[0];
  int64_t tileRows = dot.tileRows, digits = dot.digits;
  auto xType = dyn_cast<MemRefType>(x.getType());
  auto wType = dyn_cast<MemRefType>(codes.getType());
  auto oType = dyn_cast<MemRefType>(out.getType());
  if (!xType || !wType || !oType || xType.getRank() != 4 || wType.getRank() != 4 ||
      oType.getRank() != 3 || !xType.hasStaticShape() || !wType.hasStaticShape() ||
      !oType.hasStaticShape() || xType.getDimSize(2) != digits || xType.getDimSize(3) != 4 ||
      wType.getDimSize(2) != tileRows || wType.getDimSize(3) != 4 || oType.getDimSize(2) != tileRows)
    return op.emitOpError("is not a bufferized ")
           << tileRows << "-row-tiled ternary accumulation with " << digits << " trits per byte";
  int64_t m = xType.getDimSize(0), kc = xType.getDimSize(1), tiles = wType.getDimSize(0);

  OpBuilder b(op);
  Location loc = op.getLoc();
  KernelBuilder k{b, loc};
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
          if (digits == 5) { // bytes 16..19 of a 20-trit group
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

  std::pair<int64_t, int64_t> block = dot.blocking(m, tiles);
  int64_t tokens = block.first, rowTiles = block.second;
  int64_t accPer = dot.accumulators;
  int64_t widePer = dot.blockGroups > 0 ? dot.wideAccumulators : accPer;
  VectorType dword = VectorType::get({4}, b.getI8Type());
  VectorType oneWord = VectorType::get({1}, b.getI32Type());

  auto tileBlock = [&](OpBuilder &pb, Location pl, Value tile0) {
    SmallVector<Value> tileIdx = k.offsets(pb, pl, tile0, rowTiles);
    scf::ForOp::create(pb, pl, c0, k.index(m), k.index(tokens), ValueRange{},
                       [&](OpBuilder &tb, Location tl, Value t0, ValueRange) {
      SmallVector<Value> tokIdx = k.offsets(tb, tl, t0, tokens);
      Value lastGroup = k.index(kc - 1);
      SmallVector<Value> nextTiles;
      for (int64_t r = 0; r < rowTiles; ++r)
        nextTiles.push_back(arith::MinSIOp::create(
            tb, tl, arith::AddIOp::create(tb, tl, tileIdx[r], k.index(rowTiles)), k.index(tiles - 1)));
      // One group: prefetch `ahead` (in `prefetchTiles`), load the codes of
      // every tile and the activation words of every token, let the family
      // accumulate.
      auto groupBody = [&](OpBuilder &gb, Location gl, Value g, Value ahead, ArrayRef<Value> prefetchTiles,
                           SmallVector<Value> &acc) {
        SmallVector<Value> w;
        for (int64_t r = 0; r < rowTiles; ++r) {
          memref::PrefetchOp::create(gb, gl, codesFlat, ValueRange{prefetchTiles[r], ahead, c0},
                                     /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
          w.push_back(vector::LoadOp::create(gb, gl, codeBytes, codesFlat, ValueRange{tileIdx[r], g, c0}));
        }
        SmallVector<SmallVector<Value>> xb(tokens);
        for (int64_t t = 0; t < tokens; ++t)
          for (int64_t j = 0; j < digits; ++j) {
            Value word = vector::LoadOp::create(gb, gl, dword, xFlat, ValueRange{tokIdx[t], g, k.index(4 * j)});
            xb[t].push_back(vector::BitCastOp::create(gb, gl, oneWord, word));
          }
        for (int64_t r = 0; r < rowTiles; ++r)
          for (int64_t t = 0; t < tokens; ++t)
            dot.step(gb, gl, w[r], xb[t], MutableArrayRef<Value>(acc).slice((t * rowTiles + r) * accPer, accPer));
      };
      SmallVector<Value> results;
      if (dot.blockGroups == 0) {
        // The group loop in two parts, so the prefetch address costs no
        // per-iteration selects: groups [0, split) prefetch D groups ahead in
        // their own tiles; the last D groups prefetch the start of the next
        // block's tiles (where this thread reads next).
        int64_t split = std::max<int64_t>(kc - kPrefetchGroups, 0);
        auto groupLoop = [&](int64_t lo, int64_t hi, ValueRange init, bool tail) {
          return scf::ForOp::create(
              tb, tl, k.index(lo), k.index(hi), c1, init,
              [&](OpBuilder &gb, Location gl, Value g, ValueRange accIn) {
                SmallVector<Value> acc(accIn.begin(), accIn.end());
                Value ahead = tail ? arith::MinSIOp::create(
                                         gb, gl, arith::SubIOp::create(gb, gl, g, k.index(kc - kPrefetchGroups)),
                                         lastGroup)
                                   : Value(arith::AddIOp::create(gb, gl, g, k.index(kPrefetchGroups)));
                groupBody(gb, gl, g, ahead, tail ? nextTiles : tileIdx, acc);
                scf::YieldOp::create(gb, gl, acc);
              });
        };
        SmallVector<Value> accs(tokens * rowTiles * accPer, k.splat(dot.accType, 0));
        if (split > 0)
          accs = groupLoop(0, split, accs, false).getResults();
        results = llvm::to_vector_of<Value>(groupLoop(split, kc, accs, true).getResults());
      } else {
        // Blocks of B groups: narrow sums start at zero in each block and are
        // widened after it. The prefetch runs D groups ahead in the tile,
        // clamped once per block (to [0, KC - B] at the block start), so the
        // group loop pays one add for it.
        SmallVector<Value> wideInit(tokens * rowTiles * widePer, k.splat(lanes, 0));
        auto blockLoop = scf::ForOp::create(
            tb, tl, c0, k.index(kc), k.index(dot.blockGroups), wideInit,
            [&](OpBuilder &bb, Location bl, Value g0, ValueRange wideIn) {
              Value g1 = arith::MinSIOp::create(bb, bl, arith::AddIOp::create(bb, bl, g0, k.index(dot.blockGroups)),
                                                k.index(kc));
              Value aheadStart = arith::MaxSIOp::create(
                  bb, bl,
                  arith::MinSIOp::create(bb, bl, arith::AddIOp::create(bb, bl, g0, k.index(kPrefetchGroups)),
                                         k.index(kc - dot.blockGroups)),
                  c0);
              Value aheadShift = arith::SubIOp::create(bb, bl, aheadStart, g0);
              SmallVector<Value> narrowInit(tokens * rowTiles * accPer, k.splat(dot.accType, 0));
              auto groupLoop = scf::ForOp::create(
                  bb, bl, g0, g1, c1, narrowInit, [&](OpBuilder &gb, Location gl, Value g, ValueRange accIn) {
                    SmallVector<Value> acc(accIn.begin(), accIn.end());
                    Value ahead = arith::AddIOp::create(gb, gl, g, aheadShift);
                    groupBody(gb, gl, g, ahead, tileIdx, acc);
                    scf::YieldOp::create(gb, gl, acc);
                  });
              SmallVector<Value> wide(wideIn.begin(), wideIn.end());
              for (int64_t i = 0; i < tokens * rowTiles; ++i)
                dot.widen(bb, bl, llvm::to_vector_of<Value>(groupLoop.getResults().slice(i * accPer, accPer)),
                          MutableArrayRef<Value>(wide).slice(i * widePer, widePer));
              scf::YieldOp::create(bb, bl, wide);
            });
        results = llvm::to_vector_of<Value>(blockLoop.getResults());
      }
      for (int64_t t = 0; t < tokens; ++t) {
        Value offset = vector::BroadcastOp::create(
            tb, tl, lanes, memref::LoadOp::create(tb, tl, xsum, ValueRange{tokIdx[t]}));
        for (int64_t r = 0; r < rowTiles; ++r) {
          ArrayRef<Value> a = ArrayRef<Value>(results).slice((t * rowTiles + r) * widePer, widePer);
          Value sum = arith::SubIOp::create(tb, tl, dot.finish(tb, tl, a), offset);
          SmallVector<Value, 3> at = {tokIdx[t], tileIdx[r], c0};
          Value prev = vector::LoadOp::create(tb, tl, lanes, out, at);
          vector::StoreOp::create(tb, tl, arith::AddIOp::create(tb, tl, prev, sum), out, at);
        }
      }
      scf::YieldOp::create(tb, tl);
    });
  };
  Operation *loop = buildRowLoop(b, loc, tiles, rowTiles,
                                 m * tiles * tileRows * kc * 4 * digits >= kParallelWork, tileBlock);
  if (dot.multiplyFree)
    loop->setAttr(kTernaryAccumulationAttr, b.getUnitAttr());
  loop->setAttr("tern.ternary_kernel", b.getStringAttr(dot.name));
  op.erase();
  return success();
}

} // namespace mlir::tern::kernels

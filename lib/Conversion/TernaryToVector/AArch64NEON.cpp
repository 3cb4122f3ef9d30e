//===- AArch64NEON.cpp - AArch64 NEON row-tiled kernels -------------------===//
//
// 16-row tiles (the AVX-512 VNNI layout): one 64-byte load (four q
// registers) holds 16 trits of 16 rows, 4 bytes per row; the 4 activation
// bytes of trit position j are broadcast to every 32-bit lane. Codes are
// c = trit + 1 in {0, 1, 2}. Only generic vector ops and aarch64 intrinsics:
// nothing x86 reaches an AArch64 target.
//
// `sdot` (armv8.2 dotprod): sdot adds 4 signed byte products per i32 lane.
// sdot is signed x signed, so bit pair 3 cannot be masked in place (2 << 6
// is -128 as a signed byte): pairs 0, 1, 2 are masked in place (c, 4c, 16c)
// and pair 3 shifted down (c); three accumulators per q register (scale 1,
// 4, 16) are shifted back exactly after the loop. Per 256 weights: 4 loads,
// 16 and/ushr, 16 sdot. (usdot/i8mm would allow the in-place mask of pair 3
// too, but that saves no instruction: the ushr replaces the and. smmla needs
// two tokens, decode has one.)
//
// `neon` (armv8.0, no dotprod): codes decoded to c by shift+mask, products
// widened to int16 and accumulated (smlal/smlal2), the int16 sums (|4 * 2 *
// 128| per group and lane) widened by pairwise adds every 32 groups.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

namespace mlir::tern::kernels {

TiledDot getSDotTiledDot(MLIRContext *ctx) {
  TiledDot d;
  d.tileRows = 16;
  // Per q register (4 rows) three scales: index 3 q + s.
  d.accumulators = 12;
  d.accType = VectorType::get({4}, IntegerType::get(ctx, 32));
  // 12 accumulators + 4 code registers + planes: one token, one tile.
  d.blocking = [](int64_t, int64_t) { return std::pair<int64_t, int64_t>{1, 1}; };
  d.step = [](OpBuilder &b, Location loc, Value w, ArrayRef<Value> xb, MutableArrayRef<Value> acc) {
    KernelBuilder k{b, loc};
    auto codeBytes = cast<VectorType>(w.getType());
    VectorType q = VectorType::get({16}, b.getI8Type());
    Value planes[4] = {arith::AndIOp::create(b, loc, w, k.splat(codeBytes, 3)),
                       arith::AndIOp::create(b, loc, w, k.splat(codeBytes, 12)),
                       arith::AndIOp::create(b, loc, w, k.splat(codeBytes, 48)),
                       arith::ShRUIOp::create(b, loc, w, k.splat(codeBytes, 6))};
    const int64_t scale[4] = {0, 1, 2, 0};
    for (int64_t j = 0; j < 4; ++j) {
      Value x = k.broadcastWord(b, loc, xb[j], q);
      for (int64_t r = 0; r < 4; ++r) {
        Value part = vector::ExtractStridedSliceOp::create(b, loc, planes[j], ArrayRef<int64_t>{16 * r},
                                                           ArrayRef<int64_t>{16}, ArrayRef<int64_t>{1});
        Value &a = acc[3 * r + scale[j]];
        a = k.intrinsic(b, loc, a.getType(), "llvm.aarch64.neon.sdot.v4i32.v16i8", ValueRange{a, part, x});
      }
    }
  };
  d.finish = [](OpBuilder &b, Location loc, ArrayRef<Value> a) -> Value {
    KernelBuilder k{b, loc};
    auto quad = cast<VectorType>(a[0].getType());
    SmallVector<Value> rows;
    for (int64_t r = 0; r < 4; ++r) {
      Value s = arith::AddIOp::create(b, loc, a[3 * r],
                                      arith::ShRSIOp::create(b, loc, a[3 * r + 1], k.splat(quad, 2)));
      rows.push_back(arith::AddIOp::create(b, loc, s, arith::ShRSIOp::create(b, loc, a[3 * r + 2], k.splat(quad, 4))));
    }
    SmallVector<int64_t> eight = llvm::to_vector(llvm::seq<int64_t>(0, 8));
    SmallVector<int64_t> sixteen = llvm::to_vector(llvm::seq<int64_t>(0, 16));
    Value lo = vector::ShuffleOp::create(b, loc, rows[0], rows[1], eight);
    Value hi = vector::ShuffleOp::create(b, loc, rows[2], rows[3], eight);
    return vector::ShuffleOp::create(b, loc, lo, hi, sixteen);
  };
  d.name = "sdot-tiled";
  return d;
}

TiledDot getNEONTiledDot(MLIRContext *ctx) {
  TiledDot d;
  d.tileRows = 16;
  d.accumulators = 1;
  d.accType = VectorType::get({64}, IntegerType::get(ctx, 16));
  d.blockGroups = 32;
  d.wideAccumulators = 1;
  d.blocking = [](int64_t m, int64_t) { return std::pair<int64_t, int64_t>{blockFor(m, {2, 1}), 1}; };
  d.step = [](OpBuilder &b, Location loc, Value w, ArrayRef<Value> xb, MutableArrayRef<Value> acc) {
    KernelBuilder k{b, loc};
    auto codeBytes = cast<VectorType>(w.getType());
    auto words = cast<VectorType>(acc[0].getType());
    for (int64_t j = 0; j < 4; ++j) {
      Value c = j == 0 ? w : Value(arith::ShRUIOp::create(b, loc, w, k.splat(codeBytes, 2 * j)));
      if (j < 3)
        c = arith::AndIOp::create(b, loc, c, k.splat(codeBytes, 3));
      Value x = k.broadcastWord(b, loc, xb[j], codeBytes);
      Value product = arith::MulIOp::create(b, loc, arith::ExtSIOp::create(b, loc, words, c),
                                            arith::ExtSIOp::create(b, loc, words, x));
      acc[0] = arith::AddIOp::create(b, loc, acc[0], product);
    }
  };
  d.widen = [](OpBuilder &b, Location loc, ArrayRef<Value> narrow, MutableArrayRef<Value> wide) {
    // Row i is lanes 4i..4i+3: two pairwise adds (saddlp-style).
    Value v = arith::ExtSIOp::create(b, loc, VectorType::get({64}, b.getI32Type()), narrow[0]);
    for (int64_t n = 32; n >= 16; n /= 2) {
      SmallVector<int64_t> even, odd;
      for (int64_t i = 0; i < n; ++i) {
        even.push_back(2 * i);
        odd.push_back(2 * i + 1);
      }
      v = arith::AddIOp::create(b, loc, vector::ShuffleOp::create(b, loc, v, v, even),
                                vector::ShuffleOp::create(b, loc, v, v, odd));
    }
    wide[0] = arith::AddIOp::create(b, loc, wide[0], v);
  };
  d.finish = [](OpBuilder &, Location, ArrayRef<Value> a) -> Value { return a[0]; };
  d.name = "neon-smlal-tiled";
  return d;
}

} // namespace mlir::tern::kernels

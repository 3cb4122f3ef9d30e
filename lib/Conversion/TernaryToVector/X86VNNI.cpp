//===- X86VNNI.cpp - AVX-512 VNNI and AVX-VNNI row-tiled kernels ----------===//
//
// vpdpbusd accumulates unsigned codes x signed activations, four bytes per
// i32 lane. Bit pair j is masked in place (w & 3 << 2j = 4^j c, no shift)
// and dot-multiplied with the 4 bytes of trit position j broadcast to every
// lane; the four bit-pair accumulators are shifted back exactly after the
// loop. 16-row tiles on zmm (AVX-512 VNNI), 8-row tiles on ymm (AVX-VNNI).
//
// Base-3 tiles (vnni-base3, R = 16): a byte holds 5 codes as m_0 (see
// TernaryPacking.h); m_{p+1} = m_p + m_p + m_p (byte adds, mod 256) and
// c_p = (3 m_p - m_{p+1}) / 256, so per digit p two dot products, C_p with
// m_p and D_p with m_{p+1}, and the row sums are (3 sum C - sum D) / 256.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

namespace mlir::tern::kernels {

static TiledDot getVNNITiledDot(MLIRContext *ctx, int64_t tileRows, bool base3) {
  TiledDot d;
  d.tileRows = tileRows;
  d.digits = base3 ? 5 : 4;
  d.accumulators = base3 ? 10 : 4;
  d.accType = VectorType::get({tileRows}, IntegerType::get(ctx, 32));
  // T tokens x R tiles x 4 bit pairs accumulators (<= 16 of the 32 zmm
  // registers; <= 8 of the 16 ymm registers). Base 3 keeps 10 per (token,
  // tile): <= 20.
  bool wide = tileRows == 16 && !base3;
  d.blocking = [wide](int64_t m, int64_t tiles) {
    int64_t tokens = wide ? blockFor(m, {4, 2, 1}) : blockFor(m, {2, 1});
    int64_t rowTiles = tokens * (wide ? 1 : 2) >= 4 ? 1 : blockFor(tiles, {2, 1});
    return std::pair{tokens, rowTiles};
  };
  d.step = [base3](OpBuilder &b, Location loc, Value w, ArrayRef<Value> xb, MutableArrayRef<Value> acc) {
    KernelBuilder k{b, loc};
    auto codeBytes = cast<VectorType>(w.getType());
    Value m = w; // base 3: m_p
    for (int64_t j = 0; j < (base3 ? 5 : 4); ++j) {
      Value x = k.broadcastWord(b, loc, xb[j], codeBytes);
      if (base3) {
        Value next = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, m, m), m);
        acc[2 * j] = k.dpbusd(b, loc, acc[2 * j], m, x);
        acc[2 * j + 1] = k.dpbusd(b, loc, acc[2 * j + 1], next, x);
        m = next;
        continue;
      }
      Value plane = arith::AndIOp::create(b, loc, w, k.splat(codeBytes, 3 << (2 * j)));
      acc[j] = k.dpbusd(b, loc, acc[j], plane, x);
    }
  };
  d.finish = [base3](OpBuilder &b, Location loc, ArrayRef<Value> a) -> Value {
    KernelBuilder k{b, loc};
    auto lanes = cast<VectorType>(a[0].getType());
    if (base3) {
      // (3 sum C - sum D) / 256: exact, the sum is 256 * the dot product.
      Value c = a[0], d = a[1];
      for (int64_t j = 1; j < 5; ++j) {
        c = arith::AddIOp::create(b, loc, c, a[2 * j]);
        d = arith::AddIOp::create(b, loc, d, a[2 * j + 1]);
      }
      Value c3 = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, c, c), c);
      return arith::ShRSIOp::create(b, loc, arith::SubIOp::create(b, loc, c3, d), k.splat(lanes, 8));
    }
    // Bit pair j was used in place (4^j * code): every lane of its
    // accumulator is a multiple of 4^j, so the shift back is exact.
    Value dot = a[0];
    for (int64_t j = 1; j < 4; ++j)
      dot = arith::AddIOp::create(b, loc, dot, arith::ShRSIOp::create(b, loc, a[j], k.splat(lanes, 2 * j)));
    return dot;
  };
  d.name = base3 ? "vnni-offset-dot-base3" : tileRows == 16 ? "vnni-offset-dot-tiled" : "avxvnni-offset-dot-tiled";
  return d;
}

TiledDot getAVX512VNNITiledDot(MLIRContext *ctx, bool base3) { return getVNNITiledDot(ctx, 16, base3); }
TiledDot getAVXVNNITiledDot(MLIRContext *ctx) { return getVNNITiledDot(ctx, 8, false); }

} // namespace mlir::tern::kernels

//===- X86AVX2.cpp - AVX2 row-tiled kernels (no VNNI) ---------------------===//
//
// 8-row tiles: one 32-byte load holds 16 trits of 8 rows (4 bytes per row),
// the 4 activation bytes of trit position j are broadcast to every lane, and
// the sums are int16 partial sums (16 lanes: row i in lanes 2i, 2i+1) widened
// into int32 every few groups. Codes are c = trit + 1 in {0, 1, 2}.
//
// `avx2` (the bitnet.cpp I2_S idea on row tiles): vpmaddubsw multiplies the
// unsigned codes by the signed activations and adds byte pairs into int16.
// One vpsrlw by 4 per load gives both nibbles; bit pairs 0 and 2 are masked
// to c, bit pairs 1 and 3 to 4c (in place), so per group two int16 sums,
// A (scale 1) and B (scale 4), take the four products. A group adds at most
// |4 * 2 * 2 * 128| = 4096 to B: 8 groups fit int16 exactly (-32768 is
// reached only by -128 everywhere); vpmaddwd widens 4A + B into int32 once
// per 8 groups, and the sum is shifted back by 2 at the end.
//
// `avx2-select` (multiply-free): c x = select(c != 0, x, 0) + select(c == 2,
// x, 0) on bytes, each widened into the int16 pair sums by shifts (sign
// extension of the low and high byte); 16 groups fit int16 exactly
// (16 * 4 * 4 * 128 = 32768), then the int16 pairs are widened by shifts.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

namespace mlir::tern::kernels {

static std::pair<int64_t, int64_t> avx2Blocking(int64_t m, int64_t tiles) {
  // 2 tiles (16 rows) share each activation broadcast; 2 tokens share each
  // code load. At most 4 int16 accumulators live in the group loop.
  int64_t tokens = blockFor(m, {2, 1});
  return {tokens, tokens == 2 ? 1 : blockFor(tiles, {2, 1})};
}

TiledDot getAVX2TiledDot(MLIRContext *ctx) {
  TiledDot d;
  d.tileRows = 8;
  d.accumulators = 2;
  d.accType = VectorType::get({16}, IntegerType::get(ctx, 16));
  d.blockGroups = 8;
  d.wideAccumulators = 1;
  d.blocking = avx2Blocking;
  d.step = [](OpBuilder &b, Location loc, Value w, ArrayRef<Value> xb, MutableArrayRef<Value> acc) {
    KernelBuilder k{b, loc};
    auto codeBytes = cast<VectorType>(w.getType());
    VectorType words = VectorType::get({16}, b.getI16Type());
    Value high = vector::BitCastOp::create(
        b, loc, codeBytes,
        arith::ShRUIOp::create(b, loc, vector::BitCastOp::create(b, loc, words, w), k.splat(words, 4)));
    for (int64_t j = 0; j < 4; ++j) {
      Value plane = arith::AndIOp::create(b, loc, j < 2 ? w : high, k.splat(codeBytes, j % 2 ? 12 : 3));
      Value x = k.broadcastWord(b, loc, xb[j], codeBytes);
      Value product = k.intrinsic(b, loc, words, "llvm.x86.avx2.pmadd.ub.sw", ValueRange{plane, x});
      acc[j % 2] = arith::AddIOp::create(b, loc, acc[j % 2], product);
    }
  };
  d.widen = [](OpBuilder &b, Location loc, ArrayRef<Value> narrow, MutableArrayRef<Value> wide) {
    KernelBuilder k{b, loc};
    auto words = cast<VectorType>(narrow[0].getType());
    VectorType lanes = VectorType::get({8}, b.getI32Type());
    Value a = k.intrinsic(b, loc, lanes, "llvm.x86.avx2.pmadd.wd", ValueRange{narrow[0], k.splat(words, 4)});
    Value c = k.intrinsic(b, loc, lanes, "llvm.x86.avx2.pmadd.wd", ValueRange{narrow[1], k.splat(words, 1)});
    wide[0] = arith::AddIOp::create(b, loc, wide[0], arith::AddIOp::create(b, loc, a, c));
  };
  d.finish = [](OpBuilder &b, Location loc, ArrayRef<Value> a) -> Value {
    KernelBuilder k{b, loc};
    // 4 sum(c x): exact shift.
    return arith::ShRSIOp::create(b, loc, a[0], k.splat(cast<VectorType>(a[0].getType()), 2));
  };
  d.name = "avx2-pmaddubsw-tiled";
  return d;
}

TiledDot getAVX2SelectTiledDot(MLIRContext *ctx) {
  TiledDot d;
  d.tileRows = 8;
  d.accumulators = 1;
  d.accType = VectorType::get({16}, IntegerType::get(ctx, 16));
  d.blockGroups = 16;
  d.wideAccumulators = 1;
  d.blocking = avx2Blocking;
  d.multiplyFree = true;
  d.step = [](OpBuilder &b, Location loc, Value w, ArrayRef<Value> xb, MutableArrayRef<Value> acc) {
    KernelBuilder k{b, loc};
    auto codeBytes = cast<VectorType>(w.getType());
    VectorType words = VectorType::get({16}, b.getI16Type());
    Value zero = k.splat(codeBytes, 0), eight = k.splat(words, 8);
    // Adds the low and the high byte of each int16 lane, sign-extended.
    auto addPairs = [&](Value sum, Value v) {
      Value vw = vector::BitCastOp::create(b, loc, words, v);
      Value low = arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, vw, eight), eight);
      Value high = arith::ShRSIOp::create(b, loc, vw, eight);
      return arith::AddIOp::create(b, loc, sum, arith::AddIOp::create(b, loc, low, high));
    };
    for (int64_t j = 0; j < 4; ++j) {
      Value plane = arith::AndIOp::create(b, loc, w, k.splat(codeBytes, 3 << (2 * j)));
      Value x = k.broadcastWord(b, loc, xb[j], codeBytes);
      Value nonzero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, plane, zero);
      Value two = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, plane, k.splat(codeBytes, 2 << (2 * j)));
      acc[0] = addPairs(acc[0], arith::SelectOp::create(b, loc, nonzero, x, zero));
      acc[0] = addPairs(acc[0], arith::SelectOp::create(b, loc, two, x, zero));
    }
  };
  d.widen = [](OpBuilder &b, Location loc, ArrayRef<Value> narrow, MutableArrayRef<Value> wide) {
    KernelBuilder k{b, loc};
    VectorType lanes = VectorType::get({8}, b.getI32Type());
    Value sixteen = k.splat(lanes, 16);
    Value v = vector::BitCastOp::create(b, loc, lanes, narrow[0]);
    Value low = arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, v, sixteen), sixteen);
    Value high = arith::ShRSIOp::create(b, loc, v, sixteen);
    wide[0] = arith::AddIOp::create(b, loc, wide[0], arith::AddIOp::create(b, loc, low, high));
  };
  d.finish = [](OpBuilder &, Location, ArrayRef<Value> a) -> Value { return a[0]; };
  d.name = "avx2-select-tiled";
  return d;
}

} // namespace mlir::tern::kernels

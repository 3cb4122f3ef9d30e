//===- KernelBuilder.h - shared pieces of the CPU ternary kernels ---------===//
//
// The kernel families (one file each: X86AVX512VNNI, X86AVXVNNI, X86AVX2,
// SelectAndLUT, AArch64NEON) build on these helpers; TiledKernel.cpp holds
// the loop nest every row-tiled family shares, and a family only supplies
// its arithmetic on one tile (TiledDot).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_CONVERSION_TERNARYTOVECTOR_KERNELBUILDER_H
#define TERN_CONVERSION_TERNARYTOVECTOR_KERNELBUILDER_H

#include "Tern/TernaryKernels.h"
#include "tern/Conversion/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <functional>

namespace mlir::tern::kernels {

constexpr int64_t kLanes = 64;

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

/// The largest of `choices` that divides `n`.
inline int64_t blockFor(int64_t n, std::initializer_list<int64_t> choices) {
  for (int64_t c : choices)
    if (n % c == 0)
      return c;
  return 1;
}

struct KernelBuilder {
  OpBuilder &b;
  Location loc;
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
  /// A call of the LLVM intrinsic `name` returning `type`.
  Value intrinsic(OpBuilder &ob, Location l, Type type, StringRef name, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(ob, l, type, ob.getStringAttr(name), args).getResult(0);
  }
  /// vpdpbusd on 16 (AVX-512 VNNI) or 8 (AVX-VNNI or AVX-512 VL; LLVM picks
  /// the encoding the target has) i32 lanes.
  Value dpbusd(OpBuilder &ob, Location l, Value acc, Value unsignedBytes, Value signedBytes) {
    bool wide = cast<VectorType>(acc.getType()).getNumElements() == 16;
    return intrinsic(ob, l, acc.getType(), wide ? "llvm.x86.avx512.vpdpbusd.512" : "llvm.x86.avx512.vpdpbusd.256",
                     ValueRange{acc, unsignedBytes, signedBytes});
  }
  /// The 4 activation bytes of one trit position (a vector<1xi32>) in every
  /// 32-bit lane of a `type` vector.
  Value broadcastWord(OpBuilder &ob, Location l, Value word, VectorType type) {
    int64_t words = type.getNumElements() * type.getElementTypeBitWidth() / 32;
    Value wide = vector::BroadcastOp::create(ob, l, VectorType::get({words}, ob.getI32Type()), word);
    return vector::BitCastOp::create(ob, l, type, wide);
  }
};

/// A loop over [0, n) in steps of `step`: scf.parallel (OpenMP rows) for
/// large matrices, scf.for otherwise.
Operation *buildRowLoop(OpBuilder &b, Location loc, int64_t n, int64_t step, bool parallel,
                        function_ref<void(OpBuilder &, Location, Value)> body);

/// Collapses a contiguous memref's dims `from..rank-1` into one (null if the
/// layout does not allow it).
Value collapseTrailing(OpBuilder &b, Location loc, Value memref, int64_t from);

/// One row-tiled kernel family's arithmetic (see lowerTiledKernel). Codes
/// are c = trit + 1 in {0, 1, 2}; the family accumulates sum(c x) per row
/// and the shared loop nest subtracts sum(x) once per token.
struct TiledDot {
  /// Rows per tile: the i32 lanes of the result vector.
  int64_t tileRows;
  /// Trit positions per code byte (5: base 3).
  int64_t digits = 4;
  /// Accumulators per (token, tile) in the group loop, and their type.
  int64_t accumulators;
  VectorType accType;
  /// > 0: the group-loop accumulators are narrow (int16) partial sums,
  /// widened every `blockGroups` groups into `wideAccumulators` vectors of
  /// tileRows x i32.
  int64_t blockGroups = 0;
  int64_t wideAccumulators = 0;
  /// Register blocking: tokens and tiles per block for M tokens, T tiles.
  std::function<std::pair<int64_t, int64_t>(int64_t m, int64_t tiles)> blocking;
  /// One group of one tile and token: codes `w` (4R bytes), activation words
  /// `xb[j]` (vector<1xi32>, the 4 bytes of trit position j).
  std::function<void(OpBuilder &, Location, Value w, ArrayRef<Value> xb, MutableArrayRef<Value> acc)> step;
  std::function<void(OpBuilder &, Location, ArrayRef<Value> narrow, MutableArrayRef<Value> wide)> widen;
  /// sum(c x) of the tile's rows (tileRows x i32) from the final accumulators.
  std::function<Value(OpBuilder &, Location, ArrayRef<Value> acc)> finish;
  /// Multiply-free families are marked for tern-verify-no-multiply.
  bool multiplyFree = false;
  /// Printed on the row loop as `tern.ternary_kernel`.
  std::string name;
};

/// The row-tiled loop nest around a family's TiledDot: activations
///   x     memref<M x KC x D x 4 x i8>    (trit k = 4D kc + 4 j + s)
///   codes memref<N/R x KC x R x 4 x i8>  (row R t + i, trit 16 kc + 4 j + s
///                                          at bits 2j of byte 4 i + s)
///   out   memref<M x N/R x R x i32>
LogicalResult lowerTiledKernel(linalg::GenericOp op, const TiledDot &dot);

// The families.
/// AVX-512 VNNI, 16-row tiles (2-bit or base-3 codes).
TiledDot getAVX512VNNITiledDot(MLIRContext *ctx, bool base3);
/// AVX-VNNI, 8-row tiles.
TiledDot getAVXVNNITiledDot(MLIRContext *ctx);
/// AVX2 vpmaddubsw + vpmaddwd, 8-row tiles.
TiledDot getAVX2TiledDot(MLIRContext *ctx);
/// AVX2 multiply-free compare/select with int16 sums, 8-row tiles.
TiledDot getAVX2SelectTiledDot(MLIRContext *ctx);
/// AArch64 dotprod sdot, 16-row tiles.
TiledDot getSDotTiledDot(MLIRContext *ctx);
/// AArch64 armv8.0 NEON widening multiply-accumulate, 16-row tiles.
TiledDot getNEONTiledDot(MLIRContext *ctx);

/// Untiled 64-byte groups: `select` (portable vectors, multiply-free) or
/// `vnni` (AVX-512 VNNI).
LogicalResult lowerGroupKernel(linalg::GenericOp op, bool vnni);
/// The AVX-512 BW lookup-table kernel on 64-row tiles.
LogicalResult lowerLUTKernel(linalg::GenericOp op);

} // namespace mlir::tern::kernels

#endif // TERN_CONVERSION_TERNARYTOVECTOR_KERNELBUILDER_H

//===- SelectAndLUT.cpp - untiled 64-byte-group and lookup-table kernels --===//
//
// Untiled accumulations over 64-byte groups:
//   x     memref<M x G x 4 x 64 x i8>   (activations, trit k = g*256 + j*64 + b)
//   codes memref<N x G x 64 x i8>       (code of trit k at bits 2j of byte b)
//   out   memref<M x N x i32>           (accumulated into)
// become scf.parallel over blocks of R rows; per group one 64-byte load of
// codes per row, decoded four times by shift+mask and combined with the four
// 64-byte activation vectors of the group: `select` (portable vector ops,
// multiply-free; every kernel's fallback for untiled weights) or `vnni`.
// The lookup-table kernel (AVX-512 BW) reads 64-row tiles.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

namespace mlir::tern::kernels {

namespace {
/// The accumulator of one (token, row) pair: 16 i32 lanes for VNNI, 64 for select.
VectorType accType(OpBuilder &b, bool vnni) {
  return VectorType::get({vnni ? 16 : kLanes}, b.getI32Type());
}
/// Codes of bit pair j: (w >> 2j) & 3.
Value decode(KernelBuilder &k, OpBuilder &b, Location loc, Value w, int64_t j) {
  Value shifted = j == 0 ? w : Value(arith::ShRUIOp::create(b, loc, w, k.splat(k.bytes, 2 * j)));
  return arith::AndIOp::create(b, loc, shifted, k.splat(k.bytes, 3));
}
/// acc + select(c == +1 code) x + select(c == -1 code) ~x, widened to i32;
/// -x = ~x + 1 (-x of x = -128 does not fit in a byte), so the caller adds
/// the count of -1 codes, `minusCount` (the popcount of the mask), at the end.
Value selectAccumulate(KernelBuilder &k, OpBuilder &b, Location loc, Value acc, Value code, Value x,
                       Value &minusCount) {
  Value zero = k.splat(k.bytes, 0);
  Value plus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, k.splat(k.bytes, 2));
  Value minus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, zero);
  Value notX = arith::XOrIOp::create(b, loc, x, k.splat(k.bytes, -1));
  Value v = arith::SelectOp::create(b, loc, plus, x, arith::SelectOp::create(b, loc, minus, notX, zero));
  Value bits = vector::ExtractOp::create(
      b, loc, vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getI64Type()), minus), int64_t(0));
  minusCount = arith::AddIOp::create(b, loc, minusCount, math::CtPopOp::create(b, loc, bits));
  Value wide = arith::ExtSIOp::create(b, loc, accType(b, false), v);
  return arith::AddIOp::create(b, loc, acc, wide);
}
} // namespace

LogicalResult lowerGroupKernel(linalg::GenericOp op, bool vnni) {
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
  KernelBuilder k{b, loc};
  // Register blocking: R rows x T tokens of accumulators.
  int64_t tokens = vnni ? blockFor(m, {4, 2, 1}) : 1;
  int64_t rows = blockFor(n, {4, 2, 1});
  // VNNI decode keeps one accumulator per bit pair ("plane") and row: the
  // codes of pair j are used in place as (w & 3 << 2j) = 4^j * code, saving the
  // shifts; the planes are scaled back (exactly, by shifts) after the loop.
  int64_t planes = vnni && tokens == 1 ? 4 : 1;
  Value c0 = k.index(0), c1 = k.index(1);

  // VNNI: sum(x) per token, for the offset correction (dpbusd with all-ones).
  Value xsum;
  if (vnni) {
    xsum = memref::AllocaOp::create(b, loc, MemRefType::get({m}, b.getI32Type()));
    Value ones = k.splat(k.bytes, 1);
    scf::ForOp::create(b, loc, c0, k.index(m), c1, ValueRange{},
                       [&](OpBuilder &nb, Location l, Value t, ValueRange) {
      auto groupLoop = scf::ForOp::create(
          nb, l, c0, k.index(groups), c1, ValueRange{k.splat(accType(b, vnni), 0)},
          [&](OpBuilder &gb, Location gl, Value g, ValueRange acc) {
            Value sum = acc[0];
            for (int64_t j = 0; j < 4; ++j) {
              Value xv = vector::LoadOp::create(gb, gl, k.bytes, x, ValueRange{t, g, k.index(j), c0});
              sum = k.dpbusd(gb, gl, sum, ones, xv);
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
          SmallVector<Value> init(rows * tokens * planes, k.splat(accType(b, vnni), 0));
          // select: then per row the count of -1 codes (see selectAccumulate).
          int64_t counted = rows * tokens * planes;
          if (!vnni)
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
                      a = k.dpbusd(gb, gl, a, plane, xv[0]);
                      continue;
                    }
                    Value code = decode(k, gb, gl, w[r], j);
                    for (int64_t t = 0; t < tokens; ++t) {
                      Value &a = acc[t * rows + r];
                      a = vnni
                              ? k.dpbusd(gb, gl, a, code, xv[t])
                              : selectAccumulate(k, gb, gl, a, code, xv[t], acc[counted + t * rows + r]);
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
              if (!vnni)
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
  int64_t work = m * n * groups * 4 * kLanes * (!vnni ? 8 : 1);
  Operation *loop = buildRowLoop(b, loc, n, rows, work >= kParallelWork,
                                 [&](OpBuilder &pb, Location pl, Value row0) { rowBlock(pb, pl, row0); });
  if (!vnni)
    loop->setAttr(kTernaryAccumulationAttr, b.getUnitAttr());
  loop->setAttr("tern.ternary_kernel",
                    b.getStringAttr(vnni ? "vnni-offset-dot" : "select-add-sub"));
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
  KernelBuilder k{b, loc};
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

} // namespace mlir::tern::kernels

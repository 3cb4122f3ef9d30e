//===- TernaryPacking.h - 2-bit ternary packing and absmean quantization --===//
//
// Plain C++ (no MLIR): the dialect, the runtime and the unit tests share it.
//
// Layout: trit k of a flat row-major array lives in byte k/4, bits
// [2*(k%4), 2*(k%4)+1], stored as the code (trit + 1): 0b00 = -1, 0b01 = 0,
// 0b10 = +1; 0b11 is invalid. Padding trits in the last byte are 0 (0b01).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_SUPPORT_TERNARYPACKING_H
#define TERN_SUPPORT_TERNARYPACKING_H

#include <cstddef>
#include <cstdint>

namespace tern {

/// Bytes needed to pack `n` trits.
constexpr int64_t packedSize(int64_t n) { return (n + 3) / 4; }

/// The 2-bit code of a trit in {-1, 0, 1}.
constexpr uint8_t encodeTrit(int8_t t) { return static_cast<uint8_t>(t + 1); }

/// The trit at flat index `i` (the code must be valid).
inline int8_t tritAt(const uint8_t *packed, int64_t i) {
  return static_cast<int8_t>(((packed[i / 4] >> (2 * (i % 4))) & 3) - 1);
}

/// Packs `n` trits into `packedSize(n)` bytes. Returns false (and writes
/// nothing meaningful) if a value is outside {-1, 0, 1}.
bool packTrits(const int8_t *trits, int64_t n, uint8_t *packed);

/// Unpacks `n` trits. Returns false if a code is 0b11 or a padding trit of
/// the last byte is not 0.
bool unpackTrits(const uint8_t *packed, int64_t n, int8_t *trits);

/// True if `packed` holds `n` valid trits (see unpackTrits) — without
/// unpacking; fast enough to run on every constant of a large model.
bool isValidPacking(const uint8_t *packed, int64_t n);

/// True if every one of the `n` trits is 0.
bool isAllZeroPacking(const uint8_t *packed, int64_t n);

/// Kernel layouts of a [rows, cols] ternary matrix: each row is cut into
/// groups of 4*G trits stored in G bytes; trit k of a row lives in group
/// k / (4G), byte k % G, bits 2*((k / G) % 4) (code = trit + 1, padding 0).
/// G = 1 is the plain row-major packing (trit k at bits 2*(k%4) of byte k/4,
/// rows padded to whole bytes); G = 64 puts 64 consecutive trits in the same
/// bit pair of 64 consecutive bytes, so one shift+mask of a 64-byte vector
/// yields 64 consecutive codes (what the AVX-512 kernels load).
int64_t groupedRowBytes(int64_t cols, int64_t groupBytes);
/// Row tiles (R = `tileRows`, which must divide `rows`): the groups of R
/// consecutive rows are interleaved, group g of row n at byte
/// ((n / R) * groups + g) * R * G + (n % R) * G. R = 16 with G = 4 makes one
/// 64-byte vector hold 16 trits of each of 16 rows: trit k of row n at byte
/// 4 * (n % 16) + k % 4, bits 2 * ((k / 4) % 4), so a kernel broadcasting 4
/// activation bytes gets the 16 rows' sums in 16 lanes (no horizontal adds).
/// R = 1 is the plain grouped layout.
constexpr int64_t kTileRows = 16;
constexpr int64_t kTileGroupBytes = 4;
/// Packs trits (row-major, values in {-1,0,1}) into the grouped layout;
/// `packed` holds rows * groupedRowBytes(cols, groupBytes) bytes.
void packTritsGrouped(const int8_t *trits, int64_t rows, int64_t cols, int64_t groupBytes,
                      uint8_t *packed, int64_t tileRows = 1);

/// The 1.6-bit base-3 row tiles (5 trits per byte): rows in tiles of 16, each
/// row cut into groups of 20 trits stored in 4 bytes; trit k = 20 g + 4 p + s
/// of row n is digit p (0..4) of byte 4 * (n % 16) + s of the 64-byte block
/// (n / 16, g). A byte holds q = sum_p c_p 3^(4-p) (c = trit + 1) stored as
/// q' = ceil(256 q / 243), so that with m_0 = q', m_{p+1} = 3 m_p mod 256
/// (byte additions), c_p = floor(3 m_p / 256) = (3 m_p - m_{p+1}) / 256: the
/// digits never need to be extracted one by one, a dot product with them is
/// (3 dot(m_p, x) - dot(m_{p+1}, x)) / 256 (see tern-ternary-to-vector).
constexpr int64_t kBase3GroupTrits = 20;
/// Groups of 20 trits per row.
constexpr int64_t base3Groups(int64_t cols) { return (cols + kBase3GroupTrits - 1) / kBase3GroupTrits; }
/// The stored byte of five codes c_0..c_4 in {0, 1, 2}.
uint8_t encodeBase3(const uint8_t codes[5]);
/// Packs trits (row-major, rows % 16 == 0) into rows / 16 * base3Groups(cols)
/// 64-byte blocks; padding trits are 0.
void packTritsBase3Tiled(const int8_t *trits, int64_t rows, int64_t cols, uint8_t *packed);

/// The absmean weight scale: s_w = 1 / max(mean(|w|), 1e-5). The mean is
/// accumulated in double so it does not depend on summation order.
float absmeanScale(const float *w, int64_t n);

/// One weight quantized with scale s: clip(round_half_even(w * s), -1, 1).
int8_t quantizeTrit(float w, float scale);

/// Quantizes `n` latent weights to packed trits; returns the scale s_w.
float quantizeAndPack(const float *w, int64_t n, uint8_t *packed);

} // namespace tern

#endif // TERN_SUPPORT_TERNARYPACKING_H

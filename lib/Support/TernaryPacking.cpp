//===- TernaryPacking.cpp - 2-bit ternary packing and quantization --------===//
#include "tern/Support/TernaryPacking.h"

#include <algorithm>
#include <cmath>

namespace tern {

static constexpr uint8_t kZeroByte = 0x55; // four 0-trits (code 0b01 each)

/// Four trits as one byte, trit s in bits 2s..2s+1; sets `bad` on a value
/// outside {-1, 0, 1}. Missing trits (count < 4) are zero codes.
static inline uint8_t packByte(const int8_t *t, int64_t stride, int count, bool &bad) {
  unsigned byte = kZeroByte;
  for (int s = 0; s < count; ++s) {
    unsigned code = encodeTrit(t[s * stride]); // > 2 for a value outside {-1, 0, 1}
    bad |= code > 2;
    byte = (byte & ~(3u << (2 * s))) | (code << (2 * s));
  }
  return static_cast<uint8_t>(byte);
}

// Byte-at-a-time rather than trit-at-a-time: a 1.3B model packs ~1.3 G
// trits per compile, and the per-trit divisions and read-modify-writes were
// a quarter of its compile time.
bool packTrits(const int8_t *trits, int64_t n, uint8_t *packed) {
  bool bad = false;
  int64_t full = n / 4;
  for (int64_t b = 0; b < full; ++b)
    packed[b] = packByte(trits + 4 * b, 1, 4, bad);
  if (int rest = static_cast<int>(n % 4))
    packed[full] = packByte(trits + 4 * full, 1, rest, bad);
  return !bad;
}

bool isValidPacking(const uint8_t *packed, int64_t n) {
  int64_t full = n / 4;
  // A code is 0b11 exactly when both of its bits are set. OR-reduced over
  // blocks with no branch per byte, so the loop vectorizes (every weight
  // attribute is checked once per compile).
  constexpr int64_t kBlock = 4096;
  for (int64_t start = 0; start < full; start += kBlock) {
    int64_t end = std::min(full, start + kBlock);
    uint8_t bad = 0;
    for (int64_t b = start; b < end; ++b)
      bad |= static_cast<uint8_t>(packed[b] & (packed[b] >> 1) & 0x55);
    if (bad)
      return false;
  }
  if (int64_t rest = n % 4) {
    uint8_t v = packed[full];
    for (int64_t k = 0; k < 4; ++k) {
      uint8_t code = (v >> (2 * k)) & 3;
      if (code == 3 || (k >= rest && code != encodeTrit(0)))
        return false;
    }
  }
  return true;
}

bool unpackTrits(const uint8_t *packed, int64_t n, int8_t *trits) {
  if (!isValidPacking(packed, n))
    return false;
  int64_t full = n / 4;
  for (int64_t b = 0; b < full; ++b)
    for (int s = 0; s < 4; ++s)
      trits[4 * b + s] = tritAt(packed + b, s);
  for (int64_t k = 4 * full; k < n; ++k)
    trits[k] = tritAt(packed, k);
  return true;
}

bool isAllZeroPacking(const uint8_t *packed, int64_t n) {
  int64_t bytes = packedSize(n);
  for (int64_t b = 0; b + 1 < bytes; ++b)
    if (packed[b] != kZeroByte)
      return false;
  if (bytes == 0)
    return true;
  // The last byte may hold padding, which is 0 as well.
  return packed[bytes - 1] == kZeroByte;
}

int64_t groupedRowBytes(int64_t cols, int64_t groupBytes) {
  int64_t groupTrits = 4 * groupBytes;
  return (cols + groupTrits - 1) / groupTrits * groupBytes;
}

void packTritsGrouped(const int8_t *trits, int64_t rows, int64_t cols, int64_t groupBytes,
                      uint8_t *packed, int64_t tileRows) {
  int64_t rowBytes = groupedRowBytes(cols, groupBytes);
  int64_t groupTrits = 4 * groupBytes;
  // Padding rows of a partial tile are never written: zero codes.
  std::fill(packed, packed + rows * rowBytes, kZeroByte);
  bool bad = false; // the callers pass valid trits
  for (int64_t n = 0; n < rows; ++n) {
    // Group g of row n: tile n / R, then group g of that tile's R rows.
    uint8_t *tile = packed + (n / tileRows) * tileRows * rowBytes + (n % tileRows) * groupBytes;
    const int8_t *row = trits + n * cols;
    for (int64_t g = 0; g * groupTrits < cols; ++g) {
      uint8_t *out = tile + g * tileRows * groupBytes;
      const int8_t *in = row + g * groupTrits;
      int64_t left = cols - g * groupTrits; // trits of this row in the group
      // Byte b of a group holds the trits b, b + G, b + 2G, b + 3G.
      for (int64_t b = 0; b < groupBytes; ++b) {
        int64_t count = left >= groupTrits ? 4 : (left - b + groupBytes - 1) / groupBytes;
        out[b] = packByte(in + b, groupBytes, static_cast<int>(std::clamp<int64_t>(count, 0, 4)),
                          bad);
      }
    }
  }
  (void)bad;
}

uint8_t encodeBase3(const uint8_t codes[5]) {
  int q = 0;
  for (int p = 0; p < 5; ++p)
    q = q * 3 + codes[p];
  return static_cast<uint8_t>((q * 256 + 242) / 243); // ceil(256 q / 243) <= 255
}

void packTritsBase3Tiled(const int8_t *trits, int64_t rows, int64_t cols, uint8_t *packed) {
  int64_t groups = base3Groups(cols);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t s = 0; s < 4; ++s) {
        uint8_t codes[5];
        for (int64_t p = 0; p < 5; ++p) {
          int64_t k = g * kBase3GroupTrits + 4 * p + s;
          codes[p] = k < cols ? encodeTrit(trits[n * cols + k]) : 1;
        }
        packed[((n / 16) * groups + g) * 64 + 4 * (n % 16) + s] = encodeBase3(codes);
      }
}

float absmeanScale(const float *w, int64_t n) {
  double sum = 0.0;
  for (int64_t k = 0; k < n; ++k)
    sum += std::fabs(static_cast<double>(w[k]));
  float mean = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
  return 1.0f / std::max(mean, 1e-5f);
}

int8_t quantizeTrit(float w, float scale) {
  float r = std::nearbyint(w * scale); // default rounding mode: half to even
  // r is integral (or NaN, which quantizes to 0 rather than to UB).
  if (r >= 1.0f)
    return 1;
  if (r <= -1.0f)
    return -1;
  return 0;
}

float quantizeAndPack(const float *w, int64_t n, uint8_t *packed) {
  float scale = absmeanScale(w, n);
  std::fill(packed, packed + packedSize(n), kZeroByte);
  for (int64_t k = 0; k < n; ++k) {
    int shift = 2 * (k % 4);
    uint8_t &byte = packed[k / 4];
    byte = static_cast<uint8_t>((byte & ~(3u << shift)) |
                                (encodeTrit(quantizeTrit(w[k], scale)) << shift));
  }
  return scale;
}

} // namespace tern

//===- TernaryPackingTest.cpp - 2-bit packing and absmean quantization ----===//
#include "tern/Support/TernaryPacking.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace tern;

namespace {

std::vector<int8_t> roundTrip(const std::vector<int8_t> &trits) {
  std::vector<uint8_t> packed(packedSize(trits.size()));
  EXPECT_TRUE(packTrits(trits.data(), trits.size(), packed.data()));
  EXPECT_TRUE(isValidPacking(packed.data(), trits.size()));
  std::vector<int8_t> out(trits.size(), 42);
  EXPECT_TRUE(unpackTrits(packed.data(), trits.size(), out.data()));
  for (size_t i = 0; i < trits.size(); ++i)
    EXPECT_EQ(tritAt(packed.data(), i), trits[i]) << "index " << i;
  return out;
}

TEST(TernaryPacking, PackedSizeIsTwoBitsPerWeightRoundedUp) {
  EXPECT_EQ(packedSize(0), 0);
  EXPECT_EQ(packedSize(1), 1);
  EXPECT_EQ(packedSize(4), 1);
  EXPECT_EQ(packedSize(5), 2);
  EXPECT_EQ(packedSize(2048LL * 5632), 2048LL * 5632 / 4);
}

TEST(TernaryPacking, ExhaustiveRoundTripUpToNineTrits) {
  for (int n = 0; n <= 9; ++n) {
    int combos = 1;
    for (int i = 0; i < n; ++i)
      combos *= 3;
    for (int c = 0; c < combos; ++c) {
      std::vector<int8_t> trits(n);
      for (int i = 0, v = c; i < n; ++i, v /= 3)
        trits[i] = static_cast<int8_t>(v % 3 - 1);
      ASSERT_EQ(roundTrip(trits), trits) << "n=" << n << " combo=" << c;
    }
  }
}

TEST(TernaryPacking, DocumentedBitLayout) {
  // Trit k sits in byte k/4 at bits 2*(k%4) as code trit+1.
  std::vector<int8_t> trits = {-1, 0, 1, 0, 1};
  std::vector<uint8_t> packed(packedSize(trits.size()));
  ASSERT_TRUE(packTrits(trits.data(), trits.size(), packed.data()));
  EXPECT_EQ(packed[0], 0b01100100); // codes 00, 01, 10, 01 from bit 0 up
  EXPECT_EQ(packed[1], 0b01010110); // code 10, then three zero-trit paddings
}

TEST(TernaryPacking, RandomLargeOddLengths) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> dist(-1, 1);
  for (int64_t n : {1000003LL, 4097LL, 2LL, 3LL}) {
    std::vector<int8_t> trits(n);
    for (auto &t : trits)
      t = static_cast<int8_t>(dist(rng));
    ASSERT_EQ(roundTrip(trits), trits) << "n=" << n;
  }
}

TEST(TernaryPacking, RejectsOutOfRangeValues) {
  std::vector<uint8_t> packed(2);
  for (int8_t bad : {int8_t(2), int8_t(-2), int8_t(127), int8_t(-128)}) {
    std::vector<int8_t> trits = {0, 1, bad, -1, 0};
    EXPECT_FALSE(packTrits(trits.data(), trits.size(), packed.data()));
  }
}

TEST(TernaryPacking, RejectsInvalidCodeAndPadding) {
  std::vector<int8_t> out(5);
  uint8_t invalidCode[2] = {0b01110101, 0b01010101}; // code 0b11 at trit 2
  EXPECT_FALSE(isValidPacking(invalidCode, 5));
  EXPECT_FALSE(unpackTrits(invalidCode, 5, out.data()));
  uint8_t badPadding[2] = {0b01010101, 0b01011001}; // padding trit 1 is +1
  EXPECT_FALSE(isValidPacking(badPadding, 5));
  uint8_t goodPadding[2] = {0b01010101, 0b01010101};
  EXPECT_TRUE(isValidPacking(goodPadding, 5));
  // Every byte value with a 0b11 code in any position is rejected.
  for (int v = 0; v < 256; ++v) {
    uint8_t b = static_cast<uint8_t>(v);
    bool hasThree = false;
    for (int k = 0; k < 4; ++k)
      hasThree |= ((b >> (2 * k)) & 3) == 3;
    EXPECT_EQ(isValidPacking(&b, 4), !hasThree) << "byte " << v;
  }
}

TEST(TernaryPacking, AllZeroDetection) {
  std::vector<int8_t> zeros(13, 0);
  std::vector<uint8_t> packed(packedSize(13));
  ASSERT_TRUE(packTrits(zeros.data(), 13, packed.data()));
  EXPECT_TRUE(isAllZeroPacking(packed.data(), 13));
  zeros[12] = -1;
  ASSERT_TRUE(packTrits(zeros.data(), 13, packed.data()));
  EXPECT_FALSE(isAllZeroPacking(packed.data(), 13));
  EXPECT_TRUE(isAllZeroPacking(nullptr, 0));
}

TEST(TernaryScale, AbsmeanScaleAndClamp) {
  std::vector<float> w = {0.5f, -1.5f, 0.0f, 2.0f}; // mean |w| = 1.0
  EXPECT_FLOAT_EQ(absmeanScale(w.data(), w.size()), 1.0f);
  std::vector<float> small = {1e-7f, -1e-7f};
  EXPECT_FLOAT_EQ(absmeanScale(small.data(), small.size()), 1e5f); // mean clamped to 1e-5
  std::vector<float> zeros(7, 0.0f);
  EXPECT_FLOAT_EQ(absmeanScale(zeros.data(), zeros.size()), 1e5f);
}

TEST(TernaryScale, AbsmeanUsesDoubleAccumulation) {
  // 2^24 + 1 ones: a float accumulator would stall at 2^24.
  std::vector<float> w((1 << 24) + 1, 1.0f);
  EXPECT_FLOAT_EQ(absmeanScale(w.data(), w.size()), 1.0f);
}

TEST(TernaryScale, QuantizeRoundsHalfToEvenAndClips) {
  EXPECT_EQ(quantizeTrit(0.5f, 1.0f), 0);   // tie -> even (0)
  EXPECT_EQ(quantizeTrit(-0.5f, 1.0f), 0);
  EXPECT_EQ(quantizeTrit(0.51f, 1.0f), 1);
  EXPECT_EQ(quantizeTrit(1.5f, 1.0f), 1);   // rounds to 2, clipped to 1
  EXPECT_EQ(quantizeTrit(-2.5f, 1.0f), -1); // rounds to -2, clipped
  EXPECT_EQ(quantizeTrit(1e30f, 1e5f), 1);  // overflow to inf still clips
  EXPECT_EQ(quantizeTrit(std::numeric_limits<float>::quiet_NaN(), 1.0f), 0);
}

TEST(TernaryScale, QuantizeAndPackMatchesElementwise) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> w(1027);
  for (auto &v : w)
    v = dist(rng);
  std::vector<uint8_t> packed(packedSize(w.size()));
  float scale = quantizeAndPack(w.data(), w.size(), packed.data());
  EXPECT_FLOAT_EQ(scale, absmeanScale(w.data(), w.size()));
  ASSERT_TRUE(isValidPacking(packed.data(), w.size()));
  int counts[3] = {0, 0, 0};
  for (size_t i = 0; i < w.size(); ++i) {
    int8_t t = tritAt(packed.data(), i);
    EXPECT_EQ(t, quantizeTrit(w[i], scale)) << i;
    ++counts[t + 1];
  }
  // Gaussian weights at absmean scale give all three values.
  EXPECT_GT(counts[0], 100);
  EXPECT_GT(counts[1], 100);
  EXPECT_GT(counts[2], 100);
}

TEST(TernaryPacking, GroupedLayoutOneIsRowPadded) {
  // G = 1 equals packing each row on its own with packTrits.
  std::mt19937 rng(5);
  const int64_t rows = 3, cols = 10;
  std::vector<int8_t> trits(rows * cols);
  for (auto &t : trits)
    t = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  ASSERT_EQ(groupedRowBytes(cols, 1), 3);
  std::vector<uint8_t> grouped(rows * 3), rowwise(rows * 3);
  packTritsGrouped(trits.data(), rows, cols, 1, grouped.data());
  for (int64_t n = 0; n < rows; ++n)
    ASSERT_TRUE(packTrits(trits.data() + n * cols, cols, rowwise.data() + n * 3));
  EXPECT_EQ(grouped, rowwise);
}

TEST(TernaryPacking, GroupedLayoutSixtyFour) {
  // Trit k of a row: group k/256, byte k%64, bits 2*((k/64)%4).
  std::mt19937 rng(6);
  const int64_t rows = 2, cols = 300; // pads to 512 trits = 2 groups per row
  std::vector<int8_t> trits(rows * cols);
  for (auto &t : trits)
    t = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  ASSERT_EQ(groupedRowBytes(cols, 64), 128);
  std::vector<uint8_t> packed(rows * 128);
  packTritsGrouped(trits.data(), rows, cols, 64, packed.data());
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < 512; ++k) {
      uint8_t byte = packed[n * 128 + (k / 256) * 64 + k % 64];
      int code = (byte >> (2 * ((k / 64) % 4))) & 3;
      int want = k < cols ? trits[n * cols + k] + 1 : 1; // padding is a 0-trit
      ASSERT_EQ(code, want) << "row " << n << " trit " << k;
    }
}

TEST(TernaryPacking, RowTiledLayout) {
  // R = 16, G = 4: trit k of row n in tile n/16, group k/16, byte
  // 4*(n%16) + k%4, bits 2*((k/4)%4); K pads to whole groups with 0-trits.
  std::mt19937 rng(7);
  const int64_t rows = 32, cols = 40; // 3 groups of 16 trits per row
  std::vector<int8_t> trits(rows * cols);
  for (auto &t : trits)
    t = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  ASSERT_EQ(groupedRowBytes(cols, kTileGroupBytes), 12);
  std::vector<uint8_t> packed(rows * 12);
  packTritsGrouped(trits.data(), rows, cols, kTileGroupBytes, packed.data(), kTileRows);
  const int64_t groups = 3;
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < groups * 16; ++k) {
      uint8_t byte = packed[((n / 16) * groups + k / 16) * 64 + 4 * (n % 16) + k % 4];
      int code = (byte >> (2 * ((k / 4) % 4))) & 3;
      int want = k < cols ? trits[n * cols + k] + 1 : 1;
      ASSERT_EQ(code, want) << "row " << n << " trit " << k;
    }
}

TEST(TernaryPacking, Base3DigitsFromByteAdditions) {
  // Every one of the 243 code tuples: m_0 = byte, m_{p+1} = 3 m_p mod 256
  // gives c_p = floor(3 m_p / 256) = (3 m_p - m_{p+1}) / 256.
  for (int q = 0; q < 243; ++q) {
    uint8_t codes[5];
    for (int p = 0, r = q; p < 5; ++p, r /= 3)
      codes[4 - p] = static_cast<uint8_t>(r % 3);
    uint8_t m = encodeBase3(codes);
    for (int p = 0; p < 5; ++p) {
      uint8_t next = static_cast<uint8_t>(m + m + m);
      ASSERT_EQ(3 * m / 256, codes[p]) << "q " << q << " digit " << p;
      ASSERT_EQ(3 * m - next, 256 * codes[p]) << "q " << q << " digit " << p;
      m = next;
    }
  }
}

TEST(TernaryPacking, Base3TiledLayout) {
  std::mt19937 rng(8);
  const int64_t rows = 32, cols = 45; // 3 groups of 20 trits, 15 padding trits
  std::vector<int8_t> trits(rows * cols);
  for (auto &t : trits)
    t = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  ASSERT_EQ(base3Groups(cols), 3);
  std::vector<uint8_t> packed(rows / 16 * 3 * 64);
  packTritsBase3Tiled(trits.data(), rows, cols, packed.data());
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < 60; ++k) {
      int64_t g = k / 20, p = (k % 20) / 4, s = k % 4;
      uint8_t m = packed[((n / 16) * 3 + g) * 64 + 4 * (n % 16) + s];
      for (int64_t i = 0; i < p; ++i)
        m = static_cast<uint8_t>(m + m + m);
      int want = k < cols ? trits[n * cols + k] + 1 : 1;
      ASSERT_EQ(3 * m / 256, want) << "row " << n << " trit " << k;
    }
}

} // namespace

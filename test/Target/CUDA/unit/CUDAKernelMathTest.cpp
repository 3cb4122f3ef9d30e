//===- CUDAKernelMathTest.cpp - the CUDA kernels' ternary MAC on the host --===//
//
// No GPU is needed: the data-layout and multiply-free MAC helpers of
// tern_cuda_kernels.cuh compile on the host with emulated PRMT and DP4A, and
// the compiler's weight packer feeds them. A warp's row dot product is the
// sum over its 32 lanes, which is what tern_warp_sum computes on a GPU.
//
//===----------------------------------------------------------------------===//
#include "tern/Support/TernaryPacking.h"
#include "tern/Target/CUDA/CUDATarget.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

// ---- host versions of the CUDA built-ins the helpers use ----
#define TERN_CUDA_HOST_EMULATION 1
using std::min;
#define __device__
#define __forceinline__ inline
#define __restrict__
struct uint2 { uint32_t x, y; };
struct uint4 { uint32_t x, y, z, w; };
struct int4 { int32_t x, y, z, w; };
static uint2 make_uint2(uint32_t x, uint32_t y) { return uint2{x, y}; }

/// PTX prmt.b32, default mode: result byte i is byte (sel_i & 7) of {b, a}
/// (a = bytes 0-3), or that byte's sign bit replicated when sel_i & 8.
static uint32_t tern_emulated_prmt(uint32_t a, uint32_t b, uint32_t sel) {
  uint64_t in = (uint64_t)b << 32 | a;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t s = (sel >> (4 * i)) & 0xf;
    uint32_t byte = (uint32_t)(in >> (8 * (s & 7))) & 0xff;
    if (s & 8)
      byte = (byte & 0x80) ? 0xff : 0;
    r |= byte << (8 * i);
  }
  return r;
}
/// __dp4a(a, b, c): c + sum of the signed byte products.
static int __dp4a(int a, int b, int c) {
  for (int i = 0; i < 4; ++i)
    c += (int)(int8_t)(a >> (8 * i)) * (int)(int8_t)(b >> (8 * i));
  return c;
}
template <typename T> static T __ldg(const T *p) { return *p; }
template <typename T> static T __ldcs(const T *p) { return *p; }

#include "../../../../lib/Target/CUDA/kernels/tern_cuda_kernels.cuh"

namespace {

struct Case {
  int64_t rows, cols, m;
};

using mlir::tern::CUDAMac;
class KernelMath : public ::testing::TestWithParam<std::tuple<Case, CUDAMac>> {};

/// The warp's R-row x MT-token dot products (tern_rows_dot with K known at
/// compile time), summed over the 32 lanes, against a plain dot product.
template <int MT, int R, int KB>
void checkRowsDot(const Case &c, CUDAMac mac, const std::vector<int8_t> &trits,
                  const std::vector<int8_t> &x, const std::vector<uint4> &words,
                  const std::vector<int32_t> &negcount, const int8_t *xq,
                  const std::vector<int32_t> &xsum) {
  constexpr int64_t kp = 32 * KB;
  for (int64_t n0 = 0; n0 < c.rows; n0 += R) {
    const int rows = static_cast<int>(std::min<int64_t>(R, c.rows - n0));
    for (int64_t m0 = 0; m0 < c.m; m0 += MT) {
      const int mcount = static_cast<int>(std::min<int64_t>(MT, c.m - m0));
      int64_t total[R][MT] = {};
      for (int lane = 0; lane < 32; ++lane) {
        int acc[R][MT];
        for (int r = 0; r < R; ++r)
          for (int t = 0; t < MT; ++t)
            acc[r][t] = lane == 0 && t < mcount && r < rows
                            ? (mac == CUDAMac::DP4A ? xsum[m0 + t] : negcount[n0 + r])
                            : 0;
        const uint4 *w = words.data() + n0 * (KB / 2);
        if (mac == CUDAMac::DP4A)
          tern_rows_dot<MT, R, KB, TERN_MAC_DP4A>(w, rows, xq + m0 * kp, kp, mcount, lane, acc);
        else
          tern_rows_dot<MT, R, KB, TERN_MAC_SELECT>(w, rows, xq + m0 * kp, kp, mcount, lane, acc);
        for (int r = 0; r < R; ++r)
          for (int t = 0; t < MT; ++t)
            total[r][t] += acc[r][t];
      }
      for (int r = 0; r < rows; ++r)
        for (int t = 0; t < mcount; ++t) {
          int64_t want = 0;
          for (int64_t k = 0; k < c.cols; ++k)
            want += trits[(n0 + r) * c.cols + k] * x[(m0 + t) * c.cols + k];
          ASSERT_EQ(total[r][t], want) << "row " << n0 + r << ", token " << m0 + t << ", MT " << MT
                                       << ", R " << R;
        }
    }
  }
}

TEST_P(KernelMath, RowsDotMatchesPlainDotProduct) {
  const Case c = std::get<0>(GetParam());
  const CUDAMac mac = std::get<1>(GetParam());
  std::mt19937 rng(static_cast<unsigned>(c.rows * 131 + c.cols * 7 + c.m));
  std::vector<int8_t> trits(c.rows * c.cols);
  for (int8_t &t : trits)
    t = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  std::vector<uint8_t> packed(tern::packedSize(c.rows * c.cols));
  ASSERT_TRUE(tern::packTrits(trits.data(), c.rows * c.cols, packed.data()));
  std::vector<char> gpu;
  mlir::tern::packTernaryForCUDA(packed, c.rows, c.cols, gpu, mac);
  // An even number of 32-weight blocks per row (two per 128-bit load).
  const int64_t kb = (c.cols + 63) / 64 * 2, kp = 32 * kb;
  ASSERT_EQ(static_cast<int64_t>(gpu.size()), c.rows * kb * 8 + c.rows * 4);
  std::vector<uint4> words(c.rows * kb / 2);
  std::memcpy(words.data(), gpu.data(), words.size() * sizeof(uint4));
  std::vector<int32_t> negcount(c.rows);
  std::memcpy(negcount.data(), gpu.data() + c.rows * kb * 8, c.rows * 4);

  // Activations, with the extremes, written like tern_quant_rows_kernel
  // writes them: interleaved, padding zeroed (int4 storage: the kernels load int4).
  std::vector<int8_t> x(c.m * c.cols);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = i % 17 == 0 ? -128 : i % 13 == 0 ? 127 : static_cast<int8_t>(rng() % 256 - 128);
  std::vector<int4> storage((c.m * kp + 15) / 16);
  auto *xq = reinterpret_cast<int8_t *>(storage.data());
  for (int64_t m = 0; m < c.m; ++m)
    for (int64_t k = 0; k < kp; ++k)
      xq[m * kp + tern_interleaved_pos(k)] = k < c.cols ? x[m * c.cols + k] : 0;

  // -sum(x) per token: what tern_quant_rows_kernel writes for the dp4a MAC.
  std::vector<int32_t> xsum(c.m, 0);
  for (int64_t m = 0; m < c.m; ++m)
    for (int64_t k = 0; k < c.cols; ++k)
      xsum[m] -= x[m * c.cols + k];

  // The (MT, R) pairs the emitter uses, K a template constant as in the
  // generated kernels.
  auto run = [&](auto kbTag) {
    constexpr int KB = decltype(kbTag)::value;
    checkRowsDot<1, 4, KB>(c, mac, trits, x, words, negcount, xq, xsum);
    checkRowsDot<2, 2, KB>(c, mac, trits, x, words, negcount, xq, xsum);
    checkRowsDot<4, 1, KB>(c, mac, trits, x, words, negcount, xq, xsum);
    checkRowsDot<8, 1, KB>(c, mac, trits, x, words, negcount, xq, xsum);
  };
  switch (kb) {
  case 2: run(std::integral_constant<int, 2>()); break;
  case 4: run(std::integral_constant<int, 4>()); break;
  case 36: run(std::integral_constant<int, 36>()); break;
  case 64: run(std::integral_constant<int, 64>()); break;
  case 282: run(std::integral_constant<int, 282>()); break;
  default: FAIL() << "no instantiation for KB = " << kb;
  }
}

// K = 9000: 141 128-bit words per row, so lanes run 5 iterations in chunks
// (some lanes idle in the last); K = 2048 is the 1.3B model's d.
INSTANTIATE_TEST_SUITE_P(Shapes, KernelMath,
                         ::testing::Combine(::testing::Values(Case{5, 37, 1}, Case{20, 32, 3},
                                                              Case{7, 100, 5}, Case{3, 1100, 2},
                                                              Case{16, 16, 1}, Case{9, 2048, 3},
                                                              Case{6, 9000, 2}),
                                            ::testing::Values(CUDAMac::Select, CUDAMac::DP4A)));

TEST(KernelMath, OffsetCodePackingPlacesCodesByByteAndPair) {
  // Weight 32b + 8i + 4h + s has its code c = t + 1 in bits 8i + 2s of word h.
  std::vector<int8_t> trits(32, 0);
  trits[0] = 1;   // i=0 h=0 s=0
  trits[13] = -1; // i=1 h=1 s=1
  trits[31] = 1;  // i=3 h=1 s=3
  std::vector<uint8_t> packed(tern::packedSize(32));
  ASSERT_TRUE(tern::packTrits(trits.data(), 32, packed.data()));
  std::vector<char> gpu;
  mlir::tern::packTernaryForCUDA(packed, 1, 32, gpu, CUDAMac::DP4A);
  const auto *w = reinterpret_cast<const uint32_t *>(gpu.data());
  EXPECT_EQ(w[0], 0x55555556u); // all codes 1, weight 0 code 2
  EXPECT_EQ(w[1], 0x95555155u); // weight 13 code 0 (bits 10-11), weight 31 code 2 (bits 30-31)
  // Rows hold an even number of blocks: the padding block is all zeros (code 1).
  ASSERT_EQ(gpu.size(), 2u * 8 + 4);
  EXPECT_EQ(w[2], 0x55555555u);
  EXPECT_EQ(w[3], 0x55555555u);
}

TEST(KernelMath, SignBytesReplicatesTopBits) {
  EXPECT_EQ(tern_sign_bytes(0x80008000u), 0xff00ff00u);
  EXPECT_EQ(tern_sign_bytes(0x7f7f7f7fu), 0u);
  EXPECT_EQ(tern_sign_bytes(0xffffffffu), 0xffffffffu);
}

TEST(KernelMath, PackerCountsNegativeWeightsAndPads) {
  // One row of 33 weights: 32 in block 0, one in block 1.
  std::vector<int8_t> trits(33, 0);
  trits[0] = 1;
  trits[1] = -1;
  trits[32] = -1;
  std::vector<uint8_t> packed(tern::packedSize(33));
  ASSERT_TRUE(tern::packTrits(trits.data(), 33, packed.data()));
  std::vector<char> gpu;
  mlir::tern::packTernaryForCUDA(packed, 1, 33, gpu, CUDAMac::Select);
  ASSERT_EQ(gpu.size(), 2u * 8 + 4);
  const auto *w = reinterpret_cast<const uint32_t *>(gpu.data());
  EXPECT_EQ(w[0], 0x3u); // non-zero: weights 0 and 1
  EXPECT_EQ(w[1], 0x2u); // negative: weight 1
  EXPECT_EQ(w[2], 0x1u); // block 1: weight 32
  EXPECT_EQ(w[3], 0x1u);
  EXPECT_EQ(reinterpret_cast<const int32_t *>(gpu.data() + 16)[0], 2);
}

} // namespace

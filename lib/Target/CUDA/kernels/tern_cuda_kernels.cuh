//===- tern_cuda_kernels.cuh - the kernel library of Tern's CUDA backend ---===//
//
// Every CUDA artifact `ternc compile --target=cuda` writes starts with this
// file (the compiler embeds it); the generated kernels after it call these
// device functions, and the generated host code launches these kernels.
//
// Data layouts (chosen by the compiler, which packs the weights):
//
// * Ternary weights [N, K]: row n holds KB = TERN_ROW_BLOCKS(K) (ceil(K/32)
//   rounded up to even) blocks of 32 weights;
//   block b is a uint2 {nz, neg}: bit j of `nz` is set when weight 32b+j is
//   non-zero, bit j of `neg` when it is -1 (padding weights are 0).
//   2 bits per weight, like the dialect's packing, but in two bit planes. The
//   N rows are followed by int32 negcount[N]: the number of -1 weights of
//   each row.
// * Quantized activations (the int8 output of act_quant that feeds a tmatmul):
//   rows of KP = 32*KB bytes (the same KB), zero-padded; inside each 32-byte block, byte
//   4s+i holds x[32b + 8i + s] (s = 0..7, i = 0..3). Word s of a block thus
//   holds the four activations that mask bits s, s+8, s+16, s+24 select.
//
// Two ternary MACs, chosen at compile time (ternc --cuda-mac):
//
// select (multiply-free; weights as two bit planes, above). For word s of a block, `w << (7-s)` moves
// mask bits s, s+8, s+16, s+24 to the top bit of each byte; PRMT in sign mode
// (selector 0xBA98) replicates each top bit over its byte, giving byte masks
// zm (weight non-zero) and nm (weight -1). Then
//     v = (x & zm) ^ nm          (one LOP3: x for +1, ~x = -x-1 for -1, 0 for 0)
// and the four signed bytes of v are summed into the accumulator. Summing
// ~x instead of -x undercounts by one per -1 weight; the accumulator starts at
// the row's negcount, which the compiler computed when packing. The byte sum
// is DP4A against the constant 0x01010101: the instruction serves as a
// four-lane signed byte adder, and no weight ever reaches a multiplier (define
// TERN_CUDA_NO_DP4A to sum the bytes with shifts and adds instead).
// About 1.5 integer instructions per weight.
//
// dp4a (offset codes, like the CPU's vnni kernel; not multiply-free): block b
// is a uint2 of 2-bit codes c = t + 1; bits [8i+2s, 8i+2s+1] of word h hold
// the code of weight 32b + 8i + 4h + s, so `(w >> 2s) & 0x03030303` are the
// four codes matching activation word 4h+s of the same interleaved layout,
// and DP4A accumulates c * x. sum(c * x) = sum(t * x) + sum(x): the
// accumulator starts at -sum(x) of the row, which the quantization kernel
// writes next to the scale. About 0.75 instructions per weight.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_CUDA_KERNELS_CUH
#define TERN_CUDA_KERNELS_CUH

// TERN_CUDA_HOST_EMULATION: the unit tests compile the data-layout and
// ternary-MAC helpers on the host (with host versions of PRMT and DP4A) to
// check them against a plain dot product; the kernels need nvcc.
// TERN_CUDA_EMULATION: the whole generated model runs on the CPU
// (tern_cuda_emulation.h, included first).
#if !defined(TERN_CUDA_HOST_EMULATION) && !defined(TERN_CUDA_EMULATION)
#include <cuda_runtime.h>
#endif
#include <math.h>
#include <stdint.h>

#define TERN_WARPS_PER_BLOCK 8
#define TERN_ROW_THREADS 256

// ----------------------------------------------------------------------------
// Small helpers
// ----------------------------------------------------------------------------

__device__ __forceinline__ int tern_bytesum_acc(uint32_t v, int acc) {
#ifdef TERN_CUDA_NO_DP4A
  return acc + (int)(int8_t)(v & 0xff) + (int)(int8_t)((v >> 8) & 0xff) +
         (int)(int8_t)((v >> 16) & 0xff) + (int)(int8_t)(v >> 24);
#else
  return __dp4a((int)v, 0x01010101, acc);
#endif
}

/// Byte mask from the top bit of each byte of `v`: PRMT with selector nibbles
/// 8..B picks bytes 0..3 in sign mode (PTX ISA, prmt default mode). Inline
/// PTX so no compiler folds it with the 3-bit selector of __byte_perm.
__device__ __forceinline__ uint32_t tern_sign_bytes(uint32_t v) {
#if defined(TERN_CUDA_HOST_EMULATION) || defined(TERN_CUDA_EMULATION)
  return tern_emulated_prmt(v, 0u, 0xBA98u);
#else
  uint32_t r;
  asm("prmt.b32 %0, %1, %2, %3;" : "=r"(r) : "r"(v), "r"(0u), "r"(0xBA98u));
  return r;
#endif
}

/// One block of 32 ternary weights against 32 interleaved int8 activations.
__device__ __forceinline__ int tern_block_dot(uint2 w, int4 x0, int4 x1, int acc) {
  const uint32_t xs[8] = {(uint32_t)x0.x, (uint32_t)x0.y, (uint32_t)x0.z, (uint32_t)x0.w,
                          (uint32_t)x1.x, (uint32_t)x1.y, (uint32_t)x1.z, (uint32_t)x1.w};
#pragma unroll
  for (int s = 0; s < 8; ++s) {
    uint32_t zm = tern_sign_bytes(w.x << (7 - s));
    uint32_t nm = tern_sign_bytes(w.y << (7 - s));
    acc = tern_bytesum_acc((xs[s] & zm) ^ nm, acc);
  }
  return acc;
}

/// The same block with offset codes: DP4A of the codes c = t + 1 with x.
__device__ __forceinline__ int tern_block_dot_codes(uint2 w, int4 x0, int4 x1, int acc) {
  const uint32_t xs[8] = {(uint32_t)x0.x, (uint32_t)x0.y, (uint32_t)x0.z, (uint32_t)x0.w,
                          (uint32_t)x1.x, (uint32_t)x1.y, (uint32_t)x1.z, (uint32_t)x1.w};
#pragma unroll
  for (int s = 0; s < 4; ++s) {
    acc = __dp4a((int)((w.x >> (2 * s)) & 0x03030303u), (int)xs[s], acc);
    acc = __dp4a((int)((w.y >> (2 * s)) & 0x03030303u), (int)xs[4 + s], acc);
  }
  return acc;
}

#define TERN_MAC_SELECT 0
#define TERN_MAC_DP4A 1

/// Position of activation k in the interleaved layout.
__device__ __forceinline__ int64_t tern_interleaved_pos(int64_t k) {
  int64_t b = k >> 5;
  int j = (int)(k & 31);
  return 32 * b + 4 * (j & 7) + (j >> 3);
}

/// Weight rows have an even number of 32-weight blocks (zero weights pad
/// them), so one 128-bit load fetches two blocks; activation rows are padded
/// to the same length (64-byte multiples).
#define TERN_ROW_BLOCKS(K) ((((K) + 63) / 64) * 2)

/// Streaming 128-bit load of weights: read once per token, kept out of L1.
__device__ __forceinline__ uint4 tern_load_weights(const uint4 *p) { return __ldcs(p); }

template <int MAC>
__device__ __forceinline__ int tern_block_mac(uint32_t w0, uint32_t w1, int4 x0, int4 x1, int acc) {
  return MAC == TERN_MAC_DP4A ? tern_block_dot_codes(make_uint2(w0, w1), x0, x1, acc)
                              : tern_block_dot(make_uint2(w0, w1), x0, x1, acc);
}

/// Puts the R weight rows a later tern_rows_dot of the same warp reads
/// into L2 now (the second tmatmul of a group: f then i, gate then up), so
/// their DRAM reads overlap the first one's instead of following it.
template <int R, int KB>
__device__ __forceinline__ void tern_rows_prefetch(const uint4 *w, int nrows, int lane) {
#if !defined(TERN_CUDA_HOST_EMULATION) && !defined(TERN_CUDA_EMULATION)
  constexpr int P = KB / 2, ITERS = (P + 31) / 32;
#pragma unroll
  for (int i = 0; i < ITERS; ++i)
#pragma unroll
    for (int r = 0; r < R; ++r)
      asm volatile("prefetch.global.L2 [%0];" ::"l"(w + (int64_t)min(r, nrows - 1) * P +
                                                    min(lane + 32 * i, P - 1)));
#else
  (void)w, (void)nrows, (void)lane;
#endif
}

/// The warp's dot products of R consecutive weight rows (`nrows` of them
/// valid) with MT activation rows (rows m0.. of xq, `mcount` valid). K is a
/// compile-time constant (KB blocks of 32, KB even): the loop unrolls fully.
/// A row is KB/2 128-bit words; lane l takes words l, l+32, ... of every
/// row. Weight loads are issued in chunks of up to 16 per lane before the
/// first MAC of the chunk (all of them for K <= 8192 at R = 4), and each
/// activation load (64 int8) serves all R rows. The caller reduces across
/// the warp.
template <int MT, int R, int KB, int MAC>
__device__ __forceinline__ void tern_rows_dot(const uint4 *__restrict__ w, int nrows,
                                              const int8_t *__restrict__ xq, int64_t xstride,
                                              int mcount, int lane, int (&acc)[R][MT]) {
  static_assert(KB % 2 == 0, "weight rows hold an even number of blocks");
  constexpr int P = KB / 2;             // 128-bit words per row
  constexpr int ITERS = (P + 31) / 32;  // per lane
  constexpr int CHUNK = 16 / R > 0 ? 16 / R : 1;
#pragma unroll
  for (int c0 = 0; c0 < ITERS; c0 += CHUNK) {
    uint4 wv[CHUNK][R];
    // Unconditional loads (a missing row or a lane past the end reads a
    // valid word it then ignores), so that none waits behind a branch.
#pragma unroll
    for (int i = 0; i < CHUNK; ++i) {
      const int p = min(lane + 32 * (c0 + i), P - 1);
#pragma unroll
      for (int r = 0; r < R; ++r)
        if (c0 + i < ITERS)
          wv[i][r] = tern_load_weights(w + (int64_t)min(r, nrows - 1) * P + p);
    }
#pragma unroll
    for (int i = 0; i < CHUNK; ++i) {
      const int p = lane + 32 * (c0 + i);
      if (c0 + i < ITERS && p < P) {
#pragma unroll
        for (int t = 0; t < MT; ++t) {
          if (t < mcount) {
            const int4 *xp = reinterpret_cast<const int4 *>(xq + t * xstride + 64 * (int64_t)p);
            const int4 x0 = __ldg(xp), x1 = __ldg(xp + 1), x2 = __ldg(xp + 2), x3 = __ldg(xp + 3);
#pragma unroll
            for (int r = 0; r < R; ++r) {
              acc[r][t] = tern_block_mac<MAC>(wv[i][r].x, wv[i][r].y, x0, x1, acc[r][t]);
              acc[r][t] = tern_block_mac<MAC>(wv[i][r].z, wv[i][r].w, x2, x3, acc[r][t]);
            }
          }
        }
      }
    }
  }
}

#ifndef TERN_CUDA_HOST_EMULATION
template <int R, int MT> __device__ __forceinline__ void tern_warp_sum(int (&acc)[R][MT]) {
#pragma unroll
  for (int r = 0; r < R; ++r)
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int off = 16; off > 0; off >>= 1)
        acc[r][mt] += __shfl_xor_sync(0xffffffffu, acc[r][mt], off);
}

/// Multiprocessors of the device (set when the launcher initializes): GEMV
/// grids are sized to it.
static int tern_sm_count = 0;

/// A GEMV/GEMM kernel's work is `tasks` warp tasks (R weight rows each).
/// Blocks of 8 warps when that still gives every SM a block, else smaller
/// ones; at most one full wave of 64 warps per SM (the kernel loops over the
/// rest).
inline int tern_gemv_warps(int64_t tasks) {
  const int64_t sms = tern_sm_count > 0 ? tern_sm_count : 1;
  int w = TERN_WARPS_PER_BLOCK;
  while (w > 1 && (tasks + w - 1) / w < sms)
    w /= 2;
  return w;
}
inline unsigned tern_gemv_blocks(int64_t tasks, int w) {
  const int64_t sms = tern_sm_count > 0 ? tern_sm_count : 1;
  int64_t blocks = (tasks + w - 1) / w, wave = sms * (64 / w);
  return (unsigned)(blocks < wave ? blocks : wave);
}

__device__ __forceinline__ float tern_warp_sumf(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

__device__ __forceinline__ float tern_warp_maxf(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

/// Block-wide reductions (blockDim.x a multiple of 32, at most 1024).
__device__ __forceinline__ float tern_block_sumf(float v, float *scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = tern_warp_sumf(v);
  __syncthreads();
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  float r = 0.f;
  for (int i = 0; i < nwarps; ++i)
    r += scratch[i];
  return r;
}

__device__ __forceinline__ int tern_block_sumi(int v, float *scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, off);
  int *iscratch = reinterpret_cast<int *>(scratch);
  __syncthreads();
  if (lane == 0)
    iscratch[warp] = v;
  __syncthreads();
  int r = 0;
  for (int i = 0; i < nwarps; ++i)
    r += iscratch[i];
  return r;
}

__device__ __forceinline__ float tern_block_maxf(float v, float *scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  v = tern_warp_maxf(v);
  __syncthreads();
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  float r = 0.f;
  for (int i = 0; i < nwarps; ++i)
    r = fmaxf(r, scratch[i]);
  return r;
}

__device__ __forceinline__ float tern_sigmoid(float x) {
  // The overflow-free form of the reference: exp never sees a positive argument.
  float z = expf(-fabsf(x));
  return x >= 0.f ? 1.f / (1.f + z) : z / (1.f + z);
}

// ----------------------------------------------------------------------------
// Fused RMSNorm + activation quantization
// ----------------------------------------------------------------------------

/// One quantization reading a shared input row: optional RMSNorm weight,
/// int8 output in the interleaved layout (and/or the natural one), scale.
struct TernQuantOut {
  const float *norm;   ///< RMSNorm weight [K], or null (no weight)
  int8_t *xq;          ///< interleaved [rows, kp], or null
  int8_t *xq_natural;  ///< natural [rows, K], or null
  float *sx;           ///< [rows]
  int32_t *xsum;       ///< [rows]: -sum of the quantized row (dp4a MAC), or null
  float eps;
  int rms;             ///< 1: RMSNorm first (with `norm` when set); 0: quantize x as is
  int bits;
};

#define TERN_MAX_QUANT 4
struct TernQuantGroup {
  TernQuantOut out[TERN_MAX_QUANT];
  int count;
};

/// xn for member `q`: x / sqrt(ms + eps) * w, spelled like the reference.
__device__ __forceinline__ float tern_normed(const TernQuantOut &q, float x, float ms, int64_t k) {
  if (!q.rms)
    return x;
  float y = x / sqrtf(ms + q.eps);
  return q.norm ? y * q.norm[k] : y;
}

/// The row a quantization group reads: x itself, or RMSNorm(x) * w computed
/// on the fly (a pre-norm whose only readers are the group's quantizations,
/// like the block's attn_norm before the MLGRU projections). Generated
/// kernels pass their own source type: the element-wise math feeding the
/// group (e.g. RMSNorm(g) * w_g * SiLU(h) before the MLGRU's o projection).
/// `norm_in` is the tensor whose row RMS `r` the source needs (null: none).
struct TernRowSource {
  const float *x;
  const float *pre_norm; ///< pre-norm weight, or null
  float pre_eps;
  int pre;               ///< 1: value = x / r * pre_norm; 0: value = x
  const float *norm_in;  ///< x when `pre`, else null
  float norm_eps;
  int64_t K;
  __device__ __forceinline__ float operator()(int64_t row, int64_t k, float r) const {
    float v = x[row * K + k];
    if (!pre)
      return v;
    v = v / r;
    return pre_norm ? v * pre_norm[k] : v;
  }
};

/// One block per row: the source row's RMS when it needs one, the mean
/// square of the source once, then per member the absmax of the normalized
/// row and the quantized row. Fuses RMSNorm and act_quant for every BitLinear
/// that reads the same input (and whatever the source computes on the fly).
/// EPT > 0: the row (at most EPT * TERN_QUANT_THREADS elements) is read once
/// into registers and every pass works there (decode rows: K <= 8192);
/// EPT = 0: any K, every pass reads the source again.
#define TERN_QUANT_THREADS 1024
/// One row by the whole block (any multiple of 32 threads): the body of
/// tern_quant_rows_kernel, and of a GEMV kernel whose last block quantizes
/// the rows it produced (see tern_last_block).
template <int EPT, class Src>
__device__ __forceinline__ void tern_quant_row(const Src &src, int64_t row, int64_t K, int64_t kp,
                                               const TernQuantGroup &g, float *scratch) {
  const int64_t tid = threadIdx.x, nt = blockDim.x;
  float r = 1.f;
  if (src.norm_in) {
    const float *nr = src.norm_in + row * K;
    float ss0 = 0.f;
    for (int64_t k = tid; k < K; k += nt)
      ss0 += nr[k] * nr[k];
    r = sqrtf(tern_block_sumf(ss0, scratch) / (float)K + src.norm_eps);
  }
  float v[EPT > 0 ? EPT : 1];
  float ss = 0.f;
  if (EPT > 0) {
#pragma unroll
    for (int j = 0; j < (EPT > 0 ? EPT : 1); ++j) {
      int64_t k = tid + j * nt;
      v[j] = k < K ? src(row, k, r) : 0.f;
      ss += v[j] * v[j];
    }
  } else {
    for (int64_t k = tid; k < K; k += nt) {
      float x = src(row, k, r);
      ss += x * x;
    }
  }
  float ms = tern_block_sumf(ss, scratch) / (float)K;
  for (int q = 0; q < g.count; ++q) {
    const TernQuantOut &o = g.out[q];
    float amax = 0.f;
    if (EPT > 0) {
#pragma unroll
      for (int j = 0; j < (EPT > 0 ? EPT : 1); ++j) {
        int64_t k = tid + j * nt;
        if (k < K)
          amax = fmaxf(amax, fabsf(tern_normed(o, v[j], ms, k)));
      }
    } else {
      for (int64_t k = tid; k < K; k += nt)
        amax = fmaxf(amax, fabsf(tern_normed(o, src(row, k, r), ms, k)));
    }
    amax = tern_block_maxf(amax, scratch);
    const float qmax = (float)((1 << (o.bits - 1)) - 1), qmin = -(float)(1 << (o.bits - 1));
    const float s = qmax / fmaxf(amax, 1e-5f);
    if (tid == 0)
      o.sx[row] = s;
    int sum = 0;
    auto store = [&](int64_t k, float x) {
      int8_t q8 = (int8_t)fminf(fmaxf(rintf(tern_normed(o, x, ms, k) * s), qmin), qmax);
      sum += q8;
      if (o.xq_natural)
        o.xq_natural[row * K + k] = q8;
      if (o.xq)
        o.xq[row * kp + tern_interleaved_pos(k)] = q8;
    };
    if (EPT > 0) {
#pragma unroll
      for (int j = 0; j < (EPT > 0 ? EPT : 1); ++j) {
        int64_t k = tid + j * nt;
        if (k < K)
          store(k, v[j]);
      }
    } else {
      for (int64_t k = tid; k < K; k += nt)
        store(k, src(row, k, r));
    }
    if (o.xq)
      for (int64_t k = K + tid; k < kp; k += nt)
        o.xq[row * kp + tern_interleaved_pos(k)] = 0;
    if (o.xsum) {
      sum = tern_block_sumi(sum, scratch);
      if (tid == 0)
        o.xsum[row] = -sum;
    }
  }
}

template <int EPT, class Src>
__global__ void __launch_bounds__(TERN_QUANT_THREADS)
tern_quant_rows_kernel(Src src, int64_t K, int64_t kp, TernQuantGroup g) {
  __shared__ float scratch[32];
  tern_quant_row<EPT>(src, (int64_t)blockIdx.x, K, kp, g, scratch);
}

/// True in the last block of the grid to finish (every block calls it after
/// its stores): the block that may then read what all blocks wrote. The
/// counter is zero before the launch and zero again after it (graph replay).
__device__ __forceinline__ bool tern_last_block(unsigned *counter) {
  __shared__ int last;
  __syncthreads();
  if (threadIdx.x == 0) {
    __threadfence(); // this block's stores are visible before it is counted
    const unsigned total = gridDim.x * gridDim.y * gridDim.z;
    last = atomicAdd(counter, 1u) == total - 1;
    if (last)
      *counter = 0;
  }
  __syncthreads();
  if (last)
    __threadfence();
  return last;
}

/// The common case: quantize rows of x (optionally pre-normalized).
inline TernRowSource tern_row_source(const float *x, int64_t K, const float *pre_norm = nullptr,
                                            float pre_eps = 0.f, int pre = 0) {
  TernRowSource s;
  s.x = x;
  s.pre_norm = pre_norm;
  s.pre_eps = pre_eps;
  s.pre = pre;
  s.norm_in = pre ? x : nullptr;
  s.norm_eps = pre_eps;
  s.K = K;
  return s;
}

/// Standalone RMSNorm, one block per row: y = x / sqrt(mean(x^2) + eps) * w.
__global__ void __launch_bounds__(TERN_ROW_THREADS)
tern_rmsnorm_kernel(const float *__restrict__ x, const float *__restrict__ w, float *__restrict__ y,
                    int64_t K, float eps) {
  __shared__ float scratch[32];
  const int64_t row = blockIdx.x;
  const float *xr = x + row * K;
  float ss = 0.f;
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x)
    ss += xr[k] * xr[k];
  float r = sqrtf(tern_block_sumf(ss, scratch) / (float)K + eps);
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
    float v = xr[k] / r;
    y[row * K + k] = w ? v * w[k] : v;
  }
}

/// Natural int8 rows [rows, K] -> the interleaved, padded layout (for
/// tmatmul inputs that do not come from a fused quantization).
/// With `xsum` (zeroed by the caller), also -sum(x) per row for the dp4a MAC.
__global__ void tern_interleave_kernel(const int8_t *__restrict__ x, int8_t *__restrict__ y,
                                       int64_t rows, int64_t K, int64_t kp,
                                       int32_t *__restrict__ xsum) {
  int64_t total = rows * kp;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    int64_t row = i / kp, k = i % kp;
    int8_t v = k < K ? x[row * K + k] : (int8_t)0;
    y[row * kp + tern_interleaved_pos(k)] = v;
    if (xsum && v)
      atomicSub(&xsum[row], (int)v);
  }
}

// ----------------------------------------------------------------------------
// Data movement
// ----------------------------------------------------------------------------

#define TERN_MAX_RANK 8
/// dst[i] = src[offset + sum(idx_d * stride_d)] over the dense index space
/// `shape` of dst; element size in bytes 1, 2, 4 or 8.
struct TernStridedCopy {
  int64_t shape[TERN_MAX_RANK];
  int64_t src_strides[TERN_MAX_RANK];
  int64_t dst_strides[TERN_MAX_RANK];
  int rank;
};

template <typename T>
__global__ void tern_strided_copy_kernel(const T *__restrict__ src, T *__restrict__ dst,
                                         int64_t total, TernStridedCopy c) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    int64_t rem = i, so = 0, dof = 0;
    for (int d = c.rank - 1; d >= 0; --d) {
      int64_t idx = rem % c.shape[d];
      rem /= c.shape[d];
      so += idx * c.src_strides[d];
      dof += idx * c.dst_strides[d];
    }
    dst[dof] = src[so];
  }
}

// ----------------------------------------------------------------------------
// Run-time index checks (tern.index_check)
// ----------------------------------------------------------------------------

/// The first out-of-range index of a run: `check` is the failing check's
/// number + 1 (0: none). Lives in the arena, cleared at the start of every
/// run; the launcher reads it back with the outputs (no extra sync).
struct TernIndexError {
  long long check, index;
};

/// Scans n indices in one block: the first outside [-dim, dim) is recorded,
/// unless an earlier check of this run already failed. One block, so the
/// lowest position wins on every run (as on the CPU) and the record needs no
/// global atomics; index tensors are small (token ids).
template <typename T>
__global__ void __launch_bounds__(TERN_ROW_THREADS)
tern_index_check_kernel(const T *__restrict__ idx, int64_t n, int64_t dim, int check,
                        TernIndexError *e) {
  __shared__ unsigned long long first;
  if (e->check != 0) // written only by earlier launches: the same for all threads
    return;
  if (threadIdx.x == 0)
    first = (unsigned long long)n;
  __syncthreads();
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const int64_t v = (int64_t)idx[i];
    if (v < -dim || v >= dim) {
      atomicMin(&first, (unsigned long long)i);
      break;
    }
  }
  __syncthreads();
  if (threadIdx.x == 0 && first < (unsigned long long)n) {
    e->index = (long long)idx[first];
    e->check = check + 1;
  }
}

template <typename T>
__global__ void tern_fill_kernel(T *__restrict__ dst, T value, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    dst[i] = value;
}

/// Grid size for grid-stride element-wise kernels.
inline unsigned tern_grid_for(int64_t n, int threads) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks < 1)
    blocks = 1;
  if (blocks > 65535 * 8)
    blocks = 65535 * 8;
  return (unsigned)blocks;
}

#endif // TERN_CUDA_HOST_EMULATION

#endif // TERN_CUDA_KERNELS_CUH

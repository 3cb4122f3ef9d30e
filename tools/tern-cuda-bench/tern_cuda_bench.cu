//===- tern_cuda_bench.cu - speed of Tern's CUDA kernels and models --------===//
//
//   tern-cuda-bench gemv --rows R --cols C [--batch B] [--iters N] [--peak-gbs G]
//   tern-cuda-bench decode --model model.so [--steps N] [--peak-gbs G]
//   tern-cuda-bench dense-decode --config 370m|1.3b|2.7b [--batch B] [--iters N]
//
// gemv: the backend's ternary GEMV kernel (the library's tern_row_dot, one
// warp per output row, epilogue = rescale, exactly what the emitter generates
// for a BitLinear) over enough copies of the weights to defeat the L2 cache,
// against cuBLAS fp16 (cublasGemmEx) on the same shape. Reports GB/s of
// weights read and the fraction of the GPU's peak DRAM bandwidth.
// decode: a model compiled by `ternc compile --target=cuda` (e.g. from
// test/Target/CUDA/models.py 1.3b --no-embed), steps through
// tern_model_run_device back to back on one stream; tokens/s.
// dense-decode: cuBLAS fp16 GEMVs of the same config's matrices per token
// (four d x d, 2I x d, d x I per layer, the V x d head): the dense baseline
// (its element-wise work left out, so it favours the baseline).
//
// Build (tools/tern-cuda-bench/run.sh does): nvcc -O3 -std=c++17
//   -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90
//   -I lib/Target/CUDA/kernels tern_cuda_bench.cu -lcublas -ldl
// Each result is one JSON line. Never used as a test.
//
//===----------------------------------------------------------------------===//
#include "tern_cuda_kernels.cuh"

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    cudaError_t e_ = (x);                                                                          \
    if (e_ != cudaSuccess) {                                                                       \
      fprintf(stderr, "tern-cuda-bench: %s: %s\n", #x, cudaGetErrorString(e_));                    \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)
#define CHECK_BLAS(x)                                                                              \
  do {                                                                                             \
    cublasStatus_t s_ = (x);                                                                       \
    if (s_ != CUBLAS_STATUS_SUCCESS) {                                                             \
      fprintf(stderr, "tern-cuda-bench: %s: cuBLAS status %d\n", #x, (int)s_);                     \
      exit(1);                                                                                     \
    }                                                                                              \
  } while (0)

/// The GEMV of a BitLinear as the emitter generates it (MT rows per warp):
/// `corr` is the row's -1 count (select MAC) or the token's -sum(x) (dp4a).
template <int MT, int MAC>
__global__ void __launch_bounds__(TERN_WARPS_PER_BLOCK * 32)
bench_gemv(const int8_t *__restrict__ xq, const uint2 *__restrict__ w,
           const int32_t *__restrict__ corr, const float *__restrict__ sx, float sw,
           float *__restrict__ y, int64_t M, int64_t N, int kb) {
  const int lane = threadIdx.x & 31;
  const int64_t n = (int64_t)blockIdx.x * TERN_WARPS_PER_BLOCK + (threadIdx.x >> 5);
  if (n >= N)
    return;
  const int64_t m0 = (int64_t)blockIdx.y * MT;
  const int mcount = (int)min((int64_t)MT, M - m0);
  const int64_t kp = 32 * (int64_t)kb;
  int a[MT];
#pragma unroll
  for (int t = 0; t < MT; ++t)
    a[t] = lane == 0 && t < mcount ? (MAC == TERN_MAC_DP4A ? corr[m0 + t] : corr[n]) : 0;
  tern_row_dot<MT, MAC>(w + n * kb, xq + m0 * kp, kp, mcount, kb, lane, a);
  tern_warp_sum<MT>(a);
#pragma unroll
  for (int t = 0; t < MT; ++t)
    if (lane == t && t < mcount)
      y[(m0 + t) * N + n] = (float)a[t] / (sx[m0 + t] * sw);
}

struct Args {
  std::map<std::string, std::string> v;
  std::string get(const std::string &k, const std::string &d) const {
    auto it = v.find(k);
    return it == v.end() ? d : it->second;
  }
  long long num(const std::string &k, long long d) const { return std::stoll(get(k, std::to_string(d))); }
};

static double peakGBs(const Args &args) {
  double given = std::stod(args.get("peak-gbs", "0"));
  if (given > 0)
    return given;
  int dev = 0, clockKHz = 0, busBits = 0;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&clockKHz, cudaDevAttrMemoryClockRate, dev);
  cudaDeviceGetAttribute(&busBits, cudaDevAttrGlobalMemoryBusWidth, dev);
  return 2.0 * clockKHz * 1e3 * (busBits / 8.0) / 1e9; // DDR: two transfers per clock
}

static void printDevice() {
  int dev = 0;
  cudaDeviceProp p;
  CHECK(cudaGetDevice(&dev));
  CHECK(cudaGetDeviceProperties(&p, dev));
  printf("{\"device\": \"%s\", \"sm\": \"%d.%d\", \"sms\": %d, \"l2_bytes\": %d, \"memory_gb\": %.1f}\n",
         p.name, p.major, p.minor, p.multiProcessorCount, p.l2CacheSize, p.totalGlobalMem / 1e9);
}

static int l2Bytes() {
  int dev = 0, l2 = 0;
  cudaGetDevice(&dev);
  cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev);
  return l2;
}

/// Random ternary weights (P(-1) = P(0) = P(+1)) in both GPU layouts: bit
/// planes (select MAC) and offset codes (dp4a MAC), as the compiler packs them.
static void randomWeights(std::mt19937_64 &rng, int64_t rows, int64_t cols, std::vector<int8_t> &trits,
                          std::vector<uint2> &masks, std::vector<uint2> &codes,
                          std::vector<int32_t> &negcount) {
  int64_t kb = (cols + 31) / 32;
  trits.assign(rows * cols, 0);
  masks.assign(rows * kb, make_uint2(0, 0));
  codes.assign(rows * kb, make_uint2(0x55555555u, 0x55555555u));
  negcount.assign(rows, 0);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k) {
      int t = (int)(rng() % 3) - 1;
      trits[n * cols + k] = (int8_t)t;
      int j = (int)(k % 32), bi = j / 8, h = (j % 8) / 4, sh = j % 4;
      uint32_t &cw = h ? codes[n * kb + k / 32].y : codes[n * kb + k / 32].x;
      cw = (cw & ~(3u << (8 * bi + 2 * sh))) | ((uint32_t)(t + 1) << (8 * bi + 2 * sh));
      if (!t)
        continue;
      uint32_t bit = 1u << (k % 32);
      masks[n * kb + k / 32].x |= bit;
      if (t < 0) {
        masks[n * kb + k / 32].y |= bit;
        ++negcount[n];
      }
    }
}

static int gemv(const Args &args) {
  const int64_t R = args.num("rows", 2560), C = args.num("cols", 6912), B = args.num("batch", 1);
  const int iters = (int)args.num("iters", 200);
  const int64_t kb = (C + 31) / 32, kp = 32 * kb;
  const int64_t bytes = R * kb * 8 + R * 4;
  // Enough copies that the weights of consecutive launches never sit in L2.
  const int copies = (int)std::max<int64_t>(2, (4LL * l2Bytes()) / bytes + 1);
  std::mt19937_64 rng(42);
  std::vector<int8_t> trits;
  std::vector<uint2> masks, codes;
  std::vector<int32_t> neg;
  randomWeights(rng, R, C, trits, masks, codes, neg);
  std::vector<int8_t> x(B * kp, 0), xn(B * C);
  std::vector<int32_t> xsum(B, 0);
  for (int64_t m = 0; m < B; ++m)
    for (int64_t k = 0; k < C; ++k) {
      int8_t v = (int8_t)(rng() % 255 - 127);
      xn[m * C + k] = v;
      int j = (int)(k & 31);
      x[m * kp + 32 * (k / 32) + 4 * (j & 7) + (j >> 3)] = v;
      xsum[m] -= v;
    }
  std::vector<float> sx(B, 0.5f);
  char *dw = nullptr, *dc = nullptr;
  int8_t *dx = nullptr;
  int32_t *dsum = nullptr;
  float *dsx = nullptr, *dy = nullptr;
  CHECK(cudaMalloc(&dw, bytes * copies));
  CHECK(cudaMalloc(&dc, bytes * copies));
  CHECK(cudaMalloc(&dx, x.size()));
  CHECK(cudaMalloc(&dsum, B * 4));
  CHECK(cudaMalloc(&dsx, B * sizeof(float)));
  CHECK(cudaMalloc(&dy, B * R * sizeof(float)));
  for (int c = 0; c < copies; ++c) {
    CHECK(cudaMemcpy(dw + c * bytes, masks.data(), R * kb * 8, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dw + c * bytes + R * kb * 8, neg.data(), R * 4, cudaMemcpyHostToDevice));
    CHECK(cudaMemcpy(dc + c * bytes, codes.data(), R * kb * 8, cudaMemcpyHostToDevice));
  }
  CHECK(cudaMemcpy(dx, x.data(), x.size(), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(dsum, xsum.data(), B * 4, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(dsx, sx.data(), B * sizeof(float), cudaMemcpyHostToDevice));
  const int mt = B <= 1 ? 1 : B <= 2 ? 2 : B <= 4 ? 4 : 8;
  dim3 grid((unsigned)((R + 7) / 8), (unsigned)((B + mt - 1) / mt));
  auto launch = [&](int mac, int c, cudaStream_t s) {
    const uint2 *w = (const uint2 *)((mac ? dc : dw) + c * bytes);
    const int32_t *corr = mac ? dsum : (const int32_t *)(dw + c * bytes + R * kb * 8);
#define TERN_BENCH_LAUNCH(MT)                                                                      \
  if (mac)                                                                                         \
    bench_gemv<MT, TERN_MAC_DP4A><<<grid, 256, 0, s>>>(dx, w, corr, dsx, 2.f, dy, B, R, (int)kb);   \
  else                                                                                             \
    bench_gemv<MT, TERN_MAC_SELECT><<<grid, 256, 0, s>>>(dx, w, corr, dsx, 2.f, dy, B, R, (int)kb);
    switch (mt) {
    case 1: TERN_BENCH_LAUNCH(1) break;
    case 2: TERN_BENCH_LAUNCH(2) break;
    case 4: TERN_BENCH_LAUNCH(4) break;
    default: TERN_BENCH_LAUNCH(8) break;
    }
#undef TERN_BENCH_LAUNCH
  };
  cudaStream_t s;
  CHECK(cudaStreamCreate(&s));
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  double perLaunch[2] = {0, 0};
  for (int mac = 0; mac < 2; ++mac) {
    // Check some rows against the host before timing.
    launch(mac, 0, s);
    CHECK(cudaStreamSynchronize(s));
    std::vector<float> y(B * R);
    CHECK(cudaMemcpy(y.data(), dy, y.size() * sizeof(float), cudaMemcpyDeviceToHost));
    for (int64_t n = 0; n < std::min<int64_t>(R, 64); ++n) {
      int64_t want = 0;
      for (int64_t k = 0; k < C; ++k)
        want += trits[n * C + k] * xn[k];
      if (y[n] != (float)want) {
        fprintf(stderr, "tern-cuda-bench: GEMV (%s) row %lld: got %g, want %g\n",
                mac ? "dp4a" : "select", (long long)n, y[n], (float)want);
        return 1;
      }
    }
    // Timed: `iters` launches over rotating copies, captured in a graph.
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < iters; ++i)
      launch(mac, i % copies, s);
    CHECK(cudaStreamEndCapture(s, &graph));
    CHECK(cudaGraphInstantiate(&exec, graph, 0));
    CHECK(cudaGraphLaunch(exec, s)); // warm-up
    CHECK(cudaEventRecord(e0, s));
    CHECK(cudaGraphLaunch(exec, s));
    CHECK(cudaEventRecord(e1, s));
    CHECK(cudaEventSynchronize(e1));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, e0, e1));
    perLaunch[mac] = ms / 1e3 / iters;
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
  }
  const double peak = peakGBs(args);

  // cuBLAS fp16 on the same shape: y[B, R] = x[B, C] W^T, W [R, C] fp16.
  const int64_t dbytes = R * C * 2;
  const int dcopies = (int)std::max<int64_t>(2, (4LL * l2Bytes()) / dbytes + 1);
  __half *dW = nullptr, *dX = nullptr, *dY = nullptr;
  CHECK(cudaMalloc(&dW, dbytes * dcopies));
  CHECK(cudaMalloc(&dX, B * C * 2));
  CHECK(cudaMalloc(&dY, B * R * 2));
  CHECK(cudaMemset(dW, 0, dbytes * dcopies));
  CHECK(cudaMemset(dX, 0, B * C * 2));
  cublasHandle_t h;
  CHECK_BLAS(cublasCreate(&h));
  CHECK_BLAS(cublasSetStream(h, s));
  const float one = 1.f, zero = 0.f;
  auto dense = [&](int c) {
    // Column-major view: Y^T [R, B] = W^T' [R, C] * X^T [C, B] (W row-major is C x R col-major).
    CHECK_BLAS(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)R, (int)B, (int)C, &one,
                            dW + (size_t)c * R * C, CUDA_R_16F, (int)C, dX, CUDA_R_16F, (int)C,
                            &zero, dY, CUDA_R_16F, (int)R, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT));
  };
  for (int i = 0; i < 3; ++i)
    dense(i % dcopies);
  CHECK(cudaEventRecord(e0, s));
  for (int i = 0; i < iters; ++i)
    dense(i % dcopies);
  CHECK(cudaEventRecord(e1, s));
  CHECK(cudaEventSynchronize(e1));
  float dms = 0;
  CHECK(cudaEventElapsedTime(&dms, e0, e1));
  double dPer = dms / 1e3 / iters;
  for (int mac = 0; mac < 2; ++mac) {
    double gbs = bytes / perLaunch[mac] / 1e9;
    printf("{\"bench\": \"gemv\", \"mac\": \"%s\", \"rows\": %lld, \"cols\": %lld, \"batch\": %lld, "
           "\"ternary_us\": %.2f, \"ternary_weight_gbs\": %.1f, \"peak_gbs\": %.0f, "
           "\"fraction_of_peak\": %.3f, \"ternary_gops\": %.0f, \"cublas_fp16_us\": %.2f, "
           "\"cublas_fp16_gbs\": %.1f, \"speedup_vs_fp16\": %.2f, \"weight_copies\": %d}\n",
           mac ? "dp4a" : "select", (long long)R, (long long)C, (long long)B,
           perLaunch[mac] * 1e6, gbs, peak, gbs / peak, 2.0 * R * C * B / perLaunch[mac] / 1e9,
           dPer * 1e6, dbytes / dPer / 1e9, dPer / perLaunch[mac], copies);
  }
  cublasDestroy(h);
  return 0;
}

typedef struct {
  const char *name;
  int32_t dtype;
  int32_t rank;
  const int64_t *shape;
} info_t;

static int decode(const Args &args) {
  std::string path = args.get("model", "");
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "tern-cuda-bench: cannot load %s: %s\n", path.c_str(), dlerror());
    return 1;
  }
  auto numIn = (int (*)())dlsym(lib, "tern_model_num_inputs");
  auto numOut = (int (*)())dlsym(lib, "tern_model_num_outputs");
  auto inInfo = (const info_t *(*)(int))dlsym(lib, "tern_model_input_info");
  auto outInfo = (const info_t *(*)(int))dlsym(lib, "tern_model_output_info");
  auto init = (int (*)(char *, size_t))dlsym(lib, "tern_model_init");
  auto runDev = (int (*)(const void *const *, int, void *const *, int, void *, char *, size_t))dlsym(
      lib, "tern_model_run_device");
  if (!numIn || !runDev || !init) {
    fprintf(stderr, "tern-cuda-bench: %s is not a Tern CUDA model\n", path.c_str());
    return 1;
  }
  char err[512] = {0};
  if (init(err, sizeof err)) {
    fprintf(stderr, "tern-cuda-bench: %s\n", err);
    return 1;
  }
  static const int sizes[] = {4, 8, 8, 4, 1, 1};
  std::vector<void *> in(numIn()), out(numOut());
  int64_t batch = 1;
  for (int i = 0; i < numIn(); ++i) {
    const info_t *t = inInfo(i);
    int64_t n = 1;
    for (int d = 0; d < t->rank; ++d)
      n *= t->shape[d];
    if (i == 0 && t->rank >= 1)
      batch = t->shape[0];
    CHECK(cudaMalloc(&in[i], n * sizes[t->dtype]));
    CHECK(cudaMemset(in[i], 0, n * sizes[t->dtype]));
  }
  for (int i = 0; i < numOut(); ++i) {
    const info_t *t = outInfo(i);
    int64_t n = 1;
    for (int d = 0; d < t->rank; ++d)
      n *= t->shape[d];
    CHECK(cudaMalloc(&out[i], n * sizes[t->dtype]));
  }
  cudaStream_t s;
  CHECK(cudaStreamCreate(&s));
  const int steps = (int)args.num("steps", 200);
  for (int i = 0; i < 5; ++i)
    if (runDev(in.data(), (int)in.size(), out.data(), (int)out.size(), s, err, sizeof err)) {
      fprintf(stderr, "tern-cuda-bench: %s\n", err);
      return 1;
    }
  CHECK(cudaStreamSynchronize(s));
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  CHECK(cudaEventRecord(e0, s));
  for (int i = 0; i < steps; ++i)
    runDev(in.data(), (int)in.size(), out.data(), (int)out.size(), s, err, sizeof err);
  CHECK(cudaEventRecord(e1, s));
  CHECK(cudaEventSynchronize(e1));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, e0, e1));
  double per = ms / 1e3 / steps;
  printf("{\"bench\": \"decode\", \"model\": \"%s\", \"batch\": %lld, \"step_us\": %.1f, "
         "\"tokens_per_s\": %.1f}\n",
         path.c_str(), (long long)batch, per * 1e6, batch / per);
  return 0;
}

static int denseDecode(const Args &args) {
  std::string cfg = args.get("config", "1.3b");
  int64_t d = 2048, L = 24, V = 32000;
  if (cfg == "370m") d = 1024, L = 24;
  else if (cfg == "2.7b") d = 2560, L = 32;
  const int64_t I = 256 * ((8 * d + 3 * 256 - 1) / (3 * 256)), B = args.num("batch", 1);
  struct Mat { int64_t r, c; };
  std::vector<Mat> mats;
  for (int64_t l = 0; l < L; ++l) {
    for (int j = 0; j < 4; ++j)
      mats.push_back({d, d});
    mats.push_back({2 * I, d});
    mats.push_back({d, I});
  }
  mats.push_back({V, d});
  size_t total = 0;
  std::vector<size_t> off;
  for (auto &m : mats) {
    off.push_back(total);
    total += (size_t)m.r * m.c;
  }
  __half *W = nullptr, *X = nullptr, *Y = nullptr;
  CHECK(cudaMalloc(&W, total * 2));
  CHECK(cudaMemset(W, 0, total * 2));
  CHECK(cudaMalloc(&X, B * std::max(V, 2 * I) * 2));
  CHECK(cudaMalloc(&Y, B * std::max(V, 2 * I) * 2));
  CHECK(cudaMemset(X, 0, B * std::max(V, 2 * I) * 2));
  cudaStream_t s;
  CHECK(cudaStreamCreate(&s));
  cublasHandle_t h;
  CHECK_BLAS(cublasCreate(&h));
  CHECK_BLAS(cublasSetStream(h, s));
  const float one = 1.f, zero = 0.f;
  auto step = [&] {
    for (size_t i = 0; i < mats.size(); ++i)
      CHECK_BLAS(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)mats[i].r, (int)B, (int)mats[i].c,
                              &one, W + off[i], CUDA_R_16F, (int)mats[i].c, X, CUDA_R_16F,
                              (int)mats[i].c, &zero, Y, CUDA_R_16F, (int)mats[i].r,
                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  };
  step();
  CHECK(cudaStreamSynchronize(s));
  const int iters = (int)args.num("iters", 20);
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  CHECK(cudaEventRecord(e0, s));
  for (int i = 0; i < iters; ++i)
    step();
  CHECK(cudaEventRecord(e1, s));
  CHECK(cudaEventSynchronize(e1));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, e0, e1));
  double per = ms / 1e3 / iters;
  printf("{\"bench\": \"dense-decode\", \"config\": \"%s\", \"batch\": %lld, \"fp16_weight_gb\": %.2f, "
         "\"step_us\": %.1f, \"tokens_per_s\": %.1f}\n",
         cfg.c_str(), (long long)B, total * 2 / 1e9, per * 1e6, B / per);
  cublasDestroy(h);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tern-cuda-bench gemv --rows R --cols C [--batch B] [--iters N]\n"
                    "       tern-cuda-bench decode --model model.so [--steps N]\n"
                    "       tern-cuda-bench dense-decode --config 370m|1.3b|2.7b [--batch B]\n");
    return 1;
  }
  Args args;
  for (int i = 2; i + 1 < argc; i += 2)
    args.v[argv[i] + (strncmp(argv[i], "--", 2) == 0 ? 2 : 0)] = argv[i + 1];
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    fprintf(stderr, "tern-cuda-bench: no CUDA GPU found\n");
    return 1;
  }
  printDevice();
  std::string cmd = argv[1];
  if (cmd == "gemv")
    return gemv(args);
  if (cmd == "decode")
    return decode(args);
  if (cmd == "dense-decode")
    return denseDecode(args);
  fprintf(stderr, "tern-cuda-bench: unknown command '%s'\n", cmd.c_str());
  return 1;
}

//===- tern_cuda_bench.cu - speed of Tern's CUDA kernels and models --------===//
//
// Built around one model source emitted by `ternc compile --target=cuda
// --emit=cu` (so the kernels timed are exactly the ones models run, K a
// compile-time constant):
//
//   nvcc ... -DTERN_BENCH_MODEL='"model.cu"' [-DTERN_RANDOM_WEIGHTS] tern_cuda_bench.cu
//   tern-cuda-bench gemv   [--iters N] [--peak-gbs G] [--label S]
//   tern-cuda-bench decode [--steps N] [--peak-gbs G] [--label S]
//   tern-cuda-bench dense-decode --config 370m|1.3b|2.7b [--batch B] [--iters N]
//
// gemv: the model is one BitLinear (test/Target/CUDA/device_kit.py writes
// them); its GEMV launch is recorded for each of several copies of the
// weights (enough to defeat the L2 cache) and replayed from a CUDA graph;
// GB/s of weights, fraction of the HBM peak, and the whole forward
// (quantization + GEMV) too. Every copy's output must equal copy 0's. Next
// to it cuBLAS fp16 (cublasGemmEx) on the same shape, also from a graph.
// decode: steps the model (a decode step, e.g. models.py 1.3b --no-embed)
// back to back through its own graph path, every step checked; tokens/s and
// the fraction of the HBM bound (weight bytes per token / peak).
// dense-decode (also without a model): the cuBLAS fp16 GEMVs of a config
// per token, from a graph (its element-wise work left out, which favours
// the baseline).
// The HBM peak: --peak-gbs, else 2 x memory clock x bus width as the device
// reports them, else a table (H100 SXM 3350, H100 PCIe 2000, H200 4800).
// Each result is one JSON line. Never used as a test.
//
//===----------------------------------------------------------------------===//
#include <cuda_runtime.h>

#include <functional>
#include <string>
#include <vector>

#ifdef TERN_BENCH_MODEL
// The model's launches are recorded instead of run while `tern_bench_record`
// is set (their arguments are evaluated now, as a launch would), and run and
// checked otherwise.
struct TernBenchLaunch {
  std::string kernel;
  std::function<void(cudaStream_t)> run;
};
static std::vector<TernBenchLaunch> *tern_bench_record = nullptr;
#define TERN_LAUNCH(kernel, grid, block, stream, ...)                                              \
  do {                                                                                             \
    if (tern_bench_record) {                                                                       \
      tern_bench_record->push_back(                                                                \
          {#kernel, [=](cudaStream_t tern_s) { kernel<<<grid, block, 0, tern_s>>>(__VA_ARGS__); }}); \
      break;                                                                                       \
    }                                                                                              \
    kernel<<<grid, block, 0, stream>>>(__VA_ARGS__);                                               \
    cudaError_t tern_le = cudaGetLastError();                                                      \
    if (tern_le != cudaSuccess) {                                                                  \
      tern_failed_at = "kernel " #kernel;                                                          \
      return tern_le;                                                                              \
    }                                                                                              \
  } while (0)
#include TERN_BENCH_MODEL
#endif

#include <cublas_v2.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

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

struct Args {
  std::map<std::string, std::string> v;
  std::string get(const std::string &k, const std::string &d) const {
    auto it = v.find(k);
    return it == v.end() ? d : it->second;
  }
  long long num(const std::string &k, long long d) const { return std::stoll(get(k, std::to_string(d))); }
};

static std::string deviceName() {
  int dev = 0;
  cudaDeviceProp p;
  CHECK(cudaGetDevice(&dev));
  CHECK(cudaGetDeviceProperties(&p, dev));
  return p.name;
}

/// Peak HBM bandwidth in GB/s, and where the figure came from.
static double peakGBs(const Args &args, std::string &source) {
  double given = std::stod(args.get("peak-gbs", "0"));
  if (given > 0) {
    source = "--peak-gbs";
    return given;
  }
  int dev = 0, clockKHz = 0, busBits = 0;
  CHECK(cudaGetDevice(&dev));
  if (cudaDeviceGetAttribute(&clockKHz, cudaDevAttrMemoryClockRate, dev) == cudaSuccess &&
      cudaDeviceGetAttribute(&busBits, cudaDevAttrGlobalMemoryBusWidth, dev) == cudaSuccess &&
      clockKHz > 0 && busBits > 0) {
    source = "memory clock x bus width";
    return 2.0 * clockKHz * 1e3 * (busBits / 8.0) / 1e9; // two transfers per clock
  }
  (void)cudaGetLastError();
  std::string name = deviceName();
  source = "table";
  if (name.find("H200") != std::string::npos)
    return 4800;
  if (name.find("H100") != std::string::npos)
    return name.find("PCIe") != std::string::npos ? 2000 : 3350;
  source = "unknown";
  return 0;
}

static void printDevice(const Args &args) {
  int dev = 0;
  cudaDeviceProp p;
  CHECK(cudaGetDevice(&dev));
  CHECK(cudaGetDeviceProperties(&p, dev));
  std::string source;
  double peak = peakGBs(args, source);
  printf("{\"device\": \"%s\", \"sm\": \"%d.%d\", \"sms\": %d, \"l2_bytes\": %d, "
         "\"memory_gb\": %.1f, \"hbm_peak_gbs\": %.0f, \"hbm_peak_source\": \"%s\"}\n",
         p.name, p.major, p.minor, p.multiProcessorCount, p.l2CacheSize, p.totalGlobalMem / 1e9,
         peak, source.c_str());
}

static int l2Bytes() {
  int dev = 0, l2 = 0;
  CHECK(cudaGetDevice(&dev));
  CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
  return l2;
}

/// Seconds per replay of `body` (which enqueues work on `s`), captured once
/// into a graph: one warm-up launch, then `reps` timed launches.
static double timeGraph(cudaStream_t s, const std::function<void()> &body, int reps = 3) {
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  body();
  CHECK(cudaStreamEndCapture(s, &graph));
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  CHECK(cudaGraphLaunch(exec, s));
  CHECK(cudaStreamSynchronize(s));
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  CHECK(cudaEventRecord(e0, s));
  for (int r = 0; r < reps; ++r)
    CHECK(cudaGraphLaunch(exec, s));
  CHECK(cudaEventRecord(e1, s));
  CHECK(cudaEventSynchronize(e1));
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, e0, e1));
  CHECK(cudaGraphExecDestroy(exec));
  CHECK(cudaGraphDestroy(graph));
  CHECK(cudaEventDestroy(e0));
  CHECK(cudaEventDestroy(e1));
  return ms / 1e3 / reps;
}

/// cuBLAS fp16 y[B, R] = x[B, C] W^T over rotating weight copies, from a
/// graph; seconds per GEMV.
static double cublasGemv(cudaStream_t s, int64_t R, int64_t C, int64_t B, int iters) {
  const int64_t dbytes = R * C * 2;
  const int dcopies = (int)std::max<int64_t>(2, (4LL * l2Bytes()) / dbytes + 1);
  __half *dW = nullptr, *dX = nullptr, *dY = nullptr;
  void *ws = nullptr;
  const size_t wsBytes = 32 << 20;
  CHECK(cudaMalloc(&dW, dbytes * dcopies));
  CHECK(cudaMalloc(&dX, B * C * 2));
  CHECK(cudaMalloc(&dY, B * R * 2));
  CHECK(cudaMalloc(&ws, wsBytes));
  CHECK(cudaMemset(dW, 0, dbytes * dcopies));
  CHECK(cudaMemset(dX, 0, B * C * 2));
  cublasHandle_t h;
  CHECK_BLAS(cublasCreate(&h));
  CHECK_BLAS(cublasSetStream(h, s));
  CHECK_BLAS(cublasSetWorkspace(h, ws, wsBytes)); // no allocation while capturing
  const float one = 1.f, zero = 0.f;
  auto dense = [&](int c) {
    // Column-major: Y^T [R, B] = W [C, R]^T X^T [C, B].
    CHECK_BLAS(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, (int)R, (int)B, (int)C, &one,
                            dW + (size_t)c * R * C, CUDA_R_16F, (int)C, dX, CUDA_R_16F, (int)C,
                            &zero, dY, CUDA_R_16F, (int)R, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT));
  };
  dense(0);
  CHECK(cudaStreamSynchronize(s));
  double per = timeGraph(s, [&] {
    for (int i = 0; i < iters; ++i)
      dense(i % dcopies);
  }) / iters;
  cublasDestroy(h);
  CHECK(cudaFree(dW));
  CHECK(cudaFree(dX));
  CHECK(cudaFree(dY));
  CHECK(cudaFree(ws));
  return per;
}

#ifdef TERN_BENCH_MODEL
static int64_t elems(const tern_tensor_info &t) {
  int64_t n = 1;
  for (int d = 0; d < t.rank; ++d)
    n *= t.shape[d];
  return n;
}

/// Initializes the model (weights uploaded or, with TERN_RANDOM_WEIGHTS,
/// generated) and fills its inputs: small non-zero floats, token ids 1.
static void initModel(std::vector<const void *> &in, std::vector<void *> &out) {
  char err[512] = {0};
  if (tern_model_init(err, sizeof err)) {
    fprintf(stderr, "tern-cuda-bench: %s\n", err);
    exit(1);
  }
  for (int i = 0; i < TERN_NUM_INPUTS; ++i) {
    char *p = tern_state.arena + input_staging[i];
    int64_t n = elems(input_info[i]);
    if (input_info[i].dtype == TERN_F32) {
      std::vector<float> h(n);
      for (int64_t k = 0; k < n; ++k)
        h[k] = (float)((k * 7919) % 255 - 127) / 64.f;
      CHECK(cudaMemcpy(p, h.data(), n * 4, cudaMemcpyHostToDevice));
    } else {
      std::vector<char> h(input_bytes[i], 0);
      if (input_info[i].dtype == TERN_I64)
        for (int64_t k = 0; k < n; ++k)
          ((int64_t *)h.data())[k] = 1;
      CHECK(cudaMemcpy(p, h.data(), h.size(), cudaMemcpyHostToDevice));
    }
    in.push_back(p);
  }
  for (int i = 0; i < TERN_NUM_OUTPUTS; ++i)
    out.push_back(tern_state.arena + output_staging[i]);
}

static int gemv(const Args &args) {
  std::vector<const void *> in;
  std::vector<void *> out;
  initModel(in, out);
  cudaStream_t s = tern_state.stream;
  const int64_t bytes = tern_weights_bytes;
  const int copies = (int)std::max<int64_t>(2, (4LL * l2Bytes()) / bytes + 1);
  char *W = nullptr;
  CHECK(cudaMalloc(&W, (size_t)bytes * copies));
  for (int c = 0; c < copies; ++c)
    CHECK(cudaMemcpy(W + (size_t)c * bytes, tern_state.weights, bytes, cudaMemcpyDeviceToDevice));
  // Record the launches of a forward per weight copy.
  std::vector<std::vector<TernBenchLaunch>> rec(copies);
  for (int c = 0; c < copies; ++c) {
    tern_bench_record = &rec[c];
    cudaError_t e = tern_forward(tern_state.arena, W + (size_t)c * bytes, in.data(), out.data(), s);
    tern_bench_record = nullptr;
    if (e != cudaSuccess) {
      fprintf(stderr, "tern-cuda-bench: recording the forward: %s\n", cudaGetErrorString(e));
      return 1;
    }
  }
  // The GEMV: the last generated kernel of the forward.
  int g = -1;
  for (int i = 0; i < (int)rec[0].size(); ++i)
    if (rec[0][i].kernel.rfind("tern_k", 0) == 0)
      g = i;
  if (g < 0) {
    fprintf(stderr, "tern-cuda-bench: the model has no generated GEMV kernel\n");
    return 1;
  }
  // Every copy must give copy 0's output.
  const int64_t outBytes = output_bytes[0];
  std::vector<char> first(outBytes), got(outBytes);
  for (int c = 0; c < copies; ++c) {
    for (auto &l : rec[c])
      l.run(s);
    CHECK(cudaGetLastError());
    CHECK(cudaStreamSynchronize(s));
    CHECK(cudaMemcpy(c ? got.data() : first.data(), out[0], outBytes, cudaMemcpyDeviceToHost));
    if (c && memcmp(first.data(), got.data(), outBytes) != 0) {
      fprintf(stderr, "tern-cuda-bench: weight copy %d gives a different output\n", c);
      return 1;
    }
  }
  const int iters = (int)args.num("iters", 200);
  double gemvS = timeGraph(s, [&] {
    for (int i = 0; i < iters; ++i)
      rec[i % copies][g].run(s);
  }) / iters;
  double fwdS = timeGraph(s, [&] {
    for (int i = 0; i < iters; ++i)
      for (auto &l : rec[i % copies])
        l.run(s);
  }) / iters;
  CHECK(cudaGetLastError());
  std::string source;
  const double peak = peakGBs(args, source);
  const tern_tensor_info &x = input_info[0], &y = output_info[0];
  const int64_t C = x.shape[x.rank - 1], R = y.shape[y.rank - 1], B = elems(x) / C;
  double dense = cublasGemv(s, R, C, B, iters);
  double gbs = bytes / gemvS / 1e9;
  printf("{\"bench\": \"gemv\", \"label\": \"%s\", \"device\": \"%s\", \"rows\": %lld, "
         "\"cols\": %lld, \"batch\": %lld, \"kernel\": \"%s\", \"weight_bytes\": %lld, "
         "\"gemv_us\": %.2f, \"weight_gbs\": %.1f, \"hbm_peak_gbs\": %.0f, "
         "\"fraction_of_hbm_peak\": %.3f, \"forward_us\": %.2f, \"cublas_fp16_graph_us\": %.2f, "
         "\"speedup_vs_fp16\": %.2f, \"weight_copies\": %d}\n",
         args.get("label", "").c_str(), deviceName().c_str(), (long long)R, (long long)C,
         (long long)B, rec[0][g].kernel.c_str(), (long long)bytes, gemvS * 1e6, gbs, peak,
         peak > 0 ? gbs / peak : 0.0, fwdS * 1e6, dense * 1e6, dense / gemvS, copies);
  CHECK(cudaFree(W));
  return 0;
}

static int decode(const Args &args) {
  std::vector<const void *> in;
  std::vector<void *> out;
  initModel(in, out);
  cudaStream_t s = tern_state.stream;
  char err[512] = {0};
  auto step = [&] {
    cudaError_t e = tern_forward_graph(in.data(), out.data(), s);
    if (e != cudaSuccess) {
      tern_fail_forward(err, sizeof err, "decode step", e);
      fprintf(stderr, "tern-cuda-bench: %s\n", err);
      exit(1);
    }
  };
  for (int i = 0; i < 5; ++i)
    step();
  CHECK(cudaStreamSynchronize(s));
  const int steps = (int)args.num("steps", 200);
  cudaEvent_t e0, e1;
  CHECK(cudaEventCreate(&e0));
  CHECK(cudaEventCreate(&e1));
  CHECK(cudaEventRecord(e0, s));
  for (int i = 0; i < steps; ++i)
    step();
  CHECK(cudaEventRecord(e1, s));
  CHECK(cudaEventSynchronize(e1));
  CHECK(cudaGetLastError());
  float ms = 0;
  CHECK(cudaEventElapsedTime(&ms, e0, e1));
  const double per = ms / 1e3 / steps;
  std::string source;
  const double peak = peakGBs(args, source);
  const int64_t batch = input_info[0].rank ? input_info[0].shape[0] : 1;
  const double boundS = peak > 0 ? tern_weights_bytes / (peak * 1e9) : 0;
  printf("{\"bench\": \"decode\", \"label\": \"%s\", \"device\": \"%s\", \"batch\": %lld, "
         "\"weight_bytes_per_token\": %lld, \"step_us\": %.1f, \"tokens_per_s\": %.1f, "
         "\"hbm_bound_tokens_per_s\": %.1f, \"fraction_of_hbm_peak\": %.3f, "
         "\"graphs\": %d}\n",
         args.get("label", "").c_str(), deviceName().c_str(), (long long)batch,
         (long long)tern_weights_bytes, per * 1e6, batch / per,
         boundS > 0 ? batch / boundS : 0.0, boundS > 0 ? boundS / per : 0.0, tern_use_graphs());
  return 0;
}
#endif

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
  void *ws = nullptr;
  const size_t wsBytes = 32 << 20;
  CHECK(cudaMalloc(&W, total * 2));
  CHECK(cudaMemset(W, 0, total * 2));
  CHECK(cudaMalloc(&X, B * std::max(V, 2 * I) * 2));
  CHECK(cudaMalloc(&Y, B * std::max(V, 2 * I) * 2));
  CHECK(cudaMalloc(&ws, wsBytes));
  CHECK(cudaMemset(X, 0, B * std::max(V, 2 * I) * 2));
  cudaStream_t s;
  CHECK(cudaStreamCreate(&s));
  cublasHandle_t h;
  CHECK_BLAS(cublasCreate(&h));
  CHECK_BLAS(cublasSetStream(h, s));
  CHECK_BLAS(cublasSetWorkspace(h, ws, wsBytes));
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
  double per = timeGraph(s, [&] {
    for (int i = 0; i < iters; ++i)
      step();
  }) / iters;
  std::string source;
  const double peak = peakGBs(args, source);
  printf("{\"bench\": \"dense-decode\", \"config\": \"%s\", \"device\": \"%s\", \"batch\": %lld, "
         "\"fp16_weight_bytes\": %lld, \"step_us\": %.1f, \"tokens_per_s\": %.1f, "
         "\"fraction_of_hbm_peak\": %.3f, \"graph\": 1}\n",
         cfg.c_str(), deviceName().c_str(), (long long)B, (long long)(total * 2), per * 1e6,
         B / per, peak > 0 ? total * 2 / per / 1e9 / peak : 0.0);
  cublasDestroy(h);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tern-cuda-bench gemv|decode [--iters N] [--steps N] [--peak-gbs G]\n"
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
  if (args.get("quiet", "0") != "1")
    printDevice(args);
  std::string cmd = argv[1];
#ifdef TERN_BENCH_MODEL
  if (cmd == "gemv")
    return gemv(args);
  if (cmd == "decode")
    return decode(args);
#endif
  if (cmd == "dense-decode")
    return denseDecode(args);
  fprintf(stderr, "tern-cuda-bench: unknown command '%s'%s\n", cmd.c_str(),
#ifdef TERN_BENCH_MODEL
          ""
#else
          " (gemv and decode need -DTERN_BENCH_MODEL)"
#endif
  );
  return 1;
}

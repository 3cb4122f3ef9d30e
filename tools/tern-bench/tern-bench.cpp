//===- tern-bench.cpp - speed of Tern's CPU kernels and models ------------===//
//
//   tern-bench gemv --rows R --cols C [--batch B] [--threads T] [--kernel K]
//   tern-bench decode --config 370m|1.3b|2.7b [--threads T] [--kernel K]
//   tern-bench prefill --config ... --tokens N [--threads T] [--kernel K]
//
// Each result is one JSON line. Every figure is measured in this process:
// the machine's read bandwidth (a multi-threaded streaming read) and a dense
// fp32 GEMV baseline on the same thread count. Never used as a test.
//
//===----------------------------------------------------------------------===//
#include "ModelBuilder.h"
#include "OnnxRuntimeBaseline.h"

#include "Tern/TernOps.h"
#include "tern/InitAllPasses.h"
#include "tern/Runtime/Model.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Tools/ToolSetup.h"
#include "tern/Tools/Version.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <immintrin.h>
#include <memory>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <random>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace mlir;
namespace mt = mlir::tern;
namespace rt = ::tern::runtime;
namespace tb = ::tern::bench;

namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// --name value arguments.
struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string &k, const std::string &def) const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second;
  }
  int64_t num(const std::string &k, int64_t def) const { return std::stoll(get(k, std::to_string(def))); }
};

/// Runs `fn` in `threads` threads over [0, n) split in contiguous chunks.
template <typename Fn>
void parallelFor(int threads, int64_t n, Fn fn) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    int64_t lo = n * t / threads, hi = n * (t + 1) / threads;
    pool.emplace_back([=] { fn(lo, hi); });
  }
  for (auto &th : pool)
    th.join();
}

/// Streaming read bandwidth (GB/s) with `threads` threads over 1 GiB: each
/// thread sums its slice with 64-byte loads (AVX-512 when the CPU has it).
__attribute__((target("avx512f"))) uint64_t sumWordsAVX512(const uint64_t *p, int64_t n) {
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (int64_t i = 0; i + 32 <= n; i += 32) {
    a = _mm512_add_epi64(a, _mm512_load_si512(p + i));
    b = _mm512_add_epi64(b, _mm512_load_si512(p + i + 8));
    c = _mm512_add_epi64(c, _mm512_load_si512(p + i + 16));
    d = _mm512_add_epi64(d, _mm512_load_si512(p + i + 24));
  }
  return _mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d)));
}
uint64_t sumWords(const uint64_t *p, int64_t n) {
  if (__builtin_cpu_supports("avx512f"))
    return sumWordsAVX512(p, n);
  uint64_t a = 0, b = 0;
  for (int64_t i = 0; i + 2 <= n; i += 2) {
    a += p[i];
    b += p[i + 1];
  }
  return a + b;
}

double measureReadBandwidth(int threads) {
  const int64_t words = (1LL << 30) / 8;
  // 64-byte aligned so every slice starts on a cache line.
  std::unique_ptr<uint64_t, void (*)(void *)> storage(
      static_cast<uint64_t *>(std::aligned_alloc(64, words * 8)), std::free);
  uint64_t *buf = storage.get();
  parallelFor(threads, words, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      buf[i] = static_cast<uint64_t>(i);
  });
  double best = 0;
  volatile uint64_t sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<uint64_t> partial(threads);
    auto t0 = Clock::now();
    parallelFor(threads, threads, [&](int64_t lo, int64_t) {
      int64_t a = words * lo / threads, bEnd = words * (lo + 1) / threads;
      int64_t start = a & ~int64_t(7); // keep 64-byte alignment
      partial[lo] = sumWords(buf + start, bEnd - start);
    });
    double s = seconds(t0, Clock::now());
    for (uint64_t v : partial)
      sink = sink ^ v;
    best = std::max(best, words * 8.0 / s / 1e9);
  }
  return best;
}

/// Dense fp32 GEMV y = W x on `threads` threads: seconds per call.
__attribute__((target_clones("avx512f", "avx2", "default"))) void denseRows(const float *w,
                                                                           const float *x,
                                                                           float *y, int64_t lo,
                                                                           int64_t hi,
                                                                           int64_t cols) {
  for (int64_t r = lo; r < hi; ++r) {
    float acc[16] = {0};
    const float *row = w + r * cols;
    int64_t k = 0;
    for (; k + 16 <= cols; k += 16)
      for (int j = 0; j < 16; ++j)
        acc[j] += row[k + j] * x[k + j];
    float s = 0;
    for (; k < cols; ++k)
      s += row[k] * x[k];
    for (float v : acc)
      s += v;
    y[r] = s;
  }
}

double timeDenseGemv(int64_t rows, int64_t cols, int threads) {
  std::vector<float> w(rows * cols), x(cols, 0.5f), y(rows);
  parallelFor(threads, rows, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo * cols; i < hi * cols; ++i)
      w[i] = static_cast<float>(i % 7) * 0.01f;
  });
  auto once = [&] {
    parallelFor(threads, rows, [&](int64_t lo, int64_t hi) { denseRows(w.data(), x.data(), y.data(), lo, hi, cols); });
  };
  once();
  double best = 1e30;
  auto start = Clock::now();
  for (int calls = 0; calls < 5 || seconds(start, Clock::now()) < 0.5; ++calls) {
    auto t0 = Clock::now();
    once();
    best = std::min(best, seconds(t0, Clock::now()));
  }
  return best; // like the ternary timings: the fastest run
}

double peakRSSGiB() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / (1024.0 * 1024.0);
}

/// Lowers `module` with the CPU pipelines and loads the resulting library.
std::unique_ptr<rt::Model> compile(ModuleOp module, const std::string &kernelName,
                                   std::string &kernelUsed, double &compileSeconds,
                                   std::string &soPath) {
  auto t0 = Clock::now();
  mt::CPUCodegenOptions options; // the host: native CPU and features
  if (failed(mt::recordCPUTarget(module, options)))
    return nullptr;
  FailureOr<mt::TernaryKernelAttr> kernel = mt::selectTernaryKernel(module, kernelName, options);
  if (failed(kernel))
    return nullptr;
  kernelUsed = mt::getTernaryKernelName(kernel->getKind());
  FailureOr<mt::ModelSignature> sig = mt::prepareModelFunction(module);
  if (failed(sig))
    return nullptr;
  PassManager pm(module->getContext());
  mt::buildCPUTernToLinalgPipeline(pm);
  mt::buildCPULinalgToLLVMPipeline(pm);
  if (failed(pm.run(module)))
    return nullptr;
  SmallString<128> path;
  if (llvm::sys::fs::createTemporaryFile("tern-bench", "so", path))
    return nullptr;
  soPath = std::string(path);
  if (failed(mt::buildModelLibrary(module, *sig, options, soPath)))
    return nullptr;
  compileSeconds = seconds(t0, Clock::now());
  std::string error;
  auto model = rt::Model::load(soPath, error);
  if (!model)
    llvm::errs() << "tern-bench: " << error << "\n";
  return model;
}

/// Seconds per call of `model` on `inputs`: calls are timed in batches for
/// >= 1 s in total, and the fastest batch's mean is reported (robust to other
/// processes on a shared machine; the median batch is printed too).
struct Timing {
  double best, median;
};
Timing timeModel(rt::Model &model, std::vector<rt::Array> &inputs, bool feedState) {
  std::vector<rt::Array> outputs;
  std::string error;
  if (!model.run(inputs, outputs, error)) {
    llvm::errs() << "tern-bench: " << error << "\n";
    std::exit(1);
  }
  // Size a batch to about 20 ms.
  auto t0 = Clock::now();
  model.run(inputs, outputs, error);
  double once = std::max(seconds(t0, Clock::now()), 1e-7);
  int perBatch = std::max(1, static_cast<int>(0.02 / once));
  std::vector<double> batches;
  auto start = Clock::now();
  while (batches.size() < 5 || seconds(start, Clock::now()) < 1.0) {
    auto b0 = Clock::now();
    for (int i = 0; i < perBatch; ++i) {
      if (feedState)
        inputs[1] = outputs[1]; // decode: the new state feeds the next step
      model.run(inputs, outputs, error);
    }
    batches.push_back(seconds(b0, Clock::now()) / perBatch);
  }
  std::sort(batches.begin(), batches.end());
  return {batches.front(), batches[batches.size() / 2]};
}

rt::Array zeros(tern_dtype dtype, std::vector<int64_t> shape) {
  rt::Array a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data.assign(a.numElements() * rt::dtypeSize(dtype), 0);
  return a;
}

void printJSON(const std::vector<std::pair<std::string, std::string>> &fields) {
  llvm::outs() << "{";
  for (size_t i = 0; i < fields.size(); ++i)
    llvm::outs() << (i ? ", " : "") << "\"" << fields[i].first << "\": " << fields[i].second;
  llvm::outs() << "}\n";
  llvm::outs().flush();
}
std::string str(const std::string &s) { return "\"" + s + "\""; }
std::string num(double v) { return llvm::formatv("{0:f3}", v).str(); }
// Bytes the kernel streams per ternary weight: 2 bits, or 8 bits per 5 trits
// in the base-3 layout.
double bytesPerWeight(const std::string &kernel) { return kernel == "vnni-base3" ? 0.2 : 0.25; }

int gemv(MLIRContext &ctx, const Args &args, int threads, double readBW) {
  int64_t rows = args.num("rows", 2048), cols = args.num("cols", 2048), batch = args.num("batch", 1);
  OwningOpRef<ModuleOp> module = tb::buildGemvModule(&ctx, rows, cols, batch, 42);
  std::string kernel, so;
  double compileS = 0;
  auto model = compile(*module, args.get("kernel", "auto"), kernel, compileS, so);
  if (!model)
    return 1;
  // --keep-library PATH keeps the model library (for perf/objdump).
  llvm::FileRemover remove(so, args.get("keep-library", "").empty());
  if (!args.get("keep-library", "").empty())
    llvm::sys::fs::rename(so, args.get("keep-library", ""));
  std::vector<rt::Array> inputs = {zeros(TERN_I8, {batch, cols})};
  for (size_t i = 0; i < inputs[0].data.size(); ++i)
    inputs[0].data[i] = static_cast<char>(static_cast<int>(i * 37 % 255) - 127);
  Timing timing = timeModel(*model, inputs, false);
  double t = timing.best;
  double dense = timeDenseGemv(rows, cols, threads) * batch;
  double ops = 2.0 * rows * cols * batch, weightBytes = rows * cols * bytesPerWeight(kernel);
  printJSON({{"bench", str("gemv")}, {"rows", std::to_string(rows)}, {"cols", std::to_string(cols)},
             {"batch", std::to_string(batch)}, {"threads", std::to_string(threads)},
             {"kernel", str(kernel)}, {"us_per_call", num(t * 1e6)},
             {"us_per_call_median", num(timing.median * 1e6)}, {"gops", num(ops / t / 1e9)},
             {"weight_gbps", num(weightBytes / t / 1e9)}, {"read_bw_gbps", num(readBW)},
             {"bw_fraction", num(weightBytes / t / 1e9 / readBW)},
             {"dense_fp32_gops", num(ops / dense / 1e9)}, {"vs_dense_fp32", num(dense / t)}});
  return 0;
}

/// Percentile `q` (0..1) of `v` (sorted in place).
double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

/// decode --index-check ab: the cost of the embedding's token bound check.
/// Both variants are compiled into this process and timed alternately, one
/// batch of ~20 ms each per round, in ABBA order (so drift and other
/// processes' load hit both alike). Reported: the median of the per-round
/// ratios with check / without (wall time, and CPU time), the ratio of the
/// fastest batches, each with a bootstrap 95% interval over the rounds, and
/// the check's work counted: one index compared per token against the
/// step's 2 x weights ternary ops.
int indexCheckCost(MLIRContext &ctx, const Args &args, int threads, double readBW,
                   const tb::ModelConfig &config) {
  const int rounds = static_cast<int>(std::max<int64_t>(2, args.num("rounds", 41)));
  // ab: the model without the check is compiled and loaded first, the one
  // with it second; ba: the other way round (with both, an effect of the
  // load order cancels: cost = sqrt(ratio_ab * ratio_ba)). aa (the control):
  // two compiles of the model without the check, so what differs is only
  // where code and weights landed; a difference of that size is not the
  // check's. Ratios are [on] / [off], for aa the second copy / the first.
  const std::string mode = args.get("index-check", "ab");
  const int onIdx = mode == "ba" ? 0 : 1, offIdx = 1 - onIdx;
  std::unique_ptr<rt::Model> models[2];
  std::string kernel, so[2];
  double compileS[2] = {0, 0};
  for (int v = 0; v < 2; ++v) {
    OwningOpRef<ModuleOp> module =
        tb::buildModelModule(&ctx, config, 1, 7, /*indexCheck=*/mode != "aa" && v == onIdx);
    models[v] = compile(*module, args.get("kernel", "auto"), kernel, compileS[v], so[v]);
    if (!models[v])
      return 1;
  }
  llvm::FileRemover remove0(so[0]), remove1(so[1]);
  std::vector<rt::Array> inputs[2], outputs[2];
  std::string error;
  for (int v = 0; v < 2; ++v) {
    inputs[v] = {zeros(TERN_I64, {1}), zeros(TERN_F32, {config.layers, 1, config.d})};
    reinterpret_cast<int64_t *>(inputs[v][0].data.data())[0] = 4242 % config.vocab;
    for (int warm = 0; warm < 3; ++warm)
      if (!models[v]->run(inputs[v], outputs[v], error)) {
        llvm::errs() << "tern-bench: " << error << "\n";
        return 1;
      }
  }
  auto t0 = Clock::now();
  models[0]->run(inputs[0], outputs[0], error);
  int perBatch = std::max(1, static_cast<int>(0.02 / std::max(seconds(t0, Clock::now()), 1e-7)));
  // CPU time as well as wall time: on a shared machine a batch that loses
  // its core for a while grows in wall time only. One thread: the calling
  // thread runs the model (its CPU time); more: the process's.
  const clockid_t cpuClock = threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID;
  auto cpuSeconds = [&] {
    timespec ts;
    clock_gettime(cpuClock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  auto batch = [&](int v, double &cpu) {
    double c0 = cpuSeconds();
    auto b0 = Clock::now();
    for (int i = 0; i < perBatch; ++i) {
      inputs[v][1] = outputs[v][1]; // decode: the new state feeds the next step
      models[v]->run(inputs[v], outputs[v], error);
    }
    cpu = (cpuSeconds() - c0) / perBatch;
    return seconds(b0, Clock::now()) / perBatch;
  };
  std::vector<double> t[2], ratio, cpuRatio;
  for (int r = 0; r < rounds; ++r) {
    int first = r % 2; // ABBA: each variant goes first in every other round
    double s[2], c[2];
    s[first] = batch(first, c[first]);
    s[1 - first] = batch(1 - first, c[1 - first]);
    t[0].push_back(s[offIdx]);
    t[1].push_back(s[onIdx]);
    ratio.push_back(s[onIdx] / s[offIdx]);
    cpuRatio.push_back(c[onIdx] / c[offIdx]);
  }
  auto median = [](std::vector<double> v) { return percentile(std::move(v), 0.5); };
  auto minOf = [](const std::vector<double> &v) { return *std::min_element(v.begin(), v.end()); };
  // Bootstrap over rounds (fixed seed: the same data gives the same interval).
  std::mt19937_64 rng(18);
  std::vector<double> bootMedian, bootMin, bootCpu;
  for (int b = 0; b < 2000; ++b) {
    std::vector<double> rs, cs, on, off;
    for (int i = 0; i < rounds; ++i) {
      size_t k = rng() % rounds;
      rs.push_back(ratio[k]);
      cs.push_back(cpuRatio[k]);
      off.push_back(t[0][k]);
      on.push_back(t[1][k]);
    }
    bootMedian.push_back(median(rs));
    bootCpu.push_back(median(cs));
    bootMin.push_back(minOf(on) / minOf(off));
  }
  auto pct = [](double r) { return num(100.0 * (r - 1.0)); };
  double ops = 2.0 * config.ternaryWeights();
  printJSON({{"bench", str("index_check_cost")}, {"mode", str(mode)}, {"config", str(config.name)},
             {"threads", std::to_string(threads)}, {"kernel", str(kernel)},
             {"rounds", std::to_string(rounds)}, {"calls_per_batch", std::to_string(perBatch)},
             {"ms_off_median", num(median(t[0]) * 1e3)}, {"ms_on_median", num(median(t[1]) * 1e3)},
             {"ms_off_min", num(minOf(t[0]) * 1e3)}, {"ms_on_min", num(minOf(t[1]) * 1e3)},
             {"cost_pct_median_ratio", pct(median(ratio))},
             {"cost_pct_median_ratio_ci95", "[" + pct(percentile(bootMedian, 0.025)) + ", " +
                                                pct(percentile(bootMedian, 0.975)) + "]"},
             {"cost_pct_min", pct(minOf(t[1]) / minOf(t[0]))},
             {"cost_pct_min_ci95", "[" + pct(percentile(bootMin, 0.025)) + ", " +
                                       pct(percentile(bootMin, 0.975)) + "]"},
             {"ratio_p10_p90", "[" + num(percentile(ratio, 0.1)) + ", " + num(percentile(ratio, 0.9)) + "]"},
             {"cpu_clock", str(threads == 1 ? "thread" : "process")},
             {"cost_pct_cpu_median_ratio", pct(median(cpuRatio))},
             {"cost_pct_cpu_median_ratio_ci95", "[" + pct(percentile(bootCpu, 0.025)) + ", " +
                                                    pct(percentile(bootCpu, 0.975)) + "]"},
             {"cpu_ratio_p10_p90", "[" + num(percentile(cpuRatio, 0.1)) + ", " +
                                       num(percentile(cpuRatio, 0.9)) + "]"},
             {"check_indices_per_step", "1"}, {"ternary_ops_per_step", num(ops)},
             {"check_work_fraction", llvm::formatv("{0:e2}", 1.0 / ops).str()},
             {"read_bw_gbps", num(readBW)},
             {"compile_s", "[" + num(compileS[0]) + ", " + num(compileS[1]) + "]"}});
  return 0;
}

int model(MLIRContext &ctx, const Args &args, int threads, double readBW, bool prefill) {
  tb::ModelConfig config;
  if (!tb::lookupConfig(args.get("config", "370m"), config)) {
    llvm::errs() << "tern-bench: unknown --config '" << args.get("config", "") << "' (370m, 1.3b, 2.7b, tiny)\n";
    return 1;
  }
  if (std::string ic = args.get("index-check", "on"); !prefill && (ic == "ab" || ic == "ba" || ic == "aa"))
    return indexCheckCost(ctx, args, threads, readBW, config);
  int64_t tokens = prefill ? args.num("tokens", 64) : 1;
  auto t0 = Clock::now();
  // --index-check off drops the embedding's token bound check (to measure its cost).
  bool indexCheck = args.get("index-check", "on") != "off";
  OwningOpRef<ModuleOp> module = tb::buildModelModule(&ctx, config, tokens, 7, indexCheck);
  double buildS = seconds(t0, Clock::now());
  std::string kernel, so;
  double compileS = 0;
  auto compiled = compile(*module, args.get("kernel", "auto"), kernel, compileS, so);
  if (!compiled)
    return 1;
  // --keep-library PATH keeps the model library (for perf/objdump).
  llvm::FileRemover remove(so, args.get("keep-library", "").empty());
  if (!args.get("keep-library", "").empty())
    llvm::sys::fs::rename(so, args.get("keep-library", ""));
  module = nullptr; // the weights now live in the library
  std::vector<rt::Array> inputs = {zeros(TERN_I64, {tokens}), zeros(TERN_F32, {config.layers, 1, config.d})};
  for (int64_t t = 0; t < tokens; ++t)
    reinterpret_cast<int64_t *>(inputs[0].data.data())[t] = (t * 7919) % config.vocab;
  Timing timing = timeModel(*compiled, inputs, !prefill);
  double t = timing.best;
  double weightBytes = config.ternaryWeights() * bytesPerWeight(kernel);
  // Dense fp32 baseline: the same weights at 4 bytes each stream at the
  // dense GEMV's measured rate (a 4096 x 8192 fp32 GEMV, 128 MiB).
  double denseGemv = timeDenseGemv(4096, 8192, threads);
  double denseBytesPerS = 4096.0 * 8192 * 4 / denseGemv;
  // Prefill compares with one dense GEMV pass per token (no batching).
  double denseCall = config.ternaryWeights() * 4.0 / denseBytesPerS * tokens;
  double perToken = t / tokens;
  // Decode also runs onnxruntime on an ONNX export of the same config, after
  // this model's timing (never concurrently).
  std::vector<std::pair<std::string, std::string>> ortFields;
  std::string ortError;
  if (!prefill && !tb::runOnnxRuntimeBaseline(args.get("onnxruntime", "auto"), args.get("config", "370m"),
                                              threads, ortFields, ortError)) {
    llvm::errs() << "tern-bench: onnxruntime baseline: " << ortError << "\n";
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> fields = {
             {"bench", str(prefill ? "prefill" : "decode")}, {"config", str(config.name)},
             {"threads", std::to_string(threads)}, {"kernel", str(kernel)},
             {"tokens", std::to_string(tokens)}, {"index_check", str(indexCheck ? "on" : "off")},
             {"ms_per_call", num(t * 1e3)},
             {"ms_per_call_median", num(timing.median * 1e3)},
             {"tokens_per_s", num(1.0 / perToken)},
             {"gops", num(2.0 * config.ternaryWeights() * tokens / t / 1e9)},
             {"weight_gbps", num(weightBytes / t / 1e9)}, {"read_bw_gbps", num(readBW)},
             {"bw_fraction", num(weightBytes / t / 1e9 / readBW)},
             {"vs_dense_fp32", num(denseCall / t)},
             {"build_s", num(buildS)}, {"compile_s", num(compileS)},
             {"peak_rss_gib", num(peakRSSGiB())}};
  fields.insert(fields.end(), ortFields.begin(), ortFields.end());
  printJSON(fields);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (::tern::handleVersionFlag(argc, argv, "tern-bench"))
    return 0;
  if (argc < 2 || (std::strcmp(argv[1], "gemv") && std::strcmp(argv[1], "decode") &&
                   std::strcmp(argv[1], "prefill"))) {
    llvm::errs() << "usage: tern-bench gemv --rows R --cols C [--batch B] [--threads T] [--kernel K]\n"
                    "       tern-bench decode --config 370m|1.3b|2.7b [--threads T] [--kernel K]\n"
                    "                         [--index-check on|off|ab|ba|aa [--rounds N]]  (its cost)\n"
                    "                         [--onnxruntime auto|on|off]  (auto: when it is installed)\n"
                    "       tern-bench prefill --config ... [--tokens N] [--threads T] [--kernel K]\n"
                    "       (any command: --keep-library PATH keeps the compiled model library)\n"
                 << "K (default auto): " << mt::getTernaryKernelNameList() << "\n";
    return 1;
  }
  Args args;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) != 0) {
      llvm::errs() << "tern-bench: expected --name value, got '" << argv[i] << "'\n";
      return 1;
    }
    args.values[argv[i] + 2] = argv[i + 1];
  }
  std::string ortMode = args.get("onnxruntime", "auto");
  if (ortMode != "auto" && ortMode != "on" && ortMode != "off") {
    llvm::errs() << "tern-bench: --onnxruntime must be auto, on or off, got '" << ortMode << "'\n";
    return 1;
  }
  int threads = static_cast<int>(args.num("threads", 1));
  // The compiled kernels use OpenMP; set the count before the runtime starts.
  setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
  setenv("OMP_PROC_BIND", "true", 0);

  mt::registerAllTernPasses();
  DialectRegistry registry;
  ::tern::registerToolDialects(registry);
  MLIRContext ctx(registry);
  ::tern::loadToolDialects(ctx);
  ctx.disableMultithreading();

  double readBW = measureReadBandwidth(threads);
  std::string cmd = argv[1];
  if (cmd == "gemv")
    return gemv(ctx, args, threads, readBW);
  return model(ctx, args, threads, readBW, cmd == "prefill");
}

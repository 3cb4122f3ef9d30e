//===- tern_cuda_emulation.h - run generated CUDA on the CPU, for tests ----===//
//
// A generated model (`ternc compile --target=cuda --emit=cu`) compiled as C++
// with -DTERN_CUDA_EMULATION -I lib/Target/CUDA/kernels runs on the host:
// every CUDA thread is a fiber (ucontext), __syncthreads and warp shuffles
// are barriers between fibers, blocks run one after the other, device memory
// is host memory, streams are synchronous and graphs record and replay their
// launches. It executes the kernels' code as written — layouts, ternary MACs
// (PRMT and DP4A emulated bit for bit), fused epilogues, reductions, the
// launcher's C ABI and graph capture — so tests can check a model's numerics
// against the reference on machines without a GPU. It says nothing about
// speed, and memory-model or hardware details (caching loads, warp
// divergence, races that a sequential schedule hides) are not exercised.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_CUDA_EMULATION_H
#define TERN_CUDA_EMULATION_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <math.h>
#include <ucontext.h>
#include <vector>

using std::max;
using std::min;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint2 { uint32_t x, y; };
struct uint4 { uint32_t x, y, z, w; };
struct int4 { int32_t x, y, z, w; };
inline uint2 make_uint2(uint32_t x, uint32_t y) { return uint2{x, y}; }
inline uint4 make_uint4(uint32_t x, uint32_t y, uint32_t z, uint32_t w) { return uint4{x, y, z, w}; }

namespace tern_emu {

enum State { Ready, AtBlockBarrier, AtWarpBarrier, Done };

struct Fiber {
  ucontext_t ctx;
  dim3 tid;
  int linear = 0;
  State state = Ready;
};

struct Launch {
  dim3 grid, block, bid;
  std::vector<Fiber> fibers;
  std::vector<uint64_t> exchange; // one slot per thread, for shuffles
  ucontext_t scheduler;
  int current = 0;
  const std::function<void()> *body = nullptr;
};

inline Launch *&launchState() {
  static thread_local Launch *l = nullptr;
  return l;
}
inline Fiber *cur() { return &launchState()->fibers[launchState()->current]; }

inline void yieldToScheduler() {
  Launch *l = launchState();
  swapcontext(&l->fibers[l->current].ctx, &l->scheduler);
}

inline void trampoline() {
  Launch *l = launchState();
  (*l->body)();
  l->fibers[l->current].state = Done;
  // Returning resumes uc_link (the scheduler).
}

inline std::vector<char> &stacks() {
  static thread_local std::vector<char> s;
  return s;
}
constexpr size_t kStack = 64 * 1024;

/// Runs `body` as every thread of every block of the launch.
inline void run(dim3 grid, dim3 block, const std::function<void()> &body) {
  Launch l;
  l.grid = grid;
  l.block = block;
  l.body = &body;
  const int n = (int)(block.x * block.y * block.z);
  if (stacks().size() < n * kStack)
    stacks().resize(n * kStack);
  l.fibers.resize(n);
  l.exchange.assign(n, 0);
  Launch *saved = launchState();
  launchState() = &l;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        l.bid = dim3(bx, by, bz);
        for (int i = 0; i < n; ++i) {
          Fiber &f = l.fibers[i];
          f.linear = i;
          f.tid = dim3(i % block.x, (i / block.x) % block.y, i / (block.x * block.y));
          f.state = Ready;
          getcontext(&f.ctx);
          f.ctx.uc_stack.ss_sp = stacks().data() + (size_t)i * kStack;
          f.ctx.uc_stack.ss_size = kStack;
          f.ctx.uc_link = &l.scheduler;
          makecontext(&f.ctx, trampoline, 0);
        }
        for (;;) {
          for (int i = 0; i < n; ++i)
            if (l.fibers[i].state == Ready) {
              l.current = i;
              swapcontext(&l.scheduler, &l.fibers[i].ctx);
            }
          bool allDone = true, released = false;
          for (int w = 0; w * 32 < n; ++w) {
            bool waiting = true, any = false;
            for (int i = w * 32; i < std::min(n, w * 32 + 32); ++i) {
              if (l.fibers[i].state == Done)
                continue;
              any = true;
              waiting &= l.fibers[i].state == AtWarpBarrier;
            }
            if (any && waiting) {
              for (int i = w * 32; i < std::min(n, w * 32 + 32); ++i)
                if (l.fibers[i].state == AtWarpBarrier)
                  l.fibers[i].state = Ready;
              released = true;
            }
          }
          if (released)
            continue;
          bool atBlock = true;
          for (auto &f : l.fibers) {
            if (f.state == Done)
              continue;
            allDone = false;
            atBlock &= f.state == AtBlockBarrier;
          }
          if (allDone)
            break;
          if (!atBlock) {
            fprintf(stderr, "tern CUDA emulation: deadlock (threads wait at different barriers)\n");
            abort();
          }
          for (auto &f : l.fibers)
            if (f.state == AtBlockBarrier)
              f.state = Ready;
        }
      }
  launchState() = saved;
}

inline void warpBarrier() {
  cur()->state = AtWarpBarrier;
  yieldToScheduler();
}

} // namespace tern_emu

#define threadIdx (tern_emu::cur()->tid)
#define blockIdx (tern_emu::launchState()->bid)
#define blockDim (tern_emu::launchState()->block)
#define gridDim (tern_emu::launchState()->grid)

inline void __syncthreads() {
  tern_emu::cur()->state = tern_emu::AtBlockBarrier;
  tern_emu::yieldToScheduler();
}

template <typename T> T __shfl_xor_sync(unsigned, T v, int laneMask) {
  static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
  tern_emu::Launch *l = tern_emu::launchState();
  int me = tern_emu::cur()->linear;
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  l->exchange[me] = bits;
  tern_emu::warpBarrier();
  int partner = (me & ~31) | ((me & 31) ^ laneMask);
  T r;
  bits = l->exchange[partner];
  std::memcpy(&r, &bits, sizeof(T));
  tern_emu::warpBarrier();
  return r;
}

template <typename T> T __ldg(const T *p) { return *p; }
template <typename T> T __ldcs(const T *p) { return *p; }
inline unsigned atomicAdd(unsigned *p, unsigned v) {
  unsigned old = *p;
  *p = old + v;
  return old;
}
inline unsigned long long atomicMin(unsigned long long *p, unsigned long long v) {
  unsigned long long old = *p;
  *p = old < v ? old : v;
  return old;
}
inline void __threadfence() {}
inline int atomicSub(int *p, int v) {
  int old = *p;
  *p = old - v;
  return old;
}
inline int __dp4a(int a, int b, int c) {
  for (int i = 0; i < 4; ++i)
    c += (int)(int8_t)(a >> (8 * i)) * (int)(int8_t)(b >> (8 * i));
  return c;
}
inline float __int_as_float(int v) {
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}
inline int __float_as_int(float f) {
  int v;
  std::memcpy(&v, &f, 4);
  return v;
}
/// PTX prmt.b32, default mode (see tern_cuda_kernels.cuh).
inline uint32_t tern_emulated_prmt(uint32_t a, uint32_t b, uint32_t sel) {
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

// ---- the runtime API the launcher uses ----
typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorInvalidValue = 1, cudaErrorMemoryAllocation = 2, cudaErrorLaunchFailure = 3 };
typedef struct TernEmuStream *cudaStream_t;
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
enum cudaDeviceAttr { cudaDevAttrComputeCapabilityMajor, cudaDevAttrMultiProcessorCount };
enum cudaStreamCaptureMode { cudaStreamCaptureModeThreadLocal };
#define cudaStreamNonBlocking 1

namespace tern_emu {
struct Graph {
  std::vector<std::function<void()>> ops;
};
inline Graph *&capturing() {
  static thread_local Graph *g = nullptr;
  return g;
}
/// Runs `op` now, or records it while a stream is being captured.
inline void enqueue(std::function<void()> op) {
  if (capturing())
    capturing()->ops.push_back(std::move(op));
  else
    op();
}
} // namespace tern_emu
typedef tern_emu::Graph *cudaGraph_t;
typedef tern_emu::Graph *cudaGraphExec_t;

namespace tern_emu {
/// A launch: the arguments are evaluated now (as <<<>>> does, also while
/// capturing a graph), the kernel runs now or when the graph replays.
// Failure injection for the tests of the error paths: TERN_EMU_FAIL_LAUNCH=N
// makes the N-th launch (from 1) fail as a launch error; TERN_EMU_FAIL_MALLOC=N
// the N-th cudaMalloc. live() counts device allocations not yet freed.
inline int &pendingError() {
  static thread_local int e = 0;
  return e;
}
inline bool injected(const char *var, long &count) {
  const char *v = std::getenv(var);
  return v && ++count == std::atol(v);
}
inline long &live() {
  static long n = 0;
  return n;
}
inline long &launches() {
  static long n = 0;
  return n;
}
template <class F, class... Args> void launchKernel(dim3 grid, dim3 block, F f, Args... args) {
  if (injected("TERN_EMU_FAIL_LAUNCH", launches())) {
    pendingError() = 3; // cudaErrorLaunchFailure
    return;
  }
  enqueue([=]() { run(grid, block, [=]() { f(args...); }); });
}
} // namespace tern_emu
// Checked like the real launch macro of the generated source.
#define TERN_LAUNCH(kernel, grid, block, stream, ...)                                              \
  do {                                                                                             \
    tern_emu::launchKernel(dim3(grid), dim3(block), [](auto... a) { kernel(a...); }, __VA_ARGS__); \
    cudaError_t tern_le = cudaGetLastError();                                                      \
    if (tern_le != cudaSuccess) {                                                                  \
      tern_failed_at = "kernel " #kernel;                                                          \
      return tern_le;                                                                              \
    }                                                                                              \
  } while (0)
extern "C" long tern_emu_live_allocations(void) { return tern_emu::live(); }

inline cudaError_t cudaGetDeviceCount(int *n) { return *n = 1, cudaSuccess; }
inline cudaError_t cudaGetDevice(int *d) { return *d = 0, cudaSuccess; }
// Compute capability 8; 3 multiprocessors, so that grids sized to the SM
// count make the GEMV kernels loop over their rows.
inline cudaError_t cudaDeviceGetAttribute(int *v, cudaDeviceAttr a, int) {
  return *v = a == cudaDevAttrMultiProcessorCount ? 3 : 8, cudaSuccess;
}
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned) {
  *s = reinterpret_cast<cudaStream_t>(new char(0));
  return cudaSuccess;
}
inline cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete reinterpret_cast<char *>(s);
  return cudaSuccess;
}
inline cudaError_t cudaMalloc(void **p, size_t n) {
  static long mallocs = 0;
  if (tern_emu::injected("TERN_EMU_FAIL_MALLOC", mallocs))
    return *p = nullptr, cudaErrorMemoryAllocation;
  *p = std::aligned_alloc(256, (n + 255) / 256 * 256);
  tern_emu::live() += *p != nullptr;
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void *p) {
  tern_emu::live() -= p != nullptr;
  return std::free(p), cudaSuccess;
}
inline cudaError_t cudaMemcpy(void *d, const void *s, size_t n, cudaMemcpyKind) {
  std::memmove(d, s, n);
  return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, cudaMemcpyKind,
                                   cudaStream_t = nullptr) {
  tern_emu::enqueue([=]() { std::memmove(d, s, n); });
  return cudaSuccess;
}
inline cudaError_t cudaMemset(void *d, int v, size_t n) {
  std::memset(d, v, n);
  return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void *d, int v, size_t n, cudaStream_t = nullptr) {
  tern_emu::enqueue([=]() { std::memset(d, v, n); });
  return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetLastError() {
  cudaError_t e = tern_emu::pendingError();
  tern_emu::pendingError() = 0;
  return e;
}
inline const char *cudaGetErrorString(cudaError_t e) {
  return e == cudaErrorMemoryAllocation ? "emulated: out of memory"
         : e == cudaErrorLaunchFailure  ? "emulated: launch failure"
                                        : "emulated CUDA error";
}
inline const char *cudaGetErrorName(cudaError_t) { return "cudaErrorEmulation"; }
inline cudaError_t cudaStreamBeginCapture(cudaStream_t, cudaStreamCaptureMode) {
  tern_emu::capturing() = new tern_emu::Graph();
  return cudaSuccess;
}
inline cudaError_t cudaStreamEndCapture(cudaStream_t, cudaGraph_t *g) {
  *g = tern_emu::capturing();
  tern_emu::capturing() = nullptr;
  return cudaSuccess;
}
inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t *e, cudaGraph_t g, unsigned long long) {
  *e = new tern_emu::Graph(*g);
  return cudaSuccess;
}
inline cudaError_t cudaGraphLaunch(cudaGraphExec_t e, cudaStream_t) {
  for (auto &op : e->ops)
    op();
  return cudaSuccess;
}
inline cudaError_t cudaGraphDestroy(cudaGraph_t g) { return delete g, cudaSuccess; }
inline cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) { return delete e, cudaSuccess; }

#endif // TERN_CUDA_EMULATION_H

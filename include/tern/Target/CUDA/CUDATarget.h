//===- CUDATarget.h - the CUDA backend: pipeline, emitter, artifacts ------===//
//
// The CUDA backend lowers a model at the tern level to a sequence of kernel
// launches and emits one CUDA C++ translation unit: Tern's kernel library
// (lib/Target/CUDA/kernels/tern_cuda_kernels.cuh), kernels generated for the
// model (fused GEMV/GEMM epilogues, element-wise and reduction kernels), and a
// host launcher exporting the C ABI of tern_runtime.h. Weights are packed at
// compile time into one binary blob that the launcher uploads once.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TARGET_CUDA_CUDATARGET_H
#define TERN_TARGET_CUDA_CUDATARGET_H

#include "llvm/Support/CommandLine.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace mlir::tern {

/// tern ops -> the form the CUDA emitter reads (`tern-cuda-prepare`): weight
/// quantization folded, layers decomposed into rmsnorm / act_quant / tmatmul
/// and linalg.generic, named linalg ops generalized, element-wise generics
/// fused (so a tmatmul's rescale and the MLGRU gate math form one generic).
void buildCUDAPreparePipeline(OpPassManager &pm);

#define GEN_PASS_DECL
#include "tern/Target/CUDA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tern/Target/CUDA/Passes.h.inc"

// The launch plan `tern-cuda-plan-kernels` records (discardable attributes
// the emitter reads; see include/tern/Target/CUDA/Passes.td).
namespace cuda {
/// UnitAttr on the function: the plan is there.
constexpr llvm::StringLiteral kPlanned = "tern.cuda.planned";
/// DenseI64ArrayAttr on an element-wise generic: its inputs that are
/// tmatmul results computed in its kernel.
constexpr llvm::StringLiteral kGemmInputs = "tern.cuda.gemm_inputs";
/// I64 on a GEMV/GEMM group: groups with the same value share a launch.
constexpr llvm::StringLiteral kLaunch = "tern.cuda.launch";
/// I64 on an act_quant: its quantization group.
constexpr llvm::StringLiteral kQuantGroup = "tern.cuda.quant_group";
/// I64 (the group) on ops the group's launch computes on the fly.
constexpr llvm::StringLiteral kQuantNorm = "tern.cuda.quant_norm";
constexpr llvm::StringLiteral kQuantPre = "tern.cuda.quant_pre";
constexpr llvm::StringLiteral kQuantChain = "tern.cuda.quant_chain";
constexpr llvm::StringLiteral kQuantChainNorm = "tern.cuda.quant_chain_norm";
/// I64 on the members of a quantization group that runs in the last block
/// of that GEMV launch instead of a launch of its own.
constexpr llvm::StringLiteral kQuantInLaunch = "tern.cuda.quant_in_launch";
} // namespace cuda

/// Registers `tern-cuda-prepare` and the CUDA passes.
void registerCUDAPipelines();
/// Registers `--tern-to-cuda` (prepared module -> CUDA C++) in a translation
/// driver.
void registerCUDATranslation();

/// The ternary multiply-accumulate of the GEMV/GEMM kernels (see
/// lib/Target/CUDA/kernels/tern_cuda_kernels.cuh).
enum class CUDAMac {
  Select, ///< bit-plane masks, AND/XOR selects, DP4A as a byte adder: multiply-free
  DP4A,   ///< offset codes c = t + 1, DP4A c*x, minus sum(x): half the instructions
};
/// The choices of ternc's --cuda-mac and tern-translate's --tern-cuda-mac:
/// auto (= dp4a, like the CPU backend's auto = vnni), dp4a and select.
llvm::cl::ValuesClass getCUDAMacValues();

struct CUDAEmitOptions {
  CUDAMac mac = CUDAMac::DP4A;
  /// The weights file the generated source includes with `.incbin`; empty:
  /// the source expects -DTERN_WEIGHTS_FILE="path".
  std::string weightsPath;
};

/// What the emitter produced for one model function.
struct CUDAModelSource {
  std::string source;            ///< the .cu translation unit
  std::vector<char> weights;     ///< the weight blob (packed ternary + float constants)
  int64_t arenaBytes = 0;        ///< device memory for activations and staging
  unsigned numLaunches = 0;      ///< kernel launches per run (outside loops)
};

/// Appends the GPU layout of a [rows, cols] ternary matrix packed like
/// #tern.ternary (2-bit codes, 4 per byte) to `out`: a uint2 per 32 weights,
/// an even number of them per row (zero weights pad), row-major ({nonzero, negative} bit masks for Select, interleaved 2-bit
/// codes for DP4A), then int32 count of -1 weights per row (see
/// lib/Target/CUDA/kernels/tern_cuda_kernels.cuh).
void packTernaryForCUDA(llvm::ArrayRef<uint8_t> packed, int64_t rows, int64_t cols,
                        std::vector<char> &out, CUDAMac mac = CUDAMac::Select);

/// Emits the CUDA translation unit for `fn` (the module must be in the
/// prepared form). Fails with a diagnostic on ops the backend does not handle.
FailureOr<CUDAModelSource> emitCUDAModel(func::FuncOp fn, const CUDAEmitOptions &options);

/// The model function of a module: @main, or the only public function.
FailureOr<func::FuncOp> findCUDAModelFunction(ModuleOp module);

struct CUDABuildOptions {
  std::string nvcc;                              ///< empty: $TERN_NVCC, /usr/local/cuda/bin/nvcc, PATH
  std::vector<std::string> archs = {"80", "90"}; ///< SASS for each sm_XX, PTX of the last
  bool keepSource = false;                       ///< leave model.cu next to the output
  CUDAMac mac = CUDAMac::DP4A;
  std::vector<std::string> extraFlags;
};

/// Writes the source and weights of `model` to a temporary directory and
/// builds a shared library at `outputPath` with nvcc (-gencode per arch).
LogicalResult buildCUDALibrary(Location loc, const CUDAModelSource &model,
                               llvm::StringRef outputPath, const CUDABuildOptions &options);

/// The nvcc to use (see CUDABuildOptions::nvcc), or empty when none is found.
std::string findNVCC(llvm::StringRef preferred = "");

/// ternc's CUDA path for a module at the tern level: runs tern-cuda-prepare
/// (printing it to `pipelineLog` when set), emits, and writes `kind`:
///   so     the shared library (nvcc) and its C header next to it (.h)
///   cu     the CUDA source and its weights file next to it (.weights)
///   mlir   the prepared module
///   header the C header
/// `progress` is told about each step.
LogicalResult compileForCUDA(ModuleOp module, llvm::StringRef kind, llvm::StringRef outputPath,
                             const CUDABuildOptions &options, llvm::raw_ostream *pipelineLog,
                             llvm::function_ref<void(llvm::StringRef)> progress);

/// Number of CUDA devices through the driver API (libcuda.so.1, loaded at
/// run time); 0 with a reason in `why` when there is no driver or no GPU.
int countCUDADevices(std::string &why);

} // namespace mlir::tern

#endif // TERN_TARGET_CUDA_CUDATARGET_H

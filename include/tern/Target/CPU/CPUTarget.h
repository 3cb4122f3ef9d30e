//===- CPUTarget.h - the CPU backend: pipelines, codegen, artifacts -------===//
#ifndef TERN_TARGET_CPU_CPUTARGET_H
#define TERN_TARGET_CPU_CPUTARGET_H

#include "Tern/TernaryKernels.h"
#include "tern/Runtime/tern_runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace mlir::tern {

/// The symbol the model function gets (it must not be `main`, which would
/// clash with executables linking the artifact).
constexpr llvm::StringLiteral kModelFunctionName = "tern_model_main";

/// tern ops + linalg on tensors -> linalg with ternary products as
/// select/add/sub over packed codes, verified multiply-free
/// (`tern-cpu-to-linalg`).
/// A non-empty `kernel` runs tern-select-ternary-kernel with it first;
/// otherwise the module's #tern.ternary_kernel (or none: portable) is used.
void buildCPUTernToLinalgPipeline(OpPassManager &pm, llvm::StringRef kernel = "");
/// linalg on tensors -> LLVM dialect, with the chosen ternary kernels and
/// OpenMP threads over output rows (`tern-cpu-lower-to-llvm`).
void buildCPULinalgToLLVMPipeline(OpPassManager &pm, llvm::StringRef kernel = "");
/// Registers both pipelines and their union `tern-cpu-pipeline`.
void registerCPUPipelines();

/// One tensor of the model signature.
struct TensorSignature {
  std::string name;
  tern_dtype dtype;
  std::vector<int64_t> shape;
};
struct ModelSignature {
  std::vector<TensorSignature> inputs, outputs;
};

/// The model function: @main, or the only public function with a body
/// (an error on the module otherwise). Shared by every backend.
FailureOr<func::FuncOp> findModelFunction(ModuleOp module);

/// Finds the model function (see findModelFunction), reads its signature, renames it to kModelFunctionName and asks for
/// its C interface: the step between the tern-level module and the CPU
/// pipelines.
FailureOr<ModelSignature> prepareModelFunction(ModuleOp module);

/// Reads the signature of the model function (tensor types, `tern.name`
/// argument/result attributes) before lowering; fails with a diagnostic on
/// dynamic shapes or unsupported element types.
FailureOr<ModelSignature> getModelSignature(func::FuncOp fn);

/// The generated C header and the C source of the ABI wrapper
/// (tern_runtime.h's functions) around `_mlir_ciface_tern_model_main`.
std::string emitModelHeader(const ModelSignature &sig);
/// C source of the argument checks every backend's ABI wrapper uses:
/// `static int check(const tern_tensor *, const tern_tensor_info *, const char *kind,
/// int index, char *error, size_t size)` (0 when dtype and shape match).
llvm::StringRef getABICheckSource();
std::string emitModelWrapper(const ModelSignature &sig);

struct CPUCodegenOptions {
  std::string cpu = "native";       ///< -mcpu name, or "native" for the host
  std::string features;             ///< extra target features, "+avx2,-avx512f"
  unsigned optLevel = 3;
};
enum class CPUEmitKind { LLVMIR, Assembly, Object };

/// Translates an LLVM-dialect module to LLVM IR, optimizes it for the target
/// and writes LLVM IR, assembly or an object file.
LogicalResult emitCPUCode(ModuleOp module, const CPUCodegenOptions &options,
                          CPUEmitKind kind, llvm::raw_pwrite_stream &os);

/// Records the target of `options` on the module as `tern.target` (unless
/// the driver did) and runs tern-select-ternary-kernel with `name` ("auto"
/// or a kernel of the table); returns the chosen #tern.ternary_kernel, or
/// fails with a diagnostic (unknown name, kernel the target cannot run).
FailureOr<TernaryKernelAttr> selectTernaryKernel(ModuleOp module, llvm::StringRef name,
                                                const CPUCodegenOptions &options);

/// Emits the object code of a module lowered to the LLVM dialect, the C ABI
/// wrapper, and links both into the shared library `soPath`.
LogicalResult buildModelLibrary(ModuleOp module, const ModelSignature &sig,
                                const CPUCodegenOptions &options, llvm::StringRef soPath);

/// The CPU name and feature string "native" (or `options`) resolves to.
std::pair<std::string, std::string> resolveCPU(const CPUCodegenOptions &options);

/// Links `objectPath` and the wrapper source into a shared library with the
/// host C compiler (clang-22), with LLVM's OpenMP runtime.
LogicalResult linkModelLibrary(Location loc, llvm::StringRef objectPath,
                               llvm::StringRef wrapperPath, llvm::StringRef outputPath);

} // namespace mlir::tern

#endif // TERN_TARGET_CPU_CPUTARGET_H

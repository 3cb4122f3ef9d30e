//===- CPUTarget.h - the CPU backend: pipelines, codegen, artifacts -------===//
#ifndef TERN_TARGET_CPU_CPUTARGET_H
#define TERN_TARGET_CPU_CPUTARGET_H

#include "Tern/TernaryKernels.h"
#include "tern/Runtime/tern_runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
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
  std::string triple;               ///< LLVM target triple; "" = the host's
  std::string cpu;                  ///< -mcpu name; "" or "native" = the host CPU
                                    ///< (on the host's architecture), else generic
  std::string features;             ///< extra target features, "+avx2,-avx512f"
  unsigned optLevel = 3;
  /// Links the model library (a C compiler driver); "" = clang-22 for the
  /// host, TRIPLE-gcc (e.g. aarch64-linux-gnu-gcc) for other targets.
  std::string linker;
  std::string sysroot;              ///< --sysroot for the linker; "" = its default
};
enum class CPUEmitKind { LLVMIR, Assembly, Object };

/// Resolves the target of `options` (see CPUTargetInfo.h) and records it on
/// the module as `tern.target`; an error on the module for an unknown
/// triple, CPU or feature. The drivers call it before the CPU pipeline.
LogicalResult recordCPUTarget(ModuleOp module, const CPUCodegenOptions &options);
/// The module's `tern.target`, recorded from `options` if absent.
FailureOr<LLVM::TargetAttr> getCPUTarget(ModuleOp module, const CPUCodegenOptions &options);
/// True if model libraries for `target` get OpenMP threads (LLVM's libomp of
/// this host); for other targets the parallel row loops run serially.
bool targetHasOpenMPRuntime(LLVM::TargetAttr target);

/// Translates an LLVM-dialect module to LLVM IR, optimizes it for the
/// module's `tern.target` (else the target of `options`) and writes LLVM IR,
/// assembly or an object file. x86 intrinsics on another architecture are an
/// error.
LogicalResult emitCPUCode(ModuleOp module, const CPUCodegenOptions &options,
                          CPUEmitKind kind, llvm::raw_pwrite_stream &os);

/// Registers `tern-cpu-to-llvmir` and `tern-cpu-to-asm` (emitCPUCode on an
/// LLVM-dialect module; the target is its `tern.target`, else the host).
void registerCPUTranslations();

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

/// Links `objectPath` and the wrapper source into a shared library for
/// `target`: with the host C compiler (clang-22) and LLVM's OpenMP runtime
/// on the host, with `options.linker` (default TRIPLE-gcc) and no OpenMP
/// runtime for other targets.
LogicalResult linkModelLibrary(Location loc, llvm::StringRef objectPath,
                               llvm::StringRef wrapperPath, llvm::StringRef outputPath,
                               LLVM::TargetAttr target = {},
                               const CPUCodegenOptions &options = {});

/// The C compiler driver that links libraries for `target` (see
/// CPUCodegenOptions::linker), or failure with `error` set.
FailureOr<std::string> findTargetLinker(LLVM::TargetAttr target, const CPUCodegenOptions &options,
                                        std::string &error);

/// The Debian spelling of a triple, "aarch64-linux-gnu": the prefix of its
/// cross tools, its sysroot /usr/TRIPLE and the folder of its model runner.
std::string getToolchainTriple(llvm::StringRef triple);

} // namespace mlir::tern

#endif // TERN_TARGET_CPU_CPUTARGET_H

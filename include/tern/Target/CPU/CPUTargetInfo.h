//===- CPUTargetInfo.h - the CPU target a module is compiled for ----------===//
//
// One place resolves what `--target-triple`, `--cpu` and `--target-features`
// mean: a triple LLVM knows, a CPU of that target and the full list of
// features it enables (read from LLVM's subtarget tables, so any named CPU
// works, not only the host). The result is recorded on the module as
//
//   module attributes {tern.target = #llvm.target<triple = "...", chip = "...",
//                      features = #llvm.target_features<["+avx2", ...]>>}
//
// before the CPU pipeline, so passes (the ternary-kernel choice) and codegen
// read the same target.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TARGET_CPU_CPUTARGETINFO_H
#define TERN_TARGET_CPU_CPUTARGETINFO_H

#include "Tern/TernaryKernels.h"

#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace mlir::tern {

// kTargetAttrName ("tern.target", an LLVM::TargetAttr) comes with the
// kernel table, whose passes read it.

/// What the user asked for; empty fields take defaults.
struct CPUTargetRequest {
  std::string triple;   ///< "" = the host (process) triple
  std::string cpu;      ///< "" = "native" on the host architecture, "generic" elsewhere
  std::string features; ///< changes on top of the CPU, "+dotprod,-avx512f"
};

/// A resolved target: a normalized triple, a CPU LLVM knows for it and every
/// feature that is on (the CPU's, implied ones and the requested changes).
struct CPUTargetDesc {
  std::string triple;
  std::string cpu;
  std::vector<std::string> features; ///< "+name" each, sorted
};

/// Registers every target this LLVM was built with (once per process).
void initializeLLVMTargets();

/// Resolves `request`; on failure returns failure() with a one-line reason
/// in `error` (an unknown triple, CPU or feature, or `native` for another
/// architecture).
FailureOr<CPUTargetDesc> resolveCPUTarget(const CPUTargetRequest &request, std::string &error);

LLVM::TargetAttr getTargetAttr(MLIRContext *context, const CPUTargetDesc &target);
/// The target recorded on `module`, or null.
LLVM::TargetAttr getModuleTarget(ModuleOp module);
void setModuleTarget(ModuleOp module, LLVM::TargetAttr target);

/// The feature string for LLVM's TargetMachine: "-name" for every feature of
/// the target the attribute does not list (so the CPU's defaults do not turn
/// back on what the user turned off), then the listed ones with what they
/// imply.
std::string getLLVMFeatureString(LLVM::TargetAttr target);

/// True if the target enables `feature` (given without its sign).
bool hasFeature(LLVM::TargetAttr target, llvm::StringRef feature);

/// A TargetMachine for `target` (position-independent code), or null with
/// `error` set.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(LLVM::TargetAttr target,
                                                         unsigned optLevel, std::string &error);

/// True if code for `triple` runs natively here (same architecture and OS as
/// this process).
bool isHostCompatible(const llvm::Triple &triple);

} // namespace mlir::tern

#endif // TERN_TARGET_CPU_CPUTARGETINFO_H

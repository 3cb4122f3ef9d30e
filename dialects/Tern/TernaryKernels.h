//===- TernaryKernels.h - the one table of CPU ternary kernels ------------===//
//
// Every CPU ternary kernel, with the target it needs, the layout of its
// weights and the instruction it accumulates with. `tern-select-ternary-kernel`
// picks from it, `#tern.ternary_kernel` verifies against it, and the
// conversions read the chosen entry; nothing else names kernels.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TERNARYKERNELS_H
#define TERN_TERNARYKERNELS_H

#include "Tern/TernDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>

namespace mlir::tern {

/// The module attributes: the target (an `#llvm.target`, written by the
/// driver) and the chosen kernel (`#tern.ternary_kernel`).
constexpr llvm::StringLiteral kTargetAttrName = "tern.target";
constexpr llvm::StringLiteral kTernaryKernelAttrName = "tern.ternary_kernel";

enum class TernaryArch { Any, X86, AArch64 };

struct TernaryKernelInfo {
  TernaryKernelKind kind;
  TernaryArch arch;
  /// LLVM feature names the target must enable (all of them).
  llvm::ArrayRef<llvm::StringLiteral> features;
  /// Compile-time weights with N % tileRows == 0 are packed in tiles of
  /// tileRows rows x tileBytes bytes per group (see TernaryToArith); 1 x 64 is
  /// the untiled 64-byte-group layout, 1 x 1 the row-major one.
  int64_t tileRows, tileBytes;
  TernaryDot dot;
  /// The kernel of accumulations left untiled (run-time quantized weights,
  /// N not a multiple of tileRows): always 64-byte groups.
  TernaryKernelKind untiled;
  /// `auto` picks the allowed kernel of highest rank; 0: never.
  int autoRank;
  llvm::StringLiteral summary;
};

llvm::ArrayRef<TernaryKernelInfo> getTernaryKernelTable();
const TernaryKernelInfo &getTernaryKernelInfo(TernaryKernelKind kind);
/// The command-line spelling: the enum name with '-' for '_' ("vnni-base3").
std::string getTernaryKernelName(TernaryKernelKind kind);
std::optional<TernaryKernelKind> parseTernaryKernelName(llvm::StringRef name);
/// "auto, portable, select, ..." for help texts and errors.
std::string getTernaryKernelNameList();
/// A kernel's summary and the target it needs, e.g. "AVX2 ...; x86-64 +avx2"
/// (for --help).
std::string getTernaryKernelDescription(const TernaryKernelInfo &info);

/// The host: process triple, host CPU name and host features.
LLVM::TargetAttr getHostTarget(MLIRContext *ctx);
/// `tern.target` of the module enclosing (or being) `op`, else the host's.
LLVM::TargetAttr getTernaryTarget(Operation *op);
TernaryArch getTargetArch(LLVM::TargetAttr target);
/// True if the target's features enable `feature` (the last mention wins).
bool targetHasFeature(LLVM::TargetAttr target, llvm::StringRef feature);
/// Fails with a diagnostic naming the missing architecture or features.
LogicalResult checkTernaryKernelTarget(TernaryKernelKind kind, LLVM::TargetAttr target,
                                       llvm::function_ref<InFlightDiagnostic()> emitError);
/// The `auto` choice: the highest-ranked kernel the target allows.
TernaryKernelKind chooseTernaryKernel(LLVM::TargetAttr target);
/// `tern.ternary_kernel` of the module enclosing (or being) `op`, or null.
TernaryKernelAttr getModuleTernaryKernel(Operation *op);

} // namespace mlir::tern

#endif // TERN_TERNARYKERNELS_H

//===- OutlineTopLevelLoops.h - bound LLVM's per-function cost ------------===//
#ifndef TERN_TARGET_CPU_OUTLINETOPLEVELLOOPS_H
#define TERN_TARGET_CPU_OUTLINETOPLEVELLOOPS_H

namespace llvm {
class Module;
} // namespace llvm

namespace mlir::tern {

/// Functions with more than this many top-level loops are split.
inline constexpr unsigned kMaxTopLevelLoopsPerFunction = 512;

/// Moves every top-level loop of a function that has more than
/// kMaxTopLevelLoopsPerFunction of them into a function of its own (LLVM's
/// CodeExtractor; never inlined back). Returns how many loops were moved.
unsigned outlineTopLevelLoops(llvm::Module &module);

} // namespace mlir::tern

#endif // TERN_TARGET_CPU_OUTLINETOPLEVELLOOPS_H

//===- TernaryToVector.cpp - vectorized CPU ternary kernels ---------------===//
//
// Dispatches every bufferized ternary accumulation to the kernel family the
// module's `#tern.ternary_kernel` names (one file per family; see
// KernelBuilder.h). An accumulation whose layout does not match the kernel is
// an error, never a silent scalar loop.
//
//===----------------------------------------------------------------------===//
#include "KernelBuilder.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNTERNARYTOVECTOR
#include "tern/Conversion/Passes.h.inc"

using namespace kernels;

namespace {

/// The row-tiled family of `kind` (null for untiled-only kernels).
std::optional<TiledDot> getTiledDot(MLIRContext *ctx, TernaryKernelKind kind, bool base3) {
  switch (kind) {
  case TernaryKernelKind::vnni:
  case TernaryKernelKind::vnni_base3:
    return getAVX512VNNITiledDot(ctx, base3);
  case TernaryKernelKind::avxvnni:
    return getAVXVNNITiledDot(ctx);
  case TernaryKernelKind::avx2:
    return getAVX2TiledDot(ctx);
  case TernaryKernelKind::avx2_select:
    return getAVX2SelectTiledDot(ctx);
  case TernaryKernelKind::sdot:
    return getSDotTiledDot(ctx);
  case TernaryKernelKind::neon:
    return getNEONTiledDot(ctx);
  default:
    return std::nullopt;
  }
}

struct TernaryToVectorPass : impl::TernTernaryToVectorBase<TernaryToVectorPass> {
  using Base::Base;
  void runOnOperation() override {
    Operation *root = getOperation();
    SmallVector<linalg::GenericOp> accumulations;
    root->walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kTernaryAccumulationAttr) && op.hasPureBufferSemantics())
        accumulations.push_back(op);
    });
    if (accumulations.empty())
      return;
    // No kernel attribute: portable, as for tern-ternary-to-arith.
    TernaryKernelAttr attr = getModuleTernaryKernel(root);
    TernaryKernelKind kind = attr ? attr.getKind() : TernaryKernelKind::portable;
    const TernaryKernelInfo &info = getTernaryKernelInfo(kind);
    // The target may have changed since the kernel was chosen: no x86
    // intrinsic may reach an AArch64 module and vice versa.
    if (failed(checkTernaryKernelTarget(kind, getTernaryTarget(root),
                                        [&] { return root->emitError("tern-ternary-to-vector: "); })))
      return signalPassFailure();
    std::string name = getTernaryKernelName(info.kind);
    for (linalg::GenericOp op : accumulations) {
      auto group = op->getAttrOfType<IntegerAttr>(kTernaryGroupBytesAttr);
      auto tile = op->getAttrOfType<IntegerAttr>(kTernaryTileRowsAttr);
      if (info.kind == TernaryKernelKind::portable) {
        if (tile || !group || group.getInt() != 1) {
          op.emitOpError("is packed for a vector kernel, but the module's kernel is portable")
              << (attr ? "" : " (it has no '" + kTernaryKernelAttrName.str() + "')");
          return signalPassFailure();
        }
        continue; // portable: the generic loops are the kernel
      }
      LogicalResult lowered = failure();
      if (tile) {
        if (tile.getInt() != info.tileRows) {
          op.emitOpError("is tiled in ") << tile.getInt() << "-row tiles, but the " << name
                                         << " kernel reads " << info.tileRows << "-row tiles";
          return signalPassFailure();
        }
        bool base3 = op->hasAttr(kTernaryBase3Attr);
        if (base3 && info.kind != TernaryKernelKind::vnni_base3) {
          op.emitOpError("holds base-3 codes, which only the vnni-base3 kernel reads, not ") << name;
          return signalPassFailure();
        }
        if (info.kind == TernaryKernelKind::lut)
          lowered = lowerLUTKernel(op);
        else if (std::optional<TiledDot> dot = getTiledDot(&getContext(), info.kind, base3))
          lowered = lowerTiledKernel(op, *dot);
        else
          lowered = op.emitOpError("has row tiles, which the ") << name << " kernel does not read";
      } else {
        if (!group || group.getInt() != kLanes) {
          op.emitOpError("is not packed in 64-byte groups, which the untiled ")
              << getTernaryKernelName(info.untiled) << " kernel of " << name << " reads";
          return signalPassFailure();
        }
        lowered = lowerGroupKernel(op, info.untiled == TernaryKernelKind::vnni);
      }
      if (failed(lowered))
        return signalPassFailure();
    }
    // The choice now lives in the generated code; the LLVM-dialect module
    // keeps only LLVM-dialect attributes (tern.target is an #llvm.target), so
    // stock mlir-translate reads it.
    if (ModuleOp module = isa<ModuleOp>(root) ? cast<ModuleOp>(root) : root->getParentOfType<ModuleOp>())
      module->removeAttr(kTernaryKernelAttrName);
  }
};
} // namespace
} // namespace mlir::tern

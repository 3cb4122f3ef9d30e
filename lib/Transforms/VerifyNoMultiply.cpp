//===- VerifyNoMultiply.cpp - ternary accumulations are multiply-free -----===//
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNVERIFYNOMULTIPLY
#include "tern/Transforms/Passes.h.inc"

namespace {
/// Ops that multiply (or would hide a multiply) in any of the dialects a
/// kernel passes through on its way to LLVM.
bool isMultiply(Operation *op) {
  // Target intrinsics named after multiplies or dot products (vpdpbusd, pmaddubsw, ...).
  if (auto intr = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
    StringRef name = intr.getIntrin();
    return name.contains("mul") || name.contains("dp") || name.contains("madd") ||
           name.contains("fma");
  }
  return isa<arith::MulIOp, arith::MulFOp, arith::MulSIExtendedOp, arith::MulUIExtendedOp,
             math::FmaOp, vector::ContractionOp, vector::FMAOp, vector::OuterProductOp,
             LLVM::MulOp, LLVM::FMulOp, LLVM::FMAOp, LLVM::FMulAddOp>(op);
}

struct VerifyNoMultiplyPass : impl::TernVerifyNoMultiplyBase<VerifyNoMultiplyPass> {
  using Base::Base;
  void runOnOperation() override {
    int64_t verified = 0;
    bool failedCheck = false;
    getOperation()->walk([&](Operation *op) {
      if (isa<TMatmulOp>(op)) {
        op->emitError("ternary product was not lowered to select/add/sub (run "
                      "tern-ternary-to-arith first)");
        failedCheck = true;
        return;
      }
      if (!op->hasAttr(kTernaryAccumulationAttr))
        return;
      ++verified;
      op->walk([&](Operation *inner) {
        if (inner != op && isMultiply(inner)) {
          InFlightDiagnostic d = inner->emitError("multiply '")
                                 << inner->getName() << "' inside a ternary accumulation";
          d.attachNote(op->getLoc()) << "in this kernel";
          failedCheck = true;
        }
      });
    });
    if (verified < expectAtLeast) {
      getOperation()->emitError("expected at least ")
          << static_cast<int64_t>(expectAtLeast) << " ternary accumulations, found " << verified;
      failedCheck = true;
    }
    if (failedCheck)
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::tern

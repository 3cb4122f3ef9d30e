//===- KernelBuilder.cpp - shared pieces of the CPU ternary kernels -------===//
#include "KernelBuilder.h"

namespace mlir::tern::kernels {

/// A loop over [0, n) in steps of `step`: scf.parallel (OpenMP rows) for
/// large matrices, scf.for otherwise.
Operation *buildRowLoop(OpBuilder &b, Location loc, int64_t n, int64_t step, bool parallel,
                        function_ref<void(OpBuilder &, Location, Value)> body) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, n);
  Value stepV = arith::ConstantIndexOp::create(b, loc, step);
  if (parallel)
    return scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{upper}, ValueRange{stepV},
                                   [&](OpBuilder &pb, Location pl, ValueRange ivs) {
                                     body(pb, pl, ivs[0]);
                                   });
  return scf::ForOp::create(b, loc, c0, upper, stepV, ValueRange{},
                            [&](OpBuilder &fb, Location fl, Value iv, ValueRange) {
                              body(fb, fl, iv);
                              scf::YieldOp::create(fb, fl);
                            });
}

/// Collapses a contiguous memref's dims `from..rank-1` into one (null if the
/// layout does not allow it).
Value collapseTrailing(OpBuilder &b, Location loc, Value memref, int64_t from) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < from; ++d)
    groups.push_back({d});
  ReassociationIndices last;
  for (int64_t d = from; d < type.getRank(); ++d)
    last.push_back(d);
  groups.push_back(last);
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, groups))
    return nullptr;
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
}

} // namespace mlir::tern::kernels

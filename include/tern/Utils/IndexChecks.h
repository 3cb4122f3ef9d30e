//===- IndexChecks.h - run-time bound checks of gather indices ------------===//
//
// ONNX says an index outside [-dim, dim) is an error; a compiled model must
// report it rather than read another row. The check is a sequential scan of
// the (small) index tensor that calls the model runtime's
// `tern_rt_index_error(what, index, dim)` (defined by the CPU C ABI wrapper)
// for a bad index; the runtime keeps the first and makes `tern_model_run`
// fail with it.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_UTILS_INDEXCHECKS_H
#define TERN_UTILS_INDEXCHECKS_H

#include "mlir/IR/Builders.h"

namespace mlir::tern {

/// The runtime function the checks call: (memref<?xi8> what, i64 index, i64 dim).
inline constexpr llvm::StringLiteral kIndexErrorFunction = "tern_rt_index_error";

/// Emits at the builder's point a scan of `indices` (a static tensor of any
/// integer type) that reports each index outside [-dim, dim) with `what`
/// (e.g. "node 'g' (Gather)") to the runtime. Declares the runtime function
/// and a string global in the enclosing module.
void buildIndexBoundCheck(OpBuilder &b, Location loc, Value indices, int64_t dim,
                          llvm::StringRef what);

} // namespace mlir::tern

#endif // TERN_UTILS_INDEXCHECKS_H

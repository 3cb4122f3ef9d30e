//===- InitAllPasses.h - register every Tern pass -------------------------===//
#ifndef TERN_INITALLPASSES_H
#define TERN_INITALLPASSES_H

#include "tern/Conversion/Passes.h"
#include "tern/Transforms/Passes.h"

namespace mlir::tern {
/// Registers Tern's transformation and conversion passes.
inline void registerAllTernPasses() {
  registerTernPasses();
  registerTernConversionPasses();
}
} // namespace mlir::tern

#endif // TERN_INITALLPASSES_H

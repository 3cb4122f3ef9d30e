#include "tern/Target/HLS/HLSTarget.h"
namespace mlir::tern {
std::string estimateHLS(ModuleOp module, const HLSPackageOptions &options) { return "TODO\n"; }
} // namespace mlir::tern

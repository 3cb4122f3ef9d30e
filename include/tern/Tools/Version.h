//===- Version.h - what every Tern tool prints for --version --------------===//
//
// One place for the version lines of ternc, tern-opt, tern-translate and
// tern-bench: Tern's own version and the LLVM, MLIR and ONNX it was built
// against (tools/CMakeLists.txt defines TERN_VERSION and TERN_ONNX_VERSION).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_VERSION_H
#define TERN_TOOLS_VERSION_H

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#ifndef TERN_VERSION
#define TERN_VERSION "unknown"
#endif
#ifndef TERN_ONNX_VERSION
#define TERN_ONNX_VERSION "none (built without the ONNX importer)"
#endif

namespace tern {

inline void printToolVersion(llvm::raw_ostream &os, llvm::StringRef tool) {
  os << tool << " (Tern " TERN_VERSION ")\n"
     << "  LLVM " LLVM_VERSION_STRING "\n"
     << "  MLIR " LLVM_VERSION_STRING " (the MLIR of that LLVM)\n"
     << "  ONNX " TERN_ONNX_VERSION "\n";
}

/// For tools that parse with llvm::cl (MlirOptMain, mlirTranslateMain):
/// --version prints Tern's lines instead of LLVM's generic ones.
inline void setToolVersionPrinter(llvm::StringRef tool) {
  static std::string name;
  name = tool.str();
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) { printToolVersion(os, name); });
}

/// For tools that parse their own arguments: true (after printing) when the
/// arguments ask for --version.
inline bool handleVersionFlag(int argc, char **argv, llvm::StringRef tool) {
  for (int i = 1; i < argc; ++i)
    if (llvm::StringRef(argv[i]) == "--version" || llvm::StringRef(argv[i]) == "-version") {
      printToolVersion(llvm::outs(), tool);
      return true;
    }
  return false;
}

} // namespace tern

#endif // TERN_TOOLS_VERSION_H

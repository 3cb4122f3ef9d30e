//===- tern-translate.cpp - translations out of MLIR with Tern --------===//
//
// Upstream translations (e.g. --mlir-to-llvmir), the ONNX importer
// (--import-onnx) and Tern's CPU, CUDA and HLS emitters (ToolSetup.h).
//
//===----------------------------------------------------------------------===//
#include "tern/Tools/ToolSetup.h"
#include "tern/Tools/Version.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  if (::tern::handleVersionFlag(argc, argv, "tern-translate"))
    return 0;
  mlir::registerAllTranslations();
  ::tern::registerToolTranslations();
  return mlir::failed(mlir::mlirTranslateMain(argc, argv, "Tern translation driver\n"));
}

//===- tern-translate.cpp - translations out of MLIR with Tern --------===//
//
// Upstream translations (e.g. --mlir-to-llvmir), the ONNX importer
// (--import-onnx) and Tern's emitters, which register themselves here as the
// CUDA and HLS backends land.
//
//===----------------------------------------------------------------------===//
#include "Tern/TernOps.h"
#include "tern/Import/ONNX/ImportONNX.h"
#include "tern/Target/HLS/HLSTarget.h"
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Tools/Version.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  if (::tern::handleVersionFlag(argc, argv, "tern-translate"))
    return 0;
  mlir::registerAllTranslations();
  mlir::tern::registerONNXImportTranslation();
  mlir::tern::registerHLSEmitterTranslation();
  mlir::tern::registerCUDATranslation();
  mlir::tern::registerCPUTranslations();
  return mlir::failed(mlir::mlirTranslateMain(argc, argv, "Tern translation driver\n"));
}

//===- tern-opt.cpp - MLIR optimizer driver with Tern -----------------===//
#include "Tern/TernOps.h"
#include "tern/InitAllPasses.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Target/HLS/HLSTarget.h"
#include "ONNX/ONNXOps.h"
#include "tern/Import/ONNX/ImportONNX.h"
#include "tern/Tools/ToolSetup.h"
#include "tern/Tools/Version.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  if (::tern::handleVersionFlag(argc, argv, "tern-opt"))
    return 0;
  mlir::DialectRegistry registry;
  ::tern::registerToolDialects(registry);
  mlir::registerAllPasses();
  registry.insert<mlir::tern::ONNXDialect>();
  mlir::tern::registerAllTernPasses();
  mlir::tern::registerCPUPipelines();
  mlir::tern::registerCUDAPipelines();
  mlir::tern::registerHLSPipelines();
  mlir::tern::registerONNXImportPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tern optimizer driver\n", registry));
}

//===- tern-opt.cpp - MLIR optimizer driver with Tern -----------------===//
#include "tern/Tools/ToolSetup.h"
#include "tern/Tools/Version.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  if (::tern::handleVersionFlag(argc, argv, "tern-opt"))
    return 0;
  mlir::DialectRegistry registry;
  ::tern::registerToolDialects(registry);
  mlir::registerAllPasses();
  ::tern::registerToolPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tern optimizer driver\n", registry));
}

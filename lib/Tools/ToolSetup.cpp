//===- ToolSetup.cpp - the registry every Tern tool starts from -----------===//
#include "tern/Tools/ToolSetup.h"

#include "Tern/TernOps.h"
#include "tern/InitAllPasses.h"
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Target/CUDA/CUDATarget.h"
#include "tern/Target/HLS/HLSTarget.h"
#ifdef TERN_HAVE_ONNX_IMPORT
#include "ONNX/ONNXOps.h"
#include "tern/Import/ONNX/ImportONNX.h"
#endif

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

void tern::registerTernDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::tern::TernDialect>();
#ifdef TERN_HAVE_ONNX_IMPORT
  registry.insert<mlir::tern::ONNXDialect>();
#endif
}

void tern::registerToolDialects(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registerTernDialects(registry);
}

void tern::loadToolDialects(mlir::MLIRContext &ctx) { ctx.loadAllAvailableDialects(); }

void tern::registerToolPasses() {
  mlir::tern::registerAllTernPasses();
  mlir::tern::registerCPUPipelines();
  mlir::tern::registerCUDAPipelines();
  mlir::tern::registerHLSPipelines();
#ifdef TERN_HAVE_ONNX_IMPORT
  mlir::tern::registerONNXImportPasses();
#endif
}

void tern::registerToolTranslations() {
#ifdef TERN_HAVE_ONNX_IMPORT
  mlir::tern::registerONNXImportTranslation();
#endif
  mlir::tern::registerHLSEmitterTranslation();
  mlir::tern::registerCUDATranslation();
  mlir::tern::registerCPUTranslations();
}

//===- TernPlugin.cpp - tern as an mlir-opt dialect and pass plugin ---===//
#include "tern/Tools/ToolSetup.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Tern", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) { ::tern::registerTernDialects(*registry); }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "TernPasses", LLVM_VERSION_STRING,
          []() { ::tern::registerToolPasses(); }};
}

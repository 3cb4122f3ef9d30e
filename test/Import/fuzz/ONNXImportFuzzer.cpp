//===- ONNXImportFuzzer.cpp - libFuzzer target over the ONNX importer -----===//
//
// Feeds arbitrary bytes to the importer (binary protobuf; ONNX text when the
// input starts with '<') and, when it imports, through the ONNX-to-tern
// pipeline. Every input must end in a module or in diagnostics: never a
// crash, a leak or an escaped exception. Built only with
// -DTERN_BUILD_FUZZERS=ON (clang-22, -fsanitize=fuzzer,address); see the
// README's "ONNX import" section for how it is run.
//
//===----------------------------------------------------------------------===//
#include "../../../lib/Import/ONNX/ONNXReader.h"
#include "ONNX/ONNXOps.h"
#include "Tern/TernOps.h"
#include "tern/Import/ONNX/ImportONNX.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    r->insert<tern::ONNXDialect, tern::TernDialect, arith::ArithDialect, func::FuncDialect,
              linalg::LinalgDialect, math::MathDialect, tensor::TensorDialect,
              scf::SCFDialect>();
    return r;
  }();
  MLIRContext ctx(*registry, MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &) { return success(); });
  tern::ONNXImportOptions options;
  options.externalDataDir = "/nonexistent-tern-fuzz-dir";
  options.dimValues["N"] = 2;
  options.dimValues["B"] = 2;
  StringRef bytes(reinterpret_cast<const char *>(data), size);
  bool text = size > 0 && data[0] == '<';
  OwningOpRef<ModuleOp> module =
      tern::onnx_import::readONNXBuffer(bytes, "fuzz.onnx", text, &ctx, options);
  if (module && !getenv("TERN_FUZZ_IMPORT_ONLY")) {
    PassManager pm(&ctx);
    tern::buildONNXToTernPipeline(pm, /*report=*/false);
    (void)pm.run(*module);
  }
  return 0;
}

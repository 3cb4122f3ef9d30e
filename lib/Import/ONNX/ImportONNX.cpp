//===- ImportONNX.cpp - the importer's public entry points ----------------===//
#include "tern/Import/ONNX/ImportONNX.h"
#include "ONNXReader.h"
#include "tern/Import/ONNX/Passes.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::tern;

OwningOpRef<ModuleOp> mlir::tern::importONNXFile(StringRef path, MLIRContext *context,
                                                 const ONNXImportOptions &options) {
  return onnx_import::readONNXFile(path, context, options);
}

void mlir::tern::buildONNXToTernPipeline(OpPassManager &pm, bool report) {
  pm.addPass(createTernONNXRecognizeCustomOps({report}));
  pm.addPass(createTernONNXRecognizeRMSNorm({report}));
  pm.addPass(createTernONNXRecognizeBitLinear({report}));
  pm.addPass(createTernONNXRecognizeGLU({report}));
  pm.addPass(createTernONNXRecognizeMLGRU({report}));
  pm.addPass(createTernONNXLegalize());
  pm.addPass(createTernFoldWeightQuant());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::tern::registerONNXImportPasses() { registerTernONNXImportPasses(); }

namespace {
struct TranslateOptions {
  llvm::cl::list<std::string> dims{
      "onnx-dim", llvm::cl::desc("Value of a symbolic ONNX input dimension: NAME=VALUE"),
      llvm::cl::CommaSeparated};
  llvm::cl::opt<bool> pipeline{
      "onnx-to-tern",
      llvm::cl::desc("After --import-onnx, run the ONNX-to-tern pipeline (recognition, "
                     "legalization, weight folding)"),
      llvm::cl::init(false)};
  llvm::cl::opt<bool> report{
      "onnx-report",
      llvm::cl::desc("With --onnx-to-tern, report every recognition candidate as a remark"),
      llvm::cl::init(false)};
};
} // namespace

static TranslateOptions &translateOptions() {
  static TranslateOptions options;
  return options;
}

void mlir::tern::registerONNXImportTranslation() {
  (void)translateOptions();
  static TranslateToMLIRRegistration reg(
      "import-onnx", "Import an ONNX model (.onnx binary, .onnxtxt text) into MLIR",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        StringRef name = buffer->getBufferIdentifier();
        ONNXImportOptions options;
        Location loc = FileLineColLoc::get(context, name, 0, 0);
        for (const std::string &d : translateOptions().dims) {
          auto [key, value] = StringRef(d).split('=');
          int64_t v;
          if (key.empty() || value.getAsInteger(10, v) || v < 0) {
            emitError(loc) << "bad --onnx-dim '" << d << "' (expected NAME=VALUE)";
            return {};
          }
          options.dimValues[key] = v;
        }
        StringRef dir = llvm::sys::path::parent_path(name);
        options.externalDataDir = dir.empty() ? "." : dir.str();
        bool isText = name.ends_with(".onnxtxt");
        OwningOpRef<ModuleOp> module = onnx_import::readONNXBuffer(
            buffer->getBuffer(), name, isText, context, options);
        if (!module)
          return {};
        if (translateOptions().pipeline) {
          PassManager pm(context);
          buildONNXToTernPipeline(pm, translateOptions().report);
          if (failed(pm.run(*module)))
            return {};
        }
        return OwningOpRef<Operation *>(module.release());
      },
      [](DialectRegistry &registry) {
        registry.insert<ONNXDialect, TernDialect, arith::ArithDialect, func::FuncDialect,
                        linalg::LinalgDialect, math::MathDialect, tensor::TensorDialect,
                        scf::SCFDialect>();
      });
}

//===- ImportONNX.cpp - the importer's public entry points ----------------===//
#include "tern/Import/ONNX/ImportONNX.h"
#include "ONNXReader.h"
#include "tern/Import/ONNX/Passes.h"
#include "tern/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
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

void mlir::tern::buildONNXToTernPipeline(OpPassManager &pm, bool report, bool indexChecks) {
  pm.addPass(createTernONNXRecognizeCustomOps({report}));
  pm.addPass(createTernONNXRecognizeStraightThrough({report}));
  pm.addPass(createTernONNXRecognizeRMSNorm({report}));
  pm.addPass(createTernONNXRecognizeBitLinear({report}));
  pm.addPass(createTernONNXRecognizeGLU({report}));
  pm.addPass(createTernONNXRecognizeMLGRU({report}));
  pm.addPass(createTernONNXLegalize({indexChecks}));
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
  llvm::cl::opt<bool> summary{
      "onnx-summary",
      llvm::cl::desc("Print only a summary of the imported module (op counts, constant "
                     "weight bytes) instead of the module: for large models"),
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

/// An empty module whose `tern.import_summary` attribute counts the ops of
/// `module` by name and the bytes of its constant weights (float/int
/// constants, packed ternary constants).
static OwningOpRef<Operation *> summarize(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  llvm::StringMap<int64_t> counts;
  int64_t constantBytes = 0, ternaryBytes = 0, ternaryWeights = 0;
  module.walk([&](Operation *op) {
    if (op == module.getOperation())
      return;
    ++counts[op->getName().getStringRef()];
    if (auto c = dyn_cast<arith::ConstantOp>(op))
      if (auto t = dyn_cast<ShapedType>(c.getType()); t && t.hasStaticShape())
        constantBytes += t.getNumElements() *
                         std::max<int64_t>(1, t.getElementTypeBitWidth() / 8);
    if (auto c = dyn_cast<tern::ConstantOp>(op)) {
      ternaryBytes += c.getValue().getPackedBytes().size();
      ternaryWeights += c.getValue().getType().getNumElements();
    }
  });
  Builder b(ctx);
  SmallVector<NamedAttribute> ops;
  for (auto &kv : counts)
    ops.push_back(b.getNamedAttr(kv.getKey(), b.getI64IntegerAttr(kv.getValue())));
  auto summary = b.getDictionaryAttr(
      {b.getNamedAttr("ops", b.getDictionaryAttr(ops)),
       b.getNamedAttr("constant_bytes", b.getI64IntegerAttr(constantBytes)),
       b.getNamedAttr("ternary_weights", b.getI64IntegerAttr(ternaryWeights)),
       b.getNamedAttr("ternary_packed_bytes", b.getI64IntegerAttr(ternaryBytes))});
  OwningOpRef<ModuleOp> result = ModuleOp::create(module.getLoc());
  (*result)->setAttr("tern.import_summary", summary);
  return OwningOpRef<Operation *>(result.release());
}

/// `--import-onnx` and its options (--onnx-dim, --onnx-to-tern, --onnx-summary).
static OwningOpRef<Operation *> importForTranslation(llvm::SourceMgr &sourceMgr,
                                                     MLIRContext *context) {
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
  if (translateOptions().summary)
    return summarize(*module);
  return OwningOpRef<Operation *>(module.release());
}

void mlir::tern::registerONNXImportTranslation() {
  (void)translateOptions();
  // A raw translation rather than TranslateToMLIRRegistration, which prints
  // without locations: ONNX node names live in them, and must survive
  // `tern-translate --import-onnx x.onnx > x.mlir; tern-opt x.mlir ...`.
  static TranslateRegistration reg(
      "import-onnx", "Import an ONNX model (.onnx binary, .onnxtxt text) into MLIR; the output "
                     "keeps node names as locations",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr, raw_ostream &output,
         MLIRContext *context) -> LogicalResult {
        DialectRegistry registry;
        registry.insert<ONNXDialect, TernDialect, arith::ArithDialect, func::FuncDialect,
                        linalg::LinalgDialect, math::MathDialect, tensor::TensorDialect,
                        scf::SCFDialect>();
        context->appendDialectRegistry(registry);
        OwningOpRef<Operation *> op = importForTranslation(*sourceMgr, context);
        if (!op || failed(verify(*op)))
          return failure();
        op.get()->print(output, OpPrintingFlags().enableDebugInfo());
        return success();
      });
}

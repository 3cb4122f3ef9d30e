//===- ImportONNX.h - ONNX models into MLIR -------------------------------===//
//
// The contract between the ONNX importer and the rest of Tern (ternc, the
// backends, tern-translate). Only lib/Import/ONNX touches protobuf.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_IMPORT_ONNX_IMPORTONNX_H
#define TERN_IMPORT_ONNX_IMPORTONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace mlir::tern {

/// The value of a graph input known before compilation (from a .npy file).
struct ONNXInputValue {
  /// f16/f32/f64, signless iN (signed ONNX ints), unsigned uiN, or i1 (bool).
  Type elementType;
  std::vector<int64_t> shape;
  /// Dense little-endian row-major bytes (bool: one byte per element).
  std::string data;
};

struct ONNXImportOptions {
  /// Values for symbolic input dimensions (ONNX dim_param), by name. A
  /// symbolic dimension without a value is an error naming the input.
  llvm::StringMap<int64_t> dimValues;
  /// Shapes of the graph inputs, by position (e.g. the arrays given to
  /// `ternc run`): symbolic dimensions without a dimValues entry take their
  /// value from here; a symbol bound to two different sizes is an error.
  std::vector<std::vector<int64_t>> inputShapes;
  /// Graph inputs that become constants (`ternc compile --const-input`):
  /// they leave the signature. A value whose dtype differs from the
  /// input's declared one is an error naming the input.
  llvm::StringMap<ONNXInputValue> constInputs;
  /// Values of the graph inputs by position (`ternc run`): an input that
  /// feeds a shape operand (Reshape shape, Slice starts, Squeeze axes, ...,
  /// directly or through integer computations) is compiled as this constant;
  /// it stays an argument of the model, so the caller passes the same array.
  std::vector<ONNXInputValue> inputValues;
  /// Directory that external-data locations are relative to; empty means
  /// the directory of the model file.
  std::string externalDataDir;
};

/// Imports an ONNX model (binary protobuf, or ONNX text format for files
/// ending in .onnxtxt) into a module holding one `func.func @main` whose
/// arguments and results are the graph inputs and outputs in graph order,
/// all statically shaped. Returns null after emitting diagnostics (file,
/// node name, op type, domain) on failure; never throws or aborts.
OwningOpRef<ModuleOp> importONNXFile(llvm::StringRef path, MLIRContext *context,
                                     const ONNXImportOptions &options = {});

/// Stage 2 of the import: recognizes BitLinear / RMSNorm / GLU / MLGRU into
/// tern ops and legalizes every other ONNX op into linalg, tensor, arith and
/// math on tensors. With `report`, each recognition decision (fused, or why
/// not) is emitted as a remark at the node's location. With `indexChecks`
/// (the CPU target), gather indices are checked at run time.
void buildONNXToTernPipeline(OpPassManager &pm, bool report = false, bool indexChecks = false);

/// Registers the `--import-onnx` translation (for tern-translate).
void registerONNXImportTranslation();

/// Registers the importer's passes with the global pass registry.
void registerONNXImportPasses();

} // namespace mlir::tern

#endif // TERN_IMPORT_ONNX_IMPORTONNX_H

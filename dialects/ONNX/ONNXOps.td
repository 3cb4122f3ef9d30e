//===- ONNXOps.td - the `onnx` dialect: ONNX nodes as imported ------------===//
//
// Stage 1 of the ONNX import maps every node mechanically onto one generic op,
// `onnx.node`, in the spirit of torch-mlir's `torch.operator`: the op type,
// domain, opset version and ONNX attributes are kept as they were, operands and
// results are statically shaped tensors, and subgraphs (Scan/Loop/If bodies)
// become regions. Stage 2 (recognition, legalization) rewrites these ops away.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_ONNX_OPS_TD
#define TERN_ONNX_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::mlir::tern";
  let summary = "ONNX nodes as imported, before recognition and legalization";
  let description = [{
    A deliberately small dialect: one generic `onnx.node` op carries any ONNX
    node (op type, domain, opset, attributes, subgraph regions), `onnx.none`
    stands for an omitted optional input and `onnx.yield` ends a subgraph.
    Graph initializers and `Constant` nodes are `arith.constant` ops (large
    ones with `dense_resource` blobs).
  }];
}

class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, traits>;

def ONNXNodeOp : ONNX_Op<"node", [Pure]> {
  let summary = "one ONNX node";
  let description = [{
    `op_type` and `domain` (`""` for the default domain `ai.onnx`) name the
    ONNX operator, `opset` is the version of that domain the model imports.
    `onnx_attrs` holds the ONNX attributes: ints as `i64`, floats as `f32`,
    strings, `ints`/`floats` as dense arrays, tensors as elements attributes.
    Graph-valued attributes are regions, named by `graph_names` in order;
    each region has one block (the subgraph's inputs) ended by `onnx.yield`
    (its outputs). A subgraph may use values of the enclosing graph.
    The node's name is its location (`loc("name"(...))`).

    ```mlir
    %y = onnx.node "Gemm"(%a, %b) {onnx_attrs = {transB = 1 : i64}, opset = 17 : i64}
        : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$inputs, StrAttr:$op_type,
                       DefaultValuedStrAttr<StrAttr, "">:$domain,
                       I64Attr:$opset,
                       DefaultValuedAttr<DictionaryAttr, "{}">:$onnx_attrs,
                       DefaultValuedAttr<StrArrayAttr, "{}">:$graph_names);
  let results = (outs Variadic<AnyType>:$outputs);
  let regions = (region VariadicRegion<SizedRegion<1>>:$graphs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` attr-dict `:` functional-type($inputs, $outputs)
    ($graphs^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Input `i`, or null when it is absent (past the end, or `onnx.none`).
    ::mlir::Value getInput(unsigned i);
    /// The node name (from the location), or "" when it has none.
    ::llvm::StringRef getNodeName();
    /// "node 'name' (OpType, domain 'ai.onnx')" for diagnostics.
    std::string describe();
    /// ONNX attributes by name, with defaults.
    ::mlir::Attribute getONNXAttr(::llvm::StringRef name) {
      return getOnnxAttrs().get(name);
    }
    bool hasONNXAttr(::llvm::StringRef name) { return static_cast<bool>(getONNXAttr(name)); }
    int64_t getIntAttr(::llvm::StringRef name, int64_t defaultValue);
    float getFloatAttr(::llvm::StringRef name, float defaultValue);
    std::string getStringAttr(::llvm::StringRef name, ::llvm::StringRef defaultValue);
    /// An `ints` attribute; std::nullopt when absent.
    std::optional<::llvm::SmallVector<int64_t>> getIntsAttr(::llvm::StringRef name);
    /// The region of graph attribute `name`, or null.
    ::mlir::Region *getGraph(::llvm::StringRef name);
    /// True for the default domain ("" or "ai.onnx").
    bool isDefaultDomain() { return getDomain().empty() || getDomain() == "ai.onnx"; }
  }];
}

def ONNXNoneOp : ONNX_Op<"none", [Pure]> {
  let summary = "an omitted optional input";
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

def ONNXYieldOp : ONNX_Op<"yield", [Pure, Terminator, ReturnLike,
                                    HasParent<"ONNXNodeOp">]> {
  let summary = "the outputs of a subgraph";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // TERN_ONNX_OPS_TD

//===- Passes.td - stage 2 of the ONNX import ------------------------------===//
//
// Recognition (onnx.node graphs -> tern ops) and legalization (every other
// onnx.node -> linalg/tensor/arith/math/scf on tensors). Each pass runs alone
// in tern-opt; `buildONNXToTernPipeline` chains them.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_IMPORT_ONNX_PASSES_TD
#define TERN_IMPORT_ONNX_PASSES_TD

include "mlir/Pass/PassBase.td"

class TernONNXRecognizePass<string arg> : Pass<arg> {
  let dependentDialects = ["::mlir::tern::TernDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Emit a remark for every candidate: fused, or why not">
  ];
}

def TernONNXRecognizeCustomOps
    : TernONNXRecognizePass<"tern-onnx-recognize-custom-ops"> {
  let summary = "Tern's own ONNX ops (domain `tern`, form 4) into tern ops";
  let description = [{
    `tern.RMSNorm`, `tern.BitLinear`, `tern.GLU` and `tern.MLGRU` nodes (see
    the README's "ONNX import" section for their attributes) become
    `tern.rmsnorm`, `tern.bitlinear`, `tern.glu`, `tern.mlgru_step` and
    `tern.mlgru_sequence`. Ternary weights with a scale become packed
    `tern.constant`s; latent weights stay f32 (folded later). Time-major
    sequences are transposed around `tern.mlgru_sequence` (batch-major).
  }];
}

def TernONNXRecognizeRMSNorm : TernONNXRecognizePass<"tern-onnx-recognize-rmsnorm"> {
  let summary = "x / sqrt(mean(x^2, -1) + eps) [* w] spelled in ONNX ops into tern.rmsnorm";
  let description = [{
    Matches by meaning: the square as `Pow(x, 2)` or `Mul(x, x)`, the division
    as `Div` or `Mul` by `Reciprocal`, the mean as `ReduceMean` over the last
    axis with keepdims (axes as attribute or input), eps as a scalar constant,
    and an optional trailing `Mul` by a constant `[D]` weight.
  }];
}

def TernONNXRecognizeBitLinear
    : TernONNXRecognizePass<"tern-onnx-recognize-bitlinear"> {
  let summary = "BitLinear layers spelled in standard ONNX (forms 2a, 2b, 3) into tern.bitlinear";
  let description = [{
    A `MatMul` (or `Gemm` without bias, alpha = beta = 1) whose left operand is
    per-token absmax activation quantization dequantized again
    (`q / s_x`, `q = clip(round(x * s_x), -2^(b-1), 2^(b-1)-1)`,
    `s_x = (2^(b-1)-1) / max(max|x|, 1e-5)`; Div or Mul-by-Reciprocal, Clip or
    Max/Min) and whose right operand is ternary weights, transposed or not:
    the absmean quantization subgraph on a latent f32 initializer (2a), a
    constant with values {-a, 0, +a} (2b, `s_w = 1/a`), or an int8 {-1,0,1}
    constant through `DequantizeLinear` or `Cast`+`Mul` by a scale `c`
    (3, `s_w = 1/c`). A `tern.rmsnorm` with a weight feeding the quantization
    is fused as the BitLinear norm. Anything else is left as it is.
  }];
}

def TernONNXRecognizeGLU : TernONNXRecognizePass<"tern-onnx-recognize-glu"> {
  let summary = "BL_d(SiLU(gate) * up) with [gate, up] = split(BL_gu(x)) into tern.glu";
}

def TernONNXRecognizeMLGRU : TernONNXRecognizePass<"tern-onnx-recognize-mlgru"> {
  let summary = "MLGRU decode steps and Scan/Loop sequences into tern.mlgru_step/sequence";
  let description = [{
    Element-wise MLGRU steps over four BitLinears sharing their input (the
    released mmfreelm variant with or without a lower bound, and the paper
    variant) become `tern.mlgru_step`; a `Scan` (forward, axis 0, one state,
    one scan input) or `Loop` whose body is exactly such a step becomes
    `tern.mlgru_sequence` between transposes (ONNX sequences are time-major).
  }];
}

def TernONNXLegalize : Pass<"tern-onnx-legalize"> {
  let summary = "Lower every remaining onnx.node into linalg, tensor, arith, math and scf";
  let description = [{
    One pattern family per op family (element-wise, matmul, reductions,
    shape/data movement, gather/index, control flow); ONNX semantics exactly
    (numpy broadcasting, half-to-even Round, real Div, negative axes and
    indices). Fails with a diagnostic naming the node for an op it does not
    support. Constant Gather/GatherElements indices out of range are an
    error; with `index-checks`, other indices are checked at run time
    (a call of the CPU runtime's `tern_rt_index_error`, see
    docs/robustness.md).
  }];
  let options = [
    Option<"indexChecks", "index-checks", "bool", /*default=*/"false",
           "Check Gather/GatherElements indices at run time (CPU runtime call)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::scf::SCFDialect", "::mlir::memref::MemRefDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // TERN_IMPORT_ONNX_PASSES_TD

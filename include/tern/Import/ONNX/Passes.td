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

def TernONNXRecognizeStraightThrough
    : TernONNXRecognizePass<"tern-onnx-recognize-straight-through"> {
  let summary = "The straight-through estimator a + (q - a) (Add/Sub, optional Identity) into q";
  let description = [{
    `x + (q(x) - x).detach()`, as `torch.onnx.export` writes mmfreelm's
    quantizers: `Add(a, Sub(q, a))` with the Add's operands in either order
    and an optional `Identity` on the Sub or on `a`. Every such Add is
    replaced by `q` (equal up to float rounding), so the BitLinear recognizer
    sees the quantization itself, for activations and weights. Not fused:
    `a + (q - c)` with `c != a`, `a - (q - a)`, and a `q` broadcast to the
    sum's shape.
  }];
}

def TernONNXRecognizeRMSNorm : TernONNXRecognizePass<"tern-onnx-recognize-rmsnorm"> {
  let summary = "x / sqrt(mean(x^2, -1) + eps) [* w] spelled in ONNX ops into tern.rmsnorm";
  let description = [{
    Matches by meaning: the square as `Pow(x, 2)` or `Mul(x, x)`, the division
    as `Div(x, r)` or `Mul(x, 1/r)` with `1/r` as `Reciprocal(r)` or
    `Div(1, r)`, the mean as `ReduceMean` over the last axis with keepdims
    (axes as attribute or input), eps as a scalar constant (also through
    `Cast`), and optional `Mul`s by `[D]` weights: each weight of a shared
    normalized `x` becomes a weighted norm of its own.
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
    constant with values {-a, 0, +a} up to a relative 1e-5 (2b, `s_w = 1/a`,
    `a` the most frequent magnitude: an fp32-folded `w + (q(w) - w)`), a
    quantization folded in part (evaluated over its constants, then as 2b),
    or an int8 {-1,0,1} constant through `DequantizeLinear` or `Cast`+`Mul`
    by a scale `c` (3, `s_w = 1/c`). A `tern.rmsnorm` with a weight feeding
    the quantization is fused as the BitLinear norm; a `Gemm` bias stays an
    `Add` after the BitLinear. Anything else is left as it is.
  }];
}

def TernONNXRecognizeGLU : TernONNXRecognizePass<"tern-onnx-recognize-glu"> {
  let summary = "BL_d(SiLU(gate) * up) with [gate, up] = split(BL_gu(x)) into tern.glu";
  let description = [{
    With `report`, every `SiLU(gate) * up` over the two halves of one value is
    a candidate, also when its projections are not BitLinears.
  }];
}

def TernONNXRecognizeMLGRU : TernONNXRecognizePass<"tern-onnx-recognize-mlgru"> {
  let summary = "MLGRU decode steps and Scan/Loop sequences into tern.mlgru_step/sequence";
  let description = [{
    Element-wise MLGRU steps over four BitLinears sharing their input (the
    released mmfreelm variant with or without a lower bound, and the paper
    variant) become `tern.mlgru_step`, with the BitLinears' `eps` and the
    g_norm's `g_norm_eps`; a lower bound computed from constants (mmfreelm's
    `cumsum(softmax(P, 0), 0) - softmax(P, 0)[0]`, then `Gather`) is folded.
    A `Scan` (forward, axis 0, one state, one scan input) or `Loop` whose body
    is exactly such a step becomes `tern.mlgru_sequence` between transposes
    (ONNX sequences are time-major); so does a recurrence over T tokens that
    an exporter unrolled (`Concat_t(Unsqueeze(h_t))`, `h_t = Gather(F, t) *
    h_{t-1} + Gather(U, t)`) when every step provably reads token t of the
    same gates. With `report`, every state update with a sigmoid forget gate
    is a candidate, also when its projections are not BitLinears.
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

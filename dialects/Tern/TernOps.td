#ifndef TERN_OPS_TD
#define TERN_OPS_TD

include "Tern/TernDialect.td"
include "Tern/TernTypes.td"
include "Tern/TernAttrs.td"
include "Tern/TernInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

// A BitLinear weight: latent float [out, in] matrix or ternary weights.
def Tern_WeightType : AnyTypeOf<[TensorRankOf<[F32], [2]>, Tern_TernaryType],
                                "latent f32 weight matrix or !tern.ternary">;
def Tern_F32Vector : TensorRankOf<[F32], [1]>;
def Tern_F32Tensor : RankedTensorOf<[F32]>;
def Tern_Eps : DefaultValuedAttr<F32Attr, "1.0e-6">;
def Tern_Bits : DefaultValuedAttr<I32Attr, "8">;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Tern_ConstantOp : Tern_Op<"constant", [ConstantLike, Pure,
    TypesMatchWith<"result type matches the attribute", "value", "result",
                   "$_self">]> {
  let summary = "constant packed ternary weights";
  let description = [{
    Materializes `#tern.ternary` weights. The verifier checks the packed blob
    (size and codes) when it is loaded.

    ```mlir
    %w = tern.constant #tern.ternary<2x3, scale = 1.0, [1, 0, -1, 0, 1, 1]>
    ```
  }];
  let arguments = (ins Tern_TernaryAttr:$value);
  let results = (outs Tern_TernaryType:$result);
  let assemblyFormat = "qualified($value) attr-dict";
  let builders = [
    OpBuilder<(ins "TernaryAttr":$value), [{
      build($_builder, $_state, value.getType(), value);
    }]>
  ];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tern_WeightQuantOp : Tern_Op<"weight_quant", [Pure]> {
  let summary = "absmean ternary weight quantization";
  let description = [{
    `s_w = 1 / max(mean(|W|), 1e-5)`, `Wt = clip(round_half_even(W * s_w), -1, 1)`.
    Folds to a `tern.constant` when `W` is a constant.
  }];
  let arguments = (ins TensorRankOf<[F32], [2]>:$input);
  let results = (outs Tern_TernaryType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` qualified(type($result))";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tern_WeightScaleOp : Tern_Op<"weight_scale", [Pure]> {
  let summary = "the per-tensor scale s_w of ternary weights";
  let arguments = (ins Tern_TernaryType:$weight);
  let results = (outs F32:$result);
  let assemblyFormat = "$weight attr-dict `:` qualified(type($weight))";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantized arithmetic
//===----------------------------------------------------------------------===//

def Tern_ActQuantOp : Tern_Op<"act_quant", [Pure]> {
  let summary = "per-token absmax activation quantization";
  let description = [{
    Over the last axis: `s_x = (2^(bits-1) - 1) / max(max|x|, 1e-5)`,
    `q = clip(round_half_even(x * s_x), -2^(bits-1), 2^(bits-1) - 1)`.
    Returns `q` as `i8` and `s_x` with the last dimension kept as 1.
  }];
  let arguments = (ins Tern_F32Tensor:$input, Tern_Bits:$bits);
  let results = (outs RankedTensorOf<[I8]>:$output, Tern_F32Tensor:$scale);
  let assemblyFormat =
      "$input attr-dict `:` type($input) `->` type($output) `,` type($scale)";
  let hasVerifier = 1;
}

def Tern_TMatmulOp : Tern_Op<"tmatmul", [Pure]> {
  let summary = "int8 x ternary matrix product with int32 accumulation";
  let description = [{
    `y[..., n] = sum_k x[..., k] * Wt[n, k]` where every product is a select:
    add `x` for +1, subtract it for -1, skip 0. The weight scale is not
    applied. Folds to zeros when the weights or the input are all zero.
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$input, Tern_TernaryType:$weight);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat =
      "$input `,` $weight attr-dict `:` type($input) `,` qualified(type($weight)) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tern_RMSNormOp : Tern_Op<"rmsnorm", [Pure]> {
  let summary = "RMS normalization over the last axis";
  let description = [{
    `y = x / sqrt(mean(x^2) + eps) * weight` (no weight: multiply by 1).
  }];
  let arguments = (ins Tern_F32Tensor:$input, Optional<Tern_F32Vector>:$weight,
                       Tern_Eps:$eps);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`weight` $weight^)? attr-dict `:` type($input) (`,` type($weight)^)?
    `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Run-time checks
//===----------------------------------------------------------------------===//

def Tern_IndexCheckOp : Tern_Op<"index_check"> {
  let summary = "report gather indices outside [-dim, dim) at run time";
  let description = [{
    ONNX makes an index outside `[-dim, dim)` an error. This op scans
    `indices` and makes the model call fail with the first bad one:
    `<what>: index I is out of range for an axis of size <dim>` (`what` names
    the ONNX node). It reads nothing else and has no result; the gather that
    follows still clamps, so no read ever leaves the tensor.

    The ONNX importer writes this check as a loop nest calling the CPU
    runtime's `tern_rt_index_error` (`buildIndexBoundCheck`);
    `tern-cuda-raise-index-checks` turns such a nest into this op for the
    CUDA backend, whose kernels report through a device error word.

    ```mlir
    tern.index_check %tokens, 32000, "node 'embed' (Gather, domain 'ai.onnx')" : tensor<1x1xi64>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnySignlessInteger]>:$indices,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$dim, StrAttr:$what);
  let assemblyFormat = "$indices `,` $dim `,` $what attr-dict `:` type($indices)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def Tern_BitLinearOp : Tern_Op<"bitlinear", [Pure,
    DeclareOpInterfaceMethods<Tern_TernaryWeightsOpInterface>]> {
  let summary = "BitLinear: [RMSNorm], int8 activations x ternary weights, rescale";
  let description = [{
    `xn = norm ? RMSNorm(x, eps) * norm : x`, `(xq, s_x) = act_quant(xn, act_bits)`,
    `(Wt, s_w) = weight_quant(W)` (or `W` already ternary),
    `y = tmatmul(xq, Wt) / (s_x * s_w)`. `W` is `[out, in]`; no bias.

    ```mlir
    %y = tern.bitlinear %x, %w norm %g {eps = 1.0e-06 : f32}
        : tensor<4x64xf32>, !tern.ternary<32x64>, tensor<64xf32> -> tensor<4x32xf32>
    ```
  }];
  let arguments = (ins Tern_F32Tensor:$input, Tern_WeightType:$weight,
                       Optional<Tern_F32Vector>:$norm, Tern_Eps:$eps,
                       Tern_Bits:$act_bits);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`norm` $norm^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($norm)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Tern_GLUOp : Tern_Op<"glu", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<Tern_TernaryWeightsOpInterface>]> {
  let summary = "GLU channel mixer of BitLinear layers";
  let description = [{
    `[gate, up] = BitLinear_gu(x)` (d -> 2I, halves of the last axis),
    `y = BitLinear_d(SiLU(gate) * up)` (I -> d). Each BitLinear has an
    optional fused RMSNorm weight; `eps` and `act_bits` are shared.
  }];
  let arguments = (ins Tern_F32Tensor:$input, Tern_WeightType:$gate_up_weight,
                       Optional<Tern_F32Vector>:$gate_up_norm,
                       Tern_WeightType:$down_weight,
                       Optional<Tern_F32Vector>:$down_norm,
                       Tern_Eps:$eps, Tern_Bits:$act_bits);
  let results = (outs Tern_F32Tensor:$result);
  let assemblyFormat = [{
    $input `gate_up` $gate_up_weight (`norm` $gate_up_norm^)?
    `down` $down_weight (`norm` $down_norm^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

class Tern_MLGRUOp<string mnemonic, string formDescription>
    : Tern_Op<mnemonic, [Pure, AttrSizedOperandSegments,
        DeclareOpInterfaceMethods<Tern_TernaryWeightsOpInterface>]> {
  let description = [{
    The MLGRU token mixer. `weights` are the four BitLinear weights in the
    order (f, i, g, o) — for the paper variant (f, c, g, o); `norms` are
    their optional fused RMSNorm weights (none or all four).

    * `variant = released` (mmfreelm code): `f = σ(BL_f(x))`, with
      `lower_bound`: `f = lb + (1 - lb) f`; `i = SiLU(BL_i(x)) (1 - f)`;
      `h_t = f ⊙ h_{t-1} + i`; `o = BL_o(RMSNorm(BL_g(x)) · g_norm ⊙ SiLU(h_t))`.
      `g_norm` is required.
    * `variant = paper` (arXiv 2406.02528, Fig.): `f, g = σ(·)`, `c = SiLU(·)`,
      `h_t = f ⊙ h_{t-1} + (1 - f) ⊙ c`, `o = BL_o(g ⊙ h_t)`; no `g_norm`, no
      `lower_bound`.

    Two eps: `eps` is the RMSNorm eps of the four BitLinear norms (1e-8 in
    mmfreelm's `BitLinear`), `g_norm_eps` the eps of `g_norm` (the config's
    `rms_norm_eps`, 1e-6 in the releases); both default to 1e-6 and are
    printed only when they differ from it. `g_norm_eps` belongs to the
    released variant: a paper-variant op with a non-default `g_norm_eps` is
    rejected.

    Shapes: `f, i, g` weights `[H, D]`, `o` weight `[D, H]`; the state has
    `H` channels in fp32.
  }] # formDescription;
  let arguments = (ins Tern_F32Tensor:$input, Tern_F32Tensor:$state,
                       Variadic<Tern_WeightType>:$weights,
                       Variadic<Tern_F32Vector>:$norms,
                       Optional<Tern_F32Vector>:$g_norm,
                       Optional<Tern_F32Vector>:$lower_bound,
                       DefaultValuedAttr<Tern_MLGRUVariantAttr,
                                         "MLGRUVariant::released">:$variant,
                       Tern_Eps:$eps, Tern_Bits:$act_bits, Tern_Eps:$g_norm_eps);
  let results = (outs Tern_F32Tensor:$output, Tern_F32Tensor:$final_state);
  let assemblyFormat = [{
    $input `,` $state `weights` `(` $weights `)` (`norms` `(` $norms^ `)`)?
    (`g_norm` $g_norm^)? (`lower_bound` $lower_bound^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Tern_MLGRUStepOp : Tern_MLGRUOp<"mlgru_step", [{

    Single decode step: `input` is `[..., D]`, `state` is `h_{t-1}` `[..., H]`;
    returns `o_t` `[..., D]` and `h_t`.
  }]> {
  let summary = "one MLGRU decode step with explicit state in and out";
}

def Tern_MLGRUSequenceOp : Tern_MLGRUOp<"mlgru_sequence", [{

    Whole sequence: `input` is `[..., T, D]`, `state` is `h_0` `[..., H]`;
    returns every `o_t` `[..., T, D]` and the final state `h_T`.
  }]> {
  let summary = "MLGRU over a whole sequence, returning the final state";
}

#endif // TERN_OPS_TD

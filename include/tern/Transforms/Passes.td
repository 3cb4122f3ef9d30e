#ifndef TERN_TRANSFORMS_PASSES_TD
#define TERN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernFoldWeightQuant : Pass<"tern-fold-weight-quant"> {
  let summary = "Quantize constant latent weights at compile time into packed ternary constants";
  let description = [{
    Every latent f32 weight operand of a BitLinear-bearing op (bitlinear, glu,
    mlgru_step, mlgru_sequence) becomes `tern.weight_quant` of it, and every
    `tern.weight_quant` of a constant folds into a `tern.constant` holding the
    weights packed at 2 bits each. Weights computed at run time stay
    `tern.weight_quant`.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernDecompose : Pass<"tern-decompose"> {
  let summary = "Decompose layers into rmsnorm, act_quant, tmatmul and element-wise math";
  let description = [{
    `tern.glu`, `tern.mlgru_step` and `tern.mlgru_sequence` become
    `tern.bitlinear` ops plus element-wise `linalg.generic` math (the sequence
    form becomes an `scf.for` over time around one step); every
    `tern.bitlinear` becomes `[tern.rmsnorm] -> tern.act_quant -> tern.tmatmul`
    and one rescale `acc / (s_x * s_w)`. Latent weights are quantized with
    `tern.weight_quant` first.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect", "::mlir::arith::ArithDialect"];
}

def TernVerifyNoMultiply : Pass<"tern-verify-no-multiply"> {
  let summary = "Prove that no multiply remains inside ternary accumulations";
  let description = [{
    Every op marked `tern.ternary_accumulation` (the kernels that
    `tern-ternary-to-arith` and the CPU kernels produce) must accumulate with
    select/add/sub only: an integer or float multiply, an FMA or a vector
    contraction inside one is an error. A `tern.tmatmul` left unlowered is an
    error too (it would not be checked).
  }];
  let options = [
    Option<"expectAtLeast", "expect-at-least", "int64_t", "0",
           "Fail unless at least this many ternary accumulations are verified">,
  ];
}

def TernApproximateMath : Pass<"tern-approximate-math"> {
  let summary = "Replace math.exp by a polynomial approximation (vectorizable, no libm call)";
  let description = [{
    `math.exp` (sigmoid and SiLU in the gates) becomes MLIR's polynomial
    approximation in arith ops: Cody-Waite range reduction and a degree-5
    polynomial, about 1e-7 relative error over the f32 range, with overflow
    and underflow clamped instead of libm's errno path. LLVM vectorizes the
    element-wise loops that hold it, where a scalar `expf` call stopped it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::vector::VectorDialect"];
}


def TernSelectTernaryKernel : Pass<"tern-select-ternary-kernel", "::mlir::ModuleOp"> {
  let summary = "Choose the CPU ternary kernel for the module's target";
  let description = [{
    Sets `tern.ternary_kernel = #tern.ternary_kernel<...>` on the module: the
    kernel named by `kernel`, or for `auto` the highest-ranked kernel of the
    one kernel table (dialects/Tern/TernaryKernels.cpp) whose architecture and
    required features the target has. The target is the module's
    `tern.target` (an `#llvm.target<triple = ..., chip = ..., features =
    #llvm.target_features<[...]>>`, written by the driver); without one (a
    plain `tern-opt` run) it is the host: the process triple, the host CPU
    name and the host's features. A named kernel the target cannot run (an
    x86 kernel on an AArch64 triple, AVX-512 VNNI on an AVX2-only CPU) is an
    error naming the missing features, never a silent fallback.

    ```mlir
    module attributes {tern.target = #llvm.target<triple = "x86_64-unknown-linux-gnu", chip = "znver3",
                       features = #llvm.target_features<["+avx2", "+fma"]>>} {}
    // -tern-select-ternary-kernel adds:
    //   tern.ternary_kernel = #tern.ternary_kernel<avx2, tile_rows = 8, tile_bytes = 4, dot = pmaddubsw>
    ```
  }];
  let options = [
    Option<"kernel", "kernel", "std::string", "\"auto\"",
           "auto, or a kernel of the table (portable, select, vnni, vnni-base3, avxvnni, "
           "lut, avx2, avx2-select, sdot, neon)">,
  ];
  let dependentDialects = ["::mlir::tern::TernDialect", "::mlir::LLVM::LLVMDialect"];
}

def TernSplitSharedEmptyTensors : Pass<"tern-split-shared-empty-tensors"> {
  let summary = "Give every use of a tensor.empty its own (before bufferization)";
  let description = [{
    CSE merges identical `tensor.empty` ops, tying the destinations of a
    whole chain of element-wise ops to one value; one-shot bufferization's
    conflict analysis then grows with the cube of the chain's length. Each
    use gets its own `tensor.empty` (placed before its user), so the
    analysis stays linear in the graph size. Dynamic sizes are reused, not
    recomputed.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def TernFuseElementwise : Pass<"tern-fuse-elementwise"> {
  let summary = "Fuse chains of element-wise linalg.generic ops, up to a bounded body size";
  let description = [{
    A graph of N element-wise nodes lowers to N loops, N buffers and N
    allocations, each carried through every later pass and through LLVM:
    compile time and memory traffic both scale with the node count. An
    element-wise `linalg.generic` (every loop parallel, on tensors) whose
    only use is an element-wise consumer reading it through the identity map
    is fused into that consumer (upstream `linalg::fuseElementwiseOps`), so
    a chain becomes a few loops that keep each element in registers. A fused
    body holds at most `max-body-ops` ops, which bounds the work per loop
    (and LLVM's per-block cost) whatever the chain's length. The scalar ops
    and their order per element are unchanged, so results are bit-identical.

    Generics that carry discardable attributes (the ternary accumulations
    the kernels match, `tern.ternary_accumulation`) are neither fused nor
    fused into. Run it on tensors, before bufferization.
  }];
  let options = [
    Option<"maxBodyOps", "max-body-ops", "unsigned", "64",
           "Largest fused body, in ops (the terminator not counted)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TernOrderConstantGlobals : Pass<"tern-order-constant-globals", "::mlir::ModuleOp"> {
  let summary = "Name and order the constant globals of bufferization by first use";
  let description = [{
    One-shot bufferization with function boundaries visits the functions of a
    module in an order taken from hash maps of operation pointers, so the
    `__constant_*` globals it creates for tensor constants come out in a
    different order, under different names, from one compile to the next, and
    so do the model library's data sections: identical compiles gave
    different libraries once `tern-split-large-functions` made many
    functions. Run after bufferization, this pass names the private constant
    `memref.global` ops `__constant_<k>` in the order of their first
    `memref.get_global` in the module (functions in module order, ops in
    program order), places them in that order at the top of the module, and
    drops those nothing reads. Identical inputs then give identical output.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TernSplitLargeFunctions : Pass<"tern-split-large-functions", "::mlir::ModuleOp"> {
  let summary = "Move the ops of a large function, in runs of bounded size, into private functions it calls";
  let description = [{
    Several passes after bufferization (SCF to CF, buffer-deallocation
    simplification) and LLVM's code generation do work in proportion to the
    whole function for each loop or buffer in it, so compiling one large
    model function grew with the square of the graph. A function with more
    than `max-ops` ops (counting nested ones) has its top-level ops moved, in
    consecutive runs of at least `max-ops`, into private functions called in
    their place, so every later pass sees functions of bounded size.

    A run ends only where every value live across the cut is a tensor of
    static shape or a scalar (what a call can pass and bufferization can
    return through an out-parameter). Expressions of constants and arguments
    that cost nothing to recompute (constants, `tensor.empty`, reshapes and
    casts, scalar arithmetic) are cloned into each run that uses them rather
    than passed, so a weight stays a view of its global. The new functions
    carry `passthrough = ["noinline"]` and internal linkage. Run it on
    tensors, before one-shot bufferization.
  }];
  let options = [
    Option<"maxOps", "max-ops", "unsigned", "128",
           "Functions with more ops than this are split into runs of about this many ops">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::LLVM::LLVMDialect"];
}

#endif // TERN_TRANSFORMS_PASSES_TD

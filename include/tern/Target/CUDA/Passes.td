#ifndef TERN_TARGET_CUDA_PASSES_TD
#define TERN_TARGET_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernCUDASplitGLU : Pass<"tern-cuda-split-glu"> {
  let summary = "Split a GLU with constant weights into gate and up BitLinears";
  let description = [{
    A `tern.glu` whose gate/up weights are a constant ternary matrix `[2I, d]`
    becomes two `tern.bitlinear`s over the same input (the gate rows and the
    up rows of `W_gu`, each with `W_gu`'s scale and norm), `SiLU(gate) * up`
    as an element-wise `linalg.generic`, and the down BitLinear. After
    decomposition and CSE both halves share one quantization, and
    element-wise fusion makes both rescales and `SiLU(gate) * up` one
    generic over two `tern.tmatmul`s: the CUDA emitter runs them as one GEMV
    whose epilogue writes `SiLU(gate) * up`, with no `[.., 2I]` intermediate
    and no slicing. GLUs with non-constant weights or dynamic shapes are left
    as they are.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def TernCUDARaiseIndexChecks : Pass<"tern-cuda-raise-index-checks", "::mlir::ModuleOp"> {
  let summary = "Turn the importer's run-time index checks into tern.index_check";
  let description = [{
    With `index-checks`, the ONNX importer checks every non-constant
    Gather/GatherElements index at run time with a loop nest (`scf.for` over
    the index tensor, `tensor.extract`, two compares, `scf.if` calling the
    CPU runtime's `tern_rt_index_error(what, index, dim)`; loops of one
    iteration may have been folded away). The CUDA backend has no such
    runtime function: this pass matches each nest and replaces it with one
    `tern.index_check %indices, dim, "what"`, which the emitter prints as a
    kernel recording the first bad index in a device error word. The message
    globals and the function declaration go when nothing uses them. A call
    of `tern_rt_index_error` in any other form is an error (a check must not
    be dropped silently). Runs first in `tern-cuda-prepare`.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernCUDAPlanKernels : Pass<"tern-cuda-plan-kernels", "::mlir::func::FuncOp"> {
  let summary = "Plan the CUDA backend's fused launches and record them as attributes";
  let description = [{
    The CUDA emitter turns each plan recorded here into one kernel launch and
    decides nothing itself. Runs last in `tern-cuda-prepare`, per block of the
    function (and of each `scf.for` body):

    * **GEMV/GEMM groups.** An element-wise `linalg.generic` whose inputs
      include `tern.tmatmul` results (used only there, same shape, identity
      map) computes those tmatmuls in its kernel and runs its body as their
      epilogue: it gets `tern.cuda.gemm_inputs` (`array<i64>`, the indices of
      the fused inputs).
    * **Merged launches.** Consecutive groups with the same number of token
      rows whose operands are all ready at the first of them (defined
      before it, or quantized by a quantization group launched before it)
      share one launch, up to four groups: every group gets
      `tern.cuda.launch = N : i64`, equal for groups launched together (the
      MLGRU's g projection with f and i).
    * **Quantization groups.** `tern.act_quant`s reading the same input
      (after the RMSNorm each may apply, when that RMSNorm has no other use),
      up to four, form one quantization launch: each gets
      `tern.cuda.quant_group = G : i64`. The ops that launch computes on the
      fly are marked with the same G: each member's RMSNorm
      (`tern.cuda.quant_norm`), a pre-norm producing the group's input and
      read only by the group (`tern.cuda.quant_pre`), or instead an
      element-wise f32 generic producing that input and read only by the
      group (`tern.cuda.quant_chain`) with an RMSNorm read only by that
      generic (`tern.cuda.quant_chain_norm`).

    * **Quantization in the producer.** A quantization group of at most 4
      token rows whose inputs are all ready when a GEMV launch ends, some of
      them produced by that launch (the residual sum, the gate and state
      the MLGRU's o projection quantizes, SiLU(gate) * up), runs in that
      launch's last block (the block that finishes last, found with a
      counter, quantizes the rows all blocks wrote): its members get
      `tern.cuda.quant_in_launch = N`, the launch's id. One per launch.

    The function gets `tern.cuda.planned`. Earlier plans are dropped first,
    so the pass may run again. Ops without plan attributes are emitted on
    their own (correct, unfused).
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

#endif // TERN_TARGET_CUDA_PASSES_TD

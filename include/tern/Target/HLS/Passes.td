#ifndef TERN_TARGET_HLS_PASSES_TD
#define TERN_TARGET_HLS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernHLSTileTernaryMatmul : Pass<"tern-hls-tile-ternary-matmul", "::mlir::ModuleOp"> {
  let summary = "Tile ternary accumulations by PE output rows and interleave their packed weights";
  let description = [{
    Every `linalg.generic` marked `tern.ternary_accumulation` (row-major
    packing, `group-bytes` 1) over constant packed weights `[N, G]` (G =
    ceil(K/4) bytes per row) becomes a generic over dimensions
    `(m, nt, g, p, j)`: `nt` runs over N/P row tiles, `p` over the P rows
    of a tile, `g` over packed bytes and `j` over the 4 codes of a byte. The
    weights are re-laid out at compile time as `[N/P, G, P]` (byte g of rows
    nt*P .. nt*P+P-1 side by side), so a PE array reading P rows in parallel
    reads P consecutive bytes. P is the largest divisor of N not above `pe`.
    The body (select/add/sub on 2-bit codes) is kept as it is. The generic
    is marked `tern.hls.ternary_matmul` with `tern.hls.pe = P`.
  }];
  let options = [
    Option<"pe", "pe", "int64_t", "1", "Output rows computed in parallel (upper bound)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def TernHLSExternalizeWeights : Pass<"tern-hls-externalize-weights", "::mlir::ModuleOp"> {
  let summary = "Turn large constant tensors of the model function into weight ports";
  let description = [{
    Off-chip weights: every constant tensor of the model function read by a
    ternary accumulation as its packed weights, and every other constant
    with more than `rom-threshold` elements, becomes a new argument of the
    function (after the model inputs) carrying `tern.hls.weight` (the port
    name) and `tern.hls.weight_data` (the constant). The HLS emitter makes
    these `m_axi` ports in their own bundle; the package holds their data as
    binary files. Smaller constants stay on chip (ROM). The model function
    is marked `tern.hls.top` and gets `tern.hls.num_inputs`.
  }];
  let options = [
    Option<"romThreshold", "rom-threshold", "int64_t", "4096",
           "Constants with more elements than this go off chip">,
    Option<"topName", "top", "std::string", "\"\"",
           "Rename the model function (the HLS top) to this name">,
  ];
}

def TernHLSOutlineStages : Pass<"tern-hls-outline-stages", "::mlir::ModuleOp"> {
  let summary = "Outline each compute op of the model function into a stage function";
  let description = [{
    On tensors, before bufferization. Every compute op (a linalg op other
    than `linalg.fill`, at the top of the model function or of an `scf.for`
    body in it) becomes a private function `@<top>_s<N>_<kind>` called in its
    place. The shape glue it reads (`tensor.empty`, `linalg.fill`, reshapes,
    slices, scalar constants) is cloned into each stage that needs it, so a
    reduction initializes its own accumulator: every buffer then has one
    producer, as an HLS DATAFLOW region requires. Stages are marked
    `tern.hls.stage = "<kind>"` (`ternary_matmul`, `reduction`,
    `elementwise`, `copy`, ...).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def TernHLSLegalizeDataflow : Pass<"tern-hls-legalize-dataflow", "::mlir::ModuleOp"> {
  let summary = "Make the top function and token loops canonical HLS dataflow regions";
  let description = [{
    On memrefs, after bufferization. The body of an `scf.for` of the top
    function that calls stages (the token loop of a sequence) becomes a
    function `@<top>_step` called by the loop; whatever is left between the
    calls of the top or a step function (copies into outputs or slices) is
    outlined into `copy` stages, with the views it reads cloned in. Functions
    whose bodies are then only buffers and stage calls are marked
    `tern.hls.dataflow`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TernHLSLowerTernaryMatmul : Pass<"tern-hls-lower-ternary-matmul", "::mlir::ModuleOp"> {
  let summary = "Lower tiled ternary accumulations to a PE-array loop nest";
  let description = [{
    On memrefs. With S the largest divisor of G (bytes per row) not above
    `simd`, a `tern.hls.ternary_matmul` generic becomes
    ```
    for m, for nt:
      acc[P] = out[m, nt, :]              (registers)
      for g0 = 0, S, .. G:                PIPELINE II=1 (S bytes per row per cycle)
        for p < P:                        UNROLL (PE array)
          lanes[4S]                       (registers)
          for s < S, j < 4:               UNROLL: lanes[4s+j] = body(x[m,g0+s,j], w[nt,g0+s,p], 0)
          for each level, i < n/2:        UNROLL: lanes[i] = lanes[2i] + lanes[2i+1]
          acc[p] = acc[p] + lanes[0]      (one add per row and cycle)
      out[m, nt, :] = acc
    ```
    where `body` is the generic's own select/add/sub region (no multiply),
    cloned with a zero accumulator: each lane is x, -x or 0, and the 4S lanes
    are summed by a balanced adder tree of depth ceil(log2(4S)) instead of a
    chain of 4S dependent select/add/sub steps. `mac-tree=false` keeps the
    chain (acc[p] = body(x, w, acc[p]) trit after trit).
  }];
  let options = [
    Option<"simd", "simd", "int64_t", "1", "Packed weight bytes per row and cycle">,
    Option<"macTree", "mac-tree", "bool", "true",
           "Sum each row's lanes with an adder tree (false: a select/add chain)">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TernHLSScalarizeReductions : Pass<"tern-hls-scalarize-reductions", "::mlir::ModuleOp"> {
  let summary = "Carry loop-invariant accumulations in registers (iter_args)";
  let description = [{
    An `affine.for` whose body loads and stores one memref element at
    indices that do not depend on the loop (and touches that memref nowhere
    else) loads it once before the loop, carries it as an iteration
    argument and stores it once after: `acc = y[i]; for k: acc += ...;
    y[i] = acc`. Applied innermost first, so reductions over several loops
    are carried across all of them.
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect"];
}

def TernHLSSplitFanout : Pass<"tern-hls-split-fanout", "::mlir::ModuleOp"> {
  let summary = "Give every dataflow channel one producer and one consumer";
  let description = [{
    In each `tern.hls.dataflow` function, a buffer written by one stage and
    read by k > 1 stages becomes k buffers: the producer stores each value
    to all of them (one more store per copy in the same loop iteration), and
    each consumer reads its own. An input port read by several stages is
    read once by a `load` stage that fills one local buffer per reader. A
    function whose buffers still have several producers, or readers before
    their producer, loses `tern.hls.dataflow` (its stages then run one after
    the other).
  }];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::memref::MemRefDialect"];
}

def TernHLSShareStages : Pass<"tern-hls-share-stages", "::mlir::ModuleOp"> {
  let summary = "One hardware instance per distinct stage, reused across layers";
  let description = [{
    For models whose layers do not all fit on chip side by side: the ROMs a
    stage reads (`memref.get_global`) become arguments, stage functions that
    are then identical up to the buffers they are given are merged into one,
    and the top runs its stages one after the other (it loses
    `tern.hls.dataflow` and gets `tern.hls.shared`; the emitter limits every
    stage called several times to one instance with
    `#pragma HLS ALLOCATION`). A token's latency does not change: a dataflow
    region's single-invocation latency is already the sum of its stages.
  }];
}

def TernHLSNameConstants : Pass<"tern-hls-name-constants", "::mlir::ModuleOp"> {
  let summary = "Name constant globals by their first use (reproducible output)";
  let description = [{
    Bufferization names the constants it hoists `__constant_<shape>_<n>` in
    an order that depends on hash maps, so two identical compiles could
    print different kernels. This pass renames every `memref.global` to
    `constant_<shape>_<k>`, k its first use in a walk of the module
    (functions and ops in order; unused globals after, in their order), and
    moves the globals into that order.
  }];
}

def TernHLSPlanWeightPorts : Pass<"tern-hls-plan-weight-ports", "::mlir::ModuleOp"> {
  let summary = "Give weight ports m_axi bundles (one per engine) and memory banks";
  let description = [{
    Weight ports of the top that are read by the same stage function (one
    engine, reused across layers with share mode) share an m_axi bundle:
    they are never read at the same time. Every engine gets its own bundle
    `gmem_w<k>` (k in order of first use), so engines do not contend for one
    AXI master, and bundle k gets bank `HBM[k mod banks]` or
    `DDR[k mod banks]`. The choices are `tern.hls.bundle` and
    `tern.hls.bank` attributes on the top's arguments; the emitter prints the
    bundles, the package writes the banks into `connectivity.cfg` (`sp=`),
    and the estimate applies each bank's bandwidth.
  }];
  let options = [
    Option<"memory", "memory", "std::string", "\"hbm\"", "Where weights live: hbm or ddr">,
    Option<"banks", "banks", "int64_t", "32",
           "Banks to spread the bundles over (U280/U55C: 32 HBM pseudo-channels; U280: 2 DDR4)">,
  ];
}

def TernHLSPackWeightWords : Pass<"tern-hls-pack-weight-words", "::mlir::ModuleOp"> {
  let summary = "Read ternary weights as wide words, one beat per cycle";
  let description = [{
    A ternary stage's pipelined byte loop (step S) reads P x S packed bytes
    of its codes argument (`tern.hls.weight_codes`, `[N/P][G][P]` i8) per
    iteration. The argument becomes `memref<N/P x G/S x K x iW>`: W is the
    smallest power of two of bits holding the P x S bytes, at most
    `word-bits` (512: one AXI beat), and K = ceil(8 P S / W) words per
    cycle. The pipeline loads its K words into a register array once per
    iteration and sets `tern.hls.pipeline = K` (one beat per cycle per
    port: the II rises when P x S bytes exceed one word); each byte is
    `trunci(shrui(word, 8 * (byte mod W/8)))` with byte = s P + p. The
    callers' arguments up to the top's weight port are retyped; the port's
    data is repacked (each cycle's bytes, then zero padding to K words) and
    gets `tern.hls.word_bits`, `tern.hls.words_per_cycle` and
    `tern.hls.trits_per_cycle` (I64) and a new `tern.hls.weight_layout`.
    Stages reading one byte per cycle are left as they are.
  }];
  let options = [
    Option<"wordBits", "word-bits", "int64_t", "512",
           "Widest weight word (bits, a power of two): the m_axi data width">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TernHLSWeightsToROMs : Pass<"tern-hls-weights-to-roms", "::mlir::ModuleOp"> {
  let summary = "Keep the weights on chip: weight ports become constant ROMs";
  let description = [{
    For small models (`--hls-weights=onchip`): every weight port of the top
    (`tern.hls.weight`, with its `tern.hls.weight_data`, typically the packed
    words of `tern-hls-pack-weight-words`) becomes a private constant
    `memref.global @rom_<port>` holding the data, read in the top with
    `memref.get_global` and passed to the stages as the port was; the port
    is removed (no m_axi, no weight file). The global gets
    `tern.hls.storage_type = "rom_1p"` and `tern.hls.storage_impl = "bram"`,
    which the emitter prints as `#pragma HLS BIND_STORAGE`: a pipeline reads
    one word per cycle, and UltraScale+ UltraRAM cannot be initialized by
    the bitstream, so ROMs are block RAM. The pass fails, naming the BRAM18
    the ROMs and the buffers need, when they exceed `bram18` (the
    platform's: 4032 on the U280 and U55C).
  }];
  let options = [
    Option<"bram18", "bram18", "int64_t", "4032",
           "BRAM18 blocks of the platform: the ROMs and buffers must fit">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TernHLSDirectives : Pass<"tern-hls-directives", "::mlir::ModuleOp"> {
  let summary = "Choose PIPELINE, UNROLL and ARRAY_PARTITION directives";
  let description = [{
    Attaches the directives the HLS emitter prints: the innermost loop of
    every nest gets `tern.hls.pipeline = 1` (II) and, in element-wise and
    reduction stages, `tern.hls.unroll = simd`; a loop of at most
    `full-unroll-limit` iterations inside it is unrolled instead and its
    parent pipelined. Buffers (`memref.alloc`) get
    `tern.hls.partition = [dim, factor]` (cyclic) matching the unrolled
    loops that read them, and stage arguments the same as the buffer passed
    to them. Loops already carrying directives (ternary stages) are kept.
  }];
  let options = [
    Option<"simd", "simd", "int64_t", "1", "Lanes of element-wise loops">,
    Option<"fullUnrollLimit", "full-unroll-limit", "int64_t", "4",
           "Innermost loops this short are fully unrolled">,
  ];
}

def TernHLSKeepStateOnChip : Pass<"tern-hls-keep-state-on-chip", "::mlir::ModuleOp"> {
  let summary = "Pair the top's recurrent state input with its next-state output";
  let description = [{
    For AXI4-Stream token I/O (`--hls-io=axis`): a model input `X` and a
    model output `X_out` of the same type are the recurrent state of a
    decode step. The pass marks the input argument with
    `tern.hls.state_out = <output argument number>` and the output with
    `tern.hls.state_in = <input argument number>`. The emitter then keeps
    the state in a static on-chip array of the top (zeroed when the
    s_axilite flag `reset_state` is set, updated from the next-state output
    after every token) instead of streaming it in and out each token.
  }];
}

def TernHLSVerifyChannels : Pass<"tern-hls-verify-channels", "::mlir::ModuleOp"> {
  let summary = "Check that every dataflow channel has one producer and one consumer";
  let description = [{
    In every `tern.hls.dataflow` function, each buffer and each memref
    argument passed to stage calls must be written by at most one call and
    read by at most one call (the FIFO/ping-pong rule of an HLS DATAFLOW
    region); a violation is an error naming the buffer and the calls. Runs
    after `tern-hls-split-fanout`, which establishes the rule.
  }];
}

def TernHLSHoistRowInvariants : Pass<"tern-hls-hoist-row-invariants", "::mlir::ModuleOp"> {
  let summary = "Compute row-invariant values once per row; one reciprocal per row";
  let description = [{
    In stage functions, an `affine.for` whose body computes values that do
    not depend on its induction variable (loads of a per-row sum, the
    `mean + eps`, `sqrt` of RMSNorm, a quantization scale) computes them
    once before the loop instead of once per element. With `reciprocal`,
    a float division `x / d` inside the loop whose divisor `d` is
    loop-invariant becomes `x * r` with `r = 1 / d` computed once before the
    loop (float mode: within one rounding of the division; fixed mode keeps
    the division, which ap_fixed truncates, so that the plain C++ and
    ap_fixed builds stay bit-exact with the package's own rounding model).
    Loops carrying directives stay as they are otherwise.
  }];
  let options = [
    Option<"reciprocal", "reciprocal", "bool", "true",
           "Replace divisions by a loop-invariant divisor with a multiply by its reciprocal">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect"];
}

def TernHLSInterleaveReductions : Pass<"tern-hls-interleave-reductions", "::mlir::ModuleOp"> {
  let summary = "Float accumulations as interleaved partial sums and a final tree";
  let description = [{
    In stage functions, an `affine.for` (constant bounds, step 1, trip a
    multiple of `partials`, no directives yet) that carries one f32 value
    through `addf`/`maximumf`/`maxnumf` with a term becomes a loop of step
    `partials` carrying `partials` independent accumulators (partial 0
    starts at the initial value, the others at 0, or at the initial value
    for max), one per element of the step, followed by a balanced tree of
    the same operator. The new loop gets `tern.hls.pipeline = latency`: each
    accumulator takes one add per iteration, so the pipeline consumes
    `partials / latency` elements per cycle instead of one element per
    `latency` cycles. Float rounding changes with the order of the sum.
  }];
  let options = [
    Option<"partials", "partials", "int64_t", "8", "Interleaved partial sums per reduction">,
    Option<"latency", "latency", "int64_t", "4",
           "Cycles of the float adder (the II of the interleaved loop)">,
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect"];
}

def TernHLSIndexStatus : Pass<"tern-hls-index-status", "::mlir::ModuleOp"> {
  let summary = "Report gather index checks through status outputs of the HLS top";
  let description = [{
    On tensors, before stage outlining. The run-time index checks of the
    import (`scf.for` scans calling `tern_rt_index_error(what, index, dim)`)
    have no runtime to call on an FPGA. Each check becomes a
    `linalg.generic` reduction over its index tensor that records the first
    failing check: the model function gets two more results, `status`
    (i32: 0 if every index is in range, else the 1-based id of the failing
    check) and `bad_index` (i64: the index it saw), marked
    `tern.hls.status`; the top lists the checks' messages and bounds in
    `tern.hls.index_checks`. The access itself stays clamped, so no read
    leaves its table. The testbench prints the failing node and fails.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // TERN_TARGET_HLS_PASSES_TD

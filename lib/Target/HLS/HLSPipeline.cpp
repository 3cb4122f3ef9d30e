//===- HLSPipeline.cpp - the HLS backend's pass pipeline ------------------===//
#include "tern/Target/HLS/HLSTarget.h"
#include "tern/Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::tern {

// Upstream passes between the stage outlining (tensors) and the loop
// lowering, spelled as pipeline strings so `ternc --print-pipeline` shows
// what runs. No deallocation: every buffer becomes a static array.
static constexpr const char *kBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{modify-public-functions hoist-static-allocs},"
    "drop-equivalent-buffer-results,"
    "canonicalize,cse";

static constexpr const char *kToLoops =
    "convert-linalg-to-affine-loops,"
    "affine-fold-memref-alias-ops,"
    "fold-memref-alias-ops,"
    "affine-expand-index-ops-as-affine,"
    "canonicalize,cse";

static void addPipelineString(OpPassManager &pm, const char *text) {
  if (failed(parsePassPipeline(text, pm)))
    llvm::report_fatal_error("invalid built-in HLS pipeline");
}

void buildHLSToLoopsPipeline(OpPassManager &pm, const HLSPipelineOptions &options) {
  static bool registered = (registerAllPasses(), true);
  (void)registered;
  // Row-major 2-bit packing (group-bytes 1): the layout the HLS PE array reads.
  buildCPUTernToLinalgPipeline(pm);
  pm.addPass(createTernHLSTileTernaryMatmul(TernHLSTileTernaryMatmulOptions{options.pe}));
  pm.addPass(createTernVerifyNoMultiply());
  pm.addPass(createTernHLSIndexStatus());
  pm.addPass(createTernHLSExternalizeWeights(
      TernHLSExternalizeWeightsOptions{options.romThreshold, options.top}));
  pm.addPass(createTernHLSOutlineStages());
  addPipelineString(pm, kBufferize);
  pm.addPass(createTernHLSLegalizeDataflow());
  pm.addPass(createTernHLSLowerTernaryMatmul(
      TernHLSLowerTernaryMatmulOptions{options.simd, options.macTree}));
  addPipelineString(pm, kToLoops);
  pm.addPass(createTernHLSScalarizeReductions());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(
      createTernHLSHoistRowInvariants(TernHLSHoistRowInvariantsOptions{options.rowReciprocal}));
  // Enough partial sums to take `simd` elements per cycle at II = the
  // float adder latency (4 cycles).
  pm.addPass(createTernHLSInterleaveReductions(
      TernHLSInterleaveReductionsOptions{std::max<int64_t>(8, 4 * options.simd), 4}));
  if (options.share)
    pm.addPass(createTernHLSShareStages());
  else
    pm.addPass(createTernHLSSplitFanout());
  pm.addPass(createTernHLSVerifyChannels());
  pm.addPass(createTernHLSDirectives(TernHLSDirectivesOptions{options.simd, 4}));
  pm.addPass(createTernHLSNameConstants());
  bool onChip = options.weightMemory == "onchip";
  if (!onChip)
    pm.addPass(createTernHLSPlanWeightPorts(
        TernHLSPlanWeightPortsOptions{options.weightMemory, options.weightBanks}));
  pm.addPass(createTernHLSPackWeightWords(TernHLSPackWeightWordsOptions{options.weightWordBits}));
  if (onChip)
    pm.addPass(createTernHLSWeightsToROMs(TernHLSWeightsToROMsOptions{options.onChipBRAM18}));
}

void registerHLSPipelines() {
  registerTernHLSPasses();
  PassPipelineRegistration<HLSPipelineOptions>(
      "tern-hls-to-loops",
      "Tern HLS backend: tern ops to static affine loops on arrays in stage functions",
      buildHLSToLoopsPipeline);
}

} // namespace mlir::tern

//===- HLSTarget.h - the HLS backend: pipeline, emitter, package ----------===//
//
// tern ops -> (CPU pipeline up to linalg) -> stage functions on tensors ->
// bufferized dataflow of stage calls -> static affine loops on arrays with
// directive attributes -> HLS C++ (tern-translate --emit-hls-cpp) -> a Vitis
// HLS package (ternc compile --target=hls).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TARGET_HLS_HLSTARGET_H
#define TERN_TARGET_HLS_HLSTARGET_H

#include "tern/Runtime/Npy.h"
#include "tern/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir::tern {

#define GEN_PASS_DECL
#include "tern/Target/HLS/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tern/Target/HLS/Passes.h.inc"

// Attributes of the HLS lowering (discardable, in the tern namespace).
namespace hls {
/// UnitAttr on the top function.
constexpr llvm::StringLiteral kTop = "tern.hls.top";
/// I64 on the top function: how many leading arguments are model inputs.
constexpr llvm::StringLiteral kNumInputs = "tern.hls.num_inputs";
/// ArrayAttr of StringAttr on the top function: output port names.
constexpr llvm::StringLiteral kOutputNames = "tern.hls.output_names";
/// StringAttr on a top argument: the weight port name.
constexpr llvm::StringLiteral kWeight = "tern.hls.weight";
/// ElementsAttr on a top argument: the weight data.
constexpr llvm::StringLiteral kWeightData = "tern.hls.weight_data";
/// StringAttr on a weight argument: how its bytes are laid out.
constexpr llvm::StringLiteral kWeightLayout = "tern.hls.weight_layout";
/// StringAttr on a weight argument: its m_axi bundle / its memory bank
/// (tern-hls-plan-weight-ports).
constexpr llvm::StringLiteral kBundle = "tern.hls.bundle";
constexpr llvm::StringLiteral kBank = "tern.hls.bank";
/// UnitAttr on a ternary stage's argument: its packed weight codes
/// (tern-hls-lower-ternary-matmul).
constexpr llvm::StringLiteral kWeightCodes = "tern.hls.weight_codes";
/// I64 on a weight port (tern-hls-pack-weight-words): the bits of one
/// m_axi word, the words one pipeline cycle reads (its II), the trits
/// (4 per byte, P x S bytes) that cycle uses.
constexpr llvm::StringLiteral kWordBits = "tern.hls.word_bits";
constexpr llvm::StringLiteral kWordsPerCycle = "tern.hls.words_per_cycle";
constexpr llvm::StringLiteral kTritsPerCycle = "tern.hls.trits_per_cycle";
/// StringAttr on a memref.global (tern-hls-weights-to-roms): the
/// BIND_STORAGE type (rom_1p, rom_2p) and implementation (bram) of a ROM.
constexpr llvm::StringLiteral kStorageType = "tern.hls.storage_type";
constexpr llvm::StringLiteral kStorageImpl = "tern.hls.storage_impl";
/// StringAttr on a stage function: what it computes.
constexpr llvm::StringLiteral kStage = "tern.hls.stage";
/// UnitAttr on a function whose body is a dataflow region.
constexpr llvm::StringLiteral kDataflow = "tern.hls.dataflow";
/// UnitAttr on a top whose stages share hardware (no dataflow).
constexpr llvm::StringLiteral kShared = "tern.hls.shared";
/// UnitAttr on a ternary accumulation tiled for the PE array; I64 P.
constexpr llvm::StringLiteral kTernaryMatmul = "tern.hls.ternary_matmul";
constexpr llvm::StringLiteral kPE = "tern.hls.pe";
/// On loops: I64 initiation interval / unroll factor (0: complete).
constexpr llvm::StringLiteral kPipeline = "tern.hls.pipeline";
constexpr llvm::StringLiteral kUnroll = "tern.hls.unroll";
/// On memref.alloc/alloca (and function arguments): DenseI64ArrayAttr
/// [dim (1-based), factor]; factor 0 = complete.
constexpr llvm::StringLiteral kPartition = "tern.hls.partition";
/// On the top's arguments (tern-hls-keep-state-on-chip): I64, the argument
/// number of the paired next-state output / of the state input.
constexpr llvm::StringLiteral kStateOut = "tern.hls.state_out";
constexpr llvm::StringLiteral kStateIn = "tern.hls.state_in";
/// On the top (tern-hls-index-status): ArrayAttr of {what, dim} dictionaries,
/// one per run-time index check (id = position + 1), and DenseI64ArrayAttr,
/// the output numbers of the status and bad_index outputs.
constexpr llvm::StringLiteral kIndexChecks = "tern.hls.index_checks";
constexpr llvm::StringLiteral kStatusOutputs = "tern.hls.status_outputs";
} // namespace hls

/// The options of the HLS lowering (also the `tern-hls-to-loops` pipeline's).
struct HLSPipelineOptions : public PassPipelineOptions<HLSPipelineOptions> {
  Option<int64_t> pe{*this, "pe", llvm::cl::desc("Ternary output rows per cycle (PE array)"),
                     llvm::cl::init(1)};
  Option<int64_t> simd{*this, "simd",
                       llvm::cl::desc("Packed weight bytes per row per cycle; element-wise lanes"),
                       llvm::cl::init(1)};
  Option<int64_t> romThreshold{*this, "rom-threshold",
                               llvm::cl::desc("Constants larger than this go to DDR ports"),
                               llvm::cl::init(4096)};
  Option<bool> share{*this, "share",
                     llvm::cl::desc("Reuse one instance per distinct stage across layers "
                                    "(sequential top) instead of a dataflow of all stages"),
                     llvm::cl::init(false)};
  Option<bool> macTree{*this, "mac-tree",
                       llvm::cl::desc("Ternary MAC as an adder tree per PE (false: a chain)"),
                       llvm::cl::init(true)};
  Option<std::string> weightMemory{*this, "weight-memory",
                                   llvm::cl::desc("Where weights live: hbm, ddr or onchip (ROMs)"),
                                   llvm::cl::init("hbm")};
  Option<int64_t> weightBanks{*this, "weight-banks",
                              llvm::cl::desc("Memory banks for the weight bundles"),
                              llvm::cl::init(32)};
  Option<int64_t> weightWordBits{*this, "weight-word-bits",
                                 llvm::cl::desc("Widest weight word read per cycle and port "
                                                "(bits; 512 = one AXI beat)"),
                                 llvm::cl::init(512)};
  Option<int64_t> onChipBRAM18{*this, "onchip-bram18",
                               llvm::cl::desc("weight-memory=onchip: the platform's BRAM18 "
                                              "(the ROMs and buffers must fit)"),
                               llvm::cl::init(4032)};
  Option<std::string> top{*this, "top", llvm::cl::desc("Name of the top function"),
                          llvm::cl::init("tern_top")};
  Option<bool> rowReciprocal{
      *this, "row-reciprocal",
      llvm::cl::desc("Divide by a row-invariant value as one reciprocal per row and multiplies "
                     "(float math; fixed math keeps the division)"),
      llvm::cl::init(true)};
};

/// tern ops -> static affine loops on memrefs in stage functions with HLS
/// directive attributes (`tern-hls-to-loops`).
void buildHLSToLoopsPipeline(OpPassManager &pm, const HLSPipelineOptions &options);
/// Registers `tern-hls-to-loops` (and the HLS passes).
void registerHLSPipelines();

/// Element-wise math of the generated kernel.
enum class HLSMath { Float, Fixed };

struct HLSEmitOptions {
  HLSMath math = HLSMath::Float;
  /// Token I/O (model inputs and outputs) as AXI4-Stream ports: the module's
  /// top becomes `<top>_core`, wrapped by a dataflow top that reads the
  /// input streams into buffers and writes the outputs back to streams.
  /// Weights stay m_axi.
  bool axisIO = false;
  /// The header the kernel includes (declares the top function).
  std::string kernelHeader = "tern_kernel.h";
};

/// One port of the top function.
struct HLSPort {
  enum Kind { Input, Weight, Output } kind;
  std::string name;
  std::string cType;         ///< element type in kernel code (tern_real, tern_i8, ...)
  std::string fileType;      ///< element type of the .bin files (float, int8_t, int64_t)
  unsigned fileBytes = 4;    ///< bytes per element in files
  std::vector<int64_t> shape;
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  std::string layout;        ///< weights: layout description
  std::string bundle;        ///< weights: m_axi bundle (empty: gmem_w)
  std::string bank;          ///< weights: memory bank for connectivity.cfg
  unsigned wordBits = 0;     ///< wide weight words (tern_word<wordBits>): 0 if not
  Attribute data;            ///< weights: the ElementsAttr
  /// Outputs: the index-check status/bad_index registers (not model outputs).
  bool status = false;
  /// Recurrent state kept on chip (axis I/O): the paired port's index.
  int statePair = -1;
};

/// True if a memref (a function argument, a buffer) may be written by its
/// users, through calls (loads only: false).
bool hlsMayWrite(ModuleOp module, Value memref);
/// True if a memref may be read by its users, through calls.
bool hlsMayRead(ModuleOp module, Value memref);

/// The weight word of a ternary pipeline reading `bytesPerCycle` packed
/// bytes per cycle through one port of at most `maxWordBits`: the smallest
/// power of two of bytes holding them (capped at the port width) and how
/// many such words a cycle needs (the pipeline's II).
struct HLSWeightWord {
  int64_t bytesPerCycle = 1, wordBits = 8, wordsPerCycle = 1;
};
HLSWeightWord chooseHLSWeightWord(int64_t bytesPerCycle, int64_t maxWordBits);

/// What the estimate knows of an Alveo platform: its weight banks and
/// on-chip memory (see docs/hls.md for the sources).
struct HLSPlatformInfo {
  const char *name;
  int64_t hbmChannels;  ///< HBM2 pseudo-channels
  double hbmChannelGBps;
  int64_t ddrChannels;  ///< DDR4 channels
  double ddrChannelGBps;
  int64_t bram18;       ///< 18 Kib block RAMs
  int64_t uram;         ///< 288 Kib UltraRAMs
};
/// The u280 or u55c row; failure for another name.
FailureOr<HLSPlatformInfo> getHLSPlatformInfo(llvm::StringRef name);

/// The 18 Kib block RAMs of a buffer or ROM as the estimate counts them
/// (per partition; small partitions are LUTRAM: 0, unless `blockRAM`).
int64_t hlsBRAM18(MemRefType type, DenseI64ArrayAttr partition, bool blockRAM = false);

/// Little-endian bytes of every element of a constant (splats expanded).
FailureOr<std::vector<char>> getHLSElementBytes(Attribute data);

/// The top function of a lowered module (marked tern.hls.top).
FailureOr<func::FuncOp> getHLSTop(ModuleOp module);
/// Its ports, in argument order.
FailureOr<std::vector<HLSPort>> getHLSPorts(func::FuncOp top);

/// Translates a module lowered by `tern-hls-to-loops` into HLS C++: one
/// function per func.func, statement by statement, with pragmas.
LogicalResult emitHLSCpp(ModuleOp module, llvm::raw_ostream &os,
                         const HLSEmitOptions &options = {});
/// The declaration of the top function (for the kernel header).
LogicalResult emitHLSTopDeclaration(func::FuncOp top, llvm::raw_ostream &os,
                                    const HLSEmitOptions &options = {});
/// Registers `--emit-hls-cpp` in tern-translate.
void registerHLSEmitterTranslation();

/// The project-written compatibility header (firmware/tern_hls.h).
llvm::StringRef getHLSCompatHeader();

/// Writes a raw little-endian binary of an ElementsAttr (weights/*.bin).
LogicalResult writeElementsBinary(Attribute data, llvm::raw_ostream &os);

struct HLSPackageOptions {
  HLSPipelineOptions *pipeline = nullptr; // pe/simd for the report
  HLSMath math = HLSMath::Float;
  bool axisIO = false; ///< see HLSEmitOptions::axisIO
  std::string part = "xcu280-fsvh2892-2L-e";
  double clockMHz = 300.0;
  std::string modelName = "model";
  /// The v++ platform of connectivity.cfg and the bank bandwidths.
  std::string platform = "u280";
};

/// Writes the package (firmware/, weights/, tb/, tb_data/, run_hls.tcl,
/// hls_config.cfg, Makefile, README.md, estimate.txt) for a lowered module.
LogicalResult writeHLSPackage(ModuleOp module, const ModelSignature &sig,
                              const HLSPackageOptions &options, llvm::StringRef dir);

/// The pre-synthesis estimate (cycles per token, memory, LUT, DDR traffic,
/// tokens/s and a projection to MMfreeLM-1.3B), as text.
std::string estimateHLS(ModuleOp module, const HLSPackageOptions &options);

/// Options of `ternc compile --target=hls` / `ternc run --target=hls-csim`.
struct HLSCompileOptions {
  HLSPipelineOptions pipeline;
  HLSPackageOptions package;
  /// Writes tb_data/: the inputs (`inputs`, or deterministic ones when it is
  /// null) and the goldens, the CPU backend's outputs on them.
  bool cpuGoldens = true;
  const std::vector<::tern::runtime::Array> *inputs = nullptr;
  llvm::raw_ostream *printPipeline = nullptr;
  std::function<void(llvm::StringRef)> progress;
};

/// Finds the model function, reads its signature and runs tern-hls-to-loops.
FailureOr<ModelSignature> lowerForHLS(ModuleOp module, const HLSCompileOptions &options);
/// lowerForHLS, then writeHLSPackage into `dir`.
FailureOr<ModelSignature> compileHLSPackage(ModuleOp module, llvm::StringRef dir,
                                            const HLSCompileOptions &options);
/// Deterministic test inputs for a signature: integers (token ids) 1, 2,
/// 1, ...; floats uniform in [-1, 1) from a fixed linear congruential stream.
std::vector<::tern::runtime::Array> makeHLSTestInputs(const ModelSignature &sig);
/// Runs the tern-level module `ternModule` (consumed) through the CPU backend
/// on `inputs` and writes the outputs as `dir/tb_data/<port>.golden.bin`
/// for the output ports of the lowered module `lowered`.
LogicalResult writeHLSGoldens(ModuleOp lowered, ModuleOp ternModule, llvm::StringRef dir,
                              const std::vector<::tern::runtime::Array> &inputs);
/// Writes model inputs as `dir/tb_data/<port>.bin` (checks shapes and types).
LogicalResult writeHLSInputs(ModuleOp lowered, llvm::StringRef dir,
                             const std::vector<::tern::runtime::Array> &inputs);
/// Builds the C simulation with the host compiler `cxx`, runs it and reads
/// the outputs it wrote.
LogicalResult runHLSCSim(ModuleOp lowered, const ModelSignature &sig, llvm::StringRef dir,
                         llvm::StringRef cxx, std::vector<::tern::runtime::Array> &outputs);

/// Compiles a package's C simulation with `cxx` (host C++ compiler) into
/// `dir/csim.bin` at -Wall -Werror.
LogicalResult buildHLSCSim(Location loc, llvm::StringRef dir, llvm::StringRef cxx);

} // namespace mlir::tern

#endif // TERN_TARGET_HLS_HLSTARGET_H

//===- HLSEstimate.cpp - pre-synthesis estimate of a lowered module -------===//
//
// A static model of what Vitis HLS will build from the lowered module:
//  * latency: a pipelined loop takes ceil(trip/unroll) * II + depth cycles
//    (II is raised to the adder latency when a float value is carried from
//    one iteration to the next, e.g. a sum of squares); other loops
//    trip * (body + 1); a call costs its callee; a dataflow region's
//    single-invocation latency is the sum of its stages (each consumer waits
//    for its producer's ping-pong buffer), its throughput interval the
//    slowest stage;
//  * on-chip memory: every buffer and ROM in BRAM18K blocks per partition
//    (small partitions in LUTRAM/registers);
//  * LUT/DSP: operator instances (replicated by the unrolling inside
//    pipelines) times typical UltraScale+ costs of Vitis HLS operator cores;
//  * DDR traffic: bytes read/written on the m_axi ports per invocation.
// The constants are documented in the report; it is an estimate to size a
// design before synthesis, not a substitute for the csynth report.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <map>

namespace mlir::tern {

namespace {

constexpr int64_t kFloatAddLatency = 4; // fadd/fmax chain in a loop-carried reduction
constexpr int64_t kPipelineDepth = 8;   // typical depth of a stage's inner pipeline
constexpr int64_t kLUTRAMLimitBits = 1024; // smaller partitions: LUTRAM / registers
constexpr int64_t kPortBytesPerCycle = 64;  // one 512-bit AXI beat per cycle per m_axi port

// The power model's coefficients: ballparks in the range the Xilinx Power
// Estimator (UG440) gives for UltraScale+ at its default 12.5% toggle rate
// (logic) and 50% enable (memories), per MHz of the kernel clock; device
// static power of a VU37P/VU47P-class 16 nm part; DRAM energy per bit moved
// including the FPGA-side controller and PHY (HBM2 ~4 pJ/bit device access,
// O'Connor et al., MICRO 2017; DDR4 several times that). Not measured.
constexpr double kToggleRate = 0.125;
constexpr double kLUTuWPerMHz = 0.06;   // LUT as logic + its routing
constexpr double kFFuWPerMHz = 0.012;   // flip-flop incl. its share of the clock tree
constexpr double kFFPerLUT = 1.0;       // FF count assumed equal to LUT count
constexpr double kDSPuWPerMHz = 1.3;    // DSP48E2
constexpr double kBRAM18uWPerMHz = 2.5; // RAMB18 at 50% enable
constexpr double kURAMuWPerMHz = 6.0;   // URAM288 at 50% enable
constexpr double kStaticW = 3.0;        // device static (typical junction temperature)
constexpr double kHBMpJPerBit = 7.0;    // HBM2 incl. controller/switch/PHY
constexpr double kDDRpJPerBit = 20.0;   // DDR4 incl. controller/PHY
constexpr double kHBMStaticW = 1.0;     // two HBM2 stacks, refresh + idle PHY
constexpr double kDDRChannelStaticW = 0.6;

struct Cost {
  int64_t lut = 0, dsp = 0;
};

/// Per-instance cost of an operator core (UltraScale+, ~300 MHz, Vitis HLS
/// defaults), float and fixed (Q16.16) element-wise math.
Cost opCost(Operation *op, bool fixed) {
  Type t = op->getNumResults() ? op->getResult(0).getType() : Type();
  unsigned bits = t && t.isIntOrFloat() ? t.getIntOrFloatBitWidth() : 32;
  if (isa<arith::AddFOp, arith::SubFOp>(op))
    return fixed ? Cost{32, 0} : Cost{200, 2};
  if (isa<arith::MulFOp>(op))
    return fixed ? Cost{40, 4} : Cost{100, 3};
  if (isa<arith::DivFOp>(op))
    return fixed ? Cost{1100, 0} : Cost{800, 0};
  if (isa<math::SqrtOp, math::RsqrtOp>(op))
    return fixed ? Cost{600, 0} : Cost{500, 0};
  if (isa<math::ExpOp, math::Exp2Op, math::LogOp, math::TanhOp, math::PowFOp>(op))
    return fixed ? Cost{900, 4} : Cost{1000, 7};
  if (isa<arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp, arith::MinNumFOp,
          arith::CmpFOp, math::AbsFOp, arith::NegFOp>(op))
    return {fixed ? 32 : 60, 0};
  if (isa<arith::SIToFPOp, arith::FPToSIOp, arith::UIToFPOp, arith::FPToUIOp,
          math::RoundEvenOp, math::RoundOp, math::FloorOp, math::CeilOp>(op))
    return {fixed ? 40 : 200, 0};
  if (isa<arith::MulIOp>(op))
    return {bits / 2, bits > 18 ? 3 : 1};
  if (isa<arith::AddIOp, arith::SubIOp, arith::CmpIOp, arith::SelectOp, arith::AndIOp,
          arith::OrIOp, arith::XOrIOp, arith::MaxSIOp, arith::MinSIOp>(op))
    return {static_cast<int64_t>(bits), 0};
  if (isa<arith::ShRUIOp, arith::ShRSIOp, arith::ShLIOp>(op)) {
    // A byte of a weight word (tern-hls-pack-weight-words): the amount is
    // an unrolled loop index, a constant after unrolling, so the shift is
    // wiring.
    if (op->getOperand(1).getDefiningOp<arith::IndexCastOp>())
      return {};
    return {static_cast<int64_t>(bits) * 3, 0};
  }
  return {};
}

int64_t tripCount(affine::AffineForOp loop) {
  if (!loop.hasConstantBounds())
    return 1;
  int64_t n = loop.getConstantUpperBound() - loop.getConstantLowerBound();
  return n <= 0 ? 0 : (n + loop.getStepAsInt() - 1) / loop.getStepAsInt();
}

/// A float value carried from one iteration to the next through an add or
/// max (the recurrence limits II to the operator latency).
bool hasFloatRecurrence(affine::AffineForOp loop) {
  for (BlockArgument arg : loop.getRegionIterArgs())
    if (isa<FloatType>(arg.getType()))
      return true;
  bool found = false;
  loop.getBody()->walk([&](affine::AffineForOp inner) {
    for (BlockArgument arg : inner.getRegionIterArgs())
      if (isa<FloatType>(arg.getType()))
        found = true;
  });
  return found;
}

/// RAMB18s for a memory of `depth` words of `width` bits: the best of the
/// block's aspect ratios (16K x 1 .. 512 x 36; UG573).
int64_t bram18For(int64_t width, int64_t depth) {
  static const int64_t ratios[][2] = {{1, 16384}, {2, 8192}, {4, 4096}, {9, 2048}, {18, 1024},
                                      {36, 512}};
  int64_t best = INT64_MAX;
  for (auto &r : ratios)
    best = std::min(best, ((width + r[0] - 1) / r[0]) * ((depth + r[1] - 1) / r[1]));
  return best;
}

/// The power model (see the constants): static + per-resource dynamic power
/// at the kernel clock + DRAM power for the bytes moved.
struct Power {
  double staticW = 0, lutW = 0, ffW = 0, dspW = 0, bramW = 0, uramW = 0, memW = 0;
  double total() const { return staticW + lutW + ffW + dspW + bramW + uramW + memW; }
};

Power powerOf(double lut, double dsp, double bram18, double uram, double mhz, double memGBps,
              bool hbm, int64_t ddrChannels) {
  Power p;
  p.staticW = kStaticW;
  p.lutW = lut * kLUTuWPerMHz * mhz * 1e-6;
  p.ffW = lut * kFFPerLUT * kFFuWPerMHz * mhz * 1e-6;
  p.dspW = dsp * kDSPuWPerMHz * mhz * 1e-6;
  p.bramW = bram18 * kBRAM18uWPerMHz * mhz * 1e-6;
  p.uramW = uram * kURAMuWPerMHz * mhz * 1e-6;
  double bitsPerSecond = memGBps * 8e9;
  p.memW = hbm ? kHBMStaticW + bitsPerSecond * kHBMpJPerBit * 1e-12
               : kDDRChannelStaticW * ddrChannels + bitsPerSecond * kDDRpJPerBit * 1e-12;
  return p;
}

void printPower(llvm::raw_ostream &os, const Power &p, StringRef memory) {
  os << llvm::format("    static %.2f + LUT %.2f + FF %.2f + DSP %.2f + BRAM %.2f + URAM %.2f + "
                     "%s %.2f = %.2f W\n",
                     p.staticW, p.lutW, p.ffW, p.dspW, p.bramW, p.uramW, memory.str().c_str(),
                     p.memW, p.total());
}

struct StageInfo {
  std::string name, kind;
  int64_t cycles = 0;
};

struct Estimator {
  ModuleOp module;
  bool fixed;
  func::FuncOp top;
  DenseMap<Operation *, int64_t> cycleCache;
  Cost logic;
  int64_t bram18 = 0, onChipBits = 0, lutramBits = 0;
  int64_t ternaryLUT = 0, ternaryDSP = 0;
  std::vector<StageInfo> stages;

  int64_t functionCycles(func::FuncOp fn) {
    auto it = cycleCache.find(fn);
    if (it != cycleCache.end())
      return it->second;
    int64_t c = blockCycles(fn.getBody().front());
    if (fn->hasAttr(hls::kDataflow))
      c += 2; // start/done handshakes
    cycleCache[fn] = c;
    return c;
  }

  int64_t blockCycles(Block &block) {
    int64_t total = 0;
    for (Operation &op : block) {
      if (auto loop = dyn_cast<affine::AffineForOp>(op)) {
        total += loopCycles(loop);
      } else if (auto call = dyn_cast<func::CallOp>(op)) {
        if (auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee()))
          total += functionCycles(callee);
      } else if (auto loop = dyn_cast<scf::ForOp>(op)) {
        std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()),
                               ub = getConstantIntValue(loop.getUpperBound());
        int64_t trip = lb && ub ? *ub - *lb : 1;
        total += trip * (blockCycles(*loop.getBody()) + 1);
      } else if (isa<affine::AffineLoadOp, affine::AffineStoreOp, memref::LoadOp,
                     memref::StoreOp>(op)) {
        total += 1;
      }
    }
    return total;
  }

  /// The initiation interval of a pipelined loop: its directive (the words
  /// per cycle of a wide weight port, tern-hls-pack-weight-words), raised by
  /// a loop-carried float recurrence and by byte-wise weight reads beyond
  /// one 512-bit beat per cycle.
  int64_t interval(affine::AffineForOp loop) {
    auto ii = loop->getAttrOfType<IntegerAttr>(hls::kPipeline);
    if (!ii)
      return 0;
    int64_t unroll = 1;
    if (auto u = loop->getAttrOfType<IntegerAttr>(hls::kUnroll))
      unroll = u.getInt() == 0 ? std::max<int64_t>(tripCount(loop), 1) : u.getInt();
    int64_t interval = ii.getInt();
    if (hasFloatRecurrence(loop))
      interval = std::max(interval, kFloatAddLatency * (fixed ? 0 : 1) + (fixed ? 1 : 0));
    int64_t perIter = weightBytesPerIteration(loop) * unroll;
    return std::max(interval, (perIter + kPortBytesPerCycle - 1) / kPortBytesPerCycle);
  }

  /// The largest II of a function's pipelines.
  int64_t maxInterval(func::FuncOp fn) {
    int64_t worst = 0;
    fn.walk([&](affine::AffineForOp loop) { worst = std::max(worst, interval(loop)); });
    return worst;
  }

  int64_t loopCycles(affine::AffineForOp loop) {
    int64_t trip = tripCount(loop);
    if (loop->hasAttr(hls::kPipeline)) {
      int64_t unroll = 1;
      if (auto u = loop->getAttrOfType<IntegerAttr>(hls::kUnroll))
        unroll = u.getInt() == 0 ? std::max<int64_t>(trip, 1) : u.getInt();
      int64_t iters = (trip + unroll - 1) / unroll;
      return iters * interval(loop) + kPipelineDepth;
    }
    if (auto u = loop->getAttrOfType<IntegerAttr>(hls::kUnroll); u && u.getInt() == 0)
      return blockCycles(*loop.getBody());
    return trip * (blockCycles(*loop.getBody()) + 1) + 1;
  }

  /// Packed weight bytes a ternary stage's pipelined loop reads per
  /// iteration: loads of a rank-3 i8 argument ([N/P][G][P] codes) times the
  /// trips of the (fully unrolled) loops around them inside the pipeline.
  int64_t weightBytesPerIteration(affine::AffineForOp loop) {
    auto fn = loop->getParentOfType<func::FuncOp>();
    auto kind = fn ? fn->getAttrOfType<StringAttr>(hls::kStage) : StringAttr();
    if (!kind || kind.getValue() != "ternary_matmul")
      return 0;
    int64_t total = 0;
    loop.getBody()->walk([&](affine::AffineLoadOp load) {
      auto arg = dyn_cast<BlockArgument>(load.getMemRef());
      auto type = cast<MemRefType>(load.getMemRef().getType());
      if (!arg || type.getRank() != 3 || !type.getElementType().isInteger(8))
        return;
      int64_t copies = 1;
      for (Operation *p = load->getParentOp(); p && p != loop; p = p->getParentOp())
        if (auto inner = dyn_cast<affine::AffineForOp>(p))
          copies *= tripCount(inner);
      total += copies;
    });
    return total;
  }

  /// Operator instances: replicated by the unrolling inside pipelines.
  void countLogic(func::FuncOp fn, bool ternary) {
    fn.walk([&](Operation *op) {
      Cost c = opCost(op, fixed);
      if (!c.lut && !c.dsp)
        return;
      // Loops inside a pipelined loop are fully unrolled by the tool, the
      // pipelined loop replicates its body by its unroll factor, and the
      // hardware is reused across the iterations of loops outside it.
      SmallVector<affine::AffineForOp> chain; // innermost first
      for (Operation *p = op->getParentOp(); p && p != fn; p = p->getParentOp())
        if (auto loop = dyn_cast<affine::AffineForOp>(p))
          chain.push_back(loop);
      auto factor = [](affine::AffineForOp loop) -> int64_t {
        auto u = loop->getAttrOfType<IntegerAttr>(hls::kUnroll);
        if (!u)
          return 1;
        return u.getInt() == 0 ? tripCount(loop) : u.getInt();
      };
      int64_t copies = 1;
      auto pipelined = llvm::find_if(chain, [](affine::AffineForOp l) {
        return l->hasAttr(hls::kPipeline);
      });
      if (pipelined == chain.end()) {
        for (affine::AffineForOp l : chain)
          copies *= factor(l);
      } else {
        for (auto it = chain.begin(); it != pipelined; ++it)
          copies *= tripCount(*it);
        copies *= factor(*pipelined);
      }
      logic.lut += c.lut * copies;
      logic.dsp += c.dsp * copies;
      if (ternary) {
        ternaryLUT += c.lut * copies;
        ternaryDSP += c.dsp * copies;
      }
    });
    logic.lut += 150; // FSM and loop control of a function
  }

  /// `blockRAM`: bound to block RAM (a weight ROM), whatever its size.
  void countMemory(MemRefType type, DenseI64ArrayAttr partition, bool blockRAM = false) {
    Type elem = type.getElementType();
    int64_t bits = type.getNumElements() * (elem.isIntOrFloat() ? elem.getIntOrFloatBitWidth() : 32);
    onChipBits += bits;
    int64_t parts = 1;
    if (partition && partition.size() == 2 && partition[0] >= 1 &&
        partition[0] <= type.getRank())
      parts = partition[1] == 0 ? type.getDimSize(partition[0] - 1) : partition[1];
    int64_t perPart = (bits + parts - 1) / std::max<int64_t>(parts, 1);
    if (perPart <= kLUTRAMLimitBits && !blockRAM) {
      lutramBits += bits;
      logic.lut += (bits + 63) / 64; // LUTRAM: 64 bits per LUT
      return;
    }
    // Ping-pong buffers between dataflow stages are doubled by the tool.
    int64_t width = elem.isIntOrFloat() ? elem.getIntOrFloatBitWidth() : 32;
    bram18 += parts * bram18For(width, (type.getNumElements() + parts - 1) / parts);
  }

  /// Bytes moved on each top port: loads/stores times their loop trips,
  /// through calls.
  void portTraffic(func::FuncOp fn, DenseMap<Value, int64_t> &bytesOfArg, int64_t scale,
                   DenseMap<Value, Value> &argToPort) {
    fn.walk([&](Operation *op) {
      Value mem;
      if (auto l = dyn_cast<affine::AffineLoadOp>(op))
        mem = l.getMemRef();
      else if (auto s = dyn_cast<affine::AffineStoreOp>(op))
        mem = s.getMemRef();
      else if (auto l = dyn_cast<memref::LoadOp>(op))
        mem = l.getMemRef();
      else if (auto s = dyn_cast<memref::StoreOp>(op))
        mem = s.getMemRef();
      else if (auto call = dyn_cast<func::CallOp>(op)) {
        auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
        if (!callee)
          return;
        int64_t trips = scale;
        for (Operation *p = op->getParentOp(); p && p != fn; p = p->getParentOp())
          if (auto loop = dyn_cast<affine::AffineForOp>(p))
            trips *= tripCount(loop);
        DenseMap<Value, Value> inner;
        for (auto [i, v] : llvm::enumerate(call.getOperands()))
          if (argToPort.count(v))
            inner[callee.getArgument(i)] = argToPort[v];
        if (!inner.empty())
          portTraffic(callee, bytesOfArg, trips, inner);
        return;
      }
      if (!mem || !argToPort.count(mem))
        return;
      int64_t trips = scale;
      for (Operation *p = op->getParentOp(); p && p != fn; p = p->getParentOp())
        if (auto loop = dyn_cast<affine::AffineForOp>(p))
          trips *= tripCount(loop);
      Type elem = cast<MemRefType>(mem.getType()).getElementType();
      bytesOfArg[argToPort[mem]] += trips * std::max<int64_t>(1, elem.getIntOrFloatBitWidth() / 8);
    });
  }
};

/// Tokens one invocation processes: the leading dimensions of the first
/// input (all of them for integer token ids).
int64_t tokensPerCall(func::FuncOp top) {
  if (top.getNumArguments() == 0)
    return 1;
  auto type = dyn_cast<MemRefType>(top.getArgument(0).getType());
  if (!type)
    return 1;
  int64_t n = 1;
  ArrayRef<int64_t> shape = type.getShape();
  size_t keep = isa<IntegerType>(type.getElementType()) ? shape.size() : shape.size() - 1;
  for (size_t i = 0; i < keep && i < shape.size(); ++i)
    n *= shape[i];
  return std::max<int64_t>(n, 1);
}

} // namespace

FailureOr<HLSPlatformInfo> getHLSPlatformInfo(StringRef name) {
  // UG1393: 32 HBM2 pseudo-channels of 14.375 GB/s (460 GB/s); DDR4 channel
  // 19.2 GB/s, two on the U280, none on the U55C. Block RAM / UltraRAM:
  // the Alveo U280 (DS963) and U55C (DS978) data sheets.
  if (name == "u280")
    return HLSPlatformInfo{"u280", 32, 14.375, 2, 19.2, 4032, 960};
  if (name == "u55c")
    return HLSPlatformInfo{"u55c", 32, 14.375, 0, 19.2, 4032, 960};
  return failure();
}

int64_t hlsBRAM18(MemRefType type, DenseI64ArrayAttr partition, bool blockRAM) {
  Estimator e;
  e.countMemory(type, partition, blockRAM);
  return e.bram18;
}

std::string estimateHLS(ModuleOp module, const HLSPackageOptions &options) {
  std::string s;
  llvm::raw_string_ostream os(s);
  FailureOr<func::FuncOp> maybeTop = getHLSTop(module);
  if (failed(maybeTop))
    return "no top function\n";
  Estimator e;
  e.module = module;
  e.fixed = options.math == HLSMath::Fixed;
  e.top = *maybeTop;
  func::FuncOp top = *maybeTop;
  int64_t pe = options.pipeline ? static_cast<int64_t>(options.pipeline->pe) : 1;
  int64_t simd = options.pipeline ? static_cast<int64_t>(options.pipeline->simd) : 1;
  double f = options.clockMHz * 1e6;

  // Latency and stages.
  int64_t cycles = e.functionCycles(top);
  int64_t slowest = 0;
  int64_t ternaryCycles = 0;
  std::map<std::string, std::pair<int64_t, int64_t>> byKind; // kind -> (count, cycles)
  top.walk([&](func::CallOp call) {
    auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
    if (!callee)
      return;
    auto kind = callee->getAttrOfType<StringAttr>(hls::kStage);
    if (!kind)
      return;
    int64_t c = e.functionCycles(callee);
    slowest = std::max(slowest, c);
    auto &entry = byKind[kind.getValue().str()];
    ++entry.first;
    entry.second += c;
    if (kind.getValue() == "ternary_matmul")
      ternaryCycles += c;
  });
  // Stages called from inside a recurrence count once per token step.
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn == top)
      continue;
    auto kind = fn->getAttrOfType<StringAttr>(hls::kStage);
    e.countLogic(fn, kind && kind.getValue() == "ternary_matmul");
  }
  int64_t ternaryEngines = 0;
  for (auto fn : module.getOps<func::FuncOp>())
    if (auto kind = fn->getAttrOfType<StringAttr>(hls::kStage);
        kind && kind.getValue() == "ternary_matmul")
      ++ternaryEngines;
  int64_t numBundles = 2; // gmem_in, gmem_out
  {
    llvm::StringSet<> seen;
    for (BlockArgument a : top.getArguments())
      if (auto b = top.getArgAttrOfType<StringAttr>(a.getArgNumber(), hls::kBundle))
        seen.insert(b.getValue());
    numBundles += std::max<int64_t>(1, seen.size());
  }
  e.logic.lut += 1500 * numBundles; // m_axi adapters + AXI4-Lite
  // Memory.
  module.walk([&](Operation *op) {
    if (isa<memref::AllocOp, memref::AllocaOp>(op))
      e.countMemory(cast<MemRefType>(op->getResult(0).getType()),
                    op->getAttrOfType<DenseI64ArrayAttr>(hls::kPartition));
  });
  int64_t romBits = 0;
  for (auto g : module.getOps<memref::GlobalOp>()) {
    e.countMemory(g.getType(), {}, g->hasAttr(hls::kStorageImpl));
    Type el = g.getType().getElementType();
    romBits += g.getType().getNumElements() * el.getIntOrFloatBitWidth();
  }
  // Traffic.
  DenseMap<Value, int64_t> bytes;
  DenseMap<Value, Value> self;
  for (BlockArgument a : top.getArguments())
    self[a] = a;
  e.portTraffic(top, bytes, 1, self);
  int64_t weightBytes = 0, actBytes = 0, weightFootprint = 0;
  for (BlockArgument a : top.getArguments()) {
    bool isWeight = top.getArgAttr(a.getArgNumber(), hls::kWeight) != nullptr;
    (isWeight ? weightBytes : actBytes) += bytes.lookup(a);
    if (isWeight) {
      auto t = cast<MemRefType>(a.getType());
      weightFootprint += t.getNumElements() * t.getElementType().getIntOrFloatBitWidth() / 8;
    }
  }
  int64_t tokens = tokensPerCall(top);
  double seconds = cycles / f;
  double tokensPerSecond = tokens / seconds;
  double gbps = (weightBytes + actBytes) / seconds / 1e9;

  os << "Tern HLS pre-synthesis estimate (" << options.modelName << ")\n"
     << "====================================================\n"
     << "target: " << options.part << " at " << llvm::format("%.0f", options.clockMHz)
     << " MHz; PE = " << pe
     << ", SIMD = " << simd << "; element-wise math: "
     << (options.math == HLSMath::Fixed ? "fixed (Q16.16)" : "float") << "\n\n"
     << "Latency (one invocation = " << tokens << " token(s)):\n"
     << llvm::format("  cycles per invocation   %lld\n", (long long)cycles)
     << llvm::format("  cycles per token        %lld\n", (long long)(cycles / tokens))
     << llvm::format("  time per token          %.3f us at %.0f MHz\n", seconds / tokens * 1e6,
                     options.clockMHz)
     << llvm::format("  tokens/s (latency)      %.1f\n", tokensPerSecond)
     << (top->hasAttr(hls::kShared)
             ? std::string("  schedule                shared stages, one after the other\n")
             : llvm::formatv("  dataflow interval       {0} cycles (slowest stage; invocations "
                             "overlap only without a token-to-token dependency)\n",
                             slowest)
                   .str())
     << llvm::format("  ternary stages          %.1f%% of the cycles\n",
                     cycles ? 100.0 * ternaryCycles / cycles : 0.0)
     << "  stages by kind (count, cycles):\n";
  for (auto &[kind, entry] : byKind)
    os << llvm::format("    %-16s %4lld  %lld\n", kind.c_str(), (long long)entry.first,
                       (long long)entry.second);
  // Per stage function (a shared engine is listed once): its own operators
  // and buffers, without the calls it makes.
  os << "\nPer stage (II: the largest initiation interval of its pipelines; cycles per call "
        "from trip counts and II; LUT/DSP from its operators; BRAM18K/LUTRAM bits of its "
        "buffers):\n"
     << llvm::format("  %-34s %-16s %3s %10s %9s %5s %7s %9s\n", "function", "kind", "II", "cycles",
                     "LUT", "DSP", "BRAM18K", "LUTRAM b");
  for (auto fn : module.getOps<func::FuncOp>()) {
    auto kind = fn->getAttrOfType<StringAttr>(hls::kStage);
    if (fn == top || !kind)
      continue;
    Estimator one;
    one.module = module;
    one.fixed = e.fixed;
    one.top = top;
    one.countLogic(fn, kind.getValue() == "ternary_matmul");
    fn.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp>(op))
        one.countMemory(cast<MemRefType>(op->getResult(0).getType()),
                        op->getAttrOfType<DenseI64ArrayAttr>(hls::kPartition));
    });
    os << llvm::format("  %-34s %-16s %3lld %10lld %9lld %5lld %7lld %9lld\n",
                       fn.getName().str().c_str(), kind.getValue().str().c_str(),
                       (long long)e.maxInterval(fn), (long long)e.functionCycles(fn), (long long)one.logic.lut,
                       (long long)one.logic.dsp, (long long)one.bram18,
                       (long long)one.lutramBits);
  }
  os << "\nOn-chip memory and logic:\n"
     << llvm::format("  buffers + ROMs          %.1f KiB (%lld bits; ROM %lld bits)\n",
                     e.onChipBits / 8192.0, (long long)e.onChipBits, (long long)romBits)
     << llvm::format("  BRAM18K                 %lld (ping-pong dataflow channels need up to "
                     "twice that)\n",
                     (long long)e.bram18)
     << llvm::format("  LUTRAM/registers        %lld bits\n", (long long)e.lutramBits)
     << llvm::format("  LUT                     ~%lld\n", (long long)e.logic.lut)
     << llvm::format("  DSP                     ~%lld (ternary stages: %lld DSP, ~%lld LUT: "
                     "add/sub/skip only)\n",
                     (long long)e.logic.dsp, (long long)e.ternaryDSP, (long long)e.ternaryLUT)
     << "\nDRAM (m_axi) traffic per invocation:\n"
     << llvm::format("  weights read            %lld bytes (footprint %lld bytes, 2-bit "
                     "ternary codes)\n",
                     (long long)weightBytes, (long long)weightFootprint)
     << llvm::format("  activations in/out      %lld bytes\n", (long long)actBytes)
     << llvm::format("  DRAM bandwidth needed   %.3f GB/s at the compute-bound rate\n", gbps);

  // Weight ports: bytes per bundle, each limited by one 512-bit beat per
  // cycle and by its bank's bandwidth (shared by the bundles on that bank).
  FailureOr<HLSPlatformInfo> platform = getHLSPlatformInfo(options.platform);
  if (failed(platform))
    platform = getHLSPlatformInfo("u280");
  std::map<std::string, std::pair<std::string, int64_t>> bundles; // bundle -> (bank, bytes)
  std::map<std::string, int64_t> bundlesPerBank;
  std::map<std::string, int64_t> wordBitsOf;
  for (BlockArgument a : top.getArguments()) {
    unsigned i = a.getArgNumber();
    if (!top.getArgAttr(i, hls::kWeight))
      continue;
    auto bundle = top.getArgAttrOfType<StringAttr>(i, hls::kBundle);
    auto bank = top.getArgAttrOfType<StringAttr>(i, hls::kBank);
    std::string b = bundle ? bundle.getValue().str() : "gmem_w";
    auto &entry = bundles[b];
    if (entry.first.empty())
      entry.first = bank ? bank.getValue().str() : "DDR[0]";
    entry.second += bytes.lookup(a);
    auto elem = cast<MemRefType>(a.getType()).getElementType();
    wordBitsOf[b] = std::max<int64_t>(wordBitsOf[b], elem.getIntOrFloatBitWidth());
  }
  for (auto &[b, entry] : bundles)
    ++bundlesPerBank[entry.first];
  double portGBps = kPortBytesPerCycle * f / 1e9;
  double weightSeconds = 0, portSum = 0;
  int64_t weightBytesAll = 0;
  bool shared = top->hasAttr(hls::kShared);
  os << "\nWeight ports (" << platform->name << "; one m_axi bundle per engine; "
     << llvm::format("%.1f", portGBps)
     << " GB/s per port = 64 B x clock; HBM pseudo-channel "
     << llvm::format("%.3f", platform->hbmChannelGBps) << " GB/s x " << platform->hbmChannels
     << ", DDR4 channel " << llvm::format("%.1f", platform->ddrChannelGBps) << " GB/s x "
     << platform->ddrChannels << "):\n";
  for (auto &[b, entry] : bundles) {
    double bank = StringRef(entry.first).starts_with("HBM") ? platform->hbmChannelGBps
                                                            : platform->ddrChannelGBps;
    double limit = std::min(portGBps, bank / bundlesPerBank[entry.first]);
    double t = entry.second / (limit * 1e9);
    weightSeconds = shared ? weightSeconds + t : std::max(weightSeconds, t);
    portSum += limit;
    weightBytesAll += entry.second;
    os << llvm::format("  %-10s %-8s %4lld-bit words %10lld bytes/invocation, <= %.3f GB/s, "
                       ">= %.3f us\n",
                       b.c_str(), entry.first.c_str(), (long long)wordBitsOf[b],
                       (long long)entry.second, limit, t * 1e6);
  }
  double bytesPerToken = (double)weightBytesAll / tokens;
  double boundSeconds = std::max(seconds, weightSeconds);
  if (!bundles.empty())
    os << llvm::format("  port-bound (all %lld ports at once) %.3f GB/s / %.0f bytes per token = "
                       "%.1f tokens/s\n",
                       (long long)bundles.size(), portSum, bytesPerToken,
                       portSum * 1e9 / bytesPerToken);
  else
    os << "  (no weight ports: weights are on-chip ROMs)\n";
  os << llvm::format("  weight-port time        %.3f us per invocation (%s)\n", weightSeconds * 1e6,
                     shared ? "stages one after the other: sum" : "dataflow: slowest bundle")
     << (weightSeconds > 0
             ? llvm::formatv("  tokens/s (bounded)      {0:F1} = min(compute {1:F1}, weight ports "
                             "{2:F1})\n",
                             tokens / boundSeconds, tokensPerSecond, tokens / weightSeconds)
                   .str()
             : llvm::formatv("  tokens/s (bounded)      {0:F1} = compute (no weight ports)\n",
                             tokensPerSecond)
                   .str());

  // On-chip weights (--hls-weights=onchip): ROM globals; the platform's
  // memory must hold them with the buffers.
  int64_t romBRAM = 0;
  for (auto g : module.getOps<memref::GlobalOp>())
    if (g->hasAttr(hls::kStorageImpl))
      romBRAM += hlsBRAM18(g.getType(), {}, /*blockRAM=*/true);
  os << llvm::format("\nOn-chip memory use on %s: %lld of %lld BRAM18 (weight ROMs %lld), 0 of "
                     "%lld URAM\n",
                     platform->name, (long long)e.bram18, (long long)platform->bram18,
                     (long long)romBRAM, (long long)platform->uram);

  // Power.
  bool hbm = bundles.empty() ? platform->ddrChannels == 0
                             : StringRef(bundles.begin()->second.first).starts_with("HBM");
  double memGBps = (weightBytes + actBytes) / boundSeconds / 1e9;
  Power power = powerOf(e.logic.lut, e.logic.dsp, e.bram18, 0, options.clockMHz, memGBps, hbm,
                        platform->ddrChannels);
  os << "\nPower (model: static + per-resource dynamic power at "
     << llvm::format("%.1f", 100 * kToggleRate) << "% toggle and "
     << llvm::format("%.0f", options.clockMHz) << " MHz + DRAM power per GB/s; ballparks, see "
     << "the assumptions below):\n"
     << llvm::format("  at the bounded rate (%.3f GB/s of %s traffic):\n", memGBps,
                     hbm ? "HBM" : "DDR4");
  printPower(os, power, hbm ? "HBM" : "DDR4");
  os << llvm::format("  energy per token        %.3f mJ\n",
                     power.total() * boundSeconds / tokens * 1e3);

  // Projection to MMfreeLM-1.3B with the same PE/SIMD/clock (decode, batch 1).
  const int64_t d = 2048, L = 24, I = 5632, V = 32000;
  int64_t wordBits = options.pipeline ? static_cast<int64_t>(options.pipeline->weightWordBits) : 512;
  auto ternary = [&](int64_t N, int64_t K) {
    int64_t P = 1;
    for (int64_t p = std::min(pe, N); p >= 1; --p)
      if (N % p == 0) {
        P = p;
        break;
      }
    int64_t G = (K + 3) / 4;
    int64_t S = 1;
    for (int64_t v = std::min(simd, G); v >= 1; --v)
      if (G % v == 0) {
        S = v;
        break;
      }
    // The II of tern-hls-pack-weight-words: words per cycle.
    int64_t ii = chooseHLSWeightWord(P * S, wordBits).wordsPerCycle;
    return (N / P) * (ii * (G / S) + kPipelineDepth);
  };
  // Per block: 4 MLGRU projections d x d, gate/up 2I x d, down d x I; the
  // element-wise work of our lowering: ~20 passes over d and 4 over I at
  // SIMD lanes per cycle, 6 float reductions over d and 1 over I at the
  // adder latency.
  int64_t perBlockTernary = 4 * ternary(d, d) + ternary(2 * I, d) + ternary(d, I);
  int64_t fl = options.math == HLSMath::Fixed ? 1 : kFloatAddLatency;
  int64_t perBlockOther = 20 * (d / simd + kPipelineDepth) + 4 * (I / simd + kPipelineDepth) +
                          6 * (d * fl / simd + kPipelineDepth) + (I * fl / simd + kPipelineDepth);
  int64_t projCycles = L * (perBlockTernary + perBlockOther) + ternary(V, d) +
                       3 * (d / simd + kPipelineDepth);
  double projBytes = (double)L * (4.0 * d * d + 3.0 * d * I) / 4 + (double)V * d / 4;
  double projTokS = f / projCycles;
  double projGBps = projBytes * projTokS / 1e9;
  // Share mode: 4 engines, one bundle each on its own pseudo-channel, used
  // one after the other: one port's rate at a time.
  double enginePort = std::min(portGBps, platform->hbmChannelGBps);
  double portTokS = enginePort * 1e9 / projBytes;
  double shareTokS = std::min(projTokS, portTokS);
  int64_t portsPerEngine = (int64_t)std::ceil(projGBps / enginePort);
  double hbmAll = platform->hbmChannels * platform->hbmChannelGBps;
  double perEngineLUT = ternaryEngines ? (double)e.ternaryLUT / ternaryEngines : 0;
  double projLUT = 4 * perEngineLUT + (e.logic.lut - e.ternaryLUT);
  // Buffers: the recurrent state (L x d fp32) and ~16 activation vectors.
  double projBRAM = bram18For(32, L * d) + 8 * bram18For(32, I) + 8 * bram18For(32, d);
  Power projPower = powerOf(projLUT, e.logic.dsp, projBRAM, 0, options.clockMHz,
                            shareTokS * projBytes / 1e9, true, 0);
  double fullTokS = std::min(projTokS, hbmAll * 1e9 / projBytes);
  Power fullPower = powerOf(projLUT, e.logic.dsp, projBRAM, 0, options.clockMHz,
                            fullTokS * projBytes / 1e9, true, 0);
  os << "\nProjection to MMfreeLM-1.3B (d=2048, 24 layers, I=5632, vocab 32000; decode, batch 1;\n"
     << "same PE/SIMD/clock, share mode; analytical, from the loop structure above):\n"
     << llvm::format("  cycles per token        %lld (ternary %.1f%%; ternary II %lld from %lld-bit "
                     "weight words)\n",
                     (long long)projCycles,
                     100.0 * (L * perBlockTernary + ternary(V, d)) / projCycles,
                     (long long)chooseHLSWeightWord(pe * simd, wordBits).wordsPerCycle,
                     (long long)chooseHLSWeightWord(pe * simd, wordBits).wordBits)
     << llvm::format("  weights per token       %.1f MB at 2 bits\n", projBytes / 1e6)
     << llvm::format("  compute-bound rate      %.1f tokens/s, needing %.1f GB/s of weight "
                     "bandwidth\n",
                     projTokS, projGBps)
     << llvm::format("  port-bound, this plan   %.1f tokens/s = %.3f GB/s (one port on one HBM "
                     "pseudo-channel at a time) / %.1f MB per token\n",
                     portTokS, enginePort, projBytes / 1e6)
     << llvm::format("  projected               %.1f tokens/s = min(compute, ports); striped ports per engine "
                     "that would reach the compute bound: %lld\n",
                     shareTokS, (long long)portsPerEngine)
     << llvm::format("  all %lld HBM pseudo-channels (%.0f GB/s), compute permitting: %.1f "
                     "tokens/s\n",
                     (long long)platform->hbmChannels, hbmAll, fullTokS)
     << llvm::format("  logic                   ~%.0f LUT (4 ternary engines of ~%.0f LUT + the "
                     "element-wise stages here), ~%lld DSP, ~%.0f BRAM18\n",
                     projLUT, perEngineLUT, (long long)e.logic.dsp, projBRAM)
     << "  power, as projected:\n";
  printPower(os, projPower, "HBM");
  os << "  power, all pseudo-channels:\n";
  printPower(os, fullPower, "HBM");
  os << llvm::format("  tokens per joule        %.2f (projected), %.2f (all pseudo-channels)\n",
                     shareTokS / projPower.total(), fullTokS / fullPower.total())
     << llvm::format("  paper (Zhu et al. 2024, FPGA): 23.8 tokens/s for 1.3B at 13 W = %.2f "
                     "tokens/J; ours projected %.2fx its rate, %.2fx its tokens/J\n",
                     23.8 / 13.0, shareTokS / 23.8, (shareTokS / projPower.total()) / (23.8 / 13.0))
     << llvm::format("  TerEffic (2.7B, HBM, 1.6-bit weights): 727 tokens/s at 46 W = %.2f "
                     "tokens/J (a 2x larger model; ours at all pseudo-channels: %.2f tokens/J)\n",
                     727.0 / 46.0, fullTokS / fullPower.total())
     << "\nModel constants: pipeline depth " << kPipelineDepth << " cycles; float adder latency "
     << kFloatAddLatency << " cycles (loop-carried reductions); BRAM18K = 18 Kib (best aspect "
     << "ratio, 16K x 1 .. 512 x 36), partitions of at most " << kLUTRAMLimitBits
     << " bits in LUTRAM; operator costs of Vitis HLS UltraScale+ cores (fadd 2 DSP/200 LUT, "
     << "fmul 3 DSP/100 LUT, fdiv 800 LUT, exp 7 DSP/1000 LUT; int add/sub/select 1 LUT per bit; "
     << "shifts of weight words by unrolled indices: wiring); m_axi adapters 1500 LUT per "
     << "bundle. Power: "
     << llvm::format("static %g W; per MHz: LUT %g uW, FF %g uW (FF = LUT count), DSP %g uW, "
                     "BRAM18 %g uW, URAM %g uW; HBM %g pJ/bit + %g W, DDR4 %g pJ/bit + %g",
                     kStaticW, kLUTuWPerMHz, kFFuWPerMHz, kDSPuWPerMHz, kBRAM18uWPerMHz,
                     kURAMuWPerMHz, kHBMpJPerBit, kHBMStaticW, kDDRpJPerBit, kDDRChannelStaticW)
     << " W per channel (XPE-range ballparks, not measured; chip and memory only, not the card). "
     << "Confirm with `vitis_hls -f run_hls.tcl` (csynth report) and Vivado report_power.\n";
  return s;
}

} // namespace mlir::tern

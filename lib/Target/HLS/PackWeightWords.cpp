//===- PackWeightWords.cpp - ternary weights as wide words per cycle ------===//
//
// A ternary stage reads P x S packed bytes ([N/P][G][P] codes) per cycle of
// its pipelined byte loop. Read a byte at a time, they are P x S narrow
// AXI reads; this pass makes them one wide word (or a few) per cycle: the
// weight port becomes `memref<N/P x G/S x K x iW>` (W a power of two, at most
// `word-bits`, K = ceil(P*S*8 / W) words per cycle), the pipeline fetches
// its K words into registers once per iteration, and each byte is a shift
// and truncation of its word. The pipeline's II becomes K (one beat per
// cycle per port), the choice is recorded on the port, and the port's data
// is repacked to match.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/Analysis/Utils.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSPACKWEIGHTWORDS
#include "tern/Target/HLS/Passes.h.inc"

HLSWeightWord chooseHLSWeightWord(int64_t bytesPerCycle, int64_t maxWordBits) {
  HLSWeightWord w;
  w.bytesPerCycle = std::max<int64_t>(bytesPerCycle, 1);
  int64_t maxBytes = std::max<int64_t>(maxWordBits / 8, 1);
  int64_t bytes = 1;
  while (bytes < w.bytesPerCycle && bytes < maxBytes)
    bytes *= 2;
  w.wordBits = bytes * 8;
  w.wordsPerCycle = (w.bytesPerCycle + bytes - 1) / bytes;
  return w;
}

namespace {

/// The layout chosen for one stage argument.
struct Plan {
  HLSWeightWord word;
  int64_t nt = 0, g = 0, p = 0, s = 0;
  MemRefType type() const {
    return MemRefType::get({nt, g / s, word.wordsPerCycle},
                           IntegerType::get(ctx, word.wordBits));
  }
  MLIRContext *ctx = nullptr;
  bool operator!=(const Plan &o) const {
    return word.wordBits != o.word.wordBits || word.wordsPerCycle != o.word.wordsPerCycle ||
           nt != o.nt || g != o.g || p != o.p || s != o.s;
  }
};

struct PackWeightWordsPass : impl::TernHLSPackWeightWordsBase<PackWeightWordsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (wordBits < 8 || wordBits > 1024 || !llvm::isPowerOf2_64(wordBits)) {
      module.emitError("tern-hls-pack-weight-words: word-bits must be a power of two in "
                       "[8, 1024], got ")
          << static_cast<int64_t>(wordBits);
      return signalPassFailure();
    }
    FailureOr<func::FuncOp> top = getHLSTop(module);
    if (failed(top))
      return signalPassFailure();
    // Stage arguments to repack: the packed codes of every ternary stage.
    llvm::MapVector<BlockArgument, Plan> plans;
    for (auto fn : module.getOps<func::FuncOp>()) {
      auto kind = fn->getAttrOfType<StringAttr>(hls::kStage);
      if (!kind || kind.getValue() != "ternary_matmul")
        continue;
      for (BlockArgument arg : fn.getArguments()) {
        auto type = dyn_cast<MemRefType>(arg.getType());
        if (!type || type.getRank() != 3 || !type.getElementType().isInteger(8) ||
            !fn.getArgAttr(arg.getArgNumber(), hls::kWeightCodes))
          continue;
        FailureOr<Plan> plan = planFor(fn, arg, type);
        if (failed(plan))
          return signalPassFailure();
        if (plan->word.wordBits == 8)
          continue; // one byte per cycle: already one word
        plans[arg] = *plan;
      }
    }
    // The top ports they come from, through the calls (top or step functions).
    llvm::MapVector<BlockArgument, Plan> ports;
    for (auto &[arg, plan] : plans)
      if (failed(propagate(module, *top, arg, plan, ports)))
        return signalPassFailure();
    for (auto &[arg, plan] : plans)
      if (failed(rewriteStage(arg, plan)))
        return signalPassFailure();
    for (auto &[arg, plan] : ports)
      if (failed(repackPort(*top, arg, plan)))
        return signalPassFailure();
  }

  /// S from the pipelined byte loop around the loads (its step), P and G
  /// from the type.
  FailureOr<Plan> planFor(func::FuncOp fn, BlockArgument arg, MemRefType type) {
    Plan plan;
    plan.ctx = fn.getContext();
    plan.nt = type.getDimSize(0);
    plan.g = type.getDimSize(1);
    plan.p = type.getDimSize(2);
    plan.s = 0;
    for (Operation *user : arg.getUsers()) {
      auto load = dyn_cast<affine::AffineLoadOp>(user);
      if (!load)
        return user->emitOpError("tern-hls-pack-weight-words: packed weights must only be "
                                 "read by affine.load"),
               failure();
      auto loop = load->getParentOfType<affine::AffineForOp>();
      while (loop && !loop->hasAttr(hls::kPipeline))
        loop = loop->getParentOfType<affine::AffineForOp>();
      int64_t s = loop ? loop.getStepAsInt() : plan.g;
      if (plan.s && plan.s != s)
        return load.emitOpError("tern-hls-pack-weight-words: loads of one weight in "
                                "pipelines of different steps"),
               failure();
      plan.s = s;
    }
    if (plan.s <= 0 || plan.g % plan.s != 0)
      return fn.emitOpError("tern-hls-pack-weight-words: the byte loop step ")
                 << plan.s << " does not divide G = " << plan.g,
             failure();
    plan.word = chooseHLSWeightWord(plan.p * plan.s, wordBits);
    return plan;
  }

  /// Retypes the callers' arguments passed as `arg`, up to the top's ports.
  LogicalResult propagate(ModuleOp module, func::FuncOp top, BlockArgument arg, const Plan &plan,
                          llvm::MapVector<BlockArgument, Plan> &ports) {
    auto fn = cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (fn == top) {
      auto [it, inserted] = ports.try_emplace(arg, plan);
      if (!inserted && it->second != plan)
        return top.emitOpError("tern-hls-pack-weight-words: weight port ")
               << arg.getArgNumber() << " is read by stages with different word layouts";
      return success();
    }
    std::optional<SymbolTable::UseRange> uses = SymbolTable::getSymbolUses(fn, module);
    if (!uses)
      return fn.emitOpError("tern-hls-pack-weight-words: unknown uses of the stage");
    for (const SymbolTable::SymbolUse &use : *uses) {
      auto call = dyn_cast<func::CallOp>(use.getUser());
      if (!call)
        return use.getUser()->emitOpError("tern-hls-pack-weight-words: a stage must only be "
                                          "called");
      auto from = dyn_cast<BlockArgument>(call.getOperand(arg.getArgNumber()));
      if (!from || !isa<func::FuncOp>(from.getOwner()->getParentOp()))
        return call.emitOpError("tern-hls-pack-weight-words: packed weights must be passed "
                                "down from a port of the top");
      for (Operation *user : from.getUsers())
        if (!isa<func::CallOp>(user))
          return user->emitOpError("tern-hls-pack-weight-words: packed weights must only be "
                                   "passed to stages");
      if (from.getOwner()->getParentOp() != top) {
        if (from.getType() != arg.getType() && from.getType() != plan.type())
          return call.emitOpError("tern-hls-pack-weight-words: conflicting weight types");
        if (failed(propagate(module, top, from, plan, ports)))
          return failure();
        setArgType(from, plan.type());
        continue;
      }
      if (failed(propagate(module, top, from, plan, ports)))
        return failure();
    }
    return success();
  }

  static void setArgType(BlockArgument arg, Type type) {
    if (arg.getType() == type)
      return;
    auto fn = cast<func::FuncOp>(arg.getOwner()->getParentOp());
    arg.setType(type);
    SmallVector<Type> inputs(fn.getBody().front().getArgumentTypes());
    fn.setType(FunctionType::get(fn.getContext(), inputs, fn.getResultTypes()));
  }

  /// Each byte load becomes a shift of its word; the words are fetched once
  /// per pipeline iteration (K words into registers) when the pipeline is
  /// there, and the pipeline's II becomes K.
  LogicalResult rewriteStage(BlockArgument arg, const Plan &plan) {
    MLIRContext *ctx = arg.getContext();
    Type wordType = IntegerType::get(ctx, plan.word.wordBits);
    int64_t wordBytes = plan.word.wordBits / 8, K = plan.word.wordsPerCycle;
    SmallVector<affine::AffineLoadOp> loads;
    for (Operation *user : arg.getUsers())
      loads.push_back(cast<affine::AffineLoadOp>(user));
    setArgType(arg, plan.type());
    // One register file of K words per pipelined loop.
    DenseMap<Operation *, Value> wordsOf;
    for (affine::AffineLoadOp load : loads) {
      OpBuilder b(load);
      Location loc = load.getLoc();
      AffineMap map = load.getAffineMap();
      if (map.getNumResults() != 3)
        return load.emitOpError("tern-hls-pack-weight-words: expected a [nt, g, p] access");
      AffineExpr r0 = map.getResult(0), r1 = map.getResult(1), r2 = map.getResult(2);
      SmallVector<Value> operands(load.getMapOperands());
      auto loop = load->getParentOfType<affine::AffineForOp>();
      while (loop && !loop->hasAttr(hls::kPipeline))
        loop = loop->getParentOfType<affine::AffineForOp>();
      // The byte's place in its cycle's P x S bytes (g-major, as the
      // [N/P][G][P] layout already lies in memory): (g - g0) P + p in a
      // pipeline (g0 its counter), so that only the unrolled loops remain
      // and every shift is by a constant; (g mod S) P + p otherwise.
      unsigned nDims = map.getNumDims(), nSyms = map.getNumSymbols();
      AffineExpr byte = (r1 % plan.s) * plan.p + r2;
      if (loop) {
        AffineExpr g0 = getAffineDimExpr(nDims, ctx);
        operands.insert(operands.begin() + nDims, loop.getInductionVar());
        // g0 is already an operand of the access: merge the two, then let
        // g0 cancel out.
        AffineMap m = AffineMap::get(nDims + 1, nSyms, {(r1 - g0) * plan.p + r2}, ctx);
        affine::canonicalizeMapAndOperands(&m, &operands);
        m = simplifyAffineMap(m);
        byte = m.getResult(0);
        nDims = m.getNumDims();
        nSyms = m.getNumSymbols();
      }
      auto apply = [&](ArrayRef<AffineExpr> results, SmallVectorImpl<Value> &ops) {
        AffineMap m = AffineMap::get(nDims, nSyms, results, ctx);
        ops.assign(operands.begin(), operands.end());
        affine::canonicalizeMapAndOperands(&m, &ops);
        return m;
      };
      Value word;
      if (loop) {
        Value &words = wordsOf[loop];
        if (!words) {
          FailureOr<Value> fetched = fetchWords(loop, load, plan, wordType);
          if (failed(fetched))
            return failure();
          words = *fetched;
          loop->setAttr(hls::kPipeline, b.getI64IntegerAttr(K));
        }
        SmallVector<Value> ops;
        AffineMap m = apply({byte.floorDiv(wordBytes)}, ops);
        word = affine::AffineLoadOp::create(b, loc, words, m, ops);
      } else {
        SmallVector<Value> ops;
        AffineMap m = apply({r0, r1.floorDiv(plan.s), byte.floorDiv(wordBytes)}, ops);
        word = affine::AffineLoadOp::create(b, loc, arg, m, ops);
      }
      SmallVector<Value> shiftOps;
      AffineMap shiftMap = apply({(byte % wordBytes) * 8}, shiftOps);
      Value shift = affine::AffineApplyOp::create(b, loc, shiftMap, shiftOps);
      Value amount = arith::IndexCastOp::create(b, loc, wordType, shift);
      Value shifted = arith::ShRUIOp::create(b, loc, word, amount);
      Value code = arith::TruncIOp::create(b, loc, load.getType(), shifted);
      load.replaceAllUsesWith(code);
      load.erase();
    }
    return success();
  }

  /// At the top of the pipelined loop: words[k] = w[nt, g0 / S, k], k < K.
  FailureOr<Value> fetchWords(affine::AffineForOp loop, affine::AffineLoadOp load,
                              const Plan &plan, Type wordType) {
    MLIRContext *ctx = loop.getContext();
    OpBuilder b = OpBuilder::atBlockBegin(loop.getBody());
    Location loc = load.getLoc();
    int64_t K = plan.word.wordsPerCycle;
    auto words = memref::AllocaOp::create(b, loc, MemRefType::get({K}, wordType));
    words->setAttr(hls::kPartition, DenseI64ArrayAttr::get(ctx, {1, 0}));
    auto kLoop = affine::AffineForOp::create(b, loc, 0, K);
    kLoop->setAttr(hls::kUnroll, b.getI64IntegerAttr(0));
    b.setInsertionPointToStart(kLoop.getBody());
    AffineMap map = load.getAffineMap();
    unsigned n = map.getNumDims();
    // [r0, g0 floordiv S, k] over (load operands..., g0, k), then drop the
    // operands it does not use (the unrolled loops inside the pipeline).
    AffineExpr g0 = getAffineDimExpr(n, ctx), k = getAffineDimExpr(n + 1, ctx);
    AffineMap fetch = AffineMap::get(
        n + 2, map.getNumSymbols(),
        {map.getResult(0), g0.floorDiv(plan.s), k}, ctx);
    SmallVector<Value> dims(load.getMapOperands().take_front(n));
    dims.push_back(loop.getInductionVar());
    dims.push_back(kLoop.getInductionVar());
    SmallVector<Value> operands = dims;
    llvm::append_range(operands, load.getMapOperands().drop_front(n));
    affine::canonicalizeMapAndOperands(&fetch, &operands);
    for (Value v : operands)
      if (v != loop.getInductionVar() && v != kLoop.getInductionVar() &&
          loop->isAncestor(v.getParentRegion()->getParentOp()))
        return load.emitOpError("tern-hls-pack-weight-words: the row tile index depends on "
                                "loops inside the pipeline"),
               failure();
    Value w = affine::AffineLoadOp::create(b, loc, load.getMemRef(), fetch, operands);
    affine::AffineStoreOp::create(b, loc, w, words, ValueRange{kLoop.getInductionVar()});
    return words.getResult();
  }

  /// The port's data in the new layout: per (nt, g0/S), the P x S bytes of
  /// one cycle, then zero padding to K words; the choice on the port.
  LogicalResult repackPort(func::FuncOp top, BlockArgument arg, const Plan &plan) {
    unsigned i = arg.getArgNumber();
    auto data = top.getArgAttrOfType<ElementsAttr>(i, hls::kWeightData);
    FailureOr<std::vector<char>> bytes = failure();
    if (data)
      bytes = getHLSElementBytes(data);
    int64_t groupBytes = plan.p * plan.s;
    int64_t groups = plan.nt * (plan.g / plan.s);
    if (failed(bytes) || static_cast<int64_t>(bytes->size()) != groups * groupBytes)
      return top.emitOpError("tern-hls-pack-weight-words: cannot read weight port ")
             << i << "'s packed codes";
    int64_t stride = plan.word.wordsPerCycle * plan.word.wordBits / 8;
    std::vector<char> packed(groups * stride, 0);
    for (int64_t q = 0; q < groups; ++q)
      std::copy_n(bytes->begin() + q * groupBytes, groupBytes, packed.begin() + q * stride);
    MemRefType type = plan.type();
    auto tensorType = RankedTensorType::get(type.getShape(), type.getElementType());
    MLIRContext *ctx = top.getContext();
    Builder b(ctx);
    top.setArgAttr(i, hls::kWeightData,
                   DenseResourceElementsAttr::get(
                       tensorType, "tern_hls_words",
                       HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(packed))));
    top.setArgAttr(i, hls::kWordBits, b.getI64IntegerAttr(plan.word.wordBits));
    top.setArgAttr(i, hls::kWordsPerCycle, b.getI64IntegerAttr(plan.word.wordsPerCycle));
    top.setArgAttr(i, hls::kTritsPerCycle, b.getI64IntegerAttr(4 * groupBytes));
    std::string layout;
    llvm::raw_string_ostream os(layout);
    os << "ternary codes as " << plan.word.wordBits << "-bit little-endian words [Nt=" << plan.nt
       << "][G/S=" << plan.g / plan.s << "][K=" << plan.word.wordsPerCycle
       << "]: the K words of (nt, g0/S) hold the " << groupBytes << " bytes (P=" << plan.p
       << " x S=" << plan.s << ", " << 4 * groupBytes
       << " trits) one pipeline cycle reads, byte s*P + p = codes of row nt*P + p, trits "
          "4(g0+s)..4(g0+s)+3, trit j in bits 2j..2j+1 as trit+1 (00 = -1, 01 = 0, 10 = +1); "
          "the rest of the last word is zero";
    top.setArgAttr(i, hls::kWeightLayout, b.getStringAttr(layout));
    setArgType(arg, type);
    return success();
  }
};

} // namespace
} // namespace mlir::tern

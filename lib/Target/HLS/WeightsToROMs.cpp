//===- WeightsToROMs.cpp - small models' weights in on-chip ROMs ----------===//
//
// --hls-weights=onchip: every weight port of the top (its packed words, or
// a large float constant) becomes a constant memref.global read through
// memref.get_global in the top and passed to the stages as the port was.
// The global records how it is stored (tern.hls.storage_type/impl): a
// single-port block-RAM ROM, since a pipeline reads one word of it per
// cycle. UltraScale+ UltraRAM has no initial contents in the bitstream
// (UG573; Versal's can be initialized, UG1273), so a ROM is block RAM.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSWEIGHTSTOROMS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

struct WeightsToROMsPass : impl::TernHLSWeightsToROMsBase<WeightsToROMsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> maybeTop = getHLSTop(module);
    if (failed(maybeTop))
      return signalPassFailure();
    func::FuncOp top = *maybeTop;
    MLIRContext *ctx = module.getContext();
    SymbolTable symbols(module);
    OpBuilder b(ctx);
    llvm::BitVector erase(top.getNumArguments());
    OpBuilder inTop = OpBuilder::atBlockBegin(&top.getBody().front());
    for (BlockArgument arg : top.getArguments()) {
      unsigned i = arg.getArgNumber();
      auto name = top.getArgAttrOfType<StringAttr>(i, hls::kWeight);
      if (!name)
        continue;
      auto data = top.getArgAttrOfType<ElementsAttr>(i, hls::kWeightData);
      auto type = cast<MemRefType>(arg.getType());
      if (!data)
        return top.emitOpError("tern-hls-weights-to-roms: weight port '")
                   << name.getValue() << "' has no data",
               signalPassFailure();
      auto tensorType = RankedTensorType::get(type.getShape(), type.getElementType());
      if (cast<ShapedType>(data.getType()) != tensorType)
        return top.emitOpError("tern-hls-weights-to-roms: weight port '")
                   << name.getValue() << "' data type " << data.getType()
                   << " does not match its port " << type,
               signalPassFailure();
      b.setInsertionPoint(top);
      auto global = memref::GlobalOp::create(
          b, arg.getLoc(), ("rom_" + name.getValue()).str(), b.getStringAttr("private"), type,
          cast<Attribute>(data), /*constant=*/true, /*alignment=*/IntegerAttr());
      symbols.insert(global);
      global->setAttr(hls::kStorageType, b.getStringAttr("rom_1p"));
      global->setAttr(hls::kStorageImpl, b.getStringAttr("bram"));
      Value rom = memref::GetGlobalOp::create(inTop, arg.getLoc(), type, global.getSymName());
      arg.replaceAllUsesWith(rom);
      erase.set(i);
    }
    if (failed(top.eraseArguments(erase)))
      return signalPassFailure();
    // What the block RAM must hold: the ROMs and every buffer.
    int64_t roms = 0, buffers = 0;
    for (auto g : module.getOps<memref::GlobalOp>())
      if (g->hasAttr(hls::kStorageImpl))
        roms += hlsBRAM18(g.getType(), {}, /*blockRAM=*/true);
      else
        buffers += hlsBRAM18(g.getType(), {});
    module.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp>(op))
        buffers += hlsBRAM18(cast<MemRefType>(op->getResult(0).getType()),
                             op->getAttrOfType<DenseI64ArrayAttr>(hls::kPartition));
    });
    if (roms + buffers > bram18) {
      module.emitError("--hls-weights=onchip: the weight ROMs need ")
          << roms << " BRAM18 and the buffers " << buffers << ", " << roms + buffers
          << " in all, more than the platform's " << static_cast<int64_t>(bram18)
          << " (UltraScale+ UltraRAM cannot hold initialized ROMs); keep the weights off chip "
             "(--hls-weights=hbm)";
      return signalPassFailure();
    }
  }
};

} // namespace
} // namespace mlir::tern

//===- ExternalizeWeights.cpp - large constants become weight ports -------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNHLSEXTERNALIZEWEIGHTS
#include "tern/Target/HLS/Passes.h.inc"

namespace {

/// The model function: marked tern.hls.top, else the only public function
/// with a body (@main preferred).
FailureOr<func::FuncOp> findTop(ModuleOp module) {
  func::FuncOp found;
  int candidates = 0;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn->hasAttr(hls::kTop))
      return fn;
    if (fn.isExternal() || fn.isPrivate())
      continue;
    ++candidates;
    if (!found || fn.getName() == "main")
      found = fn;
  }
  if (!found || (candidates > 1 && found.getName() != "main"))
    return module.emitError("HLS: expected one public model function (or @main)"), failure();
  return found;
}

bool isTernaryWeight(arith::ConstantOp cst) {
  for (OpOperand &use : cst->getUses())
    if (auto g = dyn_cast<linalg::GenericOp>(use.getOwner()))
      if (g->hasAttr(hls::kTernaryMatmul) && use.getOperandNumber() == 1)
        return true;
  return false;
}

std::string describeLayout(RankedTensorType type, bool ternary) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (ternary) {
    os << "ternary codes uint8 [Nt=" << type.getDimSize(0) << "][G=" << type.getDimSize(1)
       << "][P=" << type.getDimSize(2) << "]: byte (nt*G + g)*P + p holds trits 4g..4g+3 of row "
       << "nt*P + p, trit 4g+j in bits 2j..2j+1 as code trit+1 (00 = -1, 01 = 0, 10 = +1; "
       << "padding trits are 0)";
  } else {
    os << "row-major " << type << " little-endian";
  }
  return s;
}

struct ExternalizeWeightsPass : impl::TernHLSExternalizeWeightsBase<ExternalizeWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> maybeTop = findTop(module);
    if (failed(maybeTop))
      return signalPassFailure();
    func::FuncOp top = *maybeTop;
    MLIRContext *ctx = module.getContext();
    OpBuilder b(ctx);
    if (!top->hasAttr(hls::kNumInputs)) {
      top->setAttr(hls::kNumInputs, b.getI64IntegerAttr(top.getNumArguments()));
      SmallVector<Attribute> names;
      for (unsigned i = 0; i < top.getNumResults(); ++i) {
        auto name = top.getResultAttrOfType<StringAttr>(i, "tern.name");
        names.push_back(name ? name : b.getStringAttr("out" + std::to_string(i)));
      }
      top->setAttr(hls::kOutputNames, b.getArrayAttr(names));
    }
    top->setAttr(hls::kTop, UnitAttr::get(ctx));
    // Inputs are read-only AXI ports: bufferization must not update them in
    // place (a state input would otherwise double as scratch space).
    int64_t numInputs = top->getAttrOfType<IntegerAttr>(hls::kNumInputs).getInt();
    for (int64_t i = 0; i < numInputs; ++i)
      top.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
    if (!topName.empty() && top.getName() != topName) {
      if (failed(SymbolTable::replaceAllSymbolUses(top, b.getStringAttr(topName), module)))
        return signalPassFailure();
      top.setName(topName);
    }

    SmallVector<arith::ConstantOp> constants;
    top.walk([&](arith::ConstantOp cst) {
      auto type = dyn_cast<RankedTensorType>(cst.getType());
      auto value = dyn_cast<ElementsAttr>(cst.getValue());
      if (!type || !value || !type.hasStaticShape())
        return;
      if (auto dense = dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat())
        return;
      if (isTernaryWeight(cst) || type.getNumElements() > romThreshold)
        constants.push_back(cst);
    });
    int64_t index = 0;
    for (auto a : top.getArguments())
      if (top.getArgAttr(a.getArgNumber(), hls::kWeight))
        ++index;
    for (arith::ConstantOp cst : constants) {
      auto type = cast<RankedTensorType>(cst.getType());
      bool ternary = isTernaryWeight(cst);
      std::string name = "w" + std::to_string(index++);
      NamedAttrList attrs;
      attrs.set(hls::kWeight, b.getStringAttr(name));
      attrs.set(hls::kWeightData, cst.getValue());
      attrs.set(hls::kWeightLayout, b.getStringAttr(describeLayout(type, ternary)));
      unsigned pos = top.getNumArguments();
      if (failed(top.insertArgument(pos, type, attrs.getDictionary(ctx), cst.getLoc())))
        return signalPassFailure();
      top.setArgAttr(pos, "bufferization.writable", b.getBoolAttr(false));
      cst.getResult().replaceAllUsesWith(top.getArgument(pos));
      cst.erase();
    }
  }
};
} // namespace

FailureOr<func::FuncOp> getHLSTop(ModuleOp module) {
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn->hasAttr(hls::kTop))
      return fn;
  return module.emitError("no HLS top function (run tern-hls-externalize-weights)"), failure();
}

} // namespace mlir::tern

//===- TernaryKernels.cpp - the one table of CPU ternary kernels ----------===//
#include "Tern/TernaryKernels.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

namespace mlir::tern {

namespace {
constexpr llvm::StringLiteral kAVX512VNNI[] = {"avx512f", "avx512vnni"};
constexpr llvm::StringLiteral kAVXVNNI[] = {"avxvnni"};
constexpr llvm::StringLiteral kAVX512BW[] = {"avx512f", "avx512bw"};
constexpr llvm::StringLiteral kAVX2[] = {"avx2"};
constexpr llvm::StringLiteral kDotProd[] = {"dotprod"};

using K = TernaryKernelKind;
using D = TernaryDot;
using A = TernaryArch;

// Ranks: x86 vnni > avxvnni > avx2, AArch64 sdot > neon, anything: select.
const TernaryKernelInfo kTable[] = {
    {K::portable, A::Any, {}, 1, 1, D::select_add_sub, K::portable, 0,
     "scalar select/add/sub loops on row-major 2-bit codes"},
    {K::select, A::Any, {}, 1, 64, D::select_add_sub, K::select, 1,
     "portable vector select/add/sub over 64-byte groups (multiply-free)"},
    {K::vnni, A::X86, kAVX512VNNI, 16, 4, D::vpdpbusd, K::vnni, 10,
     "AVX-512 VNNI offset-int8 dot products, 16-row tiles"},
    {K::vnni_base3, A::X86, kAVX512VNNI, 16, 4, D::vpdpbusd, K::vnni, 0,
     "AVX-512 VNNI on 1.6-bit base-3 weights, 16-row tiles"},
    {K::avxvnni, A::X86, kAVXVNNI, 8, 4, D::vpdpbusd, K::select, 8,
     "AVX-VNNI 256-bit dot products, 8-row tiles"},
    {K::lut, A::X86, kAVX512BW, 64, 1, D::pshufb, K::select, 0,
     "AVX-512 BW vpshufb lookup tables, 64-row tiles (multiply-free)"},
    {K::avx2, A::X86, kAVX2, 8, 4, D::pmaddubsw, K::select, 6,
     "AVX2 vpmaddubsw + vpmaddwd, 8-row tiles, int16 sums"},
    {K::avx2_select, A::X86, kAVX2, 8, 4, D::select_add_sub, K::select, 0,
     "AVX2 compare/select, 8-row tiles, int16 sums (multiply-free)"},
    {K::sdot, A::AArch64, kDotProd, 16, 4, D::sdot, K::select, 6,
     "AArch64 dotprod sdot, 16-row tiles"},
    {K::neon, A::AArch64, {}, 16, 4, D::smlal, K::select, 4,
     "AArch64 armv8.0 NEON smlal int16 sums, 16-row tiles"},
};
} // namespace

llvm::ArrayRef<TernaryKernelInfo> getTernaryKernelTable() { return kTable; }

const TernaryKernelInfo &getTernaryKernelInfo(TernaryKernelKind kind) {
  for (const TernaryKernelInfo &info : kTable)
    if (info.kind == kind)
      return info;
  llvm_unreachable("every TernaryKernelKind has a table entry");
}

std::string getTernaryKernelName(TernaryKernelKind kind) {
  std::string name = stringifyTernaryKernelKind(kind).str();
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::optional<TernaryKernelKind> parseTernaryKernelName(llvm::StringRef name) {
  std::string spelled = name.str();
  if (spelled.find('_') != std::string::npos)
    return std::nullopt;
  std::replace(spelled.begin(), spelled.end(), '-', '_');
  return symbolizeTernaryKernelKind(spelled);
}

std::string getTernaryKernelNameList() {
  std::string out = "auto";
  for (const TernaryKernelInfo &info : kTable)
    out += ", " + getTernaryKernelName(info.kind);
  return out;
}

static llvm::StringRef archName(TernaryArch arch) {
  return arch == TernaryArch::X86 ? "x86-64" : arch == TernaryArch::AArch64 ? "aarch64" : "any";
}

std::string getTernaryKernelDescription(const TernaryKernelInfo &info) {
  std::string out = info.summary.str() + "; " + archName(info.arch).str();
  for (llvm::StringRef f : info.features)
    out += " +" + f.str();
  return out;
}

LLVM::TargetAttr getHostTarget(MLIRContext *ctx) {
  SmallVector<std::string> features;
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    features.push_back((f.second ? "+" : "-") + f.first().str());
  llvm::sort(features);
  return LLVM::TargetAttr::get(ctx, StringAttr::get(ctx, llvm::sys::getProcessTriple()),
                               StringAttr::get(ctx, llvm::sys::getHostCPUName()),
                               LLVM::TargetFeaturesAttr::get(ctx, llvm::to_vector_of<llvm::StringRef>(features)));
}

static ModuleOp enclosingModule(Operation *op) {
  if (auto module = dyn_cast<ModuleOp>(op))
    return module;
  return op->getParentOfType<ModuleOp>();
}

LLVM::TargetAttr getTernaryTarget(Operation *op) {
  if (ModuleOp module = enclosingModule(op))
    if (auto target = module->getAttrOfType<LLVM::TargetAttr>(kTargetAttrName))
      return target;
  return getHostTarget(op->getContext());
}

TernaryArch getTargetArch(LLVM::TargetAttr target) {
  llvm::Triple triple(target.getTriple().getValue());
  if (triple.isX86())
    return TernaryArch::X86;
  if (triple.isAArch64())
    return TernaryArch::AArch64;
  return TernaryArch::Any;
}

bool targetHasFeature(LLVM::TargetAttr target, llvm::StringRef feature) {
  bool on = false;
  if (LLVM::TargetFeaturesAttr features = target.getFeatures())
    for (StringAttr f : features.getFeatures()) {
      llvm::StringRef s = f.getValue();
      if (s.size() > 1 && s.drop_front() == feature)
        on = s.front() == '+';
    }
  return on;
}

LogicalResult checkTernaryKernelTarget(TernaryKernelKind kind, LLVM::TargetAttr target,
                                       llvm::function_ref<InFlightDiagnostic()> emitError) {
  const TernaryKernelInfo &info = getTernaryKernelInfo(kind);
  // An inactive diagnostic (chooseTernaryKernel's probe) converts to success:
  // return failure() explicitly.
  if (info.arch != TernaryArch::Any && getTargetArch(target) != info.arch) {
    emitError() << "the " << getTernaryKernelName(kind) << " ternary kernel needs an "
                       << archName(info.arch) << " target, not '" << target.getTriple().getValue()
                       << "' (kernels: " << getTernaryKernelNameList() << ")";
    return failure();
  }
  SmallVector<llvm::StringRef> missing;
  for (llvm::StringRef f : info.features)
    if (!targetHasFeature(target, f))
      missing.push_back(f);
  if (missing.empty())
    return success();
  InFlightDiagnostic diag = emitError();
  diag << "the " << getTernaryKernelName(kind) << " ternary kernel needs a target with";
  for (llvm::StringRef f : info.features)
    diag << " +" << f;
  diag << "; CPU '" << target.getChip().getValue() << "' (" << target.getTriple().getValue()
       << ") lacks";
  for (llvm::StringRef f : missing)
    diag << " +" << f;
  return failure();
}

TernaryKernelKind chooseTernaryKernel(LLVM::TargetAttr target) {
  const TernaryKernelInfo *best = nullptr;
  for (const TernaryKernelInfo &info : kTable) {
    if (info.autoRank == 0 || (best && best->autoRank >= info.autoRank))
      continue;
    if (succeeded(checkTernaryKernelTarget(info.kind, target, [] { return InFlightDiagnostic(); })))
      best = &info;
  }
  return best ? best->kind : TernaryKernelKind::portable;
}

TernaryKernelAttr getModuleTernaryKernel(Operation *op) {
  ModuleOp module = enclosingModule(op);
  return module ? module->getAttrOfType<TernaryKernelAttr>(kTernaryKernelAttrName) : nullptr;
}

} // namespace mlir::tern

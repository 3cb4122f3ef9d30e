//===- CPUTargetInfo.cpp - triple, CPU and features of the CPU target -----===//
#include "tern/Target/CPU/CPUTargetInfo.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>
#include <vector>

namespace mlir::tern {

void initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

bool isHostCompatible(const llvm::Triple &triple) {
  llvm::Triple host(llvm::sys::getProcessTriple());
  return triple.getArch() == host.getArch() && triple.getOS() == host.getOS();
}

/// The target's table of features (sorted by name).
static llvm::ArrayRef<llvm::SubtargetFeatureKV> featureTable(const llvm::MCSubtargetInfo &sti) {
  return sti.getAllProcessorFeatures();
}

static bool isKnownFeature(const llvm::MCSubtargetInfo &sti, llvm::StringRef name) {
  return llvm::any_of(featureTable(sti),
                      [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
}

FailureOr<CPUTargetDesc> resolveCPUTarget(const CPUTargetRequest &request, std::string &error) {
  initializeLLVMTargets();
  llvm::Triple host(llvm::sys::getProcessTriple());
  llvm::Triple triple(request.triple.empty() ? host.str() : llvm::Triple::normalize(request.triple));
  if (triple.getArch() == llvm::Triple::UnknownArch) {
    error = "unknown target triple '" + request.triple + "' (e.g. x86_64-linux-gnu, aarch64-linux-gnu)";
    return failure();
  }
  std::string lookupError;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = "no LLVM target for triple '" + triple.str() + "': " + lookupError;
    return failure();
  }
  bool sameArch = triple.getArch() == host.getArch();
  std::string cpu = request.cpu.empty() ? (sameArch ? "native" : "generic") : request.cpu;
  std::string features;
  if (cpu == "native") {
    if (!sameArch) {
      error = "--cpu=native is the host's CPU (" + host.getArchName().str() +
              "); name a CPU of " + triple.getArchName().str() +
              " (e.g. generic, neoverse-n1, cortex-a76) for --target-triple=" + triple.str();
      return failure();
    }
    cpu = llvm::sys::getHostCPUName().str();
  }
  // A generic subtarget only to check the names (an unknown CPU or feature
  // would otherwise be ignored with a warning).
  std::unique_ptr<llvm::MCSubtargetInfo> probe(target->createMCSubtargetInfo(triple, "", ""));
  if (!probe) {
    error = "the LLVM target for '" + triple.str() + "' has no subtarget information";
    return failure();
  }
  if (!probe->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for " + triple.str() + " (see `llc -mtriple=" + triple.str() +
            " -mcpu=help`)";
    return failure();
  }
  if (request.cpu.empty() || request.cpu == "native") {
    if (sameArch)
      for (const auto &f : llvm::sys::getHostCPUFeatures())
        if (isKnownFeature(*probe, f.first()))
          features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
  }
  llvm::SmallVector<llvm::StringRef> requested;
  llvm::StringRef(request.features).split(requested, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef f : requested) {
    f = f.trim();
    if (f.size() < 2 || (f.front() != '+' && f.front() != '-')) {
      error = "target feature '" + f.str() + "' must start with + or - (e.g. +dotprod,-avx512f)";
      return failure();
    }
    if (!isKnownFeature(*probe, f.drop_front())) {
      error = "unknown target feature '" + f.drop_front().str() + "' for " + triple.str() +
              " (see `llc -mtriple=" + triple.str() + " -mattr=help`)";
      return failure();
    }
    features += (features.empty() ? "" : ",") + f.str();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(triple, cpu, features));
  CPUTargetDesc desc{triple.str(), cpu, {}};
  for (const llvm::SubtargetFeatureKV &kv : featureTable(*sti))
    if (sti->getFeatureBits().test(kv.Value))
      desc.features.push_back(std::string("+") + kv.Key);
  return desc;
}

LLVM::TargetAttr getTargetAttr(MLIRContext *context, const CPUTargetDesc &target) {
  context->getOrLoadDialect<LLVM::LLVMDialect>();
  SmallVector<StringRef> features(target.features.begin(), target.features.end());
  return LLVM::TargetAttr::get(context, StringAttr::get(context, target.triple),
                               StringAttr::get(context, target.cpu),
                               LLVM::TargetFeaturesAttr::get(context, features));
}

LLVM::TargetAttr getModuleTarget(ModuleOp module) {
  return module->getAttrOfType<LLVM::TargetAttr>(kTargetAttrName);
}

void setModuleTarget(ModuleOp module, LLVM::TargetAttr target) {
  module->setAttr(kTargetAttrName, target);
}

bool hasFeature(LLVM::TargetAttr target, StringRef feature) {
  LLVM::TargetFeaturesAttr features = target.getFeatures();
  return features && features.contains(("+" + feature).str());
}

std::string getLLVMFeatureString(LLVM::TargetAttr target) {
  initializeLLVMTargets();
  llvm::Triple triple(target.getTriple().getValue());
  std::string error;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(triple, error);
  std::vector<std::string> off, on;
  if (llvmTarget) {
    std::unique_ptr<llvm::MCSubtargetInfo> sti(llvmTarget->createMCSubtargetInfo(triple, "", ""));
    // The triple's baseline (64-bit mode and SSE2 on x86-64, the psABI's
    // floating-point registers) is never turned off: without it LLVM aborts
    // in instruction selection on a hand-written list such as ["+sse2"].
    StringRef baseCPU = triple.isX86() && triple.isArch64Bit() ? "x86-64" : "generic";
    std::unique_ptr<llvm::MCSubtargetInfo> base(
        llvmTarget->createMCSubtargetInfo(triple, baseCPU, ""));
    for (const llvm::SubtargetFeatureKV &kv : featureTable(*sti)) {
      bool enabled = hasFeature(target, kv.Key) || base->getFeatureBits().test(kv.Value);
      (enabled ? on : off).push_back(kv.Key);
    }
  }
  // Everything off first, then what is listed: a hand-written list that
  // omits an implied feature ("+dotprod" without "+neon") still gets it.
  std::string out;
  for (const std::string &f : off)
    out += (out.empty() ? "-" : ",-") + f;
  for (const std::string &f : on)
    out += (out.empty() ? "+" : ",+") + f;
  return out;
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(LLVM::TargetAttr target, unsigned optLevel,
                                                         std::string &error) {
  initializeLLVMTargets();
  llvm::Triple triple(target.getTriple().getValue());
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return nullptr;
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.getChip().getValue(), getLLVMFeatureString(target), options,
      llvm::Reloc::PIC_, std::nullopt,
      optLevel >= 3 ? llvm::CodeGenOptLevel::Aggressive : llvm::CodeGenOptLevel::Default));
  if (!machine)
    error = "cannot create a target machine for " + triple.str() + " CPU '" +
            target.getChip().getValue().str() + "'";
  return machine;
}

} // namespace mlir::tern

//===- TernaryKernelChoiceTest.cpp - `auto` for named CPUs ----------------===//
//
// The kernel `auto` picks for real CPU names, with the features LLVM's
// subtarget info gives each CPU (the way the driver resolves --cpu), and the
// refusals for kernels a CPU cannot run.
//
//===----------------------------------------------------------------------===//
#include "Tern/TernaryKernels.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// #llvm.target for `cpu` with every feature LLVM enables for it.
LLVM::TargetAttr targetOf(MLIRContext &ctx, StringRef triple, StringRef cpu) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargetMCs();
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  EXPECT_TRUE(target) << error;
  if (!target)
    return nullptr;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(target->createMCSubtargetInfo(llvm::Triple(triple), cpu, ""));
  EXPECT_TRUE(sti->isCPUStringValid(cpu)) << cpu.str();
  SmallVector<std::string> features;
  for (const llvm::SubtargetFeatureKV &kv : sti->getAllProcessorFeatures())
    if (sti->checkFeatures(std::string("+") + kv.Key))
      features.push_back(std::string("+") + kv.Key);
  return LLVM::TargetAttr::get(&ctx, StringAttr::get(&ctx, triple), StringAttr::get(&ctx, cpu),
                               LLVM::TargetFeaturesAttr::get(&ctx, llvm::to_vector_of<StringRef>(features)));
}

struct Case {
  const char *triple, *cpu, *kernel;
};

TEST(TernaryKernelChoice, AutoForNamedCPUs) {
  MLIRContext ctx;
  ctx.loadDialect<LLVM::LLVMDialect, TernDialect>();
  const Case cases[] = {
      {"x86_64-unknown-linux-gnu", "x86-64", "select"},
      {"x86_64-unknown-linux-gnu", "haswell", "avx2"},
      {"x86_64-unknown-linux-gnu", "skylake", "avx2"},
      {"x86_64-unknown-linux-gnu", "znver2", "avx2"},
      {"x86_64-unknown-linux-gnu", "znver3", "avx2"},
      {"x86_64-unknown-linux-gnu", "alderlake", "avxvnni"},
      {"x86_64-unknown-linux-gnu", "icelake-server", "vnni"},
      {"x86_64-unknown-linux-gnu", "cascadelake", "vnni"},
      {"x86_64-unknown-linux-gnu", "sapphirerapids", "vnni"},
      {"x86_64-unknown-linux-gnu", "znver4", "vnni"},
      {"aarch64-unknown-linux-gnu", "cortex-a53", "neon"},
      {"aarch64-unknown-linux-gnu", "cortex-a72", "neon"},
      {"aarch64-unknown-linux-gnu", "cortex-a76", "sdot"},
      {"aarch64-unknown-linux-gnu", "neoverse-n1", "sdot"},
      {"aarch64-unknown-linux-gnu", "neoverse-v2", "sdot"},
      {"aarch64-unknown-linux-gnu", "apple-m1", "sdot"},
      {"riscv64-unknown-linux-gnu", "generic-rv64", "select"},
  };
  for (const Case &c : cases) {
    LLVM::TargetAttr target = targetOf(ctx, c.triple, c.cpu);
    ASSERT_TRUE(target);
    EXPECT_EQ(getTernaryKernelName(chooseTernaryKernel(target)), c.kernel) << c.cpu;
  }
}

TEST(TernaryKernelChoice, RefusesWhatTheCPUCannotRun) {
  MLIRContext ctx;
  ctx.loadDialect<LLVM::LLVMDialect, TernDialect>();
  auto refuses = [&](const char *triple, const char *cpu, TernaryKernelKind kind) {
    std::string message;
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      message = d.str();
      return success();
    });
    bool failedCheck = failed(checkTernaryKernelTarget(
        kind, targetOf(ctx, triple, cpu), [&] { return emitError(UnknownLoc::get(&ctx)); }));
    return failedCheck ? message : std::string();
  };
  EXPECT_EQ(refuses("x86_64-unknown-linux-gnu", "znver3", TernaryKernelKind::vnni),
            "the vnni ternary kernel needs a target with +avx512f +avx512vnni; CPU 'znver3' "
            "(x86_64-unknown-linux-gnu) lacks +avx512f +avx512vnni");
  EXPECT_EQ(refuses("aarch64-unknown-linux-gnu", "neoverse-n1", TernaryKernelKind::avx2).rfind(
                "the avx2 ternary kernel needs an x86-64 target, not 'aarch64-unknown-linux-gnu'", 0),
            0u);
  EXPECT_EQ(refuses("aarch64-unknown-linux-gnu", "cortex-a53", TernaryKernelKind::sdot),
            "the sdot ternary kernel needs a target with +dotprod; CPU 'cortex-a53' "
            "(aarch64-unknown-linux-gnu) lacks +dotprod");
  EXPECT_EQ(refuses("x86_64-unknown-linux-gnu", "znver3", TernaryKernelKind::avx2), "");
}

TEST(TernaryKernelChoice, NamesRoundTrip) {
  for (const TernaryKernelInfo &info : getTernaryKernelTable()) {
    std::optional<TernaryKernelKind> parsed = parseTernaryKernelName(getTernaryKernelName(info.kind));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, info.kind);
    // The untiled fallback runs wherever the kernel runs, and is its own.
    const TernaryKernelInfo &untiled = getTernaryKernelInfo(info.untiled);
    EXPECT_TRUE(untiled.arch == TernaryArch::Any || untiled.arch == info.arch);
    EXPECT_EQ(untiled.untiled, untiled.kind);
  }
  EXPECT_FALSE(parseTernaryKernelName("vnni_base3")); // the CLI spelling uses '-'
  EXPECT_FALSE(parseTernaryKernelName("auto"));
}

} // namespace

//===- CPUTargetInfoTest.cpp - features derived for named CPUs ------------===//
//
// A table of (triple, CPU, feature changes) -> features that must be on and
// off, read from LLVM's subtarget tables through resolveCPUTarget; plus the
// errors and the recorded attribute.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/CPU/CPUTargetInfo.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/MLIRContext.h"

#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::tern;

namespace {

struct FeatureCase {
  const char *triple, *cpu, *changes;
  std::vector<const char *> on, off;
};

const FeatureCase kCases[] = {
    // x86: the ISA classes the ternary kernels care about.
    {"x86_64-linux-gnu", "sapphirerapids", "", {"avx512f", "avx512bw", "avx512vnni", "avxvnni", "avx2"}, {}},
    {"x86_64-linux-gnu", "znver3", "", {"avx2", "fma"}, {"avx512f", "avx512vnni", "avxvnni"}},
    {"x86_64-linux-gnu", "znver4", "", {"avx512f", "avx512bw", "avx512vnni"}, {"avxvnni"}},
    {"x86_64-linux-gnu", "alderlake", "", {"avx2", "avxvnni"}, {"avx512f", "avx512vnni"}},
    {"x86_64-linux-gnu", "skylake-avx512", "", {"avx512f", "avx512bw"}, {"avx512vnni", "avxvnni"}},
    {"x86_64-linux-gnu", "icelake-server", "", {"avx512vnni", "avx512vbmi"}, {"avxvnni"}},
    {"x86_64-linux-gnu", "haswell", "", {"avx2", "fma"}, {"avx512f"}},
    {"x86_64-linux-gnu", "x86-64-v3", "", {"avx2", "fma"}, {"avx512f"}},
    {"x86_64-linux-gnu", "x86-64", "", {"sse2"}, {"avx", "avx2"}},
    // Turning a feature off also turns off what needs it.
    {"x86_64-linux-gnu", "sapphirerapids", "-avx512f", {"avx2", "avxvnni"}, {"avx512f", "avx512vnni", "avx512bw"}},
    {"x86_64-linux-gnu", "znver3", "+avxvnni", {"avx2", "avxvnni"}, {"avx512f"}},
    // AArch64: baseline NEON, dotprod (armv8.2), i8mm and SVE.
    {"aarch64-linux-gnu", "generic", "", {"neon"}, {"dotprod", "i8mm", "sve"}},
    {"aarch64-linux-gnu", "cortex-a53", "", {"neon"}, {"dotprod", "i8mm"}},
    {"aarch64-linux-gnu", "cortex-a76", "", {"neon", "dotprod"}, {"i8mm", "sve"}},
    {"aarch64-linux-gnu", "neoverse-n1", "", {"neon", "dotprod"}, {"i8mm", "sve"}},
    {"aarch64-linux-gnu", "neoverse-v2", "", {"neon", "dotprod", "i8mm", "sve2"}, {}},
    {"aarch64-linux-gnu", "apple-m1", "", {"neon", "dotprod"}, {"sve"}},
    {"aarch64-linux-gnu", "generic", "+dotprod", {"neon", "dotprod"}, {"i8mm"}},
    {"aarch64-linux-gnu", "neoverse-n1", "-dotprod", {"neon"}, {"dotprod"}},
};

TEST(CPUTargetInfo, FeaturesOfNamedCPUs) {
  for (const FeatureCase &c : kCases) {
    std::string error;
    FailureOr<CPUTargetDesc> target = resolveCPUTarget({c.triple, c.cpu, c.changes}, error);
    ASSERT_TRUE(succeeded(target)) << c.cpu << ": " << error;
    EXPECT_EQ(target->cpu, c.cpu);
    auto has = [&](const char *f) { return llvm::is_contained(target->features, std::string("+") + f); };
    for (const char *f : c.on)
      EXPECT_TRUE(has(f)) << c.triple << " " << c.cpu << " " << c.changes << ": expected +" << f;
    for (const char *f : c.off)
      EXPECT_FALSE(has(f)) << c.triple << " " << c.cpu << " " << c.changes << ": unexpected +" << f;
  }
}

TEST(CPUTargetInfo, TriplesAreNormalized) {
  std::string error;
  auto target = resolveCPUTarget({"aarch64-linux-gnu", "neoverse-n1", ""}, error);
  ASSERT_TRUE(succeeded(target)) << error;
  EXPECT_EQ(target->triple, "aarch64-unknown-linux-gnu");
  EXPECT_FALSE(isHostCompatible(llvm::Triple(target->triple)) &&
               llvm::Triple(llvm::sys::getProcessTriple()).getArch() != llvm::Triple::aarch64);
}

TEST(CPUTargetInfo, HostDefaultsToNative) {
  std::string error;
  auto target = resolveCPUTarget({"", "", ""}, error);
  ASSERT_TRUE(succeeded(target)) << error;
  EXPECT_TRUE(isHostCompatible(llvm::Triple(target->triple)));
  EXPECT_EQ(target->cpu, llvm::sys::getHostCPUName().str());
  // A foreign architecture defaults to its generic CPU.
  auto foreign = resolveCPUTarget({"riscv64-linux-gnu", "", ""}, error);
  ASSERT_TRUE(succeeded(foreign)) << error;
  EXPECT_EQ(foreign->cpu, "generic");
}

TEST(CPUTargetInfo, Errors) {
  struct ErrorCase {
    CPUTargetRequest request;
    const char *message;
  } cases[] = {
      {{"x86_64-linux-gnu", "pentium9", ""}, "unknown CPU 'pentium9' for x86_64-unknown-linux-gnu"},
      {{"nonsense-arch-triple", "", ""}, "unknown target triple 'nonsense-arch-triple'"},
      {{"x86_64-linux-gnu", "znver3", "+avx1024"}, "unknown target feature 'avx1024'"},
      {{"x86_64-linux-gnu", "znver3", "avx2"}, "target feature 'avx2' must start with + or -"},
      {{"aarch64-linux-gnu", "neoverse-n1", "+avx2"}, "unknown target feature 'avx2' for aarch64"},
  };
  for (const ErrorCase &c : cases) {
    std::string error;
    EXPECT_TRUE(failed(resolveCPUTarget(c.request, error))) << c.message;
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
  }
  // `native` names the host: it cannot be another architecture's CPU.
  std::string error;
  const char *other = llvm::Triple(llvm::sys::getProcessTriple()).getArch() == llvm::Triple::aarch64
                          ? "x86_64-linux-gnu"
                          : "aarch64-linux-gnu";
  EXPECT_TRUE(failed(resolveCPUTarget({other, "native", ""}, error)));
  EXPECT_NE(error.find("--cpu=native is the host's CPU"), std::string::npos) << error;
}

TEST(CPUTargetInfo, AttributeAndFeatureString) {
  MLIRContext context;
  std::string error;
  auto target = resolveCPUTarget({"x86_64-linux-gnu", "sapphirerapids", "-avx512f"}, error);
  ASSERT_TRUE(succeeded(target)) << error;
  LLVM::TargetAttr attr = getTargetAttr(&context, *target);
  std::string text;
  llvm::raw_string_ostream os(text);
  Attribute(attr).print(os);
  EXPECT_NE(text.find("#llvm.target<triple = \"x86_64-unknown-linux-gnu\", chip = \"sapphirerapids\", "
                      "features = <["),
            std::string::npos)
      << text;
  EXPECT_TRUE(hasFeature(attr, "avxvnni"));
  EXPECT_FALSE(hasFeature(attr, "avx512f"));
  // The TargetMachine's string turns off what the CPU would enable by default.
  SmallVector<StringRef> parts;
  std::string fs = getLLVMFeatureString(attr);
  StringRef(fs).split(parts, ',');
  EXPECT_TRUE(llvm::is_contained(parts, "-avx512f"));
  EXPECT_TRUE(llvm::is_contained(parts, "+avxvnni"));
  std::unique_ptr<llvm::TargetMachine> machine = createTargetMachine(attr, 3, error);
  EXPECT_TRUE(machine != nullptr) << error;

  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&context));
  EXPECT_FALSE(getModuleTarget(*module));
  setModuleTarget(*module, attr);
  EXPECT_EQ(getModuleTarget(*module), attr);
}

} // namespace

//===- TernDialectTest.cpp - the #tern.ternary attribute and types --------===//
#include "Tern/TernOps.h"
#include "tern/Support/TernaryPacking.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

using namespace mlir;
using namespace mlir::tern;

namespace {

struct TernDialectTest : ::testing::Test {
  TernDialectTest() { context.loadDialect<TernDialect>(); }
  std::string print(Attribute attr) {
    std::string s;
    llvm::raw_string_ostream os(s);
    attr.print(os);
    return s;
  }
  MLIRContext context;
};

TEST_F(TernDialectTest, TypeAccessors) {
  auto type = TernaryType::get(&context, 32, 64);
  EXPECT_EQ(type.getRows(), 32);
  EXPECT_EQ(type.getCols(), 64);
  EXPECT_EQ(type.getNumElements(), 2048);
  EXPECT_EQ(TernaryType::get(&context, 32, 64), type); // uniqued
}

TEST_F(TernDialectTest, TypeRejectsNonPositiveDims) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  auto bad = TernaryType::getChecked([&] { return emitError(UnknownLoc::get(&context)); },
                                     &context, int64_t(0), int64_t(4));
  EXPECT_FALSE(bad);
  EXPECT_NE(message.find("must be positive"), std::string::npos) << message;
}

TEST_F(TernDialectTest, AttrPacksAndUnpacks) {
  std::vector<int8_t> trits = {1, 0, -1, -1, 1, 0, 0};
  auto attr = TernaryAttr::get(&context, 1, 7, 0.25f, trits);
  EXPECT_EQ(attr.getType(), TernaryType::get(&context, 1, 7));
  EXPECT_FLOAT_EQ(attr.getScaleValue(), 0.25f);
  EXPECT_EQ(attr.getPackedBytes().size(), 2u); // 2 bits per weight
  SmallVector<int8_t> out;
  ASSERT_TRUE(succeeded(attr.unpack(out)));
  EXPECT_EQ(std::vector<int8_t>(out.begin(), out.end()), trits);
  EXPECT_FALSE(attr.isAllZero());
  EXPECT_TRUE(TernaryAttr::get(&context, 2, 3, 1.0f, {0, 0, 0, 0, 0, 0}).isAllZero());
}

TEST_F(TernDialectTest, SmallAttrPrintsValuesAndParsesBack) {
  auto attr = TernaryAttr::get(&context, 2, 2, 0.5f, {1, -1, 0, 1});
  std::string text = print(attr);
  EXPECT_EQ(text, "#tern.ternary<2x2, scale = 5.000000e-01, [1, -1, 0, 1]>");
  Attribute parsed = parseAttribute(text, &context);
  auto back = dyn_cast_or_null<TernaryAttr>(parsed);
  ASSERT_TRUE(back);
  SmallVector<int8_t> out;
  ASSERT_TRUE(succeeded(back.unpack(out)));
  EXPECT_EQ(std::vector<int8_t>(out.begin(), out.end()), (std::vector<int8_t>{1, -1, 0, 1}));
}

TEST_F(TernDialectTest, LargeAttrPrintsResourceHandle) {
  std::mt19937 rng(3);
  std::vector<int8_t> trits(64 * 64);
  for (auto &t : trits)
    t = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  auto attr = TernaryAttr::get(&context, 64, 64, 3.0f, trits);
  std::string text = print(attr);
  EXPECT_NE(text.find("dense_resource<ternary"), std::string::npos) << text;
  EXPECT_NE(text.find("tensor<1024xi8>"), std::string::npos) << text;
  SmallVector<int8_t> out;
  ASSERT_TRUE(succeeded(attr.unpack(out)));
  EXPECT_EQ(std::vector<int8_t>(out.begin(), out.end()), trits);
}

TEST_F(TernDialectTest, AttrVerifierRejectsBadScaleAndSize) {
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  auto emit = [&] { return emitError(UnknownLoc::get(&context)); };
  auto good = TernaryAttr::get(&context, 2, 4, 1.0f, {0, 0, 0, 0, 1, 1, 1, 1});
  auto type = TernaryType::get(&context, 2, 4);
  EXPECT_FALSE(TernaryAttr::getChecked(emit, &context, type, APFloat(-1.0f), good.getPacked()));
  EXPECT_NE(message.find("finite and positive"), std::string::npos) << message;
  EXPECT_FALSE(TernaryAttr::getChecked(emit, &context, type, APFloat(0.0f), good.getPacked()));
  auto bigger = TernaryType::get(&context, 4, 4);
  EXPECT_FALSE(TernaryAttr::getChecked(emit, &context, bigger, APFloat(1.0f), good.getPacked()));
  EXPECT_NE(message.find("need 4 bytes"), std::string::npos) << message;
  EXPECT_TRUE(TernaryAttr::getChecked(emit, &context, type, APFloat(2.0f), good.getPacked()));
}

} // namespace

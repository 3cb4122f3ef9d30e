//===- NpyDtypesTest.cpp - .npy I/O of every tern_dtype -------------------===//
#include "tern/Runtime/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <unistd.h>

using namespace tern::runtime;

namespace {
std::string tempPath(const char *tag) {
  return (::testing::TempDir() + "tern_npy_" + tag + "_" + std::to_string(::getpid()) + ".npy");
}

// Each dtype: its numpy descr and element size.
struct Case {
  tern_dtype dtype;
  const char *descr;
  size_t size;
};
const Case kCases[] = {{TERN_F32, "<f4", 4},  {TERN_F64, "<f8", 8},  {TERN_F16, "<f2", 2},
                       {TERN_I64, "<i8", 8},  {TERN_I32, "<i4", 4},  {TERN_I16, "<i2", 2},
                       {TERN_I8, "|i1", 1},   {TERN_U8, "|u1", 1},   {TERN_U16, "<u2", 2},
                       {TERN_U32, "<u4", 4},  {TERN_U64, "<u8", 8},  {TERN_BOOL, "|b1", 1}};
} // namespace

TEST(NpyDtypes, RoundTripEveryDtype) {
  for (const Case &c : kCases) {
    EXPECT_EQ(dtypeSize(c.dtype), c.size) << dtypeName(c.dtype);
    Array a;
    a.dtype = c.dtype;
    a.shape = {2, 3};
    a.data.resize(6 * c.size);
    for (size_t i = 0; i < a.data.size(); ++i)
      a.data[i] = static_cast<char>(i * 37 + 1);
    std::string path = tempPath(dtypeName(c.dtype)), error;
    ASSERT_TRUE(writeNpy(path, a, error)) << error;
    // The header names numpy's descr for the dtype.
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find(std::string("'descr': '") + c.descr + "'"), std::string::npos)
        << dtypeName(c.dtype);
    Array b;
    ASSERT_TRUE(readNpy(path, b, error)) << error;
    EXPECT_EQ(b.dtype, c.dtype);
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(b.data, a.data);
    std::remove(path.c_str());
  }
}

TEST(NpyDtypes, UnknownDtypeIsAnErrorNamingIt) {
  std::string path = tempPath("c8"), error;
  std::string header = "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {static_cast<char>(header.size()), 0};
  out.write(len, 2);
  out << header << std::string(8, '\0');
  out.close();
  Array a;
  EXPECT_FALSE(readNpy(path, a, error));
  EXPECT_NE(error.find("unsupported dtype '<c8'"), std::string::npos) << error;
  std::remove(path.c_str());
}

TEST(NpyDtypes, HalfToFloat) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);            // largest finite
  EXPECT_EQ(halfToFloat(0x0400), std::ldexp(1.0f, -14)); // smallest normal
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::signbit(halfToFloat(0x8000)) && halfToFloat(0x8000) == 0.0f);
  EXPECT_EQ(halfToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(halfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));
}

//===- RuntimeRobustnessTest.cpp - the runtime refuses bad files cleanly --===//
//
// .npy headers are checked against the file before anything is allocated,
// and a shared library against its ELF extents before dlopen.
//
//===----------------------------------------------------------------------===//
#include "tern/Runtime/ElfCheck.h"
#include "tern/Runtime/Model.h"
#include "tern/Runtime/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <dlfcn.h>
#include <fstream>
#include <link.h>
#include <string>
#include <unistd.h>
#include <vector>

using namespace tern::runtime;

namespace {

std::string tempPath(const char *stem) {
  return std::string(::testing::TempDir()) + "/" + stem + "-" + std::to_string(::getpid());
}

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// A version-1 .npy file: magic, header length, header, payload.
std::string npy(const std::string &header, size_t payload) {
  std::string h = header + "\n";
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(h.size() & 0xff));
  out.push_back(static_cast<char>(h.size() >> 8));
  return out + h + std::string(payload, '\0');
}

std::string readError(const std::string &bytes) {
  std::string path = tempPath("bad.npy");
  writeFile(path, bytes);
  Array a;
  std::string error;
  bool ok = readNpy(path, a, error);
  std::remove(path.c_str());
  return ok ? std::string("accepted") : error;
}

TEST(Npy, HugeShapeIsRefusedBeforeAllocating) {
  std::string e = readError(
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1, 256), }", 3000));
  EXPECT_NE(e.find("needs"), std::string::npos) << e;
}

TEST(Npy, FourHundredDigitDimension) {
  std::string e = readError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                                    std::string(400, '9') + ",), }",
                                64));
  EXPECT_NE(e.find("malformed shape"), std::string::npos) << e;
}

TEST(Npy, OverflowingShape) {
  std::string e = readError(npy(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", 64));
  EXPECT_NE(e.find("overflows"), std::string::npos) << e;
}

TEST(Npy, NegativeAndGarbageDimensions) {
  EXPECT_NE(readError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", 24))
                .find("malformed shape"),
            std::string::npos);
  EXPECT_NE(readError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2x, 3), }", 24))
                .find("malformed shape"),
            std::string::npos);
}

TEST(Npy, ShortPayloadAndHeader) {
  EXPECT_NE(readError(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 23))
                .find("needs 24"),
            std::string::npos);
  std::string longHeader = std::string("\x93NUMPY\x02\x00\xff\xff\x00\x00", 12) + "{";
  EXPECT_NE(readError(longHeader).find("exceeds the file"), std::string::npos);
}

TEST(Npy, ByteOrderIsNamed) {
  std::string e =
      readError(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 24));
  EXPECT_NE(e.find("big-endian"), std::string::npos) << e;
}

TEST(Npy, ZeroSizeRoundTrip) {
  Array a;
  a.dtype = TERN_F32;
  a.shape = {0, 3};
  std::string path = tempPath("zero.npy"), error;
  ASSERT_TRUE(writeNpy(path, a, error)) << error;
  Array b;
  ASSERT_TRUE(readNpy(path, b, error)) << error;
  std::remove(path.c_str());
  EXPECT_EQ(b.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(b.data.empty());
  EXPECT_EQ(b.numElements(), 0);
}

/// The path of a shared library this process has loaded (libc or libstdc++).
std::string someSharedLibrary() {
  std::string found;
  dl_iterate_phdr(
      [](struct dl_phdr_info *info, size_t, void *data) {
        std::string name = info->dlpi_name ? info->dlpi_name : "";
        if (name.find("libc.so") != std::string::npos)
          *static_cast<std::string *>(data) = name;
        return 0;
      },
      &found);
  return found;
}

TEST(ElfCheck, CompleteLibraryPasses) {
  std::string lib = someSharedLibrary(), error;
  ASSERT_FALSE(lib.empty());
  EXPECT_TRUE(checkSharedObject(lib, error)) << error;
}

TEST(ElfCheck, TruncatedLibraryIsRefusedAndNeverLoaded) {
  std::string lib = someSharedLibrary();
  ASSERT_FALSE(lib.empty());
  std::ifstream in(lib, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (double frac : {0.0, 0.001, 0.3, 0.9, 0.999}) {
    std::string path = tempPath("trunc.so"), error;
    writeFile(path, bytes.substr(0, static_cast<size_t>(bytes.size() * frac)));
    EXPECT_FALSE(checkSharedObject(path, error)) << frac;
    EXPECT_FALSE(error.empty());
    // Model::load checks first: an error, not a SIGBUS inside dlopen.
    EXPECT_EQ(Model::load(path, error), nullptr);
    std::remove(path.c_str());
  }
}

TEST(ElfCheck, NotAnElfFile) {
  std::string path = tempPath("text.so"), error;
  writeFile(path, std::string(200, 'x'));
  EXPECT_FALSE(checkSharedObject(path, error));
  EXPECT_NE(error.find("no ELF magic"), std::string::npos) << error;
  std::remove(path.c_str());
}

} // namespace

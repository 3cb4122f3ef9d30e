//===- NpyFuzzer.cpp - libFuzzer target over the .npy reader --------------===//
//
// Writes the bytes to a file and reads it back as a .npy array: every input
// ends in an array whose data matches its shape, or in an error message;
// never a crash, a huge allocation or an uncaught exception.
//
//===----------------------------------------------------------------------===//
#include "tern/Runtime/Npy.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::string path = [] {
    char name[] = "/tmp/tern-npy-fuzz-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0)
      close(fd);
    return std::string(name);
  }();
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  tern::runtime::Array a;
  std::string error;
  if (tern::runtime::readNpy(path, a, error)) {
    int64_t bytes = 0;
    if (!tern::runtime::checkedBytes(a.shape, tern::runtime::dtypeSize(a.dtype), bytes) ||
        static_cast<size_t>(bytes) != a.data.size() || bytes > static_cast<int64_t>(size))
      std::abort(); // accepted an array its file cannot hold
  } else if (error.empty()) {
    std::abort(); // refused without saying why
  }
  return 0;
}

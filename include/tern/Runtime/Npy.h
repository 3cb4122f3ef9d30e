//===- Npy.h - .npy read/write for ternc run and tests --------------------===//
#ifndef TERN_RUNTIME_NPY_H
#define TERN_RUNTIME_NPY_H

#include "tern/Runtime/tern_runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tern::runtime {

/// A dense C-order array.
struct Array {
  tern_dtype dtype = TERN_F32;
  std::vector<int64_t> shape;
  std::vector<char> data;
  int64_t numElements() const;
};

/// `bytes` = elementSize x every dimension; false on a negative dimension or
/// an int64 overflow (shapes from files and callers are checked with it).
bool checkedBytes(const std::vector<int64_t> &shape, size_t elementSize, int64_t &bytes);

/// Bytes per element of a dtype.
size_t dtypeSize(tern_dtype dtype);
/// "float32", "int64", ... (numpy names).
const char *dtypeName(tern_dtype dtype);
/// The value of an IEEE binary16 bit pattern (for printing float16 arrays).
float halfToFloat(uint16_t bits);

/// Reads a .npy file (versions 1-3; float16/32/64, int8/16/32/64,
/// uint8/16/32/64, bool; little-endian; C order). Returns false with a message naming the
/// file on anything else (Fortran order, big-endian, other dtypes, a short
/// or malformed file).
bool readNpy(const std::string &path, Array &array, std::string &error);

/// Writes a version-1 .npy file.
bool writeNpy(const std::string &path, const Array &array, std::string &error);

} // namespace tern::runtime

#endif // TERN_RUNTIME_NPY_H

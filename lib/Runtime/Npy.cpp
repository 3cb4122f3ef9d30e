//===- Npy.cpp - .npy read/write ------------------------------------------===//
#include "tern/Runtime/Npy.h"

#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tern::runtime {

int64_t Array::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    if (__builtin_mul_overflow(n, d, &n))
      return -1; // callers check shapes first (checkedBytes); never wraps
  return n;
}

bool checkedBytes(const std::vector<int64_t> &shape, size_t elementSize, int64_t &bytes) {
  int64_t n = static_cast<int64_t>(elementSize);
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return false;
  bytes = n;
  return true;
}

size_t dtypeSize(tern_dtype dtype) {
  switch (dtype) {
  case TERN_F64:
  case TERN_I64:
  case TERN_U64:
    return 8;
  case TERN_F32:
  case TERN_I32:
  case TERN_U32:
    return 4;
  case TERN_F16:
  case TERN_I16:
  case TERN_U16:
    return 2;
  case TERN_I8:
  case TERN_U8:
  case TERN_BOOL:
    return 1;
  }
  return 0;
}

const char *dtypeName(tern_dtype dtype) {
  switch (dtype) {
  case TERN_F32: return "float32";
  case TERN_F64: return "float64";
  case TERN_I64: return "int64";
  case TERN_I32: return "int32";
  case TERN_I8: return "int8";
  case TERN_BOOL: return "bool";
  case TERN_U8: return "uint8";
  case TERN_I16: return "int16";
  case TERN_U16: return "uint16";
  case TERN_F16: return "float16";
  case TERN_U32: return "uint32";
  case TERN_U64: return "uint64";
  }
  return "unknown";
}

namespace {
struct Descr {
  const char *code;
  tern_dtype dtype;
};
// '<' little-endian, '|' not applicable (1-byte types).
constexpr Descr kDescrs[] = {{"<f4", TERN_F32}, {"<f8", TERN_F64},  {"<i8", TERN_I64},
                             {"<i4", TERN_I32}, {"|i1", TERN_I8},   {"|b1", TERN_BOOL},
                             {"|u1", TERN_U8},  {"<i2", TERN_I16},  {"<u2", TERN_U16},
                             {"<f2", TERN_F16}, {"<u4", TERN_U32},  {"<u8", TERN_U64}};

/// The value text of `'key': value` in a numpy header dict.
bool findValue(const std::string &header, const std::string &key, std::string &value) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos)
    return false;
  size_t colon = header.find(':', k);
  if (colon == std::string::npos)
    return false;
  size_t start = header.find_first_not_of(" ", colon + 1);
  if (start == std::string::npos)
    return false;
  size_t end;
  if (header[start] == '(')
    end = header.find(')', start) + 1;
  else if (header[start] == '\'')
    end = header.find('\'', start + 1) + 1;
  else
    end = header.find_first_of(",}", start);
  if (end == std::string::npos || end == 0 || end <= start)
    return false;
  value = header.substr(start, end - start);
  return true;
}
} // namespace

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13); // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else { // zero or subnormal: mant * 2^-24, exact in float
    float f = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -f : f;
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

bool readNpy(const std::string &path, Array &array, std::string &error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    error = path + ": cannot open file";
    return false;
  }
  // Every size in the header is checked against the file's before allocating.
  const int64_t fileSize = static_cast<int64_t>(in.tellg());
  in.seekg(0);
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = path + ": not a .npy file (bad magic)";
    return false;
  }
  uint32_t headerLen = 0;
  int major = static_cast<unsigned char>(magic[6]);
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char *>(b), 2)) {
      error = path + ": truncated header";
      return false;
    }
    headerLen = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char *>(b), 4)) {
      error = path + ": truncated header";
      return false;
    }
    headerLen = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t(b[3]) << 24);
  } else {
    error = path + ": unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (headerLen > (1u << 20) || static_cast<int64_t>(headerLen) > fileSize) {
    error = path + ": header length " + std::to_string(headerLen) + " exceeds the file (" +
            std::to_string(fileSize) + " bytes)";
    return false;
  }
  std::string header(headerLen, '\0');
  if (!in.read(header.data(), headerLen)) {
    error = path + ": truncated header";
    return false;
  }
  std::string descr, fortran, shape;
  if (!findValue(header, "descr", descr) || !findValue(header, "fortran_order", fortran) ||
      !findValue(header, "shape", shape)) {
    error = path + ": malformed header";
    return false;
  }
  if (fortran != "False") {
    error = path + ": Fortran-order arrays are not supported (save C order)";
    return false;
  }
  bool known = false;
  for (const Descr &d : kDescrs)
    if (descr == std::string("'") + d.code + "'" ||
        (d.code[0] == '|' && descr == std::string("'<") + (d.code + 1) + "'")) {
      array.dtype = d.dtype;
      known = true;
    }
  if (!known) {
    bool bigEndian = descr.size() > 1 && descr[1] == '>';
    error = path + ": unsupported dtype " + descr +
            (bigEndian ? " (big-endian byte order '>': save as little-endian '<', e.g. "
                         "a.astype(a.dtype.newbyteorder('<')))"
                       : " (float16/32/64, int8/16/32/64, uint8/16/32/64, bool; little-endian '<' "
                         "byte order)");
    return false;
  }
  array.shape.clear();
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') {
    error = path + ": malformed shape " + shape;
    return false;
  }
  std::string dims = shape.substr(1, shape.size() - 2);
  std::stringstream ss(dims);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t first = item.find_first_not_of(" ");
    if (first == std::string::npos)
      continue;
    size_t last = item.find_last_not_of(" ");
    std::string digits = item.substr(first, last - first + 1);
    errno = 0;
    char *endp = nullptr;
    long long v = std::strtoll(digits.c_str(), &endp, 10);
    if (digits.empty() || *endp != 0 || digits[0] == '-' || digits[0] == '+' || errno == ERANGE ||
        v < 0) {
      error = path + ": malformed shape " + (shape.size() > 80 ? shape.substr(0, 80) + "..." : shape) +
              " (each dimension must be a non-negative int64)";
      return false;
    }
    array.shape.push_back(v);
    if (array.shape.size() > 64) {
      error = path + ": shape has more than 64 dimensions";
      return false;
    }
  }
  int64_t bytes = 0;
  int64_t dataOffset = static_cast<int64_t>(in.tellg());
  int64_t available = fileSize - dataOffset;
  if (!checkedBytes(array.shape, dtypeSize(array.dtype), bytes)) {
    error = path + ": shape " + shape + " overflows int64 bytes";
    return false;
  }
  if (bytes > available) {
    error = path + ": file holds " + std::to_string(available) + " data bytes, its shape " +
            shape + " needs " + std::to_string(bytes);
    return false;
  }
  array.data.assign(static_cast<size_t>(bytes), 0);
  if (bytes && !in.read(array.data.data(), bytes)) {
    error = path + ": file holds fewer bytes than its shape " + shape + " needs";
    return false;
  }
  return true;
}

bool writeNpy(const std::string &path, const Array &array, std::string &error) {
  const char *code = nullptr;
  for (const Descr &d : kDescrs)
    if (d.dtype == array.dtype)
      code = d.code;
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i)
    shape += std::to_string(array.shape[i]) + (array.shape.size() == 1 ? "," : i + 1 < array.shape.size() ? ", " : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + code + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts at a multiple of 64 bytes, ending in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) {
    error = path + ": cannot create file";
    return false;
  }
  unsigned char preamble[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                static_cast<unsigned char>(header.size() & 0xff),
                                static_cast<unsigned char>(header.size() >> 8)};
  out.write(reinterpret_cast<const char *>(preamble), 10);
  out.write(header.data(), header.size());
  out.write(array.data.data(), array.data.size());
  if (!out) {
    error = path + ": write failed";
    return false;
  }
  return true;
}

} // namespace tern::runtime

//===- tern_hls.h - Tern's HLS compatibility header ------------------------===//
//
// Written for the Tern project and shipped in every generated package
// (firmware/tern_hls.h). Generated kernels use only what is declared here:
//
//  * integer types tern_i8 .. tern_i64, tern_u8 .. tern_u64, and the wide
//    weight words tern_word<W> (ap_uint<W>; TERN_WORD(W, "0x..") literals);
//  * tern_real, the element-wise number type: float, or with
//    TERN_HLS_MATH_FIXED=1 ap_fixed<32,16,AP_RND_CONV,AP_SAT> (Q16.16): its
//    own type under synthesis, and a bit-exact plain C++ model of it for C
//    simulation (products round half to even, quotients truncate toward
//    zero, every result saturates);
//  * element-wise functions tern_exp, tern_sqrt, tern_rsqrt, ... for tern_real.
//    This header is the package's hls_math shim: in float mode they are
//    hls:: math in synthesis and <cmath> in C simulation; in fixed mode they
//    are written once in integer arithmetic on the Q16.16 bits (no float or
//    double on the datapath), so the plain C++ build and the ap_fixed build
//    compute the same bits and need nothing from <hls_math.h>;
//  * TERN_LOCAL, the storage class of large local buffers (static in C
//    simulation so that big models do not overflow the host stack; nothing in
//    synthesis, where they become BRAM/URAM).
//
// Two builds:
//  * C simulation with any host C++ compiler (C++14 or newer): plain C++
//    types (<cstdint>, <cmath>) and a small fixed-point class for the fixed mode;
//  * a synthesis tool (__SYNTHESIS__, or TERN_HLS_USE_AP_TYPES for Vitis HLS's
//    own C simulation): ap_int / ap_fixed / hls::stream / hls_math.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_HLS_H
#define TERN_HLS_H

#ifndef TERN_HLS_MATH_FIXED
#define TERN_HLS_MATH_FIXED 0
#endif

#if defined(__SYNTHESIS__) || defined(TERN_HLS_USE_AP_TYPES)
#define TERN_HLS_AP_TYPES 1
#include <ap_fixed.h>
#include <ap_int.h>
#include <hls_stream.h>
#include <stdint.h>
#else
#define TERN_HLS_AP_TYPES 0
#include <cstdint>
#include <deque>
#endif
#if !TERN_HLS_MATH_FIXED
#if defined(__SYNTHESIS__)
#include <hls_math.h>
#else
#include <cmath>
#endif
#endif

#if TERN_HLS_AP_TYPES && defined(__SYNTHESIS__)
#define TERN_LOCAL
#else
#define TERN_LOCAL static
#endif

//===--- integers ---------------------------------------------------------===//

#if TERN_HLS_AP_TYPES
typedef ap_int<8> tern_i8;
typedef ap_int<16> tern_i16;
typedef ap_int<32> tern_i32;
typedef ap_int<64> tern_i64;
typedef ap_uint<8> tern_u8;
typedef ap_uint<16> tern_u16;
typedef ap_uint<32> tern_u32;
typedef ap_uint<64> tern_u64;
template <typename T> using tern_stream = hls::stream<T>;
#else
typedef int8_t tern_i8;
typedef int16_t tern_i16;
typedef int32_t tern_i32;
typedef int64_t tern_i64;
typedef uint8_t tern_u8;
typedef uint16_t tern_u16;
typedef uint32_t tern_u32;
typedef uint64_t tern_u64;

/// The C simulation model of hls::stream (host code, like Vitis's own model):
/// an unbounded FIFO.
template <typename T> class tern_stream {
public:
  void write(const T &v) { data_.push_back(v); }
  T read() {
    T v = data_.front();
    data_.pop_front();
    return v;
  }
  bool empty() const { return data_.empty(); }
  bool full() const { return false; }

private:
  std::deque<T> data_;
};
#endif

//===--- wide weight words ----------------------------------------------------===//

// tern_word<W>: a W-bit weight word (W a multiple of 64): ap_uint<W> in
// synthesis; in C simulation a plain little-endian array of 64-bit limbs
// with what the kernels use (from an integer, logical shift right,
// truncation to a narrower integer).
#if TERN_HLS_AP_TYPES
template <int W> using tern_word = ap_uint<W>;
#define TERN_WORD(W, HEX) ap_uint<W>(HEX, 16)
template <int W> static inline tern_word<W> tern_word_from_bytes(const uint8_t *b) {
  tern_word<W> w = 0;
  for (int k = 0; k < W / 8; ++k)
    w.range(8 * k + 7, 8 * k) = b[k];
  return w;
}
#else
template <int W> class tern_word {
  static_assert(W % 64 == 0, "tern_word: W must be a multiple of 64");
  uint64_t q_[W / 64];

public:
  tern_word() : q_() {}
  tern_word(unsigned long long v) : q_() { q_[0] = v; }
  tern_word(long long v) : q_() { q_[0] = static_cast<uint64_t>(v); }
  tern_word(int v) : q_() { q_[0] = static_cast<uint64_t>(static_cast<long long>(v)); }
  tern_word operator>>(const tern_word &amount) const {
    bool big = false;
    for (int i = 1; i < W / 64; ++i)
      big = big || amount.q_[i];
    return big || amount.q_[0] >= static_cast<uint64_t>(W) ? tern_word()
                                                          : *this >> static_cast<int>(amount.q_[0]);
  }
  tern_word operator>>(int n) const {
    tern_word r;
    int limbs = n / 64, bits = n % 64;
    for (int i = 0; i + limbs < W / 64; ++i) {
      uint64_t lo = q_[i + limbs] >> bits;
      uint64_t hi = bits && i + limbs + 1 < W / 64 ? q_[i + limbs + 1] << (64 - bits) : 0;
      r.q_[i] = lo | hi;
    }
    return r;
  }
  /// From "0x<hex digits>", most significant first (ROM initializers).
  explicit tern_word(const char *hex) : q_() {
    const char *end = hex + 2;
    while (*end)
      ++end;
    int bit = 0;
    for (const char *c = end - 1; c >= hex + 2 && bit < W; --c, bit += 4) {
      uint64_t d = *c <= '9' ? *c - '0' : (*c | 0x20) - 'a' + 10;
      q_[bit / 64] |= d << (bit % 64);
    }
  }
  template <typename T> explicit operator T() const { return static_cast<T>(q_[0]); }
  void set_byte(int k, uint8_t v) {
    q_[k / 8] = (q_[k / 8] & ~(uint64_t(0xFF) << (8 * (k % 8)))) | (uint64_t(v) << (8 * (k % 8)));
  }
};
#define TERN_WORD(W, HEX) tern_word<W>(HEX)
template <int W> static inline tern_word<W> tern_word_from_bytes(const uint8_t *b) {
  tern_word<W> w;
  for (int k = 0; k < W / 8; ++k)
    w.set_byte(k, b[k]);
  return w;
}
#endif

//===--- AXI4-Stream beats ---------------------------------------------------===//
//
// tern_axis<T>: one AXI4-Stream beat carrying a T with TKEEP/TSTRB and TLAST
// (no TUSER/TID/TDEST). Vitis HLS: hls::axis<T, 0, 0, 0> from
// <ap_axi_sdata.h>. The open-source ap_types headers (hls4ml) and the plain
// C++ build lack that header: this struct has the same fields.

#if defined(__SYNTHESIS__) ||                                                                      \
    (TERN_HLS_AP_TYPES && defined(__has_include) && __has_include(<ap_axi_sdata.h>))
#include <ap_axi_sdata.h>
template <typename T> using tern_axis = hls::axis<T, 0, 0, 0>;
#else
template <typename T> struct tern_axis {
  T data;
  tern_u64 keep; ///< byte enables, all ones: every byte of data is valid
  tern_u64 strb;
  bool last; ///< TLAST: the last beat of a tensor
};
#endif

//===--- tern_real: float ---------------------------------------------------===//

#if !TERN_HLS_MATH_FIXED
typedef float tern_real;

// hls:: math in synthesis; <cmath> in C simulation (also with the
// open-source ap_types headers, whose hls_math.h lacks most functions).
#if defined(__SYNTHESIS__)
#define TERN_MATH_NS hls
#else
#define TERN_MATH_NS std
#endif

static inline float tern_exp(float x) { return TERN_MATH_NS::exp(x); }
static inline float tern_exp2(float x) { return TERN_MATH_NS::exp2(x); }
static inline float tern_log(float x) { return TERN_MATH_NS::log(x); }
static inline float tern_log2(float x) { return TERN_MATH_NS::log2(x); }
static inline float tern_sqrt(float x) { return TERN_MATH_NS::sqrt(x); }
static inline float tern_rsqrt(float x) { return 1.0f / TERN_MATH_NS::sqrt(x); }
static inline float tern_tanh(float x) { return TERN_MATH_NS::tanh(x); }
static inline float tern_floor(float x) { return TERN_MATH_NS::floor(x); }
static inline float tern_ceil(float x) { return TERN_MATH_NS::ceil(x); }
static inline float tern_abs(float x) { return TERN_MATH_NS::fabs(x); }
static inline float tern_pow(float x, float y) { return TERN_MATH_NS::pow(x, y); }
static inline float tern_fmod(float x, float y) { return TERN_MATH_NS::fmod(x, y); }
static inline float tern_erf(float x) { return TERN_MATH_NS::erf(x); }
static inline bool tern_isnan(float x) { return x != x; }
static inline float tern_to_float(float x) { return x; }
#define TERN_INF (__builtin_huge_valf())
#define TERN_NAN (__builtin_nanf(""))

/// Round half to even (ONNX Round), without a rounding-mode dependency.
static inline float tern_roundeven(float x) {
  float f = tern_floor(x), d = x - f;
  if (d > 0.5f)
    return f + 1.0f;
  if (d < 0.5f)
    return f;
  return tern_floor(f * 0.5f) == f * 0.5f ? f : f + 1.0f;
}
/// Round half away from zero.
static inline float tern_round(float x) {
  return x < 0.0f ? -tern_floor(0.5f - x) : tern_floor(x + 0.5f);
}
/// Float to integer, truncating toward zero (arith.fptosi / fptoui).
template <typename T> static inline T tern_fptosi(float x) { return static_cast<T>(x); }
/// Integer to float (arith.sitofp / uitofp).
template <typename T> static inline float tern_itofp(T v) { return static_cast<float>(v); }

#else // TERN_HLS_MATH_FIXED

//===--- tern_real: fixed point (Q16.16) --------------------------------------===//
//
// ap_fixed<32,16,AP_RND_CONV,AP_SAT>. Formats per stage: every element-wise
// value (RMSNorm, quantization scales, rescale, gates, the recurrent state)
// is Q16.16: range [-32768, 32768), resolution 2^-16. Ternary accumulations
// stay exact integers (int8 x trit -> int32). Within one operation:
//   a + b, a - b, -a   exact, then saturate;
//   a * b              exact 64-bit product, round half to even to 2^-16, saturate;
//   a / b              (a << 16) / b truncated toward zero (ap_fixed's
//                      48-bit integer division: -32768 / -2^-16 wraps to
//                      -32768), saturate; b == 0 saturates (C sim).
// Each emitted statement assigns one operation to a tern_real variable, so
// ap_fixed's wide intermediate types never leak into the next operation.

#if TERN_HLS_AP_TYPES
typedef ap_fixed<32, 16, AP_RND_CONV, AP_SAT> tern_real;
static inline int64_t tern_fx_raw(tern_real x) { return x.range(31, 0).to_int(); }
static inline tern_real tern_fx_from_raw(int64_t r) {
  tern_real t;
  t.range(31, 0) = static_cast<int>(r > 2147483647 ? 2147483647
                                    : r < -2147483647 - 1 ? -2147483647 - 1 : r);
  return t;
}
template <typename T> static inline tern_real tern_fx_from_int(T v) { return tern_real(v); }
#else
/// The bit-exact C++ model of ap_fixed<32,16,AP_RND_CONV,AP_SAT> (see above).
class tern_real {
public:
  tern_real() : raw_(0) {}
  // Literal constants of the kernel (compile-time conversion, round half to
  // even like ap_fixed's constructor from float).
  tern_real(float v) : raw_(fromDouble(static_cast<double>(v))) {}
  tern_real(double v) : raw_(fromDouble(v)) {}
  tern_real(int v) : raw_(saturate(static_cast<int64_t>(v) * kOne)) {}
  static tern_real fromRaw(int64_t r) {
    tern_real t;
    t.raw_ = saturate(r);
    return t;
  }
  static tern_real fromInt(int64_t v) {
    return fromRaw(v > kMaxInt ? kMax : v < -kMaxInt - 1 ? kMin : v * kOne);
  }
  float to_float() const { return static_cast<float>(static_cast<double>(raw_) / kOne); }
  int32_t raw() const { return raw_; }

  tern_real operator-() const { return fromRaw(-static_cast<int64_t>(raw_)); }
  friend tern_real operator+(tern_real a, tern_real b) {
    return fromRaw(static_cast<int64_t>(a.raw_) + b.raw_);
  }
  friend tern_real operator-(tern_real a, tern_real b) {
    return fromRaw(static_cast<int64_t>(a.raw_) - b.raw_);
  }
  friend tern_real operator*(tern_real a, tern_real b) {
    int64_t p = static_cast<int64_t>(a.raw_) * b.raw_;
    int64_t q = p >> kFrac; // floor
    int64_t rem = p - q * kOne, half = kOne / 2;
    if (rem > half || (rem == half && (q & 1)))
      ++q;
    return fromRaw(q);
  }
  friend tern_real operator/(tern_real a, tern_real b) {
    if (b.raw_ == 0)
      return fromRaw(a.raw_ >= 0 ? kMax : kMin);
    // Truncates toward zero. ap_fixed divides in 48 bits: the one quotient
    // that does not fit, -2^47 / -1, wraps to -2^47 (then saturates to min).
    int64_t q = static_cast<int64_t>(a.raw_) * kOne / b.raw_;
    return fromRaw(q == (int64_t(1) << 47) ? -q : q);
  }
  tern_real &operator+=(tern_real o) { return *this = *this + o; }
  tern_real &operator-=(tern_real o) { return *this = *this - o; }
  tern_real &operator*=(tern_real o) { return *this = *this * o; }
  tern_real &operator/=(tern_real o) { return *this = *this / o; }
  friend bool operator==(tern_real a, tern_real b) { return a.raw_ == b.raw_; }
  friend bool operator!=(tern_real a, tern_real b) { return a.raw_ != b.raw_; }
  friend bool operator<(tern_real a, tern_real b) { return a.raw_ < b.raw_; }
  friend bool operator<=(tern_real a, tern_real b) { return a.raw_ <= b.raw_; }
  friend bool operator>(tern_real a, tern_real b) { return a.raw_ > b.raw_; }
  friend bool operator>=(tern_real a, tern_real b) { return a.raw_ >= b.raw_; }

private:
  static const int kFrac = 16;
  static const int64_t kOne = int64_t(1) << kFrac;
  static const int64_t kMax = 2147483647, kMin = -2147483647 - 1;
  static const int64_t kMaxInt = (int64_t(1) << 15) - 1;
  static int32_t saturate(int64_t r) {
    return static_cast<int32_t>(r > kMax ? kMax : r < kMin ? kMin : r);
  }
  static int32_t fromDouble(double v) {
    if (v != v)
      return 0;
    double scaled = v * static_cast<double>(kOne);
    if (scaled >= static_cast<double>(kMax))
      return static_cast<int32_t>(kMax);
    if (scaled <= static_cast<double>(kMin))
      return static_cast<int32_t>(kMin);
    double f = static_cast<double>(static_cast<int64_t>(scaled));
    if (f > scaled)
      f -= 1.0; // floor
    double d = scaled - f;
    int64_t q = static_cast<int64_t>(f);
    if (d > 0.5 || (d == 0.5 && (q & 1)))
      ++q;
    return saturate(q);
  }
  int32_t raw_;
};
static inline int64_t tern_fx_raw(tern_real x) { return x.raw(); }
static inline tern_real tern_fx_from_raw(int64_t r) { return tern_real::fromRaw(r); }
template <typename T> static inline tern_real tern_fx_from_int(T v) {
  return tern_real::fromInt(static_cast<int64_t>(v));
}
#endif

// The functions below work on the Q16.16 bits with 64-bit integer arithmetic
// only: the same code, and so the same bits, in both builds.
static const int64_t TERN_FX_ONE = 65536;
static const int64_t TERN_FX_MAX = 2147483647;

static inline float tern_to_float(tern_real x) { // testbench output only
  return static_cast<float>(tern_fx_raw(x)) * (1.0f / 65536.0f);
}
static inline bool tern_isnan(tern_real) { return false; }
#define TERN_INF (tern_fx_from_raw(2147483647))
#define TERN_NAN (tern_fx_from_raw(0))

/// floor(sqrt(n)) of n >= 0 (< 2^62), bit by bit.
static inline int64_t tern_fx_isqrt(int64_t n) {
  int64_t root = 0, bit = int64_t(1) << 62;
  while (bit > n)
    bit >>= 2;
  for (int i = 0; i < 32 && bit != 0; ++i) {
    if (n >= root + bit) {
      n -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return root;
}
/// sqrt(n) rounded to nearest: floor, plus one when n - s^2 > s.
static inline int64_t tern_fx_isqrt_round(int64_t n) {
  int64_t s = tern_fx_isqrt(n);
  return n - s * s > s ? s + 1 : s;
}
static inline tern_real tern_sqrt(tern_real x) {
  int64_t r = tern_fx_raw(x);
  return tern_fx_from_raw(r <= 0 ? 0 : tern_fx_isqrt_round(r << 16));
}
static inline tern_real tern_rsqrt(tern_real x) {
  int64_t r = tern_fx_raw(x);
  // 2^16 / sqrt(r / 2^16) = sqrt(2^48 / r)
  return tern_fx_from_raw(r <= 0 ? TERN_FX_MAX : tern_fx_isqrt_round((int64_t(1) << 48) / r));
}
/// 2^y for y in Q16.48 fixed point (|y| < 2^15): 2^frac by a degree-9
/// polynomial of e^u (u = frac ln 2, Horner in Q2.30), shifted by 2^int.
static inline tern_real tern_fx_exp2_q48(int64_t y) {
  int64_t k = y >> 48;                                  // floor
  int64_t f30 = (y - (k << 48)) >> 18;                  // [0, 1) in Q30
  if (k >= 15)
    return tern_fx_from_raw(TERN_FX_MAX);
  if (k < -17)
    return tern_fx_from_raw(0);
  int64_t u = (f30 * 744261118) >> 30;                  // f ln 2, Q30
  static const int64_t c[10] = {1073741824, 1073741824, 536870912, 178956971, 44739243,
                                8947849,    1491308,    213044,    26631,     2959};
  int64_t p = c[9];
  for (int i = 8; i >= 0; --i)
    p = c[i] + ((p * u) >> 30);                         // e^u in Q30, [1, 2)
  int64_t shift = 14 - k;                               // Q30 * 2^k -> Q16
  if (shift <= 0)
    return tern_fx_from_raw(p << -shift);
  return tern_fx_from_raw((p + (int64_t(1) << (shift - 1))) >> shift);
}
static inline tern_real tern_exp(tern_real x) {
  int64_t r = tern_fx_raw(x);
  if (r > 12 * TERN_FX_ONE)
    return tern_fx_from_raw(TERN_FX_MAX);
  if (r < -12 * TERN_FX_ONE)
    return tern_fx_from_raw(0);
  return tern_fx_exp2_q48(r * 6196328019LL); // x log2(e), log2(e) in Q32
}
static inline tern_real tern_exp2(tern_real x) {
  int64_t r = tern_fx_raw(x);
  if (r > 16 * TERN_FX_ONE)
    return tern_fx_from_raw(TERN_FX_MAX);
  if (r < -18 * TERN_FX_ONE)
    return tern_fx_from_raw(0);
  return tern_fx_exp2_q48(r << 32);
}
/// log2(x) in Q16.16 for x > 0: the position of the leading one, then 16
/// fraction bits by repeated squaring of the mantissa (Q2.30).
static inline int64_t tern_fx_log2_raw(int64_t r) {
  int64_t e = 0;
  int64_t m = r;
  while (m >= 2 * TERN_FX_ONE) {
    m >>= 1;
    ++e;
  }
  while (m < TERN_FX_ONE) {
    m <<= 1;
    --e;
  }
  // mantissa of r (not of the shifted m, which lost bits): r / 2^e in Q30
  int64_t mant = e >= 0 ? (r << 14) >> e : (r << 14) << -e;
  int64_t frac = 0;
  for (int i = 0; i < 16; ++i) {
    mant = (mant * mant) >> 30;
    frac <<= 1;
    if (mant >= (int64_t(2) << 30)) {
      mant >>= 1;
      frac |= 1;
    }
  }
  return e * TERN_FX_ONE + frac;
}
static inline tern_real tern_log2(tern_real x) {
  int64_t r = tern_fx_raw(x);
  return tern_fx_from_raw(r <= 0 ? -TERN_FX_MAX - 1 : tern_fx_log2_raw(r));
}
static inline tern_real tern_log(tern_real x) {
  int64_t r = tern_fx_raw(x);
  if (r <= 0)
    return tern_fx_from_raw(-TERN_FX_MAX - 1);
  return tern_fx_from_raw((tern_fx_log2_raw(r) * 2977044472LL + (int64_t(1) << 31)) >> 32);
}
static inline tern_real tern_pow(tern_real x, tern_real y) {
  int64_t r = tern_fx_raw(x);
  if (r <= 0)
    return tern_fx_from_raw(0);
  int64_t l = tern_fx_log2_raw(r) * tern_fx_raw(y); // Q32 (|l| < 2^47)
  if (l > (int64_t(16) << 32))
    return tern_fx_from_raw(TERN_FX_MAX);
  if (l < -(int64_t(18) << 32))
    return tern_fx_from_raw(0);
  return tern_fx_exp2_q48(l << 16);
}
static inline tern_real tern_floor(tern_real x) {
  int64_t r = tern_fx_raw(x);
  return tern_fx_from_raw(r - (r & (TERN_FX_ONE - 1)));
}
static inline tern_real tern_ceil(tern_real x) {
  int64_t r = tern_fx_raw(x);
  int64_t f = r & (TERN_FX_ONE - 1);
  return tern_fx_from_raw(f ? r - f + TERN_FX_ONE : r);
}
static inline tern_real tern_abs(tern_real x) {
  int64_t r = tern_fx_raw(x);
  return tern_fx_from_raw(r < 0 ? -r : r);
}
static inline tern_real tern_fmod(tern_real x, tern_real y) {
  int64_t b = tern_fx_raw(y);
  return tern_fx_from_raw(b == 0 ? 0 : tern_fx_raw(x) % b); // C fmod: sign of x
}
/// tanh(x) = 1 - 2 / (e^{2x} + 1), saturating to +-1 beyond |x| >= 9.
static inline tern_real tern_tanh(tern_real x) {
  int64_t r = tern_fx_raw(x);
  if (r >= 9 * TERN_FX_ONE || r <= -9 * TERN_FX_ONE)
    return tern_fx_from_raw(r > 0 ? TERN_FX_ONE : -TERN_FX_ONE);
  int64_t e = tern_fx_raw(tern_exp(tern_fx_from_raw(2 * r)));
  return tern_fx_from_raw(TERN_FX_ONE - (2 * TERN_FX_ONE * TERN_FX_ONE) / (e + TERN_FX_ONE));
}
/// erf: Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7) in Q2.30 integers.
static inline tern_real tern_erf(tern_real x) {
  int64_t r = tern_fx_raw(x);
  int64_t a = r < 0 ? -r : r;
  if (a >= 6 * TERN_FX_ONE)
    return tern_fx_from_raw(r < 0 ? -TERN_FX_ONE : TERN_FX_ONE);
  const int64_t one30 = int64_t(1) << 30;
  int64_t t = (one30 << 16) / (TERN_FX_ONE + ((a * 351748265) >> 30)); // 1 / (1 + p a), Q30
  static const int64_t c[5] = {273621191, -305476044, 1526231383, -1560310108, 1139675401};
  int64_t poly = c[4];
  for (int i = 3; i >= 0; --i)
    poly = c[i] + ((poly * t) >> 30);
  poly = (poly * t) >> 30;
  int64_t e = tern_fx_raw(tern_exp(tern_fx_from_raw(-((a * a) >> 16)))); // e^{-a^2}, Q16
  int64_t y = TERN_FX_ONE - ((poly * e) >> 30);
  return tern_fx_from_raw(r < 0 ? -y : y);
}
/// Round half to even (ONNX Round) / half away from zero, on the bits.
static inline tern_real tern_roundeven(tern_real x) {
  int64_t r = tern_fx_raw(x), q = r >> 16, rem = r & (TERN_FX_ONE - 1);
  if (rem > TERN_FX_ONE / 2 || (rem == TERN_FX_ONE / 2 && (q & 1)))
    ++q;
  return tern_fx_from_raw(q * TERN_FX_ONE);
}
static inline tern_real tern_round(tern_real x) {
  int64_t r = tern_fx_raw(x), a = r < 0 ? -r : r;
  int64_t q = (a + TERN_FX_ONE / 2) >> 16;
  return tern_fx_from_raw((r < 0 ? -q : q) * TERN_FX_ONE);
}
/// Fixed to integer, truncating toward zero (arith.fptosi / fptoui).
template <typename T> static inline T tern_fptosi(tern_real x) {
  int64_t r = tern_fx_raw(x);
  return T(r >= 0 ? r >> 16 : -((-r) >> 16));
}
/// Integer to fixed, saturating (arith.sitofp / uitofp), without floats.
template <typename T> static inline tern_real tern_itofp(T v) { return tern_fx_from_int(v); }
#endif // TERN_HLS_MATH_FIXED

//===--- helpers shared by both number types --------------------------------===//

/// maximumf / minimumf (NaN wins) and maxnumf / minnumf (NaN loses).
static inline tern_real tern_maximum(tern_real a, tern_real b) {
  return tern_isnan(a) ? a : tern_isnan(b) ? b : (a < b ? b : a);
}
static inline tern_real tern_minimum(tern_real a, tern_real b) {
  return tern_isnan(a) ? a : tern_isnan(b) ? b : (b < a ? b : a);
}
static inline tern_real tern_maxnum(tern_real a, tern_real b) {
  return tern_isnan(a) ? b : tern_isnan(b) ? a : (a < b ? b : a);
}
static inline tern_real tern_minnum(tern_real a, tern_real b) {
  return tern_isnan(a) ? b : tern_isnan(b) ? a : (b < a ? b : a);
}

#endif // TERN_HLS_H

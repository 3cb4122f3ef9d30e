//===- tern_hls.h - Tern's HLS compatibility header ------------------------===//
//
// Written for the Tern project and shipped in every generated package
// (firmware/tern_hls.h). Generated kernels use only what is declared here:
//
//  * integer types tern_i8 .. tern_i64, tern_u8 .. tern_u64;
//  * tern_real, the element-wise number type: float, or with
//    TERN_HLS_MATH_FIXED=1 a 32-bit fixed-point number with 16 integer bits
//    (ap_fixed<32,16,AP_RND_CONV,AP_SAT> semantics: round half to even on
//    conversion, saturation on overflow);
//  * element-wise functions tern_exp, tern_sqrt, tern_rsqrt, ... for tern_real;
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
#include <hls_math.h>
#include <hls_stream.h>
#else
#define TERN_HLS_AP_TYPES 0
#include <cmath>
#include <cstdint>
#include <deque>
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

//===--- tern_real: float ---------------------------------------------------===//

#if !TERN_HLS_MATH_FIXED
typedef float tern_real;

#if TERN_HLS_AP_TYPES
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
#define TERN_INF (__builtin_huge_valf())
#define TERN_NAN (__builtin_nanf(""))

#else // TERN_HLS_MATH_FIXED

//===--- tern_real: fixed point ---------------------------------------------===//

#if TERN_HLS_AP_TYPES
typedef ap_fixed<32, 16, AP_RND_CONV, AP_SAT> tern_real;
static inline tern_real tern_exp(tern_real x) { return hls::exp(x); }
static inline tern_real tern_exp2(tern_real x) { return hls::exp2(x); }
static inline tern_real tern_log(tern_real x) { return hls::log(x); }
static inline tern_real tern_log2(tern_real x) { return hls::log2(x); }
static inline tern_real tern_sqrt(tern_real x) { return hls::sqrt(x); }
static inline tern_real tern_rsqrt(tern_real x) { return hls::rsqrt(x); }
static inline tern_real tern_tanh(tern_real x) { return hls::tanh(x); }
static inline tern_real tern_floor(tern_real x) { return hls::floor(x); }
static inline tern_real tern_ceil(tern_real x) { return hls::ceil(x); }
static inline tern_real tern_abs(tern_real x) { return hls::abs(x); }
static inline tern_real tern_pow(tern_real x, tern_real y) { return hls::pow(x, y); }
static inline tern_real tern_fmod(tern_real x, tern_real y) { return hls::fmod(x, y); }
static inline tern_real tern_erf(tern_real x) { return tern_real(hls::erf(x.to_float())); }
static inline float tern_to_float(tern_real x) { return x.to_float(); }
#else
/// Q16.16 in 32 bits with ap_fixed<32,16,AP_RND_CONV,AP_SAT> semantics:
/// conversions and products round half to even, results saturate. The C
/// simulation evaluates transcendental functions in double precision and
/// rounds the result, as an exact fixed-point implementation would.
class tern_real {
public:
  tern_real() : raw_(0) {}
  tern_real(float v) : raw_(fromDouble(static_cast<double>(v))) {}
  tern_real(double v) : raw_(fromDouble(v)) {}
  tern_real(int v) : raw_(saturate(static_cast<int64_t>(v) * kOne)) {}
  tern_real(int64_t v) : raw_(v > kMaxInt ? kMax : v < -kMaxInt - 1 ? kMin : saturate(v * kOne)) {}
  static tern_real fromRaw(int64_t r) {
    tern_real t;
    t.raw_ = saturate(r);
    return t;
  }
  double toDouble() const { return static_cast<double>(raw_) / kOne; }
  float to_float() const { return static_cast<float>(toDouble()); }
  int64_t to_int64() const { // truncation toward zero, like ap_fixed
    return raw_ >= 0 ? raw_ / kOne : -((-static_cast<int64_t>(raw_)) / kOne);
  }
  int32_t raw() const { return raw_; }

  tern_real operator-() const { return fromRaw(-static_cast<int64_t>(raw_)); }
  friend tern_real operator+(tern_real a, tern_real b) {
    return fromRaw(static_cast<int64_t>(a.raw_) + b.raw_);
  }
  friend tern_real operator-(tern_real a, tern_real b) {
    return fromRaw(static_cast<int64_t>(a.raw_) - b.raw_);
  }
  friend tern_real operator*(tern_real a, tern_real b) {
    return fromRaw(roundShift(static_cast<int64_t>(a.raw_) * b.raw_, kFrac));
  }
  friend tern_real operator/(tern_real a, tern_real b) {
    if (b.raw_ == 0)
      return fromRaw(a.raw_ >= 0 ? kMax : kMin);
    // (a << 16) / b, rounded half to even.
    int64_t num = static_cast<int64_t>(a.raw_) * kOne, den = b.raw_;
    int64_t q = num / den, r = num % den;
    int64_t twice = 2 * (r < 0 ? -r : r), mag = den < 0 ? -den : den;
    bool negative = (num < 0) != (den < 0);
    if (twice > mag || (twice == mag && (q & 1)))
      q += negative ? -1 : 1;
    return fromRaw(q);
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
  static int64_t roundShift(int64_t v, int s) {
    int64_t q = v >> s; // floor
    int64_t rem = v - (q << s), half = int64_t(1) << (s - 1);
    if (rem > half || (rem == half && (q & 1)))
      ++q;
    return q;
  }
  static int32_t fromDouble(double v) {
    if (v != v)
      return 0;
    double scaled = v * static_cast<double>(kOne);
    if (scaled >= static_cast<double>(kMax))
      return static_cast<int32_t>(kMax);
    if (scaled <= static_cast<double>(kMin))
      return static_cast<int32_t>(kMin);
    double f = std::floor(scaled), d = scaled - f;
    int64_t q = static_cast<int64_t>(f);
    if (d > 0.5 || (d == 0.5 && (q & 1)))
      ++q;
    return saturate(q);
  }
  int32_t raw_;
};
static inline tern_real tern_exp(tern_real x) { return tern_real(std::exp(x.toDouble())); }
static inline tern_real tern_exp2(tern_real x) { return tern_real(std::exp2(x.toDouble())); }
static inline tern_real tern_log(tern_real x) { return tern_real(std::log(x.toDouble())); }
static inline tern_real tern_log2(tern_real x) { return tern_real(std::log2(x.toDouble())); }
static inline tern_real tern_sqrt(tern_real x) { return tern_real(std::sqrt(x.toDouble())); }
static inline tern_real tern_rsqrt(tern_real x) {
  return x.raw() <= 0 ? tern_real::fromRaw(2147483647) : tern_real(1.0 / std::sqrt(x.toDouble()));
}
static inline tern_real tern_tanh(tern_real x) { return tern_real(std::tanh(x.toDouble())); }
static inline tern_real tern_floor(tern_real x) { return tern_real(std::floor(x.toDouble())); }
static inline tern_real tern_ceil(tern_real x) { return tern_real(std::ceil(x.toDouble())); }
static inline tern_real tern_abs(tern_real x) { return x < tern_real(0) ? -x : x; }
static inline tern_real tern_pow(tern_real x, tern_real y) {
  return tern_real(std::pow(x.toDouble(), y.toDouble()));
}
static inline tern_real tern_fmod(tern_real x, tern_real y) {
  return tern_real(std::fmod(x.toDouble(), y.toDouble()));
}
static inline tern_real tern_erf(tern_real x) { return tern_real(std::erf(x.toDouble())); }
static inline float tern_to_float(tern_real x) { return x.to_float(); }
#endif
static inline bool tern_isnan(tern_real) { return false; }
#define TERN_INF (tern_real(32767.0f))
#define TERN_NAN (tern_real(0.0f))
#endif // TERN_HLS_MATH_FIXED

//===--- helpers shared by both number types --------------------------------===//

#if !TERN_HLS_MATH_FIXED
static inline float tern_to_float(float x) { return x; }
#endif

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
/// Round half to even (ONNX Round), without a rounding-mode dependency.
static inline tern_real tern_roundeven(tern_real x) {
  // (Results of ap_fixed arithmetic are wider types: convert explicitly.)
  tern_real f = tern_floor(x), d = tern_real(x - f);
  const tern_real half(0.5f), one(1.0f), two(2.0f);
  const tern_real up = tern_real(f + one);
  if (d > half)
    return up;
  if (d < half)
    return f;
  tern_real halfF = tern_real(f / two);
  return tern_floor(halfF) == halfF ? f : up;
}
/// Round half away from zero.
static inline tern_real tern_round(tern_real x) {
  const tern_real half(0.5f), zero(0.0f);
  return x < zero ? tern_real(-tern_floor(tern_real(half - x))) : tern_floor(tern_real(x + half));
}
/// Float to integer, truncating toward zero (arith.fptosi / fptoui).
template <typename T> static inline T tern_fptosi(tern_real x) {
#if TERN_HLS_MATH_FIXED
#if TERN_HLS_AP_TYPES
  return T(x.to_int64());
#else
  return static_cast<T>(x.to_int64());
#endif
#else
  return static_cast<T>(x);
#endif
}
/// Integer to float (arith.sitofp / uitofp).
template <typename T> static inline tern_real tern_itofp(T v) {
#if TERN_HLS_MATH_FIXED
  return tern_real(static_cast<double>(static_cast<int64_t>(v)));
#else
  return static_cast<float>(v);
#endif
}

#endif // TERN_HLS_H

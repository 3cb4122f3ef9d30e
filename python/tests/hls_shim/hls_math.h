// Test shim: the hls:: math functions used by tern_hls.h, for C simulation
// with the open-source AMD ap_int/ap_fixed headers (no Vitis installed).
#ifndef TERN_TEST_HLS_MATH_SHIM_H
#define TERN_TEST_HLS_MATH_SHIM_H
#include <ap_fixed.h>
#include <cmath>
namespace hls {
#define TERN_SHIM1(NAME, STD)                                                                  \
  inline float NAME(float x) { return std::STD(x); }                                          \
  template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>                                    \
  ap_fixed<W, I, Q, O, N> NAME(ap_fixed<W, I, Q, O, N> x) {                                   \
    return ap_fixed<W, I, Q, O, N>(std::STD(x.to_double()));                                  \
  }
TERN_SHIM1(exp, exp)
TERN_SHIM1(exp2, exp2)
TERN_SHIM1(log, log)
TERN_SHIM1(log2, log2)
TERN_SHIM1(sqrt, sqrt)
TERN_SHIM1(tanh, tanh)
TERN_SHIM1(floor, floor)
TERN_SHIM1(ceil, ceil)
TERN_SHIM1(fabs, fabs)
TERN_SHIM1(abs, fabs)
TERN_SHIM1(erf, erf)
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
ap_fixed<W, I, Q, O, N> rsqrt(ap_fixed<W, I, Q, O, N> x) {
  return ap_fixed<W, I, Q, O, N>(1.0 / std::sqrt(x.to_double()));
}
inline float pow(float x, float y) { return std::pow(x, y); }
inline float fmod(float x, float y) { return std::fmod(x, y); }
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
ap_fixed<W, I, Q, O, N> pow(ap_fixed<W, I, Q, O, N> x, ap_fixed<W, I, Q, O, N> y) {
  return ap_fixed<W, I, Q, O, N>(std::pow(x.to_double(), y.to_double()));
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
ap_fixed<W, I, Q, O, N> fmod(ap_fixed<W, I, Q, O, N> x, ap_fixed<W, I, Q, O, N> y) {
  return ap_fixed<W, I, Q, O, N>(std::fmod(x.to_double(), y.to_double()));
}
} // namespace hls
#endif

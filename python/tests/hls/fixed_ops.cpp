// Tern test program: the fixed-point (Q16.16) operations of firmware/tern_hls.h
// on operand pairs. usage: fixed_ops IN OUT. IN: int32 pairs (raw bits of a, b);
// OUT: per pair, int32 raw results of
//   a+b a-b a*b a/b -a sqrt(a) rsqrt(a) exp(s) exp2(s) log(a) tanh(s) erf(s)
//   floor(a) ceil(a) roundeven(a) round(a) fptosi(a) itofp(a>>12)
// with s = a >> 12 (|s| < 8) and b != 0 for a/b.
#define TERN_HLS_MATH_FIXED 1
#include "tern_hls.h"

#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  FILE *in = std::fopen(argv[1], "rb");
  if (!in)
    return 2;
  std::vector<int32_t> ops;
  int32_t v;
  while (std::fread(&v, 4, 1, in) == 1)
    ops.push_back(v);
  std::fclose(in);
  std::vector<int32_t> out;
  for (size_t i = 0; i + 1 < ops.size(); i += 2) {
    tern_real a = tern_fx_from_raw(ops[i]), b = tern_fx_from_raw(ops[i + 1]);
    tern_real s = tern_fx_from_raw(ops[i] >> 12);
    tern_real r[18];
    r[0] = a + b;
    r[1] = a - b;
    r[2] = a * b;
    r[3] = ops[i + 1] != 0 ? tern_real(a / b) : tern_real(0);
    r[4] = -a;
    r[5] = tern_sqrt(a);
    r[6] = tern_rsqrt(a);
    r[7] = tern_exp(s);
    r[8] = tern_exp2(s);
    r[9] = tern_log(a);
    r[10] = tern_tanh(s);
    r[11] = tern_erf(s);
    r[12] = tern_floor(a);
    r[13] = tern_ceil(a);
    r[14] = tern_roundeven(a);
    r[15] = tern_round(a);
    r[16] = tern_fx_from_raw(tern_fptosi<tern_i32>(a));
    r[17] = tern_itofp(tern_i32(ops[i] >> 12));
    for (int k = 0; k < 18; ++k)
      out.push_back(static_cast<int32_t>(tern_fx_raw(r[k])));
  }
  FILE *o = std::fopen(argv[2], "wb");
  if (!o)
    return 2;
  bool ok = std::fwrite(out.data(), 4, out.size(), o) == out.size();
  return std::fclose(o) == 0 && ok ? 0 : 2;
}

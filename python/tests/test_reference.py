"""tern.reference against independent formulations (no onnxruntime needed)."""

import itertools
import json
import struct

import numpy as np
import pytest

from tern import reference as R

F32 = np.float32


# ---------------------------------------------------------------------------------------------
# act_quant
# ---------------------------------------------------------------------------------------------

def _act_quant_scalar(row, bits=8):
    """Element by element with Python's round(), which is half-to-even on floats."""
    qmax = 2 ** (bits - 1) - 1
    m = max(max(abs(float(v)) for v in row), float(F32(1e-5)))
    s = F32(qmax) / F32(m)
    return [max(-qmax - 1, min(qmax, round(float(F32(v) * s)))) for v in row], s


@pytest.mark.parametrize("bits", [8, 4, 2])
def test_act_quant_matches_elementwise_formulation(rng, bits):
    x = (rng.standard_normal((6, 37)) * 5).astype(F32)
    q, s = R.act_quant(x, bits)
    assert q.dtype == np.int8 and q.shape == x.shape
    assert s.dtype == F32 and s.shape == (6, 1)
    for r in range(x.shape[0]):
        exp_q, exp_s = _act_quant_scalar(x[r], bits)
        assert q[r].tolist() == exp_q
        assert s[r, 0] == exp_s
    # The per-token absmax hits the top level exactly, never -2^(b-1) (absmax is symmetric).
    assert (np.abs(q).max(axis=-1) == 2 ** (bits - 1) - 1).all()
    assert q.min() >= -(2 ** (bits - 1) - 1)


def test_act_quant_rounds_half_to_even():
    # max 127 -> s = 1 exactly, so x * s is exactly the tie.
    x = np.array([[0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, 127.0]], F32)
    q, s = R.act_quant(x)
    assert s[0, 0] == 1.0
    assert q[0].tolist() == [0, 2, 2, 0, -2, -2, 126, 127]


def test_act_quant_clamps_tiny_and_zero_rows():
    x = np.array([[0.0] * 5, [1e-7, -1e-7, 0, 0, 0], [4e-6, 0, 0, 0, 0]], F32)
    q, s = R.act_quant(x)
    floor_scale = F32(127) / F32(1e-5)
    assert np.all(q[0] == 0) and s[0, 0] == floor_scale
    # max|x| < 1e-5, so the clamp sets the scale; without it these would be +-127.
    assert s[1, 0] == floor_scale and q[1].tolist() == [1, -1, 0, 0, 0]
    assert q[2, 0] == 51  # round(4e-6 * 1.27e7) = round(50.8)


def test_act_quant_huge_values_stay_finite():
    x = np.array([[1e30, -3e38, 2e37, 0.0], [3e38, 3e38, -3e38, 1.0]], F32)
    q, s = R.act_quant(x)
    assert np.all(np.isfinite(s)) and np.all(s > 0)
    assert q[0].tolist() == [0, -127, 8, 0]
    assert q[1].tolist() == [127, 127, -127, 0]


def test_act_quant_rejects_bad_bits_and_empty():
    with pytest.raises(ValueError):
        R.act_quant(np.ones((2, 3), F32), bits=9)
    with pytest.raises(ValueError):
        R.act_quant(np.ones((2, 0), F32))


# ---------------------------------------------------------------------------------------------
# weight_quant
# ---------------------------------------------------------------------------------------------

def test_weight_quant_matches_elementwise_formulation(rng):
    w = (rng.standard_normal((17, 29)) * 0.03).astype(F32)
    wt, s_w = R.weight_quant(w)
    mean = sum(abs(float(v)) for v in w.ravel()) / w.size  # float64, sequential
    assert s_w == F32(1) / F32(mean)
    exp = [max(-1, min(1, round(float(v * s_w)))) for v in w.ravel()]
    assert wt.dtype == np.int8 and wt.ravel().tolist() == exp
    assert set(np.unique(wt).tolist()) == {-1, 0, 1}


def test_weight_quant_ties_and_clip():
    # mean|W| = 1 exactly -> s_w = 1: +-0.5 are ties and go to even (0, where rounding half
    # away from zero would give +-1); |values| >= 1.5 round to 2 and clip to +-1.
    w = np.array([[0.5, 1.5, -0.5, -1.5], [1.25, -1.0, 0.25, -1.5]], F32)
    assert np.abs(w).mean(dtype=np.float64) == 1.0
    wt, s_w = R.weight_quant(w)
    assert s_w == 1.0
    assert wt.tolist() == [[0, 1, 0, -1], [1, -1, 0, -1]]


def test_weight_quant_all_zero_and_tiny_clamp():
    wt, s_w = R.weight_quant(np.zeros((3, 4), F32))
    assert s_w == F32(1) / F32(1e-5) and not wt.any()
    # mean|W| = 1e-7 < 1e-5: the clamp gives s_w = 1e5, so 1e-7 * 1e5 rounds to 0.
    # Without the clamp s_w would be 1e7 and every entry would be +-1.
    wt, s_w = R.weight_quant(np.full((3, 4), 1e-7, F32))
    assert s_w == F32(1) / F32(1e-5) and not wt.any()


def test_weight_quant_huge_values():
    w = np.array([[1e30, -1e30, 1e28, 0.0]], F32)
    wt, s_w = R.weight_quant(w)
    assert np.isfinite(s_w) and wt.tolist() == [[1, -1, 0, 0]]


# ---------------------------------------------------------------------------------------------
# tmatmul: select/add/sub must equal an int64 matmul exactly
# ---------------------------------------------------------------------------------------------

def test_tmatmul_exhaustive_k2():
    vals = np.arange(-128, 128, dtype=np.int64)
    x = np.array(list(itertools.product(vals, vals)), dtype=np.int8)          # 65536 x 2
    w = np.array(list(itertools.product((-1, 0, 1), repeat=2)), dtype=np.int8)  # all 9 rows
    got = R.tmatmul(x, w)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, x.astype(np.int64) @ w.astype(np.int64).T)


def test_tmatmul_exhaustive_k3_extremes():
    vals = [-128, -127, -1, 0, 1, 126, 127]
    x = np.array(list(itertools.product(vals, repeat=3)), dtype=np.int8)      # 343 x 3
    w = np.array(list(itertools.product((-1, 0, 1), repeat=3)), dtype=np.int8)  # 27 x 3
    np.testing.assert_array_equal(R.tmatmul(x, w), x.astype(np.int64) @ w.astype(np.int64).T)


@pytest.mark.parametrize("lead,k,n", [((1,), 1, 1), ((7,), 33, 5), ((2, 3), 64, 17),
                                      ((5,), 1000, 33), ((), 129, 3)])
def test_tmatmul_random_odd_shapes(rng, lead, k, n):
    x = rng.integers(-128, 128, size=lead + (k,)).astype(np.int8)
    w = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
    got = R.tmatmul(x, w)
    assert got.shape == lead + (n,)
    np.testing.assert_array_equal(got, x.astype(np.int64) @ w.astype(np.int64).T)


def test_tmatmul_largest_accumulation():
    k = 4096
    x = np.full((2, k), -128, np.int8)
    w = np.stack([np.ones(k, np.int8), -np.ones(k, np.int8), np.zeros(k, np.int8)])
    np.testing.assert_array_equal(R.tmatmul(x, w), [[-524288, 524288, 0]] * 2)


class _NoMultiply(np.ndarray):
    """ndarray that raises on any multiplying ufunc or function, and stays itself through
    the rest, so whatever tmatmul derives from its inputs is watched too."""

    BANNED_UFUNCS = {np.multiply, np.matmul, np.divide, np.floor_divide, np.power,
                     np.square, np.float_power}
    BANNED_FUNCS = {np.dot, np.einsum, np.tensordot, np.inner, np.vdot, np.outer, np.kron,
                    np.matmul, np.prod, np.cumprod}

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc in self.BANNED_UFUNCS:
            raise AssertionError(f"multiplication via {ufunc.__name__}")
        plain = [np.asarray(i) if isinstance(i, _NoMultiply) else i for i in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(o) if isinstance(o, _NoMultiply) else o
                                  for o in kwargs["out"])
        res = getattr(ufunc, method)(*plain, **kwargs)
        return res.view(_NoMultiply) if isinstance(res, np.ndarray) else res

    def __array_function__(self, func, types, args, kwargs):
        if func in self.BANNED_FUNCS:
            raise AssertionError(f"multiplication via {func.__name__}")
        res = super().__array_function__(func, types, args, kwargs)
        return res.view(_NoMultiply) if isinstance(res, np.ndarray) and \
            not isinstance(res, _NoMultiply) else res


def test_tmatmul_uses_no_multiplication(rng):
    x = rng.integers(-128, 128, size=(4, 50)).astype(np.int8).view(_NoMultiply)
    w = rng.integers(-1, 2, size=(6, 50)).astype(np.int8).view(_NoMultiply)
    # The trap works: the plain product is refused ...
    with pytest.raises(AssertionError):
        _ = x * w[0]
    with pytest.raises(AssertionError):
        np.dot(np.asarray(x), w.T)
    # ... and tmatmul still computes the exact product without tripping it.
    got = R.tmatmul(x, w)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(x).astype(np.int64)
                                  @ np.asarray(w).astype(np.int64).T)


def test_tmatmul_rejects_non_ternary_and_float():
    with pytest.raises(ValueError):
        R.tmatmul(np.zeros((1, 2), np.int8), np.array([[2, 0]], np.int8))
    with pytest.raises(TypeError):
        R.tmatmul(np.zeros((1, 2), F32), np.array([[1, 0]], np.int8))
    with pytest.raises(ValueError):
        R.tmatmul(np.zeros((1, 3), np.int8), np.array([[1, 0]], np.int8))


# ---------------------------------------------------------------------------------------------
# rmsnorm, bitlinear
# ---------------------------------------------------------------------------------------------

def test_rmsnorm_matches_float64(rng):
    x = rng.standard_normal((3, 5, 41)).astype(F32) * 7
    w = rng.standard_normal(41).astype(F32)
    x64 = x.astype(np.float64)
    exp = x64 / np.sqrt((x64 ** 2).mean(-1, keepdims=True) + 1e-6) * w
    np.testing.assert_allclose(R.rmsnorm(x, w, 1e-6), exp, rtol=2e-6, atol=1e-7)
    np.testing.assert_array_equal(R.rmsnorm(np.zeros((2, 4), F32)), 0)
    big = np.full((1, 8), 1e18, F32)  # squares stay below fp32 max
    np.testing.assert_allclose(R.rmsnorm(big), 1.0, rtol=1e-6)


def _bitlinear_f64(x, w, norm, eps=1e-6):
    """Float64 formula: quantize as specified, then an ordinary float64 matmul."""
    xn = R.rmsnorm(x, norm, eps) if norm is not None else x
    xq, s_x = R.act_quant(xn)
    wt, s_w = R.weight_quant(w)
    return (xq.astype(np.float64) @ wt.astype(np.float64).T) / (
        s_x.astype(np.float64) * np.float64(s_w))


@pytest.mark.parametrize("with_norm", [True, False])
@pytest.mark.parametrize("k,n", [(1, 1), (33, 7), (64, 130)])
def test_bitlinear_matches_float64(rng, with_norm, k, n):
    x = rng.standard_normal((5, k)).astype(F32) * 3
    w = rng.standard_normal((n, k)).astype(F32) * 0.02
    norm = (1 + 0.1 * rng.standard_normal(k)).astype(F32) if with_norm else None
    y = R.bitlinear(x, w, norm)
    assert y.dtype == F32 and y.shape == (5, n)
    np.testing.assert_allclose(y, _bitlinear_f64(x, w, norm), rtol=1e-6, atol=1e-9)


def test_bitlinear_is_a_dequantized_linear(rng):
    # Same result as mmfreelm's F.linear(xq / s_x, Wt / s_w) up to float rounding.
    x = rng.standard_normal((4, 48)).astype(F32)
    w = rng.standard_normal((24, 48)).astype(F32) * 0.02
    y, parts = R.bitlinear(x, w, return_parts=True)
    deq = (parts["xq"] / parts["s_x"]) @ (parts["wt"] / parts["s_w"]).T
    np.testing.assert_allclose(y, deq, rtol=1e-5, atol=1e-7)
    # A different (plain float) linear would not be this close: quantization is visible.
    assert np.abs(x @ w.T - y).max() > 1e-4


def test_bitlinear_edge_inputs(rng):
    w = rng.standard_normal((6, 10)).astype(F32)
    np.testing.assert_array_equal(R.bitlinear(np.zeros((2, 10), F32), w), 0)
    np.testing.assert_array_equal(R.bitlinear(rng.standard_normal((2, 10)), np.zeros((6, 10))),
                                  0)
    # Power-of-two scaling commutes exactly with quantization (no norm): huge stays exact.
    x = rng.standard_normal((3, 10)).astype(F32)
    big = F32(2.0 ** 80)
    np.testing.assert_array_equal(R.bitlinear(x * big, w), R.bitlinear(x, w) * big)
    # With the norm the output does not depend on the input scale at all.
    norm = np.ones(10, F32)
    np.testing.assert_allclose(R.bitlinear(x * F32(1e15), w, norm), R.bitlinear(x, w, norm),
                               rtol=1e-6)


def test_bitlinear_pre_ternarized_equals_latent(rng):
    x = rng.standard_normal((3, 2, 20)).astype(F32)
    w = rng.standard_normal((9, 20)).astype(F32)
    norm = rng.uniform(0.5, 1.5, 20).astype(F32)
    wt, s_w = R.weight_quant(w)
    a = R.bitlinear(x, w, norm)
    np.testing.assert_array_equal(R.bitlinear(x, wt, norm, w_is_ternary=True, w_scale=s_w), a)
    np.testing.assert_array_equal(
        R.bitlinear(x, wt.astype(F32), norm, w_is_ternary=True, w_scale=s_w), a)
    with pytest.raises(ValueError):
        R.bitlinear(x, wt, norm, w_is_ternary=True)
    with pytest.raises(ValueError):
        R.bitlinear(x, wt.astype(F32) * 2, norm, w_is_ternary=True, w_scale=s_w)


# ---------------------------------------------------------------------------------------------
# GLU
# ---------------------------------------------------------------------------------------------

def test_glu_intermediate_sizes():
    assert [R.glu_intermediate(d) for d in (1024, 2048, 2560)] == [2816, 5632, 6912]
    for d in range(1, 4097):  # mmfreelm's float formula, for every width up to 4096
        i = int(d * 4 * 2 / 3)
        assert R.glu_intermediate(d) == 256 * ((i + 255) // 256)


def test_glu_composition_and_split_order(rng):
    d, inter = 16, 24
    x = rng.standard_normal((3, d)).astype(F32)
    w_gu = (rng.standard_normal((2 * inter, d)) * 0.02).astype(F32)
    w_d = (rng.standard_normal((d, inter)) * 0.02).astype(F32)
    n_gu = rng.uniform(0.5, 1.5, d).astype(F32)
    n_d = rng.uniform(0.5, 1.5, inter).astype(F32)
    y = R.glu(x, w_gu, w_d, n_gu, n_d)
    # Independent spelling: one per-tensor scale over the whole [2I, d] matrix, gate rows
    # first, SiLU written out with exp.
    gu = _bitlinear_f64(x, w_gu, n_gu)
    gate, up = gu[:, :inter], gu[:, inter:]
    h = (gate / (1 + np.exp(-gate)) * up).astype(F32)
    np.testing.assert_allclose(y, R.bitlinear(h, w_d, n_d), rtol=1e-5, atol=1e-7)
    # Swapping the halves changes the result (the order is observable).
    swapped = np.concatenate([w_gu[inter:], w_gu[:inter]])
    assert np.abs(R.glu(x, swapped, w_d, n_gu, n_d) - y).max() > 1e-4


def test_glu_zero_up_half_gives_zero(rng):
    d, inter = 8, 12
    w_gu = (rng.standard_normal((2 * inter, d))).astype(F32)
    w_gu[inter:] = 0
    y = R.glu(rng.standard_normal((2, d)), w_gu, rng.standard_normal((d, inter)))
    np.testing.assert_array_equal(y, 0)


# ---------------------------------------------------------------------------------------------
# MLGRU
# ---------------------------------------------------------------------------------------------

def _mlgru_params(rng, d):
    p = {}
    for proj in R.MLGRU_PROJS:
        p[f"{proj}.weight"] = (rng.standard_normal((d, d)) * 0.02).astype(F32)
        p[f"{proj}.norm.weight"] = rng.uniform(0.5, 1.5, d).astype(F32)
    p["g_norm.weight"] = rng.uniform(0.5, 1.5, d).astype(F32)
    return p


def _sig64(v):
    return 1 / (1 + np.exp(-v.astype(np.float64)))


def test_mlgru_released_matches_formula(rng):
    d = 24
    p = _mlgru_params(rng, d)
    x = rng.standard_normal((3, d)).astype(F32)
    h = rng.standard_normal((3, d)).astype(F32)
    lb = rng.uniform(0, 0.9, d).astype(F32)
    o, h_new = R.mlgru_step(x, h, p, "released", lb)
    bl = {k: R.bitlinear(x, p[f"{k}_proj.weight"], p[f"{k}_proj.norm.weight"]) for k in "ifg"}
    f = lb + (1 - lb) * _sig64(bl["f"])
    i = bl["i"] * _sig64(bl["i"]) * (1 - f)
    h_exp = f * h + i
    np.testing.assert_allclose(h_new, h_exp, rtol=1e-5, atol=1e-6)
    g = bl["g"].astype(np.float64)
    gn = g / np.sqrt((g ** 2).mean(-1, keepdims=True) + 1e-6) * p["g_norm.weight"]
    o_in = (gn * h_new * _sig64(h_new)).astype(F32)
    np.testing.assert_allclose(o, R.bitlinear(o_in, p["o_proj.weight"], p["o_proj.norm.weight"]),
                               rtol=1e-4, atol=1e-6)


def test_mlgru_paper_matches_formula(rng):
    d = 20
    p = _mlgru_params(rng, d)
    x = rng.standard_normal((2, d)).astype(F32)
    h = rng.standard_normal((2, d)).astype(F32)
    o, h_new = R.mlgru_step(x, h, p, "paper")
    bl = {k: R.bitlinear(x, p[f"{k}_proj.weight"], p[f"{k}_proj.norm.weight"]) for k in "ifg"}
    f = _sig64(bl["f"])
    c = bl["i"] * _sig64(bl["i"])
    h_exp = f * h + (1 - f) * c
    np.testing.assert_allclose(h_new, h_exp, rtol=1e-5, atol=1e-6)
    o_in = (_sig64(bl["g"]) * h_new).astype(F32)
    np.testing.assert_allclose(o, R.bitlinear(o_in, p["o_proj.weight"], p["o_proj.norm.weight"]),
                               rtol=1e-4, atol=1e-6)
    # Both variants carry the same state (SiLU(BL_i)*(1-f) either way) but gate the output
    # differently, so only the outputs differ.
    o_rel, h_rel = R.mlgru_step(x, h, p, "released")
    np.testing.assert_allclose(h_rel, h_new, rtol=1e-6, atol=1e-7)
    assert np.abs(o_rel - o).max() > 1e-3


def test_mlgru_lower_bound_edges(rng):
    d = 12
    p = _mlgru_params(rng, d)
    x = rng.standard_normal((2, d)).astype(F32)
    h = rng.standard_normal((2, d)).astype(F32)
    # lb = 1 forces f = 1: the released state is carried unchanged (i = SiLU(.) * 0).
    _, h1 = R.mlgru_step(x, h, p, "released", np.ones(d, F32))
    np.testing.assert_array_equal(h1, h)
    # lb = 0 is the same as no lower bound.
    a = R.mlgru_step(x, h, p, "released", np.zeros(d, F32))
    b = R.mlgru_step(x, h, p, "released", None)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError):
        R.mlgru_step(x, h, p, "swapped")


@pytest.mark.parametrize("variant", ["released", "paper"])
@pytest.mark.parametrize("t,lead", [(1, (2,)), (6, (2, 3))])
def test_mlgru_sequence_equals_stepping(rng, variant, t, lead):
    d = 16
    p = _mlgru_params(rng, d)
    xs = rng.standard_normal((t,) + lead + (d,)).astype(F32)
    h0 = rng.standard_normal(lead + (d,)).astype(F32)
    lb = rng.uniform(0, 0.5, d).astype(F32)
    ys, h_fin = R.mlgru_sequence(xs, h0, p, variant, lb)
    h = h0
    for k in range(t):
        y, h = R.mlgru_step(xs[k], h, p, variant, lb)
        np.testing.assert_allclose(ys[k], y, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h_fin, h, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------

def test_random_params_names_and_shapes():
    p = R.random_params(32, 2, 50, seed=3, intermediate=64)
    assert set(p.tensors) == set(R.param_shapes(p.config))
    for k, v in p.tensors.items():
        assert v.dtype == F32 and v.shape == R.param_shapes(p.config)[k], k
    for name in ("model.embeddings.weight", "model.layers.1.attn.i_proj.weight",
                 "model.layers.1.attn.f_proj.norm.weight", "model.layers.0.attn.g_norm.weight",
                 "model.layers.0.attn.o_proj.weight", "model.layers.0.mlp.gate_proj.weight",
                 "model.layers.0.mlp.down_proj.weight", "model.layers.0.attn_norm.weight",
                 "model.layers.0.mlp_norm.weight", "model.norm.weight", "lm_head.weight",
                 "model.lower_bounds"):
        assert name in p
    assert p["model.layers.0.mlp.gate_proj.weight"].shape == (128, 32)
    a = R.random_params(32, 2, 50, seed=3, intermediate=64)
    assert all(np.array_equal(a[k], p[k]) for k in p.tensors)  # seeded: reproducible


def test_effective_lower_bounds():
    raw = np.random.default_rng(0).standard_normal((5, 7)).astype(F32)
    lb = R.effective_lower_bounds(raw)
    assert np.all(lb[0] == 0)
    assert np.all(np.diff(lb, axis=0) >= 0) and np.all(lb < 1)
    e = np.exp(raw.astype(np.float64))
    p = e / e.sum(0)
    np.testing.assert_allclose(lb, np.cumsum(p, 0) - p[0], atol=1e-6)


def _block_f64(x, h, lp, cfg, lb):
    """The block written out from the pieces (each piece is tested above)."""
    a = R.rmsnorm(x, lp["attn_norm.weight"], cfg.rms_norm_eps)
    o, h_new = R.mlgru_step(a, h, R.subdict(lp, "attn."), cfg.variant, lb)
    r = x + o
    m = R.rmsnorm(r, lp["mlp_norm.weight"], cfg.rms_norm_eps)
    return r + R.glu(m, lp["mlp.gate_proj.weight"], lp["mlp.down_proj.weight"],
                     lp["mlp.gate_proj.norm.weight"], lp["mlp.down_proj.norm.weight"]), h_new


@pytest.mark.parametrize("variant", ["released", "paper"])
def test_model_step_matches_composition(variant):
    p = R.random_params(32, 3, 40, seed=5, intermediate=64, variant=variant)
    ids = np.array([1, 39, 7])
    st = np.random.default_rng(1).standard_normal((3, 3, 32)).astype(F32)
    logits, new = R.model_step(ids, st, p)
    assert logits.shape == (3, 40) and new.shape == st.shape
    x = p["model.embeddings.weight"][ids]
    lbs = R.effective_lower_bounds(p["model.lower_bounds"])
    for i in range(3):
        x, h = _block_f64(x, st[i], p.layer(i), p.config, lbs[i] if i else None)
        np.testing.assert_allclose(new[i], h, rtol=1e-6, atol=1e-7)
    exp = R.bitlinear(R.rmsnorm(x, p["model.norm.weight"]), p["lm_head.weight"],
                      p["lm_head.norm.weight"])
    np.testing.assert_allclose(logits, exp, rtol=1e-5, atol=1e-7)


def test_model_sequence_equals_stepping():
    p = R.random_params(32, 2, 40, seed=2, intermediate=64)
    ids = np.random.default_rng(2).integers(0, 40, size=(5, 2))
    logits, final = R.model_sequence(ids, None, p)
    st = None
    for t in range(5):
        lg, st = R.model_step(ids[t], st, p)
        np.testing.assert_allclose(logits[t], lg, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(final, st, rtol=1e-5, atol=1e-6)
    # [T] token ids mean batch 1.
    l1, _ = R.model_sequence(ids[:, 0], None, p)
    np.testing.assert_allclose(l1[:, 0], logits[:, 0], rtol=1e-6)


def test_model_state_matters_and_lower_bounds_matter():
    p = R.random_params(32, 2, 40, seed=4, intermediate=64)
    ids = np.array([3])
    a, _ = R.model_step(ids, None, p)
    b, _ = R.model_step(ids, np.ones((2, 1, 32), F32), p)
    assert np.abs(a - b).max() > 1e-3
    q = R.Params(R.ModelConfig(**{**p.config.__dict__, "use_lower_bound": False}), p.tensors)
    c, _ = R.model_step(ids, np.ones((2, 1, 32), F32), q)
    assert np.abs(c - b).max() > 1e-4


def test_ternarized_params_give_identical_outputs():
    p = R.random_params(32, 2, 40, seed=6, intermediate=64)
    t = R.ternarize_params(p)
    assert t["lm_head.weight"].dtype == np.int8 and "lm_head.weight_scale" in t
    assert t["model.embeddings.weight"].dtype == F32  # the embedding stays float
    ids = np.array([0, 5])
    a = R.model_step(ids, None, p)
    b = R.model_step(ids, None, t)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_config_from_hf():
    cfg = R.config_from_hf({"hidden_size": 2048, "num_hidden_layers": 24, "vocab_size": 32000,
                            "rms_norm_eps": 1e-6, "hidden_ratio": 4, "intermediate_size": None,
                            "use_lower_bound": True})
    assert (cfg.hidden_size, cfg.num_layers, cfg.intermediate_size, cfg.vocab_size) == \
        (2048, 24, 5632, 32000)


# ---------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------

def test_safetensors_round_trip(tmp_path):
    pytest.importorskip("safetensors")
    p = R.ternarize_params(R.random_params(16, 1, 20, seed=9, intermediate=32))
    path = str(tmp_path / "model.safetensors")
    R.save_safetensors(p, path)
    q = R.load_safetensors(path, p.config)
    assert set(q.tensors) == set(p.tensors)
    for k in p.tensors:
        assert q[k].dtype == p[k].dtype, k
        np.testing.assert_array_equal(q[k], p[k])


def test_read_safetensors_bf16(tmp_path):
    # Hand-written file: bf16 is the top 16 bits of the float32 pattern.
    vals = np.array([1.0, -2.5, 0.15625, 3.0e38], F32)
    bf16 = (vals.view(np.uint32) >> 16).astype("<u2").tobytes()
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
                         "__metadata__": {"format": "pt"}}).encode()
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bf16)
    got = R.read_safetensors(str(path))["w"]
    assert got.dtype == F32 and got.shape == (2, 2)
    exp = ((vals.view(np.uint32) >> 16) << 16).view(F32).reshape(2, 2)  # truncated mantissa
    np.testing.assert_array_equal(got, exp)
    assert got[0, 0] == 1.0 and got[0, 1] == -2.5


def test_load_safetensors_reports_missing(tmp_path):
    pytest.importorskip("safetensors")
    p = R.random_params(16, 1, 20, seed=9, intermediate=32)
    del p.tensors["lm_head.weight"]
    path = str(tmp_path / "m.safetensors")
    R.save_safetensors(p, path)
    with pytest.raises(KeyError, match="lm_head.weight"):
        R.load_safetensors(path, p.config)

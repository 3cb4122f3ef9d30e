#!/usr/bin/env python3
"""Runs the official ONNX backend node tests (Debian's libonnx-testdata) through Tern.

Every enabled test's model.onnx is compiled and executed with
``ternc run MODEL --input=@a.npy ... --output=@y.npy`` (inputs in graph order, from
test_data_set_0/input_*.pb), and each output is compared with output_*.pb:

  * floating point: ``|got - expected| <= atol + rtol * |expected|`` with rtol = 1e-3,
    atol = 1e-5 (the tolerance of ONNX's own backend test runner is rtol 1e-3,
    atol 1e-7; Tern's math library functions get a little more absolute room), NaNs
    must match NaNs;
  * integers and bools: exactly equal; shapes must be equal.

``--import-only`` instead checks that every enabled model imports and legalizes
(``tern-translate --import-onnx MODEL --onnx-to-tern``); CTest runs that mode when the
node test data is installed, and the full run when ternc is available.

The enabled list is explicit (ENABLED): every test of every op Tern supports, minus the
ones listed in DISABLED with the reason. ``--discover`` tries every test in the data
directory and prints which would pass, to maintain the lists.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

DATA_DIR = "/usr/share/libonnx-testdata/data/node"

# One entry per test directory (test_<name>).
ENABLED = """
abs acos acos_example acosh acosh_example add add_bcast
and2d and3d and4d and_bcast3v1d and_bcast3v2d and_bcast4v2d and_bcast4v3d and_bcast4v4d
argmax_default_axis_example argmax_default_axis_example_select_last_index
argmax_default_axis_random argmax_default_axis_random_select_last_index
argmax_keepdims_example argmax_keepdims_example_select_last_index argmax_keepdims_random
argmax_keepdims_random_select_last_index argmax_negative_axis_keepdims_example
argmax_negative_axis_keepdims_example_select_last_index argmax_negative_axis_keepdims_random
argmax_negative_axis_keepdims_random_select_last_index argmax_no_keepdims_example
argmax_no_keepdims_example_select_last_index argmax_no_keepdims_random
argmax_no_keepdims_random_select_last_index
argmin_default_axis_example argmin_default_axis_example_select_last_index
argmin_default_axis_random argmin_default_axis_random_select_last_index
argmin_keepdims_example argmin_keepdims_example_select_last_index argmin_keepdims_random
argmin_keepdims_random_select_last_index argmin_negative_axis_keepdims_example
argmin_negative_axis_keepdims_example_select_last_index argmin_negative_axis_keepdims_random
argmin_negative_axis_keepdims_random_select_last_index argmin_no_keepdims_example
argmin_no_keepdims_example_select_last_index argmin_no_keepdims_random
argmin_no_keepdims_random_select_last_index
asin asin_example asinh asinh_example atan atan_example atanh atanh_example
ceil ceil_example celu celu_expanded
clip clip_default_inbounds clip_default_int8_inbounds clip_default_int8_max
clip_default_int8_min clip_default_max clip_default_min clip_example clip_inbounds
clip_outbounds clip_splitbounds
concat_1d_axis_0 concat_1d_axis_negative_1 concat_2d_axis_0 concat_2d_axis_1
concat_2d_axis_negative_1 concat_2d_axis_negative_2 concat_3d_axis_0 concat_3d_axis_1
concat_3d_axis_2 concat_3d_axis_negative_1 concat_3d_axis_negative_2
concat_3d_axis_negative_3
constant constant_pad constantofshape_float_ones constantofshape_int_shape_zero
constantofshape_int_zeros
cos cos_example cosh cosh_example
cumsum_1d cumsum_1d_exclusive cumsum_1d_reverse cumsum_1d_reverse_exclusive
cumsum_2d_axis_0 cumsum_2d_axis_1 cumsum_2d_negative_axis
dequantizelinear_axis
div div_bcast div_example
dropout_default dropout_default_ratio dropout_default_old dropout_random_old
edge_pad elu elu_default elu_example equal equal_bcast erf exp exp_example
expand_dim_changed expand_dim_unchanged
flatten_axis0 flatten_axis1 flatten_axis2 flatten_axis3 flatten_default_axis
flatten_negative_axis1 flatten_negative_axis2 flatten_negative_axis3 flatten_negative_axis4
floor floor_example
gather_0 gather_1 gather_2d_indices gather_negative_indices
gather_elements_0 gather_elements_1 gather_elements_negative_indices
gemm_all_attributes gemm_alpha gemm_beta gemm_default_matrix_bias gemm_default_no_bias
gemm_default_scalar_bias gemm_default_single_elem_vector_bias gemm_default_vector_bias
gemm_default_zero_bias gemm_transposeA gemm_transposeB
greater greater_bcast greater_equal greater_equal_bcast greater_equal_bcast_expanded
greater_equal_expanded
hardmax_axis_0 hardmax_axis_1 hardmax_axis_2 hardmax_default_axis hardmax_example
hardmax_negative_axis hardmax_one_hot
hardsigmoid hardsigmoid_default hardsigmoid_example hardswish hardswish_expanded
identity if isinf isinf_negative isinf_positive isnan
layer_normalization_2d_axis0 layer_normalization_2d_axis1
layer_normalization_2d_axis_negative_1 layer_normalization_2d_axis_negative_2
layer_normalization_3d_axis0_epsilon layer_normalization_3d_axis1_epsilon
layer_normalization_3d_axis2_epsilon layer_normalization_3d_axis_negative_1_epsilon
layer_normalization_3d_axis_negative_2_epsilon layer_normalization_3d_axis_negative_3_epsilon
layer_normalization_4d_axis0 layer_normalization_4d_axis1 layer_normalization_4d_axis2
layer_normalization_4d_axis3 layer_normalization_4d_axis_negative_1
layer_normalization_4d_axis_negative_2 layer_normalization_4d_axis_negative_3
layer_normalization_4d_axis_negative_4 layer_normalization_default_axis
leakyrelu leakyrelu_default leakyrelu_example less less_bcast less_equal less_equal_bcast
less_equal_bcast_expanded less_equal_expanded log log_example
logsoftmax_axis_0 logsoftmax_axis_0_expanded logsoftmax_axis_1 logsoftmax_axis_1_expanded
logsoftmax_axis_2 logsoftmax_axis_2_expanded logsoftmax_default_axis
logsoftmax_default_axis_expanded logsoftmax_example_1 logsoftmax_example_1_expanded
logsoftmax_large_number logsoftmax_large_number_expanded logsoftmax_negative_axis
logsoftmax_negative_axis_expanded
loop11
matmul_2d matmul_3d matmul_4d
max_example max_float32 max_int32 max_int64 max_int8 max_one_input max_two_inputs
mean_example mean_one_input mean_two_inputs
min_example min_float32 min_int32 min_int64 min_int8 min_one_input min_two_inputs
mod_broadcast mod_int64_fmod mod_mixed_sign_float32 mod_mixed_sign_int32
mod_mixed_sign_int64 mod_mixed_sign_int8
mul mul_bcast mul_example neg neg_example not_2d not_3d not_4d
or2d or3d or4d or_bcast3v1d or_bcast3v2d or_bcast4v2d or_bcast4v3d or_bcast4v4d
pow pow_bcast_array pow_bcast_scalar pow_example pow_types_float
pow_types_float32_int32 pow_types_float32_int64 pow_types_int
pow_types_int32_float32 pow_types_int32_int32 pow_types_int64_float32 pow_types_int64_int64
prelu_broadcast prelu_example
range_float_type_positive_delta range_float_type_positive_delta_expanded
range_int32_type_negative_delta range_int32_type_negative_delta_expanded
reciprocal reciprocal_example
reduce_l1_default_axes_keepdims_example reduce_l1_default_axes_keepdims_random
reduce_l1_do_not_keepdims_example reduce_l1_do_not_keepdims_random
reduce_l1_keep_dims_example reduce_l1_keep_dims_random
reduce_l1_negative_axes_keep_dims_example reduce_l1_negative_axes_keep_dims_random
reduce_l2_default_axes_keepdims_example reduce_l2_default_axes_keepdims_random
reduce_l2_do_not_keepdims_example reduce_l2_do_not_keepdims_random
reduce_l2_keep_dims_example reduce_l2_keep_dims_random
reduce_l2_negative_axes_keep_dims_example reduce_l2_negative_axes_keep_dims_random
reduce_log_sum reduce_log_sum_asc_axes reduce_log_sum_default reduce_log_sum_desc_axes
reduce_log_sum_negative_axes
reduce_log_sum_exp_default_axes_keepdims_example reduce_log_sum_exp_default_axes_keepdims_random
reduce_log_sum_exp_do_not_keepdims_example reduce_log_sum_exp_do_not_keepdims_random
reduce_log_sum_exp_keepdims_example reduce_log_sum_exp_keepdims_random
reduce_log_sum_exp_negative_axes_keepdims_example
reduce_log_sum_exp_negative_axes_keepdims_random
reduce_max_default_axes_keepdim_example reduce_max_default_axes_keepdims_random
reduce_max_do_not_keepdims_example reduce_max_do_not_keepdims_random
reduce_max_keepdims_example reduce_max_keepdims_random
reduce_max_negative_axes_keepdims_example reduce_max_negative_axes_keepdims_random
reduce_mean_default_axes_keepdims_example reduce_mean_default_axes_keepdims_random
reduce_mean_do_not_keepdims_example reduce_mean_do_not_keepdims_random
reduce_mean_keepdims_example reduce_mean_keepdims_random
reduce_mean_negative_axes_keepdims_example reduce_mean_negative_axes_keepdims_random
reduce_min_default_axes_keepdims_example reduce_min_default_axes_keepdims_random
reduce_min_do_not_keepdims_example reduce_min_do_not_keepdims_random
reduce_min_keepdims_example reduce_min_keepdims_random
reduce_min_negative_axes_keepdims_example reduce_min_negative_axes_keepdims_random
reduce_prod_default_axes_keepdims_example reduce_prod_default_axes_keepdims_random
reduce_prod_do_not_keepdims_example reduce_prod_do_not_keepdims_random
reduce_prod_keepdims_example reduce_prod_keepdims_random
reduce_prod_negative_axes_keepdims_example reduce_prod_negative_axes_keepdims_random
reduce_sum_default_axes_keepdims_example reduce_sum_default_axes_keepdims_random
reduce_sum_do_not_keepdims_example reduce_sum_do_not_keepdims_random
reduce_sum_empty_axes_input_noop_example reduce_sum_empty_axes_input_noop_random
reduce_sum_keepdims_example reduce_sum_keepdims_random
reduce_sum_negative_axes_keepdims_example reduce_sum_negative_axes_keepdims_random
reduce_sum_square_default_axes_keepdims_example reduce_sum_square_default_axes_keepdims_random
reduce_sum_square_do_not_keepdims_example reduce_sum_square_do_not_keepdims_random
reduce_sum_square_keepdims_example reduce_sum_square_keepdims_random
reduce_sum_square_negative_axes_keepdims_example
reduce_sum_square_negative_axes_keepdims_random
reflect_pad relu
dropout_default_mask dropout_default_mask_ratio
layer_normalization_2d_axis0_expanded layer_normalization_2d_axis1_expanded
layer_normalization_2d_axis_negative_1_expanded layer_normalization_2d_axis_negative_2_expanded
layer_normalization_3d_axis0_epsilon_expanded layer_normalization_3d_axis1_epsilon_expanded
layer_normalization_3d_axis2_epsilon_expanded
layer_normalization_3d_axis_negative_1_epsilon_expanded
layer_normalization_3d_axis_negative_2_epsilon_expanded
layer_normalization_3d_axis_negative_3_epsilon_expanded layer_normalization_4d_axis0_expanded
layer_normalization_4d_axis1_expanded layer_normalization_4d_axis2_expanded
layer_normalization_4d_axis3_expanded layer_normalization_4d_axis_negative_1_expanded
layer_normalization_4d_axis_negative_2_expanded layer_normalization_4d_axis_negative_3_expanded
layer_normalization_4d_axis_negative_4_expanded layer_normalization_default_axis_expanded
max_int16 min_int16 mod_mixed_sign_int16 mvn_expanded
nllloss_NC_expanded nllloss_NCd1_expanded nllloss_NCd1_ii_expanded
nllloss_NCd1_mean_weight_negative_ii_expanded nllloss_NCd1_weight_expanded
nllloss_NCd1_weight_ii_expanded nllloss_NCd1d2_expanded
nllloss_NCd1d2_no_weight_reduction_mean_ii_expanded nllloss_NCd1d2_reduction_mean_expanded
nllloss_NCd1d2_reduction_sum_expanded nllloss_NCd1d2_with_weight_expanded
nllloss_NCd1d2_with_weight_reduction_mean_expanded
nllloss_NCd1d2_with_weight_reduction_sum_expanded
nllloss_NCd1d2_with_weight_reduction_sum_ii_expanded
nllloss_NCd1d2d3_none_no_weight_negative_ii_expanded
nllloss_NCd1d2d3_sum_weight_high_ii_expanded nllloss_NCd1d2d3d4d5_mean_weight_expanded
nllloss_NCd1d2d3d4d5_none_no_weight_expanded
tril tril_neg tril_one_row_neg tril_out_neg tril_out_pos tril_pos tril_square tril_square_neg
tril_zero triu triu_neg triu_one_row triu_out_neg_out triu_out_pos triu_pos triu_square
triu_square_neg triu_zero
reshape_allowzero_reordered reshape_extended_dims reshape_negative_dim
reshape_negative_extended_dims reshape_one_dim reshape_reduced_dims
reshape_reordered_all_dims reshape_reordered_last_dims reshape_zero_and_negative_dim
reshape_zero_dim
round scan9_sum scan_sum selu selu_default selu_example
shape shape_clip_end shape_clip_start shape_end_1 shape_end_negative_1 shape_example
shape_start_1 shape_start_1_end_2 shape_start_1_end_negative_1 shape_start_negative_1
shrink_hard shrink_soft sigmoid sigmoid_example sign sin sin_example sinh sinh_example
size size_example
slice slice_default_axes slice_default_steps slice_end_out_of_bounds slice_neg
slice_neg_steps slice_negative_axes slice_start_out_of_bounds
softmax_axis_0 softmax_axis_0_expanded softmax_axis_1 softmax_axis_1_expanded
softmax_axis_2 softmax_axis_2_expanded softmax_default_axis softmax_default_axis_expanded
softmax_example softmax_example_expanded softmax_large_number softmax_large_number_expanded
softmax_negative_axis softmax_negative_axis_expanded
softplus softplus_example softsign softsign_example
split_equal_parts_1d split_equal_parts_2d split_equal_parts_default_axis
split_variable_parts_1d split_variable_parts_2d split_variable_parts_default_axis
split_zero_size_splits
sqrt sqrt_example squeeze squeeze_negative_axes sub sub_bcast sub_example sum_example
sum_one_input sum_two_inputs tan tan_example tanh tanh_example thresholdedrelu
thresholdedrelu_default thresholdedrelu_example tile tile_precomputed
transpose_all_permutations_0 transpose_all_permutations_1 transpose_all_permutations_2
transpose_all_permutations_3 transpose_all_permutations_4 transpose_all_permutations_5
transpose_default
unsqueeze_axis_0 unsqueeze_axis_1 unsqueeze_axis_2 unsqueeze_axis_3
unsqueeze_negative_axes unsqueeze_three_axes unsqueeze_two_axes unsqueeze_unsorted_axes
where_example where_long_example xor2d xor3d xor4d xor_bcast3v1d xor_bcast3v2d
xor_bcast4v2d xor_bcast4v3d xor_bcast4v4d
""".split()

# Tests of supported ops that stay disabled, with the reason.
F64 = "float64 tensors (Tern compiles f32, int64/32/16/8 and bool)"
DISABLED = {
    **{n: F64 for n in """cumsum_1d cumsum_1d_exclusive cumsum_1d_reverse
        cumsum_1d_reverse_exclusive cumsum_2d_axis_0 cumsum_2d_axis_1 cumsum_2d_negative_axis
        reduce_log_sum_exp_default_axes_keepdims_example
        reduce_log_sum_exp_default_axes_keepdims_random
        reduce_log_sum_exp_do_not_keepdims_example reduce_log_sum_exp_do_not_keepdims_random
        reduce_log_sum_exp_keepdims_example reduce_log_sum_exp_keepdims_random
        reduce_log_sum_exp_negative_axes_keepdims_example
        reduce_log_sum_exp_negative_axes_keepdims_random""".split()},
    "dequantizelinear_axis": "uint8 tensors",
    "loop11": "slices by the iteration number (a dynamic shape)",
    "range_float_type_positive_delta_expanded": "Loop trip count computed at run time",
    "range_int32_type_negative_delta_expanded": "Loop trip count computed at run time",
    "scan_sum": "Scan-8 (sequence_lens, batch axis); Scan from opset 9 is supported",
    **{n: "int16 inputs: ternc's .npy I/O has no int16" for n in
       ["max_int16", "min_int16", "mod_mixed_sign_int16"]},
    **{n: "zero-size tensors: ternc passes no buffer for them" for n in
       ["constantofshape_int_shape_zero", "tril_zero", "triu_zero",
        "reshape_allowzero_reordered", "slice_start_out_of_bounds", "split_zero_size_splits"]},
}

RTOL, ATOL = 1e-3, 1e-5

# Operands that are shapes, axes, sizes or counts: Tern compiles static shapes, so when a
# test feeds one as a graph input, its test value becomes an initializer first (as
# onnx-mlir's backend test run does with CONSTANT_INPUT).
SHAPE_OPERANDS = {
    "Reshape": [1], "Expand": [1], "Tile": [1], "Slice": [1, 2, 3, 4], "Split": [1],
    "Squeeze": [1], "Unsqueeze": [1], "ReduceSum": [1], "ReduceMean": [1], "ReduceMax": [1],
    "ReduceMin": [1], "ReduceProd": [1], "ReduceL1": [1], "ReduceL2": [1],
    "ReduceLogSum": [1], "ReduceLogSumExp": [1], "ReduceSumSquare": [1], "Pad": [1, 3],
    "ConstantOfShape": [0], "Range": [0, 1, 2], "CumSum": [1], "Trilu": [1], "Loop": [0],
    "Dropout": [2],
}


def load_tensor(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as fh:
        t.ParseFromString(fh.read())
    return numpy_helper.to_array(t)


def data_files(test_dir, kind):
    ds = os.path.join(test_dir, "test_data_set_0")
    files = sorted((f for f in os.listdir(ds) if f.startswith(kind + "_") and f.endswith(".pb")),
                   key=lambda f: int(f[len(kind) + 1:-3]))
    return [os.path.join(ds, f) for f in files]


def compare(got, exp):
    import numpy as np
    if got.shape != exp.shape:
        return f"shape {got.shape} != expected {exp.shape}"
    if exp.dtype.kind in "fc":
        got = got.astype(np.float64)
        e = exp.astype(np.float64)
        nan = np.isnan(e)
        if (np.isnan(got) != nan).any():
            return "NaNs differ"
        diff = np.abs(got[~nan] - e[~nan])
        bound = ATOL + RTOL * np.abs(e[~nan])
        inf = np.isinf(e[~nan])
        if (got[~nan][inf] != e[~nan][inf]).any():
            return "infinities differ"
        bad = (diff[~inf] > bound[~inf]).sum()
        if bad:
            return f"{bad} of {e.size} values outside tolerance (max abs diff {diff[~inf].max():.3g})"
        return None
    if got.dtype != exp.dtype and not (got.dtype.kind in "iub" and exp.dtype.kind in "iub"):
        return f"dtype {got.dtype} != expected {exp.dtype}"
    if not (got.astype(exp.dtype) == exp).all():
        return "values differ"
    return None


def freeze_shape_inputs(model_path, inputs, tmp, name):
    """Turns graph inputs used as shape operands into initializers holding their test
    values. Returns (model path, the remaining inputs in graph order)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(model_path)
    inits = {i.name for i in m.graph.initializer}
    graph_inputs = [i for i in m.graph.input if i.name not in inits]
    frozen = set()

    def visit(graph):
        for node in graph.node:
            for pos in SHAPE_OPERANDS.get(node.op_type, []) if node.domain in ("", "ai.onnx") else []:
                if pos < len(node.input) and node.input[pos]:
                    frozen.add(node.input[pos])
            for a in node.attribute:
                if a.HasField("g"):
                    visit(a.g)
    visit(m.graph)
    frozen &= {i.name for i in graph_inputs}
    if not frozen:
        return model_path, inputs
    kept, rest = [], []
    for vi, value in zip(graph_inputs, inputs):
        if vi.name in frozen:
            m.graph.initializer.append(numpy_helper.from_array(value, vi.name))
        else:
            kept.append(vi)
            rest.append(value)
    keep_names = {vi.name for vi in kept}
    new_inputs = [vi for vi in m.graph.input if vi.name in keep_names or vi.name in inits]
    del m.graph.input[:]
    m.graph.input.extend(new_inputs)
    path = os.path.join(tmp, name + "_frozen.onnx")
    onnx.save(m, path)
    return path, rest


def run_one(name, args, tmp):
    test_dir = os.path.join(args.data_dir, "test_" + name)
    model = os.path.join(test_dir, "model.onnx")
    if not os.path.exists(model):
        return "missing"
    import numpy as np
    inputs = [load_tensor(f) for f in data_files(test_dir, "input")]
    model, inputs = freeze_shape_inputs(model, inputs, tmp, name)
    if args.import_only:
        r = subprocess.run([args.tern_translate, "--import-onnx", model, "--onnx-to-tern",
                            "-o", os.devnull], capture_output=True, text=True, timeout=120)
        return None if r.returncode == 0 else (r.stderr.strip().splitlines() or ["failed"])[-1]
    ins, outs = [], []
    for i, value in enumerate(inputs):
        p = os.path.join(tmp, f"{name}_in{i}.npy")
        np.save(p, value)
        ins.append("--input=@" + p)
    expected = [load_tensor(f) for f in data_files(test_dir, "output")]
    for i in range(len(expected)):
        outs.append("--output=@" + os.path.join(tmp, f"{name}_out{i}.npy"))
    r = subprocess.run([args.ternc, "run", model, "--quiet"] + ins + outs, capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        lines = [l for l in r.stderr.strip().splitlines() if "error" in l] or \
            r.stderr.strip().splitlines() or [f"exit {r.returncode}"]
        return lines[0][:300]
    for i, exp in enumerate(expected):
        got = np.load(os.path.join(tmp, f"{name}_out{i}.npy"))
        why = compare(got, exp)
        if why:
            return f"output {i}: {why}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ternc", help="path of ternc (full run)")
    ap.add_argument("--tern-translate", help="path of tern-translate (--import-only)")
    ap.add_argument("--import-only", action="store_true",
                    help="only check that every enabled model imports and legalizes")
    ap.add_argument("--data-dir", default=DATA_DIR)
    ap.add_argument("--filter", default="", help="only tests whose name contains this")
    ap.add_argument("--discover", action="store_true",
                    help="try every test in the data directory, print the passing ones")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="tests run in parallel")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.import_only and not args.tern_translate:
        ap.error("--import-only needs --tern-translate")
    if not args.import_only and not args.ternc:
        ap.error("give --ternc (or --import-only with --tern-translate)")
    if not os.path.isdir(args.data_dir):
        print(f"no ONNX node test data in {args.data_dir} (install libonnx-testdata)")
        return 0
    if args.discover:
        names = sorted(d[5:] for d in os.listdir(args.data_dir) if d.startswith("test_"))
    else:
        names = [n for n in ENABLED if n not in DISABLED]
    names = [n for n in names if args.filter in n]
    failures = []

    def one(n, tmp):
        try:
            return run_one(n, args, tmp)
        except subprocess.TimeoutExpired:
            return "timeout"
        except Exception as e:  # a broken test file must not stop the run
            return f"runner error: {e}"

    with tempfile.TemporaryDirectory() as tmp:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(lambda n: (n, one(n, tmp)), names))
    for n, why in results:
        if why:
            failures.append((n, why))
        if args.verbose or (why and not args.discover):
            print(f"{'PASS' if not why else 'FAIL'} {n}" + (f": {why}" if why else ""))
        elif args.discover and not why:
            print(f"PASS {n}")
    mode = "import+legalize" if args.import_only else "end to end"
    passed = len(names) - len(failures)
    print(f"ONNX node tests ({mode}): {passed}/{len(names)} passed"
          + (f", {len(DISABLED)} disabled" if not args.discover else ""))
    return 0 if args.discover or not failures else 1


if __name__ == "__main__":
    sys.exit(main())

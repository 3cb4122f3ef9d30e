#!/usr/bin/env python3
"""Runs the official ONNX backend node tests (Debian's libonnx-testdata) through Tern.

Every selected test's model.onnx is compiled and executed with
``ternc run MODEL --input=@a.npy ... --output=@y.npy`` (inputs in graph order, from
test_data_set_0/input_*.pb; inputs that feed shape operands are specialized on
their values by ternc itself), and each output is compared with output_*.pb:

  * floating point: ``|got - expected| <= atol + rtol * |expected|`` with rtol = 1e-3,
    atol = 1e-5 (the tolerance of ONNX's own backend test runner is rtol 1e-3,
    atol 1e-7; Tern's math library functions get a little more absolute room), NaNs
    must match NaNs;
  * integers and bools: exactly equal; shapes must be equal.

``--import-only`` instead checks that every selected model imports and legalizes
(``ternc compile MODEL --emit=mlir --mlir-stage=tern``); a graph input that feeds a
shape operand must then be given with ``--const-input NAME=@FILE.npy``, which the
runner does when ternc's error names the input (so that error is checked too).

The selection is a rule (see OPS), not a list; EXCLUDED gives the reason for each
selected test that is not run. ``--discover`` tries every test in the data directory.
docs/onnx-node-tests.md has the rule, the figures and the reasons.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

DATA_DIR = "/usr/share/libonnx-testdata/data/node"

# The selection rule: a test is selected when every node of its model (subgraphs
# included) is a default-domain op in OPS. OPS is the import contract of
# docs/DESIGN ("What ONNX graphs look like": the ops of the models, Cast,
# Shape-derived constants, DequantizeLinear, CumSum, Scan/Loop, Expand) plus
# every op Tern lowers that the runner enabled before the rule existed. So each
# op's whole family runs, dtype variants included; nothing is hand-picked.
OPS = set("""
Abs Acos Acosh Add And ArgMax ArgMin Asin Asinh Atan Atanh Cast CastLike Ceil Celu Clip
Concat Constant ConstantOfShape Cos Cosh CumSum DequantizeLinear Div Dropout Elu Equal Erf
Exp Expand Flatten Floor Gather GatherElements Gemm Greater GreaterOrEqual HardSigmoid
HardSwish Hardmax Identity If IsInf IsNaN LayerNormalization LeakyRelu Less LessOrEqual Log
LogSoftmax Loop MatMul Max Mean Min Mod Mul Neg Not Or PRelu Pad Pow Range Reciprocal
ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd
ReduceSum ReduceSumSquare Relu Reshape Round Scan Selu Shape Shrink Sigmoid Sign Sin Sinh
Size Slice Softmax Softplus Softsign Split Sqrt Squeeze Sub Sum Tan Tanh ThresholdedRelu
Tile Transpose Trilu Unsqueeze Where Xor
""".split())

# Selected tests that are not run, with the reason (docs/onnx-node-tests.md).
_STRING = "string tensors: Tern compiles numeric tensors only"
_BF16 = "bfloat16 tensors: numpy (and so .npy I/O) has no bfloat16"
_RANDOM = "training-mode Dropout draws a random mask: the outputs cannot be compared"
EXCLUDED = {
    **{n: _STRING for n in ["cast_FLOAT_to_STRING", "cast_STRING_to_FLOAT",
                            "castlike_FLOAT_to_STRING", "castlike_STRING_to_FLOAT",
                            "castlike_FLOAT_to_STRING_expanded",
                            "castlike_STRING_to_FLOAT_expanded"]},
    **{n: _BF16 for n in ["cast_BFLOAT16_to_FLOAT", "cast_FLOAT_to_BFLOAT16",
                          "castlike_BFLOAT16_to_FLOAT", "castlike_FLOAT_to_BFLOAT16",
                          "castlike_BFLOAT16_to_FLOAT_expanded",
                          "castlike_FLOAT_to_BFLOAT16_expanded"]},
    **{n: _RANDOM for n in ["training_dropout", "training_dropout_default",
                            "training_dropout_default_mask", "training_dropout_mask"]},
    "identity_opt": "optional-typed graph input (Tern compiles tensors only)",
    "identity_sequence": "sequence-typed graph input (Tern compiles tensors only)",
    "loop11": "slices by the iteration number (a dynamic shape)",
    "scan_sum": "Scan-8 (sequence_lens, batch axis); Scan from opset 9 is supported",
}

RTOL, ATOL = 1e-3, 1e-5

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


def model_ops(model_path):
    """The op types of a model's nodes, subgraphs included (custom domains as
    DOMAIN:Op)."""
    import onnx
    m = onnx.load(model_path)
    ops = set()

    def visit(graph):
        for n in graph.node:
            ops.add(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}")
            for a in n.attribute:
                if a.HasField("g"):
                    visit(a.g)
                for g in a.graphs:
                    visit(g)
    visit(m.graph)
    return ops


def select(data_dir):
    """(selected test names, sorted) by the rule above."""
    names = []
    for d in sorted(os.listdir(data_dir)):
        model = os.path.join(data_dir, d, "model.onnx")
        if d.startswith("test_") and os.path.exists(model):
            try:
                ops = model_ops(model)
            except Exception:
                continue
            if ops and ops <= OPS:
                names.append(d[5:])
    return names


def import_one(name, model, inputs, args, tmp):
    """Imports and legalizes; inputs named by a "give its value" error are
    passed as --const-input."""
    import re
    import numpy as np
    import onnx
    m = onnx.load(model)
    inits = {i.name for i in m.graph.initializer}
    names = [i.name for i in m.graph.input if i.name not in inits]
    consts = []
    for _ in range(len(names) + 1):
        r = subprocess.run([args.ternc, "compile", model, "--quiet", "--emit=mlir",
                            "--mlir-stage=tern", "-o", os.devnull] + consts,
                           capture_output=True, text=True, timeout=120)
        if r.returncode == 0:
            return None
        found = re.search(r"comes from graph input '([^']*)'", r.stderr)
        if not found or found.group(1) not in names:
            return (r.stderr.strip().splitlines() or ["failed"])[0][:300]
        i = names.index(found.group(1))
        p = os.path.join(tmp, f"{name}_const{i}.npy")
        np.save(p, inputs[i])
        consts.append(f"--const-input={names[i]}=@{p}")
    return "too many retries"


def run_one(name, args, tmp):
    test_dir = os.path.join(args.data_dir, "test_" + name)
    model = os.path.join(test_dir, "model.onnx")
    if not os.path.exists(model):
        return "missing"
    import numpy as np
    inputs = [load_tensor(f) for f in data_files(test_dir, "input")]
    if args.import_only:
        return import_one(name, model, inputs, args, tmp)
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
    ap.add_argument("--ternc", required=True, help="path of ternc")
    ap.add_argument("--import-only", action="store_true",
                    help="only check that every selected model imports and legalizes")
    ap.add_argument("--data-dir", default=DATA_DIR)
    ap.add_argument("--filter", default="", help="only tests whose name contains this")
    ap.add_argument("--discover", action="store_true",
                    help="try every test in the data directory, print the passing ones")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="tests run in parallel")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not os.path.isdir(args.data_dir):
        print(f"no ONNX node test data in {args.data_dir} (install libonnx-testdata)")
        return 0
    selected = select(args.data_dir)
    if args.discover:
        names = sorted(d[5:] for d in os.listdir(args.data_dir) if d.startswith("test_"))
    else:
        names = [n for n in selected if n not in EXCLUDED]
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
    if args.discover or args.filter:
        print(f"ONNX node tests ({mode}): {passed}/{len(names)} passed")
    else:
        print(f"ONNX node tests ({mode}): {passed}/{len(selected)} of the selection passed "
              f"({100.0 * passed / max(1, len(selected)):.1f}%; {len(EXCLUDED)} excluded, "
              f"{len(failures)} failed)")
    return 0 if args.discover or not failures else 1


if __name__ == "__main__":
    sys.exit(main())

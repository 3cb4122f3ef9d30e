#!/usr/bin/env python3
"""Compile time against graph size: a chain of N element-wise ONNX nodes through ternc.

For each N the script writes a chain of N nodes, compiles it with `ternc compile` (CPU, a
shared library) and prints one line: N, wall seconds, CPU seconds of the compiler (user +
system, the figure that other processes on a shared machine disturb least), seconds per 1000
nodes and peak RSS. Compile time is linear in graph size when the per-1000 column stays flat.

  --ops neg     the issue's chain: N Neg nodes (y = (-1)^N x)
  --ops mixed   Neg, Add(., x), Mul(., c_i) in turn: the graph input x is read all along
                the chain and every Mul has its own constant, so a dropped, repeated or
                reordered node changes the answer
  --ops matmul  MatMul(., W_i) with W_i a signed permutation matrix of its own: nodes that
                element-wise fusion cannot merge (a reduction each), so the chain keeps one
                loop nest per node all the way to LLVM; exact in float32
  --check       also runs each model (`ternc run`) on random inputs and edge values and
                compares with numpy float32, applying the same ops in the same order
                (tolerance rtol 1e-5, atol 1e-6); exits 1 on a mismatch or a failed compile

  scripts/bench_compile_chain.py --build-dir build --n 1000,2000,5000,10000,20000
  scripts/bench_compile_chain.py --build-dir build --n 5000 --ops mixed --check   # the ctest
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def chain_model(n, ops, shape):
    """The ONNX model and a numpy function computing it in the same order."""
    nodes, inits, steps = [], [], []
    rng = np.random.default_rng(n)
    prev = "x"
    for i in range(n):
        out = "y" if i == n - 1 else f"t{i}"
        kind = ops if ops in ("neg", "matmul") else ("neg", "add", "mul")[i % 3]
        if kind == "neg":
            nodes.append(helper.make_node("Neg", [prev], [out], name=f"neg{i}"))
            steps.append(("neg", None))
        elif kind == "add":
            nodes.append(helper.make_node("Add", [prev, "x"], [out], name=f"add{i}"))
            steps.append(("add", None))
        elif kind == "matmul":
            k = shape[-1]
            w = np.zeros((k, k), np.float32)
            w[rng.permutation(k), np.arange(k)] = rng.choice([-1.0, 1.0], k)
            inits.append(numpy_helper.from_array(w, f"w{i}"))
            nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [out], name=f"matmul{i}"))
            steps.append(("matmul", w))
        else:
            c = np.float32(rng.uniform(0.5, 0.9))
            inits.append(numpy_helper.from_array(np.array(c, np.float32), f"c{i}"))
            nodes.append(helper.make_node("Mul", [prev, f"c{i}"], [out], name=f"mul{i}"))
            steps.append(("mul", c))
        prev = out
    graph = helper.make_graph(nodes, f"chain{n}",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])

    def reference(x):
        y = x
        for kind, c in steps:
            if kind == "neg":
                y = np.negative(y)
            elif kind == "matmul":
                y = (y @ c).astype(np.float32)
            elif kind == "add":
                y = (y + x).astype(np.float32)
            else:
                y = (y * c).astype(np.float32)
        return y

    return model, reference


def timed(argv):
    """(exit status, wall s, CPU s of the child, peak RSS MiB, stderr)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    return (os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024.0, err)


def check(ternc, lib, reference, shape, work):
    """Largest error over random and edge inputs; None and a message on a failed run."""
    rng = np.random.default_rng(18)
    inputs = [rng.standard_normal(shape).astype(np.float32),
              rng.uniform(-1e3, 1e3, shape).astype(np.float32),
              np.zeros(shape, np.float32),
              np.full(shape, -0.0, np.float32)]
    worst = 0.0
    for k, x in enumerate(inputs):
        xin, yout = os.path.join(work, f"x{k}.npy"), os.path.join(work, f"y{k}.npy")
        np.save(xin, x)
        run = subprocess.run([ternc, "run", lib, f"--input=@{xin}", f"--output=@{yout}"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return None, f"ternc run exited {run.returncode}: {run.stderr.strip()}"
        got, want = np.load(yout), reference(x)
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-5, atol=1e-6):
            return None, f"input {k}: max |error| {np.max(np.abs(got - want)):.3g}"
        worst = max(worst, float(np.max(np.abs(got - want))))
    return worst, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--ternc", help="the ternc to time (default: BUILD_DIR/bin/ternc)")
    ap.add_argument("--n", default="1000,2000,5000,10000,20000",
                    help="comma-separated chain lengths")
    ap.add_argument("--ops", choices=("neg", "mixed", "matmul"), default="neg")
    ap.add_argument("--shape", default="2,3", help="the tensor shape, e.g. 2,3 or 4,64")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    ternc = args.ternc or os.path.join(args.build_dir, "bin", "ternc")
    shape = [int(d) for d in args.shape.split(",")]
    load = os.getloadavg()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; ops={args.ops} "
          f"shape={shape}; {ternc}")
    print(f"{'N':>7} {'wall s':>8} {'cpu s':>8} {'cpu s/1000':>10} {'RSS MiB':>8}"
          + ("  max |error|" if args.check else ""))
    failed = False
    with tempfile.TemporaryDirectory(prefix="tern-chain-") as work:
        for n in [int(v) for v in args.n.split(",")]:
            model, reference = chain_model(n, args.ops, shape)
            path, lib = os.path.join(work, f"chain{n}.onnx"), os.path.join(work, f"chain{n}.so")
            onnx.save(model, path)
            code, wall, cpu, rss, err = timed([ternc, "compile", path, "-o", lib, "--quiet"])
            line = f"{n:>7} {wall:>8.1f} {cpu:>8.1f} {1000 * cpu / n:>10.2f} {rss:>8.0f}"
            if code != 0:
                print(line + f"  compile failed ({code}): {err.strip()[-400:]}")
                failed = True
                continue
            if args.check:
                worst, why = check(ternc, lib, reference, shape, work)
                line += f"  {worst:.3g}" if worst is not None else f"  MISMATCH: {why}"
                failed |= worst is None
            print(line, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

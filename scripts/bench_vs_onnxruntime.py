#!/usr/bin/env python3
"""Decode speed of a Tern-compiled model next to onnxruntime on the same ONNX file.

    PYTHONPATH=python .venv/bin/python scripts/bench_vs_onnxruntime.py --config 370m --threads 1

Builds a random HGRNBit of the given config (tern.reference.random_params), exports its
decode step with pre-ternarized int8 weights (DESIGN.md form 3, what a deployment ships),
compiles it with ternc, and times decode steps (the state feeds the next step) in both
runtimes in this process: one JSON line with tokens/s of each and the ratio, plus the
largest logit difference between the two (a sanity check, not a test).
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import tern  # noqa: E402
import tern.export  # noqa: E402
from tern import reference as R  # noqa: E402

CONFIGS = {"tiny": (256, 2, 1024), "370m": (1024, 24, 32000), "1.3b": (2048, 24, 32000),
           "2.7b": (2560, 32, 32000)}


def time_steps(step, state, steps):
    """Best-of-batches seconds per decode step (robust on a shared machine)."""
    tok = np.array([1], dtype=np.int64)
    logits, state = step(tok, state)
    batches = []
    start = time.perf_counter()
    while len(batches) < 3 or time.perf_counter() - start < 2.0:
        t0 = time.perf_counter()
        for i in range(steps):
            logits, state = step(np.array([(i * 7919) % 251], dtype=np.int64), state)
        batches.append((time.perf_counter() - t0) / steps)
    return min(batches), logits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="tiny", choices=sorted(CONFIGS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=8)
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import onnxruntime as ort

    d, layers, vocab = CONFIGS[args.config]
    params = R.random_params(d, layers, vocab, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        tern.export.export_step(params, path, ops="standard", weights="ternary")
        del params
        t0 = time.perf_counter()
        compiled = tern.compile(path)
        compile_s = time.perf_counter() - t0
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = args.threads
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        names = [i.name for i in sess.get_inputs()]
        state0 = np.zeros(compiled.inputs[1].shape, np.float32)

        def ort_step(tok, state):
            return sess.run(None, {names[0]: tok, names[1]: state})

        def tern_step(tok, state):
            return compiled(tok, state)

        tok = np.array([1], dtype=np.int64)
        l_tern, l_ort = tern_step(tok, state0)[0], ort_step(tok, state0)[0]
        t_tern, _ = time_steps(tern_step, state0, args.steps)
        t_ort, _ = time_steps(ort_step, state0, args.steps)
    print(json.dumps({"bench": "decode-vs-onnxruntime", "config": args.config,
                      "threads": args.threads, "tern_tokens_per_s": round(1 / t_tern, 2),
                      "onnxruntime_tokens_per_s": round(1 / t_ort, 2),
                      "vs_onnxruntime": round(t_ort / t_tern, 2), "compile_s": round(compile_s, 1),
                      "max_abs_logit_diff": float(np.max(np.abs(l_tern - l_ort))),
                      "max_abs_logit": float(np.max(np.abs(l_ort)))}))


if __name__ == "__main__":
    main()

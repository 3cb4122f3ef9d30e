#!/usr/bin/env python3
"""Seeded robustness campaign: bad inputs must end in a clean error or in the right answer.

Every case runs Tern's real tools (ternc, tern-translate) or its Python API in a child
process with a time limit and is judged:

  ok-error   exit 1 with an "error" message (a clean refusal)
  ok-equal   exit 0 and, where the case runs the model, outputs equal to onnxruntime's
  ok-import  exit 0 on an import-only case (a mutant that is still a valid model)
  CRASH      a signal (SIGSEGV, SIGBUS, SIGABRT, ...) or any other exit status
  HANG       still running after --timeout seconds
  CLAMP      exit 0 where onnxruntime refuses (an out-of-range index answered silently)
  MISMATCH   exit 0 with outputs different from onnxruntime's
  WRONG      a case that must be refused was accepted, or vice versa

Families: truncations and bit flips of the bundled model (models/tiny-mmfree) and of small
test models; semantic mutants (attributes of the wrong type, misspelled or missing, wrong
arity, out-of-range constant and run-time indices, overflowing shapes, huge constants,
symlinked external data, ir_version 0, shadowed initializers); bad .npy files; C ABI calls
with null pointers; truncated model libraries. The campaign exits 1 if any case is not ok.

  scripts/robustness_campaign.py --build-dir build [--seed 18] [--scale 1] [--jobs 2]
"""

import argparse
import collections
import concurrent.futures
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLED = os.path.join(ROOT, "models", "tiny-mmfree", "model.onnx")

try:
    import onnxruntime as ort
    ort.set_default_logger_severity(4)  # its refusals are expected here
except ImportError:  # the campaign still runs; equality cases then compare to numpy
    ort = None


class Case:
    def __init__(self, family, name, argv, expect="any", compare=None, must_mention=None,
                 env=None, timeout=None):
        self.family, self.name, self.argv = family, name, argv
        self.expect = expect            # "error", "ok" or "any"
        self.compare = compare          # (output paths, expected arrays) to check on exit 0
        self.must_mention = must_mention  # text the error must contain (e.g. the node name)
        self.env = env
        self.timeout = timeout          # a longer limit for a case that compiles a real model


def judge(case, rc, out, elapsed, timeout):
    if rc is None:
        return "HANG", f"over {timeout} s"
    if rc < 0 or rc >= 128:
        sig = -rc if rc < 0 else rc - 128
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return "CRASH", f"signal {name}: {out[-300:]}"
    if rc == 0:
        if case.expect == "error":
            return ("CLAMP" if case.family == "index" else "WRONG"), "accepted: " + out[-200:]
        if case.compare:
            paths, wants = case.compare
            for p, want in zip(paths, wants):
                got = np.load(p)
                if got.shape != want.shape or not np.allclose(got, want, rtol=1e-4, atol=1e-4):
                    return "MISMATCH", f"{os.path.basename(p)} differs from onnxruntime"
            return "ok-equal", ""
        return ("ok-equal" if case.expect == "ok" else "ok-import"), ""
    if rc == 1 and "error" in out.lower():
        if case.expect == "ok":
            return "WRONG", "refused: " + out[-300:]
        if case.must_mention and case.must_mention not in out:
            return "WRONG", f"error does not mention {case.must_mention!r}: {out[-300:]}"
        return "ok-error", ""
    return "CRASH", f"exit {rc}: {out[-300:]}"


def run_case(case, timeout):
    timeout = case.timeout or timeout
    start = time.time()
    env = dict(os.environ, **(case.env or {}))
    try:
        p = subprocess.run(case.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env)
        rc, out = p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, out = None, (e.stdout or b"").decode(errors="replace")
    elapsed = time.time() - start
    verdict, why = judge(case, rc, out, elapsed, timeout)
    return case, verdict, why, elapsed


# ---------------------------------------------------------------------------- models

def small_models(work):
    """Small valid models of the op families the mutants target (name -> path, feeds)."""
    rng = np.random.default_rng(0)
    models = {}

    def save(name, nodes, inputs, outputs, inits=(), feeds=None, ir=8, opset=17):
        g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = ir
        path = os.path.join(work, name + ".onnx")
        onnx.save(m, path)
        models[name] = (path, feeds or {})
        return m

    f32 = TensorProto.FLOAT
    x = rng.standard_normal((2, 3)).astype(np.float32)
    table = rng.standard_normal((5, 4)).astype(np.float32)
    save("gather", [helper.make_node("Gather", ["table", "idx"], ["y"], name="embed", axis=0)],
         [helper.make_tensor_value_info("idx", TensorProto.INT64, [3])],
         [helper.make_tensor_value_info("y", f32, [3, 4])],
         [numpy_helper.from_array(table, "table")], {"idx": np.array([0, 4, -1], np.int64)})
    save("gather_elements",
         [helper.make_node("GatherElements", ["x", "idx"], ["y"], name="ge", axis=1)],
         [helper.make_tensor_value_info("x", f32, [2, 3]),
          helper.make_tensor_value_info("idx", TensorProto.INT64, [2, 2])],
         [helper.make_tensor_value_info("y", f32, [2, 2])], [],
         {"x": x, "idx": np.array([[0, 2], [-1, 1]], np.int64)})
    save("softmax", [helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)],
         [helper.make_tensor_value_info("x", f32, [2, 3])],
         [helper.make_tensor_value_info("y", f32, [2, 3])], [], {"x": x})
    save("concat", [helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=0)],
         [helper.make_tensor_value_info("x", f32, [2, 3])],
         [helper.make_tensor_value_info("y", f32, [4, 3])], [], {"x": x})
    save("relu", [helper.make_node("Relu", ["x"], ["y"], name="act")],
         [helper.make_tensor_value_info("x", f32, [2, 3])],
         [helper.make_tensor_value_info("y", f32, [2, 3])], [], {"x": x})
    save("reduce", [helper.make_node("ReduceMean", ["x"], ["y"], name="mean", axes=[1],
                                     keepdims=1)],
         [helper.make_tensor_value_info("x", f32, [2, 3])],
         [helper.make_tensor_value_info("y", f32, [2, 1])], [], {"x": x})
    chain = [helper.make_node("Neg", ["x"], ["n0"], name="neg0")]
    chain += [helper.make_node("Neg", [f"n{i}"], [f"n{i + 1}"], name=f"neg{i + 1}")
              for i in range(7)]
    chain.append(helper.make_node("Add", ["n7", "x"], ["y"], name="add"))
    save("chain", chain, [helper.make_tensor_value_info("x", f32, [2, 3])],
         [helper.make_tensor_value_info("y", f32, [2, 3])], [], {"x": x})
    return models


def ort_outputs(path, feeds):
    if ort is None:
        return None
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def ort_refuses(path, feeds):
    if ort is None:
        return True
    try:
        ort_outputs(path, feeds)
        return False
    except Exception:  # onnxruntime's own error: the input is invalid
        return True


# ---------------------------------------------------------------------------- families

def file_mutants(rng, work, tools, sources, count):
    """Truncations and bit flips: import + legalize must end in a module or an error."""
    cases = []
    for i in range(count):
        src = sources[i % len(sources)]
        data = bytearray(open(src, "rb").read())
        kind = rng.choice(["truncate", "flip", "flip"])
        if kind == "truncate":
            cut = rng.randrange(0, len(data))
            data = data[:cut]
            what = f"truncated at {cut}"
        else:
            flips = []
            for _ in range(rng.randint(1, 8)):
                # Mostly in the first 64 KiB: the graph and attributes, not weight bytes.
                pos = rng.randrange(0, min(len(data), 65536) if rng.random() < .8 else len(data))
                bit = rng.randrange(8)
                data[pos] ^= 1 << bit
                flips.append(f"{pos}:{bit}")
            what = "bit flips " + ",".join(flips)
        path = os.path.join(work, f"mut{i}.onnx")
        open(path, "wb").write(data)
        cases.append(Case("file", f"{os.path.basename(src)} {what}",
                          [tools["translate"], "--import-onnx", path, "--onnx-to-tern",
                           "--onnx-summary", "-o", os.devnull]))
    return cases


def run_case_for(tools, work, name, model_path, feeds, expect, out_names=None,
                 must_mention=None, family="semantic", compare=True):
    """`ternc run` of a model: expect an error, or outputs equal to onnxruntime's."""
    argv = [tools["ternc"], "run", model_path]
    for k, v in feeds.items():
        p = os.path.join(work, f"{name}.in.{k}.npy")
        np.save(p, v)
        argv.append(f"--input=@{p}")
    cmp = None
    if expect == "ok" and compare:
        want = ort_outputs(model_path, feeds)
        if want is not None:
            paths = [os.path.join(work, f"{name}.out{i}.npy") for i in range(len(want))]
            argv += [f"--output=@{p}" for p in paths]
            cmp = (paths, want)
    return Case(family, name, argv, expect=expect, compare=cmp, must_mention=must_mention)


def semantic_mutants(rng, work, tools, models, count):
    cases = []
    f32 = TensorProto.FLOAT

    def variant(base, name, edit, ir=None):
        m = onnx.load(models[base][0])
        edit(m)
        if ir is not None:
            m.ir_version = ir
        path = os.path.join(work, name + ".onnx")
        onnx.save(m, path)
        return path

    def import_case(name, path, expect, mention=None):
        return Case("semantic", name, [tools["translate"], "--import-onnx", path,
                                       "--onnx-to-tern", "-o", os.devnull],
                    expect=expect, must_mention=mention)

    def set_attr(node, attr):
        del node.attribute[:]
        node.attribute.append(attr)

    # The cases, each named.
    cases.append(import_case("softmax axis='abc'", variant(
        "softmax", "softmax_str_axis",
        lambda m: set_attr(m.graph.node[0], helper.make_attribute("axis", "abc"))),
        "error", "sm"))
    cases.append(import_case("concat without axis", variant(
        "concat", "concat_no_axis", lambda m: m.graph.node[0].ClearField("attribute")),
        "error", "cat"))
    cases.append(import_case("relu with 3 inputs", variant(
        "relu", "relu3", lambda m: m.graph.node[0].input.extend(["x", "x"])), "error", "act"))
    cases.append(import_case("misspelled keupdims", variant(
        "reduce", "keupdims", lambda m: m.graph.node[0].attribute.append(
            helper.make_attribute("keupdims", 1))), "error", "mean"))
    cases.append(import_case("ir_version 0", variant("relu", "ir0", lambda m: None, ir=0),
                             "error"))

    def const_index(m):
        m.graph.initializer.append(numpy_helper.from_array(np.array([1_000_000], np.int64), "k"))
        del m.graph.input[:]
        m.graph.node[0].input[1] = "k"
        m.graph.output[0].type.tensor_type.shape.dim[0].dim_value = 1
    cases.append(import_case("constant index 10^6", variant("gather", "const_index", const_index),
                             "error", "embed"))

    def huge_input(m):
        m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 2 ** 62
        m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 4
        m.graph.input[0].type.tensor_type.shape.dim.add().dim_value = 1
        del m.graph.input[0].type.tensor_type.shape.dim[2:]
        del m.graph.output[0].type.tensor_type.shape.dim[:]
    cases.append(import_case("input shape (2^62, 4)", variant("relu", "huge_input", huge_input),
                             "error"))

    # A huge ConstantOfShape / Expand: compiles (a run-time computation) or is refused, but
    # never hangs; running it is an out-of-memory error, not an abort.
    big = helper.make_graph(
        [helper.make_node("ConstantOfShape", ["shape"], ["c"], name="cos",
                          value=numpy_helper.from_array(np.array([1.0], np.float32))),
         helper.make_node("ReduceSum", ["c"], ["y"], name="sum", keepdims=0)],
        "big", [], [helper.make_tensor_value_info("y", f32, [])],
        [numpy_helper.from_array(np.array([2 ** 20, 2 ** 20], np.int64), "shape")])
    bm = helper.make_model(big, opset_imports=[helper.make_opsetid("", 12)])
    bm.ir_version = 8
    onnx.save(bm, os.path.join(work, "big_const.onnx"))
    cases.append(Case("semantic", "ConstantOfShape [2^20, 2^20] run",
                      [tools["ternc"], "run", os.path.join(work, "big_const.onnx")],
                      expect="error"))
    ex = helper.make_graph(
        [helper.make_node("Expand", ["x", "shape"], ["y"], name="expand")], "expand",
        [helper.make_tensor_value_info("x", f32, [1, 1])],
        [helper.make_tensor_value_info("y", f32, [2 ** 20, 2 ** 20])],
        [numpy_helper.from_array(np.array([2 ** 20, 2 ** 20], np.int64), "shape")])
    em = helper.make_model(ex, opset_imports=[helper.make_opsetid("", 13)])
    em.ir_version = 8
    onnx.save(em, os.path.join(work, "expand.onnx"))
    cases.append(run_case_for(tools, work, "expand_huge", os.path.join(work, "expand.onnx"),
                              {"x": np.ones((1, 1), np.float32)}, "error"))

    # External data through a symlink out of the model's directory.
    outside = os.path.join(work, "outside")
    inside = os.path.join(work, "inside")
    os.makedirs(outside, exist_ok=True)
    os.makedirs(inside, exist_ok=True)
    table = np.arange(20, dtype=np.float32).reshape(5, 4)
    table.tofile(os.path.join(outside, "secret.bin"))
    link = os.path.join(inside, "weights.bin")
    if not os.path.lexists(link):
        os.symlink(os.path.join(outside, "secret.bin"), link)
    m = onnx.load(models["gather"][0])
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "80")):
        e = t.external_data.add()
        e.key, e.value = k, v
    onnx.save(m, os.path.join(inside, "model.onnx"))
    cases.append(import_case("external data symlink escape", os.path.join(inside, "model.onnx"),
                             "error", "outside"))

    # Run-time indices: out of range is an error naming the node, never a clamp; in range
    # equals onnxruntime.
    gpath = models["gather"][0]
    for idx in ([0, 4, -1], [-5, 3, 2]):
        cases.append(run_case_for(tools, work, f"gather ok {idx}", gpath,
                                  {"idx": np.array(idx, np.int64)}, "ok", family="index"))
    for bad in (5, 256, 10 ** 9, 2 ** 63 - 1, -6, -1000, -2 ** 63):
        feeds = {"idx": np.array([0, bad, 1], np.int64)}
        assert ort_refuses(gpath, feeds)
        cases.append(run_case_for(tools, work, f"gather index {bad}", gpath, feeds, "error",
                                  must_mention="embed", family="index"))
    gepath = models["gather_elements"][0]
    cases.append(run_case_for(tools, work, "gather_elements ok", gepath,
                              models["gather_elements"][1], "ok", family="index"))
    for bad in (3, -4, 10 ** 12):
        feeds = dict(models["gather_elements"][1])
        feeds["idx"] = np.array([[0, bad], [1, 1]], np.int64)
        cases.append(run_case_for(tools, work, f"gather_elements index {bad}", gepath, feeds,
                                  "error", must_mention="ge", family="index"))

    # The bundled model through the Python API: token 255 equals onnxruntime, 256 and -257
    # are errors naming the embedding Gather (what generation reports).
    cases.append(Case("index", "bundled model tokens via tern.CompiledModel",
                      [sys.executable, "-c", BUNDLED_TOKENS.format(
                          python=os.path.join(ROOT, "python"), model=BUNDLED,
                          out=os.path.join(work, "bundled.so"))], expect="ok", timeout=300))

    # Random attribute and arity mutants of the small models and of the bundled model.
    kinds = ["drop-attr", "rename-attr", "retype-attr", "add-input", "drop-input",
             "add-attr", "opset"]
    bases = sorted(k for k in models if k not in ("gather", "gather_elements"))
    bundled = onnx.load(BUNDLED)
    for i in range(count):
        kind = rng.choice(kinds)
        use_bundled = i % 4 == 0
        m = onnx.ModelProto()
        m.CopyFrom(bundled if use_bundled else onnx.load(models[rng.choice(bases)][0]))
        node = rng.choice(list(m.graph.node))
        desc = f"{kind} on {node.op_type} '{node.name}'"
        if kind == "drop-attr" and node.attribute:
            del node.attribute[rng.randrange(len(node.attribute))]
        elif kind == "rename-attr" and node.attribute:
            a = node.attribute[rng.randrange(len(node.attribute))]
            a.name = a.name[:-1] + chr(ord(a.name[-1]) ^ 1) if a.name else "x"
        elif kind == "retype-attr" and node.attribute:
            a = node.attribute[rng.randrange(len(node.attribute))]
            new = helper.make_attribute(a.name, rng.choice(["abc", 1.5, [1, 2], 7]))
            a.CopyFrom(new)
        elif kind == "add-input":
            node.input.append(node.input[0] if node.input else "")
        elif kind == "drop-input" and node.input:
            del node.input[-1]
        elif kind == "add-attr":
            node.attribute.append(helper.make_attribute(rng.choice(["alpha", "axis", "zz"]), 1))
        elif kind == "opset":
            m.opset_import[0].version = rng.choice([1, 6, 11, 24, 99])
        path = os.path.join(work, f"sem{i}.onnx")
        onnx.save(m, path)
        cases.append(import_case(desc, path, "any"))
    return cases


def npy_cases(work, tools, models):
    """Bad .npy inputs to `ternc run`: clean errors, checked before anything is allocated."""
    relu = models["relu"][0]
    cases = []

    def npy(name, header, payload=b"", version=1, magic=b"\x93NUMPY"):
        h = header.encode()
        if version == 1:
            pre = magic + bytes([1, 0]) + len(h).to_bytes(2, "little")
        else:
            pre = magic + bytes([version, 0]) + len(h).to_bytes(4, "little")
        path = os.path.join(work, name + ".npy")
        open(path, "wb").write(pre + h + payload)
        return path

    bad = {
        "huge_shape": npy("huge_shape", "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (1099511627776, 1, 256), }\n", b"\0" * 3000),
        "digits400": npy("digits400", "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                         "9" * 400 + ",), }\n", b"\0" * 64),
        "negative": npy("negative", "{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (-2, 3), }\n", b"\0" * 24),
        "overflow": npy("overflow", "{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (4611686018427387904, 4), }\n", b"\0" * 24),
        "short": npy("short", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
                     b"\0" * 23),
        "bigendian": npy("bigendian", "{'descr': '>f4', 'fortran_order': False, "
                         "'shape': (2, 3), }\n", b"\0" * 24),
        "fortran": npy("fortran", "{'descr': '<f4', 'fortran_order': True, "
                       "'shape': (2, 3), }\n", b"\0" * 24),
        "bad_magic": npy("bad_magic", "{}", magic=b"\x93NUMPX"),
        "header_len": npy("header_len", "{'descr'", version=2),
        "no_shape": npy("no_shape", "{'descr': '<f4', 'fortran_order': False, }\n", b"\0" * 24),
        "garbage_dim": npy("garbage_dim", "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (2x, 3), }\n", b"\0" * 24),
        "unclosed": npy("unclosed", "{'descr': '<f4', 'fortran_order': False, "
                        "'shape': (2, 3", b""),
        "wrong_dtype": npy("wrong_dtype", "{'descr': '<i8', 'fortran_order': False, "
                           "'shape': (2, 3), }\n", b"\0" * 48),
        "wrong_shape": npy("wrong_shape", "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (3, 2), }\n", b"\0" * 24),
    }
    with open(os.path.join(work, "version9.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x09\x00" + b"\0" * 10)
    bad["version9"] = os.path.join(work, "version9.npy")
    open(os.path.join(work, "empty.npy"), "wb").close()
    bad["empty"] = os.path.join(work, "empty.npy")
    for name, path in bad.items():
        cases.append(Case("npy", name, [tools["ternc"], "run", relu, f"--input=@{path}"],
                          expect="error"))
    # Zero-size tensors through import, run and .npy: a (0, 3) Relu equals onnxruntime.
    m = onnx.load(relu)
    for v in (m.graph.input[0], m.graph.output[0]):
        v.type.tensor_type.shape.dim[0].dim_value = 0
    zpath = os.path.join(work, "relu0x3.onnx")
    onnx.save(m, zpath)
    cases.append(run_case_for(tools, work, "zero-size 0x3", zpath,
                              {"x": np.zeros((0, 3), np.float32)}, "ok", family="npy"))
    # The same --output twice.
    x = os.path.join(work, "x23.npy")
    np.save(x, np.ones((2, 3), np.float32))
    two = os.path.join(work, "two.onnx")
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["a"], name="r1"),
                           helper.make_node("Neg", ["x"], ["b"], name="n1")], "two",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3]),
                           helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 3])])
    tm = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    tm.ir_version = 8
    onnx.save(tm, two)
    out = os.path.join(work, "same.npy")
    cases.append(Case("npy", "same --output twice",
                      [tools["ternc"], "run", two, f"--input=@{x}", f"--output=@{out}",
                       f"--output=@{os.path.join(work, '.', 'same.npy')}"], expect="error"))
    return cases


BUNDLED_TOKENS = r"""
import sys
sys.path.insert(0, {python!r})
import numpy as np
import onnxruntime as ort
import tern
m = tern.compile({model!r}, output={out!r})
state = np.zeros(m.inputs[1].shape, np.float32)
sess = ort.InferenceSession({model!r}, providers=["CPUExecutionProvider"])
for tok in (0, 255):
    got = m(np.array([tok], np.int64), state)
    want = sess.run(None, {{"tokens": np.array([tok], np.int64), "state": state}})
    assert np.allclose(got[0], want[0], rtol=1e-3, atol=1e-3), ("logits differ", tok)
for tok in (256, -257, 10 ** 9):
    try:
        m(np.array([tok], np.int64), state)
    except tern.TernError as e:
        assert "Gather" in str(e) and str(tok) in str(e), str(e)
        continue
    print("error: token", tok, "was answered (silent clamp)")
    sys.exit(3)
"""


ABI_SNIPPET = r"""
import ctypes, sys
sys.path.insert(0, {python!r})
import numpy as np
import tern
from tern.api import _Tensor
m = tern.CompiledModel({so!r})
lib = m._lib
err = ctypes.create_string_buffer(256)
x = np.ones((2, 3), np.float32)
y = np.empty((2, 3), np.float32)
shape = (ctypes.c_int64 * 2)(2, 3)
good_in = (_Tensor * 1)(_Tensor(x.ctypes.data, 0, 2, shape))
good_out = (_Tensor * 1)(_Tensor(y.ctypes.data, 0, 2, shape))
kind = {kind!r}
if kind == "null-inputs":
    rc = lib.tern_model_run(None, 1, good_out, 1, err, 256)
elif kind == "null-outputs":
    rc = lib.tern_model_run(good_in, 1, None, 1, err, 256)
elif kind == "null-shape":
    rc = lib.tern_model_run((_Tensor * 1)(_Tensor(x.ctypes.data, 0, 2, None)), 1, good_out, 1,
                            err, 256)
elif kind == "null-out-shape":
    rc = lib.tern_model_run(good_in, 1, (_Tensor * 1)(_Tensor(y.ctypes.data, 0, 2, None)), 1,
                            err, 256)
elif kind == "null-data":
    rc = lib.tern_model_run((_Tensor * 1)(_Tensor(None, 0, 2, shape)), 1, good_out, 1, err, 256)
elif kind == "bad-rank":
    rc = lib.tern_model_run((_Tensor * 1)(_Tensor(x.ctypes.data, 0, 99, shape)), 1, good_out, 1,
                            err, 256)
elif kind == "negative-count":
    rc = lib.tern_model_run(good_in, -1, good_out, 1, err, 256)
elif kind == "null-error":
    rc = lib.tern_model_run(None, 1, good_out, 1, None, 0)
    err.value = b"error: (no buffer)"
elif kind == "valid":
    rc = lib.tern_model_run(good_in, 1, good_out, 1, err, 256)
    assert rc == 0 and np.array_equal(y, np.maximum(x, 0)), err.value
    sys.exit(0)
if rc == 0:
    sys.exit(0)   # accepted a bad call: the case fails as WRONG
print("error:", err.value.decode())
sys.exit(1)
"""


def abi_cases(work, tools, models, python):
    so = os.path.join(work, "relu.so")
    subprocess.run([tools["ternc"], "compile", models["relu"][0], "-o", so, "--quiet"],
                   check=True)
    cases = []
    for kind in ("null-inputs", "null-outputs", "null-shape", "null-out-shape", "null-data",
                 "bad-rank", "negative-count", "null-error"):
        cases.append(Case("abi", kind, [python, "-c", ABI_SNIPPET.format(
            python=os.path.join(ROOT, "python"), so=so, kind=kind)], expect="error"))
    cases.append(Case("abi", "valid call", [python, "-c", ABI_SNIPPET.format(
        python=os.path.join(ROOT, "python"), so=so, kind="valid")], expect="ok"))
    # Truncated libraries: ternc generate and tern.CompiledModel refuse them cleanly.
    data = open(so, "rb").read()
    for frac in (0.1, 0.5, 0.9, 0.99):
        cut = os.path.join(work, f"trunc{int(frac * 100)}.so")
        open(cut, "wb").write(data[:int(len(data) * frac)])
        cases.append(Case("so", f"generate on .so truncated to {frac:.0%}",
                          [tools["ternc"], "generate", cut, "-n", "1"], expect="error"))
        cases.append(Case("so", f"CompiledModel on .so truncated to {frac:.0%}",
                          [python, "-c", "import sys; sys.path.insert(0, %r)\nimport tern\n"
                           "try:\n  tern.CompiledModel(%r)\nexcept tern.TernError as e:\n"
                           "  print('error:', e); sys.exit(1)" % (os.path.join(ROOT, "python"),
                                                                cut)],
                          expect="error"))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies the number of random mutants (1: ~200 file mutants, "
                         "~60 semantic)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--json", help="write the per-case results here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--ternc", help="the ternc to test (default: BUILD_DIR/bin/ternc; e.g. "
                    "the sanitizer build's ternc-asan)")
    args = ap.parse_args()

    bindir = os.path.join(os.path.abspath(args.build_dir), "bin")
    tools = {"ternc": args.ternc or os.path.join(bindir, "ternc"),
             "translate": os.path.join(bindir, "tern-translate")}
    for t in tools.values():
        if not os.access(t, os.X_OK):
            sys.exit(f"robustness_campaign: {t} not built")
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="tern-robustness-")
    # `ternc generate` caches compiled models under $HOME: keep it inside the work dir.
    os.environ["HOME"] = work
    try:
        models = small_models(work)
        sources = [BUNDLED, os.path.join(ROOT, "models", "tiny-mmfree", "model.tern.onnx")]
        sources += [models[k][0] for k in ("gather", "softmax", "chain", "reduce")]
        cases = []
        cases += file_mutants(rng, work, tools, sources, int(200 * args.scale))
        cases += semantic_mutants(rng, work, tools, models, int(60 * args.scale))
        cases += npy_cases(work, tools, models)
        cases += abi_cases(work, tools, models, sys.executable)
        counts = collections.Counter()
        by_family = collections.defaultdict(collections.Counter)
        failures, records = [], []
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for case, verdict, why, elapsed in pool.map(lambda c: run_case(c, args.timeout),
                                                         cases):
                counts[verdict] += 1
                by_family[case.family][verdict] += 1
                records.append({"family": case.family, "case": case.name, "verdict": verdict,
                                "why": why, "seconds": round(elapsed, 2)})
                if not verdict.startswith("ok"):
                    failures.append(f"{verdict} [{case.family}] {case.name}: {why}")
        for f in failures:
            print(f)
        for fam in sorted(by_family):
            print(f"  {fam:9s} " + ", ".join(f"{k} {v}" for k, v in sorted(by_family[fam].items())))
        bad = sum(v for k, v in counts.items() if not k.startswith("ok"))
        print(f"robustness campaign (seed {args.seed}): {len(cases)} cases in "
              f"{time.time() - start:.0f} s: " +
              ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) +
              f"; {bad} not ok")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(records, f, indent=1)
        return 1 if bad else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""A pytest plugin that runs the CPU backend's numeric tests for AArch64 as well.

``pytest -p aarch64_qemu python/tests/test_cpu_backend.py -k ...`` (ctest ``aarch64-qemu``,
label ``aarch64``): every model a test compiles with ``tern.compile`` is also cross-compiled
with ``ternc run --target-triple=aarch64-linux-gnu`` for each CPU in ``TERN_AARCH64_CPUS``
(default ``generic,neoverse-n1``: baseline ARMv8.0 NEON and ARMv8.2 dotprod) and run under
qemu-aarch64 on the same inputs.  Each call returns the AArch64 outputs, so the test's own
checks against the numpy reference apply to them, after checking them against the x86
outputs of the same model:

* integer outputs: bit-exact;
* float outputs: ``|a64 - x86| <= 2e-3 * max|x86| + 1e-5`` elementwise and the median
  difference ``<= 1e-5 * max|x86|`` (the suite's own tolerance: a different sum order or FMA
  contraction can move one quantized activation to the neighbouring int8 level).

Tests that loop over the host's kernels (``host_kernels()``) run ``portable``, ``select`` and
``auto`` here: ``auto`` is each target's best kernel (on AArch64 ``neon`` for generic, ``sdot``
for neoverse-n1; the x86-only kernels are covered by the x86 suite); any x86-only kernel a
test still asks for becomes ``auto`` for AArch64.  The summary line counts how many outputs were bit-exact.
"""

import hashlib
import os
import subprocess
import tempfile

import numpy as np

import tern

X86_ONLY_KERNELS = {"vnni", "vnni-base3", "avxvnni", "lut", "avx2", "avx2-select"}
_host_compile = tern.compile
_stats = {"outputs": 0, "bit_exact": 0, "runs": 0}
_cache = {}


def aarch64_cpus():
    return [c for c in os.environ.get("TERN_AARCH64_CPUS", "generic,neoverse-n1").split(",") if c]


def _aarch64_args(extra_args):
    out = []
    for a in extra_args:
        if a.startswith("--ternary-kernel=") and a.split("=", 1)[1] in X86_ONLY_KERNELS:
            a = "--ternary-kernel=auto"
        if a.startswith("--target-features=") or a.startswith("--cpu="):
            continue  # x86 features/CPUs do not apply
        out.append(a)
    return out


def run_aarch64(path, extra_args, cpu, arrays, num_outputs):
    """The outputs of ``path`` compiled for AArch64 ``cpu`` and run under qemu-aarch64."""
    with open(path, "rb") as fh:
        key = hashlib.sha256(fh.read())
    for a in arrays:
        key.update(np.ascontiguousarray(a).tobytes())
        key.update(str((a.dtype, a.shape)).encode())
    key = (key.hexdigest(), tuple(extra_args), cpu)
    if key in _cache:
        return _cache[key]
    with tempfile.TemporaryDirectory() as tmp:
        args = [tern.api.find_ternc(), "run", str(path), "--quiet",
                "--target-triple=aarch64-linux-gnu", f"--cpu={cpu}", *extra_args]
        for i, a in enumerate(arrays):
            np.save(os.path.join(tmp, f"in{i}.npy"), a)
            args.append(f"--input=@{os.path.join(tmp, f'in{i}.npy')}")
        outs = [os.path.join(tmp, f"out{i}.npy") for i in range(num_outputs)]
        args += [f"--output=@{o}" for o in outs]
        proc = subprocess.run(args, capture_output=True, text=True)
        if proc.returncode != 0:
            raise tern.TernError(f"aarch64 ({cpu}) run failed: {proc.stderr.strip()}")
        _stats["runs"] += 1
        _cache[key] = [np.load(o) for o in outs]
    return _cache[key]


def assert_matches_x86(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, what
    _stats["outputs"] += 1
    if np.array_equal(got, want, equal_nan=bool(np.issubdtype(want.dtype, np.floating))):
        _stats["bit_exact"] += 1
        return
    assert np.issubdtype(want.dtype, np.floating), f"{what}: integer outputs differ from x86"
    scale = float(np.max(np.abs(want))) if want.size else 0.0
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert np.all(err <= 2e-3 * scale + 1e-5), f"{what}: max diff {err.max()} vs scale {scale}"
    assert float(np.median(err)) <= 1e-5 * scale + 1e-7, f"{what}: median diff {np.median(err)}"


class CrossCheckedModel:
    """The host model, plus the same model for AArch64 under qemu on every call."""

    def __init__(self, path, host, extra_args):
        self.path, self.host, self.args = path, host, _aarch64_args(extra_args)
        self.inputs, self.outputs = host.inputs, host.outputs

    def __call__(self, *arrays):
        want = self.host(*arrays)
        got = None
        for cpu in aarch64_cpus():
            got = run_aarch64(self.path, self.args, cpu, arrays, len(want))
            for i, (g, w) in enumerate(zip(got, want)):
                assert_matches_x86(g, w, f"aarch64 {cpu} output {i}")
        return got


def cross_compile(path, target="cpu", output=None, extra_args=()):
    host = _host_compile(path, target, output, extra_args)
    return CrossCheckedModel(path, host, list(extra_args))


def pytest_configure(config):
    tern.compile = cross_compile


def pytest_collection_modifyitems(session, config, items):
    for module in {item.module for item in items if hasattr(item, "module")}:
        if hasattr(module, "host_kernels"):
            module.host_kernels = lambda: ["portable", "select", "auto"]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(
        f"aarch64 under qemu: {_stats['runs']} runs, {_stats['bit_exact']} of "
        f"{_stats['outputs']} outputs bit-exact with x86 (CPUs {','.join(aarch64_cpus())})")

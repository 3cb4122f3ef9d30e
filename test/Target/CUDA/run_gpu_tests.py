"""ctest `cuda-gpu-numerics` (labels `gpu`, `cuda`): the CUDA backend against the numpy
reference on a GPU. Without a GPU it prints why and exits 77, which ctest reports as
skipped; with one it runs test_cuda_numerics.py under pytest.

Usage: run_gpu_tests.py BUILD_DIR [pytest args...]
       run_gpu_tests.py BUILD_DIR --emulation [pytest args...]   (CPU emulation, no GPU)
"""

import ctypes
import os
import sys

SKIP = 77


def gpu_status():
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0, "no CUDA driver (libcuda.so.1 cannot be loaded)"
    n = ctypes.c_int(0)
    rc = lib.cuInit(0)
    if rc != 0:
        return 0, f"cuInit failed with CUDA driver error {rc}"
    rc = lib.cuDeviceGetCount(ctypes.byref(n))
    if rc != 0 or n.value == 0:
        return 0, "the CUDA driver reports no devices"
    return n.value, ""


def main():
    build = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    if len(sys.argv) > 2 and sys.argv[2] == "--emulation":
        # No GPU needed: every kernel of the generated models runs on the CPU.
        os.environ["TERN_CUDA_EMULATION"] = "1"
        os.environ["TERN_BUILD_DIR"] = os.path.abspath(build)
        sys.path.insert(0, os.path.join(here, "..", "..", "..", "python"))
        import pytest
        return pytest.main(["-q", os.path.join(here, "test_cuda_numerics.py"), *sys.argv[3:]])
    count, why = gpu_status()
    if count == 0:
        print(f"SKIPPED: no CUDA GPU found ({why}). The CUDA numeric tests need an NVIDIA GPU "
              "(sm_80 or newer); on such a machine run `ctest -L gpu` in the build directory.")
        return SKIP
    os.environ["TERN_BUILD_DIR"] = os.path.abspath(build)
    sys.path.insert(0, os.path.join(here, "..", "..", "..", "python"))
    import pytest
    return pytest.main(["-q", os.path.join(here, "test_cuda_numerics.py"), *sys.argv[2:]])


if __name__ == "__main__":
    sys.exit(main())

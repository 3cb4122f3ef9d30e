"""tern.CompiledModel refuses a file that is not a complete shared library with a TernError,
before ctypes dlopens it (a truncated library would be a SIGBUS inside dlopen). The check is
lib/Runtime/ElfCheck.cpp's, called through libtern_runtime.so's C ABI, the same one
``ternc run`` makes."""

import shutil
import subprocess

import pytest

import tern
from _compiled import ternc_or_skip


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    ternc_or_skip()
    cc = shutil.which("clang-22") or shutil.which("cc") or pytest.skip("no C compiler")
    d = tmp_path_factory.mktemp("lib")
    (d / "m.c").write_text("int tern_model_abi_version(void) { return 1; }\n"
                           "static char big[1 << 16] = {1};\nchar *tern_big(void) { return big; }\n")
    subprocess.run([cc, "-shared", "-fPIC", str(d / "m.c"), "-o", str(d / "m.so")], check=True)
    return (d / "m.so").read_bytes()


@pytest.mark.parametrize("cut,message", [
    (lambda b: b[:len(b) // 2], r"truncated or corrupt shared library \("),
    (lambda b: b[:40], r"not a shared library \(40 bytes: shorter than an ELF header\)"),
    (lambda b: b"not an ELF file at all" * 4, r"not a shared library \(no ELF magic\)"),
    (lambda b: b[:4] + b"\x01" + b[5:], "not a 64-bit little-endian ELF shared library"),
], ids=["half", "header", "text", "32-bit"])
def test_bad_library_is_refused(tmp_path, library, cut, message):
    path = tmp_path / "bad.so"
    path.write_bytes(cut(library))
    with pytest.raises(tern.TernError, match=f"cannot load model library: {path}: {message}"):
        tern.CompiledModel(str(path))


def test_whole_library_passes_the_check(tmp_path, library):
    path = tmp_path / "ok.so"
    path.write_bytes(library)
    tern.api.check_shared_object(str(path))  # no error: the check does not refuse good files


def test_missing_runtime_library_is_named(tmp_path, monkeypatch, library):
    monkeypatch.setattr(tern.api, "_RUNTIME", None)
    monkeypatch.setenv("TERN_RUNTIME_LIB", str(tmp_path / "nowhere.so"))
    with pytest.raises(tern.TernError, match="set TERN_RUNTIME_LIB"):
        tern.api.check_shared_object(str(tmp_path / "x.so"))

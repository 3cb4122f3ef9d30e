"""Validates a shared library before ctypes loads it.

dlopen maps a truncated library and dies with SIGBUS when it touches a page
past the end of the file; the same check as lib/Runtime/ElfCheck.cpp (ELF
header, program and section header tables, segment extents against the
file size) turns that into a TernError first."""

import os
import struct


def check_shared_object(path: str) -> None:
    """Raises ValueError naming ``path`` if it is not a complete ELF shared library."""
    try:
        size = os.stat(path).st_size
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64:
                raise ValueError(f"{path}: not a shared library ({size} bytes: shorter than "
                                 "an ELF header)")
            if head[:4] != b"\x7fELF":
                raise ValueError(f"{path}: not a shared library (no ELF magic)")
            if head[4] != 2 or head[5] != 1:
                raise ValueError(f"{path}: not a 64-bit little-endian ELF shared library")
            (e_type, _machine, _version, _entry, phoff, shoff, _flags, _ehsize, phentsize,
             phnum, shentsize, shnum, _shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", head, 16)
            if e_type != 3:  # ET_DYN
                raise ValueError(f"{path}: not an ELF shared library (e_type {e_type})")
            if phentsize != 56 or phnum == 0 or phnum == 0xFFFF:
                raise ValueError(f"{path}: corrupt ELF header (program header table)")

            def truncated(what: str, end: int) -> ValueError:
                return ValueError(f"{path}: truncated or corrupt shared library ({what} ends "
                                  f"at byte {end}, the file has {size})")

            if phoff + phnum * 56 > size:
                raise truncated("the program header table", phoff + phnum * 56)
            if shnum and shentsize == 64 and shoff + shnum * 64 > size:
                raise truncated("the section header table", shoff + shnum * 64)
            f.seek(phoff)
            table = f.read(phnum * 56)
            loads = False
            for i in range(phnum):
                p_type, _fl, offset, _va, _pa, filesz, memsz, _al = struct.unpack_from(
                    "<IIQQQQQQ", table, i * 56)
                # PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_GNU_EH_FRAME
                if p_type not in (1, 2, 3, 4, 0x6474E550):
                    continue
                if offset + filesz > size:
                    raise truncated("a segment", offset + filesz)
                if p_type == 1:
                    loads = True
                    if filesz > memsz:
                        raise ValueError(f"{path}: corrupt ELF segment (file size above memory "
                                         "size)")
            if not loads:
                raise ValueError(f"{path}: corrupt ELF shared library (no loadable segment)")
    except OSError as e:
        raise ValueError(f"{path}: cannot read: {e.strerror}") from None

//===- ElfCheck.h - validate a shared object before dlopen ----------------===//
#ifndef TERN_RUNTIME_ELFCHECK_H
#define TERN_RUNTIME_ELFCHECK_H

#include <cstddef>
#include <string>

namespace tern::runtime {

/// Checks that `path` is a complete 64-bit little-endian ELF shared object
/// for this machine: the header, the program header table and every loaded
/// segment's file extent lie inside the file. dlopen maps a truncated
/// library and faults (SIGBUS) when it touches a missing page; this check
/// turns that into an error message. False with `error` set otherwise.
bool checkSharedObject(const std::string &path, std::string &error);

} // namespace tern::runtime

/// The same check through a C ABI, exported by libtern_runtime.so for loaders
/// in other languages (the Python package's tern.CompiledModel): 0 when `path`
/// is a complete shared library, else non-zero with the message in `error`
/// (NUL-terminated, cut to `error_size`).
extern "C" int tern_check_shared_object(const char *path, char *error, size_t error_size);

#endif // TERN_RUNTIME_ELFCHECK_H

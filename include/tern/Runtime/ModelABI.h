//===- ModelABI.h - which C ABI a compiled model library implements -------===//
//
// Every artifact of ternc compile exports tern_model_abi_version(); loaders
// (ternc run, ternc generate, tern.CompiledModel) read it before calling
// anything else, so a library built for another ABI is refused by name rather
// than called wrongly.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODELABI_H
#define TERN_RUNTIME_MODELABI_H

#include "tern/Runtime/tern_runtime.h"

#include <dlfcn.h>
#include <string>

namespace tern::runtime {

/// True when the library at `path` reports TERN_MODEL_ABI_VERSION; else false
/// with a message (not loadable, no version, another version).
inline bool checkModelABI(const std::string &path, std::string &error) {
  void *handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    error = "cannot load model library: " + std::string(why ? why : path);
    return false;
  }
  using VersionFn = int (*)();
  auto version = reinterpret_cast<VersionFn>(dlsym(handle, "tern_model_abi_version"));
  bool ok = false;
  if (!version)
    error = path + ": no tern_model_abi_version(): not a Tern model library, or one built by "
                   "a ternc older than this runtime (recompile it)";
  else if (int v = version(); v != TERN_MODEL_ABI_VERSION)
    error = path + ": built for Tern model ABI " + std::to_string(v) + ", this runtime reads " +
            std::to_string(TERN_MODEL_ABI_VERSION) + " (recompile it with this ternc)";
  else
    ok = true;
  dlclose(handle);
  return ok;
}

} // namespace tern::runtime

#endif // TERN_RUNTIME_MODELABI_H

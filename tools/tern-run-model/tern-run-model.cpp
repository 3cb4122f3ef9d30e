//===- tern-run-model.cpp - run a compiled model library on .npy files ----===//
//
//   tern-run-model MODEL.so --input=@a.npy ... --output=@y.npy ...
//
// The loader side of the C ABI (lib/Runtime) as a program of its own, with no
// LLVM: it is built for other targets too, so `ternc run
// --target-triple=aarch64-linux-gnu` runs a cross-compiled library under
// qemu-aarch64 with it.
//
//===----------------------------------------------------------------------===//
#include "tern/Runtime/Model.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace rt = ::tern::runtime;

static int fail(const std::string &message) {
  std::fprintf(stderr, "tern-run-model: error: %s\n", message.c_str());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-')
    return fail("usage: tern-run-model MODEL.so [--input=@a.npy ...] [--output=@y.npy ...]");
  std::vector<std::string> inputs, outputs;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto take = [&](const char *prefix, std::vector<std::string> &into) {
      size_t n = std::strlen(prefix);
      if (arg.compare(0, n, prefix) != 0)
        return false;
      into.push_back(arg.substr(n));
      return true;
    };
    if (!take("--input=@", inputs) && !take("--output=@", outputs))
      return fail("unknown argument '" + arg + "' (expected --input=@FILE.npy or --output=@FILE.npy)");
  }
  std::string error;
  std::vector<rt::Array> in(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!rt::readNpy(inputs[i], in[i], error))
      return fail(error);
  std::unique_ptr<rt::Model> model = rt::Model::load(argv[1], error);
  if (!model)
    return fail(error);
  if (outputs.size() != model->outputs().size())
    return fail("the model has " + std::to_string(model->outputs().size()) + " outputs, got " +
                std::to_string(outputs.size()) + " --output flags");
  std::vector<rt::Array> out;
  if (!model->run(in, out, error))
    return fail(error);
  for (size_t i = 0; i < out.size(); ++i)
    if (!rt::writeNpy(outputs[i], out[i], error))
      return fail(error);
  return 0;
}

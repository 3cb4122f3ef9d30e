//===- Model.cpp - load and call a compiled Tern model --------------------===//
#include "tern/Runtime/Model.h"
#include "tern/Runtime/ElfCheck.h"

#include <dlfcn.h>
#include <sys/sysinfo.h>

namespace tern::runtime {

std::string describe(const std::vector<int64_t> &shape, tern_dtype dtype) {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + dtypeName(dtype);
}

namespace {
/// A zero-size tensor still gets a valid (never dereferenced) data pointer:
/// the ABI check refuses null.
char *bufferOf(const std::vector<char> &data) {
  static char empty[1];
  return data.empty() ? empty : const_cast<char *>(data.data());
}

using CountFn = int (*)();
using InfoFn = const tern_tensor_info *(*)(int);

std::vector<TensorInfo> readSignature(CountFn count, InfoFn info) {
  std::vector<TensorInfo> result;
  for (int i = 0, n = count(); i < n; ++i) {
    const tern_tensor_info *t = info(i);
    result.push_back({t->name, static_cast<tern_dtype>(t->dtype),
                      std::vector<int64_t>(t->shape, t->shape + t->rank)});
  }
  return result;
}
} // namespace

std::unique_ptr<Model> Model::load(const std::string &path, std::string &error) {
  if (!checkSharedObject(path, error))
    return nullptr;
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    error = std::string("cannot load model library: ") + dlerror();
    return nullptr;
  }
  auto sym = [&](const char *name) { return dlsym(handle, name); };
  // The C ABI the library implements, read before calling anything else, so a
  // library built for another ABI is refused by name rather than called wrongly.
  using VersionFn = int (*)();
  auto version = reinterpret_cast<VersionFn>(sym("tern_model_abi_version"));
  int v = version ? version() : -1;
  if (v != TERN_MODEL_ABI_VERSION) {
    error = !version ? path + ": no tern_model_abi_version(): not a Tern model library, or one "
                              "built by a ternc older than this runtime (recompile it)"
                     : path + ": built for Tern model ABI " + std::to_string(v) +
                           ", this runtime reads " + std::to_string(TERN_MODEL_ABI_VERSION) +
                           " (recompile it with this ternc)";
    dlclose(handle);
    return nullptr;
  }
  auto numIn = reinterpret_cast<CountFn>(sym("tern_model_num_inputs"));
  auto numOut = reinterpret_cast<CountFn>(sym("tern_model_num_outputs"));
  auto inInfo = reinterpret_cast<InfoFn>(sym("tern_model_input_info"));
  auto outInfo = reinterpret_cast<InfoFn>(sym("tern_model_output_info"));
  auto run = reinterpret_cast<RunFn>(sym("tern_model_run"));
  if (!numIn || !numOut || !inInfo || !outInfo || !run) {
    error = path + ": not a Tern model library (tern_model_* symbols missing)";
    dlclose(handle);
    return nullptr;
  }
  std::unique_ptr<Model> model(new Model());
  model->handle_ = handle;
  model->run_ = run;
  model->inputs_ = readSignature(numIn, inInfo);
  model->outputs_ = readSignature(numOut, outInfo);
  return model;
}

Model::~Model() {
  if (handle_)
    dlclose(handle_);
}

bool Model::run(const std::vector<Array> &inputs, std::vector<Array> &outputs,
                std::string &error) {
  if (inputs.size() != inputs_.size()) {
    error = "the model takes " + std::to_string(inputs_.size()) + " inputs (";
    for (size_t i = 0; i < inputs_.size(); ++i)
      error += (i ? ", " : "") + inputs_[i].name + ": " +
               describe(inputs_[i].shape, inputs_[i].dtype);
    error += "), got " + std::to_string(inputs.size());
    return false;
  }
  std::vector<tern_tensor> in(inputs.size()), out(outputs_.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorInfo &want = inputs_[i];
    if (inputs[i].dtype != want.dtype || inputs[i].shape != want.shape) {
      error = "input " + std::to_string(i) + " '" + want.name + "': expected " +
              describe(want.shape, want.dtype) + ", got " +
              describe(inputs[i].shape, inputs[i].dtype);
      return false;
    }
    in[i] = {bufferOf(inputs[i].data), inputs[i].dtype,
             static_cast<int32_t>(inputs[i].shape.size()), inputs[i].shape.data()};
  }
  // Output buffers are checked against int64 and the machine's memory first:
  // an allocation that cannot succeed is an error, not an abort.
  uint64_t total = 0;
  for (const TensorInfo &t : outputs_) {
    int64_t bytes = 0;
    if (!checkedBytes(t.shape, dtypeSize(t.dtype), bytes) ||
        __builtin_add_overflow(total, static_cast<uint64_t>(bytes), &total)) {
      error = "output '" + t.name + "' (" + describe(t.shape, t.dtype) + ") overflows int64 bytes";
      return false;
    }
  }
  struct sysinfo si;
  if (::sysinfo(&si) == 0) {
    uint64_t memory = (uint64_t(si.totalram) + si.totalswap) * si.mem_unit;
    if (total > memory) {
      error = "out of memory: the outputs need " + std::to_string(total) +
              " bytes, more than this machine's " + std::to_string(memory) +
              " bytes of memory and swap";
      return false;
    }
  }
  outputs.assign(outputs_.size(), Array());
  for (size_t i = 0; i < outputs_.size(); ++i) {
    Array &o = outputs[i];
    o.dtype = outputs_[i].dtype;
    o.shape = outputs_[i].shape;
    o.data.assign(o.numElements() * dtypeSize(o.dtype), 0);
    out[i] = {bufferOf(o.data), o.dtype, static_cast<int32_t>(o.shape.size()), o.shape.data()};
  }
  char message[512] = {0};
  if (run_(in.data(), static_cast<int>(in.size()), out.data(), static_cast<int>(out.size()),
           message, sizeof(message)) != 0) {
    error = message;
    return false;
  }
  return true;
}

} // namespace tern::runtime

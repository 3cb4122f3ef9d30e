//===- Model.h - load and call a compiled Tern model ----------------------===//
#ifndef TERN_RUNTIME_MODEL_H
#define TERN_RUNTIME_MODEL_H

#include "tern/Runtime/Npy.h"

#include <memory>
#include <string>
#include <vector>

namespace tern::runtime {

struct TensorInfo {
  std::string name;
  tern_dtype dtype;
  std::vector<int64_t> shape;
};

/// A compiled model shared library opened with dlopen.
class Model {
public:
  static std::unique_ptr<Model> load(const std::string &path, std::string &error);
  ~Model();
  const std::vector<TensorInfo> &inputs() const { return inputs_; }
  const std::vector<TensorInfo> &outputs() const { return outputs_; }
  /// Checks the inputs against the signature (count, dtype, shape: the
  /// message names the input and both shapes), allocates the outputs and runs.
  bool run(const std::vector<Array> &inputs, std::vector<Array> &outputs, std::string &error);

private:
  using RunFn = int (*)(const tern_tensor *, int, tern_tensor *, int, char *, size_t);
  Model() = default;
  void *handle_ = nullptr;
  RunFn run_ = nullptr;
  std::vector<TensorInfo> inputs_, outputs_;
};

/// "2x3xf32"-style text of a shape and dtype, for messages.
std::string describe(const std::vector<int64_t> &shape, tern_dtype dtype);

} // namespace tern::runtime

#endif // TERN_RUNTIME_MODEL_H

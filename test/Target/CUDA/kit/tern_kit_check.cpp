//===- tern_kit_check.cpp - one case of the CUDA device kit ----------------===//
//
//   tern_kit_check CASE_DIR
//
// Loads CASE_DIR/model.so (a model compiled from the kit's emitted .cu) and
// runs it through the C ABI on the inputs CASE_DIR/in<i>.bin: twice with
// CUDA graphs (the outputs must be bit-identical), once with
// TERN_CUDA_GRAPHS=0 (bit-identical again), and compares the outputs with
// CASE_DIR/ref<j>.bin (written on the CPU machine: the CPU emulation's
// outputs, which the test checked against the numpy reference, or the numpy
// reference itself for shapes only a GPU runs). Floats: max |got - ref| <=
// rel * max|ref| + 1e-5 and median <= med * max|ref| + 1e-7 (CASE_DIR/case.txt
// gives rel and med); integers and bools: equal. A line `error K MESSAGE` in
// case.txt names inputs errK_in<i>.bin that must fail (an index out of
// range): with graphs and without, tern_model_run must return non-zero with
// MESSAGE, and the good inputs run right after must give the first run's
// outputs again. Prints one JSON line; exit status 0 when the case passes.
//
//===----------------------------------------------------------------------===//
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

typedef struct { void *data; int32_t dtype; int32_t rank; const int64_t *shape; } tern_tensor;
typedef struct { const char *name; int32_t dtype; int32_t rank; const int64_t *shape; } tern_tensor_info;
enum { F32 = 0, F64 = 1, I64 = 2, I32 = 3, I8 = 4, BOOL = 5 };
static const int kBytes[] = {4, 8, 8, 4, 1, 1};

static std::string name;

static int report(bool ok, const std::string &fields, const std::string &whyText) {
  std::string why; // as a JSON string body
  for (char c : whyText)
    why += c == '"' || c == '\\' ? std::string("\\") + c : (unsigned char)c < 0x20 ? " " : std::string(1, c);
  printf("{\"case\": \"%s\", \"ok\": %s%s%s%s%s}\n", name.c_str(), ok ? "true" : "false",
         fields.empty() ? "" : ", ", fields.c_str(), why.empty() ? "" : ", \"why\": ",
         why.empty() ? "" : ("\"" + why + "\"").c_str());
  fflush(stdout);
  return ok ? 0 : 1;
}

static bool readFile(const std::string &path, std::vector<char> &data) {
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return false;
  data.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tern_kit_check CASE_DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  name = dir.substr(dir.find_last_of('/') + 1);
  double rel = 5e-3, med = 1e-3;
  std::vector<std::pair<std::string, std::string>> mustFail; // (input prefix, message)
  {
    std::ifstream c(dir + "/case.txt");
    std::string key;
    while (c >> key) {
      if (key == "tolerance") {
        c >> rel >> med;
      } else if (key == "error") {
        std::string k, message;
        c >> k;
        std::getline(c, message);
        mustFail.push_back({"err" + k + "_", message.substr(message.find_first_not_of(' '))});
        continue;
      }
      c.ignore(1 << 20, '\n');
    }
  }
  void *lib = dlopen((dir + "/model.so").c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return report(false, "", std::string("cannot load model.so: ") + dlerror());
  auto numIn = (int (*)())dlsym(lib, "tern_model_num_inputs");
  auto numOut = (int (*)())dlsym(lib, "tern_model_num_outputs");
  auto inInfo = (const tern_tensor_info *(*)(int))dlsym(lib, "tern_model_input_info");
  auto outInfo = (const tern_tensor_info *(*)(int))dlsym(lib, "tern_model_output_info");
  auto run = (int (*)(const tern_tensor *, int, tern_tensor *, int, char *, size_t))dlsym(
      lib, "tern_model_run");
  if (!numIn || !numOut || !inInfo || !outInfo || !run)
    return report(false, "", "model.so does not export the Tern C ABI");

  auto elems = [](const tern_tensor_info *t) {
    int64_t n = 1;
    for (int d = 0; d < t->rank; ++d)
      n *= t->shape[d];
    return n;
  };
  std::vector<std::vector<char>> inData(numIn());
  std::vector<tern_tensor> ins(numIn());
  for (int i = 0; i < numIn(); ++i) {
    const tern_tensor_info *t = inInfo(i);
    if (!readFile(dir + "/in" + std::to_string(i) + ".bin", inData[i]) ||
        (int64_t)inData[i].size() != elems(t) * kBytes[t->dtype])
      return report(false, "", "in" + std::to_string(i) + ".bin is missing or has the wrong size");
    ins[i] = {inData[i].data(), t->dtype, t->rank, t->shape};
  }
  const int nOut = numOut();
  std::vector<std::vector<char>> outs[3];
  char err[1024] = {0};
  for (int r = 0; r < 3; ++r) {
    // Runs 0 and 1 replay CUDA graphs; run 2 launches directly.
    if (r == 2)
      setenv("TERN_CUDA_GRAPHS", "0", 1);
    outs[r].resize(nOut);
    std::vector<tern_tensor> o(nOut);
    for (int j = 0; j < nOut; ++j) {
      const tern_tensor_info *t = outInfo(j);
      outs[r][j].assign(elems(t) * kBytes[t->dtype], (char)0x5a);
      o[j] = {outs[r][j].data(), t->dtype, t->rank, t->shape};
    }
    if (run(ins.data(), numIn(), o.data(), nOut, err, sizeof err))
      return report(false, "\"run\": " + std::to_string(r), std::string("tern_model_run: ") + err);
  }
  unsetenv("TERN_CUDA_GRAPHS");
  // Runs that must fail, each followed by a good run giving run 0's outputs.
  for (auto &[prefix, message] : mustFail) {
    std::vector<std::vector<char>> badData(numIn());
    std::vector<tern_tensor> bad(numIn());
    for (int i = 0; i < numIn(); ++i) {
      const tern_tensor_info *t = inInfo(i);
      if (!readFile(dir + "/" + prefix + "in" + std::to_string(i) + ".bin", badData[i]) ||
          (int64_t)badData[i].size() != elems(t) * kBytes[t->dtype])
        return report(false, "", prefix + "in" + std::to_string(i) + ".bin is missing or has the wrong size");
      bad[i] = {badData[i].data(), t->dtype, t->rank, t->shape};
    }
    for (int graphs = 1; graphs >= 0; --graphs) {
      if (!graphs)
        setenv("TERN_CUDA_GRAPHS", "0", 1);
      std::vector<std::vector<char>> again(nOut);
      std::vector<tern_tensor> o(nOut);
      for (int j = 0; j < nOut; ++j) {
        const tern_tensor_info *t = outInfo(j);
        again[j].assign(elems(t) * kBytes[t->dtype], (char)0x5a);
        o[j] = {again[j].data(), t->dtype, t->rank, t->shape};
      }
      err[0] = 0;
      std::string mode = graphs ? "with graphs" : "without graphs";
      if (run(bad.data(), numIn(), o.data(), nOut, err, sizeof err) == 0)
        return report(false, "", prefix + "inputs ran without an error " + mode + " (expected: " + message + ")");
      if (std::string(err).find(message) == std::string::npos)
        return report(false, "", prefix + "inputs " + mode + ": got '" + err + "', expected '" + message + "'");
      if (run(ins.data(), numIn(), o.data(), nOut, err, sizeof err))
        return report(false, "", std::string("the good inputs after ") + prefix + ": tern_model_run: " + err);
      for (int j = 0; j < nOut; ++j)
        if (again[j] != outs[0][j])
          return report(false, "", "the good inputs after " + prefix + " " + mode + " give other outputs");
    }
    unsetenv("TERN_CUDA_GRAPHS");
  }
  bool deterministic = true, graphsSame = true, close = true;
  double worst = 0;
  std::string why;
  for (int j = 0; j < nOut; ++j) {
    deterministic &= outs[0][j] == outs[1][j];
    graphsSame &= outs[0][j] == outs[2][j];
    std::vector<char> ref;
    const tern_tensor_info *t = outInfo(j);
    if (!readFile(dir + "/ref" + std::to_string(j) + ".bin", ref) || ref.size() != outs[0][j].size())
      return report(false, "", "ref" + std::to_string(j) + ".bin is missing or has the wrong size");
    if (t->dtype != F32 && t->dtype != F64) {
      if (ref != outs[0][j]) {
        close = false;
        why = "output " + std::to_string(j) + " (integer) differs from the reference";
      }
      continue;
    }
    const int64_t n = elems(t);
    std::vector<double> got(n), want(n), e(n);
    for (int64_t k = 0; k < n; ++k) {
      if (t->dtype == F32) {
        got[k] = ((const float *)outs[0][j].data())[k];
        want[k] = ((const float *)ref.data())[k];
      } else {
        got[k] = ((const double *)outs[0][j].data())[k];
        want[k] = ((const double *)ref.data())[k];
      }
    }
    double scale = 0;
    bool refFinite = true;
    for (int64_t k = 0; k < n; ++k) {
      refFinite &= std::isfinite(want[k]);
      if (std::isfinite(want[k]))
        scale = std::max(scale, std::fabs(want[k]));
    }
    double maxErr = 0;
    for (int64_t k = 0; k < n; ++k) {
      bool same = got[k] == want[k] || (std::isnan(got[k]) && std::isnan(want[k]));
      e[k] = same ? 0 : std::fabs(got[k] - want[k]);
      if (std::isnan(e[k]))
        e[k] = INFINITY;
      maxErr = std::max(maxErr, e[k]);
    }
    double median = 0;
    if (n) {
      std::nth_element(e.begin(), e.begin() + n / 2, e.end());
      median = e[n / 2];
    }
    worst = std::max(worst, scale > 0 ? maxErr / scale : maxErr);
    if (!(maxErr <= rel * scale + 1e-5) || !(median <= med * scale + 1e-7) ||
        (refFinite && maxErr == INFINITY)) {
      close = false;
      char buf[256];
      snprintf(buf, sizeof buf, "output %d: max err %.3g, median %.3g, max|ref| %.3g", j, maxErr,
               median, scale);
      why = buf;
    }
  }
  if (!deterministic)
    why = "two runs with graphs differ";
  else if (!graphsSame)
    why = "graphs on and off differ";
  char fields[256];
  snprintf(fields, sizeof fields,
           "\"deterministic\": %s, \"graphs_identical\": %s, \"max_rel_err\": %.3g, "
           "\"errors_checked\": %d",
           deterministic ? "true" : "false", graphsSame ? "true" : "false", worst,
           (int)mustFail.size());
  return report(deterministic && graphsSame && close, fields, why);
}

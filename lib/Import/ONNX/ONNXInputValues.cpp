//===- ONNXInputValues.cpp - graph inputs with values known at compile time ===//
//
// Tern compiles static shapes: an operand that is a shape, axes, sizes or a
// count must be a constant. Exporters sometimes make such operands graph
// inputs (the ONNX node tests do it for Reshape, Slice, Squeeze, ...). These
// inputs become initializers holding the given value, exactly as if the model
// had been exported with it, so inference, folding and lowering see constants.
//
//===----------------------------------------------------------------------===//
#include "ONNXInputValues.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

using TP = ::onnx::TensorProto;

/// The ONNX data type of an element type, or UNDEFINED.
static int32_t onnxDataType(Type t) {
  if (t.isF32()) return TP::FLOAT;
  if (t.isF64()) return TP::DOUBLE;
  if (t.isF16()) return TP::FLOAT16;
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1: return TP::BOOL;
    case 8: return u ? TP::UINT8 : TP::INT8;
    case 16: return u ? TP::UINT16 : TP::INT16;
    case 32: return u ? TP::UINT32 : TP::INT32;
    case 64: return u ? TP::UINT64 : TP::INT64;
    }
  }
  return TP::UNDEFINED;
}

static std::string onnxTypeName(int32_t t) {
  if (::onnx::TensorProto_DataType_IsValid(t))
    return ::onnx::TensorProto_DataType_Name(static_cast<TP::DataType>(t));
  return "unknown";
}

/// Operand positions that Tern needs as constants, by op type.
static ArrayRef<int> shapeOperands(StringRef opType) {
  static const llvm::StringMap<SmallVector<int, 4>> table = {
      {"Reshape", {1}},       {"Expand", {1}},         {"Tile", {1}},
      {"Slice", {1, 2, 3, 4}}, {"Split", {1}},         {"Squeeze", {1}},
      {"Unsqueeze", {1}},     {"ReduceSum", {1}},      {"ReduceMean", {1}},
      {"ReduceMax", {1}},     {"ReduceMin", {1}},      {"ReduceProd", {1}},
      {"ReduceL1", {1}},      {"ReduceL2", {1}},       {"ReduceLogSum", {1}},
      {"ReduceLogSumExp", {1}}, {"ReduceSumSquare", {1}}, {"Pad", {1, 3}},
      {"ConstantOfShape", {0}}, {"Range", {0, 1, 2}},  {"CumSum", {1}},
      {"Trilu", {1}},         {"Loop", {0}},           {"Dropout", {1, 2}},
      {"TopK", {1}},          {"OneHot", {1}},         {"Resize", {1, 2, 3}},
      {"Upsample", {1}}};
  auto it = table.find(opType);
  return it == table.end() ? ArrayRef<int>() : ArrayRef<int>(it->second);
}

static bool isDefaultDomain(const ::onnx::NodeProto &n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

/// Every node of `graph` and of its subgraphs, in order.
static void collectNodes(const ::onnx::GraphProto &graph,
                         std::vector<const ::onnx::NodeProto *> &nodes) {
  for (const auto &node : graph.node()) {
    nodes.push_back(&node);
    for (const auto &a : node.attribute()) {
      if (a.has_g())
        collectNodes(a.g(), nodes);
      for (const auto &g : a.graphs())
        collectNodes(g, nodes);
    }
  }
}

/// Names whose values shape operands depend on: the shape operands, and
/// (backwards) the inputs of every node computing one, except through Shape
/// and Size, whose results do not depend on their input's values.
llvm::StringSet<> onnx_import::shapeOperandSources(const ::onnx::GraphProto &graph) {
  std::vector<const ::onnx::NodeProto *> nodes;
  collectNodes(graph, nodes);
  llvm::StringSet<> needed;
  for (const auto *n : nodes)
    if (isDefaultDomain(*n))
      for (int pos : shapeOperands(n->op_type()))
        if (pos < n->input_size() && !n->input(pos).empty())
          needed.insert(n->input(pos));
  // Nodes are topologically ordered per graph: a reverse sweep is usually
  // enough; repeat until nothing changes (subgraphs may refer outwards).
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
      const auto &n = **it;
      if (isDefaultDomain(n) && (n.op_type() == "Shape" || n.op_type() == "Size"))
        continue;
      bool feeds = llvm::any_of(n.output(), [&](const std::string &o) {
        return !o.empty() && needed.contains(o);
      });
      if (!feeds)
        continue;
      for (const std::string &in : n.input())
        if (!in.empty())
          changed |= needed.insert(in).second;
    }
  }
  return needed;
}

static const ::onnx::ValueInfoProto *findInput(const ::onnx::GraphProto &graph,
                                               StringRef name) {
  for (const auto &in : graph.input())
    if (in.name() == name)
      return &in;
  return nullptr;
}

/// An initializer named `name` holding `value`; checks the declared type.
static LogicalResult addInitializer(::onnx::GraphProto &graph, const ::onnx::ValueInfoProto &vi,
                                    const ONNXInputValue &value, Location loc,
                                    StringRef how) {
  int32_t dt = onnxDataType(value.elementType);
  auto error = [&]() {
    return emitError(loc) << "graph input '" << vi.name() << "' (" << how << "): ";
  };
  if (dt == TP::UNDEFINED)
    return error() << "unsupported element type " << value.elementType;
  if (vi.type().has_tensor_type()) {
    const auto &tt = vi.type().tensor_type();
    if (tt.elem_type() != dt)
      return error() << "the value is " << onnxTypeName(dt) << " but the input is declared "
                     << onnxTypeName(tt.elem_type());
    if (tt.has_shape()) {
      const auto &shape = tt.shape();
      bool ok = shape.dim_size() == static_cast<int>(value.shape.size());
      for (int i = 0; ok && i < shape.dim_size(); ++i)
        ok = !shape.dim(i).has_dim_value() || shape.dim(i).dim_value() == value.shape[i];
      if (!ok) {
        std::string s;
        for (int64_t d : value.shape)
          s += std::to_string(d) + "x";
        return error() << "the value's shape " << (s.empty() ? "scalar" : s.substr(0, s.size() - 1))
                       << " does not match the declared shape";
      }
    }
  }
  int64_t n = 1;
  for (int64_t d : value.shape)
    n *= d;
  int64_t bytes = value.elementType.isInteger(1)
                      ? n
                      : n * static_cast<int64_t>(value.elementType.getIntOrFloatBitWidth() / 8);
  if (static_cast<int64_t>(value.data.size()) != bytes)
    return error() << "the value holds " << value.data.size() << " bytes, its shape needs "
                   << bytes;
  TP *t = graph.add_initializer();
  t->set_name(vi.name());
  t->set_data_type(dt);
  for (int64_t d : value.shape)
    t->add_dims(d);
  t->set_raw_data(value.data);
  return success();
}

LogicalResult onnx_import::addConstInputs(::onnx::GraphProto &graph,
                                          const ONNXImportOptions &options, Location loc) {
  for (const auto &entry : options.constInputs) {
    const ::onnx::ValueInfoProto *vi = findInput(graph, entry.getKey());
    if (!vi) {
      auto diag = emitError(loc) << "--const-input '" << entry.getKey()
                                 << "': the graph has no such input (inputs:";
      for (const auto &in : graph.input())
        diag << " " << in.name();
      return diag << ")";
    }
    for (const auto &init : graph.initializer())
      if (init.name() == entry.getKey())
        return emitError(loc) << "--const-input '" << entry.getKey()
                              << "': the input already has an initializer";
    if (failed(addInitializer(graph, *vi, entry.getValue(), loc, "--const-input")))
      return failure();
  }
  return success();
}

LogicalResult onnx_import::addShapeInputValues(::onnx::GraphProto &graph,
                                               const ONNXImportOptions &options,
                                               const llvm::StringSet<> &initNames, Location loc,
                                               llvm::StringSet<> &specialized) {
  if (options.inputValues.empty())
    return success();
  llvm::StringSet<> sources = shapeOperandSources(graph);
  size_t position = 0;
  std::vector<std::pair<const ::onnx::ValueInfoProto *, size_t>> todo;
  for (const auto &in : graph.input()) {
    if (initNames.contains(in.name()))
      continue;
    size_t p = position++;
    if (p < options.inputValues.size() && sources.contains(in.name()))
      todo.push_back({&in, p});
  }
  // Copy first: add_initializer may not invalidate graph.input(), but keep it simple.
  for (auto [vi, p] : todo) {
    ::onnx::ValueInfoProto copy = *vi;
    if (failed(addInitializer(graph, copy, options.inputValues[p], loc,
                              "a shape operand, specialized on the given value")))
      return failure();
    specialized.insert(copy.name());
  }
  return success();
}

//===- ONNXReader.cpp - stage 1: ONNX protobuf -> onnx.node ops -----------===//
//
// The only file of Tern that touches protobuf. It is compiled with exceptions
// and RTTI (protobuf and the ONNX library throw); every entry point catches
// everything, so nothing escapes into the -fno-exceptions rest of Tern.
//
// Stage 1 is mechanical: one `onnx.node` per ONNX node (node name as location,
// attributes as MLIR attributes, subgraphs as regions), initializers and
// Constant nodes as `arith.constant` (dense_resource blobs without copies:
// raw_data is moved, external data is mmapped), graph inputs/outputs as the
// arguments/results of `func.func @main`. Every value gets a static type
// (ONNXInference.cpp); ONNX's own shape inference cross-checks it.
//
//===----------------------------------------------------------------------===//
#include "ONNXReader.h"
#include "ONNXInference.h"
#include "ONNXInputValues.h"
#include "ONNXUtils.h"
#include "ValidateSchemas.h"

#include "ONNX/ONNXOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <map>
#include <set>
#include <memory>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::onnx_import;

namespace {

/// A read-only mapping of an external-data file, shared by the blobs in it.
struct MappedFile {
  const char *data = nullptr;
  size_t size = 0;
  ~MappedFile() {
    if (data && size)
      ::munmap(const_cast<char *>(data), size);
  }
};

/// Opens `path` read-only; -1 with errno set on failure.
int openReadOnly(const std::string &path) { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }

class Reader {
public:
  Reader(MLIRContext *ctx, StringRef displayName, StringRef dataDir,
         const ONNXImportOptions &options)
      : ctx(ctx), builder(ctx), displayName(displayName.str()), dataDir(dataDir.str()),
        options(options),
        fileLoc(FileLineColLoc::get(ctx, displayName, 0, 0)) {}

  OwningOpRef<ModuleOp> run(::onnx::ModelProto &model);

private:
  // Diagnostics ---------------------------------------------------------------
  InFlightDiagnostic fileError() { return emitError(fileLoc); }
  InFlightDiagnostic nodeError(const ::onnx::NodeProto &node, StringRef name,
                               Location loc) {
    std::string domain = node.domain().empty() ? "ai.onnx" : node.domain();
    return emitError(loc) << "node '" << name << "' (" << node.op_type() << ", domain '"
                          << domain << "'): ";
  }

  // Types and tensors ---------------------------------------------------------
  FailureOr<Type> elementType(int32_t dataType, const Twine &what);
  FailureOr<RankedTensorType> inputType(const ::onnx::ValueInfoProto &info);
  FailureOr<TypedAttr> tensorAttr(::onnx::TensorProto &tensor, const Twine &what);
  FailureOr<std::shared_ptr<MappedFile>> mapExternal(const std::string &location,
                                                     const Twine &what);

  // Graphs --------------------------------------------------------------------
  Value lookup(const std::string &name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end())
        return found->second;
    }
    return {};
  }
  LogicalResult bind(const std::string &name, Value v, Location loc) {
    if (name.empty())
      return success();
    if (!scopes.back().insert({name, v}).second) {
      emitError(loc) << "value '" << name << "' is defined twice";
      return failure();
    }
    return success();
  }
  LogicalResult importInitializers(::onnx::GraphProto &graph);
  LogicalResult importNodes(::onnx::GraphProto &graph);
  LogicalResult importNode(::onnx::NodeProto &node, size_t index);
  LogicalResult importControlFlow(::onnx::NodeProto &node, StringRef name, Location loc,
                                  NodeDesc &desc, SmallVectorImpl<Value> &results);
  /// Imports `graph` as the body of `region` with arguments of `argTypes`;
  /// returns the types it yields.
  LogicalResult importSubgraph(::onnx::GraphProto &graph, Region &region,
                               ArrayRef<Type> argTypes, SmallVectorImpl<Type> &yieldTypes,
                               const ::onnx::NodeProto &node, StringRef name, Location loc);
  FailureOr<Attribute> convertAttribute(::onnx::AttributeProto &attr,
                                        const ::onnx::NodeProto &node, StringRef name,
                                        Location loc);
  LogicalResult checkDeclaredType(const std::string &value, Type actual, Location loc,
                                  const Twine &what);
  void collectValueInfo(const ::onnx::GraphProto &graph);
  LogicalResult checkDeclaredTypeOfInput(const ::onnx::ValueInfoProto &vi, Type type,
                                         Location loc, const ::onnx::NodeProto &node,
                                         StringRef name);

  MLIRContext *ctx;
  OpBuilder builder;
  std::string displayName, dataDir;
  // A copy: symbolic dimensions bound from the given input shapes are added.
  ONNXImportOptions options;
  Location fileLoc;
  int64_t defaultOpset = 0, ternOpset = 0;
  std::vector<llvm::StringMap<Value>> scopes;
  std::map<std::string, std::shared_ptr<MappedFile>> mapped;
  /// Declared or ONNX-inferred types of values, by name (all graphs).
  std::map<std::string, const ::onnx::TypeProto *> valueInfo;
  size_t nodeCounter = 0;
  /// Values that shape operands depend on (ONNXInputValues.cpp).
  llvm::StringSet<> shapeSources;
};

} // namespace

//===----------------------------------------------------------------------===//
// Types and tensors
//===----------------------------------------------------------------------===//

static const char *dataTypeName(int32_t t) {
  if (::onnx::TensorProto_DataType_IsValid(t))
    return ::onnx::TensorProto_DataType_Name(static_cast<::onnx::TensorProto_DataType>(t))
        .c_str();
  return "unknown";
}

FailureOr<Type> Reader::elementType(int32_t dataType, const Twine &what) {
  using TP = ::onnx::TensorProto;
  switch (dataType) {
  case TP::FLOAT: return Type(Float32Type::get(ctx));
  case TP::DOUBLE: return Type(Float64Type::get(ctx));
  case TP::FLOAT16: return Type(Float16Type::get(ctx));
  case TP::BFLOAT16: return Type(BFloat16Type::get(ctx));
  case TP::INT8: return Type(IntegerType::get(ctx, 8));
  case TP::INT16: return Type(IntegerType::get(ctx, 16));
  case TP::INT32: return Type(IntegerType::get(ctx, 32));
  case TP::INT64: return Type(IntegerType::get(ctx, 64));
  case TP::UINT8: return Type(IntegerType::get(ctx, 8, IntegerType::Unsigned));
  case TP::UINT16: return Type(IntegerType::get(ctx, 16, IntegerType::Unsigned));
  case TP::UINT32: return Type(IntegerType::get(ctx, 32, IntegerType::Unsigned));
  case TP::UINT64: return Type(IntegerType::get(ctx, 64, IntegerType::Unsigned));
  case TP::BOOL: return Type(IntegerType::get(ctx, 1));
  default:
    fileError() << what << ": unsupported element type " << dataTypeName(dataType) << " ("
                << dataType << ")";
    return failure();
  }
}

static int64_t byteWidth(Type elem) {
  if (elem.isInteger(1))
    return 1;
  return (elem.getIntOrFloatBitWidth() + 7) / 8;
}

FailureOr<RankedTensorType> Reader::inputType(const ::onnx::ValueInfoProto &info) {
  const std::string &name = info.name();
  if (!info.has_type() || !info.type().has_tensor_type()) {
    fileError() << "graph input '" << name << "' is not a tensor (sequence, map and "
                << "optional inputs are not supported)";
    return failure();
  }
  const auto &tt = info.type().tensor_type();
  FailureOr<Type> elem = elementType(tt.elem_type(), "graph input '" + name + "'");
  if (failed(elem))
    return failure();
  if (!tt.has_shape()) {
    fileError() << "graph input '" << name << "' has no shape (unknown rank)";
    return failure();
  }
  SmallVector<int64_t> shape;
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto &dim = tt.shape().dim(i);
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) {
        fileError() << "graph input '" << name << "' dimension " << i << " is negative";
        return failure();
      }
      shape.push_back(dim.dim_value());
    } else if (dim.has_dim_param()) {
      auto it = options.dimValues.find(dim.dim_param());
      if (it == options.dimValues.end()) {
        fileError() << "graph input '" << name << "' has symbolic dimension '"
                    << dim.dim_param() << "' (dimension " << i
                    << "); give it a value (ternc --dim=" << dim.dim_param()
                    << "=N, tern-translate --onnx-dim=" << dim.dim_param() << "=N)";
        return failure();
      }
      shape.push_back(it->second);
    } else {
      fileError() << "graph input '" << name << "' dimension " << i
                  << " is unknown (neither a value nor a symbol)";
      return failure();
    }
  }
  auto type = RankedTensorType::get(shape, *elem);
  if (!fitsInt64Bytes(type)) {
    fileError() << "graph input '" << name << "' has shape " << shapeStr(shape)
                << ": its size in bytes overflows int64";
    return failure();
  }
  return type;
}

static bool isSafeRelativePath(const std::string &loc) {
  if (loc.empty() || llvm::sys::path::is_absolute(loc))
    return false;
  for (auto it = llvm::sys::path::begin(loc), e = llvm::sys::path::end(loc); it != e; ++it)
    if (*it == "..")
      return false;
  return true;
}

FailureOr<std::shared_ptr<MappedFile>> Reader::mapExternal(const std::string &location,
                                                           const Twine &what) {
  if (!isSafeRelativePath(location)) {
    fileError() << what << ": external data location '" << location
                << "' must be a relative path inside the model's directory";
    return failure();
  }
  SmallString<256> path(dataDir);
  llvm::sys::path::append(path, location);
  std::string p = path.str().str();
  auto it = mapped.find(p);
  if (it != mapped.end())
    return it->second;
  // Symlinks may not lead outside the model's directory either.
  SmallString<256> realDir, realFile;
  std::error_code ec = llvm::sys::fs::real_path(dataDir, realDir);
  if (!ec)
    ec = llvm::sys::fs::real_path(p, realFile);
  if (ec) {
    fileError() << what << ": cannot open external data file '" << p << "': "
                << std::strerror(ec.value());
    return failure();
  }
  if (!StringRef(realFile).starts_with((realDir + llvm::sys::path::get_separator()).str())) {
    fileError() << what << ": external data location '" << location << "' resolves to '"
                << realFile << "', outside the model's directory '" << realDir << "'";
    return failure();
  }
  int fd = openReadOnly(realFile.str().str());
  if (fd < 0) {
    fileError() << what << ": cannot open external data file '" << p
                << "': " << std::strerror(errno);
    return failure();
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fileError() << what << ": external data '" << p << "' is not a regular file";
    return failure();
  }
  auto file = std::make_shared<MappedFile>();
  file->size = static_cast<size_t>(st.st_size);
  if (file->size) {
    void *addr = ::mmap(nullptr, file->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      ::close(fd);
      fileError() << what << ": cannot map external data file '" << p
                  << "': " << std::strerror(errno);
      return failure();
    }
    file->data = static_cast<const char *>(addr);
  }
  ::close(fd);
  mapped[p] = file;
  return file;
}

/// Little-endian raw bytes of `count` elements of the typed repeated fields.
template <typename Src, typename Dst>
static void appendAs(const Src &field, std::string &out) {
  for (auto v : field) {
    Dst d = static_cast<Dst>(v);
    out.append(reinterpret_cast<const char *>(&d), sizeof(Dst));
  }
}

FailureOr<TypedAttr> Reader::tensorAttr(::onnx::TensorProto &t, const Twine &what) {
  using TP = ::onnx::TensorProto;
  FailureOr<Type> elemOr = elementType(t.data_type(), what);
  if (failed(elemOr))
    return failure();
  Type elem = *elemOr;
  if (t.has_segment()) {
    fileError() << what << ": segmented tensors are not supported";
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t numel = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && numel > (int64_t(1) << 46) / d)) {
      fileError() << what << ": invalid dimensions";
      return failure();
    }
    shape.push_back(d);
    numel *= d;
  }
  auto type = RankedTensorType::get(shape, elem);
  int64_t width = byteWidth(elem);
  size_t expected = static_cast<size_t>(numel * width);

  // Where the bytes are: external (mapped), raw_data (moved), typed fields (copied).
  const char *bytes = nullptr;
  std::shared_ptr<MappedFile> file;
  std::string *owned = nullptr;
  std::string typed;
  if (t.data_location() == TP::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &kv : t.external_data()) {
      try {
        if (kv.key() == "location")
          location = kv.value();
        else if (kv.key() == "offset")
          offset = std::stoll(kv.value());
        else if (kv.key() == "length")
          length = std::stoll(kv.value());
      } catch (const std::exception &) {
        fileError() << what << ": external data " << kv.key() << " '" << kv.value()
                    << "' is not a number";
        return failure();
      }
    }
    if (offset < 0 || (length >= 0 && static_cast<size_t>(length) != expected)) {
      fileError() << what << ": external data length " << length << " at offset " << offset
                  << " does not match the " << expected << " bytes of " << type;
      return failure();
    }
    auto fileOr = mapExternal(location, what);
    if (failed(fileOr))
      return failure();
    file = *fileOr;
    if (static_cast<uint64_t>(offset) > file->size ||
        expected > file->size - static_cast<uint64_t>(offset)) {
      fileError() << what << ": external data [" << offset << ", " << offset + expected
                  << ") is out of range of '" << location << "' (" << file->size
                  << " bytes)";
      return failure();
    }
    bytes = file->data + offset;
  } else if (t.has_raw_data()) {
    if (t.raw_data().size() != expected) {
      fileError() << what << ": raw_data has " << t.raw_data().size() << " bytes, expected "
                  << expected << " for " << type;
      return failure();
    }
    owned = new std::string(std::move(*t.mutable_raw_data()));
    bytes = owned->data();
  } else {
    switch (t.data_type()) {
    case TP::FLOAT: appendAs<decltype(t.float_data()), float>(t.float_data(), typed); break;
    case TP::DOUBLE: appendAs<decltype(t.double_data()), double>(t.double_data(), typed); break;
    case TP::INT64: appendAs<decltype(t.int64_data()), int64_t>(t.int64_data(), typed); break;
    case TP::INT32: appendAs<decltype(t.int32_data()), int32_t>(t.int32_data(), typed); break;
    case TP::INT16: appendAs<decltype(t.int32_data()), int16_t>(t.int32_data(), typed); break;
    case TP::UINT16:
    case TP::FLOAT16:
    case TP::BFLOAT16: appendAs<decltype(t.int32_data()), uint16_t>(t.int32_data(), typed); break;
    case TP::INT8: appendAs<decltype(t.int32_data()), int8_t>(t.int32_data(), typed); break;
    case TP::UINT8:
    case TP::BOOL: appendAs<decltype(t.int32_data()), uint8_t>(t.int32_data(), typed); break;
    case TP::UINT32: appendAs<decltype(t.uint64_data()), uint32_t>(t.uint64_data(), typed); break;
    case TP::UINT64: appendAs<decltype(t.uint64_data()), uint64_t>(t.uint64_data(), typed); break;
    default: break;
    }
    if (typed.size() != expected) {
      fileError() << what << ": holds " << typed.size() / std::max<int64_t>(width, 1)
                  << " values, expected " << numel << " for " << type;
      return failure();
    }
    bytes = typed.data();
  }
  std::unique_ptr<std::string> ownedGuard(owned);

  if (elem.isInteger(1)) {
    SmallVector<bool> values;
    for (size_t i = 0; i < expected; ++i)
      values.push_back(bytes[i] != 0);
    return TypedAttr(DenseElementsAttr::get(type, values));
  }
  if (numel < kResourceThreshold) {
    bool detectedSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, ArrayRef<char>(bytes, expected),
                                             detectedSplat)) {
      fileError() << what << ": invalid tensor data";
      return failure();
    }
    return TypedAttr(DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(bytes, expected)));
  }
  // Large: a dense_resource blob referencing the bytes where they are.
  size_t align = static_cast<size_t>(width);
  std::string key = "onnx_weight";
  AsmResourceBlob blob;
  if (reinterpret_cast<uintptr_t>(bytes) % align != 0) {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes, expected),
                                                         align);
  } else if (file) {
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        ArrayRef<char>(bytes, expected), align,
        [keep = file](void *, size_t, size_t) mutable { keep.reset(); });
  } else if (owned) {
    std::string *released = ownedGuard.release();
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        ArrayRef<char>(bytes, expected), align,
        [released](void *, size_t, size_t) { delete released; });
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(ArrayRef<char>(bytes, expected),
                                                         align);
  }
  return TypedAttr(DenseResourceElementsAttr::get(type, key, std::move(blob)));
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

FailureOr<Attribute> Reader::convertAttribute(::onnx::AttributeProto &a,
                                              const ::onnx::NodeProto &node, StringRef name,
                                              Location loc) {
  using AP = ::onnx::AttributeProto;
  if (!a.ref_attr_name().empty()) {
    nodeError(node, name, loc) << "attribute '" << a.name()
                               << "' refers to a function attribute (unsupported)";
    return failure();
  }
  switch (a.type()) {
  case AP::FLOAT: return Attribute(builder.getF32FloatAttr(a.f()));
  case AP::INT: return Attribute(builder.getI64IntegerAttr(a.i()));
  case AP::STRING: return Attribute(builder.getStringAttr(a.s()));
  case AP::FLOATS:
    return Attribute(builder.getDenseF32ArrayAttr(
        SmallVector<float>(a.floats().begin(), a.floats().end())));
  case AP::INTS:
    return Attribute(
        builder.getDenseI64ArrayAttr(SmallVector<int64_t>(a.ints().begin(), a.ints().end())));
  case AP::STRINGS: {
    SmallVector<Attribute> strs;
    for (const std::string &s : a.strings())
      strs.push_back(builder.getStringAttr(s));
    return Attribute(builder.getArrayAttr(strs));
  }
  case AP::TENSOR: {
    FailureOr<TypedAttr> t =
        tensorAttr(*a.mutable_t(), "node '" + name + "' attribute '" + a.name() + "'");
    if (failed(t))
      return failure();
    return Attribute(*t);
  }
  default:
    nodeError(node, name, loc) << "attribute '" << a.name() << "' has an unsupported kind ("
                               << AP::AttributeType_Name(a.type()) << ")";
    return failure();
  }
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

void Reader::collectValueInfo(const ::onnx::GraphProto &graph) {
  for (const auto &vi : graph.value_info())
    if (vi.has_type())
      valueInfo[vi.name()] = &vi.type();
  for (const auto &vi : graph.output())
    if (vi.has_type())
      valueInfo[vi.name()] = &vi.type();
  for (const auto &node : graph.node())
    for (const auto &attr : node.attribute()) {
      if (attr.has_g())
        collectValueInfo(attr.g());
      for (const auto &g : attr.graphs())
        collectValueInfo(g);
    }
}

LogicalResult Reader::checkDeclaredType(const std::string &value, Type actual, Location loc,
                                        const Twine &what) {
  auto it = valueInfo.find(value);
  if (it == valueInfo.end() || !it->second->has_tensor_type())
    return success();
  auto tensor = dyn_cast<RankedTensorType>(actual);
  if (!tensor)
    return success();
  const auto &tt = it->second->tensor_type();
  if (tt.elem_type() != 0) {
    // Unsupported declared element types are reported where they are used.
    using TP = ::onnx::TensorProto;
    int32_t et = tt.elem_type();
    bool known = et == TP::FLOAT || et == TP::DOUBLE || et == TP::FLOAT16 ||
                 et == TP::BFLOAT16 || et == TP::INT8 || et == TP::INT16 ||
                 et == TP::INT32 || et == TP::INT64 || et == TP::UINT8 ||
                 et == TP::UINT16 || et == TP::UINT32 || et == TP::UINT64 || et == TP::BOOL;
    if (known) {
      Type declared = *elementType(et, what);
      if (declared != tensor.getElementType()) {
        emitError(loc) << what << ": inconsistent types: '" << value << "' is declared as "
                       << declared << " but computes " << tensor.getElementType();
        return failure();
      }
    }
  }
  if (!tt.has_shape())
    return success();
  const auto &shape = tt.shape();
  if (shape.dim_size() != tensor.getRank()) {
    emitError(loc) << what << ": inconsistent shapes: '" << value << "' is declared with rank "
                   << shape.dim_size() << " but computes " << tensor;
    return failure();
  }
  for (int i = 0; i < shape.dim_size(); ++i) {
    const auto &d = shape.dim(i);
    int64_t want = -1;
    if (d.has_dim_value())
      want = d.dim_value();
    else if (d.has_dim_param()) {
      auto v = options.dimValues.find(d.dim_param());
      if (v != options.dimValues.end())
        want = v->second;
    }
    if (want >= 0 && want != tensor.getDimSize(i)) {
      emitError(loc) << what << ": inconsistent shapes: '" << value << "' is declared with "
                     << "dimension " << i << " = " << want << " but computes " << tensor;
      return failure();
    }
  }
  return success();
}

LogicalResult Reader::importInitializers(::onnx::GraphProto &graph) {
  for (auto &init : *graph.mutable_initializer()) {
    std::string name = init.name();
    if (name.empty()) {
      fileError() << "an initializer has no name";
      return failure();
    }
    FailureOr<TypedAttr> attr = tensorAttr(init, "initializer '" + name + "'");
    if (failed(attr))
      return failure();
    Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
    Value c = arith::ConstantOp::create(builder, loc, *attr);
    if (failed(bind(name, c, loc)))
      return failure();
  }
  return success();
}

LogicalResult Reader::importNodes(::onnx::GraphProto &graph) {
  for (size_t i = 0, e = graph.node_size(); i < e; ++i)
    if (failed(importNode(*graph.mutable_node(i), nodeCounter++)))
      return failure();
  return success();
}

LogicalResult Reader::importSubgraph(::onnx::GraphProto &graph, Region &region,
                                     ArrayRef<Type> argTypes,
                                     SmallVectorImpl<Type> &yieldTypes,
                                     const ::onnx::NodeProto &node, StringRef name,
                                     Location loc) {
  if (graph.input_size() != static_cast<int>(argTypes.size())) {
    nodeError(node, name, loc) << "subgraph '" << graph.name() << "' has "
                               << graph.input_size() << " inputs, expected "
                               << argTypes.size();
    return failure();
  }
  Block *block = new Block();
  region.push_back(block);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(block);
  scopes.emplace_back();
  llvm::scope_exit popScope([&] { scopes.pop_back(); });
  for (auto [i, type] : llvm::enumerate(argTypes)) {
    const auto &vi = graph.input(i);
    BlockArgument arg = block->addArgument(type, NameLoc::get(builder.getStringAttr(vi.name()), loc));
    if (failed(bind(vi.name(), arg, loc)))
      return failure();
    // A declared subgraph input type must agree with what the op passes in.
    if (failed(checkDeclaredTypeOfInput(vi, type, loc, node, name)))
      return failure();
  }
  if (failed(importInitializers(graph)) || failed(importNodes(graph)))
    return failure();
  SmallVector<Value> outs;
  for (const auto &out : graph.output()) {
    Value v = lookup(out.name());
    if (!v) {
      nodeError(node, name, loc) << "subgraph output '" << out.name() << "' is not defined";
      return failure();
    }
    outs.push_back(v);
    yieldTypes.push_back(v.getType());
  }
  ONNXYieldOp::create(builder, loc, outs);
  return success();
}

LogicalResult Reader::checkDeclaredTypeOfInput(const ::onnx::ValueInfoProto &vi, Type type,
                                               Location loc, const ::onnx::NodeProto &node,
                                               StringRef name) {
  if (!vi.has_type() || !vi.type().has_tensor_type())
    return success();
  const auto &tt = vi.type().tensor_type();
  auto tensor = cast<RankedTensorType>(type);
  if (tt.elem_type() != 0) {
    FailureOr<Type> declared = elementType(tt.elem_type(), "subgraph input '" + vi.name() + "'");
    if (failed(declared))
      return failure();
    if (*declared != tensor.getElementType()) {
      nodeError(node, name, loc) << "subgraph input '" << vi.name() << "' is declared as "
                                 << *declared << " but receives " << tensor;
      return failure();
    }
  }
  if (tt.has_shape()) {
    if (tt.shape().dim_size() != tensor.getRank()) {
      nodeError(node, name, loc) << "inconsistent shapes: subgraph input '" << vi.name()
                                 << "' is declared with rank " << tt.shape().dim_size()
                                 << " but receives " << tensor;
      return failure();
    }
    for (int i = 0; i < tt.shape().dim_size(); ++i)
      if (tt.shape().dim(i).has_dim_value() &&
          tt.shape().dim(i).dim_value() != tensor.getDimSize(i)) {
        nodeError(node, name, loc) << "inconsistent shapes: subgraph input '" << vi.name()
                                   << "' is declared with dimension " << i << " = "
                                   << tt.shape().dim(i).dim_value() << " but receives "
                                   << tensor;
        return failure();
      }
  }
  return success();
}

LogicalResult Reader::importNode(::onnx::NodeProto &node, size_t index) {
  std::string name = node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                         : node.name();
  Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  if (node.op_type().empty()) {
    nodeError(node, name, loc) << "node has no op_type";
    return failure();
  }
  if (!domain.empty() && domain != "tern") {
    nodeError(node, name, loc) << "unknown domain '" << domain
                               << "' (Tern supports ai.onnx and tern)";
    return failure();
  }
  int64_t opset = domain.empty() ? defaultOpset : ternOpset;
  if (opset == 0) {
    nodeError(node, name, loc) << "the model imports no opset for domain '"
                               << (domain.empty() ? "ai.onnx" : domain) << "'";
    return failure();
  }
  if (!isSupportedOp(domain, node.op_type())) {
    nodeError(node, name, loc) << "unsupported operator";
    return failure();
  }
  if (domain.empty() && opset < minimumOpsetFor(node.op_type())) {
    nodeError(node, name, loc) << "opset " << opset << " of this operator is not supported "
                               << "(Tern implements it from opset "
                               << minimumOpsetFor(node.op_type()) << ")";
    return failure();
  }
  if (std::string why; domain.empty() && !validateNodeSchema(node, opset, why)) {
    nodeError(node, name, loc) << why;
    return failure();
  }

  NodeDesc desc;
  desc.opType = node.op_type();
  desc.domain = domain;
  desc.opset = opset;
  desc.numResults = node.output_size();
  desc.feedsShapeOperand = llvm::any_of(node.output(), [&](const std::string &o) {
    return !o.empty() && shapeSources.contains(o);
  });
  for (const std::string &in : node.input()) {
    if (in.empty()) {
      desc.inputs.push_back({});
      continue;
    }
    Value v = lookup(in);
    if (!v) {
      nodeError(node, name, loc) << "input '" << in
                                 << "' is not defined (not a graph input, initializer or "
                                    "earlier node output; is the graph sorted?)";
      return failure();
    }
    if (!isa<RankedTensorType>(v.getType())) {
      nodeError(node, name, loc) << "input '" << in << "' is not a tensor";
      return failure();
    }
    desc.inputs.push_back(v);
  }
  // Trailing absent inputs are the same as omitted ones.
  while (!desc.inputs.empty() && !desc.inputs.back())
    desc.inputs.pop_back();

  SmallVector<NamedAttribute> attrs;
  SmallVector<::onnx::AttributeProto *> graphAttrs;
  for (auto &a : *node.mutable_attribute()) {
    if (a.name().empty()) {
      nodeError(node, name, loc) << "an attribute has no name";
      return failure();
    }
    if (a.type() == ::onnx::AttributeProto::GRAPH) {
      graphAttrs.push_back(&a);
      continue;
    }
    // Cast's `to` is an element type.
    if (node.op_type() == "Cast" && domain.empty() && a.name() == "to") {
      FailureOr<Type> t = elementType(static_cast<int32_t>(a.i()), "node '" + name + "' attribute 'to'");
      if (failed(t))
        return failure();
      attrs.push_back(builder.getNamedAttr("to", TypeAttr::get(*t)));
      continue;
    }
    FailureOr<Attribute> attr = convertAttribute(a, node, name, loc);
    if (failed(attr))
      return failure();
    attrs.push_back(builder.getNamedAttr(a.name(), *attr));
  }
  desc.attrs = builder.getDictionaryAttr(attrs);

  SmallVector<Value> results;
  if (domain.empty() && node.op_type() == "Constant") {
    if (node.output_size() != 1 || desc.attrs.size() != 1) {
      nodeError(node, name, loc) << "Constant needs one output and exactly one value attribute";
      return failure();
    }
    NamedAttribute a = desc.attrs.getValue()[0];
    StringRef kind = a.getName().getValue();
    TypedAttr value;
    if (kind == "value") {
      value = dyn_cast<TypedAttr>(a.getValue());
    } else if (kind == "value_float") {
      value = DenseElementsAttr::get(RankedTensorType::get({}, builder.getF32Type()),
                                     cast<FloatAttr>(a.getValue()).getValue());
    } else if (kind == "value_int") {
      value = DenseElementsAttr::get(RankedTensorType::get({}, builder.getI64Type()),
                                     cast<IntegerAttr>(a.getValue()).getValue());
    } else if (kind == "value_floats") {
      auto v = cast<DenseF32ArrayAttr>(a.getValue()).asArrayRef();
      value = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(v.size())}, builder.getF32Type()), v);
    } else if (kind == "value_ints") {
      auto v = cast<DenseI64ArrayAttr>(a.getValue()).asArrayRef();
      value = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(v.size())}, builder.getI64Type()), v);
    }
    if (!value) {
      nodeError(node, name, loc) << "unsupported Constant attribute '" << kind << "'";
      return failure();
    }
    results.push_back(arith::ConstantOp::create(builder, loc, value));
  } else if (domain.empty() && node.op_type() == "Identity" && desc.inputs.size() == 1 &&
             node.output_size() == 1 && desc.inputs[0]) {
    results.push_back(desc.inputs[0]);
  } else if (domain.empty() && (node.op_type() == "Scan" || node.op_type() == "Loop" ||
                                node.op_type() == "If")) {
    if (failed(importControlFlow(node, name, loc, desc, results)))
      return failure();
  } else {
    if (!graphAttrs.empty()) {
      nodeError(node, name, loc) << "unexpected graph attribute '" << graphAttrs[0]->name()
                                 << "'";
      return failure();
    }
    SmallVector<Type> types;
    std::string error;
    if (failed(inferResultTypes(desc, types, error))) {
      nodeError(node, name, loc) << error;
      return failure();
    }
    for (Type t : types)
      if (auto tt = dyn_cast<RankedTensorType>(t); tt && !fitsInt64Bytes(tt)) {
        nodeError(node, name, loc) << "result shape " << shapeStr(tt.getShape())
                                   << " overflows int64 (elements or bytes)";
        return failure();
      }
    if (!foldNode(builder, loc, desc, types, results)) {
      SmallVector<Value> operands;
      Value none;
      for (Value v : desc.inputs) {
        if (!v) {
          if (!none)
            none = ONNXNoneOp::create(builder, loc, builder.getNoneType());
          v = none;
        }
        operands.push_back(v);
      }
      auto op = ONNXNodeOp::create(builder, loc, types, operands, node.op_type(), domain,
                                   opset, desc.attrs, builder.getStrArrayAttr({}),
                                   /*graphsCount=*/0);
      results.assign(op->result_begin(), op->result_end());
    }
  }

  if (static_cast<int>(results.size()) != node.output_size()) {
    nodeError(node, name, loc) << "produces " << results.size() << " values for "
                               << node.output_size() << " outputs";
    return failure();
  }
  for (auto [out, v] : llvm::zip(node.output(), results)) {
    if (failed(checkDeclaredType(out, v.getType(), loc,
                                 "node '" + name + "' (" + node.op_type() + ")")) ||
        failed(bind(out, v, loc)))
      return failure();
  }
  return success();
}

/// Looks up a graph attribute of `node`.
static ::onnx::GraphProto *graphAttr(::onnx::NodeProto &node, StringRef attr) {
  for (auto &a : *node.mutable_attribute())
    if (a.name() == attr && a.type() == ::onnx::AttributeProto::GRAPH)
      return a.mutable_g();
  return nullptr;
}

LogicalResult Reader::importControlFlow(::onnx::NodeProto &node, StringRef name,
                                        Location loc, NodeDesc &desc,
                                        SmallVectorImpl<Value> &results) {
  StringRef op = desc.opType;
  SmallVector<std::string> graphNames;
  SmallVector<::onnx::GraphProto *> graphs;
  if (op == "If") {
    graphNames = {"then_branch", "else_branch"};
  } else {
    graphNames = {"body"};
  }
  for (const std::string &g : graphNames) {
    ::onnx::GraphProto *graph = graphAttr(node, g);
    if (!graph) {
      nodeError(node, name, loc) << "missing graph attribute '" << g << "'";
      return failure();
    }
    graphs.push_back(graph);
  }
  auto tensorIn = [&](unsigned i) -> RankedTensorType {
    Value v = desc.input(i);
    return v ? cast<RankedTensorType>(v.getType()) : RankedTensorType();
  };

  SmallVector<Type> resultTypes;
  SmallVector<SmallVector<Type>> argTypes(graphs.size());
  unsigned numOutputs = node.output_size();
  Type i64 = builder.getI64Type(), i1 = builder.getI1Type();

  // Result types are computed from what each body yields, after importing it.
  std::function<LogicalResult(ArrayRef<SmallVector<Type>>)> finish;
  if (op == "Scan") {
    int64_t numScan = getIntAttr(desc.attrs, "num_scan_inputs", -1);
    int64_t numIn = desc.inputs.size();
    if (numScan < 1 || numScan > numIn) {
      nodeError(node, name, loc) << "num_scan_inputs must be in [1, " << numIn << "]";
      return failure();
    }
    int64_t numState = numIn - numScan;
    auto inAxes = getIntsAttr(desc.attrs, "scan_input_axes")
                      .value_or(SmallVector<int64_t>(numScan, 0));
    if (static_cast<int64_t>(inAxes.size()) != numScan) {
      nodeError(node, name, loc) << "scan_input_axes has the wrong length";
      return failure();
    }
    int64_t seqLen = -1;
    for (int64_t i = 0; i < numIn; ++i) {
      RankedTensorType t = tensorIn(i);
      if (!t) {
        nodeError(node, name, loc) << "input " << i << " is required";
        return failure();
      }
      if (i < numState) {
        argTypes[0].push_back(t);
        continue;
      }
      int64_t axis = inAxes[i - numState];
      if (!normalizeAxis(axis, t.getRank())) {
        nodeError(node, name, loc) << "scan input axis out of range";
        return failure();
      }
      if (seqLen >= 0 && t.getDimSize(axis) != seqLen) {
        nodeError(node, name, loc) << "inconsistent shapes: scan inputs have different "
                                      "sequence lengths";
        return failure();
      }
      seqLen = t.getDimSize(axis);
      SmallVector<int64_t> shape(t.getShape());
      shape.erase(shape.begin() + axis);
      argTypes[0].push_back(RankedTensorType::get(shape, t.getElementType()));
    }
    finish = [&, numState, seqLen](ArrayRef<SmallVector<Type>> yields) -> LogicalResult {
      ArrayRef<Type> y = yields[0];
      if (static_cast<int64_t>(y.size()) < numState || y.size() != numOutputs) {
        nodeError(node, name, loc) << "body yields " << y.size() << " values for "
                                   << numOutputs << " outputs";
        return failure();
      }
      auto outAxes = getIntsAttr(desc.attrs, "scan_output_axes")
                         .value_or(SmallVector<int64_t>(y.size() - numState, 0));
      if (outAxes.size() != y.size() - numState) {
        nodeError(node, name, loc) << "scan_output_axes has the wrong length";
        return failure();
      }
      for (int64_t i = 0; i < static_cast<int64_t>(y.size()); ++i) {
        auto t = cast<RankedTensorType>(y[i]);
        if (i < numState) {
          if (t != argTypes[0][i]) {
            nodeError(node, name, loc) << "inconsistent shapes: state " << i << " enters as "
                                       << argTypes[0][i] << " but the body yields " << t;
            return failure();
          }
          resultTypes.push_back(t);
          continue;
        }
        int64_t axis = outAxes[i - numState];
        if (!normalizeAxis(axis, t.getRank() + 1)) {
          nodeError(node, name, loc) << "scan output axis out of range";
          return failure();
        }
        SmallVector<int64_t> shape(t.getShape());
        shape.insert(shape.begin() + axis, seqLen);
        resultTypes.push_back(RankedTensorType::get(shape, t.getElementType()));
      }
      return success();
    };
  } else if (op == "Loop") {
    // Inputs: M (optional), cond (optional), v_initial...
    for (unsigned i = 2; i < desc.inputs.size(); ++i) {
      if (!desc.inputs[i]) {
        nodeError(node, name, loc) << "loop-carried input " << i << " is required";
        return failure();
      }
    }
    argTypes[0].push_back(RankedTensorType::get({}, i64));
    argTypes[0].push_back(RankedTensorType::get({}, i1));
    for (unsigned i = 2; i < desc.inputs.size(); ++i)
      argTypes[0].push_back(tensorIn(i));
    unsigned numCarried = desc.inputs.size() > 2 ? desc.inputs.size() - 2 : 0;
    std::optional<int64_t> tripCount;
    std::string tripHint;
    if (desc.input(0)) {
      tripCount = getScalarInt(desc.input(0));
      if (!tripCount)
        tripHint = graphInputHint(desc.input(0));
    }
    finish = [&, numCarried, tripCount,
              tripHint](ArrayRef<SmallVector<Type>> yields) -> LogicalResult {
      ArrayRef<Type> y = yields[0];
      if (y.size() != 1 + numOutputs || numOutputs < numCarried) {
        nodeError(node, name, loc) << "body yields " << y.size() << " values, expected "
                                   << 1 + numOutputs;
        return failure();
      }
      for (unsigned i = 0; i < numCarried; ++i) {
        if (y[1 + i] != argTypes[0][2 + i]) {
          nodeError(node, name, loc) << "inconsistent shapes: loop-carried value " << i
                                     << " enters as " << argTypes[0][2 + i]
                                     << " but the body yields " << y[1 + i];
          return failure();
        }
        resultTypes.push_back(y[1 + i]);
      }
      for (unsigned i = 1 + numCarried; i < y.size(); ++i) {
        if (!tripCount) {
          nodeError(node, name, loc) << "scan outputs need a constant trip count M "
                                        "(Tern compiles static shapes only)"
                                     << tripHint;
          return failure();
        }
        auto t = cast<RankedTensorType>(y[i]);
        SmallVector<int64_t> shape(t.getShape());
        shape.insert(shape.begin(), std::max<int64_t>(*tripCount, 0));
        resultTypes.push_back(RankedTensorType::get(shape, t.getElementType()));
      }
      return success();
    };
  } else { // If
    RankedTensorType cond = tensorIn(0);
    if (!cond || cond.getNumElements() != 1 || !cond.getElementType().isInteger(1)) {
      nodeError(node, name, loc) << "condition must be a one-element bool tensor";
      return failure();
    }
    finish = [&](ArrayRef<SmallVector<Type>> yields) -> LogicalResult {
      if (yields[0] != yields[1] || yields[0].size() != numOutputs) {
        nodeError(node, name, loc) << "then and else branches yield different types "
                                      "(Tern compiles static shapes only)";
        return failure();
      }
      resultTypes.assign(yields[0].begin(), yields[0].end());
      return success();
    };
  }

  SmallVector<std::unique_ptr<Region>> regions;
  SmallVector<SmallVector<Type>> yields(graphs.size());
  for (auto [i, graph] : llvm::enumerate(graphs)) {
    regions.push_back(std::make_unique<Region>());
    if (failed(importSubgraph(*graph, *regions.back(), argTypes[i], yields[i], node, name,
                              loc)))
      return failure();
  }
  if (failed(finish(yields)))
    return failure();

  SmallVector<Value> operands;
  Value none;
  for (Value v : desc.inputs) {
    if (!v) {
      if (!none)
        none = ONNXNoneOp::create(builder, loc, builder.getNoneType());
      v = none;
    }
    operands.push_back(v);
  }
  auto created = ONNXNodeOp::create(
      builder, loc, resultTypes, operands, desc.opType, desc.domain, desc.opset, desc.attrs,
      builder.getStrArrayAttr(SmallVector<StringRef>(graphNames.begin(), graphNames.end())),
      static_cast<unsigned>(regions.size()));
  for (auto [i, r] : llvm::enumerate(regions))
    created->getRegion(i).takeBody(*r);
  results.assign(created->result_begin(), created->result_end());
  return success();
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

/// True if every node input is defined before use (graph inputs,
/// initializers, earlier outputs, enclosing graphs), no value is defined
/// twice, and every graph attribute holds a graph that is sound too.
static bool isStructurallySound(const ::onnx::GraphProto &graph,
                                std::set<std::string> defined) {
  for (const auto &in : graph.input())
    defined.insert(in.name());
  for (const auto &init : graph.initializer())
    defined.insert(init.name());
  for (const auto &node : graph.node()) {
    if (node.op_type().empty())
      return false;
    for (const std::string &in : node.input())
      if (!in.empty() && !defined.count(in))
        return false;
    for (const auto &attr : node.attribute()) {
      if (attr.type() == ::onnx::AttributeProto::GRAPH &&
          (!attr.has_g() || !isStructurallySound(attr.g(), defined)))
        return false;
      if (attr.type() == ::onnx::AttributeProto::GRAPHS)
        return false;
    }
    for (const std::string &out : node.output())
      if (!out.empty() && !defined.insert(out).second)
        return false;
  }
  for (const auto &out : graph.output())
    if (!defined.count(out.name()))
      return false;
  return true;
}

OwningOpRef<ModuleOp> Reader::run(::onnx::ModelProto &model) {
  if (!model.has_graph()) {
    fileError() << "not an ONNX model: it has no graph (empty, truncated or not a "
                   "ModelProto)";
    return {};
  }
  if (model.ir_version() <= 0) {
    fileError() << "ir_version " << model.ir_version()
                << " is not a valid ONNX IR version (missing or corrupt header)";
    return {};
  }
  for (const auto &op : model.opset_import()) {
    std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    if (domain.empty()) {
      if (op.version() < kMinOpset || op.version() > kMaxOpset) {
        fileError() << "unsupported opset " << op.version()
                    << " of domain 'ai.onnx' (Tern supports " << kMinOpset << " to "
                    << kMaxOpset << ")";
        return {};
      }
      defaultOpset = op.version();
    } else if (domain == "tern") {
      if (op.version() != 1) {
        fileError() << "unsupported opset " << op.version()
                    << " of domain 'tern' (Tern supports version 1)";
        return {};
      }
      ternOpset = 1;
    }
    // Other domains are an error only where a node uses them.
  }
  ::onnx::GraphProto &graph = *model.mutable_graph();

  // Symbolic input dimensions with a value become static for ONNX's inference.
  for (auto &in : *graph.mutable_input()) {
    if (!in.has_type() || !in.type().has_tensor_type() || !in.type().tensor_type().has_shape())
      continue;
    for (auto &d : *in.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim()) {
      if (d.has_dim_param()) {
        auto it = options.dimValues.find(d.dim_param());
        if (it != options.dimValues.end())
          d.set_dim_value(it->second);
      }
    }
  }
  // Tern's own inference (ONNXInference.cpp) types every value and checks
  // the declared types. ONNX 1.12's shape inference can cross-check it, but
  // only on request (TERN_ONNX_SHAPE_INFERENCE=1): fuzzing found inputs on
  // which it dereferences null (an unsorted graph; a Shape node with `start`
  // on a scalar), and from opset 18 on its schemas are the wrong ones.
  const char *crossCheck = std::getenv("TERN_ONNX_SHAPE_INFERENCE");
  if (crossCheck && std::string(crossCheck) == "1" && defaultOpset && defaultOpset <= 17 &&
      isStructurallySound(graph, {})) {
    try {
      ::onnx::ShapeInferenceOptions opts(/*check_type=*/false, /*strict_mode=*/0,
                                         /*data_prop=*/true);
      ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(), opts);
    } catch (const std::exception &e) {
      fileError() << "inconsistent shapes or types (ONNX shape inference): " << e.what();
      return {};
    }
  }
  collectValueInfo(graph);
  shapeSources = shapeOperandSources(graph);

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  scopes.emplace_back();

  // Graph inputs that are initializers are constants (IR < 4 lists them).
  if (failed(addConstInputs(graph, options, fileLoc)))
    return {};
  llvm::StringSet<> initNames;
  for (const auto &init : graph.initializer())
    initNames.insert(init.name());
  // Inputs feeding shape operands, compiled for the values given: they stay
  // arguments, but their names are bound to initializers.
  llvm::StringSet<> specialized;
  if (failed(addShapeInputValues(graph, options, initNames, fileLoc, specialized)))
    return {};
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames, shadowed;
  // Bind symbolic dimensions from the shapes the caller has for the inputs.
  size_t position = 0;
  for (const auto &in : graph.input()) {
    if (initNames.contains(in.name()))
      continue;
    size_t p = position++;
    if (p >= options.inputShapes.size() || !in.type().has_tensor_type() ||
        !in.type().tensor_type().has_shape())
      continue;
    const auto &shape = in.type().tensor_type().shape();
    const std::vector<int64_t> &given = options.inputShapes[p];
    if (static_cast<int64_t>(given.size()) != shape.dim_size())
      continue; // the rank mismatch is reported when the inputs are checked
    for (int i = 0; i < shape.dim_size(); ++i) {
      if (!shape.dim(i).has_dim_param() || options.dimValues.count(shape.dim(i).dim_param()))
        continue;
      options.dimValues[shape.dim(i).dim_param()] = given[i];
    }
  }
  for (const auto &in : graph.input()) {
    if (initNames.contains(in.name())) {
      shadowed.push_back(in.name());
      continue;
    }
    FailureOr<RankedTensorType> t = inputType(in);
    if (failed(t))
      return {};
    argTypes.push_back(*t);
    argNames.push_back(in.name());
  }
  // IR < 4 lists every initializer as an input: a constant. From IR 4 on
  // such an input is overridable, its initializer a default; a compiled
  // model has one fixed signature, so the default is compiled in, and said so.
  if (model.ir_version() >= 4 && !shadowed.empty())
    mlir::emitWarning(fileLoc) << shadowed.size() << " graph input(s) ('" << shadowed.front()
                               << "'" << (shadowed.size() > 1 ? ", ..." : "")
                               << ") have an initializer: compiled as constants (IR version "
                               << model.ir_version()
                               << " makes them overridable defaults; the compiled model takes "
                                  "no value for them)";
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "tern.name", builder.getStringAttr(name));
    if (specialized.contains(name))
      continue;
    if (failed(bind(name, entry->getArgument(i), fileLoc)))
      return {};
  }
  if (failed(importInitializers(graph)) || failed(importNodes(graph)))
    return {};

  SmallVector<Value> outs;
  SmallVector<Type> outTypes;
  for (const auto &out : graph.output()) {
    Value v = lookup(out.name());
    if (!v) {
      fileError() << "graph output '" << out.name() << "' is not defined";
      return {};
    }
    if (failed(checkDeclaredType(out.name(), v.getType(), fileLoc,
                                 "graph output '" + out.name() + "'")))
      return {};
    outs.push_back(v);
    outTypes.push_back(v.getType());
  }
  if (outs.empty()) {
    fileError() << "the graph has no outputs";
    return {};
  }
  func::ReturnOp::create(builder, fileLoc, outs);
  func.setType(builder.getFunctionType(argTypes, outTypes));
  for (auto [i, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "tern.name", builder.getStringAttr(out.name()));
  return module;
}

//===----------------------------------------------------------------------===//
// Entry points (nothing thrown gets past these)
//===----------------------------------------------------------------------===//

static bool parseText(StringRef text, ::onnx::ModelProto &model, std::string &error) {
  std::string buffer = text.str(); // the parser wants a NUL-terminated string
  ::onnx::OnnxParser parser(buffer.c_str());
  auto status = parser.Parse(model);
  if (!status.IsOK()) {
    error = status.ErrorMessage();
    return false;
  }
  if (!parser.EndOfInput()) {
    error = "unexpected text after the model";
    return false;
  }
  return true;
}

/// Parses a binary ModelProto; on failure `error` says where parsing
/// stopped (byte offset) or which required field is missing.
static bool parseBinary(google::protobuf::io::ZeroCopyInputStream &stream,
                        ::onnx::ModelProto &model, std::string &error) {
  google::protobuf::io::CodedInputStream in(&stream);
  in.SetTotalBytesLimit(INT_MAX);
  if (!model.MergePartialFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    error = "malformed ONNX protobuf (corrupt or truncated file): parsing stopped at byte " +
            std::to_string(in.CurrentPosition());
    return false;
  }
  if (!model.IsInitialized()) {
    error = "malformed ONNX protobuf: missing required fields " +
            model.InitializationErrorString();
    return false;
  }
  return true;
}

static OwningOpRef<ModuleOp> importModel(::onnx::ModelProto &model, StringRef displayName,
                                         StringRef dataDir, MLIRContext *context,
                                         const ONNXImportOptions &options) {
  context->loadDialect<ONNXDialect, arith::ArithDialect, func::FuncDialect>();
  Reader reader(context, displayName, dataDir, options);
  return reader.run(model);
}

OwningOpRef<ModuleOp> onnx_import::readONNXBuffer(StringRef data, StringRef displayName,
                                                  bool isText, MLIRContext *context,
                                                  const ONNXImportOptions &options) {
  Location loc = FileLineColLoc::get(context, displayName, 0, 0);
  try {
    ::onnx::ModelProto model;
    if (data.empty()) {
      emitError(loc) << "empty file: not an ONNX model";
      return {};
    }
    if (isText) {
      std::string error;
      if (!parseText(data, model, error)) {
        emitError(loc) << "malformed ONNX text: " << error;
        return {};
      }
    } else {
      if (data.size() > static_cast<size_t>(INT_MAX)) {
        emitError(loc) << "file is larger than 2 GB: store the weights as ONNX external data";
        return {};
      }
      google::protobuf::io::ArrayInputStream stream(data.data(), static_cast<int>(data.size()));
      std::string error;
      if (!parseBinary(stream, model, error)) {
        emitError(loc) << error;
        return {};
      }
    }
    return importModel(model, displayName, options.externalDataDir, context, options);
  } catch (const std::exception &e) {
    emitError(loc) << "cannot import the model: " << e.what();
  } catch (...) {
    emitError(loc) << "cannot import the model: unknown error";
  }
  return {};
}

OwningOpRef<ModuleOp> onnx_import::readONNXFile(StringRef path, MLIRContext *context,
                                                const ONNXImportOptions &options) {
  Location loc = FileLineColLoc::get(context, path, 0, 0);
  try {
    std::string dataDir = options.externalDataDir;
    if (dataDir.empty()) {
      dataDir = llvm::sys::path::parent_path(path).str();
      if (dataDir.empty())
        dataDir = ".";
    }
    ONNXImportOptions opts = options;
    opts.externalDataDir = dataDir;
    if (path.ends_with(".onnxtxt")) {
      auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
      if (!buffer) {
        emitError(loc) << "cannot read '" << path << "': " << buffer.getError().message();
        return {};
      }
      return readONNXBuffer((*buffer)->getBuffer(), path, /*isText=*/true, context, opts);
    }
    // Binary: stream from the file descriptor (no second copy of the file).
    int fd = openReadOnly(path.str());
    if (fd < 0) {
      emitError(loc) << "cannot open '" << path << "': " << std::strerror(errno);
      return {};
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      emitError(loc) << "'" << path << "' is not a regular file";
      return {};
    }
    if (st.st_size == 0) {
      ::close(fd);
      emitError(loc) << "empty file: not an ONNX model";
      return {};
    }
    if (st.st_size > INT_MAX) {
      ::close(fd);
      emitError(loc) << "file is larger than 2 GB: store the weights as ONNX external data";
      return {};
    }
    ::onnx::ModelProto model;
    bool ok;
    std::string error;
    {
      google::protobuf::io::FileInputStream stream(fd);
      ok = parseBinary(stream, model, error);
    }
    ::close(fd);
    if (!ok) {
      emitError(loc) << error;
      return {};
    }
    return importModel(model, path, dataDir, context, opts);
  } catch (const std::exception &e) {
    emitError(loc) << "cannot import the model: " << e.what();
  } catch (...) {
    emitError(loc) << "cannot import the model: unknown error";
  }
  return {};
}

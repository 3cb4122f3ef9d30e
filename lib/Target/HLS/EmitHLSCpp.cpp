//===- EmitHLSCpp.cpp - MLIR (affine/scf/memref/arith/math) to HLS C++ ----===//
//
// In the spirit of ScaleHLS's emitter: every op is translated on its own
// into one C++ statement (or a loop header), values become local variables,
// memrefs become C arrays, and the directive attributes of the HLS passes
// become pragmas at the place Vitis HLS expects them. Nothing is templated:
// the kernel text is the IR, statement by statement.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/HLS/HLSTarget.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AffineExprVisitor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

#include <cmath>

namespace mlir::tern {

//===----------------------------------------------------------------------===//
// Element data
//===----------------------------------------------------------------------===//

/// Little-endian bytes of every element of a constant (splats expanded).
static FailureOr<std::vector<char>> getRawBytes(Attribute attr) {
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements)
    return failure();
  auto type = cast<ShapedType>(elements.getType());
  Type elem = type.getElementType();
  int64_t n = type.getNumElements();
  if (!elem.isIntOrFloat() || elem.getIntOrFloatBitWidth() % 8 != 0)
    return failure();
  size_t width = elem.getIntOrFloatBitWidth() / 8;
  std::vector<char> bytes;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != n * width)
      return failure();
    ArrayRef<char> data = blob->getData();
    bytes.assign(data.begin(), data.end());
    return bytes;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return failure();
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    for (int64_t i = 0; i < n; ++i)
      bytes.insert(bytes.end(), raw.begin(), raw.begin() + width);
    return bytes;
  }
  if (raw.size() != n * width)
    return failure();
  bytes.assign(raw.begin(), raw.end());
  return bytes;
}

FailureOr<std::vector<char>> getHLSElementBytes(Attribute data) { return getRawBytes(data); }

LogicalResult writeElementsBinary(Attribute data, llvm::raw_ostream &os) {
  FailureOr<std::vector<char>> bytes = getRawBytes(data);
  if (failed(bytes))
    return failure();
  os.write(bytes->data(), bytes->size());
  return success();
}

//===----------------------------------------------------------------------===//
// Names and types
//===----------------------------------------------------------------------===//

static std::string sanitize(StringRef name) {
  static const llvm::StringSet<> reserved = {
      "auto", "bool", "break", "case", "char", "class", "const", "continue", "default",
      "delete", "do", "double", "else", "enum", "extern", "float", "for", "goto", "if",
      "int", "long", "main", "new", "private", "public", "register", "return", "short",
      "signed", "sizeof", "static", "struct", "switch", "template", "this", "typedef",
      "union", "unsigned", "void", "volatile", "while", "namespace", "operator"};
  std::string s;
  for (char c : name)
    s.push_back(isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_');
  while (!s.empty() && s.front() == '_')
    s.erase(s.begin());
  if (s.empty() || isdigit(static_cast<unsigned char>(s.front())))
    s = "p_" + s;
  if (reserved.contains(s))
    s += "_";
  return s;
}

/// The C++ type of a scalar MLIR type.
static FailureOr<std::string> cType(Type type, bool isUnsigned = false) {
  if (type.isIndex())
    return std::string("int");
  if (type.isInteger(1))
    return std::string("bool");
  if (auto i = dyn_cast<IntegerType>(type)) {
    unsigned w = i.getWidth();
    if (w == 8 || w == 16 || w == 32 || w == 64)
      return (isUnsigned ? "tern_u" : "tern_i") + std::to_string(w);
    // Wide weight words (tern-hls-pack-weight-words): ap_uint<w>.
    if (w > 64 && w % 64 == 0)
      return "tern_word<" + std::to_string(w) + ">";
    return failure();
  }
  if (type.isF32())
    return std::string("tern_real");
  return failure();
}

/// A wide weight word from its little-endian bytes: TERN_WORD(w, "0x<hex>")
/// (ap_uint<w>'s string constructor in synthesis).
static std::string wideWordLiteral(const char *bytes, unsigned w) {
  std::string s = "TERN_WORD(" + std::to_string(w) + ", \"0x";
  static const char digits[] = "0123456789abcdef";
  for (int k = static_cast<int>(w / 8) - 1; k >= 0; --k) {
    auto b = static_cast<unsigned char>(bytes[k]);
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s + "\")";
}

static std::string floatLiteral(double v) {
  if (std::isnan(v))
    return "TERN_NAN";
  if (std::isinf(v))
    return v > 0 ? "TERN_INF" : "(-TERN_INF)";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::format("%.9g", v);
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0";
  return s + "f";
}

FailureOr<std::vector<HLSPort>> getHLSPorts(func::FuncOp top) {
  std::vector<HLSPort> ports;
  int64_t numInputs = top.getNumArguments();
  if (auto n = top->getAttrOfType<IntegerAttr>(hls::kNumInputs))
    numInputs = n.getInt();
  auto outNames = top->getAttrOfType<ArrayAttr>(hls::kOutputNames);
  llvm::StringSet<> used;
  unsigned outIndex = 0;
  for (BlockArgument arg : top.getArguments()) {
    unsigned i = arg.getArgNumber();
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.hasStaticShape())
      return top.emitOpError("HLS top arguments must be static memrefs"), failure();
    HLSPort port;
    std::string name;
    if (auto w = top.getArgAttrOfType<StringAttr>(i, hls::kWeight)) {
      port.kind = HLSPort::Weight;
      name = w.getValue().str();
      port.data = top.getArgAttr(i, hls::kWeightData);
      if (auto layout = top.getArgAttrOfType<StringAttr>(i, hls::kWeightLayout))
        port.layout = layout.getValue().str();
      if (auto bundle = top.getArgAttrOfType<StringAttr>(i, hls::kBundle))
        port.bundle = bundle.getValue().str();
      if (auto bank = top.getArgAttrOfType<StringAttr>(i, hls::kBank))
        port.bank = bank.getValue().str();
    } else if (i < numInputs) {
      port.kind = HLSPort::Input;
      auto n = top.getArgAttrOfType<StringAttr>(i, "tern.name");
      name = n ? n.getValue().str() : "in" + std::to_string(i);
    } else {
      port.kind = HLSPort::Output;
      if (outNames && outIndex < outNames.size())
        name = cast<StringAttr>(outNames[outIndex]).getValue().str();
      else
        name = "out" + std::to_string(outIndex);
      if (auto st = top->getAttrOfType<DenseI64ArrayAttr>(hls::kStatusOutputs))
        port.status = llvm::is_contained(st.asArrayRef(), static_cast<int64_t>(outIndex));
      ++outIndex;
    }
    name = sanitize(name);
    while (used.contains(name))
      name += "_";
    used.insert(name);
    port.name = name;
    Type elem = type.getElementType();
    FailureOr<std::string> ct = cType(elem);
    if (failed(ct))
      return top.emitOpError("unsupported port element type ") << elem, failure();
    port.cType = *ct;
    if (elem.isF32()) {
      port.fileType = "float";
      port.fileBytes = 4;
    } else if (auto it = dyn_cast<IntegerType>(elem); it && it.getWidth() > 64) {
      // A wide word: its bytes, little-endian, in the file.
      port.fileType = "uint8_t";
      port.fileBytes = it.getWidth() / 8;
      port.wordBits = it.getWidth();
    } else if (auto it = dyn_cast<IntegerType>(elem); it && it.getWidth() >= 8) {
      port.fileType = "int" + std::to_string(it.getWidth()) + "_t";
      port.fileBytes = it.getWidth() / 8;
    } else {
      return top.emitOpError("unsupported port element type ") << elem, failure();
    }
    port.shape.assign(type.getShape().begin(), type.getShape().end());
    for (StringRef pair : {hls::kStateOut, hls::kStateIn})
      if (auto p = top.getArgAttrOfType<IntegerAttr>(i, pair))
        port.statePair = static_cast<int>(p.getInt());
    ports.push_back(std::move(port));
  }
  return ports;
}

//===----------------------------------------------------------------------===//
// The emitter
//===----------------------------------------------------------------------===//

namespace {

class HLSEmitter {
public:
  HLSEmitter(ModuleOp module, llvm::raw_ostream &os, const HLSEmitOptions &options)
      : module(module), os(os), options(options) {}

  LogicalResult emitModule();
  LogicalResult emitSignature(func::FuncOp fn, bool declaration);

private:
  ModuleOp module;
  llvm::raw_ostream &os;
  const HLSEmitOptions &options;
  unsigned indentLevel = 0;
  unsigned nextId = 0;
  DenseMap<Value, std::string> names;
  llvm::StringMap<std::string> globalNames;
  llvm::StringMap<std::string> functionNames;
  func::FuncOp top;
  std::vector<HLSPort> ports;
  bool inTernaryStage = false;

  llvm::raw_ostream &indent() { return os.indent(2 * indentLevel); }
  std::string fresh(StringRef prefix = "v") { return (prefix + Twine(nextId++)).str(); }
  std::string bind(Value v, StringRef prefix = "v") { return names[v] = fresh(prefix); }
  FailureOr<std::string> name(Value v, Operation *user) {
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    user->emitOpError("HLS emitter: operand has no C++ name (unsupported producer)");
    return failure();
  }

  std::string functionName(func::FuncOp fn) {
    auto it = functionNames.find(fn.getName());
    if (it != functionNames.end())
      return it->second;
    std::string name = sanitize(fn.getName());
    if (fn == top && options.axisIO)
      name += "_core";
    return functionNames[fn.getName()] = name;
  }
  LogicalResult emitAxisTop(bool declaration);

  LogicalResult emitGlobal(memref::GlobalOp global);
  LogicalResult emitFunction(func::FuncOp fn);
  LogicalResult emitPartition(StringRef var, DenseI64ArrayAttr attr);
  LogicalResult emitBlock(Block &block);
  LogicalResult emitOp(Operation *op);
  LogicalResult emitArrayDecl(Value v, StringRef name, bool param);
  std::string arrayDims(MemRefType type) {
    std::string s;
    if (type.getRank() == 0)
      return "[1]";
    for (int64_t d : type.getShape())
      s += "[" + std::to_string(d) + "]";
    return s;
  }

  // Expressions.
  FailureOr<std::string> affineExpr(AffineExpr expr, ArrayRef<std::string> dims,
                                    ArrayRef<std::string> syms);
  FailureOr<SmallVector<std::string>> affineMapResults(AffineMap map, ValueRange operands,
                                                       Operation *user);
  FailureOr<std::string> access(Value memref, ArrayRef<std::string> indices, Operation *user);

  LogicalResult emitLoop(Operation *op, StringRef iv, StringRef lb, StringRef ub, StringRef step,
                         ValueRange inits, ValueRange iterArgs, ResultRange results, Block &body);
  LogicalResult emitConstant(arith::ConstantOp op);
  LogicalResult emitBinary(Operation *op, StringRef opSymbol, bool isUnsigned = false,
                           bool wrap = false);
  LogicalResult emitAssign(Operation *op, const std::string &expr);

  // The visitor: one emitX per op (emitOp dispatches).
  LogicalResult emitUnaryCall(Operation *op, StringRef fn);
  LogicalResult emitBinaryCall(Operation *op, StringRef fn);
  LogicalResult emitIntCast(Operation *op, bool srcUnsigned);
  LogicalResult emitReturn(func::ReturnOp op);
  LogicalResult emitCall(func::CallOp op);
  LogicalResult emitAffineFor(affine::AffineForOp op);
  LogicalResult emitScfFor(scf::ForOp op);
  LogicalResult emitIf(scf::IfOp op);
  LogicalResult emitAffineApply(affine::AffineApplyOp op);
  LogicalResult emitAffineMinMax(Operation *op);
  LogicalResult emitAffineLoad(affine::AffineLoadOp op);
  LogicalResult emitAffineStore(affine::AffineStoreOp op);
  LogicalResult emitLoad(memref::LoadOp op);
  LogicalResult emitStore(memref::StoreOp op);
  LogicalResult emitAlloc(Operation *op);
  LogicalResult emitGetGlobal(memref::GetGlobalOp op);
  LogicalResult emitIntMinMax(Operation *op);
  LogicalResult emitCmpI(arith::CmpIOp op);
  LogicalResult emitCmpF(arith::CmpFOp op);
  LogicalResult emitSelect(arith::SelectOp op);
  LogicalResult emitIToFP(Operation *op, bool isUnsigned);
  LogicalResult emitFPToI(Operation *op);
};

LogicalResult HLSEmitter::emitModule() {
  FailureOr<func::FuncOp> maybeTop = getHLSTop(module);
  if (failed(maybeTop))
    return failure();
  top = *maybeTop;
  FailureOr<std::vector<HLSPort>> p = getHLSPorts(top);
  if (failed(p))
    return failure();
  ports = *p;

  os << "// Generated by Tern (tern-translate --emit-hls-cpp): HLS C++ for Vitis HLS.\n"
     << "// One function per pipeline stage; see the package README for the\n"
     << "// interfaces, the weight layout and the directives.\n"
     << "#include \"" << options.kernelHeader << "\"\n\n";

  for (auto global : module.getOps<memref::GlobalOp>())
    if (failed(emitGlobal(global)))
      return failure();

  // Callees before callers: post-order over the call graph from the top.
  SmallVector<func::FuncOp> order;
  llvm::SmallPtrSet<Operation *, 16> seen;
  std::function<LogicalResult(func::FuncOp)> visit = [&](func::FuncOp fn) -> LogicalResult {
    if (!seen.insert(fn).second)
      return success();
    WalkResult r = fn.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee || callee.isExternal()) {
        call.emitOpError("HLS emitter: callee must be a function of the module");
        return WalkResult::interrupt();
      }
      if (failed(visit(callee)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      return failure();
    order.push_back(fn);
    return success();
  };
  if (failed(visit(top)))
    return failure();
  // Recursion would revisit a function on the stack: refuse it.
  for (func::FuncOp fn : order) {
    bool recursive = fn.walk([&](func::CallOp call) {
                         return call.getCallee() == fn.getName() ? WalkResult::interrupt()
                                                                  : WalkResult::advance();
                       }).wasInterrupted();
    if (recursive)
      return fn.emitOpError("HLS: recursive functions are not synthesizable");
  }
  for (func::FuncOp fn : order)
    if (failed(emitFunction(fn)))
      return failure();
  if (options.axisIO)
    return emitAxisTop(/*declaration=*/false);
  return success();
}

/// The AXI4-Stream top: one adapter per token port (row-major, one element
/// per beat, II=1, TLAST on the last beat of every tensor), the model core
/// between them. A recurrent state (tern-hls-keep-state-on-chip) stays in a
/// static on-chip array of the top: zeroed when `reset_state` is set, read
/// by the core and updated from its next-state output after every token;
/// the top is then sequential (a DATAFLOW region must not share a static
/// array between processes), otherwise it is a dataflow region.
LogicalResult HLSEmitter::emitAxisTop(bool declaration) {
  std::string name = sanitize(top.getName());
  auto dims = [](const HLSPort &p) {
    std::string s;
    for (int64_t d : p.shape)
      s += "[" + std::to_string(d) + "]";
    return s.empty() ? std::string("[1]") : s;
  };
  auto isStream = [](const HLSPort &p) {
    return p.kind != HLSPort::Weight && !p.status && p.statePair < 0;
  };
  auto isState = [](const HLSPort &p) { return p.kind != HLSPort::Weight && p.statePair >= 0; };
  bool stateful = llvm::any_of(ports, isState);
  auto beat = [](const HLSPort &p) { return "tern_axis<" + p.cType + ">"; };
  // A loop nest over a port's elements around `body` (index in `[i0][i1]..`).
  auto forEach = [&](const HLSPort &p, llvm::function_ref<void(StringRef, StringRef)> body) {
    SmallVector<int64_t> shape(p.shape.begin(), p.shape.end());
    if (shape.empty())
      shape.push_back(1);
    std::string index, last;
    for (size_t d = 0; d < shape.size(); ++d) {
      os.indent(2 * (d + 1)) << "for (int i" << d << " = 0; i" << d << " < " << shape[d] << "; i"
                             << d << " += 1) {\n";
      index += "[i" + std::to_string(d) + "]";
      last += (d ? " && i" : "i") + std::to_string(d) + " == " + std::to_string(shape[d] - 1);
    }
    os.indent(2 * (shape.size() + 1)) << "#pragma HLS PIPELINE II=1\n";
    body(index, last);
    for (size_t d = shape.size(); d > 0; --d)
      os.indent(2 * d) << "}\n";
  };
  size_t depth = 0;
  if (!declaration) {
    for (const HLSPort &p : ports) {
      if (!isStream(p))
        continue;
      bool in = p.kind == HLSPort::Input;
      depth = std::max<size_t>(1, p.shape.size()) + 1;
      os << "// AXI4-Stream adapter: "
         << (in ? "stream -> buffer" : "buffer -> stream, TLAST on the last beat") << "\n"
         << "static void " << name << (in ? "_read_" : "_write_") << p.name << "(";
      if (in)
        os << "tern_stream<" << beat(p) << " > &s, " << p.cType << " buf" << dims(p);
      else
        os << "const " << p.cType << " buf" << dims(p) << ", tern_stream<" << beat(p) << " > &s";
      os << ") {\n  #pragma HLS INLINE off\n";
      forEach(p, [&](StringRef index, StringRef last) {
        if (in) {
          os.indent(2 * depth) << "buf" << index << " = s.read().data;\n";
          return;
        }
        os.indent(2 * depth) << beat(p) << " beat;\n";
        os.indent(2 * depth) << "beat.data = buf" << index << ";\n";
        os.indent(2 * depth) << "beat.keep = -1;\n";
        os.indent(2 * depth) << "beat.strb = -1;\n";
        os.indent(2 * depth) << "beat.last = " << last << ";\n";
        os.indent(2 * depth) << "s.write(beat);\n";
      });
      os << "}\n\n";
    }
    for (const HLSPort &p : ports) {
      if (!isState(p) || p.kind != HLSPort::Input)
        continue;
      depth = std::max<size_t>(1, p.shape.size()) + 1;
      std::string zero = p.cType == "tern_real" ? "tern_real(0.0f)" : "(" + p.cType + ")0";
      os << "// On-chip recurrent state '" << p.name << "': cleared by reset_state.\n"
         << "static void " << name << "_reset_" << p.name << "(" << p.cType << " buf" << dims(p)
         << ") {\n  #pragma HLS INLINE off\n";
      forEach(p, [&](StringRef index, StringRef) {
        os.indent(2 * depth) << "buf" << index << " = " << zero << ";\n";
      });
      os << "}\n\n"
         << "// The next state becomes the state of the next token.\n"
         << "static void " << name << "_update_" << p.name << "(const " << p.cType << " next"
         << dims(p) << ", " << p.cType << " buf" << dims(p) << ") {\n  #pragma HLS INLINE off\n";
      forEach(p, [&](StringRef index, StringRef) {
        os.indent(2 * depth) << "buf" << index << " = next" << index << ";\n";
      });
      os << "}\n\n";
    }
    os << "// Top function: token I/O as AXI4-Stream, weights as AXI4 masters in DDR/HBM,\n"
       << "// AXI4-Lite control" << (stateful ? "; the recurrent state stays on chip" : "")
       << ".\n";
  }
  os << "void " << name << "(";
  bool firstParam = true;
  for (const HLSPort &p : ports) {
    if (isState(p))
      continue;
    os << (firstParam ? "" : ", ");
    firstParam = false;
    if (isStream(p))
      os << "tern_stream<" << beat(p) << " > &" << p.name;
    else if (p.status)
      os << p.cType << " " << p.name << dims(p);
    else
      os << "const " << p.cType << " " << p.name << dims(p);
  }
  if (stateful)
    os << (firstParam ? "" : ", ") << "bool reset_state";
  os << ")";
  if (declaration)
    return success();
  os << " {\n";
  for (const HLSPort &p : ports) {
    if (isState(p))
      continue;
    if (isStream(p))
      os << "  #pragma HLS INTERFACE mode=axis port=" << p.name << "\n";
    else if (p.status)
      os << "  #pragma HLS INTERFACE mode=s_axilite port=" << p.name << " bundle=control\n";
    else
      os << "  #pragma HLS INTERFACE mode=m_axi port=" << p.name << " offset=slave bundle="
         << (p.bundle.empty() ? "gmem_w" : p.bundle) << " depth=" << p.numElements()
         << " max_read_burst_length=64\n"
         << "  #pragma HLS INTERFACE mode=s_axilite port=" << p.name << " bundle=control\n";
  }
  if (stateful)
    os << "  #pragma HLS INTERFACE mode=s_axilite port=reset_state bundle=control\n";
  os << "  #pragma HLS INTERFACE mode=s_axilite port=return bundle=control\n";
  if (!stateful)
    os << "  #pragma HLS DATAFLOW\n";
  for (const HLSPort &p : ports) {
    if (isStream(p))
      os << "  TERN_LOCAL " << p.cType << " " << p.name << "_buf" << dims(p) << ";\n";
    else if (isState(p) && p.kind == HLSPort::Input)
      os << "  static " << p.cType << " " << p.name << "_state" << dims(p)
         << "; // kept between calls\n";
    else if (isState(p))
      os << "  TERN_LOCAL " << p.cType << " " << p.name << "_next" << dims(p) << ";\n";
  }
  if (stateful) {
    os << "  if (reset_state) {\n";
    for (const HLSPort &p : ports)
      if (isState(p) && p.kind == HLSPort::Input)
        os << "    " << name << "_reset_" << p.name << "(" << p.name << "_state);\n";
    os << "  }\n";
  }
  for (const HLSPort &p : ports)
    if (isStream(p) && p.kind == HLSPort::Input)
      os << "  " << name << "_read_" << p.name << "(" << p.name << ", " << p.name << "_buf);\n";
  os << "  " << functionName(top) << "(";
  for (auto [i, p] : llvm::enumerate(ports))
    os << (i ? ", " : "") << p.name
       << (isStream(p)                              ? "_buf"
           : isState(p) && p.kind == HLSPort::Input ? "_state"
           : isState(p)                             ? "_next"
                                                    : "");
  os << ");\n";
  for (const HLSPort &p : ports)
    if (isStream(p) && p.kind == HLSPort::Output)
      os << "  " << name << "_write_" << p.name << "(" << p.name << "_buf, " << p.name << ");\n";
  for (const HLSPort &p : ports)
    if (isState(p) && p.kind == HLSPort::Input)
      os << "  " << name << "_update_" << p.name << "(" << ports[p.statePair].name << "_next, "
         << p.name << "_state);\n";
  os << "}\n";
  return success();
}

LogicalResult HLSEmitter::emitGlobal(memref::GlobalOp global) {
  if (!global.getConstant() || !global.getInitialValue())
    return global.emitOpError("HLS: only constant globals are supported");
  MemRefType type = global.getType();
  Type elem = type.getElementType();
  FailureOr<std::string> ct = cType(elem);
  if (failed(ct))
    return global.emitOpError("HLS: unsupported element type ") << elem;
  std::string cname = "g_" + sanitize(global.getSymName());
  globalNames[global.getSymName()] = cname;
  FailureOr<std::vector<char>> bytes = getRawBytes(*global.getInitialValue());
  if (failed(bytes) && !elem.isInteger(1))
    return global.emitOpError("HLS: cannot read the constant's data");
  int64_t n = type.getNumElements();
  auto element = [&](int64_t i) -> std::string {
    const char *p = bytes->data();
    if (elem.isF32()) {
      float f;
      memcpy(&f, p + 4 * i, 4);
      return floatLiteral(f);
    }
    unsigned w = elem.getIntOrFloatBitWidth();
    if (w > 64)
      return wideWordLiteral(p + (w / 8) * i, w);
    int64_t v = 0;
    if (w == 8)
      v = static_cast<int8_t>(p[i]);
    else if (w == 16) {
      int16_t x;
      memcpy(&x, p + 2 * i, 2);
      v = x;
    } else if (w == 32) {
      int32_t x;
      memcpy(&x, p + 4 * i, 4);
      v = x;
    } else {
      memcpy(&v, p + 8 * i, 8);
    }
    return std::to_string(v);
  };
  os << "static const " << *ct << " " << cname << arrayDims(type) << " = ";
  ArrayRef<int64_t> shape = type.getShape();
  int64_t index = 0;
  std::function<void(unsigned)> nest = [&](unsigned dim) {
    os << "{";
    if (dim + 1 >= shape.size()) {
      int64_t count = shape.empty() ? 1 : shape[dim];
      for (int64_t i = 0; i < count; ++i) {
        if (i)
          os << (i % 8 == 0 ? ",\n    " : ", ");
        os << element(index++);
      }
    } else {
      for (int64_t i = 0; i < shape[dim]; ++i) {
        if (i)
          os << ",\n  ";
        nest(dim + 1);
      }
    }
    os << "}";
  };
  (void)n;
  nest(0);
  os << ";\n\n";
  return success();
}

LogicalResult HLSEmitter::emitArrayDecl(Value v, StringRef cname, bool param) {
  auto type = cast<MemRefType>(v.getType());
  if (!type.hasStaticShape())
    return emitError(v.getLoc(), "HLS: dynamic shapes are not synthesizable");
  if (!type.getLayout().isIdentity())
    return emitError(v.getLoc(), "HLS: strided views must be folded before emission");
  FailureOr<std::string> ct = cType(type.getElementType());
  if (failed(ct))
    return emitError(v.getLoc(), "HLS: unsupported element type ") << type.getElementType();
  os << *ct << " " << cname << arrayDims(type);
  (void)param;
  return success();
}

LogicalResult HLSEmitter::emitSignature(func::FuncOp fn, bool declaration) {
  if (fn.getNumResults() != 0)
    return fn.emitOpError("HLS: functions must return through out-parameters");
  if (fn == top && options.axisIO && declaration)
    return emitAxisTop(/*declaration=*/true);
  bool isTop = fn == top;
  if (!isTop || options.axisIO)
    os << "static ";
  os << "void " << functionName(fn) << "(";
  for (BlockArgument arg : fn.getArguments()) {
    if (arg.getArgNumber())
      os << ", ";
    std::string cname = isTop ? ports[arg.getArgNumber()].name : "a" + std::to_string(arg.getArgNumber());
    if (!declaration)
      names[arg] = cname;
    if (isa<MemRefType>(arg.getType())) {
      // Arrays a function only reads are const (ROMs can be passed to them).
      if (!hlsMayWrite(module, arg))
        os << "const ";
      if (failed(emitArrayDecl(arg, cname, true)))
        return failure();
    } else {
      FailureOr<std::string> ct = cType(arg.getType());
      if (failed(ct))
        return fn.emitOpError("HLS: unsupported argument type ") << arg.getType();
      os << *ct << " " << cname;
    }
  }
  os << ")";
  return success();
}

LogicalResult HLSEmitter::emitPartition(StringRef var, DenseI64ArrayAttr attr) {
  if (!attr)
    return success();
  ArrayRef<int64_t> p = attr.asArrayRef();
  if (p.size() != 2)
    return success();
  indent() << "#pragma HLS ARRAY_PARTITION variable=" << var;
  if (p[1] == 0)
    os << " type=complete";
  else
    os << " type=cyclic factor=" << p[1];
  os << " dim=" << p[0] << "\n";
  return success();
}

LogicalResult HLSEmitter::emitFunction(func::FuncOp fn) {
  if (fn.isExternal())
    return fn.emitOpError("HLS: external functions cannot be emitted");
  names.clear();
  nextId = 0;
  bool isTop = fn == top;
  inTernaryStage = false;
  if (auto kind = fn->getAttrOfType<StringAttr>(hls::kStage)) {
    os << "// Stage: " << kind.getValue() << "\n";
    inTernaryStage = kind.getValue() == "ternary_matmul";
  }
  if (isTop && !options.axisIO)
    os << "// Top function: AXI4 master ports in DDR/HBM, AXI4-Lite control.\n";
  if (isTop && options.axisIO)
    os << "// The model, between the AXI4-Stream adapters of the top below.\n";
  if (failed(emitSignature(fn, false)))
    return failure();
  os << " {\n";
  indentLevel = 1;
  if (isTop && !options.axisIO) {
    for (const HLSPort &port : ports) {
      if (port.status) // index-check status: an AXI4-Lite register, below
        continue;
      std::string bundle = port.kind == HLSPort::Weight
                               ? (port.bundle.empty() ? "gmem_w" : port.bundle)
                           : port.kind == HLSPort::Input ? "gmem_in"
                                                         : "gmem_out";
      indent() << "#pragma HLS INTERFACE mode=m_axi port=" << port.name
               << " offset=slave bundle=" << bundle << " depth=" << port.numElements()
               << " max_read_burst_length=64 max_write_burst_length=64\n";
    }
    for (const HLSPort &port : ports)
      indent() << "#pragma HLS INTERFACE mode=s_axilite port=" << port.name << " bundle=control\n";
    indent() << "#pragma HLS INTERFACE mode=s_axilite port=return bundle=control\n";
  } else {
    indent() << "#pragma HLS INLINE off\n";
    for (BlockArgument arg : fn.getArguments())
      if (failed(emitPartition(names[arg],
                               fn.getArgAttrOfType<DenseI64ArrayAttr>(arg.getArgNumber(),
                                                                      hls::kPartition))))
        return failure();
  }
  if (fn->hasAttr(hls::kDataflow))
    indent() << "#pragma HLS DATAFLOW\n";
  // Stages called several times here run on one shared instance.
  llvm::MapVector<StringRef, unsigned> callCounts;
  fn.walk([&](func::CallOp call) { ++callCounts[call.getCallee()]; });
  for (auto &[callee, count] : callCounts)
    if (count > 1)
      if (auto f = module.lookupSymbol<func::FuncOp>(callee))
        indent() << "#pragma HLS ALLOCATION function instances=" << functionName(f)
                 << " limit=1\n";
  if (failed(emitBlock(fn.getBody().front())))
    return failure();
  indentLevel = 0;
  os << "}\n\n";
  return success();
}

LogicalResult HLSEmitter::emitBlock(Block &block) {
  for (Operation &op : block)
    if (failed(emitOp(&op)))
      return failure();
  return success();
}

//===--- affine expressions -------------------------------------------------===//

/// Dims and symbols are loop counters from 0 or index arguments (token
/// positions): non-negative; so is any sum/product of them with
/// non-negative constants.
static bool isNonNegative(AffineExpr expr) {
  if (isa<AffineDimExpr, AffineSymbolExpr>(expr))
    return true;
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return c.getValue() >= 0;
  auto bin = cast<AffineBinaryOpExpr>(expr);
  switch (expr.getKind()) {
  case AffineExprKind::Add:
  case AffineExprKind::Mul:
  case AffineExprKind::FloorDiv:
  case AffineExprKind::CeilDiv:
  case AffineExprKind::Mod:
    return isNonNegative(bin.getLHS()) && isNonNegative(bin.getRHS());
  default:
    return false;
  }
}

FailureOr<std::string> HLSEmitter::affineExpr(AffineExpr expr, ArrayRef<std::string> dims,
                                              ArrayRef<std::string> syms) {
  if (auto d = dyn_cast<AffineDimExpr>(expr))
    return dims[d.getPosition()];
  if (auto s = dyn_cast<AffineSymbolExpr>(expr))
    return syms[s.getPosition()];
  if (auto c = dyn_cast<AffineConstantExpr>(expr))
    return std::to_string(c.getValue());
  auto bin = cast<AffineBinaryOpExpr>(expr);
  FailureOr<std::string> l = affineExpr(bin.getLHS(), dims, syms);
  FailureOr<std::string> r = affineExpr(bin.getRHS(), dims, syms);
  if (failed(l) || failed(r))
    return failure();
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()); c && c.getValue() < 0)
      return "(" + *l + " - " + std::to_string(-c.getValue()) + ")";
    return "(" + *l + " + " + *r + ")";
  case AffineExprKind::Mul:
    if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()); c && c.getValue() == -1)
      return "(-" + *l + ")";
    return "(" + *l + " * " + *r + ")";
  // Index expressions of loops starting at 0 are non-negative: plain / and
  // %; otherwise floor/ceil/mod are written out for negative operands.
  case AffineExprKind::FloorDiv:
    if (isNonNegative(bin.getLHS()))
      return "(" + *l + " / " + *r + ")";
    return "((" + *l + ") >= 0 ? (" + *l + ") / " + *r + " : -((-(" + *l + ") + " + *r +
           " - 1) / " + *r + "))";
  case AffineExprKind::CeilDiv:
    if (isNonNegative(bin.getLHS()))
      return "((" + *l + " + " + *r + " - 1) / " + *r + ")";
    return "((" + *l + ") >= 0 ? ((" + *l + ") + " + *r + " - 1) / " + *r + " : -((-(" + *l +
           ")) / " + *r + "))";
  case AffineExprKind::Mod:
    if (isNonNegative(bin.getLHS()))
      return "(" + *l + " % " + *r + ")";
    return "(((" + *l + ") % " + *r + " + " + *r + ") % " + *r + ")";
  default:
    return failure();
  }
}

FailureOr<SmallVector<std::string>> HLSEmitter::affineMapResults(AffineMap map, ValueRange operands,
                                                                 Operation *user) {
  SmallVector<std::string> dims, syms;
  for (unsigned i = 0; i < map.getNumDims(); ++i) {
    FailureOr<std::string> n = name(operands[i], user);
    if (failed(n))
      return failure();
    dims.push_back(*n);
  }
  for (unsigned i = 0; i < map.getNumSymbols(); ++i) {
    FailureOr<std::string> n = name(operands[map.getNumDims() + i], user);
    if (failed(n))
      return failure();
    syms.push_back(*n);
  }
  SmallVector<std::string> results;
  for (AffineExpr e : map.getResults()) {
    FailureOr<std::string> s = affineExpr(e, dims, syms);
    if (failed(s))
      return user->emitOpError("HLS emitter: unsupported affine expression"), failure();
    results.push_back(*s);
  }
  return results;
}

FailureOr<std::string> HLSEmitter::access(Value memref, ArrayRef<std::string> indices,
                                          Operation *user) {
  FailureOr<std::string> base = name(memref, user);
  if (failed(base))
    return failure();
  std::string s = *base;
  if (indices.empty())
    return s + "[0]";
  for (const std::string &i : indices)
    s += "[" + i + "]";
  return s;
}

//===--- statements -----------------------------------------------------------===//

LogicalResult HLSEmitter::emitAssign(Operation *op, const std::string &expr) {
  Value r = op->getResult(0);
  FailureOr<std::string> ct = cType(r.getType());
  if (failed(ct))
    return op->emitOpError("HLS emitter: unsupported result type ") << r.getType();
  indent() << *ct << " " << bind(r) << " = " << expr << ";\n";
  return success();
}

LogicalResult HLSEmitter::emitConstant(arith::ConstantOp op) {
  Attribute value = op.getValue();
  Type type = op.getType();
  if (auto f = dyn_cast<FloatAttr>(value)) {
    if (!type.isF32())
      return op.emitOpError("HLS emitter: only f32 floats are supported");
    names[op] = "tern_real(" + floatLiteral(f.getValueAsDouble()) + ")";
    return success();
  }
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    if (type.isInteger(1)) {
      names[op] = i.getValue().isZero() ? "false" : "true";
      return success();
    }
    if (type.isIndex()) {
      names[op] = std::to_string(i.getInt());
      return success();
    }
    FailureOr<std::string> ct = cType(type);
    if (failed(ct))
      return op.emitOpError("HLS emitter: unsupported constant type ") << type;
    int64_t v = i.getValue().getSExtValue();
    std::string lit = std::to_string(v);
    if (v == INT64_MIN)
      lit = "(-9223372036854775807LL - 1)";
    else if (type.getIntOrFloatBitWidth() == 64)
      lit += "LL";
    names[op] = "((" + *ct + ")" + lit + ")";
    return success();
  }
  return op.emitOpError("HLS emitter: only scalar constants can be emitted (tensor constants "
                        "must be globals or weight ports)");
}

LogicalResult HLSEmitter::emitBinary(Operation *op, StringRef sym, bool isUnsigned, bool wrap) {
  FailureOr<std::string> a = name(op->getOperand(0), op), b = name(op->getOperand(1), op);
  if (failed(a) || failed(b))
    return failure();
  Type type = op->getResult(0).getType();
  FailureOr<std::string> ct = cType(type);
  if (failed(ct))
    return op->emitOpError("HLS emitter: unsupported type ") << type;
  if (type.isF32() || type.isInteger(1))
    return emitAssign(op, *a + " " + sym.str() + " " + *b);
  if (type.isIndex())
    return emitAssign(op, "(" + *a + " " + sym.str() + " " + *b + ")");
  // Integers: wrap-around arithmetic computed unsigned (no signed overflow).
  if (isUnsigned || wrap) {
    std::string ut = *cType(type, /*isUnsigned=*/true);
    return emitAssign(op, "(" + *ct + ")((" + ut + ")" + *a + " " + sym.str() + " (" + ut + ")" +
                              *b + ")");
  }
  return emitAssign(op, "(" + *ct + ")(" + *a + " " + sym.str() + " " + *b + ")");
}

LogicalResult HLSEmitter::emitLoop(Operation *op, StringRef iv, StringRef lb, StringRef ub,
                                   StringRef step, ValueRange inits, ValueRange iterArgs,
                                   ResultRange results, Block &body) {
  // Iteration arguments live in one variable each, shared by the loop
  // result: the terminator assigns the next value.
  for (auto [init, arg, result] : llvm::zip(inits, iterArgs, results)) {
    FailureOr<std::string> ct = cType(arg.getType());
    FailureOr<std::string> in = name(init, op);
    if (failed(ct) || failed(in))
      return op->emitOpError("HLS emitter: unsupported loop-carried value");
    std::string var = fresh("r");
    indent() << *ct << " " << var << " = " << *in << ";\n";
    names[arg] = var;
    names[result] = var;
  }
  indent() << "for (int " << iv << " = " << lb << "; " << iv << " < " << ub << "; " << iv
           << " += " << step << ") {\n";
  ++indentLevel;
  if (auto ii = op->getAttrOfType<IntegerAttr>(hls::kPipeline))
    indent() << "#pragma HLS PIPELINE II=" << ii.getInt() << "\n";
  if (auto u = op->getAttrOfType<IntegerAttr>(hls::kUnroll)) {
    if (u.getInt() == 0)
      indent() << "#pragma HLS UNROLL\n";
    else if (u.getInt() > 1)
      indent() << "#pragma HLS UNROLL factor=" << u.getInt() << "\n";
  }
  for (Operation &inner : body.without_terminator())
    if (failed(emitOp(&inner)))
      return failure();
  Operation *term = body.getTerminator();
  SmallVector<std::string> next;
  for (Value y : term->getOperands()) {
    FailureOr<std::string> n = name(y, term);
    if (failed(n))
      return failure();
    next.push_back(*n);
  }
  if (next.size() == 1) {
    indent() << names[iterArgs[0]] << " = " << next[0] << ";\n";
  } else if (next.size() > 1) {
    SmallVector<std::string> tmps;
    for (auto [i, y] : llvm::enumerate(term->getOperands())) {
      std::string t = fresh("t");
      indent() << *cType(y.getType()) << " " << t << " = " << next[i] << ";\n";
      tmps.push_back(t);
    }
    for (auto [i, arg] : llvm::enumerate(iterArgs))
      indent() << names[arg] << " = " << tmps[i] << ";\n";
  }
  --indentLevel;
  indent() << "}\n";
  return success();
}

static bool isMultiply(Operation *op) {
  return isa<arith::MulIOp, arith::MulFOp, arith::MulSIExtendedOp, arith::MulUIExtendedOp,
             math::FmaOp, math::FPowIOp, math::IPowIOp>(op);
}

//===--- the visitor: one emitX per op -----------------------------------------===//

LogicalResult HLSEmitter::emitUnaryCall(Operation *op, StringRef fn) {
  FailureOr<std::string> a = name(op->getOperand(0), op);
  if (failed(a))
    return failure();
  return emitAssign(op, fn.str() + "(" + *a + ")");
}

LogicalResult HLSEmitter::emitBinaryCall(Operation *op, StringRef fn) {
  FailureOr<std::string> a = name(op->getOperand(0), op), b = name(op->getOperand(1), op);
  if (failed(a) || failed(b))
    return failure();
  return emitAssign(op, fn.str() + "(" + *a + ", " + *b + ")");
}

LogicalResult HLSEmitter::emitIntCast(Operation *op, bool srcUnsigned) {
  FailureOr<std::string> a = name(op->getOperand(0), op);
  FailureOr<std::string> to = cType(op->getResult(0).getType());
  if (failed(a) || failed(to))
    return op->emitOpError("HLS emitter: unsupported cast");
  Type from = op->getOperand(0).getType();
  std::string src = *a;
  if (srcUnsigned && !from.isIndex() && !from.isInteger(1))
    src = "(" + *cType(from, true) + ")" + src;
  return emitAssign(op, "(" + *to + ")(" + src + ")");
}

LogicalResult HLSEmitter::emitReturn(func::ReturnOp ret) {
  if (ret.getNumOperands())
    return ret.emitOpError("HLS: functions must return through out-parameters");
  if (ret->getNextNode() || ret->getParentOp() != ret->getParentOfType<func::FuncOp>())
    indent() << "return;\n";
  return success();
}

LogicalResult HLSEmitter::emitCall(func::CallOp call) {
  if (call.getNumResults())
    return call.emitOpError("HLS: calls must return through out-parameters");
  auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
  indent() << functionName(callee) << "(";
  for (auto [i, v] : llvm::enumerate(call.getOperands())) {
    FailureOr<std::string> n = name(v, call);
    if (failed(n))
      return failure();
    os << (i ? ", " : "") << *n;
  }
  os << ");\n";
  return success();
}

LogicalResult HLSEmitter::emitAffineFor(affine::AffineForOp loop) {
  FailureOr<SmallVector<std::string>> lbs =
      affineMapResults(loop.getLowerBoundMap(), loop.getLowerBoundOperands(), loop);
  FailureOr<SmallVector<std::string>> ubs =
      affineMapResults(loop.getUpperBoundMap(), loop.getUpperBoundOperands(), loop);
  if (failed(lbs) || failed(ubs))
    return failure();
  auto fold = [](ArrayRef<std::string> v, StringRef fn) {
    std::string s = v[0];
    for (size_t i = 1; i < v.size(); ++i)
      s = "(" + s + " " + fn.str() + " " + v[i] + " ? " + s + " : " + v[i] + ")";
    return s;
  };
  std::string iv = bind(loop.getInductionVar(), "i");
  return emitLoop(loop, iv, fold(*lbs, ">"), fold(*ubs, "<"), std::to_string(loop.getStepAsInt()),
                  loop.getInits(), loop.getRegionIterArgs(), loop.getResults(), *loop.getBody());
}

LogicalResult HLSEmitter::emitScfFor(scf::ForOp loop) {
  FailureOr<std::string> lb = name(loop.getLowerBound(), loop),
                         ub = name(loop.getUpperBound(), loop), step = name(loop.getStep(), loop);
  if (failed(lb) || failed(ub) || failed(step))
    return failure();
  std::string iv = bind(loop.getInductionVar(), "i");
  return emitLoop(loop, iv, *lb, *ub, *step, loop.getInitArgs(), loop.getRegionIterArgs(),
                  loop.getResults(), *loop.getBody());
}

LogicalResult HLSEmitter::emitIf(scf::IfOp ifOp) {
  FailureOr<std::string> c = name(ifOp.getCondition(), ifOp);
  if (failed(c))
    return failure();
  SmallVector<std::string> vars;
  for (Value r : ifOp.getResults()) {
    FailureOr<std::string> ct = cType(r.getType());
    if (failed(ct))
      return ifOp.emitOpError("HLS emitter: unsupported result type");
    std::string v = bind(r, "r");
    indent() << *ct << " " << v << ";\n";
    vars.push_back(v);
  }
  auto branch = [&](Region &region) -> LogicalResult {
    ++indentLevel;
    Block &b = region.front();
    for (Operation &inner : b.without_terminator())
      if (failed(emitOp(&inner)))
        return failure();
    for (auto [i, y] : llvm::enumerate(b.getTerminator()->getOperands())) {
      FailureOr<std::string> n = name(y, b.getTerminator());
      if (failed(n))
        return failure();
      indent() << vars[i] << " = " << *n << ";\n";
    }
    --indentLevel;
    return success();
  };
  indent() << "if (" << *c << ") {\n";
  if (failed(branch(ifOp.getThenRegion())))
    return failure();
  if (!ifOp.getElseRegion().empty()) {
    indent() << "} else {\n";
    if (failed(branch(ifOp.getElseRegion())))
      return failure();
  }
  indent() << "}\n";
  return success();
}

LogicalResult HLSEmitter::emitAffineApply(affine::AffineApplyOp apply) {
  FailureOr<SmallVector<std::string>> r =
      affineMapResults(apply.getAffineMap(), apply.getMapOperands(), apply);
  if (failed(r))
    return failure();
  return emitAssign(apply, (*r)[0]);
}

LogicalResult HLSEmitter::emitAffineMinMax(Operation *mm) {
  auto map = mm->getAttrOfType<AffineMapAttr>("map").getValue();
  FailureOr<SmallVector<std::string>> r = affineMapResults(map, mm->getOperands(), mm);
  if (failed(r))
    return failure();
  bool isMin = isa<affine::AffineMinOp>(mm);
  std::string s = (*r)[0];
  for (size_t i = 1; i < r->size(); ++i)
    s = "(" + s + (isMin ? " < " : " > ") + (*r)[i] + " ? " + s + " : " + (*r)[i] + ")";
  return emitAssign(mm, s);
}

LogicalResult HLSEmitter::emitAffineLoad(affine::AffineLoadOp load) {
  FailureOr<SmallVector<std::string>> idx =
      affineMapResults(load.getAffineMap(), load.getMapOperands(), load);
  if (failed(idx))
    return failure();
  FailureOr<std::string> a = access(load.getMemRef(), *idx, load);
  if (failed(a))
    return failure();
  return emitAssign(load, *a);
}

LogicalResult HLSEmitter::emitAffineStore(affine::AffineStoreOp store) {
  FailureOr<SmallVector<std::string>> idx =
      affineMapResults(store.getAffineMap(), store.getMapOperands(), store);
  FailureOr<std::string> v = name(store.getValueToStore(), store);
  if (failed(idx) || failed(v))
    return failure();
  FailureOr<std::string> a = access(store.getMemRef(), *idx, store);
  if (failed(a))
    return failure();
  indent() << *a << " = " << *v << ";\n";
  return success();
}

LogicalResult HLSEmitter::emitLoad(memref::LoadOp load) {
  SmallVector<std::string> idx;
  for (Value i : load.getIndices()) {
    FailureOr<std::string> n = name(i, load);
    if (failed(n))
      return failure();
    idx.push_back(*n);
  }
  FailureOr<std::string> a = access(load.getMemRef(), idx, load);
  if (failed(a))
    return failure();
  return emitAssign(load, *a);
}

LogicalResult HLSEmitter::emitStore(memref::StoreOp store) {
  SmallVector<std::string> idx;
  for (Value i : store.getIndices()) {
    FailureOr<std::string> n = name(i, store);
    if (failed(n))
      return failure();
    idx.push_back(*n);
  }
  FailureOr<std::string> v = name(store.getValueToStore(), store);
  FailureOr<std::string> a = access(store.getMemRef(), idx, store);
  if (failed(v) || failed(a))
    return failure();
  indent() << *a << " = " << *v << ";\n";
  return success();
}

LogicalResult HLSEmitter::emitAlloc(Operation *alloc) {
  Value v = alloc->getResult(0);
  std::string n = bind(v, "buf");
  // Function-level buffers: static in C simulation (host stack), plain
  // BRAM/URAM arrays in synthesis.
  indent();
  if (isa<memref::AllocOp>(alloc))
    os << "TERN_LOCAL ";
  if (failed(emitArrayDecl(v, n, false)))
    return failure();
  os << ";\n";
  return emitPartition(n, alloc->getAttrOfType<DenseI64ArrayAttr>(hls::kPartition));
}

LogicalResult HLSEmitter::emitGetGlobal(memref::GetGlobalOp get) {
  auto it = globalNames.find(get.getName());
  if (it == globalNames.end())
    return get.emitOpError("HLS emitter: unknown global");
  names[get.getResult()] = it->second;
  // A weight ROM (tern-hls-weights-to-roms): its storage, where it is used.
  if (auto global = module.lookupSymbol<memref::GlobalOp>(get.getName()))
    if (auto type = global->getAttrOfType<StringAttr>(hls::kStorageType))
      if (auto impl = global->getAttrOfType<StringAttr>(hls::kStorageImpl))
        indent() << "#pragma HLS BIND_STORAGE variable=" << it->second
                 << " type=" << type.getValue() << " impl=" << impl.getValue() << "\n";
  return success();
}

LogicalResult HLSEmitter::emitIntMinMax(Operation *o) {
  FailureOr<std::string> a = name(o->getOperand(0), o), b = name(o->getOperand(1), o);
  if (failed(a) || failed(b))
    return failure();
  bool isMax = isa<arith::MaxSIOp, arith::MaxUIOp>(o);
  bool isU = isa<arith::MaxUIOp, arith::MinUIOp>(o);
  std::string ua = *a, ub = *b;
  if (isU) {
    std::string ut = *cType(o->getResult(0).getType(), true);
    ua = "(" + ut + ")" + ua;
    ub = "(" + ut + ")" + ub;
  }
  return emitAssign(o, "(" + ua + (isMax ? " > " : " < ") + ub + " ? " + *a + " : " + *b + ")");
}

LogicalResult HLSEmitter::emitCmpI(arith::CmpIOp cmp) {
  FailureOr<std::string> a = name(cmp.getLhs(), cmp), b = name(cmp.getRhs(), cmp);
  if (failed(a) || failed(b))
    return failure();
  std::string l = *a, r = *b, sym;
  bool isU = false;
  switch (cmp.getPredicate()) {
  case arith::CmpIPredicate::eq: sym = "=="; break;
  case arith::CmpIPredicate::ne: sym = "!="; break;
  case arith::CmpIPredicate::slt: sym = "<"; break;
  case arith::CmpIPredicate::sle: sym = "<="; break;
  case arith::CmpIPredicate::sgt: sym = ">"; break;
  case arith::CmpIPredicate::sge: sym = ">="; break;
  case arith::CmpIPredicate::ult: sym = "<"; isU = true; break;
  case arith::CmpIPredicate::ule: sym = "<="; isU = true; break;
  case arith::CmpIPredicate::ugt: sym = ">"; isU = true; break;
  case arith::CmpIPredicate::uge: sym = ">="; isU = true; break;
  }
  Type t = cmp.getLhs().getType();
  if (isU && !t.isIndex() && !t.isInteger(1)) {
    std::string ut = *cType(t, true);
    l = "(" + ut + ")" + l;
    r = "(" + ut + ")" + r;
  }
  return emitAssign(cmp, l + " " + sym + " " + r);
}

LogicalResult HLSEmitter::emitCmpF(arith::CmpFOp cmp) {
  FailureOr<std::string> a = name(cmp.getLhs(), cmp), b = name(cmp.getRhs(), cmp);
  if (failed(a) || failed(b))
    return failure();
  std::string l = *a, r = *b, e;
  std::string unord = "(tern_isnan(" + l + ") || tern_isnan(" + r + "))";
  using P = arith::CmpFPredicate;
  switch (cmp.getPredicate()) {
  case P::AlwaysFalse: e = "false"; break;
  case P::AlwaysTrue: e = "true"; break;
  case P::OEQ: e = l + " == " + r; break;
  case P::OGT: e = l + " > " + r; break;
  case P::OGE: e = l + " >= " + r; break;
  case P::OLT: e = l + " < " + r; break;
  case P::OLE: e = l + " <= " + r; break;
  case P::ONE: e = "(" + l + " < " + r + " || " + l + " > " + r + ")"; break;
  case P::ORD: e = "!" + unord; break;
  case P::UNO: e = unord; break;
  case P::UEQ: e = "(" + unord + " || " + l + " == " + r + ")"; break;
  case P::UGT: e = "!(" + l + " <= " + r + ")"; break;
  case P::UGE: e = "!(" + l + " < " + r + ")"; break;
  case P::ULT: e = "!(" + l + " >= " + r + ")"; break;
  case P::ULE: e = "!(" + l + " > " + r + ")"; break;
  case P::UNE: e = "!(" + l + " == " + r + ")"; break;
  }
  return emitAssign(cmp, e);
}

LogicalResult HLSEmitter::emitSelect(arith::SelectOp sel) {
  FailureOr<std::string> c = name(sel.getCondition(), sel), t = name(sel.getTrueValue(), sel),
                         f = name(sel.getFalseValue(), sel);
  if (failed(c) || failed(t) || failed(f))
    return failure();
  if (!sel.getCondition().getType().isInteger(1))
    return sel.emitOpError("HLS emitter: vector select is not supported");
  return emitAssign(sel, *c + " ? " + *t + " : " + *f);
}

LogicalResult HLSEmitter::emitIToFP(Operation *o, bool isUnsigned) {
  FailureOr<std::string> a = name(o->getOperand(0), o);
  if (failed(a))
    return failure();
  if (isUnsigned)
    return emitAssign(o, "tern_itofp((" + *cType(o->getOperand(0).getType(), true) + ")" + *a + ")");
  return emitAssign(o, "tern_itofp(" + *a + ")");
}

LogicalResult HLSEmitter::emitFPToI(Operation *o) {
  FailureOr<std::string> a = name(o->getOperand(0), o);
  FailureOr<std::string> to = cType(o->getResult(0).getType(), isa<arith::FPToUIOp>(o));
  if (failed(a) || failed(to))
    return o->emitOpError("HLS emitter: unsupported conversion");
  return emitAssign(o, "(" + *cType(o->getResult(0).getType()) + ")tern_fptosi<" + *to + ">(" +
                           *a + ")");
}

/// The dispatch: every op the lowering produces has its emitX.
LogicalResult HLSEmitter::emitOp(Operation *op) {
  if (inTernaryStage && isMultiply(op))
    return op->emitOpError("multiply inside a ternary stage: ternary layers must be "
                           "add/sub/skip only");
  auto isBool = [](Operation *o) { return o->getResult(0).getType().isInteger(1); };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      // Structure.
      .Case<func::ReturnOp>([&](auto o) { return emitReturn(o); })
      .Case<func::CallOp>([&](auto o) { return emitCall(o); })
      .Case<affine::AffineForOp>([&](auto o) { return emitAffineFor(o); })
      .Case<scf::ForOp>([&](auto o) { return emitScfFor(o); })
      .Case<scf::IfOp>([&](auto o) { return emitIf(o); })
      .Case<affine::AffineApplyOp>([&](auto o) { return emitAffineApply(o); })
      .Case<affine::AffineMinOp, affine::AffineMaxOp>([&](Operation *o) { return emitAffineMinMax(o); })
      // Memory.
      .Case<affine::AffineLoadOp>([&](auto o) { return emitAffineLoad(o); })
      .Case<affine::AffineStoreOp>([&](auto o) { return emitAffineStore(o); })
      .Case<memref::LoadOp>([&](auto o) { return emitLoad(o); })
      .Case<memref::StoreOp>([&](auto o) { return emitStore(o); })
      .Case<memref::AllocOp, memref::AllocaOp>([&](Operation *o) { return emitAlloc(o); })
      .Case<memref::GetGlobalOp>([&](auto o) { return emitGetGlobal(o); })
      .Case<memref::DeallocOp>([&](Operation *) { return success(); })
      // Arithmetic.
      .Case<arith::ConstantOp>([&](auto o) { return emitConstant(o); })
      .Case<arith::AddFOp, arith::AddIOp>([&](Operation *o) { return emitBinary(o, "+", false, true); })
      .Case<arith::SubFOp, arith::SubIOp>([&](Operation *o) { return emitBinary(o, "-", false, true); })
      .Case<arith::MulFOp, arith::MulIOp>([&](Operation *o) { return emitBinary(o, "*", false, true); })
      .Case<arith::DivFOp, arith::DivSIOp>([&](Operation *o) { return emitBinary(o, "/"); })
      .Case<arith::DivUIOp>([&](Operation *o) { return emitBinary(o, "/", true); })
      .Case<arith::RemSIOp>([&](Operation *o) { return emitBinary(o, "%"); })
      .Case<arith::RemUIOp>([&](Operation *o) { return emitBinary(o, "%", true); })
      .Case<arith::RemFOp>([&](Operation *o) { return emitBinaryCall(o, "tern_fmod"); })
      .Case<arith::AndIOp>([&](Operation *o) { return emitBinary(o, isBool(o) ? "&&" : "&"); })
      .Case<arith::OrIOp>([&](Operation *o) { return emitBinary(o, isBool(o) ? "||" : "|"); })
      .Case<arith::XOrIOp>([&](Operation *o) { return emitBinary(o, isBool(o) ? "!=" : "^"); })
      .Case<arith::ShLIOp>([&](Operation *o) { return emitBinary(o, "<<", true); })
      .Case<arith::ShRUIOp>([&](Operation *o) { return emitBinary(o, ">>", true); })
      .Case<arith::ShRSIOp>([&](Operation *o) { return emitBinary(o, ">>"); })
      .Case<arith::MaximumFOp>([&](Operation *o) { return emitBinaryCall(o, "tern_maximum"); })
      .Case<arith::MinimumFOp>([&](Operation *o) { return emitBinaryCall(o, "tern_minimum"); })
      .Case<arith::MaxNumFOp>([&](Operation *o) { return emitBinaryCall(o, "tern_maxnum"); })
      .Case<arith::MinNumFOp>([&](Operation *o) { return emitBinaryCall(o, "tern_minnum"); })
      .Case<arith::MaxSIOp, arith::MinSIOp, arith::MaxUIOp, arith::MinUIOp>(
          [&](Operation *o) { return emitIntMinMax(o); })
      .Case<arith::NegFOp>([&](Operation *o) { return emitUnaryCall(o, "-"); })
      .Case<arith::CmpIOp>([&](auto o) { return emitCmpI(o); })
      .Case<arith::CmpFOp>([&](auto o) { return emitCmpF(o); })
      .Case<arith::SelectOp>([&](auto o) { return emitSelect(o); })
      .Case<arith::ExtSIOp, arith::TruncIOp, arith::IndexCastOp>(
          [&](Operation *o) { return emitIntCast(o, false); })
      .Case<arith::ExtUIOp, arith::IndexCastUIOp>([&](Operation *o) { return emitIntCast(o, true); })
      .Case<arith::SIToFPOp>([&](Operation *o) { return emitIToFP(o, false); })
      .Case<arith::UIToFPOp>([&](Operation *o) { return emitIToFP(o, true); })
      .Case<arith::FPToSIOp, arith::FPToUIOp>([&](Operation *o) { return emitFPToI(o); })
      // Math: tern_hls.h functions.
      .Case<math::ExpOp>([&](Operation *o) { return emitUnaryCall(o, "tern_exp"); })
      .Case<math::Exp2Op>([&](Operation *o) { return emitUnaryCall(o, "tern_exp2"); })
      .Case<math::LogOp>([&](Operation *o) { return emitUnaryCall(o, "tern_log"); })
      .Case<math::Log2Op>([&](Operation *o) { return emitUnaryCall(o, "tern_log2"); })
      .Case<math::SqrtOp>([&](Operation *o) { return emitUnaryCall(o, "tern_sqrt"); })
      .Case<math::RsqrtOp>([&](Operation *o) { return emitUnaryCall(o, "tern_rsqrt"); })
      .Case<math::TanhOp>([&](Operation *o) { return emitUnaryCall(o, "tern_tanh"); })
      .Case<math::FloorOp>([&](Operation *o) { return emitUnaryCall(o, "tern_floor"); })
      .Case<math::CeilOp>([&](Operation *o) { return emitUnaryCall(o, "tern_ceil"); })
      .Case<math::AbsFOp>([&](Operation *o) { return emitUnaryCall(o, "tern_abs"); })
      .Case<math::RoundEvenOp>([&](Operation *o) { return emitUnaryCall(o, "tern_roundeven"); })
      .Case<math::RoundOp>([&](Operation *o) { return emitUnaryCall(o, "tern_round"); })
      .Case<math::ErfOp>([&](Operation *o) { return emitUnaryCall(o, "tern_erf"); })
      .Case<math::PowFOp>([&](Operation *o) { return emitBinaryCall(o, "tern_pow"); })
      .Default([&](Operation *o) {
        return o->emitOpError("HLS emitter: no C++ translation for this op (run "
                              "tern-hls-to-loops first)");
      });
}


} // namespace

LogicalResult emitHLSCpp(ModuleOp module, llvm::raw_ostream &os, const HLSEmitOptions &options) {
  HLSEmitter emitter(module, os, options);
  return emitter.emitModule();
}

LogicalResult emitHLSTopDeclaration(func::FuncOp top, llvm::raw_ostream &os,
                                    const HLSEmitOptions &options) {
  auto module = top->getParentOfType<ModuleOp>();
  std::string text;
  llvm::raw_string_ostream body(text);
  // The emitter's module setup computes the port names; emit to a scratch
  // stream and keep only the signature.
  HLSEmitter emitter(module, body, options);
  if (failed(emitter.emitModule()))
    return failure();
  text.clear();
  if (failed(emitter.emitSignature(top, true)))
    return failure();
  os << text << ";\n";
  return success();
}

void registerHLSEmitterTranslation() {
  static llvm::cl::opt<std::string> math("hls-math",
                                         llvm::cl::desc("--emit-hls-cpp: float or fixed"),
                                         llvm::cl::init("float"));
  static llvm::cl::opt<std::string> io("hls-io",
                                       llvm::cl::desc("--emit-hls-cpp: token I/O as m_axi "
                                                      "(default) or axis (AXI4-Stream)"),
                                       llvm::cl::init("m_axi"));
  TranslateFromMLIRRegistration reg(
      "emit-hls-cpp", "Emit HLS C++ (Vitis HLS) from a module lowered by tern-hls-to-loops",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError("expected a module");
        HLSEmitOptions options;
        options.math = math == "fixed" ? HLSMath::Fixed : HLSMath::Float;
        if (io != "m_axi" && io != "axis")
          return module.emitError("--hls-io must be m_axi or axis");
        options.axisIO = io == "axis";
        return emitHLSCpp(module, os, options);
      },
      [](DialectRegistry &registry) {
        registry.insert<affine::AffineDialect, arith::ArithDialect, func::FuncDialect,
                        linalg::LinalgDialect,
                        math::MathDialect, memref::MemRefDialect, scf::SCFDialect>();
      });
}

} // namespace mlir::tern

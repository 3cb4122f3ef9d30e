//===- CUDAEmitter.cpp - prepared tern module -> CUDA C++ -----------------===//
//
// Walks the model function (after `tern-cuda-prepare`) and turns it into a
// sequence of kernel launches on one stream:
//
//  * quantization groups: every act_quant (with the RMSNorm before it) that
//    reads the same input row becomes one launch of
//    tern_rmsnorm_quant_kernel (mean square once, one absmax + quantization
//    per member), writing int8 in the interleaved layout the GEMV reads;
//  * GEMV/GEMM groups: a linalg.generic that consumes tmatmul results (each
//    used only there) becomes one generated kernel: a warp per output column
//    runs the multiply-free dot products of every tmatmul of the group for
//    MT rows, then evaluates the generic's body as the epilogue (rescale,
//    gates, state update...);
//  * other linalg.generic ops become generated element-wise / reduction
//    kernels; slices, concatenations and copies become copies; scf.for
//    becomes a host loop.
//
// Every tensor value gets a dense row-major buffer in one device arena
// (static shapes; no reuse), constants live in the weight blob.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/CUDA/CUDATarget.h"

#include "Tern/TernOps.h"
#include "tern/Runtime/tern_runtime.h"
#include "tern/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Dominance.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <map>

namespace mlir::tern {

// The kernel library and the host launcher, embedded at build time (see
// CMakeLists.txt).
#include "TernCUDAKernels.inc"
#include "TernCUDALauncher.inc"

namespace {

constexpr int64_t kAlign = 256;
int64_t alignTo(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

std::string floatLiteral(double v, bool isF32) {
  if (std::isnan(v))
    return isF32 ? "((float)NAN)" : "((double)NAN)";
  if (std::isinf(v))
    return std::string(v < 0 ? "-" : "") + (isF32 ? "((float)INFINITY)" : "((double)INFINITY)");
  char buf[64];
  snprintf(buf, sizeof buf, "%a", v);
  return std::string(buf) + (isF32 ? "f" : "");
}

/// C type of a scalar element type; empty when unsupported.
std::string cType(Type t) {
  if (t.isF32()) return "float";
  if (t.isF64()) return "double";
  if (t.isIndex()) return "int64_t";
  if (t.isInteger(1)) return "bool";
  if (t.isInteger(8)) return "int8_t";
  if (t.isInteger(16)) return "int16_t";
  if (t.isInteger(32)) return "int32_t";
  if (t.isInteger(64)) return "int64_t";
  return "";
}
std::string unsignedCType(Type t) {
  if (t.isInteger(1)) return "bool";
  if (t.isInteger(8)) return "uint8_t";
  if (t.isInteger(16)) return "uint16_t";
  if (t.isInteger(32)) return "uint32_t";
  return "uint64_t";
}

int64_t elemBytes(Type t) {
  if (t.isIndex()) return 8;
  if (t.isInteger(1)) return 1;
  return (t.getIntOrFloatBitWidth() + 7) / 8;
}

SmallVector<int64_t> denseStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

int64_t product(ArrayRef<int64_t> v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

/// Where a tensor's bytes are on the device.
struct Buffer {
  enum Kind { Arena, Weights, Input } kind = Arena;
  int64_t offset = 0;      ///< bytes
  std::string dynOffset;   ///< host expression added to `offset` (bytes), or empty
  int input = 0;

  std::string base() const {
    std::string b = kind == Arena ? "A" : kind == Weights ? "W" : ("((const char *)in[" + std::to_string(input) + "])");
    std::string s = "(" + b + " + " + std::to_string(offset);
    if (!dynOffset.empty())
      s += " + (" + dynOffset + ")";
    return s + ")";
  }
  std::string ptr(StringRef type, bool isConst) const {
    if (kind != Arena) isConst = true;
    return "((" + std::string(isConst ? "const " : "") + type.str() + " *)" + base() + ")";
  }
};

/// A packed ternary weight in the blob.
struct PackedWeight {
  int64_t offset = 0;  ///< uint2 masks [rows][kb], then int32 negcount[rows]
  int64_t rows = 0, cols = 0, kb = 0;
  float scale = 1.f;
};

} // namespace

FailureOr<CUDAMac> parseCUDAMac(StringRef name) {
  if (name == "select")
    return CUDAMac::Select;
  if (name == "dp4a" || name == "auto")
    return CUDAMac::DP4A;
  return failure();
}

void packTernaryForCUDA(ArrayRef<uint8_t> packed, int64_t rows, int64_t cols,
                        std::vector<char> &out, CUDAMac mac) {
  int64_t kb = (cols + 31) / 32;
  size_t start = out.size();
  out.resize(start + rows * kb * 8 + rows * 4, 0);
  auto *masks = reinterpret_cast<uint32_t *>(out.data() + start);
  auto *neg = reinterpret_cast<int32_t *>(out.data() + start + rows * kb * 8);
  for (int64_t n = 0; n < rows; ++n) {
    int32_t count = 0;
    if (mac == CUDAMac::DP4A) {
      // Codes c = t + 1; weight 32b + 8i + 4h + s in bits 8i + 2s of word h;
      // padding weights are 0 (code 1).
      for (int64_t k = 0; k < kb * 32; ++k) {
        int64_t i = n * cols + k;
        uint32_t code = k < cols ? (packed[i / 4] >> (2 * (i % 4))) & 3 : 1;
        count += code == 0;
        int j = static_cast<int>(k % 32), bi = j / 8, h = (j % 8) / 4, sh = j % 4;
        masks[2 * (n * kb + k / 32) + h] |= code << (8 * bi + 2 * sh);
      }
      neg[n] = count;
      continue;
    }
    for (int64_t k = 0; k < cols; ++k) {
      int64_t i = n * cols + k;
      int code = (packed[i / 4] >> (2 * (i % 4))) & 3;
      if (code == 1)
        continue;
      uint32_t bit = 1u << (k % 32);
      masks[2 * (n * kb + k / 32)] |= bit;
      if (code == 0) {
        masks[2 * (n * kb + k / 32) + 1] |= bit;
        ++count;
      }
    }
    neg[n] = count;
  }
}

namespace {

class Emitter {
public:
  Emitter(func::FuncOp fn, const CUDAEmitOptions &options)
      : fn(fn), options(options), dom(fn) {}

  FailureOr<CUDAModelSource> run();

private:
  // ---- state ----
  func::FuncOp fn;
  const CUDAEmitOptions &options;
  DominanceInfo dom;
  ModelSignature sig;
  std::vector<char> blob;
  int64_t arena = 0;
  std::string kernels;           // generated device code
  std::string host;              // body of tern_forward
  int indent = 1;
  unsigned kernelCount = 0, launchCount = 0, topLaunches = 0, scalarCount = 0;
  int loopDepth = 0;
  DenseMap<Value, Buffer> bufs;
  DenseMap<Value, Buffer> interleaved;     // i8 activations in the GEMV layout
  DenseMap<Value, Buffer> rowSums;         // -sum per row of those (dp4a MAC)
  bool dp4a() const { return options.mac == CUDAMac::DP4A; }
  DenseMap<Value, std::string> scalars;    // host scalars: C expressions
  DenseMap<Value, PackedWeight> weights;   // tern.constant values
  DenseMap<Operation *, SmallVector<TMatmulOp>> gemmGroups; // generic -> its tmatmuls
  DenseSet<Operation *> absorbed;          // ops emitted as part of another launch
  DenseSet<Value> views;                   // values aliasing another value's buffer

  // ---- helpers ----
  void line(const Twine &t) {
    host.append(2 * indent, ' ');
    host += launchMacro(t.str());
    host += "\n";
  }
  /// `k<<<grid, block, 0, stream>>>(args);` -> `TERN_LAUNCH(k, grid, block,
  /// stream, args);`: nvcc expands it back, the CPU emulation runs it.
  static std::string launchMacro(const std::string &s) {
    size_t open = s.find("<<<"), close = s.find(">>>(");
    if (open == std::string::npos || close == std::string::npos)
      return s;
    std::string config = s.substr(open + 3, close - open - 3);
    const std::string tail = ", 0, stream";
    if (config.size() > tail.size() && config.compare(config.size() - tail.size(), tail.size(), tail) == 0)
      config = config.substr(0, config.size() - tail.size()) + ", stream";
    size_t argsBegin = close + 4, depth = 1, i = argsBegin;
    for (; i < s.size() && depth; ++i)
      depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
    std::string args = s.substr(argsBegin, i - 1 - argsBegin);
    return "TERN_LAUNCH(" + s.substr(0, open) + ", " + config + (args.empty() ? "" : ", " + args) +
           ")" + s.substr(i);
  }
  Buffer allocate(int64_t bytes) {
    Buffer b;
    b.kind = Buffer::Arena;
    b.offset = arena;
    arena += alignTo(std::max<int64_t>(bytes, 1));
    return b;
  }
  Buffer allocateFor(Value v) {
    if (std::optional<Buffer> placed = placeInSlice(v))
      return bufs[v] = *placed;
    auto t = cast<RankedTensorType>(v.getType());
    return bufs[v] = allocate(t.getNumElements() * elemBytes(t.getElementType()));
  }
  /// Destination passing: a value inserted (contiguously) into a tensor whose
  /// buffer the insert may update in place is computed right into that slice
  /// (the new MLGRU state into the model's state output, o_t into the
  /// sequence output); the insert then copies nothing.
  std::optional<Buffer> placeInSlice(Value v);
  bool canInsertInPlace(tensor::InsertSliceOp op) {
    auto it = bufs.find(op.getDest());
    return op.getDest().hasOneUse() && it != bufs.end() && it->second.kind == Buffer::Arena &&
           !views.contains(op.getDest());
  }
  int64_t addToBlob(const char *data, size_t n) {
    int64_t off = static_cast<int64_t>(blob.size());
    blob.insert(blob.end(), data, data + n);
    blob.resize(alignTo(static_cast<int64_t>(blob.size())), 0);
    return off;
  }
  std::string newScalar() { return "s" + std::to_string(scalarCount++); }
  std::string kernelName() { return "tern_k" + std::to_string(kernelCount++); }
  /// Adds a generated kernel (or functor) whose text names itself "@K@";
  /// identical ones (the same layer shape again) are emitted once.
  std::map<std::string, std::string> kernelTexts;
  std::string internKernel(const std::string &text, StringRef suffix = "") {
    auto it = kernelTexts.find(text);
    if (it != kernelTexts.end())
      return it->second;
    std::string name = kernelName() + suffix.str(), out = text;
    for (size_t pos = out.find("@K@"); pos != std::string::npos; pos = out.find("@K@", pos))
      out.replace(pos, 3, name);
    kernels += out;
    return kernelTexts[text] = name;
  }
  void countLaunch() {
    ++launchCount;
    if (loopDepth == 0)
      ++topLaunches;
  }

  FailureOr<Buffer> bufferOf(Operation *user, Value v) {
    auto it = bufs.find(v);
    if (it == bufs.end())
      return user->emitError("CUDA backend: no device buffer for operand ") << v.getType(),
             failure();
    return it->second;
  }
  FailureOr<std::string> scalarOf(Operation *user, Value v) {
    auto it = scalars.find(v);
    if (it == scalars.end())
      return user->emitError("CUDA backend: the host does not know the value of an operand of type ")
                 << v.getType(),
             failure();
    return it->second;
  }
  std::string ptrOf(const Buffer &b, Type elem, bool isConst) { return b.ptr(cType(elem), isConst); }

  void emitMemcpy(const std::string &dst, const std::string &src, int64_t bytes) {
    line("TERN_CHECK(cudaMemcpyAsync(" + dst + ", " + src + ", " + std::to_string(bytes) +
         ", cudaMemcpyDeviceToDevice, stream));");
  }

  // ---- ops ----
  LogicalResult emitBlock(Block &block);
  LogicalResult emitOp(Operation *op);
  LogicalResult emitConstant(arith::ConstantOp op);
  LogicalResult emitTernConstant(ConstantOp op);
  struct QuantPlan {
    SmallVector<ActQuantOp> members;
    Value base;                 ///< the group's input (before member RMSNorms)
    RMSNormOp pre;              ///< absorbed pre-norm producing `base`
    linalg::GenericOp chain;    ///< absorbed element-wise generic producing `base`
    RMSNormOp chainNorm;        ///< absorbed RMSNorm read by `chain`
  };
  DenseMap<Operation *, QuantPlan> quantPlans; // first member -> plan
  DenseSet<Operation *> grouped;
  DenseMap<Operation *, Operation *> quantFirst; // member -> first member of its group
  void planQuantGroups(Block &block);
  FailureOr<std::string> emitChainSource(QuantPlan plan, int64_t K);
  LogicalResult emitQuantGroup(ActQuantOp first);
  LogicalResult emitRMSNorm(RMSNormOp op);
  LogicalResult emitGeneric(linalg::GenericOp op);
  LogicalResult emitExtractSlice(tensor::ExtractSliceOp op);
  LogicalResult emitInsertSlice(tensor::InsertSliceOp op);
  LogicalResult emitConcat(tensor::ConcatOp op);
  LogicalResult emitPad(tensor::PadOp op);
  LogicalResult emitFill(Value result, Value fillValue, int64_t n, Type elem);
  LogicalResult emitFor(scf::ForOp op);
  LogicalResult emitHostScalar(Operation *op);
  FailureOr<Buffer> interleavedInput(Operation *user, Value xq);
  void emitStridedCopy(const std::string &src, const std::string &dst, Type elem,
                       ArrayRef<int64_t> shape, ArrayRef<int64_t> srcStrides,
                       ArrayRef<int64_t> dstStrides);

  void analyze(Block &block);

  // ---- generated kernels ----
  struct KernelParams {
    SmallVector<std::string> decls, args; // kernel parameters, host arguments
    DenseMap<Value, std::string> captured;
    unsigned next = 0;
    std::string add(const std::string &decl, const std::string &arg) {
      std::string name = "p" + std::to_string(next++);
      decls.push_back(decl + " " + name);
      args.push_back(arg);
      return name;
    }
  };
  LogicalResult emitGemmSegment(Operation *generic, ArrayRef<TMatmulOp> mms, KernelParams &params,
                                std::string &code, int64_t &N, int64_t &M);
  LogicalResult emitGemmGroup(Operation *head);
  /// GEMM groups launched together with an earlier one (same rows, operands
  /// ready at the earlier one): head -> the others.
  DenseMap<Operation *, SmallVector<Operation *>> mergedGemms;
  DenseSet<Operation *> mergedAway;
  void planGemmMerges(Block &block);
  /// Emits the body of a linalg region as C statements into `os`. `argExpr`
  /// gives the expression of each block argument, `dimExpr` of each loop
  /// dimension; the yielded expressions are returned.
  FailureOr<SmallVector<std::string>> emitRegionBody(
      Block &body, function_ref<std::string(BlockArgument)> argExpr,
      ArrayRef<std::string> dimExpr, KernelParams &params, llvm::raw_ostream &os,
      StringRef indentStr);
  FailureOr<std::string> captureScalar(Operation *user, Value v, KernelParams &params);
  FailureOr<std::string> captureTensor(Operation *user, Value v, KernelParams &params);
  static std::string affineExpr(AffineExpr e, ArrayRef<std::string> dims);
  static std::string offsetExpr(AffineMap map, ArrayRef<int64_t> shape, ArrayRef<std::string> dims);

  std::string assemble(int64_t weightsBytes);
};

// ----------------------------------------------------------------------------
// Analysis: which tmatmuls fuse into which generic
// ----------------------------------------------------------------------------

bool isElementwiseGeneric(linalg::GenericOp g) {
  return g.getNumReductionLoops() == 0 && g.getNumDpsInits() >= 1 &&
         llvm::all_of(g.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(/*allowZeroInResults=*/true); });
}

void Emitter::analyze(Block &block) {
  for (Operation &op : block) {
    for (Region &r : op.getRegions())
      for (Block &b : r)
        if (!isa<linalg::GenericOp>(op))
          analyze(b);
    auto g = dyn_cast<linalg::GenericOp>(op);
    if (!g || !isElementwiseGeneric(g))
      continue;
    auto outType = dyn_cast<RankedTensorType>(g.getResult(0).getType());
    if (!outType)
      continue;
    SmallVector<TMatmulOp> mms;
    SmallVector<int64_t> ranges = g.getStaticLoopRanges();
    for (OpOperand *in : g.getDpsInputOperands()) {
      auto mm = in->get().getDefiningOp<TMatmulOp>();
      if (!mm || !mm->hasOneUse() || mm->getBlock() != &block ||
          !g.getMatchingIndexingMap(in).isIdentity() ||
          ArrayRef<int64_t>(ranges) != mm.getResult().getType().getShape() ||
          llvm::is_contained(mms, mm))
        continue;
      mms.push_back(mm);
    }
    if (mms.empty())
      continue;
    gemmGroups[g] = mms;
    for (TMatmulOp mm : mms)
      absorbed.insert(mm);
  }
  planQuantGroups(block);
  planGemmMerges(block);
}

void Emitter::planGemmMerges(Block &block) {
  auto rows = [](Operation *g) {
    auto t = cast<RankedTensorType>(g->getResult(0).getType());
    return t.getNumElements() / std::max<int64_t>(t.getShape().back(), 1);
  };
  Operation *head = nullptr;
  for (Operation &op : block) {
    if (!gemmGroups.count(&op))
      continue;
    // Ready at `head`: defined before it, or quantized by a group launched
    // before it.
    auto readyAt = [&](Value v) {
      if (dom.properlyDominates(v, head))
        return true;
      auto q = v.getDefiningOp<ActQuantOp>();
      auto first = q ? quantFirst.find(q) : quantFirst.end();
      return first != quantFirst.end() && first->second->isBeforeInBlock(head) &&
             first->second->getBlock() == head->getBlock();
    };
    bool ready = head && rows(head) == rows(&op) && mergedGemms[head].size() < 3 &&
                 llvm::all_of(op.getOperands(), [&](Value v) {
                   auto mm = v.getDefiningOp<TMatmulOp>();
                   if (mm && llvm::is_contained(gemmGroups[&op], mm))
                     return llvm::all_of(mm->getOperands(), readyAt);
                   return readyAt(v);
                 });
    if (ready) {
      mergedGemms[head].push_back(&op);
      mergedAway.insert(&op);
    } else {
      head = &op;
    }
  }
}

// ----------------------------------------------------------------------------
// Constants
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitConstant(arith::ConstantOp op) {
  Type type = op.getType();
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    Type elem = tensor.getElementType();
    if (cType(elem).empty())
      return op.emitError("CUDA backend: unsupported constant element type ") << elem;
    int64_t n = tensor.getNumElements(), eb = elemBytes(elem);
    std::vector<char> data(n * eb);
    Attribute value = op.getValue();
    if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
      AsmResourceBlob *b = resource.getRawHandle().getBlob();
      if (!b || b->getData().size() != data.size())
        return op.emitError("CUDA backend: constant resource blob is missing or has the wrong size");
      std::memcpy(data.data(), b->getData().data(), data.size());
    } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
      if (elem.isInteger(1)) {
        int64_t i = 0;
        for (bool v : dense.getValues<bool>())
          data[i++] = v;
      } else if (dense.isSplat()) {
        ArrayRef<char> raw = dense.getRawData();
        for (int64_t i = 0; i < n; ++i)
          std::memcpy(data.data() + i * eb, raw.data(), eb);
      } else {
        ArrayRef<char> raw = dense.getRawData();
        if (static_cast<int64_t>(raw.size()) != n * eb)
          return op.emitError("CUDA backend: unexpected constant layout");
        std::memcpy(data.data(), raw.data(), raw.size());
      }
    } else {
      return op.emitError("CUDA backend: unsupported constant attribute");
    }
    Buffer b;
    b.kind = Buffer::Weights;
    b.offset = addToBlob(data.data(), data.size());
    bufs[op.getResult()] = b;
    return success();
  }
  Attribute value = op.getValue();
  if (auto f = dyn_cast<FloatAttr>(value)) {
    scalars[op.getResult()] = floatLiteral(f.getValueAsDouble(), f.getType().isF32());
    return success();
  }
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    if (i.getType().isInteger(1))
      scalars[op.getResult()] = i.getValue().getBoolValue() ? "true" : "false";
    else
      scalars[op.getResult()] = "((" + cType(i.getType()) + ")" +
                                std::to_string(i.getValue().getSExtValue()) + "LL)";
    return success();
  }
  return op.emitError("CUDA backend: unsupported constant");
}

LogicalResult Emitter::emitTernConstant(ConstantOp op) {
  TernaryAttr attr = op.getValue();
  TernaryType type = attr.getType();
  ArrayRef<uint8_t> bytes = attr.getPackedBytes();
  int64_t rows = type.getRows(), cols = type.getCols();
  if (static_cast<int64_t>(bytes.size()) != (rows * cols + 3) / 4)
    return op.emitError("CUDA backend: ternary weight blob is missing or has the wrong size");
  std::vector<char> packed;
  packTernaryForCUDA(bytes, rows, cols, packed, options.mac);
  PackedWeight w;
  w.offset = addToBlob(packed.data(), packed.size());
  w.rows = rows;
  w.cols = cols;
  w.kb = (cols + 31) / 32;
  w.scale = attr.getScaleValue();
  weights[op.getResult()] = w;
  return success();
}

// ----------------------------------------------------------------------------
// Fused RMSNorm + act_quant
// ----------------------------------------------------------------------------

/// The RMSNorm an act_quant absorbs: its input's producer when used only there.
RMSNormOp absorbedNorm(ActQuantOp q) {
  auto norm = q.getInput().getDefiningOp<RMSNormOp>();
  if (norm && norm->hasOneUse() && norm->getBlock() == q->getBlock())
    return norm;
  return nullptr;
}
Value quantBase(ActQuantOp q) {
  RMSNormOp norm = absorbedNorm(q);
  return norm ? norm.getInput() : q.getInput();
}

bool onlyFeedsTMatmul(Value xq) {
  return llvm::all_of(xq.getUsers(), [&](Operation *u) {
    auto mm = dyn_cast<TMatmulOp>(u);
    return mm && mm.getInput() == xq;
  });
}

/// Users of `v` are all members of the group (or the RMSNorm they absorb).
static bool onlyFeedsGroup(Value v, ArrayRef<ActQuantOp> members) {
  return llvm::all_of(v.getUsers(), [&](Operation *u) {
    for (ActQuantOp q : members)
      if (u == q.getOperation() || u == absorbedNorm(q).getOperation())
        return true;
    return false;
  });
}

void Emitter::planQuantGroups(Block &block) {
  for (Operation &op : block) {
    auto first = dyn_cast<ActQuantOp>(op);
    if (!first || grouped.contains(first))
      continue;
    QuantPlan plan;
    plan.base = quantBase(first);
    plan.members.push_back(first);
    grouped.insert(first);
    for (Operation *next = first->getNextNode(); next && plan.members.size() < 4;
         next = next->getNextNode()) {
      auto q = dyn_cast<ActQuantOp>(next);
      if (!q || grouped.contains(q) || quantBase(q) != plan.base)
        continue;
      RMSNormOp norm = absorbedNorm(q);
      if (norm && norm.getWeight() && !dom.properlyDominates(norm.getWeight(), first))
        continue;
      plan.members.push_back(q);
      grouped.insert(q);
    }
    for (ActQuantOp q : plan.members)
      if (RMSNormOp norm = absorbedNorm(q))
        absorbed.insert(norm);
    // A pre-norm read only by the group is computed in the kernel.
    if (auto pre = plan.base.getDefiningOp<RMSNormOp>();
        pre && pre->getBlock() == &block && onlyFeedsGroup(pre.getResult(), plan.members)) {
      plan.pre = pre;
      absorbed.insert(pre);
    } else if (auto g = plan.base.getDefiningOp<linalg::GenericOp>();
               g && g->getBlock() == &block && g->getNumResults() == 1 &&
               !gemmGroups.count(g) && isElementwiseGeneric(g) &&
               cast<RankedTensorType>(g.getResult(0).getType()).getElementType().isF32() &&
               g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity() &&
               onlyFeedsGroup(g.getResult(0), plan.members)) {
      // So is the element-wise math producing the group's input, and an
      // RMSNorm read only by that math (MLGRU: RMSNorm(g) * w * SiLU(h)).
      plan.chain = g;
      absorbed.insert(g);
      for (OpOperand *in : g.getDpsInputOperands()) {
        auto norm = in->get().getDefiningOp<RMSNormOp>();
        if (norm && norm->getBlock() == &block && norm->hasOneUse() &&
            g.getMatchingIndexingMap(in).isIdentity() &&
            norm.getResult().getType() == g.getResult(0).getType()) {
          plan.chainNorm = norm;
          absorbed.insert(norm);
          break;
        }
      }
    }
    for (ActQuantOp q : plan.members)
      quantFirst[q] = first;
    quantPlans[first] = plan;
  }
}

LogicalResult Emitter::emitQuantGroup(ActQuantOp first) {
  auto it = quantPlans.find(first);
  if (it == quantPlans.end())
    return success(); // a later member of a group emitted earlier
  QuantPlan plan = it->second;
  auto inType = cast<RankedTensorType>(plan.base.getType());
  int64_t K = inType.getShape().back(), rows = inType.getNumElements() / std::max<int64_t>(K, 1);
  int64_t kb = (K + 31) / 32, kp = 32 * kb;
  std::string what = plan.pre ? "rmsnorm + " : plan.chain ? "element-wise + " : "";
  line("{ // fused " + what + "rmsnorm + act_quant: " + std::to_string(plan.members.size()) +
       " output(s), " + std::to_string(rows) + " row(s) of " + std::to_string(K));
  ++indent;
  // The source the kernel reads.
  std::string src;
  if (plan.chain) {
    FailureOr<std::string> s = emitChainSource(plan, K);
    if (failed(s))
      return failure();
    src = *s;
  } else {
    Value x = plan.pre ? plan.pre.getInput() : plan.base;
    FailureOr<Buffer> xb = bufferOf(first, x);
    if (failed(xb))
      return failure();
    std::string args = xb->ptr("float", true) + ", " + std::to_string(K);
    if (plan.pre) {
      std::string w = "nullptr";
      if (plan.pre.getWeight()) {
        FailureOr<Buffer> wb = bufferOf(plan.pre, plan.pre.getWeight());
        if (failed(wb))
          return failure();
        w = wb->ptr("float", true);
      }
      args += ", " + w + ", " + floatLiteral(plan.pre.getEps().convertToFloat(), true) + ", 1";
    }
    src = "tern_row_source(" + args + ")";
  }
  line("TernQuantGroup g = {};");
  line("g.count = " + std::to_string(plan.members.size()) + ";");
  for (auto [i, q] : llvm::enumerate(plan.members)) {
    RMSNormOp norm = absorbedNorm(q);
    std::string normPtr = "nullptr";
    if (norm && norm.getWeight()) {
      FailureOr<Buffer> w = bufferOf(q, norm.getWeight());
      if (failed(w))
        return failure();
      normPtr = w->ptr("float", true);
    }
    std::string xqPtr = "nullptr", natPtr = "nullptr", sumPtr = "nullptr";
    if (!q.getOutput().use_empty()) {
      Buffer il = allocate(rows * kp);
      interleaved[q.getOutput()] = il;
      xqPtr = il.ptr("int8_t", false);
      if (dp4a()) {
        Buffer sums = allocate(rows * 4);
        rowSums[q.getOutput()] = sums;
        sumPtr = sums.ptr("int32_t", false);
      }
    }
    if (!onlyFeedsTMatmul(q.getOutput()))
      natPtr = allocateFor(q.getOutput()).ptr("int8_t", false);
    Buffer sx = allocateFor(q.getScale());
    std::string idx = "g.out[" + std::to_string(i) + "].";
    line(idx + "norm = " + normPtr + "; " + idx + "xq = " + xqPtr + "; " + idx +
         "xq_natural = " + natPtr + ";");
    line(idx + "xsum = " + sumPtr + ";");
    line(idx + "sx = " + sx.ptr("float", false) + "; " + idx + "eps = " +
         floatLiteral(norm ? norm.getEps().convertToFloat() : 0.0, true) + "; " + idx + "rms = " +
         (norm ? "1" : "0") + "; " + idx + "bits = " + std::to_string(q.getBits()) + ";");
  }
  // Rows up to 8192 stay in registers (EPT elements per thread).
  int64_t threads = K >= 1024 ? 1024 : std::max<int64_t>(32, (K + 31) / 32 * 32);
  int64_t need = (K + threads - 1) / threads;
  int ept = need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : need <= 8 ? 8 : 0;
  line("tern_quant_rows_kernel<" + std::to_string(ept) + "><<<" + std::to_string(rows) + ", " +
       std::to_string(threads) + ", 0, stream>>>(" + src + ", " + std::to_string(K) + ", " +
       std::to_string(kp) + ", g);");
  countLaunch();
  --indent;
  line("}");
  return success();
}

FailureOr<std::string> Emitter::emitChainSource(QuantPlan plan, int64_t K) {
  linalg::GenericOp g = plan.chain;
  std::string name = "@K@";
  KernelParams params;
  ArrayRef<int64_t> shape = cast<RankedTensorType>(g.getResult(0).getType()).getShape();
  SmallVector<std::string> dims;
  std::string body;
  llvm::raw_string_ostream os(body);
  const char *ind = "    ";
  {
    SmallVector<int64_t> lead(shape.begin(), shape.end() - 1);
    SmallVector<int64_t> leadStrides = denseStrides(lead);
    for (auto [d, size] : llvm::enumerate(lead)) {
      std::string v = "d" + std::to_string(d);
      os << ind << "const int64_t " << v << " = (row / " << leadStrides[d] << ") % " << size
         << "; (void)" << v << ";\n";
      dims.push_back(v);
    }
    dims.push_back("k");
  }
  std::string normIn = "nullptr", normEps = "0.0f";
  DenseMap<unsigned, std::string> argValues;
  for (OpOperand *in : g.getDpsInputOperands()) {
    Value v = in->get();
    if (plan.chainNorm && v == plan.chainNorm.getResult()) {
      FailureOr<Buffer> xb = bufferOf(g, plan.chainNorm.getInput());
      if (failed(xb))
        return failure();
      normIn = xb->ptr("float", true);
      normEps = floatLiteral(plan.chainNorm.getEps().convertToFloat(), true);
      std::string x = params.add("const float *", normIn);
      std::string e = "(" + x + "[row * " + std::to_string(K) + " + k] / r)";
      if (plan.chainNorm.getWeight()) {
        FailureOr<std::string> w = captureTensor(g, plan.chainNorm.getWeight(), params);
        if (failed(w))
          return failure();
        e = "(" + e + " * " + *w + "[k])";
      }
      argValues[in->getOperandNumber()] = e;
      continue;
    }
    auto tt = dyn_cast<RankedTensorType>(v.getType());
    if (!tt) {
      FailureOr<std::string> sc = captureScalar(g, v, params);
      if (failed(sc))
        return failure();
      argValues[in->getOperandNumber()] = *sc;
      continue;
    }
    FailureOr<std::string> p = captureTensor(g, v, params);
    if (failed(p))
      return failure();
    argValues[in->getOperandNumber()] =
        *p + "[" + offsetExpr(g.getMatchingIndexingMap(in), tt.getShape(), dims) + "]";
  }
  OpOperand *init = g.getDpsInitOperand(0);
  if (!g.getMatchingBlockArgument(init).use_empty()) {
    FailureOr<std::string> p = captureTensor(g, init->get(), params);
    if (failed(p))
      return failure();
    argValues[init->getOperandNumber()] =
        *p + "[" + offsetExpr(g.getMatchingIndexingMap(init), shape, dims) + "]";
  }
  FailureOr<SmallVector<std::string>> yielded = emitRegionBody(
      *g.getBody(), [&](BlockArgument a) { return argValues.lookup(a.getArgNumber()); }, dims,
      params, os, ind);
  if (failed(yielded))
    return failure();
  // Member declarations drop __restrict__ (not valid on members everywhere).
  std::string k;
  llvm::raw_string_ostream ks(k);
  ks << "// " << name << ": the element-wise math feeding a quantization group, per element\n"
     << "struct " << name << " {\n";
  for (const std::string &d : params.decls) {
    std::string decl = d;
    size_t pos = decl.find(" __restrict__");
    if (pos == std::string::npos)
      pos = decl.find("__restrict__");
    if (pos != std::string::npos)
      decl.erase(pos, std::string(" __restrict__").size());
    ks << "  " << decl << ";\n";
  }
  ks << "  const float *norm_in;\n  float norm_eps;\n"
     << "  __device__ __forceinline__ float operator()(int64_t row, int64_t k, float r) const {\n"
     << "    (void)r;\n" << body << "    return " << (*yielded)[0] << ";\n  }\n};\n\n";
  name = internKernel(k, "_src");
  SmallVector<std::string> init2(params.args.begin(), params.args.end());
  init2.push_back(normIn);
  init2.push_back(normEps);
  return name + "{" + llvm::join(init2, ", ") + "}";
}

LogicalResult Emitter::emitRMSNorm(RMSNormOp op) {
  auto type = op.getInput().getType();
  int64_t K = type.getShape().back(), rows = type.getNumElements() / std::max<int64_t>(K, 1);
  FailureOr<Buffer> x = bufferOf(op, op.getInput());
  if (failed(x))
    return failure();
  std::string w = "nullptr";
  if (op.getWeight()) {
    FailureOr<Buffer> wb = bufferOf(op, op.getWeight());
    if (failed(wb))
      return failure();
    w = wb->ptr("float", true);
  }
  Buffer y = allocateFor(op.getResult());
  line("tern_rmsnorm_kernel<<<" + std::to_string(rows) + ", TERN_ROW_THREADS, 0, stream>>>(" +
       x->ptr("float", true) + ", " + w + ", " + y.ptr("float", false) + ", " + std::to_string(K) +
       ", " + floatLiteral(op.getEps().convertToFloat(), true) + "); // rmsnorm");
  countLaunch();
  return success();
}

FailureOr<Buffer> Emitter::interleavedInput(Operation *user, Value xq) {
  auto it = interleaved.find(xq);
  if (it != interleaved.end())
    return it->second;
  FailureOr<Buffer> nat = bufferOf(user, xq);
  if (failed(nat))
    return failure();
  auto type = cast<RankedTensorType>(xq.getType());
  int64_t K = type.getShape().back(), rows = type.getNumElements() / std::max<int64_t>(K, 1);
  int64_t kp = 32 * ((K + 31) / 32);
  Buffer il = allocate(rows * kp);
  std::string sumPtr = "nullptr";
  if (dp4a()) {
    Buffer sums = allocate(rows * 4);
    rowSums[xq] = sums;
    sumPtr = sums.ptr("int32_t", false);
    line("TERN_CHECK(cudaMemsetAsync(" + sums.base() + ", 0, " + std::to_string(rows * 4) +
         ", stream));");
  }
  line("tern_interleave_kernel<<<tern_grid_for(" + std::to_string(rows * kp) +
       ", 256), 256, 0, stream>>>(" + nat->ptr("int8_t", true) + ", " + il.ptr("int8_t", false) +
       ", " + std::to_string(rows) + ", " + std::to_string(K) + ", " + std::to_string(kp) + ", " +
       sumPtr + ");");
  countLaunch();
  interleaved[xq] = il;
  return il;
}

// ----------------------------------------------------------------------------
// Region bodies as C
// ----------------------------------------------------------------------------

std::string Emitter::affineExpr(AffineExpr e, ArrayRef<std::string> dims) {
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return dims[d.getPosition()];
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return "(int64_t)" + std::to_string(c.getValue());
  auto bin = cast<AffineBinaryOpExpr>(e);
  std::string l = affineExpr(bin.getLHS(), dims), r = affineExpr(bin.getRHS(), dims);
  switch (e.getKind()) {
  case AffineExprKind::Add: return "(" + l + " + " + r + ")";
  case AffineExprKind::Mul: return "(" + l + " * " + r + ")";
  case AffineExprKind::Mod: return "tern_mod(" + l + ", " + r + ")";
  case AffineExprKind::FloorDiv: return "tern_floordiv(" + l + ", " + r + ")";
  case AffineExprKind::CeilDiv: return "tern_ceildiv(" + l + ", " + r + ")";
  default: return "0";
  }
}

std::string Emitter::offsetExpr(AffineMap map, ArrayRef<int64_t> shape, ArrayRef<std::string> dims) {
  SmallVector<int64_t> strides = denseStrides(shape);
  std::string s = "(int64_t)0";
  for (unsigned i = 0; i < map.getNumResults(); ++i) {
    AffineExpr e = map.getResult(i);
    if (auto c = dyn_cast<AffineConstantExpr>(e); c && c.getValue() == 0)
      continue;
    if (shape[i] == 1)
      continue;
    s += " + " + affineExpr(e, dims) + " * " + std::to_string(strides[i]);
  }
  return s;
}

FailureOr<std::string> Emitter::captureScalar(Operation *user, Value v, KernelParams &params) {
  auto it = params.captured.find(v);
  if (it != params.captured.end())
    return it->second;
  FailureOr<std::string> s = scalarOf(user, v);
  if (failed(s))
    return failure();
  // Integer literals go in as they are; float constants (weight scales, eps)
  // and host variables become kernel parameters, so that layers of the same
  // shape share one kernel.
  if (auto c = v.getDefiningOp<arith::ConstantOp>();
      c && !isa<ShapedType>(c.getType()) && !isa<FloatType>(c.getType()))
    return params.captured[v] = *s;
  std::string name = params.add(cType(v.getType()), *s);
  return params.captured[v] = name;
}

FailureOr<std::string> Emitter::captureTensor(Operation *user, Value v, KernelParams &params) {
  auto it = params.captured.find(v);
  if (it != params.captured.end())
    return it->second;
  FailureOr<Buffer> b = bufferOf(user, v);
  if (failed(b))
    return failure();
  Type elem = cast<RankedTensorType>(v.getType()).getElementType();
  std::string name = params.add("const " + cType(elem) + " *__restrict__", b->ptr(cType(elem), true));
  return params.captured[v] = name;
}

static std::string mathFn(StringRef base, Type t) {
  return t.isF32() ? (base + "f").str() : base.str();
}

FailureOr<SmallVector<std::string>> Emitter::emitRegionBody(
    Block &body, function_ref<std::string(BlockArgument)> argExpr, ArrayRef<std::string> dimExpr,
    KernelParams &params, llvm::raw_ostream &os, StringRef ind) {
  DenseMap<Value, std::string> names;
  unsigned local = 0;
  auto get = [&](Operation *user, Value v) -> FailureOr<std::string> {
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == &body)
      return names[v] = argExpr(arg);
    if (isa<ShapedType>(v.getType()))
      return user->emitError("CUDA backend: a tensor used in a kernel body must be read with tensor.extract"),
             failure();
    return captureScalar(user, v, params);
  };
  for (Operation &op : body) {
    if (auto yield = dyn_cast<linalg::YieldOp>(op)) {
      SmallVector<std::string> out;
      for (Value v : yield.getValues()) {
        FailureOr<std::string> e = get(&op, v);
        if (failed(e))
          return failure();
        out.push_back(*e);
      }
      return out;
    }
    if (op.getNumResults() != 1)
      return op.emitError("CUDA backend: unsupported op in a kernel body"), failure();
    Type rt = op.getResult(0).getType();
    std::string ct = cType(rt);
    if (ct.empty())
      return op.emitError("CUDA backend: unsupported type in a kernel body: ") << rt, failure();
    SmallVector<std::string> a;
    for (Value v : op.getOperands()) {
      if (isa<tensor::ExtractOp>(op) && v == op.getOperand(0)) {
        a.push_back("");
        continue;
      }
      FailureOr<std::string> e = get(&op, v);
      if (failed(e))
        return failure();
      a.push_back(*e);
    }
    Type at = op.getNumOperands() ? op.getOperand(0).getType() : rt;
    std::string uct = unsignedCType(at);
    std::string e;
    auto bin = [&](StringRef o) { return "(" + a[0] + " " + o.str() + " " + a[1] + ")"; };
    auto call1 = [&](StringRef f) { return mathFn(f, rt) + "(" + a[0] + ")"; };
    auto ucast = [&](int i) { return "((" + uct + ")" + a[i] + ")"; };
    llvm::TypeSwitch<Operation *>(&op)
        .Case([&](arith::ConstantOp c) {
          if (auto f = dyn_cast<FloatAttr>(c.getValue()))
            e = floatLiteral(f.getValueAsDouble(), f.getType().isF32());
          else if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
            e = rt.isInteger(1) ? (i.getValue().getBoolValue() ? "true" : "false")
                                : "((" + ct + ")" + std::to_string(i.getValue().getSExtValue()) + "LL)";
        })
        .Case([&](arith::AddFOp) { e = bin("+"); })
        .Case([&](arith::SubFOp) { e = bin("-"); })
        .Case([&](arith::MulFOp) { e = bin("*"); })
        .Case([&](arith::DivFOp) { e = bin("/"); })
        .Case([&](arith::RemFOp) { e = mathFn("fmod", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::NegFOp) { e = "(-" + a[0] + ")"; })
        .Case([&](arith::MaximumFOp) { e = "tern_maximum(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MinimumFOp) { e = "tern_minimum(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MaxNumFOp) { e = mathFn("fmax", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MinNumFOp) { e = mathFn("fmin", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::AddIOp) { e = bin("+"); })
        .Case([&](arith::SubIOp) { e = bin("-"); })
        .Case([&](arith::MulIOp) { e = bin("*"); })
        .Case([&](arith::DivSIOp) { e = bin("/"); })
        .Case([&](arith::RemSIOp) { e = bin("%"); })
        .Case([&](arith::DivUIOp) { e = "(" + ucast(0) + " / " + ucast(1) + ")"; })
        .Case([&](arith::RemUIOp) { e = "(" + ucast(0) + " % " + ucast(1) + ")"; })
        .Case([&](arith::FloorDivSIOp) { e = "tern_floordiv(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::CeilDivSIOp) { e = "tern_ceildiv(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::AndIOp) { e = bin("&"); })
        .Case([&](arith::OrIOp) { e = bin("|"); })
        .Case([&](arith::XOrIOp) { e = bin("^"); })
        .Case([&](arith::ShLIOp) { e = bin("<<"); })
        .Case([&](arith::ShRSIOp) { e = bin(">>"); })
        .Case([&](arith::ShRUIOp) { e = "(" + ucast(0) + " >> " + a[1] + ")"; })
        .Case([&](arith::MaxSIOp) { e = "max(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MinSIOp) { e = "min(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](arith::MaxUIOp) { e = "max(" + ucast(0) + ", " + ucast(1) + ")"; })
        .Case([&](arith::MinUIOp) { e = "min(" + ucast(0) + ", " + ucast(1) + ")"; })
        .Case([&](arith::SelectOp) { e = "(" + a[0] + " ? " + a[1] + " : " + a[2] + ")"; })
        .Case([&](arith::SIToFPOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::UIToFPOp) { e = "((" + ct + ")" + ucast(0) + ")"; })
        .Case([&](arith::FPToSIOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::FPToUIOp) { e = "((" + ct + ")(" + unsignedCType(rt) + ")" + a[0] + ")"; })
        .Case([&](arith::ExtFOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::TruncFOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::ExtUIOp) { e = "((" + ct + ")" + ucast(0) + ")"; })
        .Case([&](arith::ExtSIOp) {
          e = at.isInteger(1) ? "(" + a[0] + " ? (" + ct + ")-1 : (" + ct + ")0)"
                              : "((" + ct + ")" + a[0] + ")";
        })
        .Case([&](arith::TruncIOp) { e = rt.isInteger(1) ? "((" + a[0] + " & 1) != 0)" : "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::IndexCastOp) { e = "((" + ct + ")" + a[0] + ")"; })
        .Case([&](arith::BitcastOp) {
          e = rt.isF32() ? "__int_as_float(" + a[0] + ")" : rt.isInteger(32) ? "__float_as_int(" + a[0] + ")" : "";
        })
        .Case([&](arith::CmpFOp c) {
          std::string x = a[0], y = a[1];
          switch (c.getPredicate()) {
          case arith::CmpFPredicate::AlwaysFalse: e = "false"; break;
          case arith::CmpFPredicate::OEQ: e = "(" + x + " == " + y + ")"; break;
          case arith::CmpFPredicate::OGT: e = "(" + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::OGE: e = "(" + x + " >= " + y + ")"; break;
          case arith::CmpFPredicate::OLT: e = "(" + x + " < " + y + ")"; break;
          case arith::CmpFPredicate::OLE: e = "(" + x + " <= " + y + ")"; break;
          case arith::CmpFPredicate::ONE: e = "(" + x + " < " + y + " || " + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::ORD: e = "(!isnan(" + x + ") && !isnan(" + y + "))"; break;
          case arith::CmpFPredicate::UEQ: e = "!(" + x + " < " + y + " || " + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::UGT: e = "!(" + x + " <= " + y + ")"; break;
          case arith::CmpFPredicate::UGE: e = "!(" + x + " < " + y + ")"; break;
          case arith::CmpFPredicate::ULT: e = "!(" + x + " >= " + y + ")"; break;
          case arith::CmpFPredicate::ULE: e = "!(" + x + " > " + y + ")"; break;
          case arith::CmpFPredicate::UNE: e = "(" + x + " != " + y + ")"; break;
          case arith::CmpFPredicate::UNO: e = "(isnan(" + x + ") || isnan(" + y + "))"; break;
          case arith::CmpFPredicate::AlwaysTrue: e = "true"; break;
          }
        })
        .Case([&](arith::CmpIOp c) {
          std::string x = a[0], y = a[1], ux = ucast(0), uy = ucast(1);
          switch (c.getPredicate()) {
          case arith::CmpIPredicate::eq: e = "(" + x + " == " + y + ")"; break;
          case arith::CmpIPredicate::ne: e = "(" + x + " != " + y + ")"; break;
          case arith::CmpIPredicate::slt: e = "(" + x + " < " + y + ")"; break;
          case arith::CmpIPredicate::sle: e = "(" + x + " <= " + y + ")"; break;
          case arith::CmpIPredicate::sgt: e = "(" + x + " > " + y + ")"; break;
          case arith::CmpIPredicate::sge: e = "(" + x + " >= " + y + ")"; break;
          case arith::CmpIPredicate::ult: e = "(" + ux + " < " + uy + ")"; break;
          case arith::CmpIPredicate::ule: e = "(" + ux + " <= " + uy + ")"; break;
          case arith::CmpIPredicate::ugt: e = "(" + ux + " > " + uy + ")"; break;
          case arith::CmpIPredicate::uge: e = "(" + ux + " >= " + uy + ")"; break;
          }
        })
        .Case([&](math::ExpOp) { e = call1("exp"); })
        .Case([&](math::Exp2Op) { e = call1("exp2"); })
        .Case([&](math::ExpM1Op) { e = call1("expm1"); })
        .Case([&](math::LogOp) { e = call1("log"); })
        .Case([&](math::Log2Op) { e = call1("log2"); })
        .Case([&](math::Log10Op) { e = call1("log10"); })
        .Case([&](math::Log1pOp) { e = call1("log1p"); })
        .Case([&](math::TanhOp) { e = call1("tanh"); })
        .Case([&](math::SinhOp) { e = call1("sinh"); })
        .Case([&](math::CoshOp) { e = call1("cosh"); })
        .Case([&](math::SinOp) { e = call1("sin"); })
        .Case([&](math::CosOp) { e = call1("cos"); })
        .Case([&](math::TanOp) { e = call1("tan"); })
        .Case([&](math::AtanOp) { e = call1("atan"); })
        .Case([&](math::AsinOp) { e = call1("asin"); })
        .Case([&](math::AcosOp) { e = call1("acos"); })
        .Case([&](math::ErfOp) { e = call1("erf"); })
        .Case([&](math::SqrtOp) { e = call1("sqrt"); })
        .Case([&](math::RsqrtOp) { e = "(" + std::string(rt.isF32() ? "1.0f" : "1.0") + " / " + call1("sqrt") + ")"; })
        .Case([&](math::AbsFOp) { e = call1("fabs"); })
        .Case([&](math::AbsIOp) { e = "(" + a[0] + " < 0 ? -" + a[0] + " : " + a[0] + ")"; })
        .Case([&](math::FloorOp) { e = call1("floor"); })
        .Case([&](math::CeilOp) { e = call1("ceil"); })
        .Case([&](math::RoundOp) { e = call1("round"); })
        .Case([&](math::RoundEvenOp) { e = call1("rint"); })
        .Case([&](math::TruncOp) { e = call1("trunc"); })
        .Case([&](math::PowFOp) { e = mathFn("pow", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](math::Atan2Op) { e = mathFn("atan2", rt) + "(" + a[0] + ", " + a[1] + ")"; })
        .Case([&](math::FmaOp) { e = mathFn("fma", rt) + "(" + a[0] + ", " + a[1] + ", " + a[2] + ")"; })
        .Case([&](linalg::IndexOp i) {
          e = i.getDim() < dimExpr.size() ? "((int64_t)" + dimExpr[i.getDim()] + ")" : "";
        })
        .Case([&](tensor::ExtractOp x) {
          FailureOr<std::string> p = captureTensor(&op, x.getTensor(), params);
          if (failed(p))
            return;
          auto tt = x.getTensor().getType();
          SmallVector<int64_t> strides = denseStrides(tt.getShape());
          std::string off = "(int64_t)0";
          for (auto [d, stride] : llvm::enumerate(strides))
            off += " + (int64_t)" + a[d + 1] + " * " + std::to_string(stride);
          e = *p + "[" + off + "]";
        })
        .Default([&](Operation *) {});
    if (e.empty())
      return op.emitError("CUDA backend: unsupported op in a kernel body: ") << op.getName(), failure();
    std::string name = "v" + std::to_string(local++);
    os << ind << "const " << ct << " " << name << " = " << e << ";\n";
    names[op.getResult(0)] = name;
  }
  return body.getParentOp()->emitError("CUDA backend: kernel body without a yield"), failure();
}

// ----------------------------------------------------------------------------
// GEMV/GEMM groups: tmatmuls + their element-wise epilogue
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitGemmSegment(Operation *genericOp, ArrayRef<TMatmulOp> mms,
                                       KernelParams &params, std::string &code, int64_t &N,
                                       int64_t &M) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(genericOp);
  TMatmulOp firstMM = mms.front();
  SmallVector<int64_t> shape(firstMM.getResult().getType().getShape());
  N = shape.back();
  M = product(shape) / std::max<int64_t>(N, 1);
  struct MMInfo { std::string x, w, nc; int64_t kb, rowWords; };
  SmallVector<MMInfo> infos;
  for (TMatmulOp mm : mms) {
    auto wit = weights.find(mm.getWeight());
    if (wit == weights.end())
      return mm.emitError("CUDA backend: tmatmul weights must be constant (tern.constant)");
    const PackedWeight &w = wit->second;
    FailureOr<Buffer> x = interleavedInput(mm, mm.getInput());
    if (failed(x))
      return failure();
    Buffer wb;
    wb.kind = Buffer::Weights;
    wb.offset = w.offset;
    Buffer nb = wb;
    nb.offset = w.offset + w.rows * w.kb * 8;
    MMInfo info;
    info.x = params.add("const int8_t *__restrict__", x->ptr("int8_t", true));
    info.w = params.add("const uint2 *__restrict__", wb.ptr("uint2", true));
    if (dp4a())
      info.nc = params.add("const int32_t *__restrict__",
                           rowSums.lookup(mm.getInput()).ptr("int32_t", true));
    else
      info.nc = params.add("const int32_t *__restrict__", nb.ptr("int32_t", true));
    info.kb = w.kb;
    infos.push_back(info);
  }
  // Loop dimensions of the epilogue from (m, n).
  SmallVector<std::string> dims;
  std::string body;
  llvm::raw_string_ostream os(body);
  const char *ind = "        ";
  {
    SmallVector<int64_t> lead(shape.begin(), shape.end() - 1);
    SmallVector<int64_t> leadStrides = denseStrides(lead);
    for (auto [d, size] : llvm::enumerate(lead)) {
      std::string v = "d" + std::to_string(d);
      os << ind << "const int64_t " << v << " = (m / " << leadStrides[d] << ") % " << size
         << "; (void)" << v << ";\n";
      dims.push_back(v);
    }
    dims.push_back("n");
  }
  SmallVector<std::string> outStores;
  if (generic) {
    // Operands: tmatmul results are the accumulators; others are loaded.
    DenseMap<unsigned, std::string> argValues;
    for (OpOperand *in : generic.getDpsInputOperands()) {
      unsigned idx = in->getOperandNumber();
      auto it = llvm::find_if(mms, [&](TMatmulOp mm) { return mm->getResult(0) == in->get(); });
      if (it != mms.end()) {
        argValues[idx] = "acc" + std::to_string(it - mms.begin());
        continue;
      }
      Value v = in->get();
      auto tt = dyn_cast<RankedTensorType>(v.getType());
      if (!tt) {
        FailureOr<std::string> s = captureScalar(generic, v, params);
        if (failed(s))
          return failure();
        argValues[idx] = *s;
        continue;
      }
      FailureOr<std::string> p = captureTensor(generic, v, params);
      if (failed(p))
        return failure();
      argValues[idx] = *p + "[" + offsetExpr(generic.getMatchingIndexingMap(in), tt.getShape(), dims) + "]";
    }
    for (OpOperand &init : generic.getDpsInitsMutable()) {
      BlockArgument arg = generic.getMatchingBlockArgument(&init);
      if (arg.use_empty())
        continue;
      FailureOr<std::string> p = captureTensor(generic, init.get(), params);
      if (failed(p))
        return failure();
      auto tt = cast<RankedTensorType>(init.get().getType());
      argValues[init.getOperandNumber()] =
          *p + "[" + offsetExpr(generic.getMatchingIndexingMap(&init), tt.getShape(), dims) + "]";
    }
    FailureOr<SmallVector<std::string>> yielded = emitRegionBody(
        *generic.getBody(),
        [&](BlockArgument a) { return argValues.lookup(a.getArgNumber()); }, dims, params, os, ind);
    if (failed(yielded))
      return failure();
    for (auto [i, res] : llvm::enumerate(generic.getResults())) {
      auto tt = cast<RankedTensorType>(res.getType());
      Buffer out = allocateFor(res);
      std::string p = params.add(cType(tt.getElementType()) + " *__restrict__",
                                 out.ptr(cType(tt.getElementType()), false));
      AffineMap map = generic.getMatchingIndexingMap(generic.getDpsInitOperand(i));
      outStores.push_back(p + "[" + offsetExpr(map, tt.getShape(), dims) + "] = " + (*yielded)[i] + ";");
    }
  } else {
    Buffer out = allocateFor(firstMM.getResult());
    std::string p = params.add("int32_t *__restrict__", out.ptr("int32_t", false));
    outStores.push_back(p + "[m * " + std::to_string(N) + " + n] = acc0;");
  }
  for (const std::string &s : outStores)
    os << ind << s << "\n";

  llvm::raw_string_ostream ks(code);
  ks << "    // " << mms.size() << " tmatmul(s) [" << M << " x " << N << "]"
     << (generic ? " + element-wise epilogue" : ", int32 result") << "\n";
  for (auto [i, info] : llvm::enumerate(infos)) {
    int64_t kp = 32 * info.kb;
    // The accumulator starts at the correction of the MAC: the row's count of
    // -1 weights (select) or -sum(x) of the token (dp4a).
    std::string start = dp4a() ? info.nc + "[m0 + t]" : info.nc + "[n]";
    ks << "    int a" << i << "[MT];\n"
       << "#pragma unroll\n    for (int t = 0; t < MT; ++t) a" << i << "[t] = lane == 0 && t < mcount ? "
       << start << " : 0;\n"
       << "    tern_row_dot<MT, " << (dp4a() ? "TERN_MAC_DP4A" : "TERN_MAC_SELECT") << ">("
       << info.w << " + n * " << info.kb << ", " << info.x
       << " + m0 * " << kp << ", " << kp << ", mcount, " << info.kb << ", lane, a" << i << ");\n"
       << "    tern_warp_sum<MT>(a" << i << ");\n";
  }
  ks << "#pragma unroll\n    for (int t = 0; t < MT; ++t) {\n"
     << "      if (lane == t && t < mcount) {\n"
     << "        const int64_t m = m0 + t;\n";
  for (size_t i = 0; i < infos.size(); ++i)
    ks << "        const int32_t acc" << i << " = a" << i << "[t];\n";
  ks << body << "      }\n    }\n";
  return success();
}

LogicalResult Emitter::emitGemmGroup(Operation *head) {
  SmallVector<Operation *> segments = {head};
  auto merged = mergedGemms.find(head);
  if (merged != mergedGemms.end())
    segments.append(merged->second.begin(), merged->second.end());
  std::string name = "@K@";
  KernelParams params;
  SmallVector<std::string> codes;
  SmallVector<int64_t> ns;
  int64_t M = 0, totalN = 0;
  unsigned numMM = 0;
  for (Operation *g : segments) {
    SmallVector<TMatmulOp> mms;
    if (auto mm = dyn_cast<TMatmulOp>(g))
      mms.push_back(mm);
    else
      mms = gemmGroups.lookup(g);
    std::string code;
    int64_t n = 0, m = 0;
    if (failed(emitGemmSegment(isa<TMatmulOp>(g) ? nullptr : g, mms, params, code, n, m)))
      return failure();
    codes.push_back(code);
    ns.push_back(n);
    M = m;
    totalN += n;
    numMM += mms.size();
  }
  int mt = M <= 1 ? 1 : M <= 2 ? 2 : M <= 4 ? 4 : 8;
  std::string k;
  llvm::raw_string_ostream ks(k);
  ks << "// " << name << ": " << numMM << " ternary GEMV/GEMM(s) in " << segments.size()
     << " group(s), " << M << " row(s), " << totalN << " output column(s)\n";
  ks << "template <int MT>\n__global__ void __launch_bounds__(TERN_WARPS_PER_BLOCK * 32)\n"
     << name << "(" << llvm::join(params.decls, ", ") << ") {\n"
     << "  const int lane = threadIdx.x & 31;\n"
     << "  int64_t n = (int64_t)blockIdx.x * TERN_WARPS_PER_BLOCK + (threadIdx.x >> 5);\n"
     << "  const int64_t m0 = (int64_t)blockIdx.y * MT;\n"
     << (M % mt == 0 ? std::string("  const int mcount = MT; // whole tiles\n")
                     : "  const int mcount = (int)min((int64_t)MT, (int64_t)" +
                           std::to_string(M) + " - m0);\n");
  for (auto [i, code] : llvm::enumerate(codes)) {
    if (i)
      ks << "  n -= " << ns[i - 1] << ";\n";
    ks << "  if (n < " << ns[i] << ") {\n" << code << "    return;\n  }\n";
  }
  ks << "}\n\n";
  name = internKernel(k);
  line(name + "<" + std::to_string(mt) + "><<<dim3(" + std::to_string((totalN + 7) / 8) + ", " +
       std::to_string((M + mt - 1) / mt) + "), TERN_WARPS_PER_BLOCK * 32, 0, stream>>>(" +
       llvm::join(params.args, ", ") + "); // " + std::to_string(numMM) + " tmatmul(s) in " +
       std::to_string(segments.size()) + " group(s)");
  countLaunch();
  return success();
}

// ----------------------------------------------------------------------------
// Generic kernels (element-wise, broadcasts, reductions)
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitGeneric(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return op.emitError("CUDA backend: needs static shapes");
  for (Value v : op.getOperands())
    if (auto t = dyn_cast<ShapedType>(v.getType()); t && !isa<RankedTensorType>(t))
      return op.emitError("CUDA backend: linalg on buffers is not supported");
  auto iters = op.getIteratorTypesArray();
  SmallVector<unsigned> par, red;
  for (auto [i, it] : llvm::enumerate(iters))
    (it == utils::IteratorType::parallel ? par : red).push_back(i);
  std::string name = "@K@";
  KernelParams params;
  SmallVector<std::string> dims(ranges.size());
  for (unsigned i = 0; i < ranges.size(); ++i)
    dims[i] = "d" + std::to_string(i);
  std::string body;
  llvm::raw_string_ostream os(body);
  int64_t total = 1;
  for (unsigned d : par)
    total *= ranges[d];
  // Index decomposition of the parallel point.
  os << "    int64_t rem = p;\n";
  for (auto it = par.rbegin(); it != par.rend(); ++it)
    os << "    const int64_t d" << *it << " = rem % " << ranges[*it] << "; rem /= " << ranges[*it]
       << "; (void)d" << *it << ";\n";
  os << "    (void)rem;\n";
  DenseMap<unsigned, std::string> argValues;
  for (OpOperand *in : op.getDpsInputOperands()) {
    Value v = in->get();
    auto tt = dyn_cast<RankedTensorType>(v.getType());
    if (!tt) {
      FailureOr<std::string> s = captureScalar(op, v, params);
      if (failed(s))
        return failure();
      argValues[in->getOperandNumber()] = *s;
      continue;
    }
    FailureOr<std::string> p = captureTensor(op, v, params);
    if (failed(p))
      return failure();
    argValues[in->getOperandNumber()] =
        *p + "[" + offsetExpr(op.getMatchingIndexingMap(in), tt.getShape(), dims) + "]";
  }
  // Outputs: an accumulator per init, loaded when the body reads it.
  SmallVector<std::string> outPtrs, outOffsets, accs;
  for (auto [i, res] : llvm::enumerate(op.getResults())) {
    OpOperand *init = op.getDpsInitOperand(i);
    auto tt = cast<RankedTensorType>(res.getType());
    std::string ct = cType(tt.getElementType());
    if (ct.empty())
      return op.emitError("CUDA backend: unsupported element type ") << tt.getElementType();
    Buffer out = allocateFor(res);
    outPtrs.push_back(params.add(ct + " *__restrict__", out.ptr(ct, false)));
    outOffsets.push_back(offsetExpr(op.getMatchingIndexingMap(init), tt.getShape(), dims));
    std::string acc = "acc" + std::to_string(i);
    accs.push_back(acc);
    BlockArgument arg = op.getMatchingBlockArgument(init);
    if (!arg.use_empty()) {
      FailureOr<std::string> p = captureTensor(op, init->get(), params);
      if (failed(p))
        return failure();
      os << "    " << ct << " " << acc << " = " << *p << "[" << outOffsets.back() << "];\n";
    } else {
      os << "    " << ct << " " << acc << " = " << ct << "();\n";
    }
    argValues[init->getOperandNumber()] = acc;
  }
  std::string ind = "    ";
  for (unsigned d : red) {
    os << ind << "for (int64_t d" << d << " = 0; d" << d << " < " << ranges[d] << "; ++d" << d
       << ") {\n";
    ind += "  ";
  }
  FailureOr<SmallVector<std::string>> yielded = emitRegionBody(
      *op.getBody(), [&](BlockArgument a) { return argValues.lookup(a.getArgNumber()); }, dims,
      params, os, ind);
  if (failed(yielded))
    return failure();
  for (auto [i, y] : llvm::enumerate(*yielded))
    os << ind << accs[i] << " = " << y << ";\n";
  for (size_t i = 0; i < red.size(); ++i) {
    ind.resize(ind.size() - 2);
    os << ind << "}\n";
  }
  for (size_t i = 0; i < accs.size(); ++i)
    os << "    " << outPtrs[i] << "[" << outOffsets[i] << "] = " << accs[i] << ";\n";

  std::string k;
  llvm::raw_string_ostream ks(k);
  ks << "// " << name << ": linalg.generic, " << total << " point(s)"
     << (red.empty() ? "" : ", reduction loop(s) per thread") << "\n"
     << "__global__ void " << name << "(" << llvm::join(params.decls, ", ") << ") {\n"
     << "  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < " << total
     << "; p += (int64_t)gridDim.x * blockDim.x) {\n"
     << body << "  }\n}\n\n";
  name = internKernel(k);
  line(name + "<<<tern_grid_for(" + std::to_string(total) + ", 256), 256, 0, stream>>>(" +
       llvm::join(params.args, ", ") + "); // linalg.generic");
  countLaunch();
  return success();
}

// ----------------------------------------------------------------------------
// Data movement
// ----------------------------------------------------------------------------

void Emitter::emitStridedCopy(const std::string &src, const std::string &dst, Type elem,
                              ArrayRef<int64_t> shape, ArrayRef<int64_t> srcStrides,
                              ArrayRef<int64_t> dstStrides) {
  int64_t total = product(shape);
  if (total == 0)
    return;
  line("{");
  ++indent;
  line("TernStridedCopy c = {};");
  line("c.rank = " + std::to_string(shape.size()) + ";");
  for (size_t d = 0; d < shape.size(); ++d)
    line("c.shape[" + std::to_string(d) + "] = " + std::to_string(shape[d]) + "; c.src_strides[" +
         std::to_string(d) + "] = " + std::to_string(srcStrides[d]) + "; c.dst_strides[" +
         std::to_string(d) + "] = " + std::to_string(dstStrides[d]) + ";");
  std::string t = "uint" + std::to_string(8 * elemBytes(elem)) + "_t";
  line("tern_strided_copy_kernel<" + t + "><<<tern_grid_for(" + std::to_string(total) +
       ", 256), 256, 0, stream>>>((const " + t + " *)" + src + ", (" + t + " *)" + dst + ", " +
       std::to_string(total) + ", c);");
  countLaunch();
  --indent;
  line("}");
}

/// Host expression of the element offset of a slice: sum(offset_d * stride_d).
static FailureOr<std::string> sliceOffset(Operation *op, ArrayRef<OpFoldResult> offsets,
                                          ArrayRef<int64_t> strides,
                                          function_ref<FailureOr<std::string>(Value)> scalar,
                                          int64_t &staticPart) {
  std::string dyn;
  staticPart = 0;
  for (auto [d, ofr] : llvm::enumerate(offsets)) {
    if (auto attr = dyn_cast<Attribute>(ofr)) {
      staticPart += cast<IntegerAttr>(attr).getInt() * strides[d];
      continue;
    }
    FailureOr<std::string> s = scalar(cast<Value>(ofr));
    if (failed(s))
      return failure();
    dyn += (dyn.empty() ? "" : " + ") + ("(" + *s + ") * " + std::to_string(strides[d]));
  }
  return dyn;
}

LogicalResult Emitter::emitExtractSlice(tensor::ExtractSliceOp op) {
  auto srcType = op.getSourceType();
  if (!srcType.hasStaticShape() || !op.getType().hasStaticShape() ||
      llvm::any_of(op.getStaticSizes(), ShapedType::isDynamic) ||
      llvm::any_of(op.getStaticStrides(), ShapedType::isDynamic))
    return op.emitError("CUDA backend: slices need static sizes and strides");
  FailureOr<Buffer> src = bufferOf(op, op.getSource());
  if (failed(src))
    return failure();
  Type elem = srcType.getElementType();
  int64_t eb = elemBytes(elem);
  SmallVector<int64_t> strides = denseStrides(srcType.getShape());
  int64_t staticOff = 0;
  FailureOr<std::string> dyn = sliceOffset(op, op.getMixedOffsets(), strides,
                                           [&](Value v) { return scalarOf(op, v); }, staticOff);
  if (failed(dyn))
    return failure();
  ArrayRef<int64_t> sizes = op.getStaticSizes();
  ArrayRef<int64_t> steps = op.getStaticStrides();
  // Contiguous: unit strides, and after the first dimension with more than
  // one element every dimension is whole.
  bool contiguous = llvm::all_of(steps, [](int64_t s) { return s == 1; });
  bool seenMulti = false;
  for (size_t d = 0; d < sizes.size() && contiguous; ++d) {
    if (seenMulti && sizes[d] != srcType.getDimSize(d))
      contiguous = false;
    if (sizes[d] > 1)
      seenMulti = true;
  }
  Buffer view = *src;
  view.offset += staticOff * eb;
  if (!dyn->empty())
    view.dynOffset = (view.dynOffset.empty() ? "" : view.dynOffset + " + ") + "(" + *dyn + ") * " +
                     std::to_string(eb);
  if (contiguous) {
    bufs[op.getResult()] = view;
    views.insert(op.getResult());
    return success();
  }
  Buffer dst = allocateFor(op.getResult());
  SmallVector<int64_t> srcStrides, dstStrides = denseStrides(sizes);
  for (size_t d = 0; d < sizes.size(); ++d)
    srcStrides.push_back(strides[d] * steps[d]);
  emitStridedCopy(view.base(), dst.base(), elem, sizes, srcStrides, dstStrides);
  return success();
}

LogicalResult Emitter::emitInsertSlice(tensor::InsertSliceOp op) {
  auto destType = op.getDestType();
  auto srcType = dyn_cast<RankedTensorType>(op.getSourceType());
  if (!destType.hasStaticShape() || !srcType || !srcType.hasStaticShape() ||
      llvm::any_of(op.getStaticSizes(), ShapedType::isDynamic) ||
      llvm::any_of(op.getStaticStrides(), ShapedType::isDynamic))
    return op.emitError("CUDA backend: slices need static sizes and strides");
  FailureOr<Buffer> dest = bufferOf(op, op.getDest());
  FailureOr<Buffer> src = bufferOf(op, op.getSource());
  if (failed(dest) || failed(src))
    return failure();
  Type elem = destType.getElementType();
  int64_t eb = elemBytes(elem), bytes = destType.getNumElements() * eb;
  // In place when the destination's buffer is its own (not a view, not an
  // input or constant) and nothing else reads it (the sequence output of an
  // MLGRU loop, a state tensor built slice by slice); otherwise copy it first.
  Buffer out;
  bool inPlace = canInsertInPlace(op);
  if (inPlace) {
    out = *dest;
    bufs[op.getResult()] = out;
  } else {
    out = allocateFor(op.getResult());
    emitMemcpy(out.base(), dest->base(), bytes);
  }
  SmallVector<int64_t> strides = denseStrides(destType.getShape());
  int64_t staticOff = 0;
  FailureOr<std::string> dyn = sliceOffset(op, op.getMixedOffsets(), strides,
                                           [&](Value v) { return scalarOf(op, v); }, staticOff);
  if (failed(dyn))
    return failure();
  Buffer view = out;
  view.offset += staticOff * eb;
  if (!dyn->empty())
    view.dynOffset = (view.dynOffset.empty() ? "" : view.dynOffset + " + ") + "(" + *dyn + ") * " +
                     std::to_string(eb);
  if (inPlace && src->kind == view.kind && src->offset == view.offset &&
      src->dynOffset == view.dynOffset)
    return success(); // computed in place (placeInSlice)
  ArrayRef<int64_t> sizes = op.getStaticSizes();
  SmallVector<int64_t> dstStrides, srcStrides = denseStrides(sizes);
  for (size_t d = 0; d < sizes.size(); ++d)
    dstStrides.push_back(strides[d] * op.getStaticStrides()[d]);
  emitStridedCopy(src->base(), view.base(), elem, sizes, srcStrides, dstStrides);
  return success();
}

std::optional<Buffer> Emitter::placeInSlice(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  for (Operation *user : v.getUsers()) {
    auto ins = dyn_cast<tensor::InsertSliceOp>(user);
    if (!ins || ins.getSource() != v || ins.getDest() == v || ins->getBlock() != def->getBlock() ||
        !canInsertInPlace(ins))
      continue;
    auto destType = ins.getDestType();
    ArrayRef<int64_t> sizes = ins.getStaticSizes();
    if (!destType.hasStaticShape() || llvm::any_of(sizes, ShapedType::isDynamic) ||
        llvm::any_of(ins.getStaticStrides(), [](int64_t st) { return st != 1; }))
      continue;
    // Contiguous: after the first dimension with more than one element,
    // every dimension is whole.
    bool contiguous = true, seenMulti = false;
    for (size_t d = 0; d < sizes.size() && contiguous; ++d) {
      if (seenMulti && sizes[d] != destType.getDimSize(d))
        contiguous = false;
      if (sizes[d] > 1)
        seenMulti = true;
    }
    if (!contiguous)
      continue;
    // Offsets known on the host where v is computed.
    bool known = llvm::all_of(ins.getOffsets(), [&](Value o) {
      return scalars.count(o) && dom.properlyDominates(o, def);
    });
    if (!known)
      continue;
    SmallVector<int64_t> strides = denseStrides(destType.getShape());
    int64_t staticOff = 0;
    FailureOr<std::string> dyn = sliceOffset(ins, ins.getMixedOffsets(), strides,
                                             [&](Value o) { return scalarOf(ins, o); }, staticOff);
    if (failed(dyn))
      continue;
    int64_t eb = elemBytes(destType.getElementType());
    Buffer view = bufs[ins.getDest()];
    view.offset += staticOff * eb;
    if (!dyn->empty())
      view.dynOffset = (view.dynOffset.empty() ? "" : view.dynOffset + " + ") + "(" + *dyn +
                       ") * " + std::to_string(eb);
    return view;
  }
  return std::nullopt;
}

LogicalResult Emitter::emitConcat(tensor::ConcatOp op) {
  auto type = op.getResultType();
  if (!type.hasStaticShape())
    return op.emitError("CUDA backend: needs static shapes");
  Buffer out = allocateFor(op.getResult());
  Type elem = type.getElementType();
  int64_t eb = elemBytes(elem), dim = op.getDim(), at = 0;
  SmallVector<int64_t> strides = denseStrides(type.getShape());
  for (Value in : op.getInputs()) {
    auto it = cast<RankedTensorType>(in.getType());
    FailureOr<Buffer> src = bufferOf(op, in);
    if (failed(src))
      return failure();
    Buffer view = out;
    view.offset += at * strides[dim] * eb;
    emitStridedCopy(src->base(), view.base(), elem, it.getShape(), denseStrides(it.getShape()),
                    strides);
    at += it.getDimSize(dim);
  }
  return success();
}

LogicalResult Emitter::emitPad(tensor::PadOp op) {
  auto type = op.getResultType();
  auto srcType = op.getSourceType();
  if (!type.hasStaticShape() || !srcType.hasStaticShape() || !op.getConstantPaddingValue())
    return op.emitError("CUDA backend: pads need static shapes and a constant padding value");
  Buffer out = allocateFor(op.getResult());
  Type elem = type.getElementType();
  if (failed(emitFill(op.getResult(), op.getConstantPaddingValue(), type.getNumElements(), elem)))
    return failure();
  FailureOr<Buffer> src = bufferOf(op, op.getSource());
  if (failed(src))
    return failure();
  SmallVector<int64_t> strides = denseStrides(type.getShape());
  int64_t off = 0;
  for (auto [d, lo] : llvm::enumerate(op.getStaticLow())) {
    if (ShapedType::isDynamic(lo))
      return op.emitError("CUDA backend: pads need static sizes");
    off += lo * strides[d];
  }
  Buffer view = out;
  view.offset += off * elemBytes(elem);
  emitStridedCopy(src->base(), view.base(), elem, srcType.getShape(), denseStrides(srcType.getShape()),
                  strides);
  return success();
}

LogicalResult Emitter::emitFill(Value result, Value fillValue, int64_t n, Type elem) {
  Operation *op = result.getDefiningOp();
  FailureOr<std::string> v = scalarOf(op, fillValue);
  if (failed(v))
    return failure();
  FailureOr<Buffer> out = bufferOf(op, result);
  if (failed(out))
    return failure();
  std::string ct = cType(elem);
  line("tern_fill_kernel<" + ct + "><<<tern_grid_for(" + std::to_string(n) +
       ", 256), 256, 0, stream>>>(" + out->ptr(ct, false) + ", (" + ct + ")" + *v + ", " +
       std::to_string(n) + ");");
  countLaunch();
  return success();
}

// ----------------------------------------------------------------------------
// Host code: scalars and loops
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitHostScalar(Operation *op) {
  if (op->getNumResults() != 1 || isa<ShapedType>(op->getResult(0).getType()))
    return op->emitError("CUDA backend: unsupported op ") << op->getName();
  Type t = op->getResult(0).getType();
  std::string ct = cType(t);
  if (ct.empty())
    return op->emitError("CUDA backend: unsupported scalar type ") << t;
  SmallVector<std::string> a;
  for (Value v : op->getOperands()) {
    FailureOr<std::string> s = scalarOf(op, v);
    if (failed(s))
      return failure();
    a.push_back(*s);
  }
  std::string e;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](arith::AddIOp) { e = a[0] + " + " + a[1]; })
      .Case([&](arith::SubIOp) { e = a[0] + " - " + a[1]; })
      .Case([&](arith::MulIOp) { e = a[0] + " * " + a[1]; })
      .Case([&](arith::DivSIOp) { e = a[0] + " / " + a[1]; })
      .Case([&](arith::RemSIOp) { e = a[0] + " % " + a[1]; })
      .Case([&](arith::IndexCastOp) { e = "(" + ct + ")" + a[0]; })
      .Case([&](arith::AddFOp) { e = a[0] + " + " + a[1]; })
      .Case([&](arith::SubFOp) { e = a[0] + " - " + a[1]; })
      .Case([&](arith::MulFOp) { e = a[0] + " * " + a[1]; })
      .Case([&](arith::DivFOp) { e = a[0] + " / " + a[1]; })
      .Case([&](arith::SIToFPOp) { e = "(" + ct + ")" + a[0]; })
      .Case([&](arith::MaxSIOp) { e = "std::max<" + ct + ">(" + a[0] + ", " + a[1] + ")"; })
      .Case([&](arith::MinSIOp) { e = "std::min<" + ct + ">(" + a[0] + ", " + a[1] + ")"; })
      .Case([&](arith::SelectOp) { e = a[0] + " ? " + a[1] + " : " + a[2]; })
      .Case([&](arith::CmpIOp c) {
        static const char *ops[] = {"==", "!=", "<", "<=", ">", ">=", "<", "<=", ">", ">="};
        e = a[0] + " " + ops[static_cast<int>(c.getPredicate())] + " " + a[1];
      })
      .Case([&](WeightScaleOp w) {
        auto it = weights.find(w.getWeight());
        if (it != weights.end())
          e = floatLiteral(it->second.scale, true);
      })
      .Default([&](Operation *) {});
  if (e.empty())
    return op->emitError("CUDA backend: unsupported op ") << op->getName();
  if (isa<WeightScaleOp>(op)) {
    scalars[op->getResult(0)] = e;
    return success();
  }
  std::string name = newScalar();
  line("const " + ct + " " + name + " = " + e + ";");
  scalars[op->getResult(0)] = name;
  return success();
}

LogicalResult Emitter::emitFor(scf::ForOp op) {
  FailureOr<std::string> lb = scalarOf(op, op.getLowerBound());
  FailureOr<std::string> ub = scalarOf(op, op.getUpperBound());
  FailureOr<std::string> step = scalarOf(op, op.getStep());
  if (failed(lb) || failed(ub) || failed(step))
    return failure();
  SmallVector<Buffer> iterBufs;
  for (auto [init, arg] : llvm::zip(op.getInitArgs(), op.getRegionIterArgs())) {
    auto tt = dyn_cast<RankedTensorType>(init.getType());
    if (!tt)
      return op.emitError("CUDA backend: loop-carried scalars are not supported");
    FailureOr<Buffer> src = bufferOf(op, init);
    if (failed(src))
      return failure();
    Buffer b = allocateFor(arg);
    emitMemcpy(b.base(), src->base(), tt.getNumElements() * elemBytes(tt.getElementType()));
    iterBufs.push_back(b);
  }
  std::string iv = newScalar();
  scalars[op.getInductionVar()] = iv;
  line("for (int64_t " + iv + " = " + *lb + "; " + iv + " < " + *ub + "; " + iv + " += " + *step +
       ") {");
  ++indent;
  ++loopDepth;
  Block &body = *op.getBody();
  for (Operation &inner : body.without_terminator())
    if (failed(emitOp(&inner)))
      return failure();
  auto yield = cast<scf::YieldOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getOperands())) {
    if (llvm::is_contained(op.getRegionIterArgs(), v) && v != op.getRegionIterArgs()[i])
      return op.emitError("CUDA backend: loops that permute their carried values are not supported");
    FailureOr<Buffer> src = bufferOf(yield, v);
    if (failed(src))
      return failure();
    if (src->kind == iterBufs[i].kind && src->offset == iterBufs[i].offset && src->dynOffset.empty())
      continue;
    auto tt = cast<RankedTensorType>(v.getType());
    emitMemcpy(iterBufs[i].base(), src->base(), tt.getNumElements() * elemBytes(tt.getElementType()));
  }
  --loopDepth;
  --indent;
  line("}");
  for (auto [res, b] : llvm::zip(op.getResults(), iterBufs))
    bufs[res] = b;
  return success();
}

// ----------------------------------------------------------------------------
// Dispatch
// ----------------------------------------------------------------------------

LogicalResult Emitter::emitOp(Operation *op) {
  if (absorbed.contains(op))
    return success();
  if (auto c = dyn_cast<arith::ConstantOp>(op))
    return emitConstant(c);
  if (auto c = dyn_cast<ConstantOp>(op))
    return emitTernConstant(c);
  if (auto q = dyn_cast<ActQuantOp>(op))
    return emitQuantGroup(q);
  if (auto n = dyn_cast<RMSNormOp>(op))
    return emitRMSNorm(n);
  if (isa<TMatmulOp>(op))
    return emitGemmGroup(op);
  if (auto g = dyn_cast<linalg::GenericOp>(op)) {
    if (mergedAway.contains(op))
      return success();
    if (gemmGroups.count(op))
      return emitGemmGroup(op);
    return emitGeneric(g);
  }
  if (auto e = dyn_cast<tensor::EmptyOp>(op)) {
    if (!e.getType().hasStaticShape())
      return op->emitError("CUDA backend: needs static shapes");
    allocateFor(e.getResult());
    return success();
  }
  if (auto f = dyn_cast<linalg::FillOp>(op)) {
    auto tt = dyn_cast<RankedTensorType>(f.getResult(0).getType());
    if (!tt || !tt.hasStaticShape())
      return op->emitError("CUDA backend: needs static shapes");
    allocateFor(f.getResult(0));
    return emitFill(f.getResult(0), f.getInputs()[0], tt.getNumElements(), tt.getElementType());
  }
  if (auto c = dyn_cast<linalg::CopyOp>(op)) {
    auto tt = dyn_cast<RankedTensorType>(c.getResult(0).getType());
    if (!tt || !tt.hasStaticShape())
      return op->emitError("CUDA backend: needs static shapes");
    FailureOr<Buffer> src = bufferOf(op, c.getInputs()[0]);
    if (failed(src))
      return failure();
    Buffer dst = allocateFor(c.getResult(0));
    emitMemcpy(dst.base(), src->base(), tt.getNumElements() * elemBytes(tt.getElementType()));
    return success();
  }
  if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::ReshapeOp, tensor::CastOp>(op)) {
    FailureOr<Buffer> src = bufferOf(op, op->getOperand(0));
    if (failed(src))
      return failure();
    auto tt = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!tt || !tt.hasStaticShape())
      return op->emitError("CUDA backend: needs static shapes");
    bufs[op->getResult(0)] = *src;
    views.insert(op->getResult(0));
    return success();
  }
  if (auto s = dyn_cast<tensor::ExtractSliceOp>(op))
    return emitExtractSlice(s);
  if (auto s = dyn_cast<tensor::InsertSliceOp>(op))
    return emitInsertSlice(s);
  if (auto c = dyn_cast<tensor::ConcatOp>(op))
    return emitConcat(c);
  if (auto p = dyn_cast<tensor::PadOp>(op))
    return emitPad(p);
  if (auto f = dyn_cast<scf::ForOp>(op))
    return emitFor(f);
  if (isa<WeightQuantOp>(op))
    return op->emitError("CUDA backend: weights must be constant (their quantization is folded at "
                         "compile time)");
  if (op->getNumRegions() == 0 && op->getNumResults() == 1 &&
      !isa<ShapedType>(op->getResult(0).getType()))
    return emitHostScalar(op);
  return op->emitError("CUDA backend: unsupported op ") << op->getName();
}

LogicalResult Emitter::emitBlock(Block &block) {
  for (Operation &op : block) {
    if (isa<func::ReturnOp>(op))
      continue;
    if (failed(emitOp(&op)))
      return failure();
  }
  return success();
}

// ----------------------------------------------------------------------------
// The translation unit
// ----------------------------------------------------------------------------

int64_t dtypeBytes(tern_dtype d) {
  switch (d) {
  case TERN_F32: case TERN_I32: return 4;
  case TERN_F64: case TERN_I64: return 8;
  case TERN_I8: case TERN_BOOL: return 1;
  }
  return 1;
}

std::string cString(StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += llvm::formatv("\\{0:o3}", static_cast<unsigned>(static_cast<unsigned char>(c))).str();
      continue;
    }
    out += c;
  }
  return out + "\"";
}

void emitInfoTable(llvm::raw_ostream &os, StringRef prefix, const std::vector<TensorSignature> &ts) {
  for (auto [i, t] : llvm::enumerate(ts)) {
    os << "static const int64_t " << prefix << "_shape" << i << "[] = {";
    if (t.shape.empty())
      os << "0";
    llvm::interleaveComma(t.shape, os);
    os << "};\n";
  }
  os << "static const tern_tensor_info " << prefix << "_info[] = {\n";
  for (auto [i, t] : llvm::enumerate(ts))
    os << "  {" << cString(t.name) << ", " << t.dtype << ", " << t.shape.size() << ", " << prefix
       << "_shape" << i << "},\n";
  if (ts.empty())
    os << "  {0, 0, 0, 0},\n";
  os << "};\n";
}

std::string Emitter::assemble(int64_t weightsBytes) {
  std::string out;
  llvm::raw_string_ostream os(out);
  size_t nIn = sig.inputs.size(), nOut = sig.outputs.size();
  os << "// Generated by Tern's CUDA backend (ternc --target=cuda, tern-translate --tern-to-cuda).\n"
     << "// Kernel library, then the kernels generated for this model, then the host launcher\n"
     << "// exporting the C ABI of tern_runtime.h. Build: nvcc -shared -Xcompiler -fPIC -fmad=false\n"
     << "//   -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90\n"
     << "//   -DTERN_WEIGHTS_FILE='\"model.weights\"' model.cu -o model.so\n"
     << "// ternary MAC: " << (dp4a() ? "dp4a (offset codes)" : "select (multiply-free masks)")
     << "\n"
     << "// weights: " << weightsBytes << " bytes; device arena: " << arena << " bytes; "
     << topLaunches << " launch(es) outside loops, " << launchCount << " launch site(s)\n\n";
  os << "#ifdef TERN_CUDA_EMULATION\n#include \"tern_cuda_emulation.h\" // tests: run on the CPU\n"
     << "#endif\n";
  os << kTernCUDAKernels << "\n";
  os << "#ifndef TERN_LAUNCH\n"
     << "#define TERN_LAUNCH(kernel, grid, block, stream, ...) "
        "kernel<<<grid, block, 0, stream>>>(__VA_ARGS__)\n#endif\n";
  os << R"TERN(#include <algorithm>
#include <mutex>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TERN_ABI_TYPES_DEFINED
#define TERN_ABI_TYPES_DEFINED
typedef enum tern_dtype {
  TERN_F32 = 0, TERN_F64 = 1, TERN_I64 = 2, TERN_I32 = 3, TERN_I8 = 4, TERN_BOOL = 5
} tern_dtype;
typedef struct tern_tensor { void *data; int32_t dtype; int32_t rank; const int64_t *shape; } tern_tensor;
typedef struct tern_tensor_info { const char *name; int32_t dtype; int32_t rank; const int64_t *shape; } tern_tensor_info;
#endif

template <typename T> __device__ __forceinline__ T tern_maximum(T a, T b) {
  return (a != a || b != b) ? (a + b) : (a > b ? a : (b > a ? b : (signbit(a) ? b : a)));
}
template <typename T> __device__ __forceinline__ T tern_minimum(T a, T b) {
  return (a != a || b != b) ? (a + b) : (a < b ? a : (b < a ? b : (signbit(a) ? a : b)));
}
template <typename T> __host__ __device__ __forceinline__ T tern_floordiv(T a, T b) {
  T q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
template <typename T> __host__ __device__ __forceinline__ T tern_ceildiv(T a, T b) {
  T q = a / b;
  return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}
template <typename T> __host__ __device__ __forceinline__ T tern_mod(T a, T b) {
  T r = a % b;
  return r < 0 ? r + b : r;
}

#define TERN_CHECK(call) do { cudaError_t tern_e = (call); if (tern_e != cudaSuccess) return tern_e; } while (0)

// ---- weights: packed at compile time, uploaded once ----
#ifndef __CUDA_ARCH__
)TERN";
  if (weightsBytes > 0) {
    os << "#ifndef TERN_WEIGHTS_FILE\n";
    if (!options.weightsPath.empty())
      os << "#define TERN_WEIGHTS_FILE " << cString(options.weightsPath) << "\n";
    else
      os << "#error \"define TERN_WEIGHTS_FILE to the path of the model's weights file\"\n";
    os << "#endif\n"
       << "__asm__(\".section .rodata\\n.balign 256\\n.globl tern_weights_blob\\n"
          ".hidden tern_weights_blob\\ntern_weights_blob:\\n.incbin \\\"\" TERN_WEIGHTS_FILE "
          "\"\\\"\\n.previous\\n\");\n"
       << "#endif\n"
       << "extern \"C\" __attribute__((visibility(\"hidden\"))) const char tern_weights_blob[];\n";
  } else {
    os << "#endif\nstatic const char tern_weights_blob[1] = {0};\n";
  }
  os
     << "static const int64_t tern_weights_bytes = " << weightsBytes << ";\n"
     << "// activation arena: " << arena << " bytes (then input/output staging)\n\n";
  os << "// ---- kernels generated for this model ----\n" << kernels;
  os << "// ---- the model: launches in order on one stream ----\n"
     << "static cudaError_t tern_forward(char *A, const char *W, const void *const *in, "
        "void *const *out, cudaStream_t stream) {\n"
     << "  (void)A; (void)W; (void)in; (void)out;\n"
     << host << "  return cudaGetLastError();\n}\n\n";
  emitInfoTable(os, "input", sig.inputs);
  emitInfoTable(os, "output", sig.outputs);
  os << "static const int64_t input_bytes[] = {";
  for (auto &t : sig.inputs) os << product(t.shape) * dtypeBytes(t.dtype) << ", ";
  os << "0};\nstatic const int64_t output_bytes[] = {";
  for (auto &t : sig.outputs) os << product(t.shape) * dtypeBytes(t.dtype) << ", ";
  os << "0};\n";
  // Staging for host inputs and outputs, after the arena proper.
  int64_t staging = arena;
  os << "static const int64_t input_staging[] = {";
  for (auto &t : sig.inputs) {
    os << staging << ", ";
    staging += alignTo(product(t.shape) * dtypeBytes(t.dtype));
  }
  os << "0};\nstatic const int64_t output_staging[] = {";
  for (auto &t : sig.outputs) {
    os << staging << ", ";
    staging += alignTo(product(t.shape) * dtypeBytes(t.dtype));
  }
  os << "0};\nstatic const int64_t tern_device_bytes = " << staging << ";\n";
  os << "#define TERN_NUM_INPUTS " << nIn << "\n#define TERN_NUM_OUTPUTS " << nOut << "\n";
  os << kTernCUDALauncher;
  return out;
}

FailureOr<CUDAModelSource> Emitter::run() {
  FailureOr<ModelSignature> s = getModelSignature(fn);
  if (failed(s))
    return failure();
  sig = *s;
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("CUDA backend: the model function must have one block");
  Block &body = fn.getBody().front();
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    Buffer b;
    b.kind = Buffer::Input;
    b.input = static_cast<int>(i);
    bufs[arg] = b;
  }
  analyze(body);
  if (failed(emitBlock(body)))
    return failure();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    FailureOr<Buffer> b = bufferOf(ret, v);
    if (failed(b))
      return failure();
    auto tt = cast<RankedTensorType>(v.getType());
    line("TERN_CHECK(cudaMemcpyAsync(out[" + std::to_string(i) + "], " + b->base() + ", " +
         std::to_string(tt.getNumElements() * elemBytes(tt.getElementType())) +
         ", cudaMemcpyDeviceToDevice, stream)); // output " + std::to_string(i));
  }
  CUDAModelSource model;
  model.weights = std::move(blob);
  model.source = assemble(static_cast<int64_t>(model.weights.size()));
  model.arenaBytes = arena;
  model.numLaunches = topLaunches;
  return model;
}

} // namespace

FailureOr<CUDAModelSource> emitCUDAModel(func::FuncOp fn, const CUDAEmitOptions &options) {
  Emitter emitter(fn, options);
  return emitter.run();
}

FailureOr<func::FuncOp> findCUDAModelFunction(ModuleOp module) {
  func::FuncOp found;
  int candidates = 0;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isExternal() || fn.isPrivate())
      continue;
    ++candidates;
    if (fn.getName() == "main" || !found)
      found = fn;
  }
  if (!found)
    return module.emitError("no public function to compile (expected @main)");
  if (candidates > 1 && found.getName() != "main")
    return module.emitError("several public functions and none is @main");
  return found;
}

} // namespace mlir::tern

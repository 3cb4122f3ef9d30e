//===- CUDAEmitter.h - the CUDA emitter's internals (private) -------------===//
//
// Shared by CUDAEmitter.cpp (planning, dispatch, the translation unit),
// EmitKernels.cpp (quantization groups, GEMV/GEMM groups, generic kernels,
// region bodies as C) and EmitHost.cpp (data movement, host scalars, loops).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_LIB_TARGET_CUDA_CUDAEMITTER_H
#define TERN_LIB_TARGET_CUDA_CUDAEMITTER_H

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

namespace mlir::tern::cuda_detail {

inline constexpr int64_t kAlign = 256;
inline int64_t alignTo(int64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

inline std::string floatLiteral(double v, bool isF32) {
  if (std::isnan(v))
    return isF32 ? "((float)NAN)" : "((double)NAN)";
  if (std::isinf(v))
    return std::string(v < 0 ? "-" : "") + (isF32 ? "((float)INFINITY)" : "((double)INFINITY)");
  char buf[64];
  snprintf(buf, sizeof buf, "%a", v);
  return std::string(buf) + (isF32 ? "f" : "");
}

/// C type of a scalar element type; empty when unsupported.
inline std::string cType(Type t) {
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
inline std::string unsignedCType(Type t) {
  if (t.isInteger(1)) return "bool";
  if (t.isInteger(8)) return "uint8_t";
  if (t.isInteger(16)) return "uint16_t";
  if (t.isInteger(32)) return "uint32_t";
  return "uint64_t";
}

inline int64_t elemBytes(Type t) {
  if (t.isIndex()) return 8;
  if (t.isInteger(1)) return 1;
  return (t.getIntOrFloatBitWidth() + 7) / 8;
}

inline SmallVector<int64_t> denseStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

inline int64_t product(ArrayRef<int64_t> v) {
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

/// 32-weight blocks per row of a packed ternary matrix or of quantized
/// activations: ceil(K/32) rounded up to even (TERN_ROW_BLOCKS in the
/// kernel library; a 128-bit load fetches two blocks).
inline int64_t rowBlocks(int64_t K) { return (K + 63) / 64 * 2; }

/// A packed ternary weight in the blob.
struct PackedWeight {
  int64_t offset = 0;  ///< uint2 masks [rows][kb], then int32 negcount[rows]
  int64_t rows = 0, cols = 0, kb = 0;
  float scale = 1.f;
};

/// `s` as a C string literal (control characters escaped).
std::string cString(StringRef s);

/// A generic with only parallel loops and projected-permutation maps.
bool isElementwiseGeneric(linalg::GenericOp g);

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
  /// tern.index_check ops in launch order (check i is i + 1 in the device's
  /// TernIndexError word) and that word's place in the arena.
  struct IndexCheck {
    std::string what;
    int64_t dim;
  };
  SmallVector<IndexCheck> indexChecks;
  std::optional<Buffer> indexError;

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
    SmallVector<RMSNormOp> norms; ///< per member: the RMSNorm it applies, or null
    Value base;                 ///< the group's input (before member RMSNorms)
    RMSNormOp pre;              ///< absorbed pre-norm producing `base`
    linalg::GenericOp chain;    ///< absorbed element-wise generic producing `base`
    RMSNormOp chainNorm;        ///< absorbed RMSNorm read by `chain`
  };
  DenseMap<Operation *, QuantPlan> quantPlans; // first member -> plan
  LogicalResult readQuantPlans(Block &block);
  /// Quantization groups run by a GEMV launch (launch id -> first member),
  /// and those already emitted there.
  DenseMap<int64_t, Operation *> quantInLaunch;
  DenseSet<Operation *> quantEmitted;
  struct QuantSetup {
    std::string src, srcType; ///< the row source (expression, type)
    int64_t K = 0, rows = 0, kp = 0;
  };
  /// Emits the host code filling TernQuantGroup `var` (outputs allocated)
  /// and returns the group's row source.
  FailureOr<QuantSetup> emitQuantSetup(QuantPlan plan, ActQuantOp first, StringRef var);
  static int quantEPT(int64_t K, int64_t threads);
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
  LogicalResult emitIndexCheck(IndexCheckOp op);
  FailureOr<Buffer> interleavedInput(Operation *user, Value xq);
  void emitStridedCopy(const std::string &src, const std::string &dst, Type elem,
                       ArrayRef<int64_t> shape, ArrayRef<int64_t> srcStrides,
                       ArrayRef<int64_t> dstStrides);

  /// Reads the launch plan of `tern-cuda-plan-kernels` (see Passes.td).
  LogicalResult readPlan(Block &block);

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
  LogicalResult readGemmPlans(Block &block);
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

} // namespace mlir::tern::cuda_detail

#endif // TERN_LIB_TARGET_CUDA_CUDAEMITTER_H

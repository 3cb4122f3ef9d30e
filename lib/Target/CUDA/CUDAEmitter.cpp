//===- CUDAEmitter.cpp - prepared tern module -> CUDA C++ -----------------===//
//
// Walks the model function (after `tern-cuda-prepare`) and turns it into a
// sequence of kernel launches on one stream (see CUDAEmitter.h):
//
//  * planning (this file): which tmatmuls fuse into which element-wise
//    generic (GEMV/GEMM groups), which independent groups share a launch,
//    which act_quants share a quantization launch and what it absorbs (the
//    RMSNorms, a pre-norm, the element-wise producer of its input);
//  * kernels (EmitKernels.cpp): tern_quant_rows_kernel launches with a row
//    source, generated GEMV/GEMM kernels (multiply-free or offset-code MAC,
//    then the generic's body as the epilogue), generated element-wise and
//    reduction kernels;
//  * host code (EmitHost.cpp): views, copies, in-place inserts and
//    destination passing, host scalars, scf.for as host loops;
//  * the translation unit (this file): kernel library, generated kernels,
//    tern_forward, signature tables, then the launcher (C ABI).
//
// Every tensor value gets a dense row-major buffer in one device arena
// (static shapes; no reuse), constants live in the weight blob.
//
//===----------------------------------------------------------------------===//
#include "CUDAEmitter.h"

namespace mlir::tern {

// The kernel library and the host launcher, embedded at build time (see
// CMakeLists.txt).
#include "TernCUDAKernels.inc"
#include "TernCUDALauncher.inc"

llvm::cl::ValuesClass getCUDAMacValues() {
  return llvm::cl::values(
      clEnumValN(CUDAMac::DP4A, "auto", "dp4a (the default)"),
      clEnumValN(CUDAMac::DP4A, "dp4a", "offset codes c = t+1 through the int8 dot product"),
      clEnumValN(CUDAMac::Select, "select",
                 "multiply-free: bit-plane masks, AND/XOR selects, byte adds"));
}

void packTernaryForCUDA(ArrayRef<uint8_t> packed, int64_t rows, int64_t cols,
                        std::vector<char> &out, CUDAMac mac) {
  int64_t kb = cuda_detail::rowBlocks(cols);
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

namespace cuda_detail {

// ----------------------------------------------------------------------------
// Analysis: which tmatmuls fuse into which generic
// ----------------------------------------------------------------------------

bool isElementwiseGeneric(linalg::GenericOp g) {
  return g.getNumReductionLoops() == 0 && g.getNumDpsInits() >= 1 &&
         llvm::all_of(g.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(/*allowZeroInResults=*/true); });
}

LogicalResult Emitter::readPlan(Block &block) {
  for (Operation &op : block)
    for (Region &r : op.getRegions())
      for (Block &b : r)
        if (!isa<linalg::GenericOp>(op) && failed(readPlan(b)))
          return failure();
  if (failed(readGemmPlans(block)))
    return failure();
  return readQuantPlans(block);
}

LogicalResult Emitter::readGemmPlans(Block &block) {
  DenseMap<int64_t, Operation *> heads;
  for (Operation &op : block) {
    auto g = dyn_cast<linalg::GenericOp>(op);
    auto inputs = op.getAttrOfType<DenseI64ArrayAttr>(cuda::kGemmInputs);
    if (!inputs)
      continue;
    auto bad = [&](const Twine &why) {
      return op.emitError("CUDA backend: invalid launch plan (") << cuda::kGemmInputs << "): " << why;
    };
    if (!g || !isElementwiseGeneric(g))
      return bad("not on an element-wise linalg.generic");
    SmallVector<TMatmulOp> mms;
    for (int64_t i : inputs.asArrayRef()) {
      if (i < 0 || i >= g.getNumDpsInputs())
        return bad("input index out of range");
      OpOperand *in = g.getDpsInputOperand(i);
      auto mm = in->get().getDefiningOp<TMatmulOp>();
      if (!mm || !mm->hasOneUse() || mm->getBlock() != &block ||
          !g.getMatchingIndexingMap(in).isIdentity() ||
          ArrayRef<int64_t>(g.getStaticLoopRanges()) != mm.getResult().getType().getShape() ||
          llvm::is_contained(mms, mm))
        return bad("input " + Twine(i) + " is not a tmatmul result used only here");
      mms.push_back(mm);
    }
    if (mms.empty())
      return bad("no inputs");
    gemmGroups[g] = mms;
    for (TMatmulOp mm : mms)
      absorbed.insert(mm);
    auto launch = op.getAttrOfType<IntegerAttr>(cuda::kLaunch);
    if (!launch)
      continue;
    auto [it, isNew] = heads.try_emplace(launch.getInt(), &op);
    if (!isNew) {
      mergedGemms[it->second].push_back(&op);
      mergedAway.insert(&op);
    }
  }
  return success();
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
  w.kb = rowBlocks(cols);
  w.scale = attr.getScaleValue();
  weights[op.getResult()] = w;
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
  if (auto c = dyn_cast<IndexCheckOp>(op))
    return emitIndexCheck(c);
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
  case TERN_F32: case TERN_I32: case TERN_U32: return 4;
  case TERN_F64: case TERN_I64: case TERN_U64: return 8;
  case TERN_I8: case TERN_BOOL: case TERN_U8: return 1;
  case TERN_F16: case TERN_I16: case TERN_U16: return 2;
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
  // Every launch and runtime call is checked where it happens; a failure
  // names the kernel or call (tern_failed_at) in the launcher's message.
  // TERN_CUDA_SYNC=1 (no graphs then) also waits after each launch, so an
  // asynchronous fault is reported with the kernel that raised it.
  os << "static const char *tern_failed_at = \"\";\nstatic int tern_sync_each = 0;\n"
     << "#ifndef TERN_LAUNCH\n"
     << "#define TERN_LAUNCH(kernel, grid, block, stream, ...) do { "
        "kernel<<<grid, block, 0, stream>>>(__VA_ARGS__); "
        "cudaError_t tern_le = cudaGetLastError(); "
        "if (tern_le == cudaSuccess && tern_sync_each) tern_le = cudaStreamSynchronize(stream); "
        "if (tern_le != cudaSuccess) { tern_failed_at = \"kernel \" #kernel; return tern_le; } "
        "} while (0)\n#endif\n";
  os << R"TERN(#include <algorithm>
#include <mutex>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TERN_ABI_TYPES_DEFINED
#define TERN_ABI_TYPES_DEFINED
typedef enum tern_dtype {
  TERN_F32 = 0, TERN_F64 = 1, TERN_I64 = 2, TERN_I32 = 3, TERN_I8 = 4, TERN_BOOL = 5,
  TERN_U8 = 6, TERN_I16 = 7, TERN_U16 = 8, TERN_F16 = 9, TERN_U32 = 10, TERN_U64 = 11
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

#define TERN_CHECK(call) do { cudaError_t tern_e = (call); if (tern_e != cudaSuccess) { tern_failed_at = #call; return tern_e; } } while (0)

// ---- weights: packed at compile time, uploaded once ----
// (-DTERN_RANDOM_WEIGHTS: no weights file; the device fills the weight
// memory with hashed bytes, for timing large models whose weights would not
// travel: the outputs are deterministic but meaningless.)
#if !defined(__CUDA_ARCH__) && !defined(TERN_RANDOM_WEIGHTS)
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
       << "#ifndef TERN_RANDOM_WEIGHTS\n"
       << "extern \"C\" __attribute__((visibility(\"hidden\"))) const char tern_weights_blob[];\n"
       << "#endif\n";
  } else {
    os << "#endif\nstatic const char tern_weights_blob[1] = {0};\n";
  }
  os
     << "static const int64_t tern_weights_bytes = " << weightsBytes << ";\n"
     << R"TERN(#ifdef TERN_RANDOM_WEIGHTS
__global__ void tern_random_words_kernel(uint32_t *p, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    uint32_t x = (uint32_t)i * 2654435761u + 0x9e3779b9u;
    x ^= x >> 16; x *= 0x85ebca6bu; x ^= x >> 13; x *= 0xc2b2ae35u; x ^= x >> 16;
    p[i] = x;
  }
}
static cudaError_t tern_upload_weights(char *dst) {
  tern_random_words_kernel<<<1024, 256>>>((uint32_t *)dst, tern_weights_bytes / 4);
  cudaError_t e = cudaGetLastError();
  return e != cudaSuccess ? e : cudaDeviceSynchronize();
}
#else
static cudaError_t tern_upload_weights(char *dst) {
  if (tern_weights_bytes == 0)
    return cudaSuccess;
  return cudaMemcpy(dst, tern_weights_blob, tern_weights_bytes, cudaMemcpyHostToDevice);
}
#endif
)TERN"
     << "// activation arena: " << arena << " bytes (then input/output staging)\n\n";
  os << "// ---- kernels generated for this model ----\n" << kernels;
  os << "// ---- the model: launches in order on one stream ----\n"
     << "static cudaError_t tern_forward(char *A, const char *W, const void *const *in, "
        "void *const *out, cudaStream_t stream) {\n"
     << "  (void)A; (void)W; (void)in; (void)out;\n"
     << "  (void)cudaGetLastError(); // an earlier, unrelated error is not this model's\n";
  if (indexError)
    os << "  TERN_CHECK(cudaMemsetAsync(" << indexError->base()
       << ", 0, sizeof(TernIndexError), stream)); // no index out of range yet\n";
  os << host << "  return cudaSuccess; // every launch was checked\n}\n\n";
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
  // The run-time index checks: what each names, its axis size, where the
  // error word is (the launcher reports the first failure).
  os << "#define TERN_NUM_INDEX_CHECKS " << indexChecks.size() << "\n";
  if (indexError) {
    os << "static const int64_t tern_index_error_offset = " << indexError->offset << ";\n"
       << "static const char *const tern_index_check_what[] = {\n";
    for (const IndexCheck &c : indexChecks)
      os << "  " << cString(c.what) << ",\n";
    os << "};\nstatic const int64_t tern_index_check_dim[] = {";
    for (const IndexCheck &c : indexChecks)
      os << c.dim << ", ";
    os << "};\n";
  }
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
  if (failed(readPlan(body)) || failed(emitBlock(body)))
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

} // namespace cuda_detail

using cuda_detail::Emitter;

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


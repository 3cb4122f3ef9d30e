//===- CPUArtifact.cpp - model signature, C ABI wrapper, linking ----------===//
//
// The generated C is glue only (signature tables, argument checks, memref
// descriptors); all model code comes from the MLIR pipeline.
//
//===----------------------------------------------------------------------===//
#include "tern/Target/CPU/CPUTarget.h"
#include "tern/Target/CPU/CPUTargetInfo.h"
#include "tern/Runtime/tern_runtime.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/FormatVariadic.h"

#include <set>
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#ifndef TERN_OMP_LIB_DIR
#define TERN_OMP_LIB_DIR "/usr/lib/llvm-22/lib"
#endif
#ifndef TERN_HOST_CC
#define TERN_HOST_CC "cc"
#endif

namespace mlir::tern {

static FailureOr<tern_dtype> toDType(Type type) {
  if (type.isF32()) return TERN_F32;
  if (type.isF64()) return TERN_F64;
  if (type.isF16()) return TERN_F16;
  if (type.isInteger(16)) return TERN_I16;
  if (type.isInteger(64)) return TERN_I64;
  if (type.isInteger(32)) return TERN_I32;
  if (type.isInteger(8)) return TERN_I8;
  if (type.isInteger(1)) return TERN_BOOL;
  return failure();
}

static FailureOr<TensorSignature> readTensor(Location loc, Type type, StringAttr name,
                                             StringRef kind, unsigned index) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::string label = (kind + " " + Twine(index)).str();
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << label << " must be a statically shaped tensor, got " << type;
  FailureOr<tern_dtype> dtype = toDType(tensor.getElementType());
  if (failed(dtype))
    return emitError(loc) << label << " has element type " << tensor.getElementType()
                          << "; the C ABI supports f16, f32, f64, i64, i32, i16, i8 and i1";
  return TensorSignature{name ? name.str() : label, *dtype,
                         std::vector<int64_t>(tensor.getShape().begin(), tensor.getShape().end())};
}

FailureOr<func::FuncOp> findModelFunction(ModuleOp module) {
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

FailureOr<ModelSignature> prepareModelFunction(ModuleOp module) {
  FailureOr<func::FuncOp> fn = findModelFunction(module);
  if (failed(fn))
    return failure();
  func::FuncOp found = *fn;
  FailureOr<ModelSignature> sig = getModelSignature(found);
  if (failed(sig))
    return failure();
  found.setName(kModelFunctionName);
  found->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));
  // Inputs belong to the caller: bufferization must not update them in place
  // (a recurrent state input would otherwise be overwritten).
  for (unsigned i = 0; i < found.getNumArguments(); ++i) {
    found.setArgAttr(i, "bufferization.writable", BoolAttr::get(module.getContext(), false));
    found.removeArgAttr(i, "tern.name"); // kept in the signature; LLVM has no use for it
    found.removeArgAttr(i, "tern.unsigned");
  }
  for (unsigned i = 0; i < found.getNumResults(); ++i) {
    found.removeResultAttr(i, StringAttr::get(module.getContext(), "tern.name"));
    found.removeResultAttr(i, StringAttr::get(module.getContext(), "tern.unsigned"));
  }
  return sig;
}

LogicalResult buildModelLibrary(ModuleOp module, const ModelSignature &sig,
                                const CPUCodegenOptions &options, StringRef soPath) {
  SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("tern", dir))
    return module.emitError("cannot create a temporary directory: ") << ec.message();
  SmallString<128> objPath(dir), wrapperPath(dir);
  llvm::sys::path::append(objPath, "model.o");
  llvm::sys::path::append(wrapperPath, "model_abi.c");
  llvm::scope_exit cleanup([&] {
    llvm::sys::fs::remove(objPath);
    llvm::sys::fs::remove(wrapperPath);
    llvm::sys::fs::remove(dir);
  });
  {
    std::error_code ec;
    llvm::raw_fd_ostream obj(objPath, ec);
    if (ec)
      return module.emitError("cannot write ") << objPath << ": " << ec.message();
    if (failed(emitCPUCode(module, options, CPUEmitKind::Object, obj)))
      return failure();
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream wrapper(wrapperPath, ec);
    if (ec)
      return module.emitError("cannot write ") << wrapperPath << ": " << ec.message();
    wrapper << emitModelWrapper(sig);
  }
  return linkModelLibrary(module.getLoc(), objPath, wrapperPath, soPath, getModuleTarget(module),
                          options);
}

/// Unsigned ONNX tensors compile as signless integers; `tern.unsigned` on the
/// argument or result (set by the ONNX importer) keeps the ABI dtype unsigned.
static tern_dtype withSignedness(tern_dtype d, bool isUnsigned) {
  if (!isUnsigned)
    return d;
  switch (d) {
  case TERN_I8: return TERN_U8;
  case TERN_I16: return TERN_U16;
  case TERN_I32: return TERN_U32;
  case TERN_I64: return TERN_U64;
  default: return d;
  }
}

FailureOr<ModelSignature> getModelSignature(func::FuncOp fn) {
  ModelSignature sig;
  auto type = fn.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto t = readTensor(fn.getLoc(), type.getInput(i), fn.getArgAttrOfType<StringAttr>(i, "tern.name"),
                        "input", i);
    if (failed(t))
      return failure();
    t->dtype = withSignedness(t->dtype, fn.getArgAttr(i, "tern.unsigned") != nullptr);
    sig.inputs.push_back(*t);
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto t = readTensor(fn.getLoc(), type.getResult(i),
                        fn.getResultAttrOfType<StringAttr>(i, "tern.name"), "output", i);
    if (failed(t))
      return failure();
    t->dtype = withSignedness(t->dtype, fn.getResultAttr(i, "tern.unsigned") != nullptr);
    sig.outputs.push_back(*t);
  }
  return sig;
}

static const char *kABITypes = R"(#include <stddef.h>
#include <stdint.h>

#ifndef TERN_ABI_TYPES_DEFINED
#define TERN_ABI_TYPES_DEFINED
typedef enum tern_dtype {
  TERN_F32 = 0, TERN_F64 = 1, TERN_I64 = 2, TERN_I32 = 3, TERN_I8 = 4, TERN_BOOL = 5,
  TERN_U8 = 6, TERN_I16 = 7, TERN_U16 = 8, TERN_F16 = 9, TERN_U32 = 10, TERN_U64 = 11
} tern_dtype;
typedef struct tern_tensor {
  void *data;
  int32_t dtype;
  int32_t rank;
  const int64_t *shape;
} tern_tensor;
typedef struct tern_tensor_info {
  const char *name;
  int32_t dtype;
  int32_t rank;
  const int64_t *shape;
} tern_tensor_info;
#endif
)";

// memref.copy between non-contiguous memrefs lowers to a call of this MLIR
// runtime function; the artifact carries its own copy so it depends on libc
// and libm only. Runs that are contiguous in both memrefs (the innermost
// dimension, usually) are copied with one memcpy.
static const char *kMemrefCopy = R"(
typedef struct { int64_t rank; void *descriptor; } tern_unranked_memref;
__attribute__((visibility("hidden"))) void memrefCopy(int64_t elem_size,
                                                      tern_unranked_memref *src,
                                                      tern_unranked_memref *dst) {
  int64_t rank = src->rank;
  char **s = (char **)src->descriptor, **d = (char **)dst->descriptor;
  int64_t *ss = (int64_t *)(s + 2), *ds = (int64_t *)(d + 2);
  /* descriptor: allocated, aligned, offset, sizes[rank], strides[rank] */
  char *sp = s[1] + ss[0] * elem_size, *dp = d[1] + ds[0] * elem_size;
  int64_t *sizes = ss + 1, *sstr = ss + 1 + rank, *dstr = ds + 1 + rank;
  int64_t index[64] = {0}, total = 1, run = 1;
  for (int64_t r = 0; r < rank; ++r)
    total *= sizes[r];
  if (total == 0)
    return;
  /* Fold the innermost dims that are contiguous in both into one run. */
  int64_t outer = rank;
  while (outer > 0 && sstr[outer - 1] == run && dstr[outer - 1] == run)
    run *= sizes[--outer];
  for (int64_t n = 0; n < total; n += run) {
    int64_t so = 0, dof = 0;
    for (int64_t r = 0; r < outer; ++r) {
      so += index[r] * sstr[r];
      dof += index[r] * dstr[r];
    }
    memmove(dp + dof * elem_size, sp + so * elem_size, (size_t)(run * elem_size));
    for (int64_t r = outer - 1; r >= 0; --r) {
      if (++index[r] < sizes[r])
        break;
      index[r] = 0;
    }
  }
}
)";

// The model's heap buffers (memref.alloc, lowered with
// finalize-memref-to-llvm{use-generic-functions}). A decode step allocates the
// same buffers every call; handing them back to libc let it trim the heap, so
// every token page-faulted them in again (about 6% of a 1.3B decode step).
// Freed buffers are kept, by size and alignment, for the next call; at most
// 1 GiB stays cached.
static const char *kBufferCache = R"(
#include <pthread.h>
#include <stdlib.h>
typedef struct tern_block { struct tern_block *next; uint64_t size, align; } tern_block;
/* Freed blocks, in lists by a hash of their size: a decode step frees hundreds
   of buffers, and one list would be walked on every allocation. */
static tern_block *tern_cached_blocks[256];
static uint64_t tern_cached_bytes;
static pthread_mutex_t tern_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tern_block **tern_bucket(uint64_t size) {
  return &tern_cached_blocks[((size >> 6) * 0x9E3779B97F4A7C15ull) >> 56];
}
/* A buffer of `size` bytes at `align` (>= 64), its header just before it. */
__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment,
                                                                               uint64_t size) {
  uint64_t align = alignment < 64 ? 64 : alignment;
  if (size > (1ull << 62))
    tern_rt_out_of_memory(size);
  size = (size + align - 1) / align * align;
  pthread_mutex_lock(&tern_cache_lock);
  for (tern_block **p = tern_bucket(size); *p; p = &(*p)->next)
    if ((*p)->size == size && (*p)->align == align) {
      tern_block *b = *p;
      *p = b->next;
      tern_cached_bytes -= size;
      pthread_mutex_unlock(&tern_cache_lock);
      return (char *)(b + 1);
    }
  pthread_mutex_unlock(&tern_cache_lock);
  char *base = size > (1ull << 62) ? 0 : (char *)aligned_alloc(align, align + size);
  if (!base)
    tern_rt_out_of_memory(size);
  tern_block *b = (tern_block *)(base + align) - 1;
  b->size = size;
  b->align = align;
  return base + align;
}
__attribute__((visibility("hidden"))) void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  return _mlir_memref_to_llvm_aligned_alloc(64, size);
}
__attribute__((visibility("hidden"))) void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  tern_block *b = (tern_block *)ptr - 1;
  pthread_mutex_lock(&tern_cache_lock);
  if (tern_cached_bytes + b->size <= (1ull << 30)) {
    tern_block **bucket = tern_bucket(b->size);
    b->next = *bucket;
    *bucket = b;
    tern_cached_bytes += b->size;
    b = 0;
  }
  pthread_mutex_unlock(&tern_cache_lock);
  if (b)
    free((char *)ptr - b->align);
}
)";

// Errors the compiled code reports while it runs (an index out of range, a
// failed allocation): the first is kept in the calling thread's slot and
// `tern_model_run` returns it. An index error lets the (clamped) computation
// finish; an allocation failure jumps back to `tern_model_run` (the code
// cannot continue without the buffer).
static const char *kRuntimeErrors = R"c(
#include <setjmp.h>
#include <stdlib.h>
static __thread int tern_rt_failed;
static __thread char tern_rt_message[512];
static __thread jmp_buf *tern_rt_unwind;
__attribute__((visibility("hidden"))) void tern_rt_index_error(char *allocated, char *what,
                                                               int64_t offset, int64_t length,
                                                               int64_t stride, int64_t index,
                                                               int64_t dim) {
  (void)allocated; (void)stride;
  if (tern_rt_failed)
    return;
  tern_rt_failed = 1;
  snprintf(tern_rt_message, sizeof tern_rt_message,
           "%.*s: index %lld is out of range for an axis of size %lld (valid: %lld to %lld)",
           (int)length, what + offset, (long long)index, (long long)dim, (long long)-dim,
           (long long)(dim - 1));
}
static void tern_rt_out_of_memory(uint64_t size) {
  if (!tern_rt_failed) {
    tern_rt_failed = 1;
    snprintf(tern_rt_message, sizeof tern_rt_message,
             "out of memory: the model could not allocate a buffer of %llu bytes",
             (unsigned long long)size);
  }
  if (tern_rt_unwind)
    longjmp(*tern_rt_unwind, 1);
  abort(); /* a worker thread: nothing to return to */
}
)c";

// `check(tensor, info, kind, index, error, size)`: the argument check of every
// backend's C ABI wrapper (0 when dtype and shape match, else a message).
static const char *kABIChecks = R"(
static const char *const dtype_names[] = {"float32", "float64", "int64",  "int32",  "int8",  "bool",
                                           "uint8",   "int16",   "uint16", "float16", "uint32", "uint64"};

static int shape_text(char *buf, size_t n, int32_t dtype, int32_t rank, const int64_t *shape) {
  size_t used = 0;
  buf[0] = 0;
  for (int32_t d = 0; d < rank && used < n; ++d)
    used += (size_t)snprintf(buf + used, n - used, "%lldx", (long long)shape[d]);
  if (used < n)
    snprintf(buf + used, n - used, "%s",
             dtype >= 0 && dtype <= 11 ? dtype_names[dtype] : "unknown-dtype");
  return 0;
}

static int check(const tern_tensor *t, const tern_tensor_info *want, const char *kind, int i,
                 char *error, size_t error_size) {
  /* Every pointer is checked before it is read; a tensor with no elements
     needs no data pointer. */
  int64_t count = 1;
  for (int32_t d = 0; d < want->rank; ++d)
    count *= want->shape[d];
  int shape_ok = t->rank == 0 || (t->shape != 0 && t->rank > 0 && t->rank <= 32);
  int ok = shape_ok && (t->data != 0 || count == 0) && t->dtype == want->dtype &&
           t->rank == want->rank;
  for (int32_t d = 0; ok && d < t->rank; ++d)
    ok = t->shape[d] == want->shape[d];
  if (ok)
    return 0;
  if (error && error_size) {
    char got[256], expected[256];
    shape_text(expected, sizeof expected, want->dtype, want->rank, want->shape);
    if (!shape_ok)
      snprintf(got, sizeof got, t->shape == 0 ? "a null shape pointer with rank %d"
                                              : "rank %d", (int)t->rank);
    else if (t->data == 0)
      snprintf(got, sizeof got, "a null data pointer");
    else
      shape_text(got, sizeof got, t->dtype, t->rank, t->shape);
    snprintf(error, error_size, "%s %d '%s': expected %s, got %s", kind, i, want->name,
             expected, got);
  }
  return 1;
}

)";

StringRef getABICheckSource() { return kABIChecks; }

static const char *kDTypeNames[] = {"float32", "float64", "int64",  "int32",   "int8",   "bool",
                                    "uint8",   "int16",   "uint16", "float16", "uint32", "uint64"};

static std::string describeShape(const TensorSignature &t) {
  std::string s;
  for (int64_t d : t.shape)
    s += std::to_string(d) + "x";
  return s + kDTypeNames[t.dtype];
}

std::string emitModelHeader(const ModelSignature &sig) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "/* Generated by ternc: the C ABI of one compiled Tern model. */\n"
     << "#ifndef TERN_MODEL_H\n#define TERN_MODEL_H\n\n" << kABITypes
     << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Inputs (graph order):\n";
  for (auto [i, t] : llvm::enumerate(sig.inputs))
    os << " *   " << i << ": " << t.name << " " << describeShape(t) << "\n";
  os << " * Outputs (graph order):\n";
  for (auto [i, t] : llvm::enumerate(sig.outputs))
    os << " *   " << i << ": " << t.name << " " << describeShape(t) << "\n";
  os << " */\n"
     << "int tern_model_num_inputs(void);\n"
     << "int tern_model_num_outputs(void);\n"
     << "const tern_tensor_info *tern_model_input_info(int i);\n"
     << "const tern_tensor_info *tern_model_output_info(int i);\n"
     << "/* Checks every tensor's dtype and shape, runs the model into the caller's\n"
     << " * output buffers; returns 0, or non-zero with a message in `error`. */\n"
     << "int tern_model_run(const tern_tensor *inputs, int num_inputs, tern_tensor *outputs,\n"
     << "                   int num_outputs, char *error, size_t error_size);\n"
     << "\n#ifdef __cplusplus\n}\n#endif\n#endif /* TERN_MODEL_H */\n";
  return out;
}

static std::string cString(StringRef s) {
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

static void emitInfoTable(llvm::raw_ostream &os, StringRef prefix,
                          const std::vector<TensorSignature> &tensors) {
  for (auto [i, t] : llvm::enumerate(tensors)) {
    os << "static const int64_t " << prefix << "_shape" << i << "[] = {";
    if (t.shape.empty())
      os << "0";
    llvm::interleaveComma(t.shape, os);
    os << "};\n";
  }
  os << "static const tern_tensor_info " << prefix << "_info[] = {\n";
  for (auto [i, t] : llvm::enumerate(tensors))
    os << "  {" << cString(t.name) << ", " << t.dtype << ", " << t.shape.size() << ", "
       << prefix << "_shape" << i << "},\n";
  if (tensors.empty())
    os << "  {0, 0, 0, 0},\n";
  os << "};\n";
}

std::string emitModelWrapper(const ModelSignature &sig) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "/* Generated by ternc: C ABI wrapper around the compiled model. */\n"
     << kABITypes << "#include <stdio.h>\n#include <string.h>\n" << kMemrefCopy << kRuntimeErrors
     << kBufferCache << "\n";
  std::set<size_t> ranks;
  for (const auto &t : sig.inputs) ranks.insert(t.shape.size());
  for (const auto &t : sig.outputs) ranks.insert(t.shape.size());
  for (size_t r : ranks) {
    os << "typedef struct { void *allocated, *aligned; int64_t offset;";
    if (r)
      os << " int64_t sizes[" << r << "]; int64_t strides[" << r << "];";
    os << " } tern_memref" << r << ";\n";
  }
  os << "\nvoid _mlir_ciface_" << kModelFunctionName << "(";
  std::vector<std::string> params;
  for (const auto &t : sig.inputs) params.push_back("tern_memref" + std::to_string(t.shape.size()) + " *");
  for (const auto &t : sig.outputs) params.push_back("tern_memref" + std::to_string(t.shape.size()) + " *");
  os << (params.empty() ? std::string("void") : llvm::join(params, ", ")) << ");\n\n";
  emitInfoTable(os, "input", sig.inputs);
  emitInfoTable(os, "output", sig.outputs);
  size_t nIn = sig.inputs.size(), nOut = sig.outputs.size();
  os << R"(
int tern_model_num_inputs(void) { return )" << nIn << R"(; }
int tern_model_num_outputs(void) { return )" << nOut << R"(; }
int tern_model_abi_version(void) { return )" << TERN_MODEL_ABI_VERSION << R"(; }
const tern_tensor_info *tern_model_input_info(int i) {
  return i >= 0 && i < )" << nIn << R"( ? &input_info[i] : 0;
}
const tern_tensor_info *tern_model_output_info(int i) {
  return i >= 0 && i < )" << nOut << R"( ? &output_info[i] : 0;
}
)" << getABICheckSource() << R"(
int tern_model_run(const tern_tensor *inputs, int num_inputs, tern_tensor *outputs,
                   int num_outputs, char *error, size_t error_size) {
  if ((num_inputs > 0 && !inputs) || (num_outputs > 0 && !outputs)) {
    if (error && error_size)
      snprintf(error, error_size, "null %s array with a count of %d",
               num_inputs > 0 && !inputs ? "inputs" : "outputs",
               num_inputs > 0 && !inputs ? num_inputs : num_outputs);
    return 1;
  }
  if (num_inputs != )" << nIn << " || num_outputs != " << nOut << R"() {
    if (error && error_size)
      snprintf(error, error_size, "the model takes %d inputs and %d outputs, got %d and %d",
               )" << nIn << ", " << nOut << R"(, num_inputs, num_outputs);
    return 1;
  }
  for (int i = 0; i < num_inputs; ++i)
    if (check(&inputs[i], &input_info[i], "input", i, error, error_size))
      return 1;
  for (int i = 0; i < num_outputs; ++i)
    if (check(&outputs[i], &output_info[i], "output", i, error, error_size))
      return 1;
)";
  auto emitDescriptor = [&](StringRef var, StringRef array, size_t i, const TensorSignature &t) {
    os << "  tern_memref" << t.shape.size() << " " << var << i << " = {" << array << "[" << i
       << "].data, " << array << "[" << i << "].data, 0";
    if (!t.shape.empty()) {
      os << ", {";
      llvm::interleaveComma(t.shape, os);
      os << "}, {";
      int64_t stride = 1;
      std::vector<int64_t> strides(t.shape.size());
      for (size_t d = t.shape.size(); d-- > 0;) {
        strides[d] = stride;
        stride *= t.shape[d];
      }
      llvm::interleaveComma(strides, os);
      os << "}";
    }
    os << "};\n";
  };
  for (auto [i, t] : llvm::enumerate(sig.inputs))
    emitDescriptor("in", "inputs", i, t);
  for (auto [i, t] : llvm::enumerate(sig.outputs))
    emitDescriptor("out", "outputs", i, t);
  std::vector<std::string> args;
  for (size_t i = 0; i < nIn; ++i) args.push_back("&in" + std::to_string(i));
  for (size_t i = 0; i < nOut; ++i) args.push_back("&out" + std::to_string(i));
  os << "  jmp_buf unwind;\n  tern_rt_failed = 0;\n  tern_rt_unwind = &unwind;\n"
     << "  if (setjmp(unwind) == 0)\n"
     << "    _mlir_ciface_" << kModelFunctionName << "(" << llvm::join(args, ", ") << ");\n"
     << "  tern_rt_unwind = 0;\n"
     << "  if (tern_rt_failed) {\n"
     << "    if (error && error_size)\n"
     << "      snprintf(error, error_size, \"%s\", tern_rt_message);\n"
     << "    return 2;\n  }\n"
     << "  return 0;\n}\n";
  return out;
}

std::string getToolchainTriple(StringRef tripleName) {
  llvm::Triple triple(llvm::Triple::normalize(tripleName));
  std::string out = triple.getArchName().str();
  if (triple.getOS() != llvm::Triple::UnknownOS)
    out += "-" + triple.getOSName().str();
  if (triple.getEnvironment() != llvm::Triple::UnknownEnvironment)
    out += "-" + triple.getEnvironmentName().str();
  return out;
}

FailureOr<std::string> findTargetLinker(LLVM::TargetAttr target, const CPUCodegenOptions &options,
                                        std::string &error) {
  if (!options.linker.empty()) {
    auto found = llvm::sys::findProgramByName(options.linker);
    if (llvm::sys::fs::can_execute(options.linker))
      return options.linker;
    if (found)
      return *found;
    error = "the linker '" + options.linker + "' was not found";
    return failure();
  }
  if (!target || isHostCompatible(llvm::Triple(target.getTriple().getValue()))) {
    if (llvm::sys::fs::can_execute(TERN_HOST_CC))
      return std::string(TERN_HOST_CC);
    if (auto found = llvm::sys::findProgramByName("cc"))
      return *found;
    error = "no C compiler to link the model library (looked for " TERN_HOST_CC " and cc)";
    return failure();
  }
  std::string cross = getToolchainTriple(target.getTriple().getValue()) + "-gcc";
  if (auto found = llvm::sys::findProgramByName(cross))
    return *found;
  error = "no linker for " + target.getTriple().getValue().str() + ": " + cross +
          " is not on PATH (Debian: apt install gcc-" + getToolchainTriple(target.getTriple().getValue()) +
          "); name one with --linker";
  return failure();
}

LogicalResult linkModelLibrary(Location loc, StringRef objectPath, StringRef wrapperPath,
                               StringRef outputPath, LLVM::TargetAttr target,
                               const CPUCodegenOptions &options) {
  std::string error;
  FailureOr<std::string> linker = findTargetLinker(target, options, error);
  if (failed(linker))
    return emitError(loc) << error;
  std::string compiler = *linker;
  bool openmp = !target || targetHasOpenMPRuntime(target);
  // Only the C ABI is exported, and references inside the library bind to
  // its own definitions: several models loaded into one process (Python, a
  // server) must not resolve each other's tern_model_main.
  SmallString<128> versionScript(wrapperPath);
  llvm::sys::path::replace_extension(versionScript, "map");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(versionScript, ec);
    if (ec)
      return emitError(loc) << "cannot write " << versionScript << ": " << ec.message();
    os << "{ global: tern_model_*; local: *; };\n";
  }
  std::string versionFlag = ("-Wl,--version-script=" + versionScript).str();
  SmallVector<StringRef> args = {compiler, "-shared", "-fPIC", "-O2", "-w", "-o", outputPath,
                                 wrapperPath, objectPath, "-Wl,-Bsymbolic", versionFlag};
  std::string sysroot = "--sysroot=" + options.sysroot;
  if (!options.sysroot.empty())
    args.push_back(sysroot);
  // clang drives every target: tell it which (gcc cross drivers know theirs).
  std::string clangTarget;
  if (target && !isHostCompatible(llvm::Triple(target.getTriple().getValue())) &&
      llvm::sys::path::filename(compiler).contains("clang")) {
    clangTarget = "--target=" + target.getTriple().getValue().str();
    args.push_back(clangTarget);
  }
  // On the host, OpenMP threads come from LLVM's libomp; the rpath lets the
  // library load without LD_LIBRARY_PATH. Other targets have no libomp of
  // theirs here: their row loops were made serial (see emitCPUCode).
  if (openmp)
    args.append({"-L" TERN_OMP_LIB_DIR, "-Wl,-rpath," TERN_OMP_LIB_DIR, "-lomp"});
  args.push_back("-lm");
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(compiler, args, std::nullopt, {}, 0, 0, &message);
  llvm::sys::fs::remove(versionScript);
  if (rc != 0)
    return emitError(loc) << "linking the model library failed (" << compiler << " exited with "
                          << rc << (message.empty() ? "" : ": " + message) << ")";
  return success();
}

} // namespace mlir::tern

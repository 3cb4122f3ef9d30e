//===- tern_cuda_launcher.cuh - the host launcher of a CUDA artifact -------===//
//
// Appended by the emitter to every generated model, after the kernels, the
// model's tern_forward (its launches in order) and its signature tables
// (input_info, output_info, input/output byte sizes and staging offsets,
// TERN_NUM_INPUTS, TERN_NUM_OUTPUTS, tern_weights_blob, tern_weights_bytes,
// tern_device_bytes). Exports the C ABI of include/tern/Runtime/tern_runtime.h
// plus tern_model_target/init/run_device/stream/release.
//
//===----------------------------------------------------------------------===//
static const char *const dtype_names[] = {"float32", "float64", "int64", "int32", "int8", "bool"};

struct TernState {
  std::mutex mutex;
  int ready = 0;
  char *arena = nullptr, *weights = nullptr;
  cudaStream_t stream = nullptr;
  // The launches captured once as a CUDA graph, for the pointers they were
  // captured with (a decode step is dozens of small launches: replaying a
  // graph removes most of their launch overhead). TERN_CUDA_GRAPHS=0: off.
  cudaGraphExec_t graph = nullptr;
  const void *graph_in[TERN_NUM_INPUTS + 1];
  void *graph_out[TERN_NUM_OUTPUTS + 1];
};
static TernState tern_state;

static int tern_use_graphs(void) {
  const char *e = getenv("TERN_CUDA_GRAPHS");
  return !(e && e[0] == '0') && !tern_sync_each;
}

/// tern_forward through a cached CUDA graph (captured again when the
/// buffers change).
static cudaError_t tern_forward_graph(const void *const *in, void *const *out, cudaStream_t s) {
  if (!tern_use_graphs())
    return tern_forward(tern_state.arena, tern_state.weights, in, out, s);
  bool same = tern_state.graph != nullptr;
  for (int i = 0; same && i < TERN_NUM_INPUTS; ++i)
    same = tern_state.graph_in[i] == in[i];
  for (int i = 0; same && i < TERN_NUM_OUTPUTS; ++i)
    same = tern_state.graph_out[i] == out[i];
  if (!same) {
    if (tern_state.graph) {
      cudaGraphExecDestroy(tern_state.graph);
      tern_state.graph = nullptr;
    }
    cudaError_t e = cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess)
      return e;
    cudaError_t fe = tern_forward(tern_state.arena, tern_state.weights, in, out, s);
    cudaGraph_t g = nullptr;
    e = cudaStreamEndCapture(s, &g);
    if (fe != cudaSuccess || e != cudaSuccess) {
      if (g)
        cudaGraphDestroy(g);
      return fe != cudaSuccess ? fe : e;
    }
    e = cudaGraphInstantiate(&tern_state.graph, g, 0);
    cudaGraphDestroy(g);
    if (e != cudaSuccess) {
      tern_state.graph = nullptr;
      return e;
    }
    for (int i = 0; i < TERN_NUM_INPUTS; ++i)
      tern_state.graph_in[i] = in[i];
    for (int i = 0; i < TERN_NUM_OUTPUTS; ++i)
      tern_state.graph_out[i] = out[i];
  }
  return cudaGraphLaunch(tern_state.graph, s);
}

static int tern_fail(char *error, size_t error_size, const char *what, cudaError_t e) {
  if (error && error_size)
    snprintf(error, error_size, "%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
  return 1;
}

/// A failure of tern_forward: names the launch or call that failed.
static int tern_fail_forward(char *error, size_t error_size, const char *what, cudaError_t e) {
  if (error && error_size)
    snprintf(error, error_size, "%s: %s failed: %s (%s)", what,
             tern_failed_at[0] ? tern_failed_at : "a launch", cudaGetErrorString(e),
             cudaGetErrorName(e));
  tern_failed_at = "";
  return 1;
}

#if TERN_NUM_INDEX_CHECKS
/// The first index a check found out of range in the run whose TernIndexError
/// word is `rec`: 2 and the message the CPU runtime gives, naming the node;
/// 0 when every index was in range.
static int tern_index_failure(const TernIndexError &rec, char *error, size_t error_size) {
  if (rec.check <= 0 || rec.check > TERN_NUM_INDEX_CHECKS)
    return 0;
  const long long dim = (long long)tern_index_check_dim[rec.check - 1];
  if (error && error_size)
    snprintf(error, error_size,
             "%s: index %lld is out of range for an axis of size %lld (valid: %lld to %lld)",
             tern_index_check_what[rec.check - 1], rec.index, dim, -dim, dim - 1);
  return 2;
}
#endif

/// Frees what init allocated (also after a partial init).
static void tern_release_locked(void) {
  if (tern_state.graph)
    cudaGraphExecDestroy(tern_state.graph);
  if (tern_state.arena)
    cudaFree(tern_state.arena);
  if (tern_state.weights)
    cudaFree(tern_state.weights);
  if (tern_state.stream)
    cudaStreamDestroy(tern_state.stream);
  tern_state.graph = nullptr;
  tern_state.arena = tern_state.weights = nullptr;
  tern_state.stream = nullptr;
  tern_state.ready = 0;
}

/// First use: find a GPU, allocate the arena, upload the weights once.
static int tern_init_locked(char *error, size_t error_size) {
  if (tern_state.ready)
    return 0;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    if (error && error_size)
      snprintf(error, error_size, "no CUDA GPU found (cudaGetDeviceCount: %s)",
               e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
    return 1;
  }
  int device = 0;
  if ((e = cudaGetDevice(&device)) != cudaSuccess)
    return tern_fail(error, error_size, "cudaGetDevice", e);
  int major = 0;
  if ((e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device)) != cudaSuccess)
    return tern_fail(error, error_size, "cudaDeviceGetAttribute(compute capability)", e);
  if (major < 8) {
    if (error && error_size)
      snprintf(error, error_size, "the CUDA GPU has compute capability %d.x; this model was built for sm_80 and newer", major);
    return 1;
  }
  if ((e = cudaDeviceGetAttribute(&tern_sm_count, cudaDevAttrMultiProcessorCount, device)) != cudaSuccess)
    return tern_fail(error, error_size, "cudaDeviceGetAttribute(multiprocessor count)", e);
  const char *sync = getenv("TERN_CUDA_SYNC");
  tern_sync_each = sync && sync[0] == '1';
  // On failure below, what was already created is freed again.
  const char *what = nullptr;
  if ((e = cudaStreamCreateWithFlags(&tern_state.stream, cudaStreamNonBlocking)) != cudaSuccess)
    what = "cudaStreamCreate";
  else if ((e = cudaMalloc((void **)&tern_state.arena, tern_device_bytes > 0 ? tern_device_bytes : 1)) != cudaSuccess)
    what = "allocating the activation arena";
  // Zeroed once: the counters of launches whose last block quantizes
  // (tern_last_block) start at zero and are reset by that block.
  else if ((e = cudaMemset(tern_state.arena, 0, tern_device_bytes > 0 ? tern_device_bytes : 1)) != cudaSuccess)
    what = "clearing the activation arena";
  else if ((e = cudaMalloc((void **)&tern_state.weights, tern_weights_bytes > 0 ? tern_weights_bytes : 1)) != cudaSuccess)
    what = "allocating device memory for the weights";
  else if ((e = tern_upload_weights(tern_state.weights)) != cudaSuccess)
    what = "uploading the weights";
  if (what) {
    tern_release_locked();
    return tern_fail(error, error_size, what, e);
  }
  tern_state.ready = 1;
  return 0;
}

static int shape_text(char *buf, size_t n, int32_t dtype, int32_t rank, const int64_t *shape) {
  size_t used = 0;
  buf[0] = 0;
  for (int32_t d = 0; d < rank && used < n; ++d)
    used += (size_t)snprintf(buf + used, n - used, "%lldx", (long long)shape[d]);
  if (used < n)
    snprintf(buf + used, n - used, "%s", dtype >= 0 && dtype <= 5 ? dtype_names[dtype] : "unknown-dtype");
  return 0;
}

static int check(const tern_tensor *t, const tern_tensor_info *want, const char *kind, int i,
                 char *error, size_t error_size) {
  int ok = t->data != 0 && t->dtype == want->dtype && t->rank == want->rank &&
           (t->rank == 0 || t->shape != 0);
  for (int32_t d = 0; ok && d < t->rank; ++d)
    ok = t->shape[d] == want->shape[d];
  if (ok)
    return 0;
  if (error && error_size) {
    char got[256], expected[256];
    shape_text(expected, sizeof expected, want->dtype, want->rank, want->shape);
    if (t->data == 0)
      snprintf(got, sizeof got, "a null data pointer");
    else
      shape_text(got, sizeof got, t->dtype, t->rank < 0 || t->rank > 32 ? 0 : t->rank, t->shape);
    snprintf(error, error_size, "%s %d '%s': expected %s, got %s", kind, i, want->name, expected, got);
  }
  return 1;
}

extern "C" {

int tern_model_num_inputs(void) { return TERN_NUM_INPUTS; }
int tern_model_num_outputs(void) { return TERN_NUM_OUTPUTS; }
const tern_tensor_info *tern_model_input_info(int i) {
  return i >= 0 && i < TERN_NUM_INPUTS ? &input_info[i] : 0;
}
const tern_tensor_info *tern_model_output_info(int i) {
  return i >= 0 && i < TERN_NUM_OUTPUTS ? &output_info[i] : 0;
}
/// The C ABI this artifact implements (TERN_MODEL_ABI_VERSION of tern_runtime.h).
int tern_model_abi_version(void) { return 1; }
/// "cuda": lets a loader tell this artifact from a CPU one.
const char *tern_model_target(void) { return "cuda"; }

/// Finds the GPU, allocates device memory and uploads the weights (run does
/// this on first use); returns 0, or non-zero with a message.
int tern_model_init(char *error, size_t error_size) {
  std::lock_guard<std::mutex> lock(tern_state.mutex);
  return tern_init_locked(error, error_size);
}

/// Host buffers in and out (checked like the CPU artifact): copies the inputs
/// to the device, runs every launch on the model's stream, copies the outputs
/// back and waits. Calls are serialized (one device arena per process).
int tern_model_run(const tern_tensor *inputs, int num_inputs, tern_tensor *outputs,
                   int num_outputs, char *error, size_t error_size) {
  if (num_inputs != TERN_NUM_INPUTS || num_outputs != TERN_NUM_OUTPUTS) {
    if (error && error_size)
      snprintf(error, error_size, "the model takes %d inputs and %d outputs, got %d and %d",
               TERN_NUM_INPUTS, TERN_NUM_OUTPUTS, num_inputs, num_outputs);
    return 1;
  }
  for (int i = 0; i < num_inputs; ++i)
    if (check(&inputs[i], &input_info[i], "input", i, error, error_size))
      return 1;
  for (int i = 0; i < num_outputs; ++i)
    if (check(&outputs[i], &output_info[i], "output", i, error, error_size))
      return 1;
  std::lock_guard<std::mutex> lock(tern_state.mutex);
  if (tern_init_locked(error, error_size))
    return 1;
  cudaStream_t s = tern_state.stream;
  const void *in[TERN_NUM_INPUTS + 1];
  void *out[TERN_NUM_OUTPUTS + 1];
  cudaError_t e = cudaSuccess;
  for (int i = 0; i < TERN_NUM_INPUTS; ++i) {
    in[i] = tern_state.arena + input_staging[i];
    if (e == cudaSuccess)
      e = cudaMemcpyAsync(tern_state.arena + input_staging[i], inputs[i].data, input_bytes[i],
                          cudaMemcpyHostToDevice, s);
  }
  for (int i = 0; i < TERN_NUM_OUTPUTS; ++i)
    out[i] = tern_state.arena + output_staging[i];
  if (e != cudaSuccess)
    return tern_fail(error, error_size, "copying the inputs to the GPU", e);
  if ((e = tern_forward_graph(in, out, s)) != cudaSuccess)
    return tern_fail_forward(error, error_size, "launching the model's kernels", e);
  for (int i = 0; i < TERN_NUM_OUTPUTS && e == cudaSuccess; ++i)
    e = cudaMemcpyAsync(outputs[i].data, out[i], output_bytes[i], cudaMemcpyDeviceToHost, s);
#if TERN_NUM_INDEX_CHECKS
  // The index checks' error word comes back with the outputs (same sync).
  TernIndexError rec = {0, 0};
  if (e == cudaSuccess)
    e = cudaMemcpyAsync(&rec, tern_state.arena + tern_index_error_offset, sizeof rec,
                        cudaMemcpyDeviceToHost, s);
#endif
  if (e == cudaSuccess)
    e = cudaStreamSynchronize(s);
  if (e != cudaSuccess)
    return tern_fail(error, error_size, "running the model on the GPU", e);
#if TERN_NUM_INDEX_CHECKS
  return tern_index_failure(rec, error, error_size);
#else
  return 0;
#endif
}

/// Device buffers in and out (dense, in graph order, sizes as in the
/// signature), enqueued on `stream` (null: the model's own stream) without
/// waiting: the decode loop of a caller that keeps its state on the GPU.
/// Not checked beyond the counts; one call at a time.
int tern_model_run_device(const void *const *inputs, int num_inputs, void *const *outputs,
                          int num_outputs, void *stream, char *error, size_t error_size) {
  if (num_inputs != TERN_NUM_INPUTS || num_outputs != TERN_NUM_OUTPUTS) {
    if (error && error_size)
      snprintf(error, error_size, "the model takes %d inputs and %d outputs, got %d and %d",
               TERN_NUM_INPUTS, TERN_NUM_OUTPUTS, num_inputs, num_outputs);
    return 1;
  }
  std::lock_guard<std::mutex> lock(tern_state.mutex);
  if (tern_init_locked(error, error_size))
    return 1;
  cudaStream_t s = stream ? (cudaStream_t)stream : tern_state.stream;
  cudaError_t e = tern_forward_graph(inputs, outputs, s);
  if (e != cudaSuccess)
    return tern_fail_forward(error, error_size, "launching the model's kernels", e);
  return 0;
}

/// Waits for the model's work on `stream` (null: the model's own stream) and
/// reports what tern_model_run reports after its run: 2 and the message when
/// an index check of the last run failed (tern_model_run_device does not
/// wait, so it cannot), 1 for a CUDA error, else 0.
int tern_model_sync(void *stream, char *error, size_t error_size) {
  std::lock_guard<std::mutex> lock(tern_state.mutex);
  if (!tern_state.ready)
    return 0;
  cudaStream_t s = stream ? (cudaStream_t)stream : tern_state.stream;
  cudaError_t e = cudaStreamSynchronize(s);
#if TERN_NUM_INDEX_CHECKS
  TernIndexError rec = {0, 0};
  if (e == cudaSuccess)
    e = cudaMemcpy(&rec, tern_state.arena + tern_index_error_offset, sizeof rec,
                   cudaMemcpyDeviceToHost);
#endif
  if (e != cudaSuccess)
    return tern_fail(error, error_size, "running the model on the GPU", e);
#if TERN_NUM_INDEX_CHECKS
  return tern_index_failure(rec, error, error_size);
#else
  return 0;
#endif
}

/// The model's stream (after init), for callers that synchronize on it.
void *tern_model_stream(void) { return tern_state.stream; }

/// Frees the device memory and the stream; a later run initializes again.
void tern_model_release(void) {
  std::lock_guard<std::mutex> lock(tern_state.mutex);
  tern_release_locked();
}

} // extern "C"

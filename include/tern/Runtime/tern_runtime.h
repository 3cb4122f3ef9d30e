/*===- tern_runtime.h - the C ABI of compiled Tern models -----------------===
 *
 * Every artifact `ternc compile --target=cpu` produces (a shared library)
 * exports these functions; its generated header repeats these declarations,
 * so a user needs only that header and the library.
 *
 *   int tern_model_abi_version(void);      (TERN_MODEL_ABI_VERSION below)
 *   int tern_model_num_inputs(void);
 *   int tern_model_num_outputs(void);
 *   const tern_tensor_info *tern_model_input_info(int i);
 *   const tern_tensor_info *tern_model_output_info(int i);
 *   int tern_model_run(const tern_tensor *inputs, int num_inputs,
 *                      tern_tensor *outputs, int num_outputs,
 *                      char *error, size_t error_size);
 *
 * Inputs and outputs are dense, C-order buffers owned by the caller, in graph
 * order. tern_model_run checks every count, rank, shape and dtype against the
 * model's signature before reading a byte, returns 0 on success and non-zero
 * with a message naming the tensor otherwise. Calls are re-entrant.
 *===----------------------------------------------------------------------===*/
#ifndef TERN_RUNTIME_TERN_RUNTIME_H
#define TERN_RUNTIME_TERN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this C ABI; a compiled model reports the one it implements
 * through tern_model_abi_version() and loaders refuse another. */
#define TERN_MODEL_ABI_VERSION 1

#ifndef TERN_ABI_TYPES_DEFINED
#define TERN_ABI_TYPES_DEFINED
typedef enum tern_dtype {
  TERN_F32 = 0,
  TERN_F64 = 1,
  TERN_I64 = 2,
  TERN_I32 = 3,
  TERN_I8 = 4,
  TERN_BOOL = 5, /* one byte per element, 0 or 1 */
  TERN_U8 = 6,
  TERN_I16 = 7,
  TERN_U16 = 8,
  TERN_F16 = 9, /* IEEE binary16 */
  TERN_U32 = 10,
  TERN_U64 = 11
} tern_dtype;

typedef struct tern_tensor {
  void *data;
  int32_t dtype; /* tern_dtype */
  int32_t rank;
  const int64_t *shape;
} tern_tensor;

typedef struct tern_tensor_info {
  const char *name;
  int32_t dtype; /* tern_dtype */
  int32_t rank;
  const int64_t *shape;
} tern_tensor_info;
#endif

#ifdef __cplusplus
}
#endif

#endif /* TERN_RUNTIME_TERN_RUNTIME_H */

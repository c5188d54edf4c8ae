/*
 * h5io processing-library ABI.
 *
 * A processing library is a shared object exporting the C symbols below. The
 * host (h5io run, h5io-worker) owns every buffer and does all HDF5 and MPI
 * work; the library only computes. Nothing here needs HDF5, MPI or ZeroMQ.
 *
 * Life of one library instance (one per MPI rank):
 *
 *   h5io_abi_version()                       must equal H5IO_ABI_VERSION
 *   h5io_init(&ctx, params, &nin, &nout)     library creates its context
 *   for i in 0..nin-1:
 *     request_input(ctx, i, &location)       where input i lives
 *     set_input_slice(ctx, i, &space, map)   which dimension is sliced
 *   for j in 0..nout-1:
 *     request_output(ctx, j, &location, &space)  per-slice shape, -1 grows
 *   describe_output(ctx, j, &n, &attributes)  optional: units, meaning,
 *                                            NeXus axes (below)
 *   [job_setup_slices, job_setup, apply_job_setup]  optional: a scan-wide
 *                                            step, once per job (below)
 *   process(ctx, slice, ...)  or  process_batch(ctx, first, count, ...)
 *   processing_complete(ctx)                 library frees its context
 *
 * Rules the host keeps:
 *   - Every call of one instance comes from the same thread, never two at a
 *     time (a GPU library may bind its device in h5io_init).
 *   - Any non-zero return is an error; the host then calls
 *     get_error_code(ctx, code) for text to show the user, and still calls
 *     processing_complete(ctx) once. processing_complete frees the context
 *     even when it fails; its own error text is asked for with ctx NULL.
 *   - Strings and arrays the library returns (locations, error texts) must
 *     stay valid until the next call on the same context; the host copies
 *     them at once.
 *   - Slice numbers are global (0 .. slice_count-1), whatever the rank.
 */
#ifndef H5IO_PLUGIN_H
#define H5IO_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of this header. */
#define H5IO_ABI_VERSION 1

/* Inputs are rank 1..4; this bound leaves room for per-slice output shapes. */
#define H5IO_MAX_RANK 8

#if defined(_WIN32)
#define H5IO_EXPORT __declspec(dllexport)
#else
#define H5IO_EXPORT __attribute__((visibility("default")))
#endif

/* Element types, delivered exactly as stored (in native byte order). */
typedef enum h5io_dtype {
  H5IO_DTYPE_INVALID = 0,
  H5IO_INT8 = 1,
  H5IO_UINT8 = 2,
  H5IO_INT16 = 3,
  H5IO_UINT16 = 4,
  H5IO_INT32 = 5,
  H5IO_UINT32 = 6,
  H5IO_INT64 = 7,
  H5IO_UINT64 = 8,
  H5IO_FLOAT32 = 9,
  H5IO_FLOAT64 = 10
} h5io_dtype_t;

/* A shape and element type. For set_input_slice it is the whole dataset; in
 * request_output it is one slice's shape with -1 at the dimension that grows
 * with the slice count (exactly one -1). */
typedef struct h5io_dataspace {
  int32_t rank;
  int64_t shape[H5IO_MAX_RANK];
  h5io_dtype_t dtype;
} h5io_dataspace_t;

/* A host-owned buffer of `count` slices stored back to back (slice-major,
 * C order). `space` is the shape of one slice: the input's shape with the
 * sliced dimension removed (the whole shape for unsliced inputs), or the
 * output's per-slice shape with the -1 dimension removed. */
typedef struct h5io_buffer {
  void* data;
  h5io_dataspace_t space;
  int64_t count;
  size_t slice_bytes;
} h5io_buffer_t;

/* One job parameter. `text` is always the value as the user wrote it; the
 * typed fields are filled according to `type`. */
typedef enum h5io_param_type {
  H5IO_PARAM_STRING = 0,
  H5IO_PARAM_INT = 1,   /* int_value, and float_value = (double)int_value */
  H5IO_PARAM_FLOAT = 2, /* float_value */
  H5IO_PARAM_BOOL = 3   /* int_value is 0 or 1 */
} h5io_param_type_t;

typedef struct h5io_param {
  const char* key;
  h5io_param_type_t type;
  const char* text;
  int64_t int_value;
  double float_value;
} h5io_param_t;

/* What the host tells a library at h5io_init. */
typedef struct h5io_global_params {
  int32_t abi_version; /* the host's H5IO_ABI_VERSION */
  int32_t rank;        /* this process within its worker group */
  int32_t num_ranks;
  int32_t local_rank; /* among the group's processes on this node: pick a GPU */
  int32_t local_ranks;
  const char* input_file; /* for messages and provenance; never open it */
  const char* job_id;     /* "" when run standalone */
  int32_t num_params;
  const h5io_param_t* params;
} h5io_global_params_t;

/* ---- Entry points a library exports --------------------------------------
 * Required: h5io_abi_version, h5io_init, request_input, set_input_slice,
 *           request_output, process (or process_batch), processing_complete,
 *           get_error_code.
 * Optional: h5io_plugin_version, process_batch (preferred when present),
 *           describe_output, and the scan-wide step: job_setup_slices,
 *           job_setup and apply_job_setup (all three or none).             */

typedef int (*h5io_abi_version_fn)(void);
typedef const char* (*h5io_plugin_version_fn)(void);

/* Create *context (may be NULL only if the library keeps no state), read the
 * parameters, say how many inputs and outputs the job has. */
typedef int (*h5io_init_fn)(void** context, const h5io_global_params_t* params, int* num_inputs,
                            int* num_outputs);

/* Location of input i: an HDF5 path inside the job's input file. */
typedef int (*h5io_request_input_fn)(void* context, int input_index, const char** dataset_location);

/* Given input i's dataspace, fill slicing_map[0..rank-1]: 1 for the one sliced
 * dimension, 0 for the dimensions kept whole. The host passes it zeroed; all
 * zeros means "give me the whole input with every slice". */
typedef int (*h5io_set_input_slice_fn)(void* context, int input_index,
                                       const h5io_dataspace_t* input_dataspace, int* slicing_map);

/* Location of output j in the output file, its per-slice shape and type. */
typedef int (*h5io_request_output_fn)(void* context, int output_index,
                                      const char** dataset_location,
                                      h5io_dataspace_t* output_dataspace);

/* Compute one slice. inputs[i].count and outputs[j].count are 1. Output
 * buffers arrive zero-filled. */
typedef int (*h5io_process_fn)(void* context, int64_t slice_number, int num_inputs,
                               const h5io_buffer_t* inputs, int num_outputs,
                               h5io_buffer_t* outputs);

/* Optional: compute slice_count consecutive slices starting at first_slice.
 * Sliced inputs and all outputs hold slice_count slices; whole inputs hold 1.
 * When exported, the host calls it instead of process. */
typedef int (*h5io_process_batch_fn)(void* context, int64_t first_slice, int64_t slice_count,
                                     int num_inputs, const h5io_buffer_t* inputs, int num_outputs,
                                     h5io_buffer_t* outputs);

/* Optional: attributes for output j (what the values mean, their units),
 * written on the output dataset when the job completes. Each is one
 * h5io_param_t: key = attribute name; STRING -> text, INT and BOOL -> int64,
 * FLOAT -> float64. Called once per output after request_output, and only
 * the answer of the group's rank 0 is written.
 *
 * NeXus. Every output file is a NeXus file (root -> /entry, an NXentry ->
 * an NXdata): each output is the signal of an NXdata group with an axis for
 * each dimension of the output as stored (the growing one included), and
 * the entry records the job in the NXprocess /entry/process. Keys that start
 * with "nexus:" are not attributes; they tell the host how to present the
 * output (the ABI version stays 1: a library that gives none gets index
 * axes, `slice` for the growing dimension and `dim<D>` for the others, and
 * output 0 as the default plot):
 *   nexus:axis<D>:name       STRING     the axis's name (a letter or '_', then
 *                                       letters, digits or '_'; at most 64)
 *   nexus:axis<D>:units      STRING     e.g. "um"
 *   nexus:axis<D>:long_name  STRING     the label viewers show
 *   nexus:axis<D>:scale      FLOAT/INT  step between neighbours (default 1)
 *   nexus:axis<D>:offset     FLOAT/INT  value at index 0 (default 0): the
 *                                       axis holds offset + scale * i
 *   nexus:default            BOOL       this output's NXdata is the entry's
 *                                       default plot (one output at most)
 *   nexus:definition         STRING     the entry's application definition,
 *                                       e.g. "NXtomoproc" (outputs agree)
 * D counts the output's dimensions as stored, 0 .. rank-1. An unknown
 * nexus: key, a D the output lacks, a bad name or a non-finite number is
 * refused when the job is set up, naming the library and the key. Outputs
 * may not be placed at /entry itself, nor at /entry/process, /entry/title,
 * /entry/definition, /entry/start_time or /entry/end_time, which h5io
 * writes. An output whose parent group is a direct child of /entry (e.g.
 * /entry/reconstruction/data) makes that group its NXdata (the first such
 * output of a group does); any other is hard-linked into an NXdata of its
 * own, /entry/<its path with '/' as '_'>, and given a `target` attribute
 * naming its own path (the NeXus convention for links). */
typedef int (*h5io_describe_output_fn)(void* context, int output_index, int* num_attributes,
                                       const h5io_param_t** attributes);

/* ---- Optional: a scan-wide step, once per job ------------------------------
 * Some decisions need more than one slice: a scan has one rotation axis, best
 * found from a few sinograms spread over the detector's height and then used
 * for every slice. A library that needs such a step exports all three entry
 * points below. Once per job, after describe_output and before any slice is
 * processed, the host:
 *   1. calls job_setup_slices on the group's rank-0 instance: the library
 *      writes up to H5IO_MAX_SETUP_SLICES distinct slice numbers in
 *      [0, slice_count), ascending, into `slices` and their number into
 *      *num_slices (0: it needs only the whole inputs);
 *   2. reads those slices of every sliced input and calls job_setup on the
 *      same instance: sliced inputs hold num_slices slices, in the order
 *      given, whole inputs hold 1 (as for process_batch). The library returns
 *      its findings as key/value results (at most 256; keys unique, at most
 *      255 bytes; `text` always set), valid until its next call; a STRING
 *      result named "warning", when not empty, is logged as a warning;
 *   3. calls apply_job_setup on every instance, rank 0's included, with
 *      rank 0's results: keys, types, texts and values copied exactly.
 * Every slice of the job is then processed with the same setup, whatever
 * the units, ranks or worker groups. The host keeps the results in the
 * partial output, so a job resumed by another group (or after a restart)
 * applies the same results without running the step again; the finished
 * output records them in its NXprocess (/entry/process/job_setup).
 * describe_output is asked again after apply_job_setup, and that answer is
 * the one written, so a library can describe its outputs with what the step
 * found. Whole inputs reach a library only with data (process, job_setup),
 * so the step is also how a value read from one (a pixel size) reaches
 * every instance before the outputs are described: ask for no slices and
 * return it as a result. A failure in job_setup or apply_job_setup fails the
 * job with the library's text. */
#define H5IO_MAX_SETUP_SLICES 64

typedef int (*h5io_job_setup_slices_fn)(void* context, int64_t slice_count, int* num_slices,
                                        int64_t* slices);

typedef int (*h5io_job_setup_fn)(void* context, int num_slices, const int64_t* slices,
                                 int num_inputs, const h5io_buffer_t* inputs, int* num_results,
                                 const h5io_param_t** results);

typedef int (*h5io_apply_job_setup_fn)(void* context, int num_results, const h5io_param_t* results);

/* Release everything the context holds, and the context itself. */
typedef int (*h5io_processing_complete_fn)(void* context);

/* Human-readable text for a non-zero return code (context may be NULL if
 * h5io_init failed before creating it). Never returns NULL. */
typedef const char* (*h5io_get_error_code_fn)(void* context, int error_code);

/* Prototypes, so a library's definitions are checked against this header.
 * The host loads these with dlsym and defines H5IO_HOST to leave them out. */
#ifndef H5IO_HOST
H5IO_EXPORT int h5io_abi_version(void);
H5IO_EXPORT const char* h5io_plugin_version(void);
H5IO_EXPORT int h5io_init(void** context, const h5io_global_params_t* params, int* num_inputs,
                          int* num_outputs);
H5IO_EXPORT int request_input(void* context, int input_index, const char** dataset_location);
H5IO_EXPORT int set_input_slice(void* context, int input_index,
                                const h5io_dataspace_t* input_dataspace, int* slicing_map);
H5IO_EXPORT int request_output(void* context, int output_index, const char** dataset_location,
                               h5io_dataspace_t* output_dataspace);
H5IO_EXPORT int process(void* context, int64_t slice_number, int num_inputs,
                        const h5io_buffer_t* inputs, int num_outputs, h5io_buffer_t* outputs);
H5IO_EXPORT int process_batch(void* context, int64_t first_slice, int64_t slice_count,
                              int num_inputs, const h5io_buffer_t* inputs, int num_outputs,
                              h5io_buffer_t* outputs);
H5IO_EXPORT int describe_output(void* context, int output_index, int* num_attributes,
                                const h5io_param_t** attributes);
H5IO_EXPORT int job_setup_slices(void* context, int64_t slice_count, int* num_slices,
                                 int64_t* slices);
H5IO_EXPORT int job_setup(void* context, int num_slices, const int64_t* slices, int num_inputs,
                          const h5io_buffer_t* inputs, int* num_results,
                          const h5io_param_t** results);
H5IO_EXPORT int apply_job_setup(void* context, int num_results, const h5io_param_t* results);
H5IO_EXPORT int processing_complete(void* context);
H5IO_EXPORT const char* get_error_code(void* context, int error_code);
#endif

/* Declares the version symbols in a library's source file:
 *   H5IO_DECLARE_PLUGIN("1.2.0")                                            */
#define H5IO_DECLARE_PLUGIN(version_string)                                                        \
  H5IO_EXPORT int h5io_abi_version(void) {                                                         \
    return H5IO_ABI_VERSION;                                                                       \
  }                                                                                                \
  H5IO_EXPORT const char* h5io_plugin_version(void) {                                              \
    return version_string;                                                                         \
  }

/* ---- Parameter helpers (header-only, so libraries need nothing else) ---- */

static inline const h5io_param_t* h5io_find_param(const h5io_global_params_t* g, const char* key) {
  for (int32_t i = 0; i < g->num_params; ++i)
    if (strcmp(g->params[i].key, key) == 0) return &g->params[i];
  return NULL;
}

/* Returns the first parameter whose key is not in `known` (n entries), or
 * NULL: lets a library reject misspelt parameters instead of ignoring them. */
static inline const h5io_param_t* h5io_first_unknown_param(const h5io_global_params_t* g,
                                                           const char* const* known, int n) {
  for (int32_t i = 0; i < g->num_params; ++i) {
    int found = 0;
    for (int k = 0; k < n && !found; ++k) found = strcmp(g->params[i].key, known[k]) == 0;
    if (!found) return &g->params[i];
  }
  return NULL;
}

static inline size_t h5io_dtype_size(h5io_dtype_t t) {
  switch (t) {
  case H5IO_INT8:
  case H5IO_UINT8: return 1;
  case H5IO_INT16:
  case H5IO_UINT16: return 2;
  case H5IO_INT32:
  case H5IO_UINT32:
  case H5IO_FLOAT32: return 4;
  case H5IO_INT64:
  case H5IO_UINT64:
  case H5IO_FLOAT64: return 8;
  default: return 0;
  }
}

#ifdef __cplusplus
}
#endif

#endif /* H5IO_PLUGIN_H */

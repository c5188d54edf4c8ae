/* A test library whose shape and failures are chosen by parameters, so one
 * library covers the host's checks:
 *
 *   inputs=LOC:AXIS[,LOC:AXIS...]  input locations; AXIS a dimension or 'w'
 *                                  for whole (default "/data:0")
 *   output_shape=S[,S...]          per-slice output shape (default "-1")
 *   output_dtype=N                 h5io_dtype_t code (default float64)
 *   outputs=N                      number of outputs, all alike, at /result/out0..
 *   output_group=PATH              put the outputs under PATH instead of /result
 *   fail_in=ENTRY                  h5io_init, request_input, set_input_slice,
 *                                  request_output, process, processing_complete
 *   fail_at=SLICE                  with fail_in=process: the failing slice
 *   fail_rank=R                    only rank R fails (default: every rank)
 *   crash_at=SLICE                 die of SIGSEGV on that slice
 *   crash_in=ENTRY, hang_in=ENTRY  die of SIGSEGV in, or never return from,
 *                                  that entry point (as fail_in names them)
 *   sleep_ms=N                     take N ms over each slice (a slow library)
 *   fill=convert                   each output slice is input 0's slice
 *                                  converted to the output's type (float32 or
 *                                  float64; as many values): the naive h5py
 *                                  loop's `astype`, for bench/end_to_end_bench.py
 *   init_sleep_ms=N                take N ms in h5io_init (a library slow to
 *                                  start, e.g. loading a model)
 *   poison_file=PATH               from the moment PATH exists, every slice's
 *                                  result is -1: a test that stops a group and
 *                                  creates PATH before continuing it sees any
 *                                  result the group writes afterwards
 *   message=TEXT                   the error text (default "configured failure")
 *   describe=ok|many|repeat        describe_output gives three attributes
 *                                  (units, scale, bins), 300, or a repeated name
 *   describe=nexus                 units and NeXus hints: dimension 0 is
 *                                  `position` in mm, -2 + 0.5 i; the last
 *                                  output is the entry's default
 *   describe=nexus_unknown|nexus_dimension|nexus_defaults
 *                                  a misspelt nexus: key, an axis of dimension
 *                                  3, or every output marked the default
 *
 * Output j holds, per slice, the sum of input 0's slice in its first element.
 * Built four times: as is, with WRONG_ABI (claims ABI 999), with NO_PROCESS
 * (exports neither process nor process_batch) and with JOB_SETUP (library
 * `job_setup`: also the scan-wide step, below).
 *
 * With JOB_SETUP, fail_in, crash_in and hang_in also take job_setup_slices,
 * job_setup and apply_job_setup, and:
 *   setup_slices=S[,S...]|all  the slices job_setup_slices asks for, as given
 *                              (unchecked: the host must refuse bad lists);
 *                              default every 8th slice
 *   setup_warning=TEXT         job_setup adds a STRING result "warning"
 *   setup_results=repeat       job_setup returns a repeated key
 * job_setup returns "mean" (FLOAT: the mean of every value of input 0 in the
 * requested slices), "slices" (INT: how many), "first" (STRING: the first
 * slice number), "exact" (BOOL 1); apply_job_setup checks them and keeps the
 * mean, and every slice's output is then that mean (not the slice's sum), so
 * a test sees which setup each rank applied. */
#define _POSIX_C_SOURCE 200809L /* nanosleep, access, pause */
#include "h5io_plugin.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef WRONG_ABI
int h5io_abi_version(void) {
  return 999;
}
#else
int h5io_abi_version(void) {
  return H5IO_ABI_VERSION;
}
#endif

#define MAX_INPUTS 8

typedef struct {
  int num_inputs;
  char location[MAX_INPUTS][128];
  int axis[MAX_INPUTS]; /* -1 whole */
  int out_rank;
  int64_t out_shape[H5IO_MAX_RANK];
  int out_dtype;
  int num_outputs;
  char out_location[8][64];
  char fail_in[32];
  char crash_in[32];
  char hang_in[32];
  int64_t fail_at;
  int64_t crash_at;
  int64_t sleep_ms;
  int fill_convert;
  char poison_file[256];
  int fails_here;
  char message[256];
  char error[512];
  char describe[16];
  h5io_param_t attributes[6];
#ifdef JOB_SETUP
  char setup_slices[512];
  char setup_warning[256];
  char setup_results[16];
  char result_texts[3][64];
  h5io_param_t results[5];
  int applied;
  double applied_mean;
#endif
} context_t;

static int failure(context_t* ctx, const char* text) {
  snprintf(ctx->error, sizeof(ctx->error), "%s", text);
  return 7;
}

static int configured_failure(context_t* ctx, const char* entry) {
  if (strcmp(ctx->crash_in, entry) == 0) raise(SIGSEGV);
  while (strcmp(ctx->hang_in, entry) == 0) pause();
  if (ctx->fails_here && strcmp(ctx->fail_in, entry) == 0) return failure(ctx, ctx->message);
  return 0;
}

static const char* text_param(const h5io_global_params_t* g, const char* key, const char* def) {
  const h5io_param_t* p = h5io_find_param(g, key);
  return p ? p->text : def;
}

static void sleep_for_ms(int64_t ms) {
  if (ms <= 0) return;
  const struct timespec nap = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&nap, NULL);
}

int h5io_init(void** context, const h5io_global_params_t* g, int* num_inputs, int* num_outputs) {
  context_t* ctx = calloc(1, sizeof(context_t));
  *context = ctx;
  if (ctx == NULL) return 1;
  snprintf(ctx->message, sizeof(ctx->message), "%s",
           text_param(g, "message", "configured failure"));
  snprintf(ctx->fail_in, sizeof(ctx->fail_in), "%s", text_param(g, "fail_in", ""));
  snprintf(ctx->crash_in, sizeof(ctx->crash_in), "%s", text_param(g, "crash_in", ""));
  snprintf(ctx->hang_in, sizeof(ctx->hang_in), "%s", text_param(g, "hang_in", ""));
  ctx->fail_at = atoll(text_param(g, "fail_at", "0"));
  ctx->crash_at = atoll(text_param(g, "crash_at", "-1"));
  ctx->sleep_ms = atoll(text_param(g, "sleep_ms", "0"));
  const char* fill = text_param(g, "fill", "sum");
  if (strcmp(fill, "convert") != 0 && strcmp(fill, "sum") != 0)
    return failure(ctx, "fill is 'sum' (the default) or 'convert'");
  ctx->fill_convert = strcmp(fill, "convert") == 0;
  sleep_for_ms(atoll(text_param(g, "init_sleep_ms", "0")));
  snprintf(ctx->poison_file, sizeof(ctx->poison_file), "%s", text_param(g, "poison_file", ""));
  snprintf(ctx->describe, sizeof(ctx->describe), "%s", text_param(g, "describe", ""));
#ifdef JOB_SETUP
  snprintf(ctx->setup_slices, sizeof(ctx->setup_slices), "%s", text_param(g, "setup_slices", ""));
  snprintf(ctx->setup_warning, sizeof(ctx->setup_warning), "%s",
           text_param(g, "setup_warning", ""));
  snprintf(ctx->setup_results, sizeof(ctx->setup_results), "%s",
           text_param(g, "setup_results", ""));
#endif
  const h5io_param_t* rank = h5io_find_param(g, "fail_rank");
  ctx->fails_here = rank == NULL || rank->int_value == g->rank;

  char list[1024];
  snprintf(list, sizeof(list), "%s", text_param(g, "inputs", "/data:0"));
  for (char* item = strtok(list, ","); item && ctx->num_inputs < MAX_INPUTS;
       item = strtok(NULL, ",")) {
    char* colon = strrchr(item, ':');
    if (colon == NULL) return failure(ctx, "inputs entries are LOCATION:AXIS");
    *colon = '\0';
    snprintf(ctx->location[ctx->num_inputs], 128, "%s", item);
    ctx->axis[ctx->num_inputs] = colon[1] == 'w' ? -1 : atoi(colon + 1);
    ctx->num_inputs++;
  }
  snprintf(list, sizeof(list), "%s", text_param(g, "output_shape", "-1"));
  for (char* item = strtok(list, ","); item && ctx->out_rank < H5IO_MAX_RANK;
       item = strtok(NULL, ","))
    ctx->out_shape[ctx->out_rank++] = atoll(item);
  ctx->out_dtype = atoi(text_param(g, "output_dtype", "10"));
  ctx->num_outputs = atoi(text_param(g, "outputs", "1"));
  if (ctx->num_outputs > 8) ctx->num_outputs = 8;
  const char* group = text_param(g, "output_group", "/result");
  for (int j = 0; j < ctx->num_outputs; ++j)
    snprintf(ctx->out_location[j], 64, "%.20s/out%d", group, j);
  const h5io_param_t* same = h5io_find_param(g, "same_output_location");
  if (same != NULL && same->int_value)
    for (int j = 0; j < ctx->num_outputs; ++j) snprintf(ctx->out_location[j], 64, "/result/out");

  *num_inputs = ctx->num_inputs;
  *num_outputs = ctx->num_outputs;
  return configured_failure(ctx, "h5io_init");
}

int request_input(void* context, int i, const char** location) {
  context_t* ctx = context;
  *location = ctx->location[i];
  return configured_failure(ctx, "request_input");
}

int set_input_slice(void* context, int i, const h5io_dataspace_t* space, int* map) {
  context_t* ctx = context;
  if (ctx->axis[i] >= space->rank) return failure(ctx, "axis beyond the input's rank");
  if (ctx->axis[i] >= 0) map[ctx->axis[i]] = 1;
  return configured_failure(ctx, "set_input_slice");
}

int request_output(void* context, int j, const char** location, h5io_dataspace_t* space) {
  context_t* ctx = context;
  *location = ctx->out_location[j];
  space->rank = ctx->out_rank;
  memcpy(space->shape, ctx->out_shape, sizeof(ctx->out_shape));
  space->dtype = (h5io_dtype_t)ctx->out_dtype;
  return configured_failure(ctx, "request_output");
}

#ifndef NO_PROCESS
static double sum_of(const h5io_buffer_t* b) {
  int64_t n = 1;
  for (int d = 0; d < b->space.rank; ++d) n *= b->space.shape[d];
  double s = 0;
  for (int64_t k = 0; k < n; ++k) switch (b->space.dtype) {
    case H5IO_UINT8: s += ((const uint8_t*)b->data)[k]; break;
    case H5IO_INT8: s += ((const int8_t*)b->data)[k]; break;
    case H5IO_UINT16: s += ((const uint16_t*)b->data)[k]; break;
    case H5IO_INT16: s += ((const int16_t*)b->data)[k]; break;
    case H5IO_UINT32: s += ((const uint32_t*)b->data)[k]; break;
    case H5IO_INT32: s += ((const int32_t*)b->data)[k]; break;
    case H5IO_UINT64: s += (double)((const uint64_t*)b->data)[k]; break;
    case H5IO_INT64: s += (double)((const int64_t*)b->data)[k]; break;
    case H5IO_FLOAT32: s += ((const float*)b->data)[k]; break;
    case H5IO_FLOAT64: s += ((const double*)b->data)[k]; break;
    default: break;
    }
  return s;
}

static int64_t values_of(const h5io_buffer_t* b) {
  int64_t n = 1;
  for (int d = 0; d < b->space.rank; ++d) n *= b->space.shape[d];
  return n;
}

/* One loop per pair of types, so that the compiler can vectorise each. */
#define CONVERT_LOOP(FROM, TO)                                                                     \
  for (int64_t k = 0; k < n; ++k) ((TO*)to->data)[k] = (TO)((const FROM*)from->data)[k];

#define CONVERT_FROM(FROM)                                                                         \
  if (to->space.dtype == H5IO_FLOAT32) {                                                           \
    CONVERT_LOOP(FROM, float)                                                                      \
  } else {                                                                                         \
    CONVERT_LOOP(FROM, double)                                                                     \
  }                                                                                                \
  return 0;

static int convert(context_t* ctx, const h5io_buffer_t* from, h5io_buffer_t* to) {
  const int64_t n = values_of(from);
  if (values_of(to) != n)
    return failure(ctx, "fill=convert needs output slices of as many values as input 0's");
  if (to->space.dtype != H5IO_FLOAT32 && to->space.dtype != H5IO_FLOAT64)
    return failure(ctx, "fill=convert writes float32 or float64 outputs (output_dtype 9 or 10)");
  switch (from->space.dtype) {
  case H5IO_UINT8: CONVERT_FROM(uint8_t)
  case H5IO_INT8: CONVERT_FROM(int8_t)
  case H5IO_UINT16: CONVERT_FROM(uint16_t)
  case H5IO_INT16: CONVERT_FROM(int16_t)
  case H5IO_UINT32: CONVERT_FROM(uint32_t)
  case H5IO_INT32: CONVERT_FROM(int32_t)
  case H5IO_UINT64: CONVERT_FROM(uint64_t)
  case H5IO_INT64: CONVERT_FROM(int64_t)
  case H5IO_FLOAT32: CONVERT_FROM(float)
  case H5IO_FLOAT64: CONVERT_FROM(double)
  default: return failure(ctx, "fill=convert: input 0 has a type this library does not know");
  }
}

int process(void* context, int64_t slice, int num_inputs, const h5io_buffer_t* inputs,
            int num_outputs, h5io_buffer_t* outputs) {
  context_t* ctx = context;
  (void)num_inputs;
  if (slice == ctx->crash_at) {
    raise(SIGSEGV); /* as a buggy library would die */
  }
  if (ctx->fails_here && strcmp(ctx->fail_in, "process") == 0 && slice == ctx->fail_at)
    return failure(ctx, ctx->message);
  sleep_for_ms(ctx->sleep_ms);
  if (ctx->fill_convert) {
    for (int j = 0; j < num_outputs; ++j) {
      const int rc = convert(ctx, &inputs[0], &outputs[j]);
      if (rc != 0) return rc;
    }
    return 0;
  }
  /* Looked at after the sleep: a group stopped mid-slice sees it on waking. */
  const int poisoned = ctx->poison_file[0] != '\0' && access(ctx->poison_file, F_OK) == 0;
  double s = poisoned ? -1.0 : sum_of(&inputs[0]);
#ifdef JOB_SETUP
  if (!ctx->applied) return failure(ctx, "process before apply_job_setup");
  s = ctx->applied_mean;
#endif
  for (int j = 0; j < num_outputs; ++j) {
    if (outputs[j].space.dtype == H5IO_FLOAT64 && outputs[j].slice_bytes >= sizeof(double))
      memcpy(outputs[j].data, &s, sizeof(double));
  }
  return 0;
}
#endif

/* describe=nexus...: the NeXus hints of h5io_plugin.h, right and wrong. */
static int describe_nexus(context_t* ctx, int j, int* num_attributes,
                          const h5io_param_t** attributes) {
  const h5io_param_t hints[6] = {{"units", H5IO_PARAM_STRING, "counts", 0, 0.0},
                                 {"nexus:axis0:name", H5IO_PARAM_STRING, "position", 0, 0.0},
                                 {"nexus:axis0:units", H5IO_PARAM_STRING, "mm", 0, 0.0},
                                 {"nexus:axis0:scale", H5IO_PARAM_FLOAT, "0.5", 0, 0.5},
                                 {"nexus:axis0:offset", H5IO_PARAM_INT, "-2", -2, -2.0},
                                 {"nexus:default", H5IO_PARAM_BOOL, "true", 1, 1.0}};
  memcpy(ctx->attributes, hints, sizeof(hints));
  *num_attributes = j == ctx->num_outputs - 1 ? 6 : 5;
  if (strcmp(ctx->describe, "nexus_unknown") == 0) {
    ctx->attributes[1].key = "nexus:axes";
  } else if (strcmp(ctx->describe, "nexus_dimension") == 0) {
    ctx->attributes[1].key = "nexus:axis3:name";
  } else if (strcmp(ctx->describe, "nexus_defaults") == 0) {
    *num_attributes = 6;
  }
  *attributes = ctx->attributes;
  return configured_failure(ctx, "describe_output");
}

int describe_output(void* context, int j, int* num_attributes, const h5io_param_t** attributes) {
  context_t* ctx = context;
  if (strncmp(ctx->describe, "nexus", 5) == 0)
    return describe_nexus(ctx, j, num_attributes, attributes);
  const h5io_param_t units = {"units", H5IO_PARAM_STRING, "counts", 0, 0.0};
  const h5io_param_t scale = {"scale", H5IO_PARAM_FLOAT, "2.5", 0, 2.5};
  const h5io_param_t bins = {"bins", H5IO_PARAM_INT, "7", 7, 7.0};
  ctx->attributes[0] = units;
  ctx->attributes[1] = strcmp(ctx->describe, "repeat") == 0 ? units : scale;
  ctx->attributes[2] = bins;
  *attributes = ctx->attributes;
  *num_attributes = ctx->describe[0] == '\0' ? 0 : strcmp(ctx->describe, "many") == 0 ? 300 : 3;
  return configured_failure(ctx, "describe_output");
}

#ifdef JOB_SETUP
int job_setup_slices(void* context, int64_t slice_count, int* num_slices, int64_t* slices) {
  context_t* ctx = context;
  int n = 0;
  if (ctx->setup_slices[0] == '\0') {
    for (int64_t s = 0; s < slice_count && n < H5IO_MAX_SETUP_SLICES; s += 8) slices[n++] = s;
  } else if (strcmp(ctx->setup_slices, "all") == 0) {
    /* Says all, writes no more than the host's array holds. */
    for (int64_t s = 0; s < slice_count && s < H5IO_MAX_SETUP_SLICES; ++s) slices[s] = s;
    n = (int)slice_count;
  } else {
    char list[512];
    snprintf(list, sizeof(list), "%s", ctx->setup_slices);
    for (char* item = strtok(list, ","); item && n < H5IO_MAX_SETUP_SLICES;
         item = strtok(NULL, ","))
      slices[n++] = atoll(item);
  }
  *num_slices = n;
  return configured_failure(ctx, "job_setup_slices");
}

int job_setup(void* context, int num_slices, const int64_t* slices, int num_inputs,
              const h5io_buffer_t* inputs, int* num_results, const h5io_param_t** results) {
  context_t* ctx = context;
  (void)num_inputs;
  if (inputs[0].count != num_slices) return failure(ctx, "job_setup got the wrong slice count");
  double total = 0;
  int64_t values = 1;
  for (int d = 0; d < inputs[0].space.rank; ++d) values *= inputs[0].space.shape[d];
  for (int k = 0; k < num_slices; ++k) {
    h5io_buffer_t one = inputs[0];
    one.data = (char*)inputs[0].data + (size_t)k * inputs[0].slice_bytes;
    total += sum_of(&one);
  }
  const double mean = num_slices > 0 ? total / (double)(values * num_slices) : 0.0;
  snprintf(ctx->result_texts[0], 64, "%.17g", mean);
  snprintf(ctx->result_texts[1], 64, "%d", num_slices);
  snprintf(ctx->result_texts[2], 64, "%lld", num_slices > 0 ? (long long)slices[0] : -1LL);
  const h5io_param_t mean_result = {"mean", H5IO_PARAM_FLOAT, ctx->result_texts[0], 0, mean};
  const h5io_param_t count_result = {"slices", H5IO_PARAM_INT, ctx->result_texts[1], num_slices,
                                     (double)num_slices};
  const h5io_param_t first_result = {strcmp(ctx->setup_results, "repeat") == 0 ? "mean" : "first",
                                     H5IO_PARAM_STRING, ctx->result_texts[2], 0, 0.0};
  const h5io_param_t exact_result = {"exact", H5IO_PARAM_BOOL, "true", 1, 1.0};
  const h5io_param_t warning_result = {"warning", H5IO_PARAM_STRING, ctx->setup_warning, 0, 0.0};
  ctx->results[0] = mean_result;
  ctx->results[1] = count_result;
  ctx->results[2] = first_result;
  ctx->results[3] = exact_result;
  ctx->results[4] = warning_result;
  *results = ctx->results;
  *num_results = ctx->setup_warning[0] != '\0' ? 5 : 4;
  return configured_failure(ctx, "job_setup");
}

int apply_job_setup(void* context, int num_results, const h5io_param_t* results) {
  context_t* ctx = context;
  int found = 0;
  for (int i = 0; i < num_results; ++i) {
    if (strcmp(results[i].key, "mean") == 0 && results[i].type == H5IO_PARAM_FLOAT) {
      ctx->applied_mean = results[i].float_value;
      found |= 1;
    }
    if (strcmp(results[i].key, "exact") == 0 && results[i].type == H5IO_PARAM_BOOL &&
        results[i].int_value == 1 && strcmp(results[i].text, "true") == 0)
      found |= 2;
  }
  if (found != 3) return failure(ctx, "apply_job_setup: the results are not what job_setup gave");
  ctx->applied = 1;
  return configured_failure(ctx, "apply_job_setup");
}
#endif

int processing_complete(void* context) {
  context_t* ctx = context;
  const int failed = ctx->fails_here && strcmp(ctx->fail_in, "processing_complete") == 0;
  free(ctx);
  return failed ? 9 : 0;
}

const char* get_error_code(void* context, int code) {
  context_t* ctx = context;
  if (ctx == NULL) return code == 9 ? "configured failure in processing_complete" : "no context";
  return ctx->error[0] ? ctx->error : "configured failure";
}

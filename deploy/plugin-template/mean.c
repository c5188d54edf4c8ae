/* The mean of every slice of /entry/data/data (README.md, "Writing a
 * processing library"): one double per slice in /result/mean, which the
 * output file's NeXus tree shows against the detector row. */
#include "h5io_plugin.h"

#include <stdint.h>

H5IO_DECLARE_PLUGIN("1.0")

int h5io_init(void** ctx, const h5io_global_params_t* g, int* nin, int* nout) {
  (void)g;
  *ctx = NULL;
  *nin = 1;
  *nout = 1;
  return 0;
}

int request_input(void* ctx, int i, const char** where) {
  (void)ctx;
  (void)i;
  *where = "/entry/data/data";
  return 0;
}

int set_input_slice(void* ctx, int i, const h5io_dataspace_t* s, int* map) {
  (void)ctx;
  (void)i;
  (void)s;
  map[1] = 1;
  return 0;
}

int request_output(void* ctx, int j, const char** where, h5io_dataspace_t* s) {
  (void)ctx;
  (void)j;
  *where = "/result/mean";
  s->rank = 1;
  s->shape[0] = -1;
  s->dtype = H5IO_FLOAT64;
  return 0;
}

/* Optional: what the output means, written as its attributes, and its axis
 * in the output's NeXus tree (h5io_plugin.h, "NeXus"): viewers plot the
 * mean against the detector row. Keys starting with "nexus:" are for h5io,
 * not attributes; a library that says nothing still gets index axes. */
int describe_output(void* ctx, int j, int* n, const h5io_param_t** attributes) {
  static const h5io_param_t described[] = {
      {"units", H5IO_PARAM_STRING, "counts", 0, 0.0},
      {"long_name", H5IO_PARAM_STRING, "mean of the row (counts)", 0, 0.0},
      {"nexus:axis0:name", H5IO_PARAM_STRING, "row", 0, 0.0},
      {"nexus:axis0:long_name", H5IO_PARAM_STRING, "detector row", 0, 0.0}};
  (void)ctx;
  (void)j;
  *n = 4;
  *attributes = described;
  return 0;
}

int process(void* ctx, int64_t slice, int nin, const h5io_buffer_t* in, int nout,
            h5io_buffer_t* out) {
  (void)ctx;
  (void)slice;
  (void)nin;
  (void)nout;
  const uint16_t* v = in[0].data;
  const int64_t n = in[0].space.shape[0] * in[0].space.shape[1];
  double s = 0;
  for (int64_t k = 0; k < n; ++k) s += v[k];
  *(double*)out[0].data = s / (double)n;
  return 0;
}

int processing_complete(void* ctx) {
  (void)ctx;
  return 0;
}

const char* get_error_code(void* ctx, int code) {
  (void)ctx;
  (void)code;
  return "mean failed";
}

/* The example library of the 2011 talk that started h5io, as a test: three
 * inputs sliced differently and one output whose growing dimension is last.
 *
 *   input 0  /data/imagedata     [1024, 1024, 5] uint16   map [0, 0, 1]
 *   input 1  /data/darkdata      [1024, 5]       float32  map [0, 1]
 *   input 2  /data/motorposition [25, 30]        float64  map [0, 0] (whole)
 *   output   output/data         [512, 512, -1]  int32
 *
 *   out[i][j] = floor(sum over a,b in {0,1} of (image[2i+a][2j+b] - dark[2j+b])
 *                     + motor[slice % 25][(i + j) % 30])
 *
 * The sum runs in double, in the order (0,0), (0,1), (1,0), (1,1), so an
 * independent numpy computation reproduces it exactly. Every call checks the
 * shapes the host delivers and fails with a message if they are wrong. */
#include "h5io_plugin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

H5IO_DECLARE_PLUGIN("1.0.0")

typedef struct {
  char error[256];
} context_t;

static int failure(context_t* ctx, const char* text) {
  snprintf(ctx->error, sizeof(ctx->error), "%s", text);
  return 1;
}

int h5io_init(void** context, const h5io_global_params_t* params, int* num_inputs,
              int* num_outputs) {
  context_t* ctx = calloc(1, sizeof(context_t));
  *context = ctx;
  if (ctx == NULL) return 2;
  if (params->num_params != 0) return failure(ctx, "talk_example takes no parameters");
  *num_inputs = 3;
  *num_outputs = 1;
  return 0;
}

int request_input(void* context, int input_index, const char** dataset_location) {
  static const char* const locations[] = {"/data/imagedata", "/data/darkdata",
                                          "/data/motorposition"};
  if (input_index < 0 || input_index > 2) return failure(context, "no such input");
  *dataset_location = locations[input_index];
  return 0;
}

int set_input_slice(void* context, int input_index, const h5io_dataspace_t* space,
                    int* slicing_map) {
  switch (input_index) {
  case 0:
    if (space->rank != 3 || space->dtype != H5IO_UINT16)
      return failure(context, "imagedata must be 3-D uint16");
    slicing_map[2] = 1;
    return 0;
  case 1:
    if (space->rank != 2 || space->dtype != H5IO_FLOAT32)
      return failure(context, "darkdata must be 2-D float32");
    slicing_map[1] = 1;
    return 0;
  case 2:
    if (space->rank != 2 || space->dtype != H5IO_FLOAT64)
      return failure(context, "motorposition must be 2-D float64");
    return 0; /* whole */
  default: return failure(context, "no such input");
  }
}

int request_output(void* context, int output_index, const char** dataset_location,
                   h5io_dataspace_t* space) {
  if (output_index != 0) return failure(context, "no such output");
  *dataset_location = "output/data";
  space->rank = 3;
  space->shape[0] = 512;
  space->shape[1] = 512;
  space->shape[2] = -1;
  space->dtype = H5IO_INT32;
  return 0;
}

int process(void* context, int64_t slice_number, int num_inputs, const h5io_buffer_t* inputs,
            int num_outputs, h5io_buffer_t* outputs) {
  if (num_inputs != 3 || num_outputs != 1) return failure(context, "wrong buffer counts");
  const h5io_buffer_t *image = &inputs[0], *dark = &inputs[1], *motor = &inputs[2];
  if (image->space.rank != 2 || image->space.shape[0] != 1024 || image->space.shape[1] != 1024 ||
      image->count != 1)
    return failure(context, "image slice is not [1024, 1024]");
  if (dark->space.rank != 1 || dark->space.shape[0] != 1024 || dark->count != 1)
    return failure(context, "dark slice is not [1024]");
  if (motor->space.rank != 2 || motor->space.shape[0] != 25 || motor->space.shape[1] != 30)
    return failure(context, "motor positions are not [25, 30]");
  if (outputs[0].space.rank != 2 || outputs[0].space.shape[0] != 512 ||
      outputs[0].space.shape[1] != 512)
    return failure(context, "output slice is not [512, 512]");

  const uint16_t* img = image->data;
  const float* drk = dark->data;
  const double* mot = motor->data;
  int32_t* out = outputs[0].data;
  const double* motor_row = mot + (slice_number % 25) * 30;
  for (int i = 0; i < 512; ++i)
    for (int j = 0; j < 512; ++j) {
      double sum = 0.0;
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
          sum += (double)img[(2 * i + a) * 1024 + 2 * j + b] - (double)drk[2 * j + b];
      out[i * 512 + j] = (int32_t)floor(sum + motor_row[(i + j) % 30]);
    }
  return 0;
}

int processing_complete(void* context) {
  free(context);
  return 0;
}

const char* get_error_code(void* context, int error_code) {
  context_t* ctx = context;
  if (ctx != NULL && ctx->error[0] != '\0') return ctx->error;
  return error_code == 2 ? "out of memory" : "talk_example failed";
}

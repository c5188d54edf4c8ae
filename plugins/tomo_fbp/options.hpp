#pragma once
// The job parameters of tomo_fbp, read once from the host's parameter list
// and checked before any data are touched, so a misspelt key or a bad value
// fails the job at start with a message naming the parameter.

#include "h5io_plugin.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace h5io::fbp {

enum class FilterKind { ramp, shepp_logan, cosine, hamming, hann, parzen };
enum class Padding { edge, zero };
enum class Rings { none, sort };
// Where the reconstruction runs: `automatic` takes a GPU when the library
// was built with CUDA and one is visible, the CPU otherwise.
enum class Device { automatic, cpu, gpu };
// How a slice is reconstructed: filtered back-projection, direct Fourier
// inversion by gridding (fourier_reconstructor.hpp; CPU only), or
// `automatic` (method=auto, the default): whichever is faster for the scan's
// size on this device (resolve_method).
enum class Method { fbp, fourier, automatic };

// The rotation axis the scan-wide step fitted (axis_fit.hpp): slice (detector
// row) r is reconstructed about column intercept + slope * r, and every
// slice is back-projected about kernel_center (the fit at the middle row),
// the difference applied as a shift of its filtered projections.
struct AxisLine {
  double intercept = 0;     // the axis's column at row 0
  double slope = 0;         // columns per row; exactly 0 for one centre
  double kernel_center = 0; // the back-projection geometry's centre
  double at(int64_t row) const { return intercept + slope * static_cast<double>(row); }
};

// How the centre is chosen: given (parameter center=NUMBER), fitted once
// per scan (center=auto, the default) or searched in every slice on its own
// (center=auto-per-slice: the old behaviour, not recommended: each slice may
// get a different axis).
enum class CenterMode { given, scan, per_slice };

struct Options {
  Method method = Method::automatic; // as asked; resolve_method says which runs
  FilterKind filter = FilterKind::ramp;
  CenterMode center_mode = CenterMode::scan;
  std::optional<double> center; // detector column of the axis when given
  // The scan-wide fit, set by apply_job_setup (center=auto). Without it and
  // without `center` the core searches each slice (Reconstructor, GpuJob).
  std::optional<AxisLine> axis;
  double center_search = 50; // half-width (pixels) of the automatic search
  Padding padding = Padding::edge;
  bool mask = false;
  double mask_ratio = 1.0;
  Rings rings = Rings::none;
  int ring_size = 21;
  bool normalise = true;
  int threads = 0; // 0 = share this node's cores among its ranks
  Device device = Device::automatic;
  std::string output = "/entry/reconstruction/data";
};

// Throws Error for an unknown key or an unusable value.
Options parse_options(const h5io_global_params_t& params);

// The parameter keys tomo_fbp knows, for messages.
std::string_view known_parameter_list();

std::string_view filter_name(FilterKind kind);
std::optional<FilterKind> parse_filter_name(std::string_view name);
std::string_view filter_name_list();

std::string_view device_name(Device device);
std::string_view method_name(Method method);

// The method that runs for `angles` projections of `cols` columns: the one
// asked for, or for method=auto fourier where the model of the two methods'
// cost measured on the 2-core VM (plugins/tomo_fbp/README.md) predicts it
// >= 1.05x faster than FBP,
//     400 / angles + 520 / cols <= 0.95,
// (fourier's time per FBP time is ~ a/P for the N x N grid's FFTs plus ~ b/N
// for the P lines of samples; P = N: from ~970 columns), and fbp on a GPU
// (fourier has no GPU path, and the GPU's FBP is faster still).
Method resolve_method(const Options& options, int64_t cols, int64_t angles, bool gpu);

// Where the per-slice rotation centres go: next to the reconstruction,
// "<parent group of output>/center".
std::string center_location(const std::string& output);

// The column every slice is back-projected about: the given centre, the
// fitted axis's kernel_center, or floor(cols/2) when each slice is searched
// (its projections are then shifted onto it).
double kernel_center(const Options& options, int64_t cols);

} // namespace h5io::fbp

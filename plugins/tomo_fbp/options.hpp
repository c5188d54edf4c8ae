#pragma once
// The job parameters of tomo_fbp, read once from the host's parameter list
// and checked before any data are touched, so a misspelt key or a bad value
// fails the job at start with a message naming the parameter.

#include "h5io_plugin.h"

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

struct Options {
  FilterKind filter = FilterKind::ramp;
  std::optional<double> center; // detector column of the axis; empty = find it per slice
  double center_search = 50;    // half-width (pixels) of the automatic search
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

// Where the per-slice rotation centres go: next to the reconstruction,
// "<parent group of output>/center".
std::string center_location(const std::string& output);

// Threads to use: the `threads` parameter, or this node's cores shared among
// the job's ranks on it.
int thread_count(const Options& options, int local_ranks);

} // namespace h5io::fbp

// Reading and checking paganin's parameters; see options.hpp.
#include "options.hpp"

#include "param_values.hpp"
#include "plugin_error.hpp"

#include <optional>
#include <string>

namespace h5io::paganin {
namespace {

using plugin::Error;

constexpr const char* kKnown[] = {"energy_kev", "distance_m", "pixel_um", "delta_over_beta",
                                  "input",      "output",     "threads"};

// A required number > 0; `what` says what it is, for the message.
double positive(const h5io_global_params_t& params, const char* key, const char* what) {
  const h5io_param_t* p = h5io_find_param(&params, key);
  if (p == nullptr)
    throw Error(std::string("paganin needs ") + key + " (" + what +
                "); e.g. --param energy_kev=25 --param distance_m=0.5 --param pixel_um=1.6 "
                "--param delta_over_beta=250");
  const std::optional<double> value = plugin::number_of(*p);
  if (!value || !(*value > 0))
    throw Error("parameter " + plugin::quoted(*p) + " must be a number greater than 0 (" + what +
                ")");
  return *value;
}

} // namespace

Options parse_options(const h5io_global_params_t& params) {
  plugin::refuse_unknown_params(params, kKnown, "paganin");
  Options options;
  options.physics.energy_kev = positive(params, "energy_kev", "the photon energy in keV");
  options.physics.distance_m =
      positive(params, "distance_m", "the sample-to-detector distance in metres");
  options.physics.pixel_m =
      positive(params, "pixel_um", "the detector pixel size in micrometres") * 1e-6;
  options.physics.delta_over_beta =
      positive(params, "delta_over_beta", "the material's ratio delta/beta");
  if (const h5io_param_t* p = h5io_find_param(&params, "input"))
    options.input = std::string(p->text) == "scan" ? "scan" : plugin::dataset_path_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "output"))
    options.output = plugin::dataset_path_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "threads"))
    options.threads = plugin::threads_of(*p);
  return options;
}

} // namespace h5io::paganin

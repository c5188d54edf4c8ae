// Reading and checking normalise's parameters; see options.hpp.
#include "options.hpp"

#include "param_values.hpp"

namespace h5io::normalise {
namespace {

constexpr const char* kKnown[] = {"minus_log", "output", "threads"};

} // namespace

Options parse_options(const h5io_global_params_t& params) {
  plugin::refuse_unknown_params(params, kKnown, "normalise");
  Options options;
  if (const h5io_param_t* p = h5io_find_param(&params, "minus_log"))
    options.minus_log = plugin::bool_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "output"))
    options.output = plugin::dataset_path_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "threads"))
    options.threads = plugin::threads_of(*p);
  return options;
}

} // namespace h5io::normalise

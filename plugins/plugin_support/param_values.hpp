#pragma once
// Reading typed job parameters. The host types each value from its text
// (h5io run) or from JSON (job messages), so a number may arrive as INT,
// FLOAT or STRING and a boolean as BOOL, 0/1 or text; every accepted form is
// handled here once. Failures throw Error naming the parameter and its text.

#include "h5io_plugin.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace h5io::plugin {

// "key='text'", for messages.
std::string quoted(const h5io_param_t& p);

std::string lower(std::string_view text);

// A finite number, from a typed value or from text that is all number.
std::optional<double> number_of(const h5io_param_t& p);

// true/false, yes/no, on/off, 1/0; anything else throws.
bool bool_of(const h5io_param_t& p);

// A whole number; `what` completes "parameter key='text' must be ...".
int64_t whole_number_of(const h5io_param_t& p, const std::string& what);

// The `threads` parameter every library takes: 0 (share this node's cores
// among its ranks) to 4096.
int threads_of(const h5io_param_t& p);

// Throws when a parameter is not one of `known`, listing the known ones.
void refuse_unknown_params(const h5io_global_params_t& params, std::span<const char* const> known,
                           std::string_view library);

// The parameter as an absolute HDF5 path such as /entry/data; throws otherwise.
std::string dataset_path_of(const h5io_param_t& p);

} // namespace h5io::plugin

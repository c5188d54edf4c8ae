#pragma once
// Names of the ABI's element types as users write them in parameters and
// read them in messages: the numpy spellings (uint16, float32, ...).

#include "h5io_plugin.h"

#include <optional>
#include <string_view>

namespace h5io::plugin {

std::string_view dtype_name(h5io_dtype_t dtype);

// Accepts the numpy names, case-insensitively; nullopt for anything else.
std::optional<h5io_dtype_t> parse_dtype(std::string_view name);

// "int8, uint8, ..., float64", for messages.
std::string_view dtype_name_list();

} // namespace h5io::plugin

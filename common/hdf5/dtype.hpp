#pragma once
// Element types: the ABI's h5io_dtype_t, their names, and their HDF5 types.

#include "h5io_plugin.h"

#include <hdf5.h>

#include <string>
#include <string_view>

namespace h5io {

std::string_view dtype_name(h5io_dtype_t dtype);

// The in-memory (native byte order) HDF5 type for a dtype.
hid_t native_hdf5_type(h5io_dtype_t dtype);

// The little-endian HDF5 type h5io stores a dtype as.
hid_t file_hdf5_type(h5io_dtype_t dtype);

// The dtype a stored HDF5 type is delivered as, or H5IO_DTYPE_INVALID.
h5io_dtype_t dtype_of_hdf5_type(hid_t type);

// A short description of any HDF5 type ("compound", "16-bit float", ...), for
// messages about types h5io cannot deliver.
std::string describe_hdf5_type(hid_t type);

// "uint8, int8, ..." for error messages.
std::string supported_dtype_names();

} // namespace h5io

#pragma once
// How each ABI element type is stored in a TIFF: SampleFormat (unsigned,
// signed, IEEE float) and BitsPerSample. All ten types have one; 64-bit
// integers and float64 are valid TIFF that libtiff, tifffile and tiffinfo
// read, though ImageJ reads only 8, 16 and 32 bits.

#include "h5io_plugin.h"

#include <cstdint>
#include <optional>

namespace h5io::tiff {

struct SampleFormat {
  uint16_t format = 0; // SAMPLEFORMAT_UINT, _INT or _IEEEFP
  uint16_t bits = 0;
};

SampleFormat sample_format_of(h5io_dtype_t dtype);

// nullopt for a combination no ABI type matches (e.g. 12-bit, complex).
// SAMPLEFORMAT_VOID ("undefined") is read as unsigned, as libtiff does.
std::optional<h5io_dtype_t> dtype_of(SampleFormat sample);

} // namespace h5io::tiff

#pragma once
// One slice's line integrals, prepared the same way for the reconstruction
// and for the scan-wide centre fit: normalised with the slice's own darks
// and flats (or converted as they are with normalise=false), then stripes
// removed when rings=sort.

#include "options.hpp"
#include "scan_data.hpp"

#include <cstdint>

namespace h5io::fbp {

// Fills sinogram [P][cols] from slice k of the three inputs.
void prepare_sinogram(const Options& options, const ScanShape& shape, const RawSlices& projections,
                      const RawSlices& darks, const RawSlices& flats, int64_t k, float* sinogram);

} // namespace h5io::fbp

#pragma once
// A small synthetic scan laid out as a beamline writes one: a uint16 frame
// stack [frames, rows, columns] chunked [8 frames, 16 rows, all columns],
// written frame batch by frame batch. The demo and the read benchmark use it;
// tomography's phantom generator writes realistic content in the same layout.

#include <cstdint>
#include <filesystem>

namespace h5io {

inline constexpr const char* kExampleScanDataset = "/entry/data/data";

struct ExampleScanShape {
  int64_t frames = 180;
  int64_t rows = 64;
  int64_t columns = 256;
  int64_t chunk_frames = 8;
  int64_t chunk_rows = 16;
};

// The value at (frame, row, column): deterministic, so checkers can
// recompute it independently.
inline uint16_t example_scan_value(int64_t frame, int64_t row, int64_t column) {
  return static_cast<uint16_t>((frame * 31 + row * 17 + column * 7) % 4099 + 100);
}

// Writes the scan to `path` (replacing it) with serial HDF5. Throws Error.
void write_example_scan(const std::filesystem::path& path, const ExampleScanShape& shape);

} // namespace h5io

// Sinogram extraction from a beamline-layout scan ([frames, rows, columns]
// uint16 chunked [8, 16, columns]), measured side by side in one run:
//
//   raw read          the file's bytes with pread, 8 MiB at a time into one
//                     cache-resident buffer: the page cache's ceiling
//   raw into units    the same, into a buffer the size of an h5io unit, so
//                     the bytes land in memory as a consumer of units needs
//   h5io units        InputDataset::read_slices over chunk-aligned units of
//                     rows, delivered sinogram-major: what the pipeline reads
//   one sinogram      one H5Dread of [frames, 1, columns] per row through the
//   at a time         default chunk cache, as an h5py script would (each chunk
//                     is read once per row it holds: 16 times)
//   h5io run          the whole standalone pipeline with the benchmark
//                     library: read, hand over, checksum, collective write
//
// Run with mpirun -np N for N ranks (each method splits the work the same
// way). --cold drops the file from the page cache before every pass.
#include "common/hdf5/input_dataset.hpp"
#include "common/hdf5/input_file.hpp"
#include "common/mpi/mpi_group.hpp"
#include "common/pipeline/pipeline.hpp"
#include "common/synthetic/example_scan.hpp"
#include "common/util/file_descriptor.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <initializer_list>
#include <unistd.h>

using namespace h5io;
namespace fs = std::filesystem;

namespace {

struct Options {
  std::string file = (fs::temp_directory_path() / "h5io-bench-scan.h5").string();
  ExampleScanShape shape{1024, 256, 2048, 8, 16};
  int repeats = 3;
  int64_t sinogram_rows = 32;
  bool cold = false;
  bool keep = false;
};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void drop_from_page_cache(const std::string& path) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY));
  if (!fd.valid()) return;
  fdatasync(fd.get());
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
}

// Times `pass` on every rank together; returns the slowest rank's seconds,
// the best of `repeats` passes.
template <class Pass> double timed(const Group& group, const Options& options, Pass&& pass) {
  double best = 1e300;
  for (int r = 0; r < options.repeats; ++r) {
    if (options.cold && group.is_root()) drop_from_page_cache(options.file);
    group.barrier();
    const double start = now();
    pass();
    best = std::min(best, group.max(now() - start));
  }
  return best;
}

// The unit plan h5io run would make for this file on this group.
UnitPlan sinogram_plan(const Group& group, const InputDataset& dataset) {
  const SliceGeometry geometry{dataset.shape(), 1, dataset.element_size()};
  PlanOptions options;
  options.ranks = group.size();
  return plan_units(geometry.slices(), dataset.chunk_extent(1),
                    static_cast<int64_t>(geometry.slice_bytes()), options);
}

void unit_read(const Group& group, InputDataset& dataset, const UnitPlan& plan,
               std::vector<std::byte>& slices) {
  const SliceGeometry geometry{dataset.shape(), 1, dataset.element_size()};
  for (const Unit& unit : static_share(plan.units, group.rank(), group.size()))
    dataset.read_slices(geometry, unit.first, unit.count, slices.data());
}

// This rank's share of the file's bytes, read with pread 8 MiB at a time
// into `buffer`, round and round: an 8 MiB buffer stays in the cache (the
// page cache's ceiling); a unit-sized one makes the bytes land in memory as
// they must for a consumer of whole units.
void raw_read(const Group& group, const std::string& path, std::vector<std::byte>& buffer) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY));
  const auto size = static_cast<int64_t>(fs::file_size(path));
  const int64_t begin = size * group.rank() / group.size();
  const int64_t end = size * (group.rank() + 1) / group.size();
  size_t filled = 0;
  for (int64_t at = begin; at < end;) {
    if (filled == buffer.size()) filled = 0;
    const size_t want =
        std::min<size_t>({size_t{8} << 20, buffer.size() - filled, static_cast<size_t>(end - at)});
    const ssize_t n = pread(fd.get(), buffer.data() + filled, want, at);
    if (n <= 0) break;
    at += n;
    filled += static_cast<size_t>(n);
  }
}

void sinogram_at_a_time(const Group& group, const std::string& path, int64_t rows) {
  // Serial HDF5 and the default chunk cache: what a script does per rank.
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  hdf5::Dataset dataset(H5Dopen2(file.get(), kExampleScanDataset, H5P_DEFAULT));
  hdf5::Dataspace file_space(H5Dget_space(dataset.get()));
  hsize_t dims[3];
  H5Sget_simple_extent_dims(file_space.get(), dims, nullptr);
  const hsize_t count[3] = {dims[0], 1, dims[2]};
  hdf5::Dataspace memory_space(H5Screate_simple(3, count, nullptr));
  std::vector<uint16_t> sinogram(dims[0] * dims[2]);
  for (int64_t row = group.rank(); row < rows; row += group.size()) {
    const hsize_t start[3] = {0, static_cast<hsize_t>(row), 0};
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
    H5Dread(dataset.get(), H5T_NATIVE_UINT16, memory_space.get(), file_space.get(), H5P_DEFAULT,
            sinogram.data());
  }
}

void pipeline_run(const Group& group, const std::string& path, const std::string& output) {
  JobSpec spec;
  spec.plugin = "benchmark";
  spec.plugin_dirs = {H5IO_PLUGIN_DIR};
  spec.input = path;
  spec.output = output;
  spec.overwrite = true;
  Pipeline pipeline(group, std::move(spec));
  StaticSchedule schedule(pipeline.plan(), group);
  pipeline.run(schedule);
  pipeline.finish();
}

} // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"h5io slab read benchmark"};
  app.add_option("--file", options.file, "Scan to create and read")->capture_default_str();
  app.add_option("--frames", options.shape.frames)->capture_default_str();
  app.add_option("--rows", options.shape.rows)->capture_default_str();
  app.add_option("--columns", options.shape.columns)->capture_default_str();
  app.add_option("--repeats", options.repeats, "Passes per method (best is kept)")
      ->capture_default_str();
  app.add_option("--sinogram-rows", options.sinogram_rows,
                 "Rows read by the one-sinogram-at-a-time baseline")
      ->capture_default_str();
  app.add_flag("--cold", options.cold, "Drop the file from the page cache before every pass");
  app.add_flag("--keep", options.keep, "Keep the scan file afterwards");
  CLI11_PARSE(app, argc, argv);

  MpiSession mpi(argc, argv);
  Group group;
  hdf5::silence_error_printing();
  const std::string output = options.file + ".out.h5";
  if (group.is_root() && !fs::exists(options.file)) write_example_scan(options.file, options.shape);
  group.barrier();

  const auto& s = options.shape;
  const double data_mb = static_cast<double>(s.frames * s.rows * s.columns * 2) / 1e6;
  const double file_mb = static_cast<double>(fs::file_size(options.file)) / 1e6;
  const int64_t rows = std::min(options.sinogram_rows, s.rows);
  const double sinogram_mb = data_mb * static_cast<double>(rows) / static_cast<double>(s.rows);

  hdf5::File file = open_input_file(group, options.file);
  InputDataset dataset(file.get(), kExampleScanDataset, options.file);
  const UnitPlan plan = sinogram_plan(group, dataset);
  // Allocated and touched once, as the pipeline's unit buffers are.
  std::vector<std::byte> unit_buffer(static_cast<size_t>(plan.slices_per_unit) *
                                     static_cast<size_t>(s.frames * s.columns * 2));

  std::vector<std::byte> small_buffer(size_t{8} << 20);
  const double raw = timed(group, options, [&] { raw_read(group, options.file, small_buffer); });
  const double raw_units =
      timed(group, options, [&] { raw_read(group, options.file, unit_buffer); });
  const double units = timed(group, options, [&] { unit_read(group, dataset, plan, unit_buffer); });
  const double one = timed(group, options, [&] { sinogram_at_a_time(group, options.file, rows); });
  const double run = timed(group, options, [&] { pipeline_run(group, options.file, output); });

  if (group.is_root()) {
    const double raw_rate = file_mb / raw;
    fmt::print("scan {}: [{}, {}, {}] uint16, chunks [{}, {}, {}], {:.0f} MB; {} rank(s); page "
               "cache {}; best of {}\n",
               options.file, s.frames, s.rows, s.columns, s.chunk_frames, s.chunk_rows, s.columns,
               file_mb, group.size(), options.cold ? "dropped before each pass" : "warm",
               options.repeats);
    fmt::print("{:<44} {:>9} {:>10} {:>8}\n", "method", "seconds", "MB/s", "vs raw");
    const auto line = [&](const std::string& name, double mb, double seconds) {
      fmt::print("{:<44} {:>9.3f} {:>10.1f} {:>8.3f}\n", name, seconds, mb / seconds,
                 mb / seconds / raw_rate);
    };
    line("raw read of the file (pread, 8 MiB buffer)", file_mb, raw);
    line(fmt::format("raw read into unit-sized memory ({} MB)", unit_buffer.size() / 1000000),
         file_mb, raw_units);
    line("h5io units (chunk-aligned sinogram blocks)", data_mb, units);
    line(fmt::format("one sinogram at a time ({} rows)", rows), sinogram_mb, one);
    line("h5io run --plugin benchmark (whole pipeline)", data_mb, run);
    fmt::print("h5io units vs raw read into unit-sized memory: {:.3f}\n",
               (data_mb / units) / (file_mb / raw_units));
    fmt::print("h5io units vs one sinogram at a time: {:.1f}x\n",
               (data_mb / units) / (sinogram_mb / one));
  }
  group.barrier();
  if (group.is_root()) {
    std::error_code ec;
    fs::remove(output, ec);
    if (!options.keep) fs::remove(options.file, ec);
  }
  return 0;
}

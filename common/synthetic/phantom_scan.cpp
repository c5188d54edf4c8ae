#include "common/synthetic/phantom_scan.hpp"

#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/pipeline/output_target.hpp"
#include "common/synthetic/phantom.hpp"
#include "common/util/error.hpp"
#include "common/util/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <mutex>
#include <numbers>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace h5io {

namespace {

constexpr int64_t kMinSize = 8;
constexpr int64_t kMaxSize = 16384; // one truth slice is then 1 GiB of float32
constexpr double kMaxCount = 65535; // uint16
constexpr int64_t kChunkFrames = 8;
constexpr int64_t kChunkRows = 16;
// Frames rendered between two writes: big enough to keep every core busy,
// small enough that a 2048^2 detector does not need the whole scan in memory.
constexpr size_t kBatchBytes = size_t{32} << 20;
constexpr int kTruthSubsamples = 3;
constexpr double kExactPoissonBelow = 1000;
constexpr const char* kDetectorDataPath = "/entry/instrument/detector/data";
// The nxdata layout's names, as a Diamond scan with a PCO camera and a
// SmarAct rotation stage writes them.
constexpr const char* kNxdataDetector = "pco1";
constexpr const char* kNxdataMotor = "smaract_zrot";
constexpr const char* kNxdataFramesPath = "/entry/data/data"; // in <stem>_pco1.h5
constexpr const char* kDarkFile = "dark_field.h5";
constexpr const char* kFlatFile = "flat_field.h5";
constexpr const char* kRecordAttribute = "h5io_phantom";

// ---- which frames, in which order ------------------------------------------

// The values are NXtomo's image_key.
enum class FrameKind : uint8_t { projection = 0, flat = 1, dark = 2 };

struct Frame {
  FrameKind kind;
  int64_t index; // within its kind; projection k is at angle k * range / angles
};

void append_frames(std::vector<Frame>& frames, FrameKind kind, int64_t first, int64_t end) {
  for (int64_t i = first; i < end; ++i) frames.push_back({kind, i});
}

std::vector<Frame> frames_of(FrameKind kind, int64_t count) {
  std::vector<Frame> frames;
  append_frames(frames, kind, 0, count);
  return frames;
}

// Diamond's acquisition: darks, flats, projections, flats, darks. An odd
// count puts the extra frame first, as a scan that takes its references
// before rotating would.
std::vector<Frame> diamond_order(const PhantomScanOptions& options) {
  const int64_t darks_before = (options.darks + 1) / 2;
  const int64_t flats_before = (options.flats + 1) / 2;
  std::vector<Frame> frames;
  append_frames(frames, FrameKind::dark, 0, darks_before);
  append_frames(frames, FrameKind::flat, 0, flats_before);
  append_frames(frames, FrameKind::projection, 0, options.angles);
  append_frames(frames, FrameKind::flat, flats_before, options.flats);
  append_frames(frames, FrameKind::dark, darks_before, options.darks);
  return frames;
}

// Plain NXtomo as APS and ESRF write it: darks, flats, then projections.
std::vector<Frame> nxtomo_order(const PhantomScanOptions& options) {
  std::vector<Frame> frames;
  append_frames(frames, FrameKind::dark, 0, options.darks);
  append_frames(frames, FrameKind::flat, 0, options.flats);
  append_frames(frames, FrameKind::projection, 0, options.angles);
  return frames;
}

double projection_angle_degrees(const PhantomScanOptions& options, int64_t k) {
  return options.start_degrees +
         static_cast<double>(k) * options.range_degrees / static_cast<double>(options.angles);
}

// One angle per frame, as a motor encoder records it: darks and flats carry
// the angle of the projection next to them (the first before the
// projections, the last after).
std::vector<double> rotation_angles_degrees(const PhantomScanOptions& options,
                                            std::span<const Frame> frames) {
  std::vector<double> angles;
  bool after_projections = false;
  for (const Frame& frame : frames) {
    if (frame.kind == FrameKind::projection) {
      angles.push_back(projection_angle_degrees(options, frame.index));
      after_projections = frame.index == options.angles - 1;
    } else {
      angles.push_back(
          projection_angle_degrees(options, after_projections ? options.angles - 1 : 0));
    }
  }
  return angles;
}

template <class T> std::vector<T> image_keys(std::span<const Frame> frames) {
  std::vector<T> keys;
  for (const Frame& frame : frames) keys.push_back(static_cast<T>(frame.kind));
  return keys;
}

// ---- what a frame holds ----------------------------------------------------

// Runs work(i) for every i in [0, count) on every core. `work` must not call
// HDF5 (not thread-safe in this build).
void parallel_for(int64_t count, const std::function<void(int64_t)>& work) {
  const int64_t threads =
      std::min<int64_t>(count, std::max<int64_t>(1, std::thread::hardware_concurrency()));
  std::atomic<int64_t> next{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    try {
      for (int64_t i = next++; i < count; i = next++) work(i);
    } catch (...) {
      const std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = count;
    }
  };
  {
    std::vector<std::jthread> helpers;
    for (int64_t t = 1; t < threads; ++t) helpers.emplace_back(worker);
    worker();
  }
  if (failure) std::rethrow_exception(failure);
}

// Renders batch b + 1 on other threads while this thread writes batch b, so
// the cores keep computing while HDF5 (this thread only) and the kernel copy
// the previous batch out.
template <class T>
void render_while_writing(int64_t batches, size_t batch_elements,
                          const std::function<void(int64_t, std::span<T>)>& render,
                          const std::function<void(int64_t, std::span<const T>)>& write) {
  std::vector<T> ready(batch_elements);
  std::vector<T> next(batch_elements);
  if (batches > 0) render(0, ready);
  for (int64_t b = 0; b < batches; ++b) {
    std::exception_ptr failure;
    {
      std::jthread renderer;
      if (b + 1 < batches)
        renderer = std::jthread([&] {
          try {
            render(b + 1, next);
          } catch (...) {
            failure = std::current_exception();
          }
        });
      write(b, ready); // on failure, the renderer is joined before unwinding further
    }
    if (failure) std::rethrow_exception(failure);
    std::swap(ready, next);
  }
}

uint16_t to_count(double value) {
  return static_cast<uint16_t>(std::clamp(std::round(value), 0.0, kMaxCount));
}

// Renders detector frames: Beer-Lambert on the analytic line integrals plus
// noise. Each frame's noise comes from its own generator seeded by (seed,
// kind, index), so a frame is the same whatever the layout, thread count or
// order of rendering.
class FrameRenderer {
public:
  explicit FrameRenderer(const PhantomScanOptions& options) : options_(options) {
    const phantom::SheppLogan phantom(options.size, options.attenuation, options.object_scale);
    for (int64_t r = 0; r < options.rows; ++r) {
      sections_.push_back(phantom.section(phantom::SheppLogan::row_height(r, options.rows)));
      centers_.push_back(phantom_row_center(options, r));
    }
  }

  int64_t frame_elements() const { return options_.rows * options_.size; }

  void render(const Frame& frame, std::span<uint16_t> pixels) const {
    const uint64_t seed = options_.seed;
    const auto index = static_cast<uint64_t>(frame.index);
    std::seed_seq seeds{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                        static_cast<uint32_t>(frame.kind), static_cast<uint32_t>(index),
                        static_cast<uint32_t>(index >> 32)};
    std::mt19937_64 random(seeds);
    std::normal_distribution<double> standard_normal(0.0, 1.0);
    const double read_variance = options_.read_noise * options_.read_noise;

    const double theta = projection_angle_degrees(options_, frame.index) * std::numbers::pi / 180;
    const auto cols = static_cast<size_t>(options_.size);
    std::vector<double> line_integral(cols, 0.0);
    for (int64_t r = 0; r < options_.rows; ++r) {
      // Column u sees the line X cos(theta) + Y sin(theta) = u - c.
      if (frame.kind == FrameKind::projection)
        sections_[static_cast<size_t>(r)].line_integrals(theta, -centers_[static_cast<size_t>(r)],
                                                         line_integral);
      for (size_t u = 0; u < cols; ++u) {
        double photons =
            frame.kind == FrameKind::dark ? 0.0 : options_.flat_level * std::exp(-line_integral[u]);
        double variance = read_variance;
        if (options_.poisson && photons > 0) {
          // Above kExactPoissonBelow photons the Poisson law is its normal
          // approximation N(mean, mean) to within its skewness (< 3%), and a
          // std::poisson_distribution per pixel would make a 2048^2 scan 4x
          // slower; the two noises then combine into one draw.
          if (photons < kExactPoissonBelow)
            photons = static_cast<double>(std::poisson_distribution<int64_t>(photons)(random));
          else
            variance += photons;
        }
        double counts = options_.dark_level + photons;
        if (variance > 0) counts += std::sqrt(variance) * standard_normal(random);
        pixels[static_cast<size_t>(r) * cols + u] = to_count(counts);
      }
    }
  }

private:
  const PhantomScanOptions& options_;
  std::vector<phantom::Section> sections_;
  std::vector<double> centers_; // the axis's column per row
};

// ---- HDF5 writing ----------------------------------------------------------

void set_double_attribute(hid_t object, const char* name, double value) {
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  hdf5::Attribute attribute(
      hdf5::check(H5Acreate2(object, name, H5T_IEEE_F64LE, scalar.get(), H5P_DEFAULT, H5P_DEFAULT),
                  fmt::format("cannot create attribute '{}'", name)));
  hdf5::check_status(H5Awrite(attribute.get(), H5T_NATIVE_DOUBLE, &value),
                     fmt::format("cannot write attribute '{}'", name));
}

hdf5::Group create_group(hid_t parent, const char* name, const char* nx_class = nullptr,
                         StringStyle style = StringStyle::variable_utf8) {
  hdf5::Group group(hdf5::check(H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                fmt::format("cannot create group '{}'", name)));
  if (nx_class != nullptr) write_string_attribute(group.get(), "NX_class", nx_class, style);
  return group;
}

template <class T>
hdf5::Dataset write_vector(hid_t parent, const char* name, hid_t file_type, hid_t memory_type,
                           const std::vector<T>& values) {
  const hsize_t size = values.size();
  hdf5::Dataspace space(H5Screate_simple(1, &size, nullptr));
  hdf5::Dataset dataset(hdf5::check(
      H5Dcreate2(parent, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      fmt::format("cannot create dataset '{}'", name)));
  hdf5::check_status(
      H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      fmt::format("cannot write dataset '{}'", name));
  return dataset;
}

hdf5::Dataset write_angles_degrees(hid_t parent, const char* name, std::vector<double> angles) {
  hdf5::Dataset dataset = write_vector(parent, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, angles);
  write_string_attribute(dataset.get(), "units", "degree");
  return dataset;
}

void hard_link(hid_t from_group, const char* from_name, hid_t to_group, const char* to_name) {
  hdf5::check_status(
      H5Lcreate_hard(from_group, from_name, to_group, to_name, H5P_DEFAULT, H5P_DEFAULT),
      fmt::format("cannot link '{}' to '{}'", to_name, from_name));
}

// A uint16 [frames, rows, cols] stack chunked as a detector writer would,
// filled batch by batch: frames rendered on every core, written by this one.
void write_frame_stack(hid_t parent, const char* name, std::span<const Frame> frames,
                       const PhantomScanOptions& options, const FrameRenderer& renderer) {
  const auto count = static_cast<int64_t>(frames.size());
  const hsize_t dims[3] = {static_cast<hsize_t>(count), static_cast<hsize_t>(options.rows),
                           static_cast<hsize_t>(options.size)};
  const int64_t chunk_frames = options.frame_chunks ? 1 : std::min(kChunkFrames, count);
  const int64_t chunk_rows =
      options.frame_chunks ? options.rows : std::min(kChunkRows, options.rows);
  const hsize_t chunk[3] = {static_cast<hsize_t>(chunk_frames), static_cast<hsize_t>(chunk_rows),
                            dims[2]};
  hdf5::PropertyList dcpl(H5Pcreate(H5P_DATASET_CREATE));
  H5Pset_chunk(dcpl.get(), 3, chunk);
  // Whole chunks are written once each: no point copying them through a cache.
  hdf5::PropertyList dapl(H5Pcreate(H5P_DATASET_ACCESS));
  H5Pset_chunk_cache(dapl.get(), 0, 0, 1.0);
  hdf5::Dataspace space(H5Screate_simple(3, dims, nullptr));
  hdf5::Dataset dataset(hdf5::check(
      H5Dcreate2(parent, name, H5T_STD_U16LE, space.get(), H5P_DEFAULT, dcpl.get(), dapl.get()),
      fmt::format("cannot create dataset '{}'", name)));

  const auto frame_elements = static_cast<size_t>(renderer.frame_elements());
  const size_t chunk_bytes = static_cast<size_t>(chunk_frames) * frame_elements * sizeof(uint16_t);
  const int64_t batch =
      chunk_frames * std::max<int64_t>(1, static_cast<int64_t>(kBatchBytes / chunk_bytes));
  auto frames_in = [&](int64_t b) { return std::min(batch, count - b * batch); };
  render_while_writing<uint16_t>(
      (count + batch - 1) / batch, static_cast<size_t>(std::min(batch, count)) * frame_elements,
      [&](int64_t b, std::span<uint16_t> buffer) {
        parallel_for(frames_in(b), [&](int64_t i) {
          renderer.render(frames[static_cast<size_t>(b * batch + i)],
                          buffer.subspan(static_cast<size_t>(i) * frame_elements, frame_elements));
        });
      },
      [&](int64_t b, std::span<const uint16_t> buffer) {
        const hsize_t start[3] = {static_cast<hsize_t>(b * batch), 0, 0};
        const hsize_t counts[3] = {static_cast<hsize_t>(frames_in(b)), dims[1], dims[2]};
        hdf5::Dataspace file_space(H5Dget_space(dataset.get()));
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, counts, nullptr);
        hdf5::Dataspace memory_space(H5Screate_simple(3, counts, nullptr));
        hdf5::check_status(H5Dwrite(dataset.get(), H5T_NATIVE_UINT16, memory_space.get(),
                                    file_space.get(), H5P_DEFAULT, buffer.data()),
                           fmt::format("cannot write frames to '{}'", name));
      });
}

// Creates `path`, lets `fill` write it, and closes it, reporting a failed
// final flush (which the handle's destructor could not).
void write_file(const fs::path& path, const std::function<void(hid_t)>& fill) {
  hdf5::File file(hdf5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                              fmt::format("cannot create '{}'", path.string())));
  fill(file.get());
  hdf5::check_status(H5Fclose(file.release()),
                     fmt::format("cannot finish writing '{}'", path.string()));
}

// ---- the layouts -----------------------------------------------------------

void write_scalar(hid_t parent, const char* name, double value) {
  hdf5::Dataspace scalar(H5Screate(H5S_SCALAR));
  hdf5::Dataset dataset(hdf5::check(
      H5Dcreate2(parent, name, H5T_IEEE_F64LE, scalar.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      fmt::format("cannot create dataset '{}'", name)));
  hdf5::check_status(
      H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value),
      fmt::format("cannot write dataset '{}'", name));
}

// x_pixel_size and y_pixel_size in micrometres, as NXdetector has them.
void write_pixel_size(hid_t detector, const PhantomScanOptions& options, StringStyle style) {
  if (options.pixel_size_um <= 0) return;
  for (const char* name : {"x_pixel_size", "y_pixel_size"}) {
    write_scalar(detector, name, options.pixel_size_um);
    hdf5::Dataset dataset(hdf5::check(H5Dopen2(detector, name, H5P_DEFAULT), name));
    write_string_attribute(dataset.get(), "units", "um", style);
  }
}

void write_nxtomo(hid_t file, const PhantomScanOptions& options, const FrameRenderer& renderer) {
  const std::vector<Frame> frames = nxtomo_order(options);
  hdf5::Group entry = create_group(file, "entry", "NXentry");
  write_string_dataset(entry.get(), "definition", "NXtomo");
  hdf5::Group instrument = create_group(entry.get(), "instrument", "NXinstrument");
  hdf5::Group detector = create_group(instrument.get(), "detector", "NXdetector");
  write_frame_stack(detector.get(), "data", frames, options, renderer);
  write_vector(detector.get(), "image_key", H5T_STD_U8LE, H5T_NATIVE_UINT8,
               image_keys<uint8_t>(frames));
  write_pixel_size(detector.get(), options, StringStyle::variable_utf8);
  hdf5::Group sample = create_group(entry.get(), "sample", "NXsample");
  write_angles_degrees(sample.get(), "rotation_angle", rotation_angles_degrees(options, frames));
  hdf5::Group data = create_group(entry.get(), "data", "NXdata");
  write_string_attribute(data.get(), "signal", "data");
  hard_link(detector.get(), "data", data.get(), "data");
  hard_link(detector.get(), "image_key", data.get(), "image_key");
  hard_link(sample.get(), "rotation_angle", data.get(), "rotation_angle");
}

// The detector's own file, as Diamond's area detector writes it.
void write_diamond_detector(hid_t file, const PhantomScanOptions& options,
                            const FrameRenderer& renderer) {
  hdf5::Group entry = create_group(file, "entry", "NXentry", StringStyle::fixed_ascii);
  hdf5::Group instrument =
      create_group(entry.get(), "instrument", "NXinstrument", StringStyle::fixed_ascii);
  hdf5::Group detector =
      create_group(instrument.get(), "detector", "NXdetector", StringStyle::fixed_ascii);
  write_frame_stack(detector.get(), "data", diamond_order(options), options, renderer);
}

void write_diamond(hid_t file, const std::string& detector_file_name,
                   const PhantomScanOptions& options) {
  constexpr StringStyle style = StringStyle::fixed_ascii;
  const std::vector<Frame> frames = diamond_order(options);
  hdf5::Group entry = create_group(file, "entry1", "NXentry", style);
  hdf5::Group tomo = create_group(entry.get(), "tomo_entry", "NXsubentry", style);
  write_string_dataset(tomo.get(), "definition", "NXtomo");
  hdf5::Group data = create_group(tomo.get(), "data", "NXdata", style);
  write_string_attribute(data.get(), "signal", "data", style);
  // Just the file name: HDF5 looks for it beside the main file, so the pair
  // can be moved together.
  hdf5::check_status(H5Lcreate_external(detector_file_name.c_str(), kDetectorDataPath, data.get(),
                                        "data", H5P_DEFAULT, H5P_DEFAULT),
                     "cannot create the external link to the detector data");
  write_angles_degrees(data.get(), "rotation_angle", rotation_angles_degrees(options, frames));
  hdf5::Group instrument = create_group(tomo.get(), "instrument", "NXinstrument", style);
  hdf5::Group detector = create_group(instrument.get(), "detector", "NXdetector", style);
  // Diamond stores image_key as float64.
  write_vector(detector.get(), "image_key", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
               image_keys<double>(frames));
  write_pixel_size(detector.get(), options, style);
  hdf5::Group sample = create_group(tomo.get(), "sample", "NXsample", style);
  hard_link(data.get(), "rotation_angle", sample.get(), "rotation_angle");
}

// The frames of the nxdata layout's detector file: Diamond's order, or the
// projections alone when darks and flats have files of their own.
std::vector<Frame> nxdata_order(const PhantomScanOptions& options) {
  return options.reference_files ? frames_of(FrameKind::projection, options.angles)
                                 : diamond_order(options);
}

// A file of frames alone, as the camera's writer leaves it: /entry/data/data.
void write_frames_file(hid_t file, std::span<const Frame> frames, const PhantomScanOptions& options,
                       const FrameRenderer& renderer) {
  constexpr StringStyle style = StringStyle::fixed_ascii;
  hdf5::Group entry = create_group(file, "entry", "NXentry", style);
  hdf5::Group data = create_group(entry.get(), "data", "NXdata", style);
  write_string_attribute(data.get(), "signal", "data", style);
  write_frame_stack(data.get(), "data", frames, options, renderer);
}

// Newer Diamond scans, written without an NXtomo entry: the detector's
// NXdata, the rotation stage's NXdata, image_key with the detector, and the
// usual scalar metadata. Nothing says which dataset is what, which is the
// point: `h5io inspect` has to work it out.
void write_nxdata(hid_t file, const std::string& detector_file_name,
                  const PhantomScanOptions& options) {
  constexpr StringStyle style = StringStyle::fixed_ascii;
  const std::vector<Frame> frames = nxdata_order(options);
  hdf5::Group entry = create_group(file, "entry", "NXentry", style);
  write_string_dataset(entry.get(), "entry_identifier", "123456");
  write_string_dataset(entry.get(), "program_name", "GDA 9.33.0");
  write_string_dataset(entry.get(), "start_time", "2024-05-14T10:21:07.000+01:00");
  write_string_dataset(entry.get(), "end_time", "2024-05-14T10:24:51.000+01:00");
  write_string_dataset(entry.get(), "scan_command",
                       fmt::format("scan {} {} {} {} pco1 0.05", kNxdataMotor,
                                   projection_angle_degrees(options, 0),
                                   projection_angle_degrees(options, options.angles - 1),
                                   options.range_degrees / static_cast<double>(options.angles)));

  hdf5::Group detector_data = create_group(entry.get(), kNxdataDetector, "NXdata", style);
  write_string_attribute(detector_data.get(), "signal", "data", style);
  // Just the file name, as for the diamond layout: the files move together.
  hdf5::check_status(H5Lcreate_external(detector_file_name.c_str(), kNxdataFramesPath,
                                        detector_data.get(), "data", H5P_DEFAULT, H5P_DEFAULT),
                     "cannot create the external link to the detector data");

  // The motor's readback, one per frame, in degrees but with no units
  // attribute, as GDA writes a scannable's value.
  hdf5::Group motor = create_group(entry.get(), kNxdataMotor, "NXdata", style);
  const std::string value_name = std::string(kNxdataMotor) + "_value";
  write_string_attribute(motor.get(), "signal", value_name, style);
  write_vector(motor.get(), value_name.c_str(), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
               rotation_angles_degrees(options, frames));

  hdf5::Group instrument = create_group(entry.get(), "instrument", "NXinstrument", style);
  write_string_dataset(instrument.get(), "name", "i12");
  hdf5::Group detector = create_group(instrument.get(), kNxdataDetector, "NXdetector", style);
  write_vector(detector.get(), "image_key", H5T_STD_I32LE, H5T_NATIVE_INT32,
               image_keys<int32_t>(frames));
  write_scalar(detector.get(), "count_time", 0.05);
  write_scalar(detector.get(), "x_pixel_size", 0.0054);
  hdf5::Group sample = create_group(entry.get(), "sample", "NXsample", style);
  write_string_dataset(sample.get(), "name", "modified Shepp-Logan phantom");
}

void write_dxchange(hid_t file, const PhantomScanOptions& options, const FrameRenderer& renderer) {
  write_string_dataset(file, "implements", "exchange");
  hdf5::Group exchange = create_group(file, "exchange");
  write_frame_stack(exchange.get(), "data", frames_of(FrameKind::projection, options.angles),
                    options, renderer);
  if (options.flats > 0)
    write_frame_stack(exchange.get(), "data_white", frames_of(FrameKind::flat, options.flats),
                      options, renderer);
  if (options.darks > 0)
    write_frame_stack(exchange.get(), "data_dark", frames_of(FrameKind::dark, options.darks),
                      options, renderer);
  std::vector<double> theta;
  for (int64_t k = 0; k < options.angles; ++k)
    theta.push_back(projection_angle_degrees(options, k) * std::numbers::pi / 180);
  hdf5::Dataset theta_dataset =
      write_vector(exchange.get(), "theta", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, theta);
  write_string_attribute(theta_dataset.get(), "units", "rad");
}

// /volume [rows, N, N] float32: mu (1/pixel) of each truth slice, slice s at
// detector row s's height, pixel (iy, ix) at X = ix - N/2, Y = N/2 - iy.
void write_truth(hid_t file, const PhantomScanOptions& options, const std::string& record) {
  write_string_attribute(file, kRecordAttribute, record);
  const auto n = static_cast<hsize_t>(options.size);
  const hsize_t dims[3] = {static_cast<hsize_t>(options.rows), n, n};
  hdf5::Dataspace space(H5Screate_simple(3, dims, nullptr));
  hdf5::Dataset volume(hdf5::check(H5Dcreate2(file, "volume", H5T_IEEE_F32LE, space.get(),
                                              H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                   "cannot create the truth volume"));
  write_string_attribute(volume.get(), "units", "1/pixel");
  set_double_attribute(volume.get(), "center", phantom_scan_center(options));
  write_string_attribute(volume.get(), kRecordAttribute, record);
  // The exact axis column of every row (the truth for centre finding).
  std::vector<double> centers;
  for (int64_t r = 0; r < options.rows; ++r) centers.push_back(phantom_row_center(options, r));
  hdf5::Dataset center = write_vector(file, "center", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, centers);
  write_string_attribute(center.get(), "units", "pixel");
  write_string_attribute(center.get(), "meaning", "detector column of the rotation axis, per row");

  const phantom::SheppLogan phantom(options.size, options.attenuation, options.object_scale);
  constexpr int64_t kRowsPerTask = 16;
  render_while_writing<float>(
      options.rows, static_cast<size_t>(n * n),
      [&](int64_t s, std::span<float> slice) {
        const phantom::Section section =
            phantom.section(phantom::SheppLogan::row_height(s, options.rows));
        parallel_for((options.size + kRowsPerTask - 1) / kRowsPerTask, [&](int64_t task) {
          const int64_t first = task * kRowsPerTask;
          const int64_t rows = std::min(kRowsPerTask, options.size - first);
          section.render_rows(
              options.size, first, kTruthSubsamples,
              slice.subspan(static_cast<size_t>(first) * n, static_cast<size_t>(rows) * n));
        });
      },
      [&](int64_t s, std::span<const float> slice) {
        const hsize_t start[3] = {static_cast<hsize_t>(s), 0, 0};
        const hsize_t counts[3] = {1, n, n};
        hdf5::Dataspace file_space(H5Dget_space(volume.get()));
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, counts, nullptr);
        hdf5::Dataspace memory_space(H5Screate_simple(3, counts, nullptr));
        hdf5::check_status(H5Dwrite(volume.get(), H5T_NATIVE_FLOAT, memory_space.get(),
                                    file_space.get(), H5P_DEFAULT, slice.data()),
                           fmt::format("cannot write truth slice {}", s));
      });
}

// ---- files -----------------------------------------------------------------

PhantomScanFiles phantom_scan_paths(const PhantomScanOptions& options) {
  PhantomScanFiles paths;
  paths.scan = fs::absolute(options.output).lexically_normal();
  const fs::path directory = paths.scan.parent_path();
  const std::string stem = paths.scan.stem().string();
  paths.truth = options.truth.empty() ? directory / (stem + "_truth.h5")
                                      : fs::absolute(options.truth).lexically_normal();
  if (options.layout == PhantomLayout::diamond)
    paths.detector = directory / (stem + "_detector.h5");
  if (options.layout == PhantomLayout::nxdata)
    paths.detector = directory / fmt::format("{}_{}.h5", stem, kNxdataDetector);
  if (options.reference_files && options.darks > 0) paths.darks = directory / kDarkFile;
  if (options.reference_files && options.flats > 0) paths.flats = directory / kFlatFile;
  return paths;
}

// The temporary files of one scan: renamed together when all are complete,
// removed together otherwise.
class PendingFiles {
public:
  ~PendingFiles() {
    if (!committed_)
      for (const OutputTarget* target : targets_) target->discard();
  }
  void add(const OutputTarget& target) { targets_.push_back(&target); }
  void commit() {
    for (const OutputTarget* target : targets_) target->commit();
    committed_ = true;
  }

private:
  std::vector<const OutputTarget*> targets_;
  bool committed_ = false;
};

} // namespace

PhantomLayout parse_phantom_layout(std::string_view name) {
  if (name == "nxtomo") return PhantomLayout::nxtomo;
  if (name == "diamond") return PhantomLayout::diamond;
  if (name == "dxchange") return PhantomLayout::dxchange;
  if (name == "nxdata") return PhantomLayout::nxdata;
  throw Error(fmt::format("unknown layout '{}': choose nxtomo, diamond, dxchange or nxdata", name));
}

std::string_view phantom_layout_name(PhantomLayout layout) {
  switch (layout) {
  case PhantomLayout::nxtomo: return "nxtomo";
  case PhantomLayout::diamond: return "diamond";
  case PhantomLayout::dxchange: return "dxchange";
  case PhantomLayout::nxdata: return "nxdata";
  }
  return "?";
}

double phantom_scan_center(const PhantomScanOptions& options) {
  return static_cast<double>(options.size / 2) + options.center_offset;
}

double phantom_row_center(const PhantomScanOptions& options, int64_t row) {
  if (options.rows < 2 || options.tilt == 0) return phantom_scan_center(options);
  const double along = static_cast<double>(row) / static_cast<double>(options.rows - 1) - 0.5;
  return phantom_scan_center(options) + options.tilt * along;
}

void validate_phantom_scan_options(const PhantomScanOptions& o) {
  if (o.output.empty()) throw Error("--output is required: the scan file to write");
  if (o.size < kMinSize)
    throw Error(
        fmt::format("--size must be at least {} detector columns (got {})", kMinSize, o.size));
  if (o.size > kMaxSize)
    throw Error(fmt::format("--size must be at most {} detector columns (got {}): the truth "
                            "volume holds size x size pixels per row",
                            kMaxSize, o.size));
  if (o.rows < 1) throw Error(fmt::format("--rows must be at least 1 (got {})", o.rows));
  if (o.angles < 2)
    throw Error(fmt::format("--angles must be at least 2 projections (got {})", o.angles));
  if (o.range_degrees != 180 && o.range_degrees != 360)
    throw Error(fmt::format("--range must be 180 or 360 degrees (got {})", o.range_degrees));
  if (!(std::isfinite(o.start_degrees) && std::abs(o.start_degrees) <= 360))
    throw Error(fmt::format("--start-angle must be between -360 and 360 degrees (got {})",
                            o.start_degrees));
  if (o.reference_files && o.layout != PhantomLayout::nxdata)
    throw Error(fmt::format("--dark-flat-files writes darks and flats beside an nxdata scan; it "
                            "does not apply to --layout {}",
                            phantom_layout_name(o.layout)));
  if (o.darks < 0) throw Error(fmt::format("--darks must be 0 or more (got {})", o.darks));
  if (o.flats < 0) throw Error(fmt::format("--flats must be 0 or more (got {})", o.flats));
  if (!(o.dark_level >= 0 && o.dark_level <= kMaxCount))
    throw Error(
        fmt::format("--dark-level must be between 0 and 65535 counts (got {})", o.dark_level));
  if (!(o.flat_level > 0 && o.flat_level <= kMaxCount))
    throw Error(
        fmt::format("--flat-level must be between 1 and 65535 counts (got {})", o.flat_level));
  if (o.dark_level + o.flat_level > kMaxCount)
    throw Error(fmt::format("--flat-level {} plus --dark-level {} is {}, above 65535 (the "
                            "largest uint16 count): the open beam would saturate the detector",
                            o.flat_level, o.dark_level, o.flat_level + o.dark_level));
  if (!(o.read_noise >= 0 && std::isfinite(o.read_noise)))
    throw Error(fmt::format("--read-noise must be 0 or more counts (got {})", o.read_noise));
  if (!(o.attenuation >= 0 && std::isfinite(o.attenuation)))
    throw Error(fmt::format("--attenuation must be 0 or more (got {})", o.attenuation));
  const double center = phantom_scan_center(o);
  if (!(center >= 0 && center <= static_cast<double>(o.size - 1)))
    throw Error(fmt::format("--center-offset {} puts the rotation axis at column {}, off the "
                            "detector (columns 0 to {})",
                            o.center_offset, center, o.size - 1));
  if (!std::isfinite(o.tilt))
    throw Error(fmt::format("--tilt must be a number of pixels (got {})", o.tilt));
  for (const int64_t row : {int64_t{0}, o.rows - 1})
    if (const double c = phantom_row_center(o, row);
        !(c >= 0 && c <= static_cast<double>(o.size - 1)))
      throw Error(fmt::format("--tilt {} puts the rotation axis at column {} on row {}, off the "
                              "detector (columns 0 to {})",
                              o.tilt, c, row, o.size - 1));
  if (!(o.pixel_size_um >= 0 && o.pixel_size_um <= 1e6))
    throw Error(fmt::format("--pixel-size must be micrometres from 0 (none written) to 1e6 (got "
                            "{})",
                            o.pixel_size_um));
  if (!(o.object_scale >= 1 && o.object_scale <= 16))
    throw Error(fmt::format("--object-scale must be from 1 (the phantom spans the detector) to "
                            "16 (got {})",
                            o.object_scale));
}

bool phantom_fits_detector(const PhantomScanOptions& options) {
  // The radius (units) of the circle about the axis that holds every ellipsoid.
  double radius = 0;
  for (const phantom::Ellipsoid& e : phantom::modified_shepp_logan())
    radius = std::max(radius, std::hypot(e.x0, e.y0) + std::max(e.a, e.b));
  const double reach = radius * options.object_scale * static_cast<double>(options.size) / 2.0;
  const double first = phantom_row_center(options, 0);
  const double last = phantom_row_center(options, options.rows - 1);
  return std::min(first, last) - reach >= 0 &&
         std::max(first, last) + reach <= static_cast<double>(options.size - 1);
}

nlohmann::json phantom_scan_record(const PhantomScanOptions& options) {
  const PhantomScanFiles paths = phantom_scan_paths(options);
  nlohmann::json record = {
      {"generator", "h5io phantom"},
      {"h5io_version", std::string(version())},
      {"phantom", "modified Shepp-Logan 3-D, ellipsoids rotated about the vertical axis only"},
      {"layout", std::string(phantom_layout_name(options.layout))},
      {"size", options.size},
      {"rows", options.rows},
      {"angles", options.angles},
      {"range_degrees", options.range_degrees},
      {"start_degrees", options.start_degrees},
      {"center_offset", options.center_offset},
      {"center", phantom_scan_center(options)},
      {"tilt", options.tilt},
      {"center_first_row", phantom_row_center(options, 0)},
      {"center_last_row", phantom_row_center(options, options.rows - 1)},
      {"center_rule", "center + tilt * (row / (rows - 1) - 0.5); per row in the truth's /center"},
      {"object_scale", options.object_scale},
      {"pixel_size_um", options.pixel_size_um},
      {"darks", options.darks},
      {"flats", options.flats},
      {"flat_level", options.flat_level},
      {"dark_level", options.dark_level},
      {"read_noise", options.read_noise},
      {"poisson", options.poisson},
      {"seed", options.seed},
      {"attenuation", options.attenuation},
      {"frame_chunks", options.frame_chunks},
      {"truth", paths.truth.string()},
  };
  if (!paths.detector.empty()) record["detector_file"] = paths.detector.filename().string();
  if (!paths.darks.empty()) record["dark_file"] = paths.darks.filename().string();
  if (!paths.flats.empty()) record["flat_file"] = paths.flats.filename().string();
  return record;
}

PhantomScanFiles write_phantom_scan(const PhantomScanOptions& options) {
  validate_phantom_scan_options(options);
  const PhantomScanFiles paths = phantom_scan_paths(options);
  // The files the layout writes besides the scan and the truth, and what
  // each is called in a message.
  const std::vector<std::pair<fs::path, const char*>> extra = {
      {paths.detector, "the detector file of this layout"},
      {paths.darks, "the dark-field file"},
      {paths.flats, "the flat-field file"}};
  if (paths.truth == paths.scan)
    throw Error(fmt::format("--truth '{}' is the scan file itself; choose another name",
                            paths.truth.string()));
  for (const auto& [path, what] : extra)
    if (!path.empty() && (paths.truth == path || paths.scan == path))
      throw Error(fmt::format("'{}' would be both {} and the {}; choose another name",
                              path.string(), what, paths.truth == path ? "truth" : "scan"));

  // Every name is checked before anything is written.
  const OutputTarget scan_target(paths.scan, options.overwrite, fs::path());
  const OutputTarget truth_target(paths.truth, options.overwrite, paths.scan);
  std::optional<OutputTarget> detector_target, darks_target, flats_target;
  if (!paths.detector.empty())
    detector_target.emplace(paths.detector, options.overwrite, paths.scan);
  if (!paths.darks.empty()) darks_target.emplace(paths.darks, options.overwrite, paths.scan);
  if (!paths.flats.empty()) flats_target.emplace(paths.flats, options.overwrite, paths.scan);

  // The scan file is renamed last: once it exists, so do the files it names.
  PendingFiles pending;
  for (const auto* target : {&detector_target, &darks_target, &flats_target})
    if (*target) pending.add(**target);
  pending.add(truth_target);
  pending.add(scan_target);

  const std::string record = phantom_scan_record(options).dump();
  const FrameRenderer renderer(options);
  if (detector_target && options.layout == PhantomLayout::diamond)
    write_file(detector_target->partial_path(),
               [&](hid_t file) { write_diamond_detector(file, options, renderer); });
  if (detector_target && options.layout == PhantomLayout::nxdata)
    write_file(detector_target->partial_path(), [&](hid_t file) {
      write_frames_file(file, nxdata_order(options), options, renderer);
    });
  if (darks_target)
    write_file(darks_target->partial_path(), [&](hid_t file) {
      write_frames_file(file, frames_of(FrameKind::dark, options.darks), options, renderer);
    });
  if (flats_target)
    write_file(flats_target->partial_path(), [&](hid_t file) {
      write_frames_file(file, frames_of(FrameKind::flat, options.flats), options, renderer);
    });
  write_file(truth_target.partial_path(), [&](hid_t file) { write_truth(file, options, record); });
  write_file(scan_target.partial_path(), [&](hid_t file) {
    write_string_attribute(file, kRecordAttribute, record);
    switch (options.layout) {
    case PhantomLayout::nxtomo: write_nxtomo(file, options, renderer); break;
    case PhantomLayout::diamond:
      write_diamond(file, paths.detector.filename().string(), options);
      break;
    case PhantomLayout::dxchange: write_dxchange(file, options, renderer); break;
    case PhantomLayout::nxdata:
      write_nxdata(file, paths.detector.filename().string(), options);
      break;
    }
  });
  pending.commit();
  return paths;
}

} // namespace h5io

// See gpu_job.hpp.
#include "gpu_job.hpp"

#include "center_vo.hpp"
#include "error.hpp"
#include "flat_field.hpp"
#include "gpu_reconstructor.hpp"
#include "gpu_staging.hpp"
#include "ring_removal.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace h5io::fbp {
namespace {

gpu::GpuGeometry geometry_of(const Options& options, const ScanShape& shape,
                             std::span<const double> angles) {
  gpu::GpuGeometry g;
  g.cols = shape.cols;
  g.angles.assign(angles.begin(), angles.end());
  g.filter = options.filter;
  g.padding = options.padding;
  g.center = kernel_center(options, shape.cols);
  if (options.mask) g.mask_radius = options.mask_ratio * static_cast<double>(shape.cols / 2);
  return g;
}

gpu::RowSlices rows_of(const RawSlices& raw, int64_t rows) {
  return {raw.data, raw.dtype, raw.slice_bytes, rows};
}

} // namespace

struct GpuJob::State {
  Options options;
  ScanShape shape;
  std::vector<double> angles;
  numerics::ThreadPool& pool;
  std::unique_ptr<CenterFinder> finder; // center=auto
  gpu::GpuReconstructor gpu;

  State(const Options& o, const ScanShape& s, std::span<const double> a, numerics::ThreadPool& p)
      : options(o), shape(s), angles(a.begin(), a.end()), pool(p), gpu(geometry_of(o, s, a)) {}

  // Per-slice search and the sorting filter need the line integrals on the
  // host; a given or fitted centre does not.
  bool host_prepares() const { return finder != nullptr || options.rings == Rings::sort; }
};

GpuJob::GpuJob(const Options& options, const ScanShape& shape, std::span<const double> angles,
               numerics::ThreadPool& pool) {
  // The checks Reconstructor makes, with its words.
  if (static_cast<int64_t>(angles.size()) != shape.angles)
    throw Error("the scan has " + std::to_string(shape.angles) + " projections but " +
                std::to_string(angles.size()) + " rotation angles");
  if (options.normalise && shape.flats < 1)
    throw Error("the scan has no flat-field frames (image_key 1 / data_white); normalisation "
                "needs them; pass normalise=false if the data are already -log normalised");
  state_ = std::make_unique<State>(options, shape, angles, pool);
  if (!options.center && !options.axis)
    state_->finder = std::make_unique<CenterFinder>(shape.cols, angles, options.center_search);
}

GpuJob::~GpuJob() = default;

bool GpuJob::angles_match(std::span<const double> angles) const {
  return angles.size() == state_->angles.size() &&
         std::equal(angles.begin(), angles.end(), state_->angles.begin());
}

void GpuJob::run(const RawSlices& projections, const RawSlices& darks, const RawSlices& flats,
                 int64_t count, float* images, double* centres, int64_t first_slice) {
  State& s = *state_;
  const int64_t p = s.shape.angles, cols = s.shape.cols;
  const gpu::RowSlices proj = rows_of(projections, p);
  const gpu::RowSlices dark = rows_of(darks, s.shape.darks);
  const gpu::RowSlices flat = rows_of(flats, s.shape.flats);
  const double nominal = kernel_center(s.options, cols);

  // A fitted axis: the slice's centre, and its shift onto the kernel's
  // (0 for a constant fit), exactly as Reconstructor takes them.
  const auto take_fitted = [&](int64_t slice, const gpu::StagingArea& area, int64_t k) {
    centres[slice] = s.options.axis->at(first_slice + slice);
    area.shifts[k] = nominal - centres[slice];
  };

  if (!s.host_prepares()) {
    std::fill(centres, centres + count, nominal);
    const auto kind = s.options.normalise ? gpu::InputKind::counts : gpu::InputKind::line_integrals;
    s.gpu.run(
        count, kind, projections.dtype,
        [&](int64_t first, int64_t n, const gpu::StagingArea& area) {
          s.pool.parallel_for(n, [&](int64_t k) {
            gpu::stage_slice(proj, dark, flat, cols, s.options.normalise, first + k, k, area);
            if (s.options.axis) take_fitted(first + k, area, k);
          });
        },
        images);
    return;
  }

  s.gpu.run(
      count, gpu::InputKind::line_integrals, H5IO_FLOAT32,
      [&](int64_t first, int64_t n, const gpu::StagingArea& area) {
        s.pool.parallel_for(n, [&](int64_t k) {
          const int64_t slice = first + k;
          float* sinogram = static_cast<float*>(area.values) + k * p * cols;
          const auto at = [&](const gpu::RowSlices& in) -> const void* {
            if (in.rows == 0) return nullptr;
            return static_cast<const unsigned char*>(in.data) +
                   static_cast<size_t>(slice) * in.slice_bytes;
          };
          const numerics::RawRows rows{at(proj), proj.dtype, p};
          if (s.options.normalise)
            numerics::normalise_rows(rows,
                                     numerics::mean_rows({at(dark), dark.dtype, dark.rows}, cols),
                                     numerics::mean_rows({at(flat), flat.dtype, flat.rows}, cols),
                                     cols, numerics::FlatFieldOutput::line_integrals, sinogram);
          else
            numerics::copy_line_integrals(rows, cols, sinogram);
          if (s.options.rings == Rings::sort)
            remove_stripes_by_sorting(sinogram, p, cols, s.options.ring_size);
          if (s.finder) {
            centres[slice] = s.finder->find(sinogram);
            area.shifts[k] = nominal - centres[slice];
          } else if (s.options.axis) {
            take_fitted(slice, area, k);
          } else {
            centres[slice] = nominal;
          }
        });
      },
      images);
}

} // namespace h5io::fbp

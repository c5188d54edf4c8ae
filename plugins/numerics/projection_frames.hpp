#pragma once
// Raw projections with their dark and flat frames, as the libraries that
// work on projections (normalise, paganin) receive them by scan role: the
// projections one frame per slice, the darks and flats whole. One place for
// the checks of their shapes and for the per-pixel dark and flat means, so
// that every such library accepts the same scans and normalises them by the
// same rules (flat_field.hpp).

#include "flat_field.hpp"
#include "h5io_plugin.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace h5io::numerics {

class ProjectionFrames {
public:
  enum Input { projections = 0, darks = 1, flats = 2 };
  static constexpr const char* kRoles[3] = {"scan:projections", "scan:darks", "scan:flats"};
  static constexpr const char* kNames[3] = {"projections", "dark-field frames",
                                            "flat-field frames"};

  // `library` names the library in messages; `without_flats` says what a
  // user with a scan that has no flats can do instead.
  ProjectionFrames(std::string library, std::string without_flats)
      : library_(std::move(library)), without_flats_(std::move(without_flats)) {}

  // Records input `index`'s shape, named `name` in messages. Throws
  // plugin::Error when the frames cannot be used: not a 3-D stack, a type no
  // library reads, empty frames, no flats at all, or darks or flats whose
  // frame size is not the projections'.
  void describe(int index, const h5io_dataspace_t& space, const std::string& name);
  const std::optional<h5io_dataspace_t>& space(int index) const {
    return spaces_[static_cast<size_t>(index)];
  }
  int64_t rows() const { return spaces_[0]->shape[1]; }
  int64_t cols() const { return spaces_[0]->shape[2]; }

  // The per-pixel dark and flat means, from the whole darks and flats (the
  // first batch's inputs 1 and 2), once.
  void take_means(const h5io_buffer_t* inputs);
  // One raw projection frame of `dtype`, normalised into `out` (rows x cols
  // floats).
  void normalise(const void* frame, h5io_dtype_t dtype, FlatFieldOutput output, float* out) const;

private:
  std::string library_;
  std::string without_flats_;
  std::array<std::optional<h5io_dataspace_t>, 3> spaces_;
  std::vector<float> dark_, flat_;
  bool have_means_ = false;
};

} // namespace h5io::numerics

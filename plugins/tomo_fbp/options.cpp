// Reading tomo_fbp's parameters. The host types each value from its text
// (h5io run) or from JSON (job messages), so numbers may arrive as INT or
// FLOAT and booleans as BOOL or 0/1; every accepted form is listed here.
// A parameter that would have no effect (mask_ratio without mask=true, ...)
// is an error too: a silent no-op hides a mistake in the user's job.
#include "options.hpp"

#include "error.hpp"
#include "param_values.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace h5io::fbp {
namespace {

constexpr const char* kKnown[] = {"method",  "filter",     "center", "center_search", "padding",
                                  "mask",    "mask_ratio", "rings",  "ring_size",     "normalise",
                                  "threads", "output",     "device"};
constexpr int kKnownCount = static_cast<int>(sizeof(kKnown) / sizeof(kKnown[0]));

using plugin::bool_of;
using plugin::lower;
using plugin::number_of;
using plugin::quoted;
using plugin::threads_of;
using plugin::whole_number_of;

} // namespace

std::string_view known_parameter_list() {
  return "method, filter, center, center_search, padding, mask, mask_ratio, rings, ring_size, "
         "normalise, threads, output, device";
}

std::string_view filter_name(FilterKind kind) {
  switch (kind) {
  case FilterKind::ramp: return "ramp";
  case FilterKind::shepp_logan: return "shepp-logan";
  case FilterKind::cosine: return "cosine";
  case FilterKind::hamming: return "hamming";
  case FilterKind::hann: return "hann";
  case FilterKind::parzen: return "parzen";
  }
  return "ramp";
}

std::string_view filter_name_list() {
  return "ramp (or ram-lak), shepp-logan, cosine, hamming, hann, parzen";
}

std::string_view device_name(Device device) {
  switch (device) {
  case Device::automatic: return "auto";
  case Device::cpu: return "cpu";
  case Device::gpu: return "gpu";
  }
  return "auto";
}

std::string_view method_name(Method method) {
  switch (method) {
  case Method::fbp: return "fbp";
  case Method::fourier: return "fourier";
  case Method::automatic: return "auto";
  }
  return "auto";
}

Method resolve_method(const Options& options, int64_t cols, int64_t angles, bool gpu) {
  if (options.method != Method::automatic) return options.method;
  if (gpu || cols < 1 || angles < 1) return Method::fbp;
  const double cost = 400.0 / static_cast<double>(angles) + 520.0 / static_cast<double>(cols);
  return cost <= 0.95 ? Method::fourier : Method::fbp;
}

std::optional<FilterKind> parse_filter_name(std::string_view name) {
  const std::string n = lower(name);
  if (n == "ramp" || n == "ram-lak" || n == "ramlak") return FilterKind::ramp;
  if (n == "shepp-logan" || n == "shepp_logan") return FilterKind::shepp_logan;
  if (n == "cosine") return FilterKind::cosine;
  if (n == "hamming") return FilterKind::hamming;
  if (n == "hann" || n == "hanning") return FilterKind::hann;
  if (n == "parzen") return FilterKind::parzen;
  return std::nullopt;
}

std::string center_location(const std::string& output) {
  const size_t slash = output.rfind('/');
  return output.substr(0, slash + 1) + "center";
}

double kernel_center(const Options& options, int64_t cols) {
  if (options.center) return *options.center;
  if (options.axis) return options.axis->kernel_center;
  return static_cast<double>(cols / 2);
}

Options parse_options(const h5io_global_params_t& params) {
  if (const h5io_param_t* unknown = h5io_first_unknown_param(&params, kKnown, kKnownCount)) {
    std::string hint;
    if (lower(unknown->key) == "normalize") hint = " (did you mean normalise?)";
    if (lower(unknown->key) == "centre") hint = " (did you mean center?)";
    throw Error("tomo_fbp has no parameter '" + std::string(unknown->key) + "'" + hint +
                "; its parameters are: " + std::string(known_parameter_list()));
  }
  Options o;
  if (const h5io_param_t* p = h5io_find_param(&params, "method")) {
    const std::string t = lower(p->text);
    if (t == "auto")
      o.method = Method::automatic;
    else if (t == "fbp")
      o.method = Method::fbp;
    else if (t == "fourier")
      o.method = Method::fourier;
    else
      throw Error("parameter " + quoted(*p) +
                  " must be 'auto' (the default: whichever is faster for the scan's size), "
                  "'fbp' (filtered back-projection) or 'fourier' (direct Fourier inversion by "
                  "gridding: faster for large images, CPU only)");
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "filter")) {
    const std::optional<FilterKind> kind = parse_filter_name(p->text);
    if (!kind)
      throw Error("filter='" + std::string(p->text) + "' is not a filter tomo_fbp knows; choose " +
                  std::string(filter_name_list()));
    o.filter = *kind;
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "center")) {
    const std::string t = lower(p->text);
    if (t == "auto") {
      o.center_mode = CenterMode::scan;
    } else if (t == "auto-per-slice") {
      o.center_mode = CenterMode::per_slice;
    } else {
      const std::optional<double> value = number_of(*p);
      if (!value)
        throw Error("parameter " + quoted(*p) +
                    " must be 'auto' (fit one rotation axis to the whole scan), "
                    "'auto-per-slice' (search every slice on its own; not recommended) or the "
                    "detector column of the rotation axis, e.g. center=1023.5");
      o.center_mode = CenterMode::given;
      o.center = *value;
    }
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "center_search")) {
    if (o.center)
      throw Error("center_search only applies to center=auto or auto-per-slice, but center=" +
                  std::string(h5io_find_param(&params, "center")->text) + " is given");
    const std::optional<double> value = number_of(*p);
    if (!value || *value < 0)
      throw Error("parameter " + quoted(*p) +
                  " must be a number of pixels >= 0: how far from the middle of the detector "
                  "the automatic centre search looks");
    o.center_search = *value;
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "padding")) {
    const std::string t = lower(p->text);
    if (t == "edge")
      o.padding = Padding::edge;
    else if (t == "zero")
      o.padding = Padding::zero;
    else
      throw Error("parameter " + quoted(*p) +
                  " must be 'edge' (extend each projection with its end values before "
                  "filtering) or 'zero' (pad with zeros, as scikit-image's iradon)");
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "mask")) o.mask = bool_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "mask_ratio")) {
    if (!o.mask)
      throw Error("mask_ratio only applies with mask=true (it sets the radius of the circle "
                  "outside which the reconstruction is set to zero)");
    const std::optional<double> value = number_of(*p);
    if (!value || *value <= 0)
      throw Error("parameter " + quoted(*p) +
                  " must be a number > 0: the mask radius as a fraction of half the image "
                  "width (1 = the inscribed circle)");
    o.mask_ratio = *value;
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "rings")) {
    const std::string t = lower(p->text);
    if (t == "none")
      o.rings = Rings::none;
    else if (t == "sort")
      o.rings = Rings::sort;
    else
      throw Error("parameter " + quoted(*p) +
                  " must be 'none' or 'sort' (Vo 2018 sorting-based ring removal)");
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "ring_size")) {
    if (o.rings == Rings::none) throw Error("ring_size only applies with rings=sort");
    const int64_t size = whole_number_of(*p, "an odd whole number >= 3 (detector pixels)");
    if (size < 3 || size % 2 == 0)
      throw Error("parameter " + quoted(*p) +
                  " must be an odd whole number >= 3: the width in detector pixels of the "
                  "median filter that removes stripes");
    o.ring_size = static_cast<int>(size);
  }
  if (const h5io_param_t* p = h5io_find_param(&params, "normalise")) o.normalise = bool_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "threads")) o.threads = threads_of(*p);
  if (const h5io_param_t* p = h5io_find_param(&params, "device")) {
    const std::string t = lower(p->text);
    if (t == "auto")
      o.device = Device::automatic;
    else if (t == "cpu")
      o.device = Device::cpu;
    else if (t == "gpu")
      o.device = Device::gpu;
    else
      throw Error("parameter " + quoted(*p) +
                  " must be 'auto' (a GPU when one is visible, otherwise the CPU), 'cpu' or "
                  "'gpu'");
    if (o.device == Device::gpu && o.method == Method::fourier)
      throw Error("method=fourier runs on the CPU only; use device=cpu (or auto, which then "
                  "takes the CPU), or method=fbp or auto (which takes fbp) on the GPU");
  }
  // method=fourier has no GPU path: device=auto takes the CPU for it.
  if (o.method == Method::fourier) o.device = Device::cpu;
  if (const h5io_param_t* p = h5io_find_param(&params, "output")) {
    const std::string path = p->text;
    if (path.size() < 2 || path[0] != '/' || path.back() == '/' ||
        path.find("//") != std::string::npos)
      throw Error("parameter " + quoted(*p) +
                  " must be an absolute dataset path such as /entry/reconstruction/data");
    if (center_location(path) == path)
      throw Error("parameter " + quoted(*p) +
                  " would collide with the rotation centres, which "
                  "are written next to the reconstruction as '" +
                  center_location(path) + "'; choose another dataset name");
    o.output = path;
  }
  return o;
}

} // namespace h5io::fbp

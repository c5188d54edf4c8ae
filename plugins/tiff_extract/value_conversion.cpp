#include "value_conversion.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

namespace h5io::extract {
namespace {

template <class T> ValueRange range_of(const T* values, int64_t count) {
  double lo = std::numeric_limits<double>::quiet_NaN(), hi = lo;
  for (int64_t i = 0; i < count; ++i) {
    const auto v = static_cast<double>(values[i]);
    if (std::isnan(v)) continue;
    if (!(v >= lo)) lo = v; // also true while lo is still NaN
    if (!(v <= hi)) hi = v;
  }
  return {lo, hi};
}

template <class Out> Out clamped(double v, uint64_t& clipped) {
  if constexpr (std::is_integral_v<Out>) {
    constexpr auto lo = static_cast<double>(std::numeric_limits<Out>::lowest());
    constexpr auto hi = static_cast<double>(std::numeric_limits<Out>::max());
    if (std::isnan(v)) {
      ++clipped;
      return 0;
    }
    const double r = std::round(v);
    if (r < lo || r > hi) {
      ++clipped;
      return r < lo ? std::numeric_limits<Out>::lowest() : std::numeric_limits<Out>::max();
    }
    return static_cast<Out>(r);
  } else {
    constexpr auto hi = static_cast<double>(std::numeric_limits<Out>::max());
    if (std::isfinite(v) && std::fabs(v) > hi) {
      ++clipped;
      return static_cast<Out>(v < 0 ? -hi : hi);
    }
    return static_cast<Out>(v);
  }
}

template <class In, class Out>
uint64_t convert_typed(const In* in, int64_t count, const Conversion& c, Out* out) {
  uint64_t clipped = 0;
  for (int64_t i = 0; i < count; ++i)
    out[i] = clamped<Out>(static_cast<double>(in[i]) * c.scale + c.offset, clipped);
  return clipped;
}

template <class In>
uint64_t convert_from(const In* in, int64_t count, const Conversion& c, void* out) {
  switch (c.target) {
  case H5IO_UINT8: return convert_typed(in, count, c, static_cast<uint8_t*>(out));
  case H5IO_INT16: return convert_typed(in, count, c, static_cast<int16_t*>(out));
  case H5IO_UINT16: return convert_typed(in, count, c, static_cast<uint16_t*>(out));
  default: return convert_typed(in, count, c, static_cast<float*>(out));
  }
}

// Calls f(typed pointer) for the element type `dtype`.
template <class F> auto with_typed(const void* values, h5io_dtype_t dtype, F&& f) {
  switch (dtype) {
  case H5IO_INT8: return f(static_cast<const int8_t*>(values));
  case H5IO_UINT8: return f(static_cast<const uint8_t*>(values));
  case H5IO_INT16: return f(static_cast<const int16_t*>(values));
  case H5IO_UINT16: return f(static_cast<const uint16_t*>(values));
  case H5IO_INT32: return f(static_cast<const int32_t*>(values));
  case H5IO_UINT32: return f(static_cast<const uint32_t*>(values));
  case H5IO_INT64: return f(static_cast<const int64_t*>(values));
  case H5IO_UINT64: return f(static_cast<const uint64_t*>(values));
  case H5IO_FLOAT32: return f(static_cast<const float*>(values));
  default: return f(static_cast<const double*>(values));
  }
}

} // namespace

ValueRange value_range(const void* values, h5io_dtype_t dtype, int64_t count) {
  return with_typed(values, dtype, [count](const auto* typed) { return range_of(typed, count); });
}

uint64_t convert_values(const void* values, h5io_dtype_t dtype, int64_t count,
                        const Conversion& conversion, void* out) {
  return with_typed(values, dtype,
                    [&](const auto* typed) { return convert_from(typed, count, conversion, out); });
}

} // namespace h5io::extract

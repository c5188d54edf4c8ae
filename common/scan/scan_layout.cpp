#include "common/scan/scan_layout.hpp"

#include "common/hdf5/dataset_info.hpp"
#include "common/hdf5/dtype.hpp"
#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/scan/scan_proposal.hpp"
#include "common/util/error.hpp"
#include "common/util/shape_text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <optional>

namespace h5io {

namespace {

constexpr const char* kKeys[] = {"scan.data",  "scan.image_key", "scan.darks",
                                 "scan.flats", "scan.angles",    "scan.angle_units"};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// True if every link of `path` exists and the object at its end resolves
// (an external link to a missing file does not).
bool object_exists(hid_t file, const std::string& path) {
  std::string prefix;
  size_t pos = 0;
  while (pos < path.size()) {
    const size_t next = path.find('/', pos);
    const std::string part = path.substr(pos, next == std::string::npos ? next : next - pos);
    pos = next == std::string::npos ? path.size() : next + 1;
    if (part.empty()) continue;
    prefix += "/" + part;
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      hdf5::error_stack_summary();
      return false;
    }
  }
  const htri_t resolves = H5Oexists_by_name(file, path.c_str(), H5P_DEFAULT);
  hdf5::error_stack_summary();
  return resolves > 0;
}

bool is_dataset(hid_t file, const std::string& path) {
  if (!object_exists(file, path)) return false;
  H5O_info_t info{};
  const bool ok = H5Oget_info_by_name2(file, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0;
  hdf5::error_stack_summary();
  return ok && info.type == H5O_TYPE_DATASET;
}

std::string join_path(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}

// The first of `names` under `group` that is a dataset, or "".
std::string first_dataset(hid_t file, const std::string& group,
                          std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (const std::string path = join_path(group, name); is_dataset(file, path)) return path;
  return "";
}

herr_t collect_group_names(hid_t group, const char* name, const H5L_info_t*, void* data) {
  auto* names = static_cast<std::vector<std::string>*>(data);
  H5O_info_t info{};
  if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
      info.type == H5O_TYPE_GROUP)
    names->emplace_back(name);
  hdf5::error_stack_summary();
  return names->size() >= 256 ? 1 : 0; // a scan file has a handful; stop at absurd ones
}

std::vector<std::string> child_groups(hid_t file, const std::string& path) {
  hdf5::Group group(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
  std::vector<std::string> names;
  if (group.valid())
    H5Literate(group.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_group_names, &names);
  hdf5::error_stack_summary();
  std::vector<std::string> paths;
  for (const auto& name : names) paths.push_back(join_path(path, name));
  return paths;
}

bool is_nxtomo_entry(hid_t file, const std::string& path) {
  hdf5::Group group(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
  hdf5::error_stack_summary();
  if (!group.valid()) return false;
  const auto nx_class = read_string_attribute(group.get(), "NX_class");
  if (!nx_class || (trimmed(*nx_class) != "NXentry" && trimmed(*nx_class) != "NXsubentry"))
    return false;
  const auto definition = read_string_dataset(file, join_path(path, "definition"));
  return definition && trimmed(*definition) == "NXtomo";
}

// NXtomo entries in the top two levels, in name order.
std::vector<std::string> find_nxtomo_entries(hid_t file) {
  std::vector<std::string> found;
  for (const std::string& top : child_groups(file, "/")) {
    if (is_nxtomo_entry(file, top)) found.push_back(top);
    for (const std::string& sub : child_groups(file, top))
      if (is_nxtomo_entry(file, sub)) found.push_back(sub);
  }
  return found;
}

struct DatasetFacts {
  std::vector<int64_t> shape;
  std::vector<int64_t> chunk;
  std::string dtype;
  bool numeric = false;
};

DatasetFacts facts_of(hid_t file, const std::string& path, const std::string& file_name) {
  hdf5::Dataset dataset(hdf5::check(H5Dopen2(file, path.c_str(), H5P_DEFAULT),
                                    fmt::format("cannot open '{}' in '{}'", path, file_name)));
  DatasetFacts facts;
  hdf5::Dataspace space(H5Dget_space(dataset.get()));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  facts.shape.assign(dims.begin(), dims.end());
  hdf5::PropertyList dcpl(H5Dget_create_plist(dataset.get()));
  if (rank > 0 && H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<size_t>(rank));
    H5Pget_chunk(dcpl.get(), rank, chunk.data());
    facts.chunk.assign(chunk.begin(), chunk.end());
  }
  hdf5::Datatype type(H5Dget_type(dataset.get()));
  const h5io_dtype_t dtype = dtype_of_hdf5_type(type.get());
  facts.numeric = dtype != H5IO_DTYPE_INVALID;
  facts.dtype = facts.numeric ? std::string(dtype_name(dtype)) : describe_hdf5_type(type.get());
  return facts;
}

// A 1-D numeric dataset (or one with a single non-trivial dimension) as
// doubles; HDF5 converts any stored integer or float type.
std::vector<double> read_values(hid_t file, const std::string& path, const std::string& what,
                                const std::string& file_name) {
  const DatasetFacts facts = facts_of(file, path, file_name);
  int64_t count = 1;
  int long_dims = 0;
  for (const int64_t extent : facts.shape) {
    count *= extent;
    long_dims += extent > 1 ? 1 : 0;
  }
  if (!facts.numeric || long_dims > 1 || facts.shape.empty())
    throw Error(fmt::format("{} '{}' in '{}' should be a list of numbers, but it holds {} "
                            "values of shape {}",
                            what, path, file_name, facts.dtype, shape_text(facts.shape)));
  std::vector<double> values(static_cast<size_t>(count));
  hdf5::Dataset dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  hdf5::check_status(
      H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      fmt::format("reading {} '{}' from '{}' failed", what, path, file_name));
  return values;
}

std::vector<FrameRange> ranges_of(const std::vector<int>& keys, int wanted) {
  std::vector<FrameRange> ranges;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] != wanted) continue;
    const auto frame = static_cast<int64_t>(i);
    if (!ranges.empty() && ranges.back().first + ranges.back().count == frame)
      ++ranges.back().count;
    else
      ranges.push_back(FrameRange{frame, 1});
  }
  return ranges;
}

FrameSet whole_dataset(const std::string& path, int64_t frames) {
  return FrameSet{path, "",
                  frames > 0 ? std::vector<FrameRange>{{0, frames}} : std::vector<FrameRange>{}};
}

void read_angles(hid_t file, const std::string& file_name, const ScanOverrides& overrides,
                 const std::vector<int>& keys, ScanLayout& scan) {
  const int64_t projections = scan.projections.count();
  if (scan.angles_path.empty()) {
    scan.angles.resize(static_cast<size_t>(projections));
    for (int64_t k = 0; k < projections; ++k)
      scan.angles[static_cast<size_t>(k)] =
          std::numbers::pi * static_cast<double>(k) / static_cast<double>(projections);
    scan.angle_units = "assumed: evenly spaced over 180 degrees";
    scan.warnings.push_back(fmt::format(
        "no rotation angles found in '{}' (looked for {}); assuming {} projections evenly spaced "
        "over 180 degrees. Name the angles with scan.angles=PATH if that is wrong.",
        file_name,
        scan.kind == "DXchange" ? "/exchange/theta" : "data/rotation_angle, sample/rotation_angle",
        projections));
    return;
  }
  std::vector<double> values = read_values(file, scan.angles_path, "angles", file_name);
  const auto frames = static_cast<int64_t>(keys.size());
  if (static_cast<int64_t>(values.size()) == frames && frames != projections) {
    std::vector<double> chosen; // one per frame: keep the projections'
    for (size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == 0) chosen.push_back(values[i]);
    values = std::move(chosen);
  } else if (static_cast<int64_t>(values.size()) != projections) {
    throw Error(fmt::format(
        "angle count mismatch in '{}': '{}' holds {} angles, but the data '{}' has {} frames of "
        "which {} are projections; there must be one angle per frame or one per projection",
        file_name, scan.angles_path, values.size(), scan.data_path, frames, projections));
  }
  for (const double value : values)
    if (!std::isfinite(value))
      throw Error(fmt::format("angles '{}' in '{}' hold a value that is not a number ({})",
                              scan.angles_path, file_name, value));

  std::optional<std::string> unit;
  if (overrides.angle_units) {
    unit = parse_angle_unit(*overrides.angle_units);
    if (!unit)
      throw Error(fmt::format("scan.angle_units='{}' is not an angle unit: use degree or rad",
                              *overrides.angle_units));
  } else {
    hdf5::Dataset dataset(H5Dopen2(file, scan.angles_path.c_str(), H5P_DEFAULT));
    if (const auto text = read_string_attribute(dataset.get(), "units")) {
      unit = parse_angle_unit(*text);
      if (!unit)
        throw Error(fmt::format("angles '{}' in '{}' have units '{}', which h5io does not know; "
                                "say which with scan.angle_units=degree or rad",
                                scan.angles_path, file_name, *text));
    }
  }
  if (unit) {
    scan.angle_units = *unit;
  } else {
    // No units: a range beyond one turn in radians can only be degrees.
    double largest = 0;
    for (const double value : values) largest = std::max(largest, std::abs(value));
    unit = largest > 2 * std::numbers::pi + 0.1 ? "degree" : "rad";
    scan.angle_units = "assumed: " + *unit;
    scan.warnings.push_back(fmt::format(
        "angles '{}' in '{}' have no units attribute; they span up to {:.4g}, so h5io takes them "
        "as {}. Say otherwise with scan.angle_units=degree or rad.",
        scan.angles_path, file_name, largest, *unit == "degree" ? "degrees" : "radians"));
  }
  if (*unit == "degree")
    for (double& value : values) value *= std::numbers::pi / 180.0;
  scan.angles = std::move(values);
}

// Frame kinds from an image_key dataset (int or float): 0 projection,
// 1 flat, 2 dark, 3 invalid.
std::vector<int> read_image_key(hid_t file, const std::string& path, int64_t frames,
                                const std::string& file_name) {
  const std::vector<double> values = read_values(file, path, "image_key", file_name);
  if (static_cast<int64_t>(values.size()) != frames)
    throw Error(fmt::format("image_key '{}' in '{}' has {} entries but the data has {} frames",
                            path, file_name, values.size(), frames));
  std::vector<int> keys(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!(v == 0 || v == 1 || v == 2 || v == 3))
      throw Error(fmt::format("image_key '{}' in '{}' has the value {} at frame {}; NXtomo "
                              "allows 0 (projection), 1 (flat), 2 (dark) and 3 (invalid)",
                              path, file_name, v, i));
    keys[i] = static_cast<int>(v);
  }
  return keys;
}

void check_frames(hid_t file, const std::string& file_name, const std::string& what,
                  const std::string& path, const std::vector<int64_t>& data_shape) {
  const DatasetFacts facts = facts_of(file, path, file_name);
  if (facts.shape.size() != 3 || !facts.numeric ||
      !std::equal(facts.shape.begin() + 1, facts.shape.end(), data_shape.begin() + 1))
    throw Error(fmt::format("{} '{}' in '{}' are {} of shape {}, but the projections are "
                            "[frames, {}, {}]: they must be numbers of the same frame size",
                            what, path, file_name, facts.dtype, shape_text(facts.shape),
                            data_shape[1], data_shape[2]));
}

// Where darks or flats of their own are: a dataset of the scan file or of
// another file.
struct FramesSource {
  hid_t file;
  std::string file_name; // for messages
  std::string other;     // "" in the scan file, else the other file's path
  std::string path;
};

FrameSet checked_frames(const FramesSource& source, const std::string& what,
                        const std::vector<int64_t>& data_shape) {
  check_frames(source.file, source.file_name, what, source.path, data_shape);
  FrameSet set =
      whole_dataset(source.path, facts_of(source.file, source.path, source.file_name).shape[0]);
  set.file = source.other;
  return set;
}

// "it holds /a [10, 4, 3] uint16, ..." : the 3-D datasets a user may have meant.
std::string frame_stacks_in(hid_t file, const std::string& file_name) {
  std::vector<std::string> stacks;
  for (const DatasetInfo& info : list_datasets(file, file_name))
    if (info.shape.size() == 3)
      stacks.push_back(fmt::format("{} {} {}", info.path, shape_text(info.shape), info.dtype));
  if (stacks.empty()) return "it holds no 3-D datasets";
  return fmt::format("its 3-D datasets are {}", fmt::join(stacks, ", "));
}

} // namespace

std::optional<std::string> parse_angle_unit(const std::string& text) {
  const std::string unit = lower(trimmed(text));
  if (unit == "degree" || unit == "degrees" || unit == "deg" || unit == "°") return "degree";
  if (unit == "rad" || unit == "radian" || unit == "radians") return "rad";
  return std::nullopt;
}

bool in_known_scan_layout(hid_t file) {
  return !find_nxtomo_entries(file).empty() || is_dataset(file, "/exchange/data");
}

bool ScanOverrides::empty() const {
  return !data && !image_key && !darks && !flats && !angles && !angle_units;
}

ScanOverrides ScanOverrides::from(const JobParams& params) {
  ScanOverrides overrides;
  for (const h5io_param_t& param : params.view()) {
    const std::string key = param.key;
    if (!key.starts_with("scan.")) continue;
    std::optional<std::string>* slot = key == "scan.data"          ? &overrides.data
                                       : key == "scan.image_key"   ? &overrides.image_key
                                       : key == "scan.darks"       ? &overrides.darks
                                       : key == "scan.flats"       ? &overrides.flats
                                       : key == "scan.angles"      ? &overrides.angles
                                       : key == "scan.angle_units" ? &overrides.angle_units
                                                                   : nullptr;
    if (slot == nullptr)
      throw Error(fmt::format("unknown parameter '{}': the scan parameters are {}", key,
                              fmt::join(kKeys, ", ")));
    *slot = std::string(param.text);
  }
  return overrides;
}

int64_t FrameSet::count() const {
  int64_t total = 0;
  for (const FrameRange& range : frames) total += range.count;
  return total;
}

std::string scan_description(const ScanLayout& scan) {
  std::string angles = "no angles";
  if (!scan.angles.empty()) {
    const auto [low, high] = std::minmax_element(scan.angles.begin(), scan.angles.end());
    angles = fmt::format("angles {:.4g} to {:.4g} degrees ({})", *low * 180 / std::numbers::pi,
                         *high * 180 / std::numbers::pi, scan.angle_units);
  }
  const std::string where = scan.entry.empty() ? "" : fmt::format(" '{}'", scan.entry);
  std::string elsewhere;
  for (const auto& [name, set] : {std::pair{"darks", &scan.darks}, std::pair{"flats", &scan.flats}})
    if (!set->file.empty())
      elsewhere += fmt::format("; {} '{}' in '{}'", name, set->path, set->file);
  if (scan.pixel_size)
    angles += fmt::format("; pixel {:.4g} x {:.4g} um ('{}')", scan.pixel_size->x_metres * 1e6,
                          scan.pixel_size->y_metres * 1e6, scan.pixel_size->path);
  return fmt::format("{}{}: {} projections, {} darks, {} flats of {} {} in '{}'{}{}; {}",
                     scan.kind == "parameters" ? "scan named by parameters" : scan.kind + " entry",
                     scan.kind == "parameters" ? "" : where, scan.projections.count(),
                     scan.darks.count(), scan.flats.count(), shape_text(scan.data_shape),
                     scan.dtype, scan.data_path,
                     scan.data_link.empty() ? "" : " (external link to " + scan.data_link + ")",
                     elsewhere, angles);
}

nlohmann::json scan_summary(const ScanLayout& scan) {
  const auto frames = [](const FrameSet& set) {
    nlohmann::json ranges = nlohmann::json::array();
    for (const FrameRange& range : set.frames) ranges.push_back({range.first, range.count});
    return nlohmann::json{
        {"path", set.path}, {"file", set.file}, {"count", set.count()}, {"ranges", ranges}};
  };
  nlohmann::json angles = {
      {"path", scan.angles_path}, {"units", scan.angle_units}, {"count", scan.angles.size()}};
  if (!scan.angles.empty()) {
    const auto [low, high] = std::minmax_element(scan.angles.begin(), scan.angles.end());
    angles["first_degrees"] = scan.angles.front() * 180 / std::numbers::pi;
    angles["min_degrees"] = *low * 180 / std::numbers::pi;
    angles["max_degrees"] = *high * 180 / std::numbers::pi;
  }
  return {{"layout", scan.kind},
          {"entry", scan.entry},
          {"data", scan.data_path},
          {"data_link", scan.data_link},
          {"shape", scan.data_shape},
          {"chunk", scan.data_chunk},
          {"dtype", scan.dtype},
          {"image_key", scan.image_key_path},
          {"projections", frames(scan.projections)},
          {"darks", frames(scan.darks)},
          {"flats", frames(scan.flats)},
          {"invalid_frames", scan.invalid_frames},
          {"angles", angles},
          {"pixel_size", scan.pixel_size ? nlohmann::json{{"x_metres", scan.pixel_size->x_metres},
                                                          {"y_metres", scan.pixel_size->y_metres},
                                                          {"path", scan.pixel_size->path},
                                                          {"units", scan.pixel_size->units}}
                                         : nlohmann::json()},
          {"warnings", scan.warnings}};
}

ScanLayout discover_scan(hid_t file, const std::string& file_name, const ScanOverrides& overrides,
                         ScanFiles* files) {
  ScanLayout scan;
  const auto require = [&](const std::string& path, const std::string& key) {
    if (path.find(":/") != std::string::npos && !parse_dataset_ref(key, path).file.empty())
      throw Error(fmt::format("{}='{}' names a dataset in another file; only scan.darks and "
                              "scan.flats may (FILE:/path): the frames, image key and angles "
                              "must be in the scan file '{}'",
                              key, path, file_name));
    if (!is_dataset(file, path))
      throw Error(fmt::format("{}: '{}' not found in '{}'{}", key, path, file_name,
                              object_exists(file, path) ? " (it is not a dataset)" : ""));
    return path;
  };
  // Darks or flats of their own: in the scan file, or in another one opened
  // through `files` (or, without it, opened here only to be checked).
  std::optional<Group> solo;
  std::optional<ScanFiles> checked_only;
  const auto references = [&](const std::string& text, const std::string& key) {
    const DatasetRef ref = parse_dataset_ref(key, text);
    if (ref.file.empty()) return FramesSource{file, file_name, "", require(ref.path, key)};
    if (files == nullptr) {
      solo.emplace(Group::Solo{});
      files = &checked_only.emplace(*solo, file_name);
    }
    const hid_t other = files->open(ref.file, key + " file");
    const std::string other_name = resolve_beside(files->scan_file(), ref.file).string();
    if (!is_dataset(other, ref.path))
      throw Error(fmt::format("{}: dataset '{}' not found in '{}'{}; {}", key, ref.path, other_name,
                              object_exists(other, ref.path) ? " (it is not a dataset)" : "",
                              frame_stacks_in(other, other_name)));
    return FramesSource{other, other_name, other_name, ref.path};
  };

  // 1. Which layout, and where its parts are.
  std::optional<FramesSource> darks_at, flats_at;
  const std::vector<std::string> entries = find_nxtomo_entries(file);
  if (!entries.empty()) {
    scan.kind = "NXtomo";
    scan.entry = entries.front();
    if (entries.size() > 1)
      scan.warnings.push_back(fmt::format("'{}' holds {} NXtomo entries ({}); using '{}'",
                                          file_name, entries.size(), fmt::join(entries, ", "),
                                          scan.entry));
    scan.data_path = first_dataset(file, scan.entry, {"data/data", "instrument/detector/data"});
    scan.image_key_path = first_dataset(
        file, scan.entry, {"instrument/detector/image_key", "data/image_key", "image_key"});
    scan.angles_path =
        first_dataset(file, scan.entry, {"data/rotation_angle", "sample/rotation_angle"});
    scan.pixel_size = find_pixel_size(file, scan.entry, scan.warnings);
    if (scan.data_path.empty() && !overrides.data)
      throw Error(fmt::format("the NXtomo entry '{}' in '{}' has no frames: neither data/data nor "
                              "instrument/detector/data is a readable dataset (an external link "
                              "to a missing file?); name it with scan.data=PATH",
                              scan.entry, file_name));
  } else if (is_dataset(file, "/exchange/data")) {
    scan.kind = "DXchange";
    scan.entry = "/exchange";
    scan.data_path = "/exchange/data";
    if (is_dataset(file, "/exchange/data_dark"))
      darks_at = FramesSource{file, file_name, "", "/exchange/data_dark"};
    if (is_dataset(file, "/exchange/data_white"))
      flats_at = FramesSource{file, file_name, "", "/exchange/data_white"};
    if (is_dataset(file, "/exchange/theta")) scan.angles_path = "/exchange/theta";
  } else if (overrides.data) {
    scan.kind = "parameters";
  } else {
    throw Error(not_a_scan_message(file_name, propose_scan(file, file_name)));
  }
  if (overrides.data) {
    scan.data_path = require(*overrides.data, "scan.data");
    if (!overrides.image_key && scan.kind != "NXtomo") scan.image_key_path.clear();
  }
  if (overrides.image_key) scan.image_key_path = require(*overrides.image_key, "scan.image_key");
  if (overrides.darks) darks_at = references(*overrides.darks, "scan.darks");
  if (overrides.flats) flats_at = references(*overrides.flats, "scan.flats");
  if (overrides.angles) scan.angles_path = require(*overrides.angles, "scan.angles");

  // 2. The frames.
  scan.data_link = external_link_target(file, scan.data_path);
  const DatasetFacts data = facts_of(file, scan.data_path, file_name);
  if (data.shape.size() != 3 || !data.numeric)
    throw Error(fmt::format("the frames '{}' in '{}' are {} of shape {}; a scan's frames are "
                            "numbers of shape [frames, rows, columns]",
                            scan.data_path, file_name, data.dtype, shape_text(data.shape)));
  scan.data_shape = data.shape;
  scan.data_chunk = data.chunk;
  scan.dtype = data.dtype;
  const int64_t frames = data.shape[0];

  std::vector<int> keys(static_cast<size_t>(frames), 0);
  if (!scan.image_key_path.empty()) {
    keys = read_image_key(file, scan.image_key_path, frames, file_name);
  } else if (scan.kind == "NXtomo") {
    scan.warnings.push_back(fmt::format(
        "the NXtomo entry '{}' in '{}' has no image_key: every frame of '{}' is taken as a "
        "projection (no darks or flats among them)",
        scan.entry, file_name, scan.data_path));
  }
  scan.projections = FrameSet{scan.data_path, "", ranges_of(keys, 0)};
  scan.flats = FrameSet{scan.data_path, "", ranges_of(keys, 1)};
  scan.darks = FrameSet{scan.data_path, "", ranges_of(keys, 2)};
  scan.invalid_frames = static_cast<int64_t>(std::count(keys.begin(), keys.end(), 3));
  if (darks_at) scan.darks = checked_frames(*darks_at, "the darks", scan.data_shape);
  if (flats_at) scan.flats = checked_frames(*flats_at, "the flats", scan.data_shape);
  for (FrameSet* set : {&scan.darks, &scan.flats})
    if (set->count() == 0) *set = FrameSet{};
  if (scan.projections.count() < 2)
    throw Error(fmt::format("'{}' has {} projection frames in '{}' (image_key 0); a "
                            "reconstruction needs at least 2",
                            file_name, scan.projections.count(), scan.data_path));
  if (scan.darks.count() == 0)
    scan.warnings.push_back(fmt::format("'{}' has no dark frames", file_name));
  if (scan.flats.count() == 0)
    scan.warnings.push_back(fmt::format("'{}' has no flat-field frames", file_name));

  // 3. The angles of the projections.
  read_angles(file, file_name, overrides, keys, scan);
  return scan;
}

} // namespace h5io

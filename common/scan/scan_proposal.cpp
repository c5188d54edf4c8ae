#include "common/scan/scan_proposal.hpp"

#include "common/hdf5/dataset_info.hpp"
#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/scan/scan_layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <numbers>
#include <optional>
#include <string_view>

namespace fs = std::filesystem;

namespace h5io {

namespace {

constexpr const char* kAngleWords[] = {"theta", "angle", "rotation"};
// A per-frame vector longer than this is no scan's metadata.
constexpr int64_t kLongestVector = int64_t{1} << 24;
// Files looked at in the scan's directory for darks and flats.
constexpr size_t kMostSiblings = 256;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The last component of an HDF5 path, in lower case.
std::string leaf(const std::string& path) {
  return lower(path.substr(path.find_last_of('/') + 1));
}

bool is_integer(const DatasetInfo& info) {
  return info.numeric && (info.dtype.starts_with("int") || info.dtype.starts_with("uint"));
}

ScanCandidate candidate(const DatasetInfo& info, std::string why) {
  return ScanCandidate{info.path, info.link, info.shape, info.dtype, std::move(why)};
}

std::optional<std::vector<double>> read_vector(hid_t file, const DatasetInfo& info) {
  if (!info.numeric || info.shape.size() != 1 || info.shape[0] < 1 ||
      info.shape[0] > kLongestVector)
    return std::nullopt;
  hdf5::Dataset dataset(H5Dopen2(file, info.path.c_str(), H5P_DEFAULT));
  std::vector<double> values(static_cast<size_t>(info.shape[0]));
  const bool read = dataset.valid() && H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                               H5P_DEFAULT, values.data()) >= 0;
  hdf5::error_stack_summary();
  if (!read) return std::nullopt;
  return values;
}

struct KeyCounts {
  int64_t projections = 0, flats = 0, darks = 0, invalid = 0;
  int kinds() const {
    return (projections > 0 ? 1 : 0) + (flats > 0 ? 1 : 0) + (darks > 0 ? 1 : 0) +
           (invalid > 0 ? 1 : 0);
  }
};

// NXtomo's image_key values 0 projection, 1 flat, 2 dark, 3 invalid; nullopt
// for anything else.
std::optional<KeyCounts> key_counts(const std::vector<double>& values) {
  KeyCounts counts;
  for (const double v : values) {
    if (v == 0)
      ++counts.projections;
    else if (v == 1)
      ++counts.flats;
    else if (v == 2)
      ++counts.darks;
    else if (v == 3)
      ++counts.invalid;
    else
      return std::nullopt;
  }
  return counts;
}

// +1 rising, -1 falling (each value at least / at most the one before, the
// ends apart), 0 otherwise.
int monotonic(const std::vector<double>& values) {
  if (values.size() < 2 ||
      !std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); }))
    return 0;
  if (values.back() > values.front() && std::is_sorted(values.begin(), values.end())) return 1;
  if (values.back() < values.front() && std::is_sorted(values.rbegin(), values.rend())) return -1;
  return 0;
}

std::string key_text(const KeyCounts& counts) {
  std::string text = fmt::format("{} projections, {} flats, {} darks", counts.projections,
                                 counts.flats, counts.darks);
  if (counts.invalid > 0) text += fmt::format(", {} invalid", counts.invalid);
  return text;
}

// The 3-D integer datasets, largest first (name order among equals).
std::vector<ScanCandidate> frame_candidates(const std::vector<DatasetInfo>& datasets) {
  std::vector<const DatasetInfo*> found;
  for (const DatasetInfo& info : datasets)
    if (is_integer(info) && info.shape.size() == 3 && info.shape[0] >= 2) found.push_back(&info);
  std::stable_sort(found.begin(), found.end(), [](const DatasetInfo* a, const DatasetInfo* b) {
    return a->elements() > b->elements();
  });
  std::vector<ScanCandidate> frames;
  for (const DatasetInfo* info : found)
    frames.push_back(candidate(*info, frames.empty() ? "the largest 3-D dataset of integers"
                                                     : "another 3-D dataset of integers"));
  return frames;
}

struct Scored {
  int score;
  ScanCandidate candidate;
  KeyCounts counts;
};

std::vector<ScanCandidate> best_first(std::vector<Scored> scored) {
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  std::vector<ScanCandidate> ranked;
  for (Scored& s : scored) ranked.push_back(std::move(s.candidate));
  return ranked;
}

std::vector<Scored> image_key_candidates(hid_t file, const std::vector<DatasetInfo>& datasets,
                                         int64_t frames, std::vector<std::string>& notes) {
  std::vector<Scored> found;
  for (const DatasetInfo& info : datasets) {
    if (info.shape != std::vector<int64_t>{frames}) continue;
    const bool by_name = leaf(info.path).find("image_key") != std::string::npos;
    const auto values = read_vector(file, info);
    const std::optional<KeyCounts> counts = values ? key_counts(*values) : std::nullopt;
    if (!counts) {
      if (by_name)
        notes.push_back(fmt::format("'{}' is named like an image key but holds values other "
                                    "than 0, 1, 2 and 3",
                                    info.path));
      continue;
    }
    // A flag of one value that is not so named tells nothing.
    if (counts->projections == 0 || (!by_name && counts->kinds() < 2)) continue;
    found.push_back(
        Scored{(by_name ? 4 : 0) + (is_integer(info) ? 1 : 0),
               candidate(info, fmt::format("{}values in {{0, 1, 2, 3}}: {}",
                                           by_name ? "named image_key; " : "", key_text(*counts))),
               *counts});
  }
  return found;
}

bool named_like_angles(const std::string& path) {
  const std::string name = leaf(path);
  return std::any_of(std::begin(kAngleWords), std::end(kAngleWords),
                     [&](const char* word) { return name.find(word) != std::string::npos; });
}

std::vector<Scored> angle_candidates(hid_t file, const std::vector<DatasetInfo>& datasets,
                                     int64_t frames, int64_t projections,
                                     const std::vector<ScanCandidate>& keys) {
  std::vector<Scored> found;
  for (const DatasetInfo& info : datasets) {
    if (info.shape.size() != 1 || (info.shape[0] != frames && info.shape[0] != projections))
      continue;
    if (std::any_of(keys.begin(), keys.end(),
                    [&](const ScanCandidate& key) { return key.path == info.path; }))
      continue;
    const bool by_name = named_like_angles(info.path);
    const auto values = read_vector(file, info);
    if (!values) continue;
    const int order = monotonic(*values);
    if (!by_name && order == 0) continue;
    if (is_integer(info) && key_counts(*values)) continue; // a key, not angles
    const auto [low, high] = std::minmax_element(values->begin(), values->end());
    std::string why = by_name ? "named like angles" : "";
    if (order != 0)
      why += fmt::format("{}values {} monotonically from {:.6g} to {:.6g}", why.empty() ? "" : "; ",
                         order > 0 ? "rise" : "fall", values->front(), values->back());
    else
      why += fmt::format("; values from {:.6g} to {:.6g}, not monotonic", *low, *high);
    why += info.shape[0] == frames ? ", one per frame" : ", one per projection";
    // Motor positions are floating point; frame counters and time stamps
    // that also rise are integers more often than not.
    found.push_back(Scored{(by_name ? 4 : 0) + (order != 0 ? 2 : 0) + (is_integer(info) ? 0 : 1),
                           candidate(info, std::move(why)), KeyCounts{}});
  }
  return found;
}

// Fills angle_units for the best angles: nothing when their units attribute
// says degree or rad, else a guess by magnitude (as discover_scan guesses).
void choose_angle_units(hid_t file, const DatasetInfo& info, ScanProposal& proposal) {
  std::optional<std::string> units;
  {
    hdf5::Dataset dataset(H5Dopen2(file, info.path.c_str(), H5P_DEFAULT));
    hdf5::error_stack_summary();
    if (dataset.valid()) units = read_string_attribute(dataset.get(), "units");
  }
  if (units && parse_angle_unit(*units)) {
    proposal.angle_units_why = fmt::format("the angles say their units: '{}'", *units);
    return;
  }
  const auto values = read_vector(file, info);
  double largest = 0;
  if (values)
    for (const double v : *values) largest = std::max(largest, std::abs(v));
  const bool degrees = largest > 2 * std::numbers::pi + 0.1;
  proposal.angle_units = degrees ? "degree" : "rad";
  proposal.angle_units_why = fmt::format(
      "the angles have {}; they reach {:.6g}, {} 2π, so they are taken as {}",
      units ? fmt::format("units '{}', which h5io does not know", *units) : "no units attribute",
      largest, degrees ? "beyond" : "within", degrees ? "degrees" : "radians");
}

// Darks or flats in a file of their own beside the scan (I12 writes
// dark_field.h5 and flat_field.h5): the largest 3-D dataset of the frames'
// size in the first file, by name, whose name holds one of `words`.
ScanCandidate references_beside(const std::string& scan_name, const std::vector<int64_t>& frame,
                                std::initializer_list<const char*> words, const char* what) {
  std::error_code ec;
  const fs::path scan = fs::absolute(scan_name, ec);
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(scan.parent_path(), ec)) {
    if (files.size() >= kMostSiblings) break;
    const std::string name = lower(entry.path().filename().string());
    const std::string extension = lower(entry.path().extension().string());
    if (extension != ".h5" && extension != ".hdf5" && extension != ".hdf" && extension != ".nxs")
      continue;
    if (std::none_of(words.begin(), words.end(),
                     [&](const char* word) { return name.find(word) != std::string::npos; }))
      continue;
    if (entry.is_regular_file(ec) && !fs::equivalent(entry.path(), scan, ec))
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
    hdf5::File other(is_hdf5 > 0 ? H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)
                                 : H5I_INVALID_HID);
    hdf5::error_stack_summary();
    if (!other.valid()) continue;
    const DatasetInfo* best = nullptr;
    std::vector<DatasetInfo> datasets;
    try {
      datasets = list_datasets(other.get(), path.string());
    } catch (const std::exception&) {
      continue; // a file we cannot list proposes nothing
    }
    for (const DatasetInfo& info : datasets)
      if (info.numeric && info.shape.size() == 3 && info.shape[0] >= 1 &&
          info.shape[1] == frame[1] && info.shape[2] == frame[2] &&
          (best == nullptr || info.elements() > best->elements()))
        best = &info;
    if (best == nullptr) continue;
    ScanCandidate found =
        candidate(*best, fmt::format("{} {} in '{}' beside the scan, frames of the same size",
                                     best->shape[0], what, path.filename().string()));
    found.path = path.filename().string() + ":" + best->path;
    return found;
  }
  return {};
}

} // namespace

std::vector<std::string> ScanProposal::params() const {
  std::vector<std::string> list;
  if (frames.empty()) return list;
  list.push_back("scan.data=" + frames.front().path);
  if (!image_keys.empty()) list.push_back("scan.image_key=" + image_keys.front().path);
  if (!darks.path.empty()) list.push_back("scan.darks=" + darks.path);
  if (!flats.path.empty()) list.push_back("scan.flats=" + flats.path);
  if (!angles.empty()) {
    list.push_back("scan.angles=" + angles.front().path);
    if (!angle_units.empty()) list.push_back("scan.angle_units=" + angle_units);
  }
  return list;
}

std::string shell_word(const std::string& text) {
  const bool plain = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("_-./:=+,@%").find(c) != std::string_view::npos;
  });
  if (plain) return text;
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string ScanProposal::command_line() const {
  std::vector<std::string> words;
  for (const std::string& param : params()) words.push_back("--param " + shell_word(param));
  return fmt::format("{}", fmt::join(words, " "));
}

ScanProposal propose_scan(hid_t file, const std::string& file_name) {
  ScanProposal proposal;
  std::vector<DatasetInfo> datasets;
  try {
    datasets = list_datasets(file, file_name);
  } catch (const std::exception&) {
    return proposal;
  }
  proposal.frames = frame_candidates(datasets);
  if (proposal.frames.empty()) return proposal;
  const std::vector<int64_t>& frame = proposal.frames.front().shape;

  const std::vector<Scored> keys = image_key_candidates(file, datasets, frame[0], proposal.notes);
  const Scored* best_key =
      keys.empty()
          ? nullptr
          : &*std::max_element(keys.begin(), keys.end(),
                               [](const Scored& a, const Scored& b) { return a.score < b.score; });
  const KeyCounts counts = best_key != nullptr ? best_key->counts : KeyCounts{frame[0], 0, 0, 0};
  proposal.image_keys = best_first(keys);
  proposal.angles = best_first(
      angle_candidates(file, datasets, frame[0], counts.projections, proposal.image_keys));
  if (!proposal.angles.empty()) {
    const auto info = std::find_if(datasets.begin(), datasets.end(), [&](const DatasetInfo& d) {
      return d.path == proposal.angles.front().path;
    });
    choose_angle_units(file, *info, proposal);
  }
  if (counts.darks == 0) proposal.darks = references_beside(file_name, frame, {"dark"}, "darks");
  if (counts.flats == 0)
    proposal.flats = references_beside(file_name, frame, {"flat", "white"}, "flats");

  if (proposal.image_keys.empty())
    proposal.notes.push_back(fmt::format(
        "no image_key found (a 1-D dataset of 0, 1, 2, 3 with one value per frame): every frame "
        "of '{}' would be taken as a projection",
        proposal.frames.front().path));
  if (proposal.angles.empty())
    proposal.notes.push_back(fmt::format(
        "no rotation angles found (a 1-D dataset named theta, angle or rotation, or of "
        "monotonic values, with one value per frame or per projection): h5io would assume the "
        "{} projections evenly spaced over 180 degrees",
        counts.projections));
  if (counts.darks == 0 && proposal.darks.path.empty())
    proposal.notes.push_back("no dark frames found: name them with scan.darks=FILE:/path");
  if (counts.flats == 0 && proposal.flats.path.empty())
    proposal.notes.push_back("no flat frames found: name them with scan.flats=FILE:/path");
  return proposal;
}

nlohmann::json proposal_json(const ScanProposal& proposal) {
  const auto list = [](const std::vector<ScanCandidate>& candidates) {
    nlohmann::json array = nlohmann::json::array();
    for (const ScanCandidate& c : candidates)
      array.push_back({{"path", c.path},
                       {"link", c.link},
                       {"shape", c.shape},
                       {"dtype", c.dtype},
                       {"why", c.why}});
    return array;
  };
  const auto one = [&](const ScanCandidate& c) {
    return c.path.empty() ? nlohmann::json() : list({c}).front();
  };
  return {{"params", proposal.params()},
          {"command_line", proposal.command_line()},
          {"frames", list(proposal.frames)},
          {"image_key", list(proposal.image_keys)},
          {"angles", list(proposal.angles)},
          {"angle_units", proposal.angle_units},
          {"angle_units_why", proposal.angle_units_why},
          {"darks", one(proposal.darks)},
          {"flats", one(proposal.flats)},
          {"notes", proposal.notes}};
}

std::string not_a_scan_message(const std::string& file_name, const ScanProposal& proposal) {
  const std::string none =
      fmt::format("'{}' is not a tomography scan h5io recognises: it has no NXtomo entry (a group "
                  "with NX_class NXentry or NXsubentry holding definition='NXtomo') and no "
                  "DXchange /exchange/data",
                  file_name);
  if (proposal.empty())
    return none + ". Name the frames with --param scan.data=PATH (and scan.darks, scan.flats, "
                  "scan.angles, scan.image_key as needed).";
  const bool looks_like_scan = !proposal.image_keys.empty() || !proposal.angles.empty();
  return fmt::format("{}; {}: try {} (h5io inspect {} shows why{})", none,
                     looks_like_scan
                         ? "it looks like a scan"
                         : fmt::format("its frames may be '{}'", proposal.frames.front().path),
                     proposal.command_line(), shell_word(file_name),
                     proposal.angle_units.empty() ? "" : "; " + proposal.angle_units_why);
}

} // namespace h5io

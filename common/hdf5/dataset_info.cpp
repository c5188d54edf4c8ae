#include "common/hdf5/dataset_info.hpp"

#include "common/hdf5/dtype.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace h5io {

namespace {

// Registered ids of the filters beamline files use (https://github.com/HDFGroup/hdf5_plugins
// and the HDF Group's filter registry); others are reported by the name stored in the file.
struct KnownFilter {
  int id;
  const char* name;
  bool compresses;
};
constexpr std::array kKnownFilters{
    KnownFilter{H5Z_FILTER_DEFLATE, "gzip", true},
    KnownFilter{H5Z_FILTER_SHUFFLE, "shuffle", false},
    KnownFilter{H5Z_FILTER_FLETCHER32, "fletcher32", false},
    KnownFilter{H5Z_FILTER_SZIP, "szip", true},
    KnownFilter{H5Z_FILTER_NBIT, "nbit", true},
    KnownFilter{H5Z_FILTER_SCALEOFFSET, "scaleoffset", true},
    KnownFilter{32000, "lzf", true},
    KnownFilter{32001, "blosc", true},
    KnownFilter{32004, "lz4", true},
    KnownFilter{32008, "bitshuffle", true}, // usually with LZ4, see settings
    KnownFilter{32015, "zstd", true},
    KnownFilter{32026, "blosc2", true},
};

// The settings worth showing, from the filter's client data (its cd_values
// layout is fixed by each filter's author).
std::string settings_of(int id, const std::vector<unsigned>& values) {
  const auto at = [&](size_t i) { return i < values.size() ? values[i] : 0u; };
  switch (id) {
  case H5Z_FILTER_DEFLATE: return values.empty() ? "" : fmt::format("level {}", at(0));
  case 32001: { // blosc: [4] level, [5] shuffle, [6] compressor
    constexpr std::array kCompressors{"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};
    if (values.size() < 7) return "";
    const char* compressor = at(6) < kCompressors.size() ? kCompressors[at(6)] : "unknown";
    return fmt::format("{} level {}{}", compressor, at(4),
                       at(5) == 1   ? ", byte shuffle"
                       : at(5) == 2 ? ", bit shuffle"
                                    : "");
  }
  case 32008: // bitshuffle: [4] 0 none, 2 lz4, 3 zstd
    return at(4) == 2 ? "lz4" : at(4) == 3 ? "zstd" : values.size() > 4 ? "no compression" : "";
  case 32015: return values.empty() ? "" : fmt::format("level {}", at(0));
  default: return "";
  }
}

FilterInfo filter_at(hid_t dcpl, unsigned index) {
  unsigned flags = 0;
  size_t count = 16;
  std::vector<unsigned> values(count);
  std::array<char, 256> stored_name{};
  unsigned config = 0;
  const H5Z_filter_t id = H5Pget_filter2(dcpl, index, &flags, &count, values.data(),
                                         stored_name.size(), stored_name.data(), &config);
  values.resize(std::min<size_t>(count, 16));
  FilterInfo filter;
  filter.id = static_cast<int>(id);
  const auto known = std::find_if(kKnownFilters.begin(), kKnownFilters.end(),
                                  [&](const KnownFilter& k) { return k.id == filter.id; });
  if (known != kKnownFilters.end()) {
    filter.name = known->name;
    filter.compresses = known->compresses;
  } else {
    filter.name = stored_name[0] != '\0' ? std::string(stored_name.data())
                                         : fmt::format("filter {}", filter.id);
    filter.compresses = true; // unknown: assume it costs like a compressor
  }
  filter.settings = settings_of(filter.id, values);
  filter.available = H5Zfilter_avail(id) > 0;
  hdf5::error_stack_summary();
  return filter;
}

std::string layout_name(H5D_layout_t layout) {
  switch (layout) {
  case H5D_CHUNKED: return "chunked";
  case H5D_CONTIGUOUS: return "contiguous";
  case H5D_COMPACT: return "compact";
  case H5D_VIRTUAL: return "virtual";
  default: return "unknown";
  }
}

DatasetInfo describe(hid_t dataset, const std::string& path) {
  DatasetInfo info;
  info.path = path;
  hdf5::Dataspace space(H5Dget_space(dataset));
  const int rank = std::max(H5Sget_simple_extent_ndims(space.get()), 0);
  std::vector<hsize_t> extent(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), extent.data(), nullptr);
  info.shape.assign(extent.begin(), extent.end());

  hdf5::Datatype type(H5Dget_type(dataset));
  const h5io_dtype_t dtype = dtype_of_hdf5_type(type.get());
  info.numeric = dtype != H5IO_DTYPE_INVALID;
  info.dtype = info.numeric ? std::string(dtype_name(dtype)) : describe_hdf5_type(type.get());
  info.element_size = H5Tget_size(type.get());

  hdf5::PropertyList dcpl(H5Dget_create_plist(dataset));
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  info.layout = layout_name(layout);
  if (layout == H5D_CHUNKED && rank > 0) {
    std::vector<hsize_t> chunk(static_cast<size_t>(rank));
    H5Pget_chunk(dcpl.get(), rank, chunk.data());
    info.chunk.assign(chunk.begin(), chunk.end());
  }
  const int filters = std::max(H5Pget_nfilters(dcpl.get()), 0);
  for (int i = 0; i < filters; ++i)
    info.filters.push_back(filter_at(dcpl.get(), static_cast<unsigned>(i)));
  hdf5::error_stack_summary();
  return info;
}

struct LinkEntry {
  std::string name;
  H5L_type_t type;
};

herr_t collect_link(hid_t, const char* name, const H5L_info_t* info, void* data) {
  static_cast<std::vector<LinkEntry>*>(data)->push_back(LinkEntry{name, info->type});
  return 0;
}

std::string child_path(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}

// A depth-first walk in name order that follows every kind of link; each
// object is described once (the first path that reaches it).
class DatasetWalk {
public:
  DatasetWalk(std::vector<DatasetInfo>& found, std::vector<std::string>* broken)
      : found_(found), broken_(broken) {}

  void visit(hid_t group, const std::string& path, const std::string& via, int depth) {
    std::vector<LinkEntry> links;
    H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link, &links);
    hdf5::error_stack_summary();
    for (const LinkEntry& link : links) {
      if (found_.size() >= kMostDatasets) return;
      const std::string path_here = child_path(path, link.name);
      std::string via_here = via.empty() ? "" : via + "/" + link.name;
      if (link.type == H5L_TYPE_EXTERNAL) via_here = external_link_target(group, link.name);
      hdf5::Object object(H5Oopen(group, link.name.c_str(), H5P_DEFAULT));
      hdf5::error_stack_summary();
      if (!object.valid()) {
        if (link.type == H5L_TYPE_EXTERNAL && broken_ != nullptr)
          broken_->push_back(fmt::format("{} -> {}", path_here, via_here));
        continue;
      }
      // An object is its file and address. The file by name, not by HDF5's
      // file number: a file reached by two external links is opened anew
      // for each, under a new number.
      H5O_info_t info{};
      const ssize_t length = H5Fget_name(object.get(), nullptr, 0);
      std::string holder(static_cast<size_t>(std::max<ssize_t>(length, 0)), '\0');
      if (length > 0) H5Fget_name(object.get(), holder.data(), holder.size() + 1);
      const bool known = H5Oget_info2(object.get(), &info, H5O_INFO_BASIC) >= 0;
      hdf5::error_stack_summary();
      if (!known || !seen_.insert({holder, info.addr}).second) continue;
      if (info.type == H5O_TYPE_GROUP && depth < kDeepest) {
        visit(object.get(), path_here, via_here, depth + 1);
      } else if (info.type == H5O_TYPE_DATASET) {
        found_.push_back(describe(object.get(), path_here));
        found_.back().link = via_here;
      }
    }
  }

private:
  static constexpr size_t kMostDatasets = 100000;
  static constexpr int kDeepest = 32;
  std::vector<DatasetInfo>& found_;
  std::vector<std::string>* broken_;
  std::set<std::pair<std::string, haddr_t>> seen_;
};

} // namespace

std::string FilterInfo::description() const {
  return settings.empty() ? name : fmt::format("{} ({})", name, settings);
}

int64_t DatasetInfo::elements() const {
  int64_t total = 1;
  for (const int64_t extent : shape) total *= extent;
  return total;
}

int64_t DatasetInfo::chunk_bytes() const {
  if (chunk.empty()) return 0;
  int64_t total = static_cast<int64_t>(element_size);
  for (const int64_t extent : chunk) total *= extent;
  return total;
}

std::string DatasetInfo::filter_summary() const {
  if (filters.empty()) return "none";
  std::string summary;
  for (const FilterInfo& filter : filters) {
    if (!summary.empty()) summary += " + ";
    summary += filter.description();
  }
  return summary;
}

DatasetInfo inspect_dataset(hid_t file, const std::string& path, const std::string& file_name) {
  hdf5::Dataset dataset(
      hdf5::check(H5Dopen2(file, path.c_str(), H5P_DEFAULT),
                  fmt::format("cannot open dataset '{}' in '{}'", path, file_name)));
  return describe(dataset.get(), path);
}

std::vector<DatasetInfo> list_datasets(hid_t file, const std::string& file_name,
                                       std::vector<std::string>* broken_links) {
  hdf5::Group root(hdf5::check(H5Gopen2(file, "/", H5P_DEFAULT),
                               fmt::format("cannot list the datasets of '{}'", file_name)));
  std::vector<DatasetInfo> found;
  DatasetWalk(found, broken_links).visit(root.get(), "/", "", 0);
  return found;
}

std::string external_link_target(hid_t file, const std::string& path) {
  H5L_info_t info{};
  if (H5Lget_info(file, path.c_str(), &info, H5P_DEFAULT) < 0 || info.type != H5L_TYPE_EXTERNAL) {
    hdf5::error_stack_summary();
    return "";
  }
  std::string value(info.u.val_size, '\0');
  const char* target_file = nullptr;
  const char* target_path = nullptr;
  unsigned flags = 0;
  if (H5Lget_val(file, path.c_str(), value.data(), value.size(), H5P_DEFAULT) < 0 ||
      H5Lunpack_elink_val(value.data(), value.size(), &flags, &target_file, &target_path) < 0) {
    hdf5::error_stack_summary();
    return "";
  }
  return fmt::format("{}:{}", target_file, target_path);
}

nlohmann::json to_json(const DatasetInfo& info) {
  nlohmann::json filters = nlohmann::json::array();
  for (const FilterInfo& filter : info.filters)
    filters.push_back({{"id", filter.id},
                       {"name", filter.name},
                       {"settings", filter.settings},
                       {"compresses", filter.compresses},
                       {"available", filter.available}});
  return {{"path", info.path},
          {"link", info.link},
          {"shape", info.shape},
          {"dtype", info.dtype},
          {"layout", info.layout},
          {"chunk", info.chunk},
          {"chunk_bytes", info.chunk_bytes()},
          {"filters", filters},
          {"compression", info.filter_summary()}};
}

} // namespace h5io

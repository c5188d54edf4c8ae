#include "inspect_report.hpp"

#include "storage_advice.hpp"

#include "common/dataset_info.hpp"
#include "common/error.hpp"
#include "common/hdf5_attributes.hpp"
#include "common/hdf5_handle.hpp"
#include "common/input_file.hpp"
#include "common/mpi_group.hpp"
#include "common/scan_layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace h5io::cli {

namespace {

using nlohmann::json;

// Which flavour of a layout: Diamond nests the NXtomo entry as an
// NXsubentry of an NXentry; most others write it as the NXentry itself.
std::string layout_detail(hid_t file, const ScanLayout& scan) {
  if (scan.kind == "DXchange") return "APS Data Exchange (/exchange)";
  if (scan.kind != "NXtomo") return scan.kind;
  hdf5::Group entry(H5Gopen2(file, scan.entry.c_str(), H5P_DEFAULT));
  hdf5::error_stack_summary();
  const auto nx_class =
      entry.valid() ? read_string_attribute(entry.get(), "NX_class") : std::optional<std::string>{};
  return nx_class && nx_class->find("NXsubentry") != std::string::npos
             ? fmt::format("NXtomo in NXsubentry '{}' (Diamond style)", scan.entry)
             : fmt::format("NXtomo in NXentry '{}'", scan.entry);
}

std::string shape_text(const json& shape) {
  return fmt::format("[{}]", fmt::join(shape.get<std::vector<int64_t>>(), ", "));
}

std::string size_text(double bytes) {
  if (bytes >= 1 << 30) return fmt::format("{:.1f} GB", bytes / (1 << 30));
  if (bytes >= 1 << 20) return fmt::format("{:.1f} MB", bytes / (1 << 20));
  return fmt::format("{:.1f} KB", bytes / 1024);
}

std::string storage_text(const json& storage) {
  const std::string layout = storage["layout"];
  if (layout != "chunked") return layout;
  return fmt::format("chunked {} ({} per chunk)", shape_text(storage["chunk"]),
                     size_text(storage["chunk_bytes"].get<double>()));
}

void bullet_list(std::string& text, const char* title, const json& lines) {
  if (lines.empty()) return;
  text += fmt::format("{}:\n", title);
  for (const auto& line : lines) text += fmt::format("  - {}\n", line.get<std::string>());
}

std::string scan_text(const json& report) {
  const json& scan = report["scan"];
  const json& storage = report["storage"];
  std::string text = fmt::format("{}: {}\n", report["file"].get<std::string>(),
                                 report["layout_detail"].get<std::string>());
  const auto row = [&](const char* name, const std::string& value) {
    text += fmt::format("  {:<12}{}\n", name, value);
  };
  row("frames", scan["data"].get<std::string>());
  if (!scan["data_link"].get<std::string>().empty())
    row("stored in", scan["data_link"].get<std::string>() + " (external link)");
  row("shape", fmt::format("{} {} (frames, rows, columns)", shape_text(scan["shape"]),
                           scan["dtype"].get<std::string>()));
  row("storage", storage_text(storage));
  row("filters", storage["compression"].get<std::string>());
  const std::string image_key = scan["image_key"];
  row("contents",
      fmt::format("{} projections, {} darks, {} flats{}{}",
                  scan["projections"]["count"].get<int64_t>(),
                  scan["darks"]["count"].get<int64_t>(), scan["flats"]["count"].get<int64_t>(),
                  scan["invalid_frames"].get<int64_t>() > 0
                      ? fmt::format(", {} invalid", scan["invalid_frames"].get<int64_t>())
                      : "",
                  image_key.empty() ? "" : " (image_key " + image_key + ")"));
  const json& angles = scan["angles"];
  if (angles.contains("min_degrees"))
    row("angles",
        fmt::format("{:.4g} to {:.4g} degrees, units {}{}", angles["min_degrees"].get<double>(),
                    angles["max_degrees"].get<double>(), angles["units"].get<std::string>(),
                    angles["path"].get<std::string>().empty()
                        ? ""
                        : " (" + angles["path"].get<std::string>() + ")"));
  bullet_list(text, "scan warnings", scan["warnings"]);
  bullet_list(text, "speed warnings", report["speed_warnings"]);
  if (report["speed_warnings"].empty()) text += "speed: no storage problems found\n";
  return text;
}

std::string plain_text(const json& report) {
  std::string text =
      fmt::format("{}: plain HDF5, not a scan h5io can use ({})\n",
                  report["file"].get<std::string>(), report["not_a_scan"].get<std::string>());
  if (report["datasets"].empty()) return text + "it holds no datasets\n";
  text += "datasets (pass one to a library as --param dataset=PATH):\n";
  for (const json& dataset : report["datasets"]) {
    const std::string path = dataset["path"];
    text += fmt::format("  {:<32} {:<20} {:<8} {}, filters {}\n", path,
                        shape_text(dataset["shape"]), dataset["dtype"].get<std::string>(),
                        storage_text(dataset), dataset["compression"].get<std::string>());
  }
  return text;
}

} // namespace

json inspect_file(const std::string& path) {
  check_input_file(path);
  // Serial HDF5 with the default driver: inspect never initialises MPI.
  const hdf5::File file = open_input_file(Group(Group::Solo{}), path);
  json report = {{"file", path}};
  ScanLayout scan;
  try {
    scan = discover_scan(file.get(), path);
  } catch (const Error& e) {
    report["layout"] = "HDF5";
    report["layout_detail"] = "plain HDF5";
    report["not_a_scan"] = e.what();
    json datasets = json::array();
    for (const DatasetInfo& info : list_datasets(file.get(), path))
      datasets.push_back(to_json(info));
    report["datasets"] = datasets;
    return report;
  }
  const DatasetInfo frames = inspect_dataset(file.get(), scan.data_path, path);
  report["layout"] = scan.kind;
  report["layout_detail"] = layout_detail(file.get(), scan);
  report["scan"] = scan_summary(scan);
  report["storage"] = to_json(frames);
  report["speed_warnings"] = storage_warnings(frames);
  return report;
}

std::string render_report(const json& report) {
  return report.contains("scan") ? scan_text(report) : plain_text(report);
}

} // namespace h5io::cli

#include "inspect_report.hpp"

#include "common/util/shape_text.hpp"
#include "storage_advice.hpp"

#include "common/hdf5/dataset_info.hpp"
#include "common/hdf5/hdf5_attributes.hpp"
#include "common/hdf5/hdf5_handle.hpp"
#include "common/hdf5/input_file.hpp"
#include "common/mpi/mpi_group.hpp"
#include "common/scan/scan_layout.hpp"
#include "common/scan/scan_proposal.hpp"
#include "common/util/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

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
  return h5io::shape_text(shape.get<std::vector<int64_t>>());
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

std::string candidate_text(const json& candidate) {
  const std::string link = candidate["link"];
  return fmt::format("{} {} {}{}: {}", candidate["path"].get<std::string>(),
                     shape_text(candidate["shape"]), candidate["dtype"].get<std::string>(),
                     link.empty() ? "" : " (external link to " + link + ")",
                     candidate["why"].get<std::string>());
}

// What to pass for a file in no known layout, and why.
std::string proposal_text(const json& proposal) {
  std::string text = "proposed scan parameters (h5io run and h5io submit take them as they are):\n";
  text += fmt::format("  {}\n", proposal["command_line"].get<std::string>());
  const auto row = [&](const char* name, const std::string& value) {
    text += fmt::format("  {:<12}{}\n", name, value);
  };
  row("frames", candidate_text(proposal["frames"][0]));
  if (!proposal["image_key"].empty()) row("image_key", candidate_text(proposal["image_key"][0]));
  if (!proposal["darks"].is_null()) row("darks", candidate_text(proposal["darks"]));
  if (!proposal["flats"].is_null()) row("flats", candidate_text(proposal["flats"]));
  if (!proposal["angles"].empty()) {
    row("angles", candidate_text(proposal["angles"][0]));
    const std::string units = proposal["angle_units"];
    row("units",
        (units.empty() ? "" : units + ": ") + proposal["angle_units_why"].get<std::string>());
  }
  std::string others;
  for (const char* kind : {"frames", "image_key", "angles"})
    for (size_t i = 1; i < proposal[kind].size(); ++i)
      others += fmt::format("  {:<12}{}\n", kind, candidate_text(proposal[kind][i]));
  if (!others.empty()) text += "other candidates:\n" + others;
  bullet_list(text, "notes", proposal["notes"]);
  return text;
}

std::string plain_text(const json& report) {
  const bool proposed = report.contains("proposal") && !report["proposal"].is_null();
  std::string text = proposed ? fmt::format("{}: {}\n", report["file"].get<std::string>(),
                                            report["layout_detail"].get<std::string>()) +
                                    proposal_text(report["proposal"])
                              : fmt::format("{}: plain HDF5, not a scan h5io can use ({})\n",
                                            report["file"].get<std::string>(),
                                            report["not_a_scan"].get<std::string>());
  if (report["datasets"].empty()) {
    text += "it holds no datasets\n";
  } else {
    text += "datasets (pass one to a library as --param dataset=PATH):\n";
    size_t width = 32; // the longest path, within reason
    for (const json& dataset : report["datasets"])
      width = std::max(width, std::min<size_t>(dataset["path"].get<std::string>().size(), 64));
    for (const json& dataset : report["datasets"]) {
      const std::string path = dataset["path"];
      const std::string link = dataset["link"];
      text += fmt::format("  {:<{}} {:<20} {:<8} {}, filters {}{}\n", path, width,
                          shape_text(dataset["shape"]), dataset["dtype"].get<std::string>(),
                          storage_text(dataset), dataset["compression"].get<std::string>(),
                          link.empty() ? "" : " -> " + link);
    }
  }
  bullet_list(text, "external links that lead nowhere", report["broken_links"]);
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
    // A file in no known layout gets a proposal of what to pass; one that
    // is NXtomo or DXchange but broken gets the error alone.
    const ScanProposal proposal =
        in_known_scan_layout(file.get()) ? ScanProposal{} : propose_scan(file.get(), path);
    report["layout"] = "HDF5";
    report["layout_detail"] =
        proposal.empty() ? "plain HDF5" : "not NXtomo or DXchange, but it looks like a scan";
    report["not_a_scan"] = e.what();
    report["proposal"] = proposal.empty() ? json() : proposal_json(proposal);
    std::vector<std::string> broken_links;
    json datasets = json::array();
    for (const DatasetInfo& info : list_datasets(file.get(), path, &broken_links))
      datasets.push_back(to_json(info));
    report["datasets"] = datasets;
    report["broken_links"] = broken_links;
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

#pragma once
// `h5io inspect`'s findings about one file: for a scan, what scan_layout
// discovers plus how the frames are stored and what that means for speed;
// for any other HDF5 file, its datasets. Gathered as JSON (what --json
// prints) and rendered as text from that same object.

#include <nlohmann/json.hpp>

#include <string>

namespace h5io::cli {

// Throws Error when the file is missing, unreadable or not HDF5.
nlohmann::json inspect_file(const std::string& path);

std::string render_report(const nlohmann::json& report);

} // namespace h5io::cli

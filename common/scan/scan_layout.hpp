#pragma once
// Finds the parts of a tomography scan in an HDF5 file the way beamlines
// write them, so a job needs no path parameters:
//   - NXtomo (NeXus): the entry is found by NX_class NXentry/NXsubentry and
//     definition "NXtomo" anywhere in the top two levels (Diamond writes
//     /entry1/tomo_entry, others /entry); darks, flats and projections share
//     one dataset and are told apart by image_key (int or float; 0 projection,
//     1 flat, 2 dark, 3 invalid and ignored); angles in degrees or radians by
//     their `units` attribute. External links are followed.
//   - DXchange (APS): /exchange/data, data_white, data_dark, theta.
// Parameters (scan.*) may name any part instead; scan.darks and scan.flats
// may name a dataset in another file (FILE:/path, see scan_files.hpp). A
// file in neither layout is refused with a proposal of the parameters that
// would describe it (scan_proposal.hpp).

#include "common/hdf5/input_dataset.hpp"
#include "common/plugin_host/job_params.hpp"
#include "common/scan/scan_files.hpp"
#include "common/scan/scan_pixel_size.hpp"

#include <hdf5.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace h5io {

// The parts of a scan a user may name instead of letting h5io find them.
struct ScanOverrides {
  std::optional<std::string> data;        // frames (darks/flats among them if image_key)
  std::optional<std::string> image_key;   // per frame of data
  std::optional<std::string> darks;       // dark frames of their own: /path or FILE:/path
  std::optional<std::string> flats;       // flat frames of their own: /path or FILE:/path
  std::optional<std::string> angles;      // per frame of data, or per projection
  std::optional<std::string> angle_units; // "degree" or "rad"
  bool empty() const;

  // From job parameters scan.data, scan.image_key, ... ; throws Error naming
  // an unknown scan.* key and listing the valid ones.
  static ScanOverrides from(const JobParams& params);
};

// Some frames of one dataset.
struct FrameSet {
  std::string path; // "" when the scan has none of these frames
  std::string file; // "" in the scan file, else the other file's absolute path
  std::vector<FrameRange> frames;
  int64_t count() const;
};

struct ScanLayout {
  std::string kind;  // "NXtomo", "DXchange" or "parameters"
  std::string entry; // the NXtomo entry or "/exchange"; "" for parameters
  std::string data_path;
  std::string data_link;           // "FILE:/path" when data is an external link
  std::vector<int64_t> data_shape; // [frames, rows, cols]
  std::vector<int64_t> data_chunk; // empty when not chunked
  std::string dtype;               // e.g. "uint16"
  std::string image_key_path;      // "" when there is none
  FrameSet projections, darks, flats;
  int64_t invalid_frames = 0;          // image_key 3
  std::vector<double> angles;          // radians, one per projection
  std::string angles_path;             // "" when made up
  std::string angle_units;             // as found: "degree", "rad", or "assumed ..."
  std::optional<PixelSize> pixel_size; // NXtomo's detector x_pixel_size, when usable
  std::vector<std::string> warnings;
};

// The layout as JSON, for provenance and `h5io inspect` (angles summarised).
nlohmann::json scan_summary(const ScanLayout& scan);

// One line for people: "NXtomo entry '/entry1/tomo_entry': 360 projections,
// 10 darks, 20 flats in '/entry1/...' (-> FILE:/path); angles 0 to 179.5 degrees".
std::string scan_description(const ScanLayout& scan);

// Throws Error with a message naming the file, what was looked for and what
// was found when the scan's parts cannot be found or do not fit together;
// for a file in no known layout, the message proposes parameters. Other
// files (scan.darks=FILE:/path) are opened through `files`, which must
// then outlive the inputs that read them; without it they are opened only
// to be checked. Collective over the group of `files` when it names any.
ScanLayout discover_scan(hid_t file, const std::string& file_name,
                         const ScanOverrides& overrides = {}, ScanFiles* files = nullptr);

// Whether the file has an NXtomo entry or a DXchange /exchange/data.
bool in_known_scan_layout(hid_t file);

// "degree" or "rad" from a units text (degree, deg, rad, radians, ...), or
// nullopt if it is neither.
std::optional<std::string> parse_angle_unit(const std::string& text);

} // namespace h5io

#pragma once
// What to pass for a file in no layout h5io knows (no NXtomo entry, no
// DXchange group). Newer Diamond files are like that: frames in an NXdata
// group behind an external link, image_key under instrument/<detector>,
// rotation angles as <motor>_value in another NXdata with no units. The
// proposal looks at every dataset reachable from the root, external links
// followed, and picks
//   - frames: 3-D integer datasets, largest first;
//   - image_key: 1-D, one per frame, by name and by values in {0, 1, 2, 3};
//   - angles: 1-D, one per frame or per projection, by name (theta, angle,
//     rotation) and by monotonic values; degrees or radians guessed by
//     magnitude when the angles have no units;
//   - darks and flats from files beside the scan whose names say so
//     (I12's dark_field.h5, flat_field.h5), when the image key has none.
// One place for it: `h5io inspect` prints it, and `h5io run` and the
// master's check name it when they refuse the file (discover_scan).

#include <hdf5.h>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace h5io {

struct ScanCandidate {
  std::string path; // in the scan file; "FILE:/path" for a file beside it
  std::string link; // "FILE:/path" when reached through an external link
  std::vector<int64_t> shape;
  std::string dtype;
  std::string why; // how it was recognised, for people
};

struct ScanProposal {
  std::vector<ScanCandidate> frames; // best first, as are the others
  std::vector<ScanCandidate> image_keys;
  std::vector<ScanCandidate> angles;
  // What to pass as scan.angle_units: "degree" or "rad" when the best
  // angles carry no units h5io knows (guessed by magnitude), else "".
  std::string angle_units;
  std::string angle_units_why;
  ScanCandidate darks, flats; // path "" when none were found beside the scan
  std::vector<std::string> notes;

  bool empty() const { return frames.empty(); }
  // "scan.data=/entry/pco1/data", ... in the order they are best passed.
  std::vector<std::string> params() const;
  // "--param scan.data=/entry/pco1/data --param ...", quoted for a shell.
  std::string command_line() const;
};

// Never throws for what the file holds: unreadable parts are left out.
ScanProposal propose_scan(hid_t file, const std::string& file_name);

nlohmann::json proposal_json(const ScanProposal& proposal);

// The refusal of a file in no known layout, naming the proposal when there
// is one.
std::string not_a_scan_message(const std::string& file_name, const ScanProposal& proposal);

// `text` as one shell word (single-quoted when it needs to be).
std::string shell_word(const std::string& text);

} // namespace h5io

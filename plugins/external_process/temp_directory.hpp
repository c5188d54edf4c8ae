#pragma once
// A private temporary directory (mkdtemp: a fresh name, mode 0700) that is
// removed with everything in it when the object goes, unless kept.

#include <filesystem>
#include <string>

namespace h5io::external {

class TempDirectory {
public:
  // Creates PARENT/PREFIXxxxxxx. Throws plugin::Error.
  TempDirectory(const std::filesystem::path& parent, const std::string& prefix);
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Leaves the directory in place (keep_temporaries=true, for debugging).
  void keep() { kept_ = true; }

private:
  std::filesystem::path path_;
  bool kept_ = false;
};

} // namespace h5io::external

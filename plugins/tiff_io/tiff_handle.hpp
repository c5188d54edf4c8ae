#pragma once
// An open libtiff file that closes itself, and that collects libtiff's error
// texts instead of letting libtiff print them on the host's stderr: they end
// up in the Error the caller throws, next to the file name.

#include <string>

#include <tiffio.h>

namespace h5io::tiff {

class TiffHandle {
public:
  // mode as TIFFOpen's ("r", "w", "w8" for BigTIFF). Throws Error.
  TiffHandle(const std::string& path, const char* mode);
  ~TiffHandle();
  TiffHandle(const TiffHandle&) = delete;
  TiffHandle& operator=(const TiffHandle&) = delete;

  TIFF* get() const { return tiff_; }
  const std::string& path() const { return path_; }

  // Closes now: a writer's last data reach the file here, so its errors are
  // thrown here rather than lost in the destructor.
  void close();

  // Throws Error "<what> <path>: <libtiff's messages>".
  [[noreturn]] void fail(const std::string& what) const;

private:
  std::string path_;
  std::string messages_; // filled by libtiff's handlers while tiff_ is open
  TIFF* tiff_ = nullptr;
};

} // namespace h5io::tiff

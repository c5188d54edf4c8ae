#include "gray_png.hpp"

#include "common/util/error.hpp"

#include <fmt/format.h>
#include <png.h>

#include <array>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace h5io::cli {

namespace {

namespace fs = std::filesystem;

// libpng reports errors by calling this and must not return to it: it
// records the message and jumps back to the setjmp in encode().
using ErrorText = std::array<char, 256>;

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* text = static_cast<ErrorText*>(png_get_error_ptr(png));
  std::snprintf(text->data(), text->size(), "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {} // nothing a user could act on

// Owns libpng's write and info structures.
class PngWriter {
public:
  PngWriter()
      : png_(png_create_write_struct(PNG_LIBPNG_VER_STRING, &error_, on_png_error, on_png_warning)),
        info_(png_ != nullptr ? png_create_info_struct(png_) : nullptr) {
    if (info_ == nullptr) throw Error("libpng could not allocate its structures");
  }
  ~PngWriter() { png_destroy_write_struct(&png_, &info_); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;

  png_structp png() const { return png_; }
  png_infop info() const { return info_; }
  const char* error() const { return error_.data(); }

private:
  ErrorText error_{};
  png_structp png_;
  png_infop info_;
};

struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

// The libpng calls, in a function of plain C types only: a longjmp out of
// libpng must skip no destructor. False when libpng failed.
bool encode(png_structp png, png_infop info, FILE* file, png_uint_32 width, png_uint_32 height,
            const uint8_t* pixels) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (png_uint_32 row = 0; row < height; ++row)
    png_write_row(png, pixels + static_cast<size_t>(row) * width);
  png_write_end(png, info);
  return true;
}

// Removes the temporary file unless the rename made it the output.
class TemporaryFile {
public:
  explicit TemporaryFile(fs::path path) : path_(std::move(path)) {}
  ~TemporaryFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const fs::path& path() const { return path_; }
  void keep() { path_.clear(); }

private:
  fs::path path_;
};

} // namespace

void write_gray_png(const fs::path& path, uint32_t width, uint32_t height,
                    std::span<const uint8_t> pixels) {
  if (pixels.size() != static_cast<size_t>(width) * height || width == 0 || height == 0)
    throw Error(fmt::format("internal error: a {} x {} image needs {} pixels, not {}", width,
                            height, static_cast<size_t>(width) * height, pixels.size()));
  const fs::path directory = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (!fs::is_directory(directory))
    throw Error(fmt::format("cannot write '{}': the directory '{}' does not exist", path.string(),
                            directory.string()));
  // The temporary file sits beside the output so that rename() is atomic.
  std::string name = ".";
  name.append(path.filename().string()).append(".XXXXXX");
  std::string pattern = (directory / name).string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0)
    throw Error(fmt::format("cannot write '{}': {}", path.string(), std::strerror(errno)));
  TemporaryFile temporary{fs::path(pattern)};
  FilePtr file(::fdopen(fd, "wb"));
  if (!file) {
    ::close(fd);
    throw Error(fmt::format("cannot write '{}': {}", path.string(), std::strerror(errno)));
  }
  static_cast<void>(::fchmod(fd, 0644)); // mkstemp makes it private; an image is for sharing
  {
    PngWriter writer;
    if (!encode(writer.png(), writer.info(), file.get(), width, height, pixels.data()))
      throw Error(fmt::format("cannot write '{}': libpng: {}", path.string(), writer.error()));
  }
  const bool flushed = std::fflush(file.get()) == 0 && ::fsync(::fileno(file.get())) == 0;
  const int flush_error = errno;
  if (std::fclose(file.release()) != 0 || !flushed)
    throw Error(fmt::format("cannot write '{}': {}", path.string(),
                            std::strerror(flushed ? errno : flush_error)));
  if (std::rename(temporary.path().c_str(), path.c_str()) != 0)
    throw Error(fmt::format("cannot write '{}': {}", path.string(), std::strerror(errno)));
  temporary.keep();
}

} // namespace h5io::cli

#include "tiff_handle.hpp"

#include "plugin_error.hpp"

#include <cstdarg>
#include <cstdio>
#include <memory>

namespace h5io::tiff {
namespace {

__attribute__((format(printf, 4, 0))) int collect_error(TIFF*, void* user_data, const char*,
                                                        const char* format, va_list args) {
  auto* messages = static_cast<std::string*>(user_data);
  char text[512];
  std::vsnprintf(text, sizeof(text), format, args);
  if (!messages->empty()) *messages += "; ";
  *messages += text;
  return 1; // handled: libtiff's global handler (stderr) is not called
}

// Warnings (unknown private tags and the like) do not stop a read.
int ignore_warning(TIFF*, void*, const char*, const char*, va_list) {
  return 1;
}

struct OpenOptionsDeleter {
  void operator()(TIFFOpenOptions* options) const { TIFFOpenOptionsFree(options); }
};

} // namespace

TiffHandle::TiffHandle(const std::string& path, const char* mode) : path_(path) {
  std::unique_ptr<TIFFOpenOptions, OpenOptionsDeleter> options(TIFFOpenOptionsAlloc());
  if (!options) throw plugin::Error("out of memory opening " + path);
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), collect_error, &messages_);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), ignore_warning, nullptr);
  tiff_ = TIFFOpenExt(path.c_str(), mode, options.get());
  if (tiff_ == nullptr)
    fail(mode[0] == 'r' ? "cannot read the TIFF file" : "cannot create the TIFF file");
}

TiffHandle::~TiffHandle() {
  if (tiff_ != nullptr) TIFFClose(tiff_);
}

void TiffHandle::close() {
  if (tiff_ == nullptr) return;
  TIFFClose(tiff_);
  tiff_ = nullptr;
  if (!messages_.empty()) fail("cannot finish writing");
}

void TiffHandle::fail(const std::string& what) const {
  throw plugin::Error(what + " " + path_ + ": " +
                      (messages_.empty() ? std::string("libtiff gave no reason") : messages_));
}

} // namespace h5io::tiff

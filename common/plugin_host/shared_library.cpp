#include "common/plugin_host/shared_library.hpp"

#include "common/util/error.hpp"

#include <dlfcn.h>

#include <utility>

namespace h5io {

SharedLibrary::SharedLibrary(const std::filesystem::path& path) : path_(path) {
  dlerror();
  // RTLD_LOCAL: two libraries may both export `process` without clashing.
  handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* why = dlerror();
    throw Error(why != nullptr ? why : "dlopen failed");
  }
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) dlclose(handle_);
}

SharedLibrary::SharedLibrary(SharedLibrary&& other) noexcept
    : path_(std::move(other.path_)), handle_(std::exchange(other.handle_, nullptr)) {}

SharedLibrary& SharedLibrary::operator=(SharedLibrary&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) dlclose(handle_);
    path_ = std::move(other.path_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

void* SharedLibrary::symbol(const char* name) const {
  return dlsym(handle_, name);
}

} // namespace h5io

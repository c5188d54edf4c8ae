#pragma once
// RAII ownership of a dlopen()ed shared object.

#include <filesystem>
#include <string>

namespace h5io {

class SharedLibrary {
public:
  // Throws Error with dlerror()'s text if the file cannot be loaded.
  explicit SharedLibrary(const std::filesystem::path& path);
  ~SharedLibrary();
  SharedLibrary(SharedLibrary&& other) noexcept;
  SharedLibrary& operator=(SharedLibrary&& other) noexcept;
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  // The address of an exported symbol, or nullptr if it is not exported.
  void* symbol(const char* name) const;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
  void* handle_ = nullptr;
};

} // namespace h5io

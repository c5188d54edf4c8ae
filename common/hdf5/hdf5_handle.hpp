#pragma once
// RAII ownership of HDF5 identifiers, and checks that turn HDF5 failures into
// h5io::Error carrying HDF5's own explanation.

#include "common/util/error.hpp"

#include <hdf5.h>

#include <string>
#include <utility>

namespace h5io::hdf5 {

template <herr_t (*Close)(hid_t)> class Handle {
public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
  void reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }

private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Dataspace = Handle<H5Sclose>;
using Datatype = Handle<H5Tclose>;
using PropertyList = Handle<H5Pclose>;
using Attribute = Handle<H5Aclose>;
using Object = Handle<H5Oclose>; // a group or dataset, whichever it is

// Stops HDF5 printing its error stack to stderr: h5io reports errors itself.
void silence_error_printing();

// The innermost messages of HDF5's current error stack ("truncated file: eof
// = 1024, ...", "file signature not found"), or "" if the stack is empty.
std::string error_stack_summary();

// Throws Error("<what>: <HDF5's explanation>") when id/status is negative.
hid_t check(hid_t id, const std::string& what);
void check_status(herr_t status, const std::string& what);

} // namespace h5io::hdf5

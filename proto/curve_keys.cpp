#include "proto/curve_keys.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace fs = std::filesystem;

namespace h5io::proto {

namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
    "WXYZ.-:+=^!/*?&<>()[]{}@%$#";
// Key files are a few hundred bytes; anything much larger is something else.
constexpr off_t kMaxKeyFileBytes = 64 * 1024;

std::string quoted(const fs::path& file) {
  return fmt::format("'{}'", file.string());
}

class Fd {
public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

private:
  int fd_;
};

struct FileText {
  std::string text;
  mode_t mode = 0;
};

FileText read_key_file(const fs::path& file) {
  const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0)
    throw Error(
        fmt::format("cannot read the CURVE key file {}: {}", quoted(file), std::strerror(errno)));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0)
    throw Error(
        fmt::format("cannot read the CURVE key file {}: {}", quoted(file), std::strerror(errno)));
  if (!S_ISREG(info.st_mode))
    throw Error(fmt::format("{} is not a CURVE key file: not a regular file", quoted(file)));
  if (info.st_size > kMaxKeyFileBytes)
    throw Error(fmt::format("{} is not a CURVE key file: it is larger than {} KiB", quoted(file),
                            kMaxKeyFileBytes / 1024));
  FileText result;
  result.mode = info.st_mode & 07777;
  std::array<char, 4096> buffer{};
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      throw Error(
          fmt::format("cannot read the CURVE key file {}: {}", quoted(file), std::strerror(errno)));
    if (got == 0) break;
    result.text.append(buffer.data(), static_cast<size_t>(got));
    if (result.text.size() > static_cast<size_t>(kMaxKeyFileBytes))
      throw Error(fmt::format("{} is not a CURVE key file: it is larger than {} KiB", quoted(file),
                              kMaxKeyFileBytes / 1024));
  }
  return result;
}

std::string_view trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

struct ParsedKeys {
  std::optional<std::string> public_key;
  std::optional<std::string> secret_key;
};

void check_z85(const fs::path& file, int line, const char* name, const std::string& value) {
  if (value.size() != kCurveKeyZ85Length)
    throw Error(fmt::format("{} line {}: {} is {} characters long; a Z85 CURVE key has {}",
                            quoted(file), line, name, value.size(), kCurveKeyZ85Length));
  const size_t bad = value.find_first_not_of(kZ85Alphabet);
  if (bad != std::string::npos)
    throw Error(fmt::format("{} line {}: {} is not Z85 text (character '{}' at position {})",
                            quoted(file), line, name, value[bad], bad + 1));
  std::array<uint8_t, 32> binary{};
  if (zmq_z85_decode(binary.data(), value.c_str()) == nullptr)
    throw Error(fmt::format("{} line {}: {} is not a valid Z85 key (a group of five characters "
                            "is out of range)",
                            quoted(file), line, name));
}

// The ZeroMQ Property Language (RFC 4) as zcert and pyzmq write it: a
// section name at the start of a line, its entries indented, `name = value`
// with the value optionally quoted, `#` comments. Only the `curve` section's
// keys matter here; `metadata` and anything else is skipped.
ParsedKeys parse_key_file(const fs::path& file, std::string_view text) {
  ParsedKeys keys;
  std::string section;
  int line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\0') != std::string_view::npos)
      throw Error(fmt::format("{} is not a CURVE key file: line {} holds a NUL byte (a binary "
                              "file?)",
                              quoted(file), line_number));
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    const std::string_view content = trim(line);
    if (first == 0) { // a section (or a top-level entry: its name is enough)
      section = std::string(trim(content.substr(0, content.find('='))));
      continue;
    }
    if (section != "curve") continue;
    const size_t eq = content.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = trim(content.substr(0, eq));
    std::string_view value = trim(content.substr(eq + 1));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const size_t close = value.find(value.front(), 1);
      if (close == std::string_view::npos)
        throw Error(fmt::format("{} line {}: the value of {} has no closing quote", quoted(file),
                                line_number, name));
      value = value.substr(1, close - 1);
    } else {
      value = value.substr(0, value.find_first_of(" \t"));
    }
    std::optional<std::string>* slot = name == "public-key"   ? &keys.public_key
                                       : name == "secret-key" ? &keys.secret_key
                                                              : nullptr;
    if (!slot) continue;
    if (slot->has_value())
      throw Error(fmt::format("{} line {}: a second {} line", quoted(file), line_number, name));
    const std::string key(value);
    check_z85(file, line_number, name == "public-key" ? "public-key" : "secret-key", key);
    *slot = key;
  }
  if (!keys.public_key)
    throw Error(fmt::format("{} is not a CURVE key file: no public-key line in a 'curve' section "
                            "(expected the format of h5io keygen, zcert or pyzmq's "
                            "zmq.auth.create_certificates)",
                            quoted(file)));
  return keys;
}

void check_curve_available() {
  if (zmq_has("curve") == 0)
    throw Error("this libzmq was built without CURVE support (libsodium): keys cannot be used");
}

void check_key_name(const std::string& name) {
  const bool valid = !name.empty() && name.front() != '.' && name.size() <= 200 &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                     });
  if (!valid)
    throw Error(fmt::format("'{}' is not a key name: use letters, digits, '.', '_' and '-', not "
                            "starting with '.' (e.g. alice, master, gpu-group)",
                            name));
}

std::string key_file_text(const std::string& name, const CurveKeyPair& keys, bool secret) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  std::string text =
      fmt::format("#   ****  Generated on {:%Y-%m-%d %H:%M:%S} by h5io keygen  ****\n", local);
  if (secret)
    text += "#   ZeroMQ CURVE **Secret** Certificate\n"
            "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
            "#   h5io: give it with --key (clients, worker groups) or as the master's\n"
            "#   secret_key_file; it stays on this machine.\n";
  else
    text += "#   ZeroMQ CURVE Public Certificate\n"
            "#   Exchange securely, or use a secure mechanism to verify the contents\n"
            "#   of this file after exchange.\n"
            "#   h5io: copy it into the master's authorized_clients_dir (a client) or\n"
            "#   authorized_workers_dir (a worker group); a master's goes to its clients\n"
            "#   and worker groups as --master-key.\n";
  text += fmt::format("\nmetadata\n    name = \"{}\"\ncurve\n    public-key = \"{}\"\n", name,
                      keys.public_key);
  if (secret) text += fmt::format("    secret-key = \"{}\"\n", keys.secret_key);
  return text;
}

// Writes `text` to a new temporary file next to `final`; returns its path.
fs::path write_temporary(const fs::path& final, const std::string& text, mode_t mode) {
  const fs::path temporary = final.string() + fmt::format(".tmp-{}", ::getpid());
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0)
    throw Error(fmt::format("cannot create {}: {}", quoted(temporary), std::strerror(errno)));
  const auto fail = [&](const char* what) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw Error(fmt::format("cannot {} {}: {}", what, quoted(temporary), std::strerror(error)));
  };
  // Exactly `mode` for a secret, whatever the umask allowed.
  if ((mode & 077) == 0 && ::fchmod(fd.get(), mode) != 0) fail("set the mode of");
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) fail("write");
  if (::close(fd.release()) != 0) fail("write");
  return temporary;
}

// Moves `temporary` to `final`; without `overwrite`, only if `final` does
// not exist (link(2) fails with EEXIST rather than replace it).
void place(const fs::path& temporary, const fs::path& final, bool overwrite) {
  const int rc = overwrite ? ::rename(temporary.c_str(), final.c_str())
                           : ::link(temporary.c_str(), final.c_str());
  const int error = errno;
  if (!overwrite || rc != 0) ::unlink(temporary.c_str());
  if (rc != 0)
    throw Error(fmt::format("cannot write {}: {}{}", quoted(final), std::strerror(error),
                            error == EEXIST ? " (--force replaces it)" : ""));
}

} // namespace

CurveKeyPair generate_curve_key_pair() {
  check_curve_available();
  std::array<char, kCurveKeyZ85Length + 1> public_key{}, secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0)
    throw Error(fmt::format("cannot make a CURVE key pair: {}", zmq_strerror(zmq_errno())));
  return {public_key.data(), secret_key.data()};
}

std::string read_public_key(const fs::path& file) {
  const FileText content = read_key_file(file);
  return *parse_key_file(file, content.text).public_key;
}

CurveKeyPair read_secret_key(const fs::path& file) {
  check_curve_available();
  const FileText content = read_key_file(file);
  const ParsedKeys keys = parse_key_file(file, content.text);
  if (!keys.secret_key)
    throw Error(fmt::format("{} is not a CURVE secret key file: no secret-key line (is it the "
                            "public .key file? the secret one is NAME.key_secret)",
                            quoted(file)));
  // As ssh refuses a private key others can read: a readable secret key is
  // one that someone else may already hold.
  if ((content.mode & 077) != 0)
    throw Error(fmt::format("{} may be read or written by group or others (mode {:04o}): a CURVE "
                            "secret key must be private to its owner; run chmod 600 {}",
                            quoted(file), content.mode, quoted(file)));
  std::array<char, kCurveKeyZ85Length + 1> derived{};
  if (zmq_curve_public(derived.data(), keys.secret_key->c_str()) != 0 ||
      derived.data() != *keys.public_key)
    throw Error(fmt::format("{}: the secret-key does not belong to the public-key (the file was "
                            "edited or put together from two key pairs)",
                            quoted(file)));
  return {*keys.public_key, *keys.secret_key};
}

CurveClientKeys read_client_keys(const fs::path& secret_file, const fs::path& server_public_file) {
  CurveClientKeys keys;
  keys.own = read_secret_key(secret_file);
  keys.server_key = read_public_key(server_public_file);
  return keys;
}

std::vector<AuthorizedKey> read_authorized_keys(const fs::path& dir) {
  std::vector<AuthorizedKey> keys;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec)
    throw Error(
        fmt::format("cannot list the authorised keys in {}: {}", quoted(dir), ec.message()));
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path& file = it->path();
    if (file.extension() != ".key" || file.filename().string().starts_with(".")) continue;
    if (!it->is_regular_file(ec)) continue;
    keys.push_back({read_public_key(file), file.stem().string(), file});
  }
  if (ec)
    throw Error(
        fmt::format("cannot list the authorised keys in {}: {}", quoted(dir), ec.message()));
  std::sort(keys.begin(), keys.end(),
            [](const AuthorizedKey& a, const AuthorizedKey& b) { return a.file < b.file; });
  return keys;
}

WrittenKeyPair write_key_pair(const fs::path& dir, const std::string& name, bool overwrite) {
  check_key_name(name);
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) throw Error(fmt::format("cannot create {}: {}", quoted(dir), ec.message()));
    fs::permissions(dir, fs::perms::owner_all, ec);
  } else if (!fs::is_directory(dir, ec)) {
    throw Error(fmt::format("{} is not a directory", quoted(dir)));
  }
  WrittenKeyPair written;
  written.public_file = dir / (name + ".key");
  written.secret_file = dir / (name + ".key_secret");
  if (!overwrite)
    for (const fs::path* file : {&written.public_file, &written.secret_file})
      if (fs::symlink_status(*file, ec).type() != fs::file_type::not_found)
        throw Error(fmt::format("{} exists; --force replaces the key pair (whoever holds the old "
                                "one is then refused)",
                                quoted(*file)));
  written.keys = generate_curve_key_pair();
  const fs::path secret_temporary =
      write_temporary(written.secret_file, key_file_text(name, written.keys, true), 0600);
  fs::path public_temporary;
  try {
    public_temporary =
        write_temporary(written.public_file, key_file_text(name, written.keys, false), 0644);
  } catch (...) {
    ::unlink(secret_temporary.c_str());
    throw;
  }
  try {
    place(secret_temporary, written.secret_file, overwrite);
  } catch (...) {
    ::unlink(public_temporary.c_str());
    throw;
  }
  place(public_temporary, written.public_file, overwrite);
  return written;
}

std::string z85_key(std::string_view binary) {
  if (binary.size() != 32) return fmt::format("<{} bytes, not a CURVE key>", binary.size());
  std::array<char, kCurveKeyZ85Length + 1> text{};
  zmq_z85_encode(text.data(), reinterpret_cast<const uint8_t*>(binary.data()), binary.size());
  return text.data();
}

void set_curve_client(zmq::socket_t& socket, const CurveClientKeys& keys) {
  socket.set(zmq::sockopt::curve_serverkey, keys.server_key);
  socket.set(zmq::sockopt::curve_publickey, keys.own.public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.own.secret_key);
}

void set_curve_server(zmq::socket_t& socket, const std::string& secret_key,
                      const std::string& zap_domain) {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, secret_key);
  socket.set(zmq::sockopt::zap_domain, zap_domain);
}

} // namespace h5io::proto

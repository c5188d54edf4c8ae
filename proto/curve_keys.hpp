#pragma once
// ZeroMQ CURVE keys for the service (PROTOCOL.md section 4): the key files,
// in the certificate format of CZMQ's zcert and pyzmq's zmq.auth, and the
// socket options that use them.
//
//   NAME.key         metadata / curve / public-key = "<40 characters Z85>"
//   NAME.key_secret  the same, plus secret-key = "<40 characters Z85>";
//                    private to its owner (mode 0600 or 0400)
//
// Every error names the file and what is wrong with it.

#include "common/util/error.hpp"

#include <zmq.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace h5io::proto {

// A key in Z85 text: 40 characters for 32 bytes.
inline constexpr size_t kCurveKeyZ85Length = 40;

struct CurveKeyPair {
  std::string public_key; // Z85
  std::string secret_key; // Z85
};

// What a client of the master (h5io submit/status, a worker group) needs:
// its own key pair and the master's public key.
struct CurveClientKeys {
  CurveKeyPair own;
  std::string server_key; // Z85
};

// A fresh key pair (zmq_curve_keypair). Throws Error if libzmq lacks CURVE.
CurveKeyPair generate_curve_key_pair();

// The public key of a NAME.key (or NAME.key_secret) file.
std::string read_public_key(const std::filesystem::path& file);

// Both keys of a NAME.key_secret file. Refuses a file that group or others
// may read or write, as ssh does a private key, and a secret key that does
// not belong to the file's public key.
CurveKeyPair read_secret_key(const std::filesystem::path& file);

// --key FILE (secret) and --master-key FILE (public) of a client.
CurveClientKeys read_client_keys(const std::filesystem::path& secret_file,
                                 const std::filesystem::path& server_public_file);

struct AuthorizedKey {
  std::string public_key; // Z85
  std::string name;       // the file's stem: alice for alice.key
  std::filesystem::path file;
};

// Every NAME.key in `dir` (not its subdirectories; NAME.key_secret files are
// not read), sorted by file name. Throws naming the first file that is not a
// key file: a typo must not silently lock someone out.
std::vector<AuthorizedKey> read_authorized_keys(const std::filesystem::path& dir);

struct WrittenKeyPair {
  std::filesystem::path public_file; // DIR/NAME.key, mode 0644 (less the umask)
  std::filesystem::path secret_file; // DIR/NAME.key_secret, mode 0600
  CurveKeyPair keys;
};

// A fresh pair as DIR/NAME.key and DIR/NAME.key_secret (DIR is created, mode
// 0700, if missing). Refuses to replace either file unless `overwrite`.
// NAME: letters, digits, '.', '_' and '-', not starting with '.'.
WrittenKeyPair write_key_pair(const std::filesystem::path& dir, const std::string& name,
                              bool overwrite);

// The Z85 text of a 32-byte key (a ZAP request carries the binary form).
std::string z85_key(std::string_view binary);

// Socket options: a client that proves `keys.own` to a server holding the
// secret half of `keys.server_key`; a server that authenticates its peers
// through the ZAP handler answering for `zap_domain`.
void set_curve_client(zmq::socket_t& socket, const CurveClientKeys& keys);
void set_curve_server(zmq::socket_t& socket, const std::string& secret_key,
                      const std::string& zap_domain);

} // namespace h5io::proto

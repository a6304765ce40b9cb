// Functions declared through the admin API: the config file's function shape (shared with
// the `functions:` section), AWS Lambda's CreateFunction / UpdateFunctionConfiguration
// bodies and FunctionConfiguration answer, the stored form kept in the triggers topic,
// and the checks and unpacking of a zip package (no absolute paths, `..` or symlinks;
// Lambda's size limits).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "base/result.h"
#include "services/triggers/event_source_mapping.h"
#include "services/triggers/functions.h"

namespace wharf::triggers {

// A config list of strings ("where" names it in errors); YAML numbers and booleans are
// taken as their text.
result<std::vector<std::string>> string_list(const boost::json::value& v, const std::string& where);

// One function of the config file's shape (url / runtime / exec, handler, timeout_s,
// concurrency, memory_mb, environment, working_directory); where prefixes error messages
// ("functions.orders").
result<function_spec> parse_function_spec(const std::string& name, const boost::json::value& v,
                                          const std::string& where);

// Lambda's function name rule: 1 to 64 letters, digits, - and _.
bool valid_function_name(std::string_view name);

// A function created through the API, as stored under "function/<name>".
struct stored_function {
  std::string name;
  // Wharf's own shape (PUT /wharf/functions/{name}); empty for a Lambda package.
  boost::json::object wharf;
  // A Lambda zip package (CreateFunction): Runtime, Handler, ... and the code's digest.
  std::string package_runtime;  // python3.12, java21, provided.al2023
  std::string handler;
  std::string description;
  std::string role;
  int timeout_s = 3;
  int memory_mb = 128;
  std::map<std::string, std::string> environment;
  std::string code_sha256;  // base64 SHA-256 of the zip, Lambda's CodeSha256
  std::int64_t code_size = 0;
  int code_chunks = 0;  // stored as "function-code/<hex sha256>/<i>", 512 KiB each
  double last_modified = 0;

  bool is_package() const { return !package_runtime.empty(); }
  // Whether Wharf runs a command for it (a runtime, exec or a package).
  bool runs_commands() const;
  // The hex SHA-256 of the code (names its directory and chunks).
  std::string code_hex() const;
};

std::string to_stored_json(const stored_function& f);
result<stored_function> function_from_stored_json(std::string_view text);

// The spec to run f with: a package runs from code_dir (its unpacked zip) with the
// command its Runtime calls for.
result<function_spec> spec_of(const stored_function& f, const std::filesystem::path& code_dir);

// The Runtime values CreateFunction accepts, and the command each runs.
bool supported_runtime(const std::string& runtime);

// A CreateFunction body: the function and its zip (decoded from Code.ZipFile).
struct create_request {
  stored_function function;
  std::string zip;
};
result<create_request, api_error> parse_create_function(const boost::json::value& body,
                                                        std::string_view name_from_path = {});
// UpdateFunctionConfiguration applied to a function.
result<stored_function, api_error> apply_configuration_update(stored_function f,
                                                              const boost::json::value& body);
// UpdateFunctionCode's ZipFile, decoded.
result<std::string, api_error> zip_of_update_code(const boost::json::value& body);

// Lambda's FunctionConfiguration for a running function (stored is null for the config
// file's functions).
boost::json::object function_configuration(const function_spec& spec, const stored_function* stored,
                                           const aws_identity& aws);

// Lambda's LastModified format: 2024-05-01T12:00:00.000+0000.
std::string lambda_time(double epoch_seconds);

// --- zip packages ------------------------------------------------------------------

struct zip_limits {
  std::uint64_t max_zipped = 50ull * 1024 * 1024;     // Lambda: 50 MB zipped (direct upload)
  std::uint64_t max_unzipped = 250ull * 1024 * 1024;  // Lambda: 250 MB unzipped
  std::uint64_t max_entries = 100'000;
};

// Checks an archive without writing anything: readable, within the limits, and every
// entry a relative path without `..`, not a symlink nor another special file.
status check_zip(std::string_view zip, const zip_limits& limits = {});

// Checks, then unpacks into dir (created; its parent must exist). Files keep their Unix
// permission bits (an executable `bootstrap` stays executable); nothing is written
// outside dir. On failure dir is removed.
status unpack_zip(std::string_view zip, const std::filesystem::path& dir,
                  const zip_limits& limits = {});

// Base64 SHA-256 (Lambda's CodeSha256) and its hex form.
std::string sha256_base64(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);

}  // namespace wharf::triggers

#include "services/triggers/function_api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <regex>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <zip.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/base64.h"

namespace wharf::triggers {

namespace bj = boost::json;
namespace fs = std::filesystem;

result<std::vector<std::string>> string_list(const bj::value& v, const std::string& where) {
  if (!v.is_array() || v.get_array().empty()) {
    return make_error(errc::invalid_argument, "{} must be a non-empty list of strings", where);
  }
  std::vector<std::string> out;
  for (const auto& item : v.get_array()) {
    if (item.is_string()) {
      out.emplace_back(item.get_string());
    } else if (item.is_number() || item.is_bool()) {
      out.push_back(bj::serialize(item));  // YAML read `true` or `8080` as a scalar
    } else {
      return make_error(errc::invalid_argument, "{} must be a list of strings", where);
    }
  }
  return out;
}

namespace {

std::string text_of(const bj::value& v) {
  return v.is_string() ? std::string(v.get_string()) : bj::serialize(v);
}

result<int, api_error> integer_in(const bj::value& v, std::string_view member, int min, int max) {
  if (!v.is_int64()) {
    return invalid_parameter(fmt::format("{} must be an integer", member));
  }
  auto n = v.get_int64();
  std::string lower(member);
  if (!lower.empty()) lower[0] = static_cast<char>(std::tolower(lower[0]));
  if (n < min) {
    return validation_error(text_of(v), lower,
                            fmt::format("Member must have value greater than or equal to {}", min));
  }
  if (n > max) {
    return validation_error(text_of(v), lower,
                            fmt::format("Member must have value less than or equal to {}", max));
  }
  return static_cast<int>(n);
}

result<std::string, api_error> string_member(const bj::object& o, std::string_view member) {
  const auto* v = o.if_contains(member);
  if (!v || v->is_null()) return std::string();
  if (!v->is_string()) return invalid_parameter(fmt::format("{} must be a string", member));
  return std::string(v->get_string());
}

result<std::map<std::string, std::string>, api_error> environment_of(const bj::value& v) {
  if (!v.is_object()) return invalid_parameter("Environment must be an object");
  std::map<std::string, std::string> out;
  const auto* vars = v.get_object().if_contains("Variables");
  if (!vars || vars->is_null()) return out;
  if (!vars->is_object()) return invalid_parameter("Environment.Variables must be an object");
  static const std::regex key(R"([a-zA-Z]([a-zA-Z0-9_])+)");
  for (const auto& [k, value] : vars->get_object()) {
    std::string name(k);
    if (!std::regex_match(name, key)) {
      return validation_error(name, "environment.variables",
                              "Member must satisfy regular expression pattern: "
                              "[a-zA-Z]([a-zA-Z0-9_])+");
    }
    if (!value.is_string()) {
      return invalid_parameter(fmt::format("Environment variable {} must be a string", name));
    }
    out[name] = std::string(value.get_string());
  }
  return out;
}

result<std::string, api_error> zip_file_of(const bj::value& code_or_body, bool required) {
  if (!code_or_body.is_object()) return invalid_parameter("Code must be an object");
  const auto& o = code_or_body.get_object();
  for (const char* other : {"S3Bucket", "S3Key", "ImageUri", "SourceKMSKeyArn"}) {
    if (o.contains(other)) {
      return invalid_parameter(
          fmt::format("Wharf takes a function's code as ZipFile only (an upload, as --zip-file "
                      "fileb://code.zip sends it); {} is not supported",
                      other));
    }
  }
  const auto* zip = o.if_contains("ZipFile");
  if (!zip || zip->is_null()) {
    if (!required) return std::string();
    return invalid_parameter("Please provide a source for function code (Code.ZipFile).");
  }
  if (!zip->is_string()) return invalid_parameter("ZipFile must be base64 text");
  zip_limits limits;
  // A quick bound before decoding: base64 is 4 characters per 3 bytes.
  if (zip->get_string().size() / 4 * 3 > limits.max_zipped + 3) {
    return api_error{"RequestEntityTooLargeException", 413,
                     fmt::format("Zipped code must be smaller than {} bytes", limits.max_zipped)};
  }
  auto bytes = base64::decode(std::string_view(zip->get_string()));
  if (!bytes) return invalid_parameter("ZipFile is not valid base64");
  if (bytes->size() > limits.max_zipped) {
    return api_error{"RequestEntityTooLargeException", 413,
                     fmt::format("Zipped code must be smaller than {} bytes", limits.max_zipped)};
  }
  if (auto checked = check_zip(*bytes, limits); !checked.ok()) {
    return invalid_parameter("Could not unzip uploaded file: " + checked.err().message());
  }
  return std::move(*bytes);
}

double now_seconds() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) /
         1000.0;
}

// A zip member's name as a relative path, or why it is refused.
result<fs::path> entry_path(std::string_view name) {
  if (name.empty()) return make_error(errc::invalid_argument, "an entry has no name");
  if (name.find('\0') != std::string_view::npos) {
    return make_error(errc::invalid_argument, "an entry's name holds a NUL byte");
  }
  if (name.front() == '/' || name.front() == '\\' ||
      (name.size() > 1 && name[1] == ':' && std::isalpha(static_cast<unsigned char>(name[0])))) {
    return make_error(errc::invalid_argument, "'{}' is an absolute path", name);
  }
  fs::path out;
  std::size_t start = 0;
  while (start <= name.size()) {
    auto end = name.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = name.size();
    auto part = name.substr(start, end - start);
    if (part == "..") return make_error(errc::invalid_argument, "'{}' leaves the archive", name);
    if (!part.empty() && part != ".") out /= std::string(part);
    start = end + 1;
  }
  return out;
}

struct zip_discarder {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using zip_handle = std::unique_ptr<zip_t, zip_discarder>;

result<zip_handle> open_zip(std::string_view bytes) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) {
    std::string text = zip_error_strerror(&err);
    zip_error_fini(&err);
    return make_error(errc::invalid_argument, "{}", text);
  }
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!z) {
    std::string text = zip_error_strerror(&err);
    zip_source_free(src);
    zip_error_fini(&err);
    return make_error(errc::invalid_argument, "not a zip archive ({})", text);
  }
  zip_error_fini(&err);
  return zip_handle(z);
}

struct entry_info {
  fs::path path;
  bool directory = false;
  unsigned mode = 0644;
};

result<std::vector<entry_info>> list_entries(zip_t* z, const zip_limits& limits) {
  auto count = zip_get_num_entries(z, 0);
  if (count < 0) return make_error(errc::invalid_argument, "unreadable archive");
  if (static_cast<std::uint64_t>(count) > limits.max_entries) {
    return make_error(errc::invalid_argument, "more than {} entries", limits.max_entries);
  }
  std::vector<entry_info> out;
  std::uint64_t total = 0;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
        !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE)) {
      return make_error(errc::invalid_argument, "entry {} is unreadable", i);
    }
    std::string_view name(st.name);
    WHARF_ASSIGN_OR_RETURN(auto path, entry_path(name));
    entry_info e;
    e.path = std::move(path);
    e.directory = name.back() == '/' || name.back() == '\\';
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    if (zip_file_get_external_attributes(z, static_cast<zip_uint64_t>(i), 0, &opsys, &attributes) ==
            0 &&
        opsys == ZIP_OPSYS_UNIX) {
      unsigned mode = attributes >> 16;
      unsigned type = mode & S_IFMT;
      if (type == S_IFLNK) return make_error(errc::invalid_argument, "'{}' is a symlink", name);
      if (type != 0 && type != S_IFREG && type != S_IFDIR) {
        return make_error(errc::invalid_argument, "'{}' is not a file or directory", name);
      }
      if (type == S_IFDIR) e.directory = true;
      // Only the permission bits a file needs: never setuid, setgid or sticky.
      if (!e.directory) e.mode = (mode & 0111) ? 0755 : 0644;
    }
    if (e.path.empty() && !e.directory) {
      return make_error(errc::invalid_argument, "'{}' names no file", name);
    }
    total += st.size;
    if (total > limits.max_unzipped) {
      return make_error(errc::invalid_argument, "Unzipped size must be smaller than {} bytes",
                        limits.max_unzipped);
    }
    out.push_back(std::move(e));
  }
  return out;
}

status write_entry(zip_t* z, zip_uint64_t index, const fs::path& target, unsigned mode,
                   std::uint64_t& written, const zip_limits& limits) {
  zip_file_t* f = zip_fopen_index(z, index, 0);
  if (!f) {
    return make_error(errc::invalid_argument, "cannot read '{}': {}", target.filename().string(),
                      zip_strerror(z));
  }
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(f, zip_fclose);
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    return make_error(errc::io_error, "cannot create {}: {}", target.string(),
                      std::strerror(errno));
  }
  std::vector<char> buffer(64 * 1024);
  status outcome;
  for (;;) {
    auto n = zip_fread(f, buffer.data(), buffer.size());
    if (n < 0) {
      outcome = make_error(errc::invalid_argument, "cannot read '{}': {}",
                           target.filename().string(), zip_file_strerror(f));
      break;
    }
    if (n == 0) break;
    written += static_cast<std::uint64_t>(n);
    if (written > limits.max_unzipped) {
      outcome = make_error(errc::invalid_argument, "Unzipped size must be smaller than {} bytes",
                           limits.max_unzipped);
      break;
    }
    for (zip_int64_t done = 0; done < n;) {
      auto w = ::write(fd, buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        outcome = make_error(errc::io_error, "cannot write {}: {}", target.string(),
                             std::strerror(errno));
        break;
      }
      done += w;
    }
    if (!outcome.ok()) break;
  }
  ::fchmod(fd, mode);  // whatever the umask took away
  ::close(fd);
  return outcome;
}

}  // namespace

bool valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

result<function_spec> parse_function_spec(const std::string& name, const bj::value& v,
                                          const std::string& where_prefix) {
  if (!v.is_object()) {
    return make_error(errc::invalid_argument, "{} must be a mapping", where_prefix);
  }
  function_spec spec;
  spec.name = name;
  int kinds = 0;
  for (const auto& [key, value] : v.get_object()) {
    std::string where = fmt::format("{}.{}", where_prefix, std::string(key));
    if (key == "url") {
      if (!value.is_string()) return make_error(errc::invalid_argument, "{} must be a URL", where);
      spec.url = std::string(value.get_string());
      ++kinds;
    } else if (key == "runtime") {
      WHARF_ASSIGN_OR_RETURN(spec.runtime, string_list(value, where));
      ++kinds;
    } else if (key == "exec") {
      WHARF_ASSIGN_OR_RETURN(spec.exec, string_list(value, where));
      ++kinds;
    } else if (key == "handler") {
      if (!value.is_string()) return make_error(errc::invalid_argument, "{} must be text", where);
      spec.handler = std::string(value.get_string());
    } else if (key == "timeout_s" || key == "concurrency" || key == "memory_mb") {
      if (!value.is_int64() || value.get_int64() < 1) {
        return make_error(errc::invalid_argument, "{} must be a positive whole number", where);
      }
      auto n = value.get_int64();
      if (key == "timeout_s") {
        if (n > 900) return make_error(errc::invalid_argument, "{} is at most 900 (15 min)", where);
        spec.timeout = std::chrono::seconds(n);
      } else if (key == "concurrency") {
        if (n > 1000) return make_error(errc::invalid_argument, "{} is at most 1000", where);
        spec.concurrency = static_cast<int>(n);
      } else {
        if (n < 128 || n > 10'240) {
          return make_error(errc::invalid_argument, "{} is between 128 and 10240", where);
        }
        spec.memory_mb = static_cast<int>(n);
      }
    } else if (key == "environment") {
      if (!value.is_object()) {
        return make_error(errc::invalid_argument, "{} must be a mapping of names to values", where);
      }
      for (const auto& [k, e] : value.get_object()) {
        spec.environment[std::string(k)] =
            e.is_string() ? std::string(e.get_string()) : bj::serialize(e);
      }
    } else if (key == "working_directory") {
      if (!value.is_string()) return make_error(errc::invalid_argument, "{} must be a path", where);
      spec.working_directory = std::string(value.get_string());
    } else {
      return make_error(errc::invalid_argument,
                        "{}: unknown setting (url, runtime, exec, handler, timeout_s, "
                        "concurrency, memory_mb, environment, working_directory)",
                        where);
    }
  }
  if (kinds != 1) {
    return make_error(errc::invalid_argument, "{} needs exactly one of url, runtime and exec",
                      where_prefix);
  }
  return spec;
}

bool stored_function::runs_commands() const {
  return is_package() || wharf.contains("runtime") || wharf.contains("exec");
}

std::string stored_function::code_hex() const {
  auto raw = base64::decode(code_sha256);
  if (!raw) return {};
  std::string out;
  for (unsigned char c : *raw) out += fmt::format("{:02x}", c);
  return out;
}

std::string to_stored_json(const stored_function& f) {
  bj::object o{{"name", f.name}, {"last_modified", f.last_modified}};
  if (f.is_package()) {
    bj::object env;
    for (const auto& [k, v] : f.environment) env[k] = v;
    o["runtime"] = f.package_runtime;
    o["handler"] = f.handler;
    o["description"] = f.description;
    o["role"] = f.role;
    o["timeout_s"] = f.timeout_s;
    o["memory_mb"] = f.memory_mb;
    o["environment"] = std::move(env);
    o["code_sha256"] = f.code_sha256;
    o["code_size"] = f.code_size;
    o["code_chunks"] = f.code_chunks;
  } else {
    o["wharf"] = f.wharf;
    o["description"] = f.description;
  }
  return bj::serialize(o);
}

result<stored_function> function_from_stored_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = bj::parse(text, ec);
  if (ec || !v.is_object()) return make_error(errc::parse_error, "not a stored function");
  const auto& o = v.get_object();
  stored_function f;
  try {
    f.name = std::string(o.at("name").as_string());
    f.last_modified = o.at("last_modified").to_number<double>();
    if (const auto* d = o.if_contains("description"); d && d->is_string()) {
      f.description = std::string(d->get_string());
    }
    if (const auto* w = o.if_contains("wharf"); w && w->is_object()) {
      f.wharf = w->get_object();
    } else {
      f.package_runtime = std::string(o.at("runtime").as_string());
      f.handler = std::string(o.at("handler").as_string());
      f.role = std::string(o.at("role").as_string());
      f.timeout_s = static_cast<int>(o.at("timeout_s").as_int64());
      f.memory_mb = static_cast<int>(o.at("memory_mb").as_int64());
      for (const auto& [k, e] : o.at("environment").as_object()) {
        f.environment[std::string(k)] = std::string(e.as_string());
      }
      f.code_sha256 = std::string(o.at("code_sha256").as_string());
      f.code_size = o.at("code_size").as_int64();
      f.code_chunks = static_cast<int>(o.at("code_chunks").as_int64());
    }
  } catch (const std::exception& e) {
    return make_error(errc::parse_error, "a stored function lacks a member: {}", e.what());
  }
  return f;
}

bool supported_runtime(const std::string& runtime) {
  static const std::regex known(
      R"(python3\.[0-9]{1,2}|java(8|8\.al2|11|17|21|25)|provided(\.al2|\.al2023)?)");
  return std::regex_match(runtime, known);
}

result<function_spec> spec_of(const stored_function& f, const fs::path& code_dir) {
  if (!f.is_package()) return parse_function_spec(f.name, f.wharf, "function " + f.name);
  function_spec spec;
  spec.name = f.name;
  spec.handler = f.handler;
  spec.timeout = std::chrono::seconds(f.timeout_s);
  spec.memory_mb = f.memory_mb;
  spec.environment = f.environment;
  spec.working_directory = code_dir.string();
  const auto& r = f.package_runtime;
  if (r.starts_with("python3")) {
    spec.runtime = {"python3", "-m", "awslambdaric", f.handler};
  } else if (r.starts_with("java")) {
    spec.runtime = {"java", "-cp", fmt::format("{}:{}/lib/*", code_dir.string(), code_dir.string()),
                    "com.amazonaws.services.lambda.runtime.api.client.AWSLambda", f.handler};
  } else if (r.starts_with("provided")) {
    auto bootstrap = code_dir / "bootstrap";
    if (::access(bootstrap.c_str(), X_OK) != 0) {
      return make_error(errc::invalid_argument,
                        "the {} runtime runs the package's executable `bootstrap`, which the "
                        "zip does not hold",
                        r);
    }
    spec.runtime = {bootstrap.string()};
  } else {
    return make_error(errc::invalid_argument, "the runtime {} is not supported", r);
  }
  return spec;
}

result<create_request, api_error> parse_create_function(const bj::value& body,
                                                        std::string_view name_from_path) {
  if (!body.is_object()) return invalid_parameter("The request body must be a JSON object");
  const auto& o = body.get_object();
  create_request out;
  auto& f = out.function;
  WHARF_ASSIGN_OR_RETURN(auto name, string_member(o, "FunctionName"));
  if (name.empty()) name = std::string(name_from_path);
  if (name.empty()) return invalid_parameter("FunctionName is required");
  auto plain = function_name_of(name);
  if (!plain.ok()) return plain.err();
  if (!valid_function_name(*plain)) {
    return validation_error(name, "functionName",
                            "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ "
                            "and have length between 1 and 64");
  }
  f.name = *plain;
  WHARF_ASSIGN_OR_RETURN(auto package_type, string_member(o, "PackageType"));
  if (!package_type.empty() && package_type != "Zip") {
    return invalid_parameter("Wharf runs Zip packages only (PackageType Zip)");
  }
  WHARF_ASSIGN_OR_RETURN(f.package_runtime, string_member(o, "Runtime"));
  if (f.package_runtime.empty()) {
    return invalid_parameter(
        "Runtime and Handler are mandatory parameters for functions "
        "created with deployment packages.");
  }
  if (f.package_runtime.starts_with("nodejs")) {
    return invalid_parameter(fmt::format(
        "The runtime parameter of {} is not supported by Wharf (python3.x, java8.al2, java11, "
        "java17, java21, provided, provided.al2, provided.al2023)",
        f.package_runtime));
  }
  if (!supported_runtime(f.package_runtime)) {
    return invalid_parameter(fmt::format(
        "Value {} at 'runtime' failed to satisfy constraint: the runtimes Wharf runs are "
        "python3.x, java8.al2, java11, java17, java21, provided, provided.al2, provided.al2023",
        f.package_runtime));
  }
  WHARF_ASSIGN_OR_RETURN(f.handler, string_member(o, "Handler"));
  if (f.handler.empty() && !f.package_runtime.starts_with("provided")) {
    return invalid_parameter(
        "Runtime and Handler are mandatory parameters for functions "
        "created with deployment packages.");
  }
  if (f.handler.size() > 128) {
    return validation_error(f.handler, "handler",
                            "Member must have length less than or equal to 128");
  }
  WHARF_ASSIGN_OR_RETURN(f.role, string_member(o, "Role"));
  WHARF_ASSIGN_OR_RETURN(f.description, string_member(o, "Description"));
  if (const auto* t = o.if_contains("Timeout"); t && !t->is_null()) {
    WHARF_ASSIGN_OR_RETURN(f.timeout_s, integer_in(*t, "Timeout", 1, 900));
  }
  if (const auto* m = o.if_contains("MemorySize"); m && !m->is_null()) {
    WHARF_ASSIGN_OR_RETURN(f.memory_mb, integer_in(*m, "MemorySize", 128, 10'240));
  }
  if (const auto* e = o.if_contains("Environment"); e && !e->is_null()) {
    WHARF_ASSIGN_OR_RETURN(f.environment, environment_of(*e));
  }
  const auto* code = o.if_contains("Code");
  if (!code) return invalid_parameter("Code is required (Code.ZipFile)");
  WHARF_ASSIGN_OR_RETURN(out.zip, zip_file_of(*code, true));
  f.code_sha256 = sha256_base64(out.zip);
  f.code_size = static_cast<std::int64_t>(out.zip.size());
  f.last_modified = now_seconds();
  return out;
}

result<stored_function, api_error> apply_configuration_update(stored_function f,
                                                              const bj::value& body) {
  if (!body.is_object()) return invalid_parameter("The request body must be a JSON object");
  const auto& o = body.get_object();
  if (const auto* r = o.if_contains("Runtime"); r && !r->is_null()) {
    if (!f.is_package()) {
      return invalid_parameter(
          "Runtime applies to zip packages; change this function's kind "
          "with PUT /wharf/functions/{name}");
    }
    if (!r->is_string() || !supported_runtime(std::string(r->get_string()))) {
      return invalid_parameter(
          fmt::format("The runtime {} is not supported by Wharf", text_of(*r)));
    }
    f.package_runtime = std::string(r->get_string());
  }
  if (const auto* h = o.if_contains("Handler"); h && !h->is_null()) {
    if (!h->is_string()) return invalid_parameter("Handler must be a string");
    if (f.is_package()) {
      f.handler = std::string(h->get_string());
    } else {
      f.wharf["handler"] = h->get_string();
    }
  }
  if (const auto* d = o.if_contains("Description"); d && d->is_string()) {
    f.description = std::string(d->get_string());
  }
  if (const auto* r = o.if_contains("Role"); r && r->is_string() && f.is_package()) {
    f.role = std::string(r->get_string());
  }
  if (const auto* t = o.if_contains("Timeout"); t && !t->is_null()) {
    WHARF_ASSIGN_OR_RETURN(auto timeout, integer_in(*t, "Timeout", 1, 900));
    if (f.is_package()) {
      f.timeout_s = timeout;
    } else {
      f.wharf["timeout_s"] = timeout;
    }
  }
  if (const auto* m = o.if_contains("MemorySize"); m && !m->is_null()) {
    WHARF_ASSIGN_OR_RETURN(auto memory, integer_in(*m, "MemorySize", 128, 10'240));
    if (f.is_package()) {
      f.memory_mb = memory;
    } else {
      f.wharf["memory_mb"] = memory;
    }
  }
  if (const auto* e = o.if_contains("Environment"); e && !e->is_null()) {
    WHARF_ASSIGN_OR_RETURN(auto env, environment_of(*e));
    if (f.is_package()) {
      f.environment = std::move(env);
    } else {
      bj::object vars;
      for (const auto& [k, v] : env) vars[k] = v;
      f.wharf["environment"] = std::move(vars);
    }
  }
  f.last_modified = now_seconds();
  return f;
}

result<std::string, api_error> zip_of_update_code(const bj::value& body) {
  if (!body.is_object()) return invalid_parameter("The request body must be a JSON object");
  return zip_file_of(body, true);
}

std::string lambda_time(double epoch_seconds) {
  auto whole = static_cast<std::time_t>(epoch_seconds);
  auto millis = static_cast<int>(std::lround((epoch_seconds - static_cast<double>(whole)) * 1000));
  if (millis >= 1000) millis = 999;
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

bj::object function_configuration(const function_spec& spec, const stored_function* stored,
                                  const aws_identity& aws) {
  static const double started = now_seconds();  // the config file's functions' LastModified
  bj::object o;
  o["FunctionName"] = spec.name;
  o["FunctionArn"] = aws.function_arn(spec.name);
  if (stored && stored->is_package()) o["Runtime"] = stored->package_runtime;
  o["Role"] = stored && !stored->role.empty()
                  ? stored->role
                  : fmt::format("arn:aws:iam::{}:role/wharf", aws.account_id);
  if (!spec.handler.empty()) o["Handler"] = spec.handler;
  o["CodeSize"] = stored ? stored->code_size : 0;
  o["Description"] = stored ? stored->description : "";
  o["Timeout"] =
      static_cast<std::int64_t>((spec.timeout.count() + 999) / 1000);  // whole seconds, rounded up
  o["MemorySize"] = spec.memory_mb;
  o["LastModified"] = lambda_time(stored ? stored->last_modified : started);
  o["CodeSha256"] = stored ? stored->code_sha256 : "";
  o["Version"] = "$LATEST";
  if (!spec.environment.empty()) {
    bj::object vars;
    for (const auto& [k, v] : spec.environment) vars[k] = v;
    o["Environment"] = bj::object{{"Variables", std::move(vars)}};
  }
  o["TracingConfig"] = bj::object{{"Mode", "PassThrough"}};
  o["State"] = "Active";
  o["LastUpdateStatus"] = "Successful";
  o["PackageType"] = "Zip";
  o["Architectures"] = bj::array{"x86_64"};
  o["EphemeralStorage"] = bj::object{{"Size", 512}};
  std::string kind = stored && stored->is_package() ? "package"
                     : !spec.url.empty()            ? "url"
                     : !spec.exec.empty()           ? "exec"
                                                    : "runtime";
  o["WharfKind"] = kind;
  o["WharfOrigin"] = stored ? "api" : "config";
  o["WharfConcurrency"] = spec.concurrency;
  return o;
}

status check_zip(std::string_view zip, const zip_limits& limits) {
  if (zip.size() > limits.max_zipped) {
    return make_error(errc::invalid_argument, "Zipped size must be smaller than {} bytes",
                      limits.max_zipped);
  }
  WHARF_ASSIGN_OR_RETURN(auto z, open_zip(zip));
  WHARF_ASSIGN_OR_RETURN(auto entries, list_entries(z.get(), limits));
  (void)entries;
  return {};
}

status unpack_zip(std::string_view zip, const fs::path& dir, const zip_limits& limits) {
  if (zip.size() > limits.max_zipped) {
    return make_error(errc::invalid_argument, "Zipped size must be smaller than {} bytes",
                      limits.max_zipped);
  }
  WHARF_ASSIGN_OR_RETURN(auto z, open_zip(zip));
  WHARF_ASSIGN_OR_RETURN(auto entries, list_entries(z.get(), limits));
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!fs::create_directory(dir, ec) || ec) {
    return make_error(errc::io_error, "cannot create {}: {}", dir.string(), ec.message());
  }
  auto fail = [&dir](error e) -> status {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return e;
  };
  std::uint64_t written = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    auto target = dir / e.path;
    // Every directory on the way is a real directory inside dir (no entry is a symlink,
    // so none can have been made one), created here.
    auto parent = e.directory ? target : target.parent_path();
    fs::create_directories(parent, ec);
    if (ec) {
      return fail(
          make_error(errc::io_error, "cannot create {}: {}", parent.string(), ec.message()));
    }
    if (e.directory) continue;
    auto written_ok = write_entry(z.get(), i, target, e.mode, written, limits);
    if (!written_ok.ok()) return fail(written_ok.err());
  }
  return {};
}

namespace {
std::string sha256_raw(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}
}  // namespace

std::string sha256_base64(std::string_view bytes) { return base64::encode(sha256_raw(bytes)); }

std::string sha256_hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : sha256_raw(bytes)) out += fmt::format("{:02x}", c);
  return out;
}

}  // namespace wharf::triggers

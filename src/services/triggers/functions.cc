// make_function: checks a spec and builds the kind of function it names; the helpers all
// kinds share.
#include "services/triggers/functions.h"

#include <signal.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/logging.h"
#include "http/message.h"
#include "services/triggers/function_support.h"

namespace wharf::triggers {

slot_pool::slot_pool(int count) {
  for (int slot = count - 1; slot >= 0; --slot) free_.push_back(slot);
}

std::optional<int> slot_pool::acquire(bool* waited) {
  std::unique_lock lock(mutex_);
  if (waited) *waited = free_.empty() && !closed_;
  available_.wait(lock, [this] { return closed_ || !free_.empty(); });
  if (closed_) return std::nullopt;
  int slot = free_.back();
  free_.pop_back();
  return slot;
}

void slot_pool::release(int slot) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(slot);
  }
  available_.notify_one();
}

void slot_pool::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  available_.notify_all();
}

bool slot_pool::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::string error_document(std::string_view type, std::string_view message) {
  return fmt::format(R"({{"errorMessage":"{}","errorType":"{}"}})", http::json_escape(message),
                     http::json_escape(type));
}

std::optional<error_fields> parse_error_document(std::string_view body) {
  // Cheap test first: most successful payloads are not error documents.
  if (body.find("errorMessage") == std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.get_object();
  const auto* message = object.if_contains("errorMessage");
  const auto* type = object.if_contains("errorType");
  if (!message || !message->is_string() || !type || !type->is_string()) return std::nullopt;
  for (const auto& entry : object) {
    auto key = entry.key();
    if (key != "errorMessage" && key != "errorType" && key != "stackTrace" && key != "requestId" &&
        key != "cause")
      return std::nullopt;
  }
  return error_fields{std::string(type->get_string()), std::string(message->get_string())};
}

std::string last_lines(std::string_view text, int lines, std::size_t max_bytes) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  std::size_t start = text.size();
  for (int seen = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++seen == lines) break;
  }
  auto tail = text.substr(start);
  if (tail.size() > max_bytes) tail = tail.substr(tail.size() - max_bytes);
  return std::string(tail);
}

invocation_result failed_result(invocation_outcome outcome, std::string type, std::string message) {
  invocation_result out;
  out.outcome = outcome;
  out.payload = error_document(type, message);
  out.error_type = std::move(type);
  out.error_message = std::move(message);
  return out;
}

std::shared_ptr<spdlog::logger> function_logger(const function_spec& spec) {
  return logging::get("function." + spec.name);
}

namespace {

// Lambda's own rule for function names, which also keeps them safe in ARNs and logs.
bool valid_function_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_http_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  auto host_end = rest.find_first_of("/?#");
  auto authority = rest.substr(0, host_end);
  return !authority.empty() && authority.find_first_of(" \t\r\n") == std::string_view::npos;
}

status check_spec(const function_spec& spec) {
  if (!valid_function_name(spec.name))
    return make_error(errc::invalid_argument,
                      "function name '{}' must be 1 to 64 letters, digits, '-' or '_'", spec.name);
  int kinds = !spec.url.empty() + !spec.runtime.empty() + !spec.exec.empty();
  if (kinds != 1)
    return make_error(errc::invalid_argument,
                      "function '{}' needs exactly one of url, runtime and exec", spec.name);
  if (!spec.url.empty() && !valid_http_url(spec.url))
    return make_error(errc::invalid_argument, "function '{}': url '{}' is not an http(s) URL",
                      spec.name, spec.url);
  for (const auto* command : {&spec.runtime, &spec.exec}) {
    if (!command->empty() && command->front().empty())
      return make_error(errc::invalid_argument, "function '{}': the command is empty", spec.name);
  }
  // Lambda's limits: 1 ms to 15 minutes, 128 MB to 10 GB.
  if (spec.timeout < std::chrono::milliseconds(1) || spec.timeout > std::chrono::minutes(15))
    return make_error(errc::out_of_range, "function '{}': timeout must be 1 ms to 15 minutes",
                      spec.name);
  if (spec.concurrency < 1 || spec.concurrency > 1000)
    return make_error(errc::out_of_range, "function '{}': concurrency must be 1 to 1000",
                      spec.name);
  if (spec.memory_mb < 128 || spec.memory_mb > 10240)
    return make_error(errc::out_of_range, "function '{}': memory_mb must be 128 to 10240",
                      spec.name);
  for (const auto& [name, value] : spec.environment) {
    if (name.empty() || name.find('=') != std::string::npos ||
        name.find('\0') != std::string::npos || value.find('\0') != std::string::npos)
      return make_error(errc::invalid_argument,
                        "function '{}': environment variable name '{}' is not valid", spec.name,
                        name);
  }
  if (!spec.working_directory.empty() && spec.url.empty()) {
    struct stat info {};
    if (::stat(spec.working_directory.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
      return make_error(errc::not_found, "function '{}': working directory '{}' does not exist",
                        spec.name, spec.working_directory);
  }
  return {};
}

}  // namespace

result<std::unique_ptr<function>> make_function(function_spec spec, net::io_runtime& runtime,
                                                bool prestart) {
  WHARF_RETURN_IF_ERROR(check_spec(spec));
  // Writing an event to a command that exits early must fail the write, not kill Wharf
  // (wharf serve ignores SIGPIPE too; tools and tests that embed functions may not).
  static std::once_flag sigpipe_once;
  std::call_once(sigpipe_once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
      ::signal(SIGPIPE, SIG_IGN);
  });
  if (!spec.url.empty()) return make_http_function(std::move(spec));
  if (!spec.exec.empty()) return make_exec_function(std::move(spec));
  return make_runtime_function(std::move(spec), runtime, prestart);
}

}  // namespace wharf::triggers

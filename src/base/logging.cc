#include "base/logging.h"

#include <map>
#include <mutex>
#include <vector>

#include <fmt/chrono.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace wharf::logging {
namespace {

void append_json_escaped(spdlog::memory_buf_t& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
}

// One JSON object per line: {"time":..., "level":..., "component":..., "msg":...}.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(msg.time);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time - seconds).count();
    std::time_t t = std::chrono::system_clock::to_time_t(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    fmt::format_to(std::back_inserter(dest), R"({{"time":"{:%Y-%m-%dT%H:%M:%S}.{:03}Z","level":")",
                   utc, millis);
    auto level = spdlog::level::to_string_view(msg.level);
    dest.append(level.data(), level.data() + level.size());
    dest.append(std::string_view(R"(","component":")"));
    append_json_escaped(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    dest.append(std::string_view(R"(","msg":")"));
    append_json_escaped(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(std::string_view("\"}\n"));
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

struct state {
  std::mutex mutex;
  std::vector<spdlog::sink_ptr> sinks;
  spdlog::level::level_enum level = spdlog::level::info;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

state& global() {
  static state s;
  return s;
}

std::unique_ptr<spdlog::formatter> make_formatter(log_format format) {
  if (format == log_format::json) return std::make_unique<json_formatter>();
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %-5l [%n] %v",
                                                     spdlog::pattern_time_type::utc);
}

std::vector<spdlog::sink_ptr> default_sinks() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(make_formatter(log_format::text));
  return {sink};
}

}  // namespace

bool is_valid_level(std::string_view level) {
  static constexpr std::string_view names[] = {"trace", "debug",    "info", "warn",
                                               "error", "critical", "off"};
  for (auto name : names) {
    if (name == level) return true;
  }
  return false;
}

status configure(const options& opts) {
  if (!is_valid_level(opts.level)) {
    return make_error(errc::invalid_argument, "unknown log level '{}'", opts.level);
  }
  std::vector<spdlog::sink_ptr> sinks;
  try {
    if (opts.file.empty()) {
      sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          opts.file, opts.max_file_size, static_cast<std::size_t>(opts.max_files)));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return make_error(errc::io_error, "cannot open log file '{}': {}", opts.file, e.what());
  }
  for (auto& sink : sinks) sink->set_formatter(make_formatter(opts.format));

  auto level = spdlog::level::from_str(opts.level);
  auto& s = global();
  std::lock_guard lock(s.mutex);
  s.sinks = std::move(sinks);
  s.level = level;
  for (auto& [name, logger] : s.loggers) {
    logger->sinks() = s.sinks;
    logger->set_level(level);
  }
  return {};
}

std::shared_ptr<spdlog::logger> get(std::string_view component) {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  if (auto it = s.loggers.find(component); it != s.loggers.end()) return it->second;
  if (s.sinks.empty()) s.sinks = default_sinks();
  auto logger =
      std::make_shared<spdlog::logger>(std::string(component), s.sinks.begin(), s.sinks.end());
  logger->set_level(s.level);
  logger->flush_on(spdlog::level::warn);
  s.loggers.emplace(std::string(component), logger);
  return logger;
}

void flush_all() {
  auto& s = global();
  std::lock_guard lock(s.mutex);
  for (auto& [name, logger] : s.loggers) logger->flush();
}

}  // namespace wharf::logging

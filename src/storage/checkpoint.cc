// Reading and writing the partition state file (see checkpoint.h).
#include "storage/checkpoint.h"

#include <charconv>
#include <optional>
#include <string_view>

#include "storage/file.h"

namespace wharf::storage::detail {
namespace {

constexpr std::string_view version_line = "wharf-log-state 1";

}  // namespace

result<std::optional<log_checkpoint>> read_checkpoint(const std::filesystem::path& dir) {
  auto path = dir / checkpoint_file_name;
  if (!file_exists(path)) return std::optional<log_checkpoint>();
  WHARF_ASSIGN_OR_RETURN(std::string text, read_small_file(path));
  std::string_view rest(text);
  log_checkpoint out;
  bool first = true;
  bool has_start = false;
  while (!rest.empty()) {
    std::size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (first) {
      if (line != version_line) {
        return make_error(errc::parse_error, "{}: unknown version line '{}'", path.string(), line);
      }
      first = false;
      continue;
    }
    if (line.empty()) continue;
    std::size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      return make_error(errc::parse_error, "{}: malformed line '{}'", path.string(), line);
    }
    std::string_view name = line.substr(0, space);
    std::string_view value = line.substr(space + 1);
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc() || end != value.data() + value.size() || number < 0) {
      return make_error(errc::parse_error, "{}: bad value in '{}'", path.string(), line);
    }
    if (name == "log_start_offset") {
      out.log_start_offset = number;
      has_start = true;
    } else if (name == "recovery_point") {
      out.recovery_point = number;
    } else if (name == "cleaner_offset") {
      out.cleaner_offset = number;
    }
    // Other names come from newer versions and are ignored.
  }
  if (first || !has_start) {
    return make_error(errc::parse_error, "{}: incomplete checkpoint", path.string());
  }
  return std::optional<log_checkpoint>(out);
}

status write_checkpoint(const std::filesystem::path& dir, const log_checkpoint& checkpoint) {
  std::string text = fmt::format("{}\nlog_start_offset {}\nrecovery_point {}\ncleaner_offset {}\n",
                                 version_line, checkpoint.log_start_offset,
                                 checkpoint.recovery_point, checkpoint.cleaner_offset);
  return write_file_atomically(dir / checkpoint_file_name, text);
}

}  // namespace wharf::storage::detail

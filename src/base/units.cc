#include "base/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>

namespace wharf {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "64 MiB" into the number and the unit; the number must be a whole integer.
result<std::pair<std::uint64_t, std::string_view>> split_number(std::string_view text) {
  text = trim(text);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return make_error(errc::parse_error, "'{}' does not start with a number", text);
  std::uint64_t number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || ptr != text.data() + digits) {
    return make_error(errc::out_of_range, "'{}' is too large", text);
  }
  return std::pair{number, trim(text.substr(digits))};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

result<std::uint64_t> checked_multiply(std::uint64_t a, std::uint64_t b, std::string_view text) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) {
    return make_error(errc::out_of_range, "'{}' is too large", text);
  }
  return a * b;
}

}  // namespace

result<std::uint64_t> parse_size(std::string_view text) {
  auto split = split_number(text);
  if (!split) {
    if (split.err().code() != errc::parse_error) return split.err();
    return make_error(errc::parse_error,
                      "'{}' is not a size (use a number with B, KB, MB, GB, KiB, MiB or GiB)",
                      trim(text));
  }
  auto parts = *split;
  auto [number, unit] = parts;
  struct unit_factor {
    std::string_view name;
    std::uint64_t factor;
  };
  static constexpr std::array<unit_factor, 16> units{{
      {"", 1},
      {"b", 1},
      {"kb", 1000},
      {"mb", 1000 * 1000},
      {"gb", 1000ULL * 1000 * 1000},
      {"tb", 1000ULL * 1000 * 1000 * 1000},
      {"kib", 1024},
      {"mib", 1024 * 1024},
      {"gib", 1024ULL * 1024 * 1024},
      {"tib", 1024ULL * 1024 * 1024 * 1024},
      {"k", 1024},
      {"m", 1024 * 1024},
      {"g", 1024ULL * 1024 * 1024},
      {"t", 1024ULL * 1024 * 1024 * 1024},
      {"bytes", 1},
      {"byte", 1},
  }};
  for (const auto& u : units) {
    if (iequals(unit, u.name)) return checked_multiply(number, u.factor, text);
  }
  return make_error(errc::parse_error,
                    "'{}' is not a size (use a number with B, KB, MB, GB, KiB, MiB or GiB)",
                    trim(text));
}

result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                 std::string_view bare_unit) {
  auto split = split_number(text);
  if (!split) {
    if (split.err().code() != errc::parse_error) return split.err();
    return make_error(errc::parse_error,
                      "'{}' is not a duration (use a number with ms, s, m, h or d, e.g. 30s)",
                      trim(text));
  }
  auto parts = *split;
  auto [number, unit] = parts;
  if (unit.empty()) unit = bare_unit;
  std::uint64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m" || unit == "min")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else {
    return make_error(errc::parse_error,
                      "'{}' is not a duration (use a number with ms, s, m, h or d, e.g. 30s)",
                      trim(text));
  }
  WHARF_ASSIGN_OR_RETURN(auto millis, checked_multiply(number, factor, text));
  if (millis > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return make_error(errc::out_of_range, "'{}' is too large", text);
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(millis));
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::array<std::pair<std::uint64_t, std::string_view>, 4> units{{
      {1024ULL * 1024 * 1024 * 1024, "TiB"},
      {1024ULL * 1024 * 1024, "GiB"},
      {1024ULL * 1024, "MiB"},
      {1024ULL, "KiB"},
  }};
  for (auto [factor, name] : units) {
    if (bytes != 0 && bytes % factor == 0) return fmt::format("{}{}", bytes / factor, name);
  }
  return fmt::format("{}B", bytes);
}

std::string format_duration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  static constexpr std::array<std::pair<std::int64_t, std::string_view>, 4> units{{
      {86'400'000, "d"},
      {3'600'000, "h"},
      {60'000, "m"},
      {1000, "s"},
  }};
  for (auto [factor, name] : units) {
    if (ms != 0 && ms % factor == 0) return fmt::format("{}{}", ms / factor, name);
  }
  return fmt::format("{}ms", ms);
}

result<std::int64_t> parse_int(std::string_view text, std::int64_t min, std::int64_t max) {
  auto trimmed = trim(text);
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
  if (trimmed.empty() || ec == std::errc::invalid_argument ||
      ptr != trimmed.data() + trimmed.size()) {
    return make_error(errc::parse_error, "'{}' is not an integer", trimmed);
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return make_error(errc::out_of_range, "{} is out of range ({} to {})", trimmed, min, max);
  }
  return value;
}

}  // namespace wharf

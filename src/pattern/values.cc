// Value-level semantics: which numbers compare as numbers, IP addresses, wildcards,
// case-insensitive comparison, and one value matcher against one event value.
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "pattern/model.h"

namespace wharf::pattern {

namespace {

// A decimal reduced to sign, significant digits and the power of ten of the first digit,
// so "1.50", "15e-1" and "0.0015e3" compare equal. Zero has no digits.
struct decimal {
  bool negative = false;
  std::string digits;
  long exponent = 0;
  bool operator==(const decimal& other) const {
    if (digits.empty() || other.digits.empty()) return digits.empty() && other.digits.empty();
    return negative == other.negative && digits == other.digits && exponent == other.exponent;
  }
};

std::optional<decimal> parse_decimal(std::string_view text) {
  decimal d;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) d.negative = text[i++] == '-';
  long point = -1;
  long position = 0;
  long first_significant = -1;
  std::string raw;
  for (; i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.');
       ++i) {
    if (text[i] == '.') {
      if (point >= 0) return std::nullopt;
      point = position;
      continue;
    }
    if (first_significant < 0 && text[i] != '0') first_significant = position;
    if (first_significant >= 0) raw += text[i];
    ++position;
  }
  if (position == 0) return std::nullopt;
  if (point < 0) point = position;
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative_exponent = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative_exponent = text[i++] == '-';
    if (i == text.size()) return std::nullopt;
    for (; i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      exponent = std::min(exponent * 10 + (text[i] - '0'), 100000L);
    }
    if (negative_exponent) exponent = -exponent;
  }
  if (i != text.size()) return std::nullopt;
  if (first_significant < 0) return d;  // zero
  while (!raw.empty() && raw.back() == '0') raw.pop_back();
  d.digits = std::move(raw);
  d.exponent = point - first_significant - 1 + exponent;
  return d;
}

// One code point's simple lower and upper case forms as UTF-8 (Java's toLowerCase and
// toUpperCase for the letters we map; other characters map to themselves).
void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Decodes one UTF-8 sequence at text[i]; invalid bytes decode as themselves (one byte).
char32_t decode_utf8(std::string_view text, std::size_t& i) {
  unsigned char b = static_cast<unsigned char>(text[i]);
  int extra = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
  if (extra == 0 || i + extra >= text.size()) {
    ++i;
    return b;
  }
  char32_t c = b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  i += extra + 1;
  return c;
}

std::string lower_form(char32_t c) {
  std::string out;
  if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ||
      (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) || (c >= 0x410 && c <= 0x42F)) {
    append_utf8(out, c + 0x20);
  } else if (c >= 0x400 && c <= 0x40F) {
    append_utf8(out, c + 0x50);
  } else if (c == 0x130) {
    out = "i\xCC\x87";
  } else if (c == 0x178) {
    append_utf8(out, 0xFF);
  } else if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 0) {
    append_utf8(out, c + 1);
  } else if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 1) {
    append_utf8(out, c + 1);
  } else {
    append_utf8(out, c);
  }
  return out;
}

std::string upper_form(char32_t c) {
  std::string out;
  if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7) ||
      (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) || (c >= 0x430 && c <= 0x44F)) {
    append_utf8(out, c - 0x20);
  } else if (c >= 0x450 && c <= 0x45F) {
    append_utf8(out, c - 0x50);
  } else if (c == 0xDF) {
    out = "SS";
  } else if (c == 0xFF) {
    append_utf8(out, 0x178);
  } else if (c == 0xB5) {
    append_utf8(out, 0x39C);
  } else if (c == 0x3C2) {
    append_utf8(out, 0x3A3);
  } else if (c == 0x131) {
    out = "I";
  } else if (c == 0x17F) {
    out = "S";
  } else if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 1) {
    append_utf8(out, c - 1);
  } else if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 0) {
    append_utf8(out, c - 1);
  } else {
    append_utf8(out, c);
  }
  return out;
}

// Matches the whole of `pattern` case-insensitively at the start of `value`; returns the
// number of value bytes consumed, or npos.
std::size_t match_ignore_case_at(std::string_view pattern, std::string_view value) {
  std::size_t p = 0;
  std::size_t v = 0;
  while (p < pattern.size()) {
    unsigned char b = static_cast<unsigned char>(pattern[p]);
    if (b < 0x80) {
      // ASCII fast path: a letter matches either case, anything else itself.
      if (v >= value.size()) return std::string_view::npos;
      char a = value[v];
      char lower = static_cast<char>(std::tolower(b));
      char upper = static_cast<char>(std::toupper(b));
      if (a != lower && a != upper) return std::string_view::npos;
      ++p;
      ++v;
      continue;
    }
    char32_t c = decode_utf8(pattern, p);
    std::string lower = lower_form(c);
    std::string upper = upper_form(c);
    std::string_view rest = value.substr(v);
    if (rest.starts_with(lower)) {
      v += lower.size();
    } else if (rest.starts_with(upper)) {
      v += upper.size();
    } else {
      return std::string_view::npos;
    }
  }
  return v;
}

}  // namespace

std::optional<double> comparable_number(std::string_view text) {
  // Integers of up to 15 digits are exact doubles: the common case, without from_chars.
  std::size_t digits_start = (!text.empty() && text[0] == '-') ? 1 : 0;
  if (text.size() > digits_start && text.size() - digits_start <= 15) {
    bool all_digits = true;
    std::int64_t value = 0;
    for (std::size_t i = digits_start; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') {
        all_digits = false;
        break;
      }
      value = value * 10 + (text[i] - '0');
    }
    if (all_digits) return digits_start ? -static_cast<double>(value) : static_cast<double>(value);
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  char shortest[32];
  auto printed = std::to_chars(shortest, shortest + sizeof shortest, value);
  auto original = parse_decimal(text);
  auto roundtrip = parse_decimal(std::string_view(shortest, printed.ptr - shortest));
  if (!original || !roundtrip || !(*original == *roundtrip)) return std::nullopt;
  return value == 0 ? 0.0 : value;
}

std::optional<ip_address> parse_ip(std::string_view text) {
  ip_address ip;
  // IPv4: exactly four dot-separated decimal parts (leading zeros allowed), each <= 255.
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos) {
    int part = 0;
    int value = 0;
    bool has_digit = false;
    for (char c : text) {
      if (c == '.') {
        if (!has_digit || part == 3) return std::nullopt;
        ip.bytes[part++] = static_cast<std::uint8_t>(value);
        value = 0;
        has_digit = false;
      } else {
        value = value * 10 + (c - '0');
        if (value > 255) return std::nullopt;
        has_digit = true;
      }
    }
    if (!has_digit || part != 3) return std::nullopt;
    ip.bytes[3] = static_cast<std::uint8_t>(value);
    ip.size = 4;
    return ip;
  }
  // IPv6: event-ruler only tries strings of hex digits and colons with at least one colon.
  if (text.find(':') == std::string_view::npos ||
      text.find_first_not_of("0123456789abcdefABCDEF:") != std::string_view::npos ||
      text.size() > 45) {
    return std::nullopt;
  }
  char buffer[64];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = 0;
  if (inet_pton(AF_INET6, buffer, ip.bytes.data()) != 1) return std::nullopt;
  static constexpr std::uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes.data(), mapped_prefix, 12) == 0) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    ip.size = 4;
    return ip;
  }
  ip.size = 16;
  return ip;
}

result<std::vector<std::string>> split_wildcard(std::string_view quoted) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '*') {
      if (i + 1 < quoted.size() && quoted[i + 1] == '*') {
        return pattern_error(std::string(invalid_pattern_exception),
                             fmt::format("Consecutive wildcard characters at pos {}", i));
      }
      parts.emplace_back();
    } else if (c == '\\') {
      if (i + 1 < quoted.size() && (quoted[i + 1] == '*' || quoted[i + 1] == '\\')) {
        parts.back() += quoted[++i];
        continue;
      }
      return pattern_error(std::string(invalid_pattern_exception),
                           fmt::format("Invalid escape character at pos {}", i));
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

bool wildcard_matches(const std::vector<std::string>& parts, std::string_view value) {
  if (parts.size() == 1) return value == parts[0];
  const std::string& first = parts.front();
  const std::string& last = parts.back();
  if (value.size() < first.size() + last.size()) return false;
  if (!value.starts_with(first) || !value.ends_with(last)) return false;
  // '*' only: taking each middle part at its leftmost place is optimal.
  std::string_view rest = value.substr(first.size(), value.size() - first.size() - last.size());
  for (std::size_t i = 1; i + 1 < parts.size(); ++i) {
    std::size_t at = rest.find(parts[i]);
    if (at == std::string_view::npos) return false;
    rest.remove_prefix(at + parts[i].size());
  }
  return true;
}

bool equals_ignore_case(std::string_view pattern, std::string_view value) {
  return match_ignore_case_at(pattern, value) == value.size();
}

bool starts_with_ignore_case(std::string_view value, std::string_view prefix) {
  return match_ignore_case_at(prefix, value) != std::string_view::npos;
}

bool ends_with_ignore_case(std::string_view value, std::string_view suffix) {
  // Case forms differ in length by a few bytes at most per character.
  std::size_t longest = suffix.size() * 3;
  std::size_t shortest = suffix.size() / 3;
  if (value.size() < shortest) return false;
  std::size_t from = value.size() > longest ? value.size() - longest : 0;
  for (std::size_t start = from; start + shortest <= value.size(); ++start) {
    std::string_view tail = value.substr(start);
    if (match_ignore_case_at(suffix, tail) == tail.size()) return true;
  }
  return false;
}

std::string fold_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

bool in_range(const value_matcher& m, double x) {
  if (x < m.low || (m.low_open && x == m.low)) return false;
  if (x > m.high || (m.high_open && x == m.high)) return false;
  return true;
}

bool ip_in_range(const value_matcher& m, const flat_event::field& f) {
  if (f.kind != value_kind::string) return false;
  auto ip = parse_ip(f.text.substr(1, f.text.size() - 2));
  if (!ip || ip->size != m.ip_low.size) return false;
  return m.ip_low <= *ip && *ip <= m.ip_high;
}

bool contains(const std::vector<std::string>& texts, std::string_view text) {
  return std::find(texts.begin(), texts.end(), text) != texts.end();
}

}  // namespace

bool value_matches(const value_matcher& m, const flat_event::field& f) {
  switch (m.op) {
    case value_op::exact: return f.text == m.text;
    case value_op::numeric_equals: return f.comparable && f.number == m.low;
    case value_op::numeric_range: return f.comparable && in_range(m, f.number);
    case value_op::ip_range: return ip_in_range(m, f);
    case value_op::prefix: return f.text.starts_with(m.text);
    case value_op::prefix_ignore_case: return starts_with_ignore_case(f.text, m.text);
    case value_op::suffix: return f.text.ends_with(m.text);
    case value_op::suffix_ignore_case: return ends_with_ignore_case(f.text, m.text);
    case value_op::equals_ignore_case: return equals_ignore_case(m.text, f.text);
    case value_op::wildcard:
      return f.kind == value_kind::string && wildcard_matches(m.parts, f.text);
    case value_op::anything_but: return !contains(m.texts, f.text);
    case value_op::anything_but_number:
      return !(f.comparable &&
               std::find(m.numbers.begin(), m.numbers.end(), f.number) != m.numbers.end());
    case value_op::anything_but_prefix:
      return std::none_of(m.texts.begin(), m.texts.end(),
                          [&](const std::string& t) { return f.text.starts_with(t); });
    case value_op::anything_but_suffix:
      return std::none_of(m.texts.begin(), m.texts.end(),
                          [&](const std::string& t) { return f.text.ends_with(t); });
    case value_op::anything_but_ignore_case:
      return std::none_of(m.texts.begin(), m.texts.end(),
                          [&](const std::string& t) { return equals_ignore_case(t, f.text); });
    case value_op::anything_but_wildcard:
      return f.kind != value_kind::string ||
             std::none_of(m.wildcards.begin(), m.wildcards.end(),
                          [&](const auto& parts) { return wildcard_matches(parts, f.text); });
    case value_op::exists: return true;
  }
  return false;
}

}  // namespace wharf::pattern

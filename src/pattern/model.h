// The compiled form of a pattern and the flattened form of an event, shared by the
// single-pattern matcher, the rule-set index and the tests. Strings are kept in
// event-ruler's "quoted" form ('"' + text + '"') so prefix/suffix tests behave exactly as
// event-ruler's byte machine does, even with quotes inside the values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pattern/pattern.h"

namespace wharf::pattern {

enum class value_op : std::uint8_t {
  exact,                     // text: quoted string, or the literal text of true/false/null/a number
  numeric_equals,            // low
  numeric_range,             // low/high with open flags
  ip_range,                  // ip_low..ip_high (an exact IP string is a range of one address)
  prefix,                    // text: '"' + prefix
  prefix_ignore_case,        // text: '"' + prefix
  suffix,                    // text: suffix + '"'
  suffix_ignore_case,        // text: suffix + '"'
  equals_ignore_case,        // text: quoted
  wildcard,                  // parts: quoted text split at unescaped '*'
  anything_but,              // texts: quoted strings
  anything_but_number,       // numbers
  anything_but_prefix,       // texts: '"' + prefix
  anything_but_suffix,       // texts: suffix + '"'
  anything_but_ignore_case,  // texts: quoted
  anything_but_wildcard,     // wildcards: each split at unescaped '*'
  exists,                    // any value
};

struct ip_address {
  std::uint8_t size = 0;  // 4 or 16
  std::array<std::uint8_t, 16> bytes{};
  auto operator<=>(const ip_address&) const = default;
};

struct value_matcher {
  value_op op = value_op::exact;
  std::string text;
  std::vector<std::string> texts;
  std::vector<double> numbers;
  std::vector<std::string> parts;
  std::vector<std::vector<std::string>> wildcards;
  double low = 0;
  double high = 0;
  bool low_open = false;
  bool high_open = false;
  ip_address ip_low;
  ip_address ip_high;
};

// One field path of a branch: the value must satisfy any of `any_of`, or, when
// `absent_allowed` ({"exists": false}), the field may be missing.
struct field_test {
  std::string path;
  std::vector<value_matcher> any_of;
  bool absent_allowed = false;
};

// A conjunction of field tests sorted by path (event-ruler's order, which decides how
// {"exists": false} sees array elements).
struct branch {
  std::vector<field_test> fields;
};

struct compiled_pattern {
  std::vector<branch> branches;
};

enum class value_kind : std::uint8_t { string, number, literal };

struct array_position {
  std::uint32_t array = 0;
  std::uint32_t index = 0;
};

struct step_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
// Names (and dotted runs of names) of the path steps some rule uses, with how many rule
// paths use each: flattening skips event members whose key is not one of them.
using step_names = std::unordered_map<std::string, std::uint32_t, step_hash, std::equal_to<>>;

// An event reduced to its leaves: (path, value, positions in enclosing arrays of objects).
class flat_event {
 public:
  struct field {
    std::string_view path;
    std::string_view text;  // quoted for strings, as written for numbers and literals
    value_kind kind;
    bool comparable;  // a number event-ruler can compare (see comparable_number)
    double number;
    const array_position* positions;
    std::uint32_t position_count;
  };

  // The buffers start on the heap so moving an event keeps the views into them valid
  // (a short std::string would move its characters and leave the views dangling).
  flat_event() {
    paths_.reserve(128);
    text_.reserve(128);
  }
  flat_event(const flat_event&) = delete;
  flat_event& operator=(const flat_event&) = delete;
  flat_event(flat_event&&) noexcept = default;
  flat_event& operator=(flat_event&&) noexcept = default;

  // Flattens event JSON text; an error when it is not valid JSON or not an object. With
  // `used`, members whose key no rule path uses are skipped (still validated).
  static result<flat_event> parse(std::string_view json, const step_names* used = nullptr);
  static flat_event from_value(const boost::json::value& event);

  // Fields sorted by path (stable: same-path fields keep document order).
  const std::vector<field>& fields() const { return fields_; }
  // The fields at `path`, as [begin, end) indexes into fields().
  std::pair<std::size_t, std::size_t> with_path(std::string_view path) const;

  // Building (used by the readers).
  void begin_field(std::string_view path, value_kind kind);
  std::string& text_buffer() { return text_; }
  void end_field(const std::vector<array_position>& positions);
  void finish();

 private:
  struct pending {
    std::uint32_t path_offset, path_size, text_offset, text_size, positions_offset, positions_size;
    value_kind kind;
  };
  std::string paths_;
  std::string text_;
  std::vector<array_position> positions_;
  std::vector<pending> pending_;
  std::vector<field> fields_;
};

// --- value helpers (values.cc) ---

// event-ruler compares a number only when it is finite and its shortest double form has
// the same decimal value (so comparing doubles is comparing decimals): "0.1" yes,
// "0.30000000000000001" or "1e400" no. Returns the double when comparable.
std::optional<double> comparable_number(std::string_view json_number);
// IPv4 (a.b.c.d, decimal parts) or IPv6 text as event-ruler reads it; IPv4-mapped IPv6
// addresses become IPv4, as Java's InetAddress does.
std::optional<ip_address> parse_ip(std::string_view text);
// Splits a wildcard (already quoted) at unescaped '*'; an error message on a bad escape or
// "**". `offset` is added to positions in messages.
result<std::vector<std::string>> split_wildcard(std::string_view quoted);
bool wildcard_matches(const std::vector<std::string>& parts, std::string_view quoted_value);
// Case-insensitive comparison as event-ruler's: each pattern character matches its lower
// or upper case form (simple case mapping of Latin, Greek and Cyrillic letters).
bool equals_ignore_case(std::string_view pattern, std::string_view value);
bool starts_with_ignore_case(std::string_view value, std::string_view prefix);
bool ends_with_ignore_case(std::string_view value, std::string_view suffix);
// ASCII lowercase folding for index keys (a superset match: verification is exact).
std::string fold_ascii(std::string_view text);

bool value_matches(const value_matcher& m, const flat_event::field& f);

// Whether the branch matches the event (array consistency and exists:false included).
bool branch_matches(const branch& b, const flat_event& event);

}  // namespace wharf::pattern

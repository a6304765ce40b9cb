// Reading pattern JSON into a small tree that keeps every number's text as written
// (event-ruler matches a number exactly as text when it cannot compare it as a number).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pattern/pattern.h"

namespace wharf::pattern {

struct json_node {
  enum class kind : std::uint8_t { object, array, string, number, true_, false_, null };
  kind type = kind::null;
  std::string text;  // string contents or number text
  // Arrays: the items. Objects: the member values, keys[i] naming items[i] (two vectors:
  // a pair<string, json_node> cannot hold the still incomplete json_node).
  std::vector<json_node> items;
  std::vector<std::string> keys;

  bool is_number() const { return type == kind::number; }
  bool is_string() const { return type == kind::string; }
  // What Jackson's getText() prints for this token (used in error messages).
  std::string token_text() const;
};

// Nesting deeper than this is refused (patterns are small; bounds recursion).
inline constexpr std::size_t max_json_depth = 128;

// A syntax error's message describes it (without the "Event pattern is not valid" head).
result<json_node> read_json_tree(std::string_view text);

}  // namespace wharf::pattern

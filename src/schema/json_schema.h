// JSON Schema documents as Confluent Schema Registry accepts them (`schemaType: JSON`):
// parsing with keyword type checks (draft-04 to 2020-12), `$ref` resolution inside the
// document and to schema references (Confluent's (name, text) pairs), the compact
// canonical string used to compare schemas, and the normalized form (keys sorted).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/value.hpp>

#include "base/result.h"

namespace wharf::schema::json {

// A schema reference: `name` is what `$ref` uses ("customer.json", a URL or an `$id`),
// `text` the referenced schema document.
struct reference {
  std::string name;
  std::string text;
};

class schema;
using schema_ptr = std::shared_ptr<const schema>;

class schema {
 public:
  // Parses a schema document (a JSON object or boolean). Keywords are checked for their
  // JSON types, patterns must compile, and every `$ref` must resolve, locally or into one
  // of `references`. Errors name the keyword and the JSON pointer where it is.
  static result<schema_ptr> parse(std::string_view text,
                                  const std::vector<reference>& references = {});

  const boost::json::value& root() const { return *documents_.front(); }

  // The schema a `$ref` in `holder` (the object holding the keyword) points to; null
  // when `holder` has no `$ref` (parse() made sure every `$ref` resolves).
  const boost::json::value* ref_target(const boost::json::object& holder) const;
  // The compiled `pattern` / `patternProperties` key, compiled by parse(). Patterns work
  // on code points (UTF-32), so "." matches one character as JSON Schema means.
  const std::wregex* compiled(std::string_view pattern) const;

  // Compact JSON in the document's own key order (Confluent's canonicalString()).
  std::string canonical_string() const;
  // Compact JSON with every object's keys sorted (Confluent's normalize()).
  std::string normalized_string() const;

  schema(const schema&) = delete;
  schema& operator=(const schema&) = delete;

 private:
  schema() = default;
  friend class schema_loader;

  // documents_[0] is the schema itself, then its references.
  std::vector<std::unique_ptr<boost::json::value>> documents_;
  std::unordered_map<const boost::json::object*, const boost::json::value*> refs_;
  std::map<std::string, std::wregex, std::less<>> patterns_;
};

// Compact JSON: numbers as Jackson prints them (1.0 stays "1.0"), keys sorted or not.
std::string serialize(const boost::json::value& value, bool sort_keys);

// Appends a JSON pointer token with "~" and "/" escaped.
std::string pointer_append(std::string_view pointer, std::string_view token);

// UTF-8 to code points for the regular expressions (invalid bytes become U+FFFD).
std::wstring to_utf32(std::string_view utf8);

// Whether `pattern` matches somewhere in `text` (JSON Schema's patterns are not anchored).
// A regex engine error counts as no match, and so does a text over 100,000 characters
// (std::regex's recursion would need too deep a stack).
bool pattern_matches(const std::wregex& pattern, std::string_view text);

// Equality as JSON Schema means it: 1 == 1.0, true != 1, objects unordered.
bool json_equal(const boost::json::value& a, const boost::json::value& b);

// The JSON number in `v` as a double, or nothing for non-numbers.
std::optional<double> as_number(const boost::json::value& v);

}  // namespace wharf::schema::json

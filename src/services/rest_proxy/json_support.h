// JSON for the REST Proxy: parsing request bodies into errors Confluent's clients expect
// (400 for malformed JSON), reading typed fields, and writing compact JSON text with
// numbers as people write them ("1.5", not Boost's "1.5E0").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "base/utf8.h"
#include "services/rest_proxy/api_errors.h"

namespace wharf::rest_proxy::json {

// Malformed JSON, or nesting deeper than 64 levels: 400.
api_result<boost::json::value> parse_body(std::string_view body);

// Compact JSON text of a value.
void write(const boost::json::value& value, std::string& out);
std::string to_text(const boost::json::value& value);

// Appends "text" quoted and escaped. Bytes that are not valid UTF-8 become U+FFFD, so
// the output is always valid JSON.
void append_string(std::string& out, std::string_view text);

using wharf::is_valid_utf8;

// A field of an object: nullptr if absent (or if v is not an object).
const boost::json::value* field(const boost::json::value& v, std::string_view name);
// An integer field in [min, max]: nullopt if absent or null; an error if of another type
// or out of range. what names the field in the message.
api_result<std::optional<std::int64_t>> integer_field(const boost::json::value& v,
                                                      std::string_view name, std::int64_t min,
                                                      std::int64_t max);
api_result<std::optional<std::string>> string_field(const boost::json::value& v,
                                                    std::string_view name);

}  // namespace wharf::rest_proxy::json

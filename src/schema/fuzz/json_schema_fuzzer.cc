// libFuzzer harness for the JSON Schema parser, validator and compatibility checker
// (schemas come from Schema Registry clients, values from REST Proxy clients: both from
// the network). The input is a schema, optionally followed by a NUL byte and a second part
// that is used both as a JSON value to validate and as a second schema. Properties checked
// beyond "no crash":
//   - the normalized text parses again to the same normalized text;
//   - a schema compared with itself has no incompatible difference;
//   - validate() and is_valid() agree;
//   - two schemas can be compared in both directions.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json/parse.hpp>

#include "schema/json_compatibility.h"
#include "schema/json_schema.h"
#include "schema/json_validator.h"

namespace js = wharf::schema::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find('\0');
  auto first = js::schema::parse(input.substr(0, split));
  if (!first.ok()) return 0;
  auto normalized = (*first)->normalized_string();
  auto again = js::schema::parse(normalized);
  if (!again.ok() || (*again)->normalized_string() != normalized) std::abort();
  for (const auto& d : js::check(**first, **first)) {
    if (js::incompatible(d)) std::abort();
  }
  if (split == std::string_view::npos) return 0;
  auto second_text = input.substr(split + 1);
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 64;
  auto value = boost::json::parse(second_text, ec, {}, options);
  if (!ec) {
    auto errors = js::validate(**first, value);
    if (errors.empty() != js::is_valid(**first, value)) std::abort();
  }
  if (auto second = js::schema::parse(second_text); second.ok()) {
    (void)js::check(**first, **second);
    (void)js::check(**second, **first);
  }
  return 0;
}

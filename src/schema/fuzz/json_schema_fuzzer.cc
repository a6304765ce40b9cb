// libFuzzer harness for the JSON Schema parser, validator and compatibility checker
// (schemas come from Schema Registry clients, values from REST Proxy clients: both from
// the network). The input is a schema, optionally followed by a NUL byte and a second part
// that is used both as a JSON value to validate and as a second schema. Properties checked
// beyond "no crash":
//   - the normalized text parses again to the same normalized text (numbers within an
//     ulp or two: Boost.JSON 1.81 reads long decimals without correct rounding);
//   - a schema compared with itself has no incompatible difference;
//   - validate() and is_valid() agree;
//   - two schemas can be compared in both directions.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json/parse.hpp>

#include "schema/json_compatibility.h"
#include "schema/json_schema.h"
#include "schema/json_validator.h"

namespace js = wharf::schema::json;

namespace {

// JSON equality with doubles compared to a relative 1e-14.
bool nearly_equal(const boost::json::value& a, const boost::json::value& b) {
  auto x = js::as_number(a);
  auto y = js::as_number(b);
  if (x && y)
    return *x == *y || std::fabs(*x - *y) <= 1e-14 * std::fmax(std::fabs(*x), std::fabs(*y));
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& p = a.get_array();
    const auto& q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!nearly_equal(p[i], q[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& p = a.get_object();
    const auto& q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& member : p) {
      const auto* other = q.if_contains(member.key());
      if (!other || !nearly_equal(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find('\0');
  auto first = js::schema::parse(input.substr(0, split));
  if (!first.ok()) return 0;
  auto normalized = (*first)->normalized_string();
  auto again = js::schema::parse(normalized);
  if (!again.ok()) std::abort();
  if ((*again)->normalized_string() != normalized &&
      !nearly_equal((*again)->root(), (*first)->root())) {
    std::abort();
  }
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

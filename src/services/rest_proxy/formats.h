// The REST Proxy's media types: which embedded format a v2 request's Content-Type names
// (application/vnd.kafka.{binary,json}.v2+json; binary when none is named), and which a
// records request's Accept header asks for.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "services/rest_proxy/api_errors.h"

namespace wharf::rest_proxy {

enum class embedded_format { binary, json, avro, protobuf, jsonschema };

std::string_view to_string(embedded_format format);  // "binary", "json", ...
// Case-insensitive: "BINARY", "json", ...
std::optional<embedded_format> parse_format_name(std::string_view name);
// Formats that need a Schema Registry (not served yet).
inline bool needs_schema(embedded_format f) {
  return f == embedded_format::avro || f == embedded_format::protobuf ||
         f == embedded_format::jsonschema;
}

inline constexpr std::string_view v2_content_type = "application/vnd.kafka.v2+json";
// "application/vnd.kafka.binary.v2+json"
std::string v2_content_type_for(embedded_format format);

// The embedded format of a v2 produce request. No Content-Type, or one that names no
// format (application/vnd.kafka.v2+json, application/json, ...), means binary. Anything
// else is 415, as are the schema formats for now.
api_result<embedded_format> produce_format(std::optional<std::string_view> content_type);

// A v2 request without embedded data (consumer create, subscription, ...) must be JSON
// of some kind (or have no Content-Type).
api_result<bool> check_v2_json_body(std::optional<std::string_view> content_type);
// A v3 request body must be application/json (or have no Content-Type).
api_result<bool> check_v3_json_body(std::optional<std::string_view> content_type);

// What a records request's Accept header asks for: a specific embedded format, or any
// (no Accept, */*, application/json, application/vnd.kafka.v2+json). 406 if it accepts
// nothing we produce.
struct accepted_format {
  std::optional<embedded_format> format;  // nullopt: any
};
api_result<accepted_format> records_accept(std::optional<std::string_view> accept);

}  // namespace wharf::rest_proxy

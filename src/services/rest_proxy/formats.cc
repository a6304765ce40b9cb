#include "services/rest_proxy/formats.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace wharf::rest_proxy {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

struct media_range {
  std::string type;  // lower case, without parameters
  double quality = 1.0;
};

media_range parse_media_range(std::string_view text) {
  media_range out;
  auto semicolon = text.find(';');
  out.type = lower(trim(text.substr(0, semicolon)));
  while (semicolon != std::string_view::npos) {
    text = text.substr(semicolon + 1);
    semicolon = text.find(';');
    auto param = trim(text.substr(0, semicolon));
    if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      out.quality = std::strtod(std::string(param.substr(2)).c_str(), nullptr);
    }
  }
  return out;
}

// A Kafka media type, "application/vnd.kafka[.format].v2+json".
struct kafka_media_type {
  bool is_kafka = false;
  std::optional<std::string> format;  // "binary", ...
  std::string version;                // "v2"; empty for application/vnd.kafka+json
};

kafka_media_type parse_kafka_type(const std::string& type) {
  kafka_media_type out;
  constexpr std::string_view prefix = "application/vnd.kafka";
  constexpr std::string_view suffix = "+json";
  if (type.rfind(prefix, 0) != 0 || type.size() < prefix.size() + suffix.size() ||
      type.compare(type.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return out;
  }
  auto middle =
      std::string_view(type).substr(prefix.size(), type.size() - prefix.size() - suffix.size());
  // middle: "", ".v2", ".binary.v2", ".binary"
  std::vector<std::string_view> parts;
  while (!middle.empty()) {
    if (middle.front() != '.') return out;
    middle.remove_prefix(1);
    auto dot = middle.find('.');
    parts.push_back(middle.substr(0, dot));
    middle = dot == std::string_view::npos ? std::string_view() : middle.substr(dot);
  }
  if (parts.size() > 2) return out;
  out.is_kafka = true;
  for (auto part : parts) {
    if (part.size() >= 2 && part[0] == 'v' && std::isdigit(static_cast<unsigned char>(part[1]))) {
      out.version = std::string(part);
    } else {
      out.format = std::string(part);
    }
  }
  return out;
}

bool is_generic_json(const std::string& type) {
  return type == "application/json" || type == "application/octet-stream";
}

api_error unsupported(std::string_view content_type) {
  return {error_codes::unsupported_media_type,
          "HTTP 415 Unsupported Media Type: " + std::string(content_type)};
}

}  // namespace

std::string_view to_string(embedded_format format) {
  switch (format) {
    case embedded_format::binary: return "binary";
    case embedded_format::json: return "json";
    case embedded_format::avro: return "avro";
    case embedded_format::protobuf: return "protobuf";
    case embedded_format::jsonschema: return "jsonschema";
  }
  return "binary";
}

std::optional<embedded_format> parse_format_name(std::string_view name) {
  auto n = lower(name);
  if (n == "binary") return embedded_format::binary;
  if (n == "json") return embedded_format::json;
  if (n == "avro") return embedded_format::avro;
  if (n == "protobuf") return embedded_format::protobuf;
  if (n == "jsonschema") return embedded_format::jsonschema;
  return std::nullopt;
}

std::string v2_content_type_for(embedded_format format) {
  return "application/vnd.kafka." + std::string(to_string(format)) + ".v2+json";
}

api_result<embedded_format> produce_format(std::optional<std::string_view> content_type) {
  if (!content_type || trim(*content_type).empty()) return embedded_format::binary;
  auto range = parse_media_range(*content_type);
  if (is_generic_json(range.type)) return embedded_format::binary;
  auto kafka = parse_kafka_type(range.type);
  if (!kafka.is_kafka || (!kafka.version.empty() && kafka.version != "v2")) {
    return unsupported(*content_type);
  }
  if (!kafka.format) return embedded_format::binary;
  auto format = parse_format_name(*kafka.format);
  if (!format) return unsupported(*content_type);
  return *format;
}

api_result<bool> check_v2_json_body(std::optional<std::string_view> content_type) {
  if (!content_type || trim(*content_type).empty()) return true;
  auto range = parse_media_range(*content_type);
  if (is_generic_json(range.type)) return true;
  auto kafka = parse_kafka_type(range.type);
  if (kafka.is_kafka && (kafka.version.empty() || kafka.version == "v2")) return true;
  return unsupported(*content_type);
}

api_result<bool> check_v3_json_body(std::optional<std::string_view> content_type) {
  if (!content_type || trim(*content_type).empty()) return true;
  if (parse_media_range(*content_type).type == "application/json") return true;
  return unsupported(*content_type);
}

api_result<accepted_format> records_accept(std::optional<std::string_view> accept) {
  if (!accept || trim(*accept).empty()) return accepted_format{};
  std::vector<media_range> ranges;
  std::string_view rest = *accept;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = trim(rest.substr(0, comma));
    if (!item.empty()) ranges.push_back(parse_media_range(item));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  // Highest quality first; among equals, the order the client gave.
  std::stable_sort(ranges.begin(), ranges.end(),
                   [](const auto& a, const auto& b) { return a.quality > b.quality; });
  for (const auto& r : ranges) {
    if (r.quality <= 0) continue;
    if (r.type == "*/*" || r.type == "application/*" || r.type == "application/json") {
      return accepted_format{};
    }
    auto kafka = parse_kafka_type(r.type);
    if (!kafka.is_kafka || (!kafka.version.empty() && kafka.version != "v2")) continue;
    if (!kafka.format) return accepted_format{};
    if (auto format = parse_format_name(*kafka.format)) return accepted_format{*format};
  }
  return api_error{error_codes::not_acceptable, "HTTP 406 Not Acceptable"};
}

}  // namespace wharf::rest_proxy

#include "services/rest_proxy/schema_client.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http/client.h"
#include "schema/avro_codec.h"
#include "services/rest_proxy/json_support.h"
#include "services/rest_proxy/records.h"

namespace wharf::rest_proxy {

namespace bj = boost::json;
namespace avro = schema::avro;

namespace {

constexpr const char* sr_type = "application/vnd.schemaregistry.v1+json";

// The registry's answer as JSON, or the REST Proxy error it amounts to.
api_result<bj::value> call(const std::string& method, const std::string& url,
                           const std::string& body, std::chrono::milliseconds timeout,
                           const std::string& authorization) {
  http::client_request request;
  request.method = method;
  request.url = url;
  request.body = body;
  request.timeout = timeout;
  request.headers = {{"Accept", sr_type}};
  if (!body.empty()) request.headers.emplace_back("Content-Type", sr_type);
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
  auto answered = http::send(request);
  if (!answered.ok()) {
    return api_error{error_codes::kafka_error,
                     "Cannot reach the Schema Registry: " + answered.err().message()};
  }
  boost::system::error_code ec;
  auto json = bj::parse(answered->body, ec);
  if (answered->status / 100 == 2 && !ec) return json;
  std::string message = answered->body;
  if (!ec && json.is_object()) {
    if (const auto* m = json.get_object().if_contains("message"); m && m->is_string()) {
      message = std::string(m->get_string());
    }
  }
  if (answered->status == 404) {
    return api_error{error_codes::not_found, "Schema Registry: " + message};
  }
  if (answered->status == 409 || answered->status == 422) {
    return api_error{error_codes::invalid_schema, "Schema Registry: " + message};
  }
  return api_error{error_codes::kafka_error,
                   fmt::format("Schema Registry answered {}: {}", answered->status, message)};
}

}  // namespace

api_result<int> schema_client::register_avro(const std::string& subject,
                                             const std::string& schema_text) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = registered_.find({subject, schema_text}); it != registered_.end()) {
      return it->second;
    }
  }
  WHARF_ASSIGN_OR_RETURN(
      auto answer,
      call("POST", base_url_ + "/subjects/" + http::percent_encode_segment(subject) + "/versions",
           bj::serialize(bj::object{{"schema", schema_text}}), timeout_, authorization_));
  const auto* id = answer.is_object() ? answer.get_object().if_contains("id") : nullptr;
  if (!id || !id->is_int64()) {
    return api_error{error_codes::kafka_error, "Schema Registry: an answer without an id"};
  }
  std::lock_guard lock(mutex_);
  registered_[{subject, schema_text}] = static_cast<int>(id->get_int64());
  return static_cast<int>(id->get_int64());
}

api_result<avro::schema_ptr> schema_client::avro_from(const std::string& text,
                                                      const bj::value& references, int depth) {
  if (depth > 16) return api_error{error_codes::invalid_schema, "schema references nest too deep"};
  std::vector<avro::schema_ptr> resolved;
  if (references.is_array()) {
    for (const auto& r : references.get_array()) {
      const auto* subject = r.is_object() ? r.get_object().if_contains("subject") : nullptr;
      const auto* version = r.is_object() ? r.get_object().if_contains("version") : nullptr;
      if (!subject || !subject->is_string() || !version || !version->is_int64()) continue;
      WHARF_ASSIGN_OR_RETURN(auto ref,
                             call("GET",
                                  fmt::format("{}/subjects/{}/versions/{}", base_url_,
                                              http::percent_encode_segment(subject->get_string()),
                                              version->get_int64()),
                                  "", timeout_, authorization_));
      const auto* ref_text = ref.is_object() ? ref.get_object().if_contains("schema") : nullptr;
      if (!ref_text || !ref_text->is_string()) continue;
      static const bj::value none;
      const auto* nested = ref.get_object().if_contains("references");
      WHARF_ASSIGN_OR_RETURN(auto parsed, avro_from(std::string(ref_text->get_string()),
                                                    nested ? *nested : none, depth + 1));
      resolved.push_back(std::move(parsed));
    }
  }
  auto parsed = avro::schema::parse(text, resolved);
  if (!parsed.ok()) return api_error{error_codes::invalid_schema, parsed.err().message()};
  return *parsed;
}

api_result<avro::schema_ptr> schema_client::avro_by_id(int id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = by_id_.find(id); it != by_id_.end()) return it->second;
  }
  WHARF_ASSIGN_OR_RETURN(auto answer, call("GET", fmt::format("{}/schemas/ids/{}", base_url_, id),
                                           "", timeout_, authorization_));
  const auto* text = answer.is_object() ? answer.get_object().if_contains("schema") : nullptr;
  if (!text || !text->is_string()) {
    return api_error{error_codes::kafka_error, "Schema Registry: an answer without a schema"};
  }
  if (const auto* type = answer.get_object().if_contains("schemaType");
      type && type->is_string() && type->get_string() != "AVRO") {
    return api_error{error_codes::invalid_schema,
                     fmt::format("Schema {} is {}, not AVRO", id, std::string(type->get_string()))};
  }
  static const bj::value none;
  const auto* refs = answer.get_object().if_contains("references");
  WHARF_ASSIGN_OR_RETURN(auto parsed,
                         avro_from(std::string(text->get_string()), refs ? *refs : none, 0));
  std::lock_guard lock(mutex_);
  by_id_[id] = parsed;
  return parsed;
}

namespace {

api_result<bool> append_avro(std::string& out, const std::optional<std::string>& bytes,
                             schema_client& schemas, std::string_view what) {
  if (!bytes) {
    out += "null";
    return true;
  }
  auto framed = unframe(*bytes);
  if (!framed) {
    return api_error{error_codes::kafka_error,
                     fmt::format("Error deserializing the Avro {}: no Confluent schema id (magic "
                                 "byte 0) at its start",
                                 what)};
  }
  WHARF_ASSIGN_OR_RETURN(auto schema, schemas.avro_by_id(framed->first));
  auto datum = schema::avro::decode_to_json(schema->root(), framed->second);
  if (!datum.ok()) {
    return api_error{error_codes::kafka_error,
                     fmt::format("Error deserializing the Avro {} with schema {}: {}", what,
                                 framed->first, datum.err().message())};
  }
  json::write(*datum, out);
  return true;
}

}  // namespace

api_result<bool> append_v2_avro_record(std::string& out,
                                       const kafka::client::consumed_record& record,
                                       schema_client& schemas) {
  out += "{\"topic\":";
  json::append_string(out, record.topic);
  out += ",\"key\":";
  WHARF_RETURN_IF_ERROR(append_avro(out, record.key, schemas, "key"));
  out += ",\"value\":";
  WHARF_RETURN_IF_ERROR(append_avro(out, record.value, schemas, "value"));
  out += fmt::format(",\"partition\":{},\"offset\":{}}}", record.partition, record.offset);
  return true;
}

std::string frame_with_schema_id(int id, std::string_view data) {
  std::string out;
  out.reserve(5 + data.size());
  out += '\0';
  auto u = static_cast<std::uint32_t>(id);
  out += static_cast<char>(u >> 24);
  out += static_cast<char>(u >> 16);
  out += static_cast<char>(u >> 8);
  out += static_cast<char>(u);
  out += data;
  return out;
}

std::optional<std::pair<int, std::string_view>> unframe(std::string_view bytes) {
  if (bytes.size() < 5 || bytes[0] != '\0') return std::nullopt;
  std::uint32_t id = 0;
  for (int i = 1; i <= 4; ++i)
    id = (id << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  return std::pair{static_cast<int>(id), bytes.substr(5)};
}

}  // namespace wharf::rest_proxy

#include "services/rest_proxy/schema_client.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http/client.h"
#include "kafka/client/types.h"
#include "schema/avro_codec.h"
#include "schema/json_schema.h"
#include "schema/json_validator.h"
#include "schema/protobuf/protobuf_schema.h"
#include "services/rest_proxy/json_support.h"

namespace wharf::rest_proxy {

namespace bj = boost::json;
namespace avro = schema::avro;
namespace proto = schema::protobuf;

namespace {

constexpr const char* sr_type = "application/vnd.schemaregistry.v1+json";
constexpr int max_reference_depth = 16;

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

class avro_record_schema final : public record_schema {
 public:
  explicit avro_record_schema(avro::schema_ptr schema) : schema_(std::move(schema)) {}
  embedded_format format() const override { return embedded_format::avro; }
  bool encodes_null() const override { return schema_->root().type == avro::type::union_; }
  api_result<std::string> encode(const bj::value& datum, std::string_view what) const override {
    auto bytes = avro::encode_json(schema_->root(), datum);
    if (!bytes.ok()) {
      return api_error{error_codes::json_conversion,
                       fmt::format("Conversion of JSON to Avro failed for the {}: {}", what,
                                   bytes.err().message())};
    }
    return std::move(*bytes);
  }
  api_result<bool> decode(std::string_view payload, std::string& out,
                          std::string_view what) const override {
    auto datum = avro::decode_to_json(schema_->root(), payload);
    if (!datum.ok()) {
      return api_error{error_codes::kafka_error, fmt::format("Error deserializing the Avro {}: {}",
                                                             what, datum.err().message())};
    }
    json::write(*datum, out);
    return true;
  }

 private:
  avro::schema_ptr schema_;
};

// Protobuf: records are the schema's first message, as in Confluent's REST Proxy; the
// payload starts with Confluent's message indexes.
class protobuf_record_schema final : public record_schema {
 public:
  explicit protobuf_record_schema(proto::schema_ptr schema) : schema_(std::move(schema)) {}
  embedded_format format() const override { return embedded_format::protobuf; }
  api_result<std::string> encode(const bj::value& datum, std::string_view what) const override {
    auto conversion_failed = [what](const std::string& why) {
      return api_error{
          error_codes::json_conversion,
          fmt::format("Conversion of JSON to Protobuf failed for the {}: {}", what, why)};
    };
    auto message = schema_->first_message_name();
    if (!message.ok()) return conversion_failed(message.err().message());
    auto indexes = schema_->message_indexes(*message);
    if (!indexes.ok()) return conversion_failed(indexes.err().message());
    auto bytes = schema_->json_to_binary(*message, bj::serialize(datum));
    if (!bytes.ok()) return conversion_failed(bytes.err().message());
    return proto::encode_message_indexes(*indexes) + *bytes;
  }
  api_result<bool> decode(std::string_view payload, std::string& out,
                          std::string_view what) const override {
    auto failed = [what](const std::string& why) {
      return api_error{error_codes::kafka_error,
                       fmt::format("Error deserializing the Protobuf {}: {}", what, why)};
    };
    auto indexes = proto::decode_message_indexes(payload);
    if (!indexes.ok()) return failed(indexes.err().message());
    auto message = schema_->message_name_at(indexes->indexes);
    if (!message.ok()) return failed(message.err().message());
    auto text = schema_->binary_to_json(*message, payload.substr(indexes->size));
    if (!text.ok()) return failed(text.err().message());
    out += *text;
    return true;
  }

 private:
  proto::schema_ptr schema_;
};

// JSON Schema: the record's JSON text, checked against the schema first.
class json_record_schema final : public record_schema {
 public:
  explicit json_record_schema(schema::json::schema_ptr schema) : schema_(std::move(schema)) {}
  embedded_format format() const override { return embedded_format::jsonschema; }
  api_result<std::string> encode(const bj::value& datum, std::string_view what) const override {
    auto errors = schema::json::validate(*schema_, datum, 5);
    if (!errors.empty()) {
      std::string why;
      for (const auto& e : errors) {
        if (!why.empty()) why += "; ";
        why +=
            fmt::format("{}: {}", e.instance_pointer.empty() ? "#" : e.instance_pointer, e.message);
      }
      return api_error{error_codes::json_conversion,
                       fmt::format("Conversion of JSON to Object failed for the {}: it does not "
                                   "match its JSON Schema: {}",
                                   what, why)};
    }
    std::string out;
    json::write(datum, out);
    return out;
  }
  api_result<bool> decode(std::string_view payload, std::string& out,
                          std::string_view what) const override {
    boost::system::error_code ec;
    auto v = bj::parse(payload, ec);
    if (ec) {
      return api_error{error_codes::kafka_error,
                       fmt::format("Error deserializing the JSON {}: {}", what, ec.message())};
    }
    json::write(v, out);
    return true;
  }

 private:
  schema::json::schema_ptr schema_;
};

std::string_view registry_type(embedded_format format) {
  switch (format) {
    case embedded_format::protobuf: return "PROTOBUF";
    case embedded_format::jsonschema: return "JSON";
    default: return "AVRO";
  }
}

}  // namespace

api_result<int> schema_client::register_schema(const std::string& subject, embedded_format format,
                                               const std::string& schema_text) {
  auto key = std::make_tuple(subject, format, schema_text);
  {
    std::lock_guard lock(mutex_);
    if (auto it = registered_.find(key); it != registered_.end()) return it->second;
  }
  bj::object body{{"schema", schema_text}};
  if (format != embedded_format::avro) body["schemaType"] = registry_type(format);
  WHARF_ASSIGN_OR_RETURN(
      auto answer,
      call("POST", base_url_ + "/subjects/" + http::percent_encode_segment(subject) + "/versions",
           bj::serialize(body), timeout_, authorization_));
  const auto* id = answer.is_object() ? answer.get_object().if_contains("id") : nullptr;
  if (!id || !id->is_int64()) {
    return api_error{error_codes::kafka_error, "Schema Registry: an answer without an id"};
  }
  std::lock_guard lock(mutex_);
  registered_[key] = static_cast<int>(id->get_int64());
  return static_cast<int>(id->get_int64());
}

api_result<int> schema_client::version_id(const std::string& subject, int version) {
  WHARF_ASSIGN_OR_RETURN(
      auto answer, call("GET",
                        fmt::format("{}/subjects/{}/versions/{}", base_url_,
                                    http::percent_encode_segment(subject),
                                    version < 0 ? std::string("latest") : std::to_string(version)),
                        "", timeout_, authorization_));
  const auto* id = answer.is_object() ? answer.get_object().if_contains("id") : nullptr;
  if (!id || !id->is_int64()) {
    return api_error{error_codes::kafka_error, "Schema Registry: an answer without an id"};
  }
  return static_cast<int>(id->get_int64());
}

api_result<bj::value> schema_client::fetch_version(const bj::value& reference) {
  const auto* subject =
      reference.is_object() ? reference.get_object().if_contains("subject") : nullptr;
  const auto* version =
      reference.is_object() ? reference.get_object().if_contains("version") : nullptr;
  if (!subject || !subject->is_string() || !version || !version->is_int64()) {
    return api_error{error_codes::invalid_schema,
                     "Schema Registry: a reference without subject "
                     "and version"};
  }
  return call(
      "GET",
      fmt::format("{}/subjects/{}/versions/{}", base_url_,
                  http::percent_encode_segment(subject->get_string()), version->get_int64()),
      "", timeout_, authorization_);
}

api_result<std::vector<avro::schema_ptr>> schema_client::avro_references(
    const bj::value& references, int depth) {
  if (depth > max_reference_depth) {
    return api_error{error_codes::invalid_schema, "schema references nest too deep"};
  }
  std::vector<avro::schema_ptr> resolved;
  if (!references.is_array()) return resolved;
  for (const auto& r : references.get_array()) {
    WHARF_ASSIGN_OR_RETURN(auto ref, fetch_version(r));
    const auto* text = ref.is_object() ? ref.get_object().if_contains("schema") : nullptr;
    if (!text || !text->is_string()) continue;
    static const bj::value none;
    const auto* nested = ref.get_object().if_contains("references");
    WHARF_ASSIGN_OR_RETURN(auto inner, avro_references(nested ? *nested : none, depth + 1));
    auto parsed = avro::schema::parse(text->get_string(), inner);
    if (!parsed.ok()) return api_error{error_codes::invalid_schema, parsed.err().message()};
    resolved.push_back(std::move(*parsed));
  }
  return resolved;
}

api_result<bool> schema_client::named_references(
    const bj::value& references, int depth, std::vector<std::pair<std::string, std::string>>& out) {
  if (depth > max_reference_depth) {
    return api_error{error_codes::invalid_schema, "schema references nest too deep"};
  }
  if (!references.is_array()) return true;
  for (const auto& r : references.get_array()) {
    const auto* name = r.is_object() ? r.get_object().if_contains("name") : nullptr;
    if (!name || !name->is_string()) continue;
    WHARF_ASSIGN_OR_RETURN(auto ref, fetch_version(r));
    const auto* text = ref.is_object() ? ref.get_object().if_contains("schema") : nullptr;
    if (!text || !text->is_string()) continue;
    static const bj::value none;
    const auto* nested = ref.get_object().if_contains("references");
    WHARF_RETURN_IF_ERROR(named_references(nested ? *nested : none, depth + 1, out));
    std::string import_path(name->get_string());
    bool seen = false;
    for (const auto& [have, t] : out) seen = seen || have == import_path;
    if (!seen) out.emplace_back(import_path, std::string(text->get_string()));
  }
  return true;
}

api_result<record_schema_ptr> schema_client::make_schema(const std::string& type,
                                                         const std::string& text,
                                                         const bj::value& references) {
  if (type == "AVRO") {
    WHARF_ASSIGN_OR_RETURN(auto resolved, avro_references(references, 0));
    auto parsed = avro::schema::parse(text, resolved);
    if (!parsed.ok()) return api_error{error_codes::invalid_schema, parsed.err().message()};
    return record_schema_ptr(std::make_shared<avro_record_schema>(std::move(*parsed)));
  }
  if (type == "PROTOBUF") {
    std::vector<std::pair<std::string, std::string>> imports;
    WHARF_RETURN_IF_ERROR(named_references(references, 0, imports));
    std::vector<proto::reference> refs;
    for (auto& [name, schema] : imports) refs.push_back({name, schema});
    auto parsed = proto::schema::parse(text, refs);
    if (!parsed.ok()) return api_error{error_codes::invalid_schema, parsed.err().message()};
    return record_schema_ptr(std::make_shared<protobuf_record_schema>(std::move(*parsed)));
  }
  if (type == "JSON") {
    std::vector<std::pair<std::string, std::string>> documents;
    WHARF_RETURN_IF_ERROR(named_references(references, 0, documents));
    std::vector<schema::json::reference> refs;
    for (auto& [name, schema] : documents) refs.push_back({name, schema});
    auto parsed = schema::json::schema::parse(text, refs);
    if (!parsed.ok()) return api_error{error_codes::invalid_schema, parsed.err().message()};
    return record_schema_ptr(std::make_shared<json_record_schema>(std::move(*parsed)));
  }
  return api_error{error_codes::invalid_schema,
                   fmt::format("Schemas of type {} are not supported by this REST Proxy", type)};
}

api_result<record_schema_ptr> schema_client::schema_by_id(int id) {
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
  std::string type = "AVRO";
  if (const auto* t = answer.get_object().if_contains("schemaType"); t && t->is_string()) {
    type = std::string(t->get_string());
  }
  static const bj::value none;
  const auto* refs = answer.get_object().if_contains("references");
  WHARF_ASSIGN_OR_RETURN(auto made,
                         make_schema(type, std::string(text->get_string()), refs ? *refs : none));
  std::lock_guard lock(mutex_);
  by_id_[id] = made;
  return made;
}

namespace {

api_result<bool> append_decoded(std::string& out, const std::optional<std::string>& bytes,
                                schema_client& schemas, std::string_view what) {
  if (!bytes) {
    out += "null";
    return true;
  }
  auto framed = unframe(*bytes);
  if (!framed) {
    return api_error{error_codes::kafka_error,
                     fmt::format("Error deserializing the {}: no Confluent schema id (magic byte "
                                 "0) at its start",
                                 what)};
  }
  WHARF_ASSIGN_OR_RETURN(auto schema, schemas.schema_by_id(framed->first));
  return schema->decode(framed->second, out, what);
}

}  // namespace

api_result<bool> append_v2_schema_record(std::string& out,
                                         const kafka::client::consumed_record& record,
                                         schema_client& schemas) {
  out += "{\"topic\":";
  json::append_string(out, record.topic);
  out += ",\"key\":";
  WHARF_RETURN_IF_ERROR(append_decoded(out, record.key, schemas, "key"));
  out += ",\"value\":";
  WHARF_RETURN_IF_ERROR(append_decoded(out, record.value, schemas, "value"));
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

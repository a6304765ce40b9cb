#include "services/rest_proxy/records.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>

#include "base/base64.h"
#include "services/rest_proxy/json_support.h"

namespace wharf::rest_proxy {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

api_error payload_error(std::string message) {
  return {error_codes::invalid_payload, "Payload error. " + std::move(message)};
}

// Confluent answers undecodable binary data with a plain 400.
api_error not_base64(const bj::value& data, std::string_view what) {
  return {error_codes::bad_request,
          fmt::format("Bad Request: {} data={} is not a valid base64 string.", what,
                      json::to_text(data))};
}

api_result<std::optional<std::string>> decode_base64(const bj::value& data, std::string_view what) {
  if (data.is_null()) return std::optional<std::string>{};
  if (!data.is_string()) return not_base64(data, what);
  const auto& text = data.get_string();
  auto bytes = base64::decode(std::string_view(text.data(), text.size()));
  if (!bytes) return not_base64(data, what);
  return std::optional<std::string>(std::move(*bytes));
}

}  // namespace

api_result<std::optional<std::string>> encode_v2_data(const bj::value& data, embedded_format format,
                                                      std::string_view what) {
  if (format == embedded_format::binary) return decode_base64(data, what);
  if (data.is_null()) return std::optional<std::string>{};
  return std::optional<std::string>(json::to_text(data));
}

api_result<std::vector<kc::outgoing_record>> parse_v2_produce(
    std::string_view body, embedded_format format, const std::string& topic,
    std::optional<std::int32_t> path_partition) {
  WHARF_ASSIGN_OR_RETURN(auto document, json::parse_body(body));
  if (!document.is_object()) return payload_error("The request body must be a JSON object.");
  const auto* records = json::field(document, "records");
  if (!records || records->is_null()) return payload_error("records may not be null.");
  if (!records->is_array()) return payload_error("records must be an array.");
  if (records->get_array().empty()) return payload_error("records may not be empty.");

  std::vector<kc::outgoing_record> out;
  out.reserve(records->get_array().size());
  for (const auto& item : records->get_array()) {
    if (!item.is_object()) return payload_error("Each record must be a JSON object.");
    kc::outgoing_record record;
    record.topic = topic;
    static const bj::value null_value;
    const auto* key = json::field(item, "key");
    const auto* value = json::field(item, "value");
    WHARF_ASSIGN_OR_RETURN(record.key, encode_v2_data(key ? *key : null_value, format, "key"));
    WHARF_ASSIGN_OR_RETURN(record.value,
                           encode_v2_data(value ? *value : null_value, format, "value"));
    WHARF_ASSIGN_OR_RETURN(auto partition, json::integer_field(item, "partition", 0, INT32_MAX));
    if (path_partition) {
      record.partition = *path_partition;
    } else if (partition) {
      record.partition = static_cast<std::int32_t>(*partition);
    }
    out.push_back(std::move(record));
  }
  return out;
}

api_result<v2_schema_produce> parse_v2_schema_produce(std::string_view body,
                                                      std::optional<std::int32_t> path_partition) {
  WHARF_ASSIGN_OR_RETURN(auto document, json::parse_body(body));
  if (!document.is_object()) return payload_error("The request body must be a JSON object.");
  const auto* records = json::field(document, "records");
  if (!records || records->is_null()) return payload_error("records may not be null.");
  if (!records->is_array()) return payload_error("records must be an array.");
  if (records->get_array().empty()) return payload_error("records may not be empty.");
  v2_schema_produce out;
  WHARF_ASSIGN_OR_RETURN(out.key_schema, json::string_field(document, "key_schema"));
  WHARF_ASSIGN_OR_RETURN(out.value_schema, json::string_field(document, "value_schema"));
  WHARF_ASSIGN_OR_RETURN(auto key_id, json::integer_field(document, "key_schema_id", 0, INT32_MAX));
  WHARF_ASSIGN_OR_RETURN(auto value_id,
                         json::integer_field(document, "value_schema_id", 0, INT32_MAX));
  if (key_id) out.key_schema_id = static_cast<int>(*key_id);
  if (value_id) out.value_schema_id = static_cast<int>(*value_id);
  for (const auto& r : records->get_array()) {
    if (!r.is_object()) return payload_error("Each record must be a JSON object.");
    v2_schema_produce::item item;
    if (const auto* key = json::field(r, "key")) item.key = *key;
    if (const auto* value = json::field(r, "value")) item.value = *value;
    WHARF_ASSIGN_OR_RETURN(auto partition, json::integer_field(r, "partition", 0, INT32_MAX));
    if (path_partition) {
      item.partition = *path_partition;
    } else if (partition) {
      item.partition = static_cast<std::int32_t>(*partition);
    }
    out.records.push_back(std::move(item));
  }
  return out;
}

std::string_view to_string(v3_data_type type) {
  switch (type) {
    case v3_data_type::binary: return "BINARY";
    case v3_data_type::json: return "JSON";
    case v3_data_type::string: return "STRING";
    case v3_data_type::avro: return "AVRO";
    case v3_data_type::protobuf: return "PROTOBUF";
    case v3_data_type::jsonschema: return "JSONSCHEMA";
  }
  return "BINARY";
}

namespace {

struct v3_data {
  std::optional<std::string> bytes;
  v3_data_type type = v3_data_type::binary;
  std::optional<v3_schema_data> schema;  // set for the schema formats
};

bool is_schema_type(v3_data_type t) {
  return t == v3_data_type::avro || t == v3_data_type::protobuf || t == v3_data_type::jsonschema;
}

// The schema fields of a key or value in a schema format.
api_result<v3_schema_data> parse_v3_schema_data(const bj::value& spec,
                                                std::optional<v3_data_type> type,
                                                std::string_view what) {
  v3_schema_data out;
  out.type = type;
  WHARF_ASSIGN_OR_RETURN(out.schema, json::string_field(spec, "schema"));
  WHARF_ASSIGN_OR_RETURN(auto id, json::integer_field(spec, "schema_id", 0, INT32_MAX));
  if (id) out.schema_id = static_cast<int>(*id);
  WHARF_ASSIGN_OR_RETURN(auto version, json::integer_field(spec, "schema_version", 1, INT32_MAX));
  if (version) out.schema_version = static_cast<int>(*version);
  WHARF_ASSIGN_OR_RETURN(out.subject, json::string_field(spec, "subject"));
  WHARF_ASSIGN_OR_RETURN(auto strategy, json::string_field(spec, "subject_name_strategy"));
  if (strategy) {
    std::string upper;
    for (char c : *strategy)
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper != "TOPIC_NAME") {
      return api_error{error_codes::bad_request,
                       fmt::format("Bad Request: {}.subject_name_strategy {} is not supported; "
                                   "use TOPIC_NAME or name the subject",
                                   what, *strategy)};
    }
  }
  if (out.schema && !type) {
    return api_error{error_codes::bad_request,
                     fmt::format("Bad Request: {}.schema needs {}.type (AVRO, PROTOBUF or "
                                 "JSONSCHEMA)",
                                 what, what)};
  }
  if (!type && !out.schema_id && !out.schema_version) {
    return api_error{error_codes::bad_request,
                     fmt::format("Bad Request: {} names a subject but no type, schema_id or "
                                 "schema_version",
                                 what)};
  }
  static const bj::value null_value;
  const auto* data = json::field(spec, "data");
  out.data = data ? *data : null_value;
  return out;
}

api_result<v3_data> parse_v3_data(const bj::value& spec, std::string_view what) {
  if (!spec.is_object()) return payload_error(fmt::format("{} must be a JSON object.", what));
  v3_data out;
  std::optional<v3_data_type> declared;
  WHARF_ASSIGN_OR_RETURN(auto type_name, json::string_field(spec, "type"));
  if (type_name) {
    std::string upper;
    for (char c : *type_name)
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (auto t : {v3_data_type::binary, v3_data_type::json, v3_data_type::string,
                   v3_data_type::avro, v3_data_type::protobuf, v3_data_type::jsonschema}) {
      if (upper == to_string(t)) declared = t;
    }
    if (!declared) {
      return api_error{error_codes::bad_request,
                       fmt::format("Bad Request: unknown {} type '{}'", what, *type_name)};
    }
    out.type = *declared;
  }
  bool schema_fields = false;
  for (auto schema_field :
       {"schema_id", "schema_version", "schema", "subject", "subject_name_strategy"}) {
    if (const auto* f = json::field(spec, schema_field); f && !f->is_null()) schema_fields = true;
  }
  if ((declared && is_schema_type(*declared)) || (!declared && schema_fields)) {
    WHARF_ASSIGN_OR_RETURN(out.schema, parse_v3_schema_data(spec, declared, what));
    return out;
  }
  if (schema_fields) {
    return api_error{
        error_codes::bad_request,
        fmt::format("Bad Request: {} of type {} takes no schema", what, to_string(out.type))};
  }
  static const bj::value null_value;
  const auto* data = json::field(spec, "data");
  const auto& d = data ? *data : null_value;
  switch (out.type) {
    case v3_data_type::binary: {
      WHARF_ASSIGN_OR_RETURN(out.bytes, decode_base64(d, what));
      break;
    }
    case v3_data_type::json:
      if (!d.is_null()) out.bytes = json::to_text(d);
      break;
    case v3_data_type::string:
      if (d.is_null()) break;
      if (!d.is_string()) {
        return api_error{
            error_codes::bad_request,
            fmt::format("Bad Request: {} data={} is not a string.", what, json::to_text(d))};
      }
      out.bytes = std::string(d.get_string());
      break;
    default: break;
  }
  return out;
}

}  // namespace

api_result<v3_produce_record> parse_v3_record(const bj::value& body, const std::string& topic) {
  if (!body.is_object()) return payload_error("The request body must be a JSON object.");
  v3_produce_record out;
  out.record.topic = topic;
  WHARF_ASSIGN_OR_RETURN(auto partition,
                         json::integer_field(body, "partition_id", INT32_MIN, INT32_MAX));
  if (partition) {
    if (*partition < 0) {
      return api_error{error_codes::partition_not_found, "Partition not found."};
    }
    out.record.partition = static_cast<std::int32_t>(*partition);
  }
  if (const auto* key = json::field(body, "key"); key && !key->is_null()) {
    WHARF_ASSIGN_OR_RETURN(auto data, parse_v3_data(*key, "key"));
    out.record.key = std::move(data.bytes);
    out.key_type = data.type;
    out.key_schema = std::move(data.schema);
  }
  if (const auto* value = json::field(body, "value"); value && !value->is_null()) {
    WHARF_ASSIGN_OR_RETURN(auto data, parse_v3_data(*value, "value"));
    out.record.value = std::move(data.bytes);
    out.value_type = data.type;
    out.value_schema = std::move(data.schema);
  }
  if (const auto* headers = json::field(body, "headers"); headers && !headers->is_null()) {
    if (!headers->is_array()) return payload_error("headers must be an array.");
    for (const auto& h : headers->get_array()) {
      WHARF_ASSIGN_OR_RETURN(auto name, json::string_field(h, "name"));
      if (!name) return payload_error("Each header needs a name.");
      const auto* value = json::field(h, "value");
      kc::record_header header;
      header.name = std::move(*name);
      if (value) {
        WHARF_ASSIGN_OR_RETURN(header.value, decode_base64(*value, "header value"));
      }
      out.record.headers.push_back(std::move(header));
    }
  }
  if (const auto* ts = json::field(body, "timestamp"); ts && !ts->is_null()) {
    if (ts->is_string()) {
      auto parsed = parse_iso8601_millis(std::string_view(ts->get_string()));
      // Kafka takes no timestamp before 1970 (negative ones mean "none").
      if (!parsed || *parsed < 0) {
        return api_error{error_codes::bad_request,
                         "Bad Request: timestamp must be an ISO-8601 date-time from 1970 on, "
                         "e.g. 2021-02-05T19:14:42.371Z"};
      }
      out.record.timestamp_ms = *parsed;
    } else if (ts->is_int64() && ts->get_int64() >= 0) {
      out.record.timestamp_ms = ts->get_int64();
    } else {
      return api_error{error_codes::bad_request,
                       "Bad Request: timestamp must be an ISO-8601 date-time"};
    }
  }
  return out;
}

std::string iso8601_millis(std::int64_t epoch_ms) {
  using namespace std::chrono;
  auto tp = sys_time<milliseconds>(milliseconds(epoch_ms));
  auto day = floor<days>(tp);
  year_month_day ymd(day);
  hh_mm_ss<milliseconds> tod(tp - day);
  auto text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                          static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                          tod.hours().count(), tod.minutes().count(), tod.seconds().count());
  if (auto ms = tod.subseconds().count(); ms != 0) text += fmt::format(".{:03}", ms);
  return text + "Z";
}

std::optional<std::int64_t> parse_iso8601_millis(std::string_view text) {
  using namespace std::chrono;
  auto digits = [&](std::size_t pos, std::size_t count) -> std::optional<int> {
    if (pos + count > text.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
       s = digits(17, 2);
  if (!y || !mo || !d || !h || !mi || !s || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  year_month_day ymd{year(*y), month(static_cast<unsigned>(*mo)), day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    auto oh = digits(pos + 1, 2);
    auto om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= text.size() || text[pos + 3] != ':') return std::nullopt;
    offset_minutes = sign * (*oh * 60 + *om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  auto since_epoch = sys_days(ymd).time_since_epoch() + hours(*h) + minutes(*mi) + seconds(*s) -
                     minutes(offset_minutes);
  return duration_cast<milliseconds>(since_epoch).count() + millis;
}

namespace {

void append_embedded(std::string& out, const std::optional<std::string>& bytes,
                     embedded_format format) {
  if (!bytes) {
    out += "null";
    return;
  }
  if (format == embedded_format::binary) {
    out += '"';
    out += base64::encode(*bytes);
    out += '"';
    return;
  }
  // Bytes that are valid JSON go in as they are; anything else as a JSON string.
  boost::system::error_code ec;
  auto parsed = bj::parse(bj::string_view(bytes->data(), bytes->size()), ec);
  if (!ec) {
    out += *bytes;
  } else {
    json::append_string(out, *bytes);
  }
}

}  // namespace

void append_v2_record(std::string& out, const kc::consumed_record& record, embedded_format format) {
  out += "{\"topic\":";
  json::append_string(out, record.topic);
  out += ",\"key\":";
  append_embedded(out, record.key, format);
  out += ",\"value\":";
  append_embedded(out, record.value, format);
  out += fmt::format(",\"partition\":{},\"offset\":{}}}", record.partition, record.offset);
}

std::size_t v2_record_size(const kc::consumed_record& record, embedded_format format) {
  auto payload = (record.key ? record.key->size() : 0) + (record.value ? record.value->size() : 0);
  if (format == embedded_format::binary) payload = payload * 4 / 3 + 4;
  return payload + record.topic.size() + 64;
}

}  // namespace wharf::rest_proxy

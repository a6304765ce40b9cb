// Records in the REST Proxy's JSON: v2 produce requests (records[{key, value,
// partition}], binary as base64 or embedded JSON), v3 produce requests ({key: {type,
// data}, value, partition_id, headers, timestamp}) and v2 consumer records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "kafka/client/types.h"
#include "services/rest_proxy/api_errors.h"
#include "services/rest_proxy/formats.h"

namespace wharf::rest_proxy {

// The records of a v2 produce request body, for topic. path_partition is set for
// POST /topics/{t}/partitions/{p} and wins over any record's own partition.
api_result<std::vector<kafka::client::outgoing_record>> parse_v2_produce(
    std::string_view body, embedded_format format, const std::string& topic,
    std::optional<std::int32_t> path_partition);

// A v2 produce request in a schema format (avro): each record's key and value as JSON in
// Avro's JSON encoding, and the schemas (or schema ids) the request names for them.
struct v2_schema_produce {
  struct item {
    boost::json::value key;  // null: no key
    boost::json::value value;
    std::optional<std::int32_t> partition;
  };
  std::vector<item> records;
  std::optional<std::string> key_schema;
  std::optional<std::string> value_schema;
  std::optional<int> key_schema_id;
  std::optional<int> value_schema_id;
};
api_result<v2_schema_produce> parse_v2_schema_produce(std::string_view body,
                                                      std::optional<std::int32_t> path_partition);

// The bytes a v2 key or value stands for: base64 text for binary, any JSON for json
// (written compactly). nullopt for JSON null.
api_result<std::optional<std::string>> encode_v2_data(const boost::json::value& data,
                                                      embedded_format format,
                                                      std::string_view what);

// v3: the data types a key or value can declare.
enum class v3_data_type { binary, json, string, avro, protobuf, jsonschema };
// "BINARY", "JSON", "STRING", "AVRO", "PROTOBUF", "JSONSCHEMA"
std::string_view to_string(v3_data_type type);

// A v3 key or value in a schema format, encoded once its schema is found in the Schema
// Registry: by "schema" (registered under the subject), "schema_id", "schema_version" of
// the subject, or else the subject's latest version.
struct v3_schema_data {
  std::optional<v3_data_type> type;  // nullopt: the type of the schema named by id or version
  std::optional<std::string> schema;
  std::optional<int> schema_id;
  std::optional<int> schema_version;
  std::optional<std::string> subject;  // default: the subject name strategy's
  std::string subject_name_strategy = "TOPIC_NAME";
  boost::json::value data;
};

struct v3_produce_record {
  kafka::client::outgoing_record record;
  // Present when the request had a key/value: reported back with the delivery.
  std::optional<v3_data_type> key_type;
  std::optional<v3_data_type> value_type;
  // Keys and values that need the Schema Registry before they can be produced.
  std::optional<v3_schema_data> key_schema;
  std::optional<v3_schema_data> value_schema;
};

// One v3 record ({"partition_id", "headers", "key", "value", "timestamp"}).
api_result<v3_produce_record> parse_v3_record(const boost::json::value& body,
                                              const std::string& topic);

// Milliseconds since the epoch as ISO-8601 UTC, the way Java's Instant prints it:
// "2021-02-05T19:14:42.371Z", no fraction when it is zero.
std::string iso8601_millis(std::int64_t epoch_ms);
// ISO-8601 with a Z or +hh:mm offset, fraction optional; nullopt if malformed.
std::optional<std::int64_t> parse_iso8601_millis(std::string_view text);

// Appends one v2 consumer record: {"topic","key","value","partition","offset"}, with
// key/value base64 (binary) or embedded JSON (json; bytes that are not JSON become a
// JSON string). Schema formats: append_v2_schema_record (schema_client.h).
void append_v2_record(std::string& out, const kafka::client::consumed_record& record,
                      embedded_format format);

// Roughly the bytes append_v2_record adds, for max_bytes accounting.
std::size_t v2_record_size(const kafka::client::consumed_record& record, embedded_format format);

}  // namespace wharf::rest_proxy

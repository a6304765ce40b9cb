// The REST Proxy's way to a Schema Registry (Confluent's schema.registry.url), for the
// avro, protobuf and jsonschema embedded formats: registering a request's schema under
// <topic>-key/-value, and fetching schemas by id to encode with and decode from. Schemas
// are cached by id (an id never changes its schema). Calls block on HTTP: run them on a
// worker thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/json/fwd.hpp>

#include "schema/avro_schema.h"
#include "services/rest_proxy/api_errors.h"
#include "services/rest_proxy/formats.h"

namespace wharf::kafka::client {
struct consumed_record;
}

namespace wharf::rest_proxy {

// One registered schema as the REST Proxy uses it: a record's JSON to the bytes after
// Confluent's magic byte and schema id (Avro binary; Protobuf message indexes and binary;
// JSON text checked against the schema), and back.
class record_schema {
 public:
  virtual ~record_schema() = default;
  virtual embedded_format format() const = 0;
  // Whether a JSON null is a value of the schema (an Avro union with null); otherwise a
  // null key or value stays a Kafka null.
  virtual bool encodes_null() const { return false; }
  // what: "key" or "value", for the messages (42203 when the JSON does not fit).
  virtual api_result<std::string> encode(const boost::json::value& datum,
                                         std::string_view what) const = 0;
  // The datum as JSON text, appended to out.
  virtual api_result<bool> decode(std::string_view payload, std::string& out,
                                  std::string_view what) const = 0;
};
using record_schema_ptr = std::shared_ptr<const record_schema>;

class schema_client {
 public:
  // authorization: the Authorization header sent with every call ("Basic ...",
  // "Bearer ..."), empty for none.
  schema_client(std::string base_url, std::chrono::milliseconds timeout,
                std::string authorization = {})
      : base_url_(std::move(base_url)),
        timeout_(timeout),
        authorization_(std::move(authorization)) {}

  const std::string& url() const { return base_url_; }

  // Registers (or finds) a schema of the format's type under subject; its id.
  api_result<int> register_schema(const std::string& subject, embedded_format format,
                                  const std::string& schema_text);
  // The schema with this id, references resolved.
  api_result<record_schema_ptr> schema_by_id(int id);
  // The id of a subject's version (-1: the latest).
  api_result<int> version_id(const std::string& subject, int version);

  // Avro's, for the avro format's older callers.
  api_result<int> register_avro(const std::string& subject, const std::string& schema_text) {
    return register_schema(subject, embedded_format::avro, schema_text);
  }

 private:
  api_result<record_schema_ptr> make_schema(const std::string& type, const std::string& text,
                                            const boost::json::value& references);
  api_result<std::vector<schema::avro::schema_ptr>> avro_references(
      const boost::json::value& references, int depth);
  // Protobuf imports or JSON Schema documents, transitively, as (the name the schema uses,
  // schema text).
  api_result<bool> named_references(const boost::json::value& references, int depth,
                                    std::vector<std::pair<std::string, std::string>>& out);
  api_result<boost::json::value> fetch_version(const boost::json::value& reference);

  std::string base_url_;
  std::chrono::milliseconds timeout_;
  std::string authorization_;
  std::mutex mutex_;
  std::map<int, record_schema_ptr> by_id_;
  // (subject, format, text) -> id
  std::map<std::tuple<std::string, embedded_format, std::string>, int> registered_;
};

// Appends a record in the v2 consumer's shape with its key and value decoded by the
// schemas their ids name.
api_result<bool> append_v2_schema_record(std::string& out,
                                         const kafka::client::consumed_record& record,
                                         schema_client& schemas);

// Confluent's wire format: magic byte 0, the schema id (4 bytes, big-endian), the data.
std::string frame_with_schema_id(int id, std::string_view data);
// The schema id and data of a framed value; nullopt if it is not framed.
std::optional<std::pair<int, std::string_view>> unframe(std::string_view bytes);

}  // namespace wharf::rest_proxy

// The REST Proxy's way to a Schema Registry (Confluent's schema.registry.url), for the
// avro embedded format: registering a request's schema under <topic>-key/-value, and
// fetching schemas by id to encode with and decode from. Schemas are cached by id (an id
// never changes its schema). Calls block on HTTP: run them on a worker thread.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "schema/avro_schema.h"
#include "services/rest_proxy/api_errors.h"

namespace wharf::rest_proxy {

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

  // Registers (or finds) an Avro schema under subject; its id.
  api_result<int> register_avro(const std::string& subject, const std::string& schema_text);
  // The Avro schema with this id, references resolved.
  api_result<schema::avro::schema_ptr> avro_by_id(int id);

 private:
  api_result<schema::avro::schema_ptr> avro_from(const std::string& text,
                                                 const boost::json::value& references, int depth);

  std::string base_url_;
  std::chrono::milliseconds timeout_;
  std::string authorization_;
  std::mutex mutex_;
  std::map<int, schema::avro::schema_ptr> by_id_;
  std::map<std::pair<std::string, std::string>, int> registered_;  // (subject, text) -> id
};

// Confluent's wire format: magic byte 0, the schema id (4 bytes, big-endian), the data.
std::string frame_with_schema_id(int id, std::string_view data);
// The schema id and data of a framed value; nullopt if it is not framed.
std::optional<std::pair<int, std::string_view>> unframe(std::string_view bytes);

}  // namespace wharf::rest_proxy

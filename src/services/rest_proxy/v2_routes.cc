// REST Proxy API v2: topic and partition metadata, produce, and consumer instances.
#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <map>

#include "base/logging.h"
#include "services/rest_proxy/formats.h"
#include "services/rest_proxy/json_support.h"
#include "services/rest_proxy/records.h"
#include "services/rest_proxy/routes.h"

namespace wharf::rest_proxy {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

using context_ptr = std::shared_ptr<proxy_context>;

api_error topic_not_found() { return {error_codes::topic_not_found, "Topic not found."}; }
api_error partition_not_found() {
  return {error_codes::partition_not_found, "Partition not found."};
}
api_error instance_not_found() {
  return {error_codes::consumer_instance_not_found, "Consumer instance not found."};
}

bj::object partition_json(const kc::partition_info& p) {
  bj::array replicas;
  for (auto broker : p.replicas) {
    bool in_sync = std::find(p.in_sync_replicas.begin(), p.in_sync_replicas.end(), broker) !=
                   p.in_sync_replicas.end();
    replicas.push_back(
        bj::object{{"broker", broker}, {"leader", broker == p.leader}, {"in_sync", in_sync}});
  }
  return bj::object{{"partition", p.id}, {"leader", p.leader}, {"replicas", std::move(replicas)}};
}

// Metadata reads show the cluster as it is now; produce requests may use metadata a few
// seconds old (a topic missing from it is looked up again).
enum class freshness { current, cached };

// Calls then(metadata, topic) with the topic, or answers 40401 (or the Kafka error).
void with_topic(
    const context_ptr& ctx, const std::string& topic, http::responder respond,
    std::function<void(const metadata_snapshot&, const kc::topic_info&, http::responder)> then,
    freshness f = freshness::current) {
  auto found = [respond = std::move(respond), then = std::move(then),
                topic](kc::result<metadata_snapshot> md) mutable {
    if (!md.ok()) return respond(error_response(from_kafka(md.err())));
    const auto* t = (*md)->topic(topic);
    if (!t) return respond(error_response(topic_not_found()));
    then(*md, *t, std::move(respond));
  };
  if (f == freshness::current) {
    ctx->metadata->refresh(std::move(found));
  } else {
    ctx->metadata->get(topic, std::move(found));
  }
}

// --- metadata -------------------------------------------------------------------------

void list_topics(const context_ptr& ctx, http::request&& req, http::responder respond) {
  ctx->metadata->refresh(
      [ctx, principal = req.principal, respond](kc::result<metadata_snapshot> md) {
        if (!md.ok()) return respond(error_response(from_kafka(md.err())));
        bj::array names;
        for (const auto& t : (*md)->topics) {
          // Only the topics the principal may see at all.
          if (!t.is_internal && ctx->allows(principal, topic_access::describe, t.name)) {
            names.push_back(bj::string(t.name));
          }
        }
        respond(v2_response(200, names));
      });
}

void get_topic(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto name = req.param("topic");
  with_topic(ctx, name, std::move(respond),
             [ctx, name](const metadata_snapshot& md, const kc::topic_info& topic,
                         http::responder respond) {
               bj::array partitions;
               for (const auto& p : topic.partitions) partitions.push_back(partition_json(p));
               ctx->workers().post([ctx, name, md, partitions = std::move(partitions),
                                    respond = std::move(respond)]() mutable {
                 auto configs = ctx->admin().describe_topic_configs(name);
                 if (!configs.ok()) return respond(error_response(from_kafka(configs.err())));
                 bj::object config_map;
                 for (const auto& c : *configs) {
                   config_map[c.name] = c.value ? bj::value(bj::string(*c.value)) : bj::value();
                 }
                 respond(v2_response(200, bj::object{{"name", name},
                                                     {"configs", std::move(config_map)},
                                                     {"partitions", std::move(partitions)}}));
               });
             });
}

void list_partitions(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_topic(ctx, req.param("topic"), std::move(respond),
             [](const metadata_snapshot&, const kc::topic_info& topic, http::responder respond) {
               bj::array partitions;
               for (const auto& p : topic.partitions) partitions.push_back(partition_json(p));
               respond(v2_response(200, partitions));
             });
}

void get_partition(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto id = parse_partition_id(req.param("partition"));
  if (!id) return respond(error_response(partition_not_found()));
  with_topic(ctx, req.param("topic"), std::move(respond),
             [id](const metadata_snapshot&, const kc::topic_info& topic, http::responder respond) {
               const auto* p = topic.partition(*id);
               if (!p) return respond(error_response(partition_not_found()));
               respond(v2_response(200, partition_json(*p)));
             });
}

void get_partition_offsets(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto id = parse_partition_id(req.param("partition"));
  if (!id) return respond(error_response(partition_not_found()));
  auto name = req.param("topic");
  with_topic(ctx, name, std::move(respond),
             [ctx, id, name](const metadata_snapshot&, const kc::topic_info& topic,
                             http::responder respond) {
               if (!topic.partition(*id)) return respond(error_response(partition_not_found()));
               ctx->workers().post([ctx, id, name, respond = std::move(respond)] {
                 auto marks = ctx->admin().query_watermarks(name, *id);
                 if (!marks.ok()) return respond(error_response(from_kafka(marks.err())));
                 respond(v2_response(200, bj::object{{"beginning_offset", marks->low},
                                                     {"end_offset", marks->high}}));
               });
             });
}

void list_brokers(const context_ptr& ctx, http::request&&, http::responder respond) {
  ctx->metadata->refresh([respond](kc::result<metadata_snapshot> md) {
    if (!md.ok()) return respond(error_response(from_kafka(md.err())));
    bj::array ids;
    for (const auto& b : (*md)->brokers) ids.push_back(b.id);
    respond(v2_response(200, bj::object{{"brokers", std::move(ids)}}));
  });
}

// --- produce --------------------------------------------------------------------------

// The delivery reports of one produce request, answered when the last one is in.
struct produce_batch {
  struct outcome {
    std::optional<kc::delivery_report> report;
    std::optional<api_error> error;
  };
  explicit produce_batch(std::size_t n, http::responder r)
      : outcomes(n), remaining(n), respond(std::move(r)) {}

  std::optional<int> key_schema_id;
  std::optional<int> value_schema_id;

  void complete(std::size_t i, kc::result<kc::delivery_report> r) {
    if (r.ok()) {
      outcomes[i].report = *r;
    } else {
      outcomes[i].error = from_kafka(r.err());
    }
    if (--remaining == 0) answer();
  }

  void answer() {
    bj::array offsets;
    int status = 200;
    for (const auto& o : outcomes) {
      if (o.report) {
        offsets.push_back(bj::object{{"partition", o.report->partition},
                                     {"offset", o.report->offset},
                                     {"error_code", nullptr},
                                     {"error", nullptr}});
      } else {
        offsets.push_back(bj::object{{"partition", nullptr},
                                     {"offset", nullptr},
                                     {"error_code", o.error->error_code},
                                     {"error", o.error->message()}});
        // As Confluent: Kafka authentication/authorization failures fail the request.
        if (o.error->error_code == error_codes::kafka_authentication) status = 401;
        if (o.error->error_code == error_codes::kafka_authorization && status == 200) status = 403;
      }
    }
    auto id_or_null = [](std::optional<int> id) { return id ? bj::value(*id) : bj::value(); };
    respond(v2_response(status, bj::object{{"key_schema_id", id_or_null(key_schema_id)},
                                           {"value_schema_id", id_or_null(value_schema_id)},
                                           {"offsets", std::move(offsets)}}));
  }

  std::vector<outcome> outcomes;
  std::atomic<std::size_t> remaining;
  http::responder respond;
};

// Checks the records against the topic's partitions and the producer's budget, then
// queues them; answers once every one is reported.
void send_records(const context_ptr& ctx, const std::string& topic,
                  std::vector<kc::outgoing_record> records, http::responder respond,
                  std::optional<int> key_schema_id = std::nullopt,
                  std::optional<int> value_schema_id = std::nullopt) {
  with_topic(
      ctx, topic, std::move(respond),
      [ctx, records = std::make_shared<std::vector<kc::outgoing_record>>(std::move(records)),
       key_schema_id, value_schema_id](const metadata_snapshot&, const kc::topic_info& t,
                                       http::responder respond) {
        std::size_t bytes = 0;
        for (const auto& r : *records) {
          if (r.partition && !t.partition(*r.partition)) {
            return respond(error_response(partition_not_found()));
          }
          bytes += r.payload_bytes();
        }
        auto& producer = ctx->cluster.shared_producer();
        // Refuse the whole request rather than half of it when the budget is spent.
        auto in_flight = producer.in_flight_bytes();
        if (in_flight > 0 && in_flight + bytes > producer.max_in_flight_bytes()) {
          return respond(error_response(error_codes::too_many_requests,
                                        "Too many produce requests in flight; retry later"));
        }
        auto batch = std::make_shared<produce_batch>(records->size(), std::move(respond));
        batch->key_schema_id = key_schema_id;
        batch->value_schema_id = value_schema_id;
        for (std::size_t i = 0; i < records->size(); ++i) {
          auto queued = producer.produce(
              std::move((*records)[i]),
              [batch, i](kc::result<kc::delivery_report> r) { batch->complete(i, r); });
          if (!queued.ok()) batch->complete(i, queued.err());
        }
      },
      freshness::cached);
}

// The schema for one side (key or value) of a schema-format produce request: registered
// under <topic>-key / <topic>-value when the request gives it, fetched when it names an id.
struct resolved_schema {
  std::optional<int> id;
  record_schema_ptr schema;
};

api_result<resolved_schema> resolve_schema(schema_client& schemas, embedded_format format,
                                           const std::string& subject,
                                           const std::optional<std::string>& text,
                                           std::optional<int> id, bool needed, int missing_code,
                                           std::string_view side) {
  resolved_schema out;
  if (text) {
    WHARF_ASSIGN_OR_RETURN(auto registered, schemas.register_schema(subject, format, *text));
    out.id = registered;
  } else if (id) {
    out.id = *id;
  } else {
    if (needed) {
      return api_error{missing_code, fmt::format("Request includes {}s but does not include {} "
                                                 "schema",
                                                 side, side)};
    }
    return out;
  }
  WHARF_ASSIGN_OR_RETURN(out.schema, schemas.schema_by_id(*out.id));
  if (out.schema->format() != format) {
    return api_error{error_codes::invalid_schema,
                     fmt::format("Schema {} is a {} schema, not {}", *out.id,
                                 to_string(out.schema->format()), to_string(format))};
  }
  return out;
}

// avro, protobuf, jsonschema: resolves the schemas and encodes every record in Confluent's
// wire format (on a worker: the registry is reached over HTTP), then sends them.
void produce_with_schema(const context_ptr& ctx, const std::string& topic, embedded_format format,
                         v2_schema_produce request, http::responder respond) {
  if (!ctx->schemas) {
    return respond(error_response(
        error_codes::unsupported_media_type,
        fmt::format("HTTP 415 Unsupported Media Type: the {} format needs a Schema Registry; set "
                    "rest_proxy.schema_registry_url or enable Wharf's schema_registry",
                    to_string(format))));
  }
  ctx->workers().post([ctx, topic, format, request = std::move(request), respond]() mutable {
    bool any_key = false;
    bool any_value = false;
    for (const auto& r : request.records) {
      any_key = any_key || !r.key.is_null();
      any_value = any_value || !r.value.is_null();
    }
    auto key =
        resolve_schema(*ctx->schemas, format, topic + "-key", request.key_schema,
                       request.key_schema_id, any_key, error_codes::key_schema_missing, "key");
    if (!key.ok()) return respond(error_response(key.err()));
    auto value = resolve_schema(*ctx->schemas, format, topic + "-value", request.value_schema,
                                request.value_schema_id, any_value,
                                error_codes::value_schema_missing, "value");
    if (!value.ok()) return respond(error_response(value.err()));
    std::vector<kc::outgoing_record> records;
    records.reserve(request.records.size());
    auto encode = [](const resolved_schema& side, const bj::value& datum,
                     std::string_view what) -> api_result<std::optional<std::string>> {
      if (datum.is_null() && (!side.schema || !side.schema->encodes_null())) {
        return std::optional<std::string>{};
      }
      WHARF_ASSIGN_OR_RETURN(auto bytes, side.schema->encode(datum, what));
      return std::optional<std::string>(frame_with_schema_id(*side.id, bytes));
    };
    for (auto& r : request.records) {
      kc::outgoing_record out;
      out.topic = topic;
      out.partition = r.partition;
      auto k = encode(*key, r.key, "key");
      if (!k.ok()) return respond(error_response(k.err()));
      auto v = encode(*value, r.value, "value");
      if (!v.ok()) return respond(error_response(v.err()));
      out.key = std::move(*k);
      out.value = std::move(*v);
      records.push_back(std::move(out));
    }
    send_records(ctx, topic, std::move(records), std::move(respond), key->id, value->id);
  });
}

void produce(const context_ptr& ctx, http::request&& req, http::responder respond,
             bool to_partition) {
  auto format = produce_format(req.header("Content-Type"));
  if (!format.ok()) return respond(error_response(format.err()));
  std::optional<std::int32_t> path_partition;
  if (to_partition) {
    path_partition = parse_partition_id(req.param("partition"));
    if (!path_partition) return respond(error_response(partition_not_found()));
  }
  auto topic = req.param("topic");
  if (needs_schema(*format)) {
    auto request = parse_v2_schema_produce(req.body, path_partition);
    if (!request.ok()) return respond(error_response(request.err()));
    return produce_with_schema(ctx, topic, *format, std::move(*request), std::move(respond));
  }
  auto records = parse_v2_produce(req.body, *format, topic, path_partition);
  if (!records.ok()) return respond(error_response(records.err()));
  send_records(ctx, topic, std::move(*records), std::move(respond));
}

// --- consumers ------------------------------------------------------------------------

// Parses an optional JSON body of a v2 request (Content-Type checked).
api_result<bj::value> optional_v2_body(const http::request& req) {
  WHARF_RETURN_IF_ERROR(check_v2_json_body(req.header("Content-Type")));
  std::string_view body = req.body;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front()))) {
    body.remove_prefix(1);
  }
  if (body.empty()) return bj::value();
  return json::parse_body(body);
}

api_result<bj::value> required_v2_body(const http::request& req) {
  WHARF_ASSIGN_OR_RETURN(auto body, optional_v2_body(req));
  if (body.is_null()) {
    return api_error{error_codes::invalid_payload, "Payload error. The request body is required."};
  }
  if (!body.is_object()) {
    return api_error{error_codes::invalid_payload,
                     "Payload error. The request body must be a JSON object."};
  }
  return body;
}

// "true"/"false" as a string (Confluent's type) or a JSON boolean.
api_result<std::optional<bool>> flag_field(const bj::value& body, std::string_view name) {
  const auto* f = json::field(body, name);
  if (!f || f->is_null()) return std::optional<bool>{};
  if (f->is_bool()) return std::optional<bool>(f->get_bool());
  if (f->is_string()) {
    std::string v(f->get_string());
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "true") return std::optional<bool>(true);
    if (v == "false") return std::optional<bool>(false);
  }
  return api_error{error_codes::invalid_consumer_config,
                   fmt::format("Invalid consumer configuration: {} must be true or false", name)};
}

api_result<consumer_settings> parse_consumer_settings(const std::string& group,
                                                      const bj::value& body,
                                                      bool has_schema_registry) {
  consumer_settings s;
  s.group = group;
  if (!body.is_null() && !body.is_object()) {
    return api_error{error_codes::invalid_payload,
                     "Payload error. The request body must be a JSON object."};
  }
  WHARF_ASSIGN_OR_RETURN(auto id, json::string_field(body, "id"));
  WHARF_ASSIGN_OR_RETURN(auto name, json::string_field(body, "name"));
  // As Confluent: an explicit id wins over the name; without either, a fresh name.
  if (id && !id->empty()) {
    s.name = *id;
  } else if (name && !name->empty()) {
    s.name = *name;
  } else {
    static std::atomic<std::uint64_t> counter{0};
    auto now = std::chrono::system_clock::now().time_since_epoch().count();
    s.name = fmt::format("rest-consumer-{:x}-{}", static_cast<std::uint64_t>(now), ++counter);
  }
  WHARF_ASSIGN_OR_RETURN(auto format_name, json::string_field(body, "format"));
  if (format_name) {
    auto format = parse_format_name(*format_name);
    if (!format) return api_error{error_codes::unprocessable, "Invalid format type."};
    if (needs_schema(*format) && !has_schema_registry) {
      return api_error{error_codes::invalid_consumer_config,
                       fmt::format("Invalid consumer configuration: the {} format needs a Schema "
                                   "Registry (rest_proxy.schema_registry_url)",
                                   *format_name)};
    }
    s.format = *format;
  }
  WHARF_ASSIGN_OR_RETURN(auto reset, json::string_field(body, "auto.offset.reset"));
  if (reset) {
    // Kafka's names, and the old consumer's that Confluent still passes through.
    if (*reset == "earliest" || *reset == "smallest") {
      s.auto_offset_reset = "earliest";
    } else if (*reset == "latest" || *reset == "largest") {
      s.auto_offset_reset = "latest";
    } else if (*reset == "none") {
      s.auto_offset_reset = "error";
    } else {
      return api_error{error_codes::invalid_consumer_config,
                       "Invalid consumer configuration: auto.offset.reset must be earliest, "
                       "latest or none"};
    }
  }
  WHARF_ASSIGN_OR_RETURN(auto auto_commit, flag_field(body, "auto.commit.enable"));
  if (auto_commit) s.auto_commit = *auto_commit;
  WHARF_ASSIGN_OR_RETURN(auto min_bytes,
                         json::integer_field(body, "fetch.min.bytes", -1, INT32_MAX));
  s.fetch_min_bytes = min_bytes;
  WHARF_ASSIGN_OR_RETURN(auto timeout,
                         json::integer_field(body, "consumer.request.timeout.ms", 0, INT32_MAX));
  if (timeout) s.request_timeout = std::chrono::milliseconds(*timeout);
  return s;
}

void create_consumer(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto body = optional_v2_body(req);
  if (!body.ok()) return respond(error_response(body.err()));
  auto settings = parse_consumer_settings(req.param("group"), *body, ctx->schemas != nullptr);
  if (!settings.ok()) return respond(error_response(settings.err()));
  settings->owner = req.principal;
  auto base = ctx->base_url(req);
  // Creating a librdkafka handle starts threads: not on an I/O thread.
  ctx->workers().post([ctx, settings = std::move(*settings), base, respond]() mutable {
    auto created = ctx->consumers->create(std::move(settings));
    if (!created.ok()) return respond(error_response(created.err()));
    const auto& instance = **created;
    auto uri = fmt::format("{}/consumers/{}/instances/{}", base,
                           http::percent_encode_segment(instance.group()),
                           http::percent_encode_segment(instance.name()));
    respond(v2_response(200, bj::object{{"instance_id", instance.name()}, {"base_uri", uri}}));
  });
}

// The instance the path names, if it exists and belongs to the request's principal:
// another principal's instance reads as missing, so its existence is not revealed.
std::shared_ptr<consumer_instance> find_owned_instance(const context_ptr& ctx,
                                                       const http::request& req) {
  auto instance = ctx->consumers->find(req.param("group"), req.param("instance"));
  if (!instance || instance->settings().owner != req.principal) return nullptr;
  return instance;
}

void delete_consumer(const context_ptr& ctx, http::request&& req, http::responder respond) {
  if (!find_owned_instance(ctx, req) ||
      !ctx->consumers->remove(req.param("group"), req.param("instance"))) {
    return respond(error_response(instance_not_found()));
  }
  respond(no_content());
}

// Runs op with the instance's session on its queue, or answers 40403.
void with_instance(const context_ptr& ctx, const http::request& req, http::responder respond,
                   std::function<void(consumer_instance::session&, http::responder&)> op) {
  auto instance = find_owned_instance(ctx, req);
  if (!instance) return respond(error_response(instance_not_found()));
  instance->run(
      [op = std::move(op), respond](consumer_instance::session& s) mutable { op(s, respond); },
      [respond] { respond(error_response(instance_not_found())); });
}

api_error illegal_state(std::string_view detail) {
  return {error_codes::illegal_state, "Illegal state: " + std::string(detail)};
}

// A name Kafka could not have (librdkafka would also cut it at a NUL byte).
api_error invalid_topic(const std::string& name) {
  std::string shown;
  json::append_string(shown, name);
  return {error_codes::invalid_payload, "Payload error. Invalid topic name " + shown + "."};
}

api_result<std::vector<kc::topic_partition>> parse_partitions(const bj::value& body) {
  const auto* list = json::field(body, "partitions");
  if (!list || !list->is_array()) {
    return api_error{error_codes::invalid_payload, "Payload error. partitions must be an array."};
  }
  std::vector<kc::topic_partition> out;
  for (const auto& item : list->get_array()) {
    WHARF_ASSIGN_OR_RETURN(auto topic, json::string_field(item, "topic"));
    WHARF_ASSIGN_OR_RETURN(auto partition, json::integer_field(item, "partition", 0, INT32_MAX));
    if (!topic || topic->empty() || !partition) {
      return api_error{error_codes::invalid_payload,
                       "Payload error. Each partition needs a topic and a partition."};
    }
    if (!valid_topic_name(*topic)) return invalid_topic(*topic);
    out.push_back({*topic, static_cast<std::int32_t>(*partition)});
  }
  return out;
}

// {"offsets": [{"topic", "partition", "offset", "metadata"}]}
api_result<std::vector<kc::partition_offset>> parse_offsets(const bj::value& body) {
  std::vector<kc::partition_offset> out;
  const auto* list = json::field(body, "offsets");
  if (!list || list->is_null()) return out;
  if (!list->is_array()) {
    return api_error{error_codes::invalid_payload, "Payload error. offsets must be an array."};
  }
  for (const auto& item : list->get_array()) {
    WHARF_ASSIGN_OR_RETURN(auto topic, json::string_field(item, "topic"));
    WHARF_ASSIGN_OR_RETURN(auto partition, json::integer_field(item, "partition", 0, INT32_MAX));
    WHARF_ASSIGN_OR_RETURN(auto offset, json::integer_field(item, "offset", 0, INT64_MAX));
    WHARF_ASSIGN_OR_RETURN(auto metadata, json::string_field(item, "metadata"));
    if (!topic || topic->empty() || !partition || !offset) {
      return api_error{error_codes::invalid_payload,
                       "Payload error. Each offset needs a topic, a partition and an offset."};
    }
    if (!valid_topic_name(*topic)) return invalid_topic(*topic);
    out.push_back({*topic, static_cast<std::int32_t>(*partition), *offset, metadata.value_or("")});
  }
  return out;
}

void drop_held_back(consumer_instance::session& s,
                    const std::vector<kc::topic_partition>* only = nullptr) {
  if (!only) {
    s.held_back.clear();
    return;
  }
  std::erase_if(s.held_back, [only](const kc::consumed_record& r) {
    return std::find(only->begin(), only->end(), kc::topic_partition{r.topic, r.partition}) !=
           only->end();
  });
}

void subscribe(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto body = required_v2_body(req);
  if (!body.ok()) return respond(error_response(body.err()));
  std::vector<std::string> topics;
  const auto* list = json::field(*body, "topics");
  if (list && !list->is_null()) {
    if (!list->is_array()) {
      return respond(error_response(error_codes::invalid_payload,
                                    "Payload error. topics must be an array of names."));
    }
    for (const auto& t : list->get_array()) {
      if (!t.is_string() || t.get_string().empty()) {
        return respond(error_response(error_codes::invalid_payload,
                                      "Payload error. topics must be an array of names."));
      }
      if (!valid_topic_name(t.get_string())) {
        return respond(error_response(invalid_topic(std::string(t.get_string()))));
      }
      topics.emplace_back(t.get_string());
    }
  }
  auto pattern = json::string_field(*body, "topic_pattern");
  if (!pattern.ok()) return respond(error_response(pattern.err()));
  if (*pattern && (*pattern)->find('\0') != std::string::npos) {
    return respond(error_response(error_codes::invalid_payload,
                                  "Payload error. topic_pattern may not contain a NUL character."));
  }
  if (topics.empty() == !(*pattern && !(*pattern)->empty())) {
    return respond(error_response(error_codes::invalid_payload,
                                  "Payload error. Give either topics or topic_pattern."));
  }
  if (auto refused = ctx->first_forbidden(req.principal, topic_access::consume, topics)) {
    return respond(topic_forbidden(topic_access::consume, *refused));
  }
  // A pattern may match topics created later: only for principals who may read them all.
  if (*pattern && !ctx->allows_every_topic(req.principal, topic_access::consume)) {
    return respond(http::security::gatekeeper::forbidden(
        "Not authorized to subscribe to a topic pattern: that needs consume rights on every "
        "topic"));
  }
  with_instance(
      ctx, req, std::move(respond),
      [topics, pattern = *pattern](consumer_instance::session& s, http::responder& respond) {
        if (s.mode == subscription_mode::manual) {
          return respond(error_response(illegal_state(
              "Subscription to topics, partitions and pattern are mutually exclusive")));
        }
        std::vector<std::string> names = topics;
        if (pattern) {
          // librdkafka reads a leading ^ as "regular expression"; Java's
          // subscribe(Pattern) matches whole names, hence the anchors.
          names = {"^(" + *pattern + ")$"};
        }
        auto done = s.consumer.subscribe(names);
        if (!done.ok()) return respond(error_response(from_kafka(done.err())));
        s.mode = pattern ? subscription_mode::pattern : subscription_mode::topics;
        s.subscribed_topics = topics;
        drop_held_back(s);
        respond(no_content());
      });
}

void get_subscription(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_instance(ctx, req, std::move(respond),
                [](consumer_instance::session& s, http::responder& respond) {
                  bj::array topics;
                  if (s.mode == subscription_mode::topics) {
                    for (const auto& t : s.subscribed_topics) topics.push_back(bj::string(t));
                  } else if (s.mode == subscription_mode::pattern) {
                    // As Java's consumer: the topics the pattern currently matches.
                    auto assigned = s.consumer.assignment();
                    std::vector<std::string> names;
                    if (assigned.ok()) {
                      for (const auto& p : *assigned) names.push_back(p.topic);
                    }
                    std::sort(names.begin(), names.end());
                    names.erase(std::unique(names.begin(), names.end()), names.end());
                    for (const auto& n : names) topics.push_back(bj::string(n));
                  }
                  respond(v2_response(200, bj::object{{"topics", std::move(topics)}}));
                });
}

void unsubscribe(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_instance(
      ctx, req, std::move(respond), [](consumer_instance::session& s, http::responder& respond) {
        auto done =
            s.mode == subscription_mode::manual ? s.consumer.assign({}) : s.consumer.unsubscribe();
        if (!done.ok()) return respond(error_response(from_kafka(done.err())));
        s.mode = subscription_mode::none;
        s.subscribed_topics.clear();
        drop_held_back(s);
        respond(no_content());
      });
}

// 403 if the request names a partition (or offset) of a topic its principal may not
// consume: assigning, seeking and committing all read a topic on the principal's behalf.
template <typename Positions>
std::optional<http::response> refuse_unreadable(const context_ptr& ctx, const http::request& req,
                                                const Positions& positions) {
  for (const auto& p : positions) {
    if (!ctx->allows(req.principal, topic_access::consume, p.topic)) {
      return topic_forbidden(topic_access::consume, p.topic);
    }
  }
  return std::nullopt;
}

void assign(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto body = required_v2_body(req);
  if (!body.ok()) return respond(error_response(body.err()));
  auto partitions = parse_partitions(*body);
  if (!partitions.ok()) return respond(error_response(partitions.err()));
  if (auto refused = refuse_unreadable(ctx, req, *partitions)) return respond(std::move(*refused));
  with_instance(ctx, req, std::move(respond),
                [partitions = std::move(*partitions)](consumer_instance::session& s,
                                                      http::responder& respond) {
                  if (s.mode == subscription_mode::topics || s.mode == subscription_mode::pattern) {
                    return respond(error_response(illegal_state(
                        "Subscription to topics, partitions and pattern are mutually exclusive")));
                  }
                  auto done = s.consumer.assign(partitions);
                  if (!done.ok()) return respond(error_response(from_kafka(done.err())));
                  s.mode = partitions.empty() ? subscription_mode::none : subscription_mode::manual;
                  drop_held_back(s);
                  respond(no_content());
                });
}

void get_assignment(const context_ptr& ctx, http::request&& req, http::responder respond) {
  with_instance(
      ctx, req, std::move(respond), [](consumer_instance::session& s, http::responder& respond) {
        auto assigned = s.consumer.assignment();
        if (!assigned.ok()) return respond(error_response(from_kafka(assigned.err())));
        bj::array partitions;
        for (const auto& p : *assigned) {
          partitions.push_back(bj::object{{"topic", p.topic}, {"partition", p.partition}});
        }
        respond(v2_response(200, bj::object{{"partitions", std::move(partitions)}}));
      });
}

// Seeks, answering Java's IllegalStateException (40903) for unassigned partitions.
void seek_and_answer(consumer_instance::session& s, std::vector<kc::partition_offset> positions,
                     http::responder& respond) {
  auto assigned = s.consumer.assignment();
  if (!assigned.ok()) return respond(error_response(from_kafka(assigned.err())));
  std::vector<kc::topic_partition> touched;
  for (const auto& p : positions) {
    kc::topic_partition tp{p.topic, p.partition};
    if (std::find(assigned->begin(), assigned->end(), tp) == assigned->end()) {
      return respond(error_response(illegal_state(
          fmt::format("No current assignment for partition {}-{}", p.topic, p.partition))));
    }
    touched.push_back(tp);
  }
  auto done = s.consumer.seek(positions);
  if (!done.ok()) return respond(error_response(illegal_state(done.err().message())));
  drop_held_back(s, &touched);
  respond(no_content());
}

void seek_to_offsets(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto body = required_v2_body(req);
  if (!body.ok()) return respond(error_response(body.err()));
  auto offsets = parse_offsets(*body);
  if (!offsets.ok()) return respond(error_response(offsets.err()));
  if (auto refused = refuse_unreadable(ctx, req, *offsets)) return respond(std::move(*refused));
  // {"timestamps": [{"topic", "partition", "timestamp"}]}: the first offset at or after.
  std::vector<std::pair<kc::topic_partition, std::int64_t>> by_time;
  if (const auto* list = json::field(*body, "timestamps"); list && !list->is_null()) {
    if (!list->is_array()) {
      return respond(error_response(error_codes::invalid_payload,
                                    "Payload error. timestamps must be an array."));
    }
    for (const auto& item : list->get_array()) {
      auto topic = json::string_field(item, "topic");
      auto partition = json::integer_field(item, "partition", 0, INT32_MAX);
      auto ts = json::string_field(item, "timestamp");
      std::optional<std::int64_t> millis;
      if (ts.ok() && *ts) millis = parse_iso8601_millis(**ts);
      if (!topic.ok() || !*topic || (*topic)->empty() || !partition.ok() || !*partition ||
          !millis) {
        return respond(error_response(
            error_codes::invalid_payload,
            "Payload error. Each timestamp needs a topic, a partition and an ISO-8601 timestamp."));
      }
      if (!valid_topic_name(**topic)) return respond(error_response(invalid_topic(**topic)));
      by_time.push_back({{**topic, static_cast<std::int32_t>(**partition)}, *millis});
      if (!ctx->allows(req.principal, topic_access::consume, **topic)) {
        return respond(topic_forbidden(topic_access::consume, **topic));
      }
    }
  }
  with_instance(
      ctx, req, std::move(respond),
      [ctx, positions = std::move(*offsets), by_time](consumer_instance::session& s,
                                                      http::responder& respond) mutable {
        // Check the assignment before asking Kafka for offsets: a partition that does not
        // exist would hold the request until the Kafka client's timeout, then fail as a 5xx.
        if (!by_time.empty()) {
          auto assigned = s.consumer.assignment();
          if (!assigned.ok()) return respond(error_response(from_kafka(assigned.err())));
          for (const auto& [tp, millis] : by_time) {
            if (std::find(assigned->begin(), assigned->end(), tp) == assigned->end()) {
              return respond(error_response(illegal_state(fmt::format(
                  "No current assignment for partition {}-{}", tp.topic, tp.partition))));
            }
          }
        }
        for (const auto& [tp, millis] : by_time) {
          auto found = ctx->admin().offsets_for_time({tp}, millis);
          if (!found.ok()) return respond(error_response(from_kafka(found.err())));
          auto offset = found->empty() ? kc::offset_end : (*found)[0].offset;
          positions.push_back({tp.topic, tp.partition, offset < 0 ? kc::offset_end : offset});
        }
        seek_and_answer(s, std::move(positions), respond);
      });
}

void seek_to(const context_ptr& ctx, http::request&& req, http::responder respond,
             std::int64_t logical_offset) {
  auto body = required_v2_body(req);
  if (!body.ok()) return respond(error_response(body.err()));
  auto partitions = parse_partitions(*body);
  if (!partitions.ok()) return respond(error_response(partitions.err()));
  if (auto refused = refuse_unreadable(ctx, req, *partitions)) return respond(std::move(*refused));
  with_instance(ctx, req, std::move(respond),
                [partitions = std::move(*partitions), logical_offset](consumer_instance::session& s,
                                                                      http::responder& respond) {
                  std::vector<kc::partition_offset> positions;
                  for (const auto& p : partitions) {
                    positions.push_back({p.topic, p.partition, logical_offset});
                  }
                  seek_and_answer(s, std::move(positions), respond);
                });
}

void read_records(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto accepted = records_accept(req.header("Accept"));
  if (!accepted.ok()) return respond(error_response(accepted.err()));
  auto instance = find_owned_instance(ctx, req);
  if (!instance) return respond(error_response(instance_not_found()));
  if (accepted->format && *accepted->format != instance->format()) {
    return respond(error_response(
        error_codes::consumer_format_mismatch,
        "The requested embedded data format does not match the deserializer for this consumer "
        "instance"));
  }
  const auto& limits = ctx->consumers->limits();
  const auto& settings = instance->settings();
  // As Confluent: the request may shorten the instance's timeout, not lengthen it.
  auto timeout = settings.request_timeout.value_or(limits.request_timeout);
  auto max_bytes = limits.request_max_bytes;
  auto number = [&req](std::string_view name) -> std::optional<std::int64_t> {
    auto text = req.query_param(name);
    if (!text) return std::nullopt;
    try {
      return std::stoll(std::string(*text));
    } catch (...) {
      return std::nullopt;
    }
  };
  if (auto t = number("timeout"); t && *t > 0) {
    timeout = std::min(timeout, std::chrono::milliseconds(*t));
  }
  if (auto m = number("max_bytes"); m && *m > 0) {
    max_bytes = std::min<std::uint64_t>(max_bytes, static_cast<std::uint64_t>(*m));
  }
  consumer_instance::read_limits read_limits{
      timeout, static_cast<std::size_t>(max_bytes),
      settings.fetch_min_bytes.value_or(limits.fetch_min_bytes)};
  auto format = instance->format();
  auto schemas = ctx->schemas;
  instance->read(read_limits,
                 [respond, format, schemas](api_result<std::vector<kc::consumed_record>> records) {
                   if (!records.ok()) return respond(error_response(records.err()));
                   std::string body = "[";
                   for (std::size_t i = 0; i < records->size(); ++i) {
                     if (i > 0) body += ',';
                     if (needs_schema(format)) {
                       // Runs on the instance's worker queue, so fetching a schema may block.
                       auto appended = append_v2_schema_record(body, (*records)[i], *schemas);
                       if (!appended.ok()) return respond(error_response(appended.err()));
                     } else {
                       append_v2_record(body, (*records)[i], format);
                     }
                   }
                   body += ']';
                   respond(http::response::json(200, std::move(body), v2_content_type_for(format)));
                 });
}

void commit_offsets(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto body = optional_v2_body(req);
  if (!body.ok()) return respond(error_response(body.err()));
  auto offsets =
      body->is_null()
          ? api_result<std::vector<kc::partition_offset>>(std::vector<kc::partition_offset>{})
          : parse_offsets(*body);
  if (!offsets.ok()) return respond(error_response(offsets.err()));
  if (auto refused = refuse_unreadable(ctx, req, *offsets)) return respond(std::move(*refused));
  // As Confluent: the offsets given are the last records consumed; Kafka stores the next.
  for (auto& o : *offsets) ++o.offset;
  with_instance(
      ctx, req, std::move(respond),
      [offsets = std::move(*offsets)](consumer_instance::session& s, http::responder& respond) {
        auto done = s.consumer.commit(offsets);
        if (!done.ok()) {
          // Java's CommitFailedException: the group rebalanced or no longer knows this
          // member (e.g. a manual assignment committing into a group with members). The
          // instance's state, not a server fault.
          auto code = done.err().code();
          if (code == 22 || code == 25 || code == 27 || code == 82) {
            return respond(error_response(illegal_state(
                "Commit cannot be completed: the consumer group rebalanced or does not know "
                "this member (" +
                done.err().message() + ")")));
          }
          return respond(error_response(from_kafka(done.err())));
        }
        respond(v2_response(200, bj::array()));
      });
}

void committed_offsets(const context_ptr& ctx, http::request&& req, http::responder respond) {
  auto body = optional_v2_body(req);
  if (!body.ok()) return respond(error_response(body.err()));
  // Confluent answers a request without partitions with 40402.
  if (body->is_null()) return respond(error_response(partition_not_found()));
  auto partitions = parse_partitions(*body);
  if (!partitions.ok()) return respond(error_response(partitions.err()));
  if (auto refused = refuse_unreadable(ctx, req, *partitions)) return respond(std::move(*refused));
  with_instance(ctx, req, std::move(respond),
                [partitions = std::move(*partitions)](consumer_instance::session& s,
                                                      http::responder& respond) {
                  bj::array offsets;
                  if (!partitions.empty()) {
                    auto committed = s.consumer.committed(partitions, std::chrono::seconds(10));
                    if (!committed.ok()) {
                      return respond(error_response(from_kafka(committed.err())));
                    }
                    for (const auto& o : *committed) {
                      if (o.offset < 0) continue;  // nothing committed for it
                      offsets.push_back(bj::object{{"topic", o.topic},
                                                   {"partition", o.partition},
                                                   {"offset", o.offset},
                                                   {"metadata", o.metadata}});
                    }
                  }
                  respond(v2_response(200, bj::object{{"offsets", std::move(offsets)}}));
                });
}

}  // namespace

void add_v2_routes(http::router& routes, const std::shared_ptr<proxy_context>& ctx) {
  auto bind = [&ctx](void (*fn)(const context_ptr&, http::request&&, http::responder)) {
    return [ctx, fn](http::request&& req, http::responder respond) {
      fn(ctx, std::move(req), std::move(respond));
    };
  };
  add_route(routes, ctx, "GET", "/topics", "v2.topics.list", bind(list_topics));
  add_route(routes, ctx, "GET", "/topics/{topic}", "v2.topics.get", bind(get_topic));
  add_route(routes, ctx, "POST", "/topics/{topic}", "v2.produce",
            [ctx](http::request&& req, http::responder respond) {
              produce(ctx, std::move(req), std::move(respond), false);
            });
  add_route(routes, ctx, "GET", "/topics/{topic}/partitions", "v2.partitions.list",
            bind(list_partitions));
  add_route(routes, ctx, "GET", "/topics/{topic}/partitions/{partition}", "v2.partitions.get",
            bind(get_partition));
  add_route(routes, ctx, "POST", "/topics/{topic}/partitions/{partition}", "v2.produce",
            [ctx](http::request&& req, http::responder respond) {
              produce(ctx, std::move(req), std::move(respond), true);
            });
  add_route(routes, ctx, "GET", "/topics/{topic}/partitions/{partition}/offsets",
            "v2.partitions.offsets", bind(get_partition_offsets));
  add_route(routes, ctx, "GET", "/brokers", "v2.brokers.list", bind(list_brokers));

  const std::string instance = "/consumers/{group}/instances/{instance}";
  add_route(routes, ctx, "POST", "/consumers/{group}", "v2.consumers.create",
            bind(create_consumer));
  add_route(routes, ctx, "DELETE", instance, "v2.consumers.delete", bind(delete_consumer));
  add_route(routes, ctx, "POST", instance + "/subscription", "v2.consumers.subscribe",
            bind(subscribe));
  add_route(routes, ctx, "GET", instance + "/subscription", "v2.consumers.subscription",
            bind(get_subscription));
  add_route(routes, ctx, "DELETE", instance + "/subscription", "v2.consumers.unsubscribe",
            bind(unsubscribe));
  add_route(routes, ctx, "POST", instance + "/assignments", "v2.consumers.assign", bind(assign));
  add_route(routes, ctx, "GET", instance + "/assignments", "v2.consumers.assignment",
            bind(get_assignment));
  add_route(routes, ctx, "POST", instance + "/positions", "v2.consumers.seek",
            bind(seek_to_offsets));
  add_route(routes, ctx, "POST", instance + "/positions/beginning", "v2.consumers.seek",
            [ctx](http::request&& req, http::responder respond) {
              seek_to(ctx, std::move(req), std::move(respond), kc::offset_beginning);
            });
  add_route(routes, ctx, "POST", instance + "/positions/end", "v2.consumers.seek",
            [ctx](http::request&& req, http::responder respond) {
              seek_to(ctx, std::move(req), std::move(respond), kc::offset_end);
            });
  add_route(routes, ctx, "GET", instance + "/records", "v2.consumers.records", bind(read_records));
  add_route(routes, ctx, "POST", instance + "/offsets", "v2.consumers.commit",
            bind(commit_offsets));
  add_route(routes, ctx, "GET", instance + "/offsets", "v2.consumers.committed",
            bind(committed_offsets));
}

}  // namespace wharf::rest_proxy

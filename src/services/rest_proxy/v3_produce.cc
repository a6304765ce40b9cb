// REST Proxy API v3 produce: POST .../topics/{t}/records takes one record, or a stream of
// concatenated JSON records (chunked, for as long as the client keeps sending) answered
// with one delivery report per record in the order sent; POST .../records:batch takes
// {"entries": [...]} and answers 207 with the successes and failures by entry id.
#include <charconv>
#include <deque>
#include <mutex>
#include <unordered_set>

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/stream_parser.hpp>

#include "services/rest_proxy/formats.h"
#include "services/rest_proxy/json_support.h"
#include "services/rest_proxy/records.h"
#include "services/rest_proxy/schema_client.h"
#include "services/rest_proxy/v3_support.h"

namespace wharf::rest_proxy {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

using context_ptr = std::shared_ptr<proxy_context>;

// What one record's answer says: a delivery report (error_code 200) or an error.
struct record_outcome {
  int error_code = 200;
  bj::object body;
};

record_outcome failure(const api_error& error) {
  return {error.error_code,
          bj::object{{"error_code", error.error_code}, {"message", error.message()}}};
}

// A parsed record with what its delivery report repeats back.
struct pending_record {
  v3_produce_record parsed;
  std::int64_t key_size = -1;  // Java reports a null key or value's size as -1
  std::int64_t value_size = -1;
  std::uint64_t bytes = 0;  // held in memory until reported

  explicit pending_record(v3_produce_record r) : parsed(std::move(r)) {
    if (parsed.record.key) key_size = static_cast<std::int64_t>(parsed.record.key->size());
    if (parsed.record.value) value_size = static_cast<std::int64_t>(parsed.record.value->size());
    bytes = parsed.record.payload_bytes();
  }
};

bj::object delivery_json(const links& l, const std::string& topic, const pending_record& r,
                         const kc::delivery_report& report) {
  bj::object out{{"error_code", 200},       {"cluster_id", l.cluster_id},
                 {"topic_name", topic},     {"partition_id", report.partition},
                 {"offset", report.offset}, {"timestamp", iso8601_millis(report.timestamp_ms)}};
  if (r.parsed.key_type) {
    out["key"] = bj::object{{"type", to_string(*r.parsed.key_type)}, {"size", r.key_size}};
  }
  if (r.parsed.value_type) {
    out["value"] = bj::object{{"type", to_string(*r.parsed.value_type)}, {"size", r.value_size}};
  }
  return out;
}

embedded_format format_of(v3_data_type type) {
  switch (type) {
    case v3_data_type::protobuf: return embedded_format::protobuf;
    case v3_data_type::jsonschema: return embedded_format::jsonschema;
    default: return embedded_format::avro;
  }
}

v3_data_type type_of(embedded_format format) {
  switch (format) {
    case embedded_format::protobuf: return v3_data_type::protobuf;
    case embedded_format::jsonschema: return v3_data_type::jsonschema;
    default: return v3_data_type::avro;
  }
}

struct encoded_side {
  std::optional<std::string> bytes;  // Confluent's wire format; nullopt for a null
  v3_data_type type;
};

// A key or value in a schema format: its schema found (registered from "schema", by
// "schema_id", by "schema_version" of the subject, or the subject's latest version) and the
// data encoded with it. Blocks on the registry.
api_result<encoded_side> encode_with_schema(schema_client& schemas, const std::string& topic,
                                            const v3_schema_data& spec, std::string_view what) {
  auto subject = spec.subject.value_or(topic + (what == "key" ? "-key" : "-value"));
  int id = 0;
  if (spec.schema) {
    WHARF_ASSIGN_OR_RETURN(id,
                           schemas.register_schema(subject, format_of(*spec.type), *spec.schema));
  } else if (spec.schema_id) {
    id = *spec.schema_id;
  } else {
    WHARF_ASSIGN_OR_RETURN(id, schemas.version_id(subject, spec.schema_version.value_or(-1)));
  }
  WHARF_ASSIGN_OR_RETURN(auto schema, schemas.schema_by_id(id));
  if (spec.type && schema->format() != format_of(*spec.type)) {
    return api_error{error_codes::invalid_schema,
                     fmt::format("Schema {} is a {} schema, not {}", id,
                                 to_string(schema->format()), to_string(*spec.type))};
  }
  encoded_side out{std::nullopt, type_of(schema->format())};
  if (spec.data.is_null() && !schema->encodes_null()) return out;
  WHARF_ASSIGN_OR_RETURN(auto bytes, schema->encode(spec.data, what));
  out.bytes = frame_with_schema_id(id, bytes);
  return out;
}

// Checks the record against the topic's partitions and queues it in the shared
// producer; done gets the outcome exactly once, from any thread. Keys and values in
// schema formats are encoded first, on a worker (the registry is reached over HTTP).
void produce_one(const context_ptr& ctx, const metadata_snapshot& md, const links& l,
                 const std::string& topic, std::shared_ptr<pending_record> record,
                 std::function<void(record_outcome)> done) {
  if (record->parsed.key_schema || record->parsed.value_schema) {
    if (!ctx->schemas) {
      return done(failure({error_codes::bad_request,
                           "Bad Request: schema formats need a Schema Registry; set "
                           "rest_proxy.schema_registry_url or enable Wharf's schema_registry"}));
    }
    ctx->workers().post([ctx, md, l, topic, record, done]() mutable {
      auto& parsed = record->parsed;
      for (bool is_key : {true, false}) {
        auto& spec = is_key ? parsed.key_schema : parsed.value_schema;
        if (!spec) continue;
        auto encoded = encode_with_schema(*ctx->schemas, topic, *spec, is_key ? "key" : "value");
        if (!encoded.ok()) return done(failure(encoded.err()));
        auto& bytes = is_key ? parsed.record.key : parsed.record.value;
        bytes = std::move(encoded->bytes);
        (is_key ? parsed.key_type : parsed.value_type) = encoded->type;
        (is_key ? record->key_size : record->value_size) =
            bytes ? static_cast<std::int64_t>(bytes->size()) : -1;
        spec.reset();
      }
      produce_one(ctx, md, l, topic, record, done);
    });
    return;
  }
  const auto* t = md->topic(topic);
  if (!t) return done(failure({error_codes::topic_not_found, "Topic not found."}));
  if (record->parsed.record.partition && !t->partition(*record->parsed.record.partition)) {
    return done(failure({error_codes::partition_not_found, "Partition not found."}));
  }
  auto outgoing = record->parsed.record;
  auto queued = ctx->cluster.shared_producer().produce(
      std::move(outgoing), [l, topic, record, done](kc::result<kc::delivery_report> report) {
        if (!report.ok()) return done(failure(from_kafka(report.err())));
        done({200, delivery_json(l, topic, *record, *report)});
      });
  if (!queued.ok()) {
    if (queued.err().code() == kc::codes::local_queue_full) {
      return done(failure(
          {error_codes::too_many_requests, "Too many produce requests in flight; retry later"}));
    }
    done(failure(from_kafka(queued.err())));
  }
}

bool is_chunked(const http::request& req) {
  auto te = req.header("Transfer-Encoding");
  if (!te) return false;
  std::string lower(*te);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("chunked") != std::string::npos;
}

// One POST .../records request: parses records as the body arrives, produces each as
// soon as the topic's metadata is known, and answers each in the order sent. A chunked
// request is answered as a stream (200, one JSON report per record, each with its own
// error_code); a request with a Content-Length is answered once it is all delivered,
// with the status of its one record's outcome (or 200 and every report for several).
class produce_stream : public std::enable_shared_from_this<produce_stream> {
 public:
  static bj::parse_options parse_options() {
    bj::parse_options options;
    options.max_depth = 64;  // as json::parse_body
    return options;
  }

  produce_stream(context_ptr ctx, std::string topic, bool streamed,
                 std::shared_ptr<http::body_stream> out)
      : ctx_(std::move(ctx)),
        topic_(std::move(topic)),
        streamed_(streamed),
        out_(std::move(out)),
        parser_({}, parse_options()) {}

  http::body_consumer consumer() {
    http::body_consumer c;
    auto self = shared_from_this();
    c.on_data = [self](std::string_view piece) { self->on_data(piece); };
    c.on_end = [self] { self->on_end(); };
    c.on_abort = [self] { self->on_abort(); };
    return c;
  }

  // The cluster is checked and the topic's metadata known: produce what waited for it.
  // Records that arrive meanwhile queue behind, so Kafka gets them in the order sent.
  void on_metadata(const metadata_snapshot& md, const links& l) {
    std::unique_lock lock(mutex_);
    md_ = md;
    links_ = l;
    draining_ = true;
    while (!waiting_.empty()) {
      auto waiting = std::move(waiting_);
      waiting_.clear();
      lock.unlock();
      for (auto& [slot, record] : waiting) dispatch(slot, std::move(record));
      lock.lock();
    }
    draining_ = false;
  }

  // The cluster check failed: nothing is produced, the request is answered with it.
  void on_cluster_error(http::response res) {
    {
      std::lock_guard lock(mutex_);
      failed_ = true;
      waiting_.clear();
    }
    out_->respond(std::move(res));
  }

 private:
  void on_data(std::string_view piece) {
    while (!piece.empty()) {
      {
        std::lock_guard lock(mutex_);
        if (input_closed_ || failed_) return;
      }
      if (!value_started_) {
        auto start = piece.find_first_not_of(" \t\r\n");
        if (start == std::string_view::npos) return;
        piece.remove_prefix(start);
        value_started_ = true;
      }
      boost::system::error_code ec;
      auto used = parser_.write_some(piece.data(), piece.size(), ec);
      value_bytes_ += used;
      piece.remove_prefix(used);
      if (ec) {
        return close_input(
            failure({error_codes::bad_request,
                     fmt::format("Malformed JSON in the request body: {}", ec.message())}));
      }
      if (value_bytes_ > ctx_->produce.max_record_bytes) {
        return close_input(failure({413, fmt::format("A record exceeds the limit of {} bytes",
                                                     ctx_->produce.max_record_bytes)}));
      }
      if (parser_.done()) {
        auto value = parser_.release();
        parser_.reset();
        value_started_ = false;
        value_bytes_ = 0;
        on_record(value);
      }
    }
  }

  void on_end() {
    if (value_started_) {
      return close_input(failure(
          {error_codes::bad_request, "Malformed JSON in the request body: incomplete JSON"}));
    }
    std::unique_lock lock(mutex_);
    input_closed_ = true;
    finish_if_done(lock);
  }

  void on_abort() {
    std::lock_guard lock(mutex_);
    input_closed_ = true;
    failed_ = true;  // nobody is listening; deliveries still complete and are dropped
    waiting_.clear();
  }

  // Answers the records so far, then this error; reads nothing more.
  void close_input(record_outcome error) {
    std::unique_lock lock(mutex_);
    if (input_closed_) return;
    input_closed_ = true;
    auto slot = open_slot();
    resolve_locked(slot, std::move(error), lock);
  }

  void on_record(const bj::value& value) {
    auto parsed = parse_v3_record(value, topic_);
    std::unique_lock lock(mutex_);
    auto slot = open_slot();
    if (!parsed.ok()) return resolve_locked(slot, failure(parsed.err()), lock);
    auto record = std::make_shared<pending_record>(std::move(*parsed));
    held_bytes_ += record->bytes;
    if (held_bytes_ > ctx_->produce.stream_max_in_flight_bytes && !paused_) {
      paused_ = true;
      out_->pause_reading();
    }
    if (!md_ || draining_) {
      waiting_.emplace_back(slot, std::move(record));
      return;
    }
    lock.unlock();
    dispatch(slot, std::move(record));
  }

  void dispatch(std::uint64_t slot, std::shared_ptr<pending_record> record) {
    metadata_snapshot md;
    links l;
    {
      std::lock_guard lock(mutex_);
      md = md_;
      l = links_;
    }
    auto bytes = record->bytes;
    auto self = shared_from_this();
    produce_one(ctx_, md, l, topic_, std::move(record), [self, slot, bytes](record_outcome o) {
      std::unique_lock lock(self->mutex_);
      self->held_bytes_ -= std::min(self->held_bytes_, bytes);
      if (self->paused_ &&
          self->held_bytes_ <= self->ctx_->produce.stream_max_in_flight_bytes / 2) {
        self->paused_ = false;
        self->out_->resume_reading();
      }
      self->resolve_locked(slot, std::move(o), lock);
    });
  }

  std::uint64_t open_slot() {
    outcomes_.emplace_back();
    return first_slot_ + outcomes_.size() - 1;
  }

  void resolve_locked(std::uint64_t slot, record_outcome outcome,
                      std::unique_lock<std::mutex>& lock) {
    outcomes_[slot - first_slot_] = std::move(outcome);
    if (streamed_) {
      // Reports leave in the order the records came, as soon as the oldest is known.
      std::string text;
      while (!outcomes_.empty() && outcomes_.front()) {
        if (!begun_) {
          out_->begin(200, {{"Content-Type", "application/json"}});
          begun_ = true;
        }
        text += bj::serialize(outcomes_.front()->body);
        text += '\n';
        outcomes_.pop_front();
        ++first_slot_;
      }
      if (!text.empty() && !failed_) out_->write(std::move(text));
    }
    finish_if_done(lock);
  }

  void finish_if_done(std::unique_lock<std::mutex>&) {
    if (!input_closed_ || failed_ || finished_) return;
    for (const auto& o : outcomes_) {
      if (!o) return;
    }
    finished_ = true;
    if (streamed_) {
      if (!begun_) out_->begin(200, {{"Content-Type", "application/json"}});
      out_->end();
      return;
    }
    if (outcomes_.empty()) {
      out_->respond(
          error_response(error_codes::bad_request, "Request body is empty. Data is required."));
    } else if (outcomes_.size() == 1) {
      auto& only = *outcomes_.front();
      out_->respond(v3_response(http_status_of(only.error_code), only.body));
    } else {
      std::string text;
      for (const auto& o : outcomes_) {
        text += bj::serialize(o->body);
        text += '\n';
      }
      out_->respond(http::response::json(200, std::move(text)));
    }
  }

  context_ptr ctx_;
  std::string topic_;
  bool streamed_;
  std::shared_ptr<http::body_stream> out_;

  // Touched only by on_data/on_end, which the server calls one at a time.
  bj::stream_parser parser_;
  bool value_started_ = false;
  std::uint64_t value_bytes_ = 0;

  std::mutex mutex_;
  metadata_snapshot md_;
  links links_;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<pending_record>>> waiting_;
  std::deque<std::optional<record_outcome>> outcomes_;  // from first_slot_ on
  std::uint64_t first_slot_ = 0;
  std::uint64_t held_bytes_ = 0;
  bool draining_ = false;  // on_metadata is producing what waited
  bool paused_ = false;
  bool begun_ = false;
  bool input_closed_ = false;
  bool failed_ = false;
  bool finished_ = false;
};

http::body_consumer produce_records(const context_ptr& ctx, http::request&& req,
                                    std::shared_ptr<http::body_stream> out) {
  if (auto ok = check_v3_json_body(req.header("Content-Type")); !ok.ok()) {
    out->respond(error_response(ok.err()));
    return {};
  }
  bool streamed = is_chunked(req);
  if (!streamed) {
    // A whole request is bounded like any other.
    auto length = req.header("Content-Length");
    std::uint64_t declared = 0;
    if (length) std::from_chars(length->data(), length->data() + length->size(), declared);
    if (declared > ctx->produce.max_record_bytes) {
      out->respond(error_response(413, fmt::format("request body exceeds the limit of {} bytes",
                                                   ctx->produce.max_record_bytes)));
      return {};
    }
  }
  auto topic = req.param("topic_name");
  auto stream = std::make_shared<produce_stream>(ctx, topic, streamed, out);
  std::weak_ptr<produce_stream> weak = stream;
  with_cluster(
      ctx, req,
      [weak](http::response res) {
        if (auto s = weak.lock()) s->on_cluster_error(std::move(res));
      },
      topic,
      [weak](const metadata_snapshot& md, const links& l, http::responder) {
        if (auto s = weak.lock()) s->on_metadata(md, l);
      });
  return stream->consumer();
}

// --- records:batch ----------------------------------------------------------------

struct batch_entry {
  std::string id;
  std::shared_ptr<pending_record> record;  // null when the entry itself was invalid
  std::optional<record_outcome> outcome;
};

// The outcomes of a batch, answered as one 207 once the last entry is known.
struct batch_state {
  std::mutex mutex;
  std::vector<batch_entry> entries;
  std::size_t outstanding = 0;
  http::responder respond;

  void settle(std::size_t index, record_outcome outcome) {
    std::lock_guard lock(mutex);
    entries[index].outcome = std::move(outcome);
    if (--outstanding == 0) answer();
  }

  void answer() {
    bj::array successes;
    bj::array failures;
    for (auto& e : entries) {
      auto& body = e.outcome->body;
      if (e.outcome->error_code == 200) {
        bj::object success{{"id", e.id}};
        for (auto& [k, v] : body) {
          if (k != "error_code") success[k] = v;
        }
        successes.push_back(std::move(success));
      } else {
        failures.push_back(bj::object{
            {"id", e.id}, {"error_code", e.outcome->error_code}, {"message", body["message"]}});
      }
    }
    respond(v3_response(
        207, bj::object{{"successes", std::move(successes)}, {"failures", std::move(failures)}}));
  }
};

void produce_batch(const context_ptr& ctx, http::request&& req, http::responder respond) {
  if (auto ok = check_v3_json_body(req.header("Content-Type")); !ok.ok()) {
    return respond(error_response(ok.err()));
  }
  auto body = json::parse_body(req.body);
  if (!body.ok()) return respond(error_response(body.err()));
  auto bad = [&respond](std::string message) {
    respond(error_response(error_codes::bad_request, std::move(message)));
  };
  const auto* entries = json::field(*body, "entries");
  if (!entries || !entries->is_array()) {
    return bad("The request body must be {\"entries\": [...]}.");
  }
  const auto& list = entries->get_array();
  if (list.empty()) return bad("A batch must have at least one entry.");
  if (list.size() > ctx->produce.batch_max_entries) {
    return bad(fmt::format("A batch may have at most {} entries.", ctx->produce.batch_max_entries));
  }
  auto topic = req.param("topic_name");
  auto state = std::make_shared<batch_state>();
  std::unordered_set<std::string> ids;
  for (const auto& entry : list) {
    const auto* id = json::field(entry, "id");
    if (!id || !id->is_string() || id->get_string().empty() || id->get_string().size() > 80) {
      return bad("Every entry needs an id: a string of 1 to 80 characters.");
    }
    std::string id_text(id->get_string());
    if (!ids.insert(id_text).second) return bad("The entries' ids must be distinct.");
    batch_entry e;
    e.id = std::move(id_text);
    auto parsed = parse_v3_record(entry, topic);
    if (parsed.ok()) {
      e.record = std::make_shared<pending_record>(std::move(*parsed));
    } else {
      e.outcome = failure(parsed.err());
    }
    state->entries.push_back(std::move(e));
  }
  state->respond = std::move(respond);
  with_cluster(
      ctx, req, [state](http::response res) { state->respond(std::move(res)); }, topic,
      [ctx, state, topic](const metadata_snapshot& md, const links& l, http::responder) {
        std::vector<std::size_t> to_produce;
        {
          std::lock_guard lock(state->mutex);
          for (std::size_t i = 0; i < state->entries.size(); ++i) {
            if (state->entries[i].record) to_produce.push_back(i);
          }
          state->outstanding = to_produce.size();
          if (to_produce.empty()) return state->answer();
        }
        for (auto i : to_produce) {
          produce_one(ctx, md, l, topic, state->entries[i].record,
                      [state, i](record_outcome o) { state->settle(i, std::move(o)); });
        }
      });
}

}  // namespace

void add_v3_produce_routes(http::router& routes, const std::shared_ptr<proxy_context>& ctx) {
  const std::string topic = "/v3/clusters/{cluster_id}/topics/{topic_name}";
  add_stream_route(routes, ctx, "POST", topic + "/records", "v3.produce",
                   [ctx](http::request&& req, std::shared_ptr<http::body_stream> out) {
                     return produce_records(ctx, std::move(req), std::move(out));
                   });
  add_route(routes, ctx, "POST", topic + "/records:batch", "v3.produce-batch",
            [ctx](http::request&& req, http::responder respond) {
              produce_batch(ctx, std::move(req), std::move(respond));
            });
}

}  // namespace wharf::rest_proxy

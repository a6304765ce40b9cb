// The loop behind one pipe (see pipe_runner.h).
#include "services/router/pipe_runner.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/logging.h"
#include "base/uuid.h"
#include "kafka/client/cluster.h"
#include "metrics/registry.h"
#include "pattern/pattern.h"
#include "services/router/delivery.h"

namespace wharf::router {

namespace bj = boost::json;
namespace kc = kafka::client;
using steady = std::chrono::steady_clock;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A template's output as an item: JSON when it is JSON text, a string otherwise.
bj::value as_item(const std::string& text) {
  boost::system::error_code ec;
  auto v = bj::parse(text, ec);
  if (ec) return bj::string(text);
  return v;
}

class pipe_runner_impl final : public pipe_runner {
 public:
  pipe_runner_impl(pipe_runner_settings settings, kc::cluster& kafka, metrics::registry* registry,
                   std::vector<pattern::pattern> filters)
      : settings_(std::move(settings)),
        kafka_(kafka),
        filters_(std::move(filters)),
        log_(logging::get("router")) {
    static metrics::registry fallback;  // metrics off: count somewhere nobody reads
    auto& r = registry ? *registry : fallback;
    metrics::label_values pipe{settings_.pipe_name};
    auto count = [&](const char* name, const char* help) {
      return &r.counter_family(name, help, {"pipe"}).with(pipe);
    };
    records_in_ = count("wharf_router_pipe_records_total", "Records the pipe read from its source");
    filtered_ = count("wharf_router_pipe_filtered_records_total",
                      "Records no filter of the pipe matched (not passed on)");
    enrichment_calls_ = count("wharf_router_pipe_enrichment_invocations_total",
                              "Enrichment calls attempted, retries included");
    enrichment_failures_ = count("wharf_router_pipe_enrichment_failures_total",
                                 "Enrichment calls that failed (retried or final)");
    deliveries_ = count("wharf_router_pipe_target_deliveries_total",
                        "Items (or batches, for function targets) the target received");
    target_failures_ = count("wharf_router_pipe_target_failures_total",
                             "Target deliveries that failed (retried or final)");
    dropped_ = count("wharf_router_pipe_dropped_items_total",
                     "Items dropped after a failure that is not retried (a 4xx answer)");
  }

  ~pipe_runner_impl() override { stop(); }

  status begin() {
    const auto& target = settings_.plan.target;
    std::string topic;
    if (target.kind == target_kind::kafka_topic) topic = target.name;
    if (target.kind == target_kind::event_bus) topic = settings_.bus_topic_prefix + target.name;
    if (!topic.empty()) {
      kc::new_topic nt;
      nt.name = topic;
      auto created = kafka_.admin_client().create_topic(nt, false);
      if (!created.ok() && created.err().code() != kc::codes::topic_already_exists) {
        log_->warn("pipe {}: cannot create the topic {}: {}", settings_.pipe_name, topic,
                   created.err().message());
      }
    }
    kc::consumer_options o;
    o.group_id = settings_.group_id;
    o.client_id = "wharf-pipes";
    o.auto_offset_reset = settings_.plan.source.from_earliest ? "earliest" : "latest";
    o.auto_commit = false;
    // Enrichment, deliveries and retries happen between polls: let them take long.
    o.properties["max.poll.interval.ms"] = "86400000";
    auto made = kafka_.new_consumer(o);
    if (!made.ok()) return made.err().to_error();
    consumer_ = std::move(*made);
    if (auto s = consumer_->subscribe({settings_.plan.source.topic}); !s.ok()) {
      return s.err().to_error();
    }
    thread_ = std::thread([this] { run(); });
    return {};
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    if (consumer_) (void)consumer_->close();
  }

  std::string state_reason() const override {
    std::lock_guard lock(mutex_);
    return reason_;
  }

 private:
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [this] { return stopping_; });
  }

  void set_reason(std::string text) {
    std::lock_guard lock(mutex_);
    reason_ = std::move(text);
  }

  // Up to BatchSize records: what is there now, or (with a batching window) what arrives
  // within the window after the first record.
  std::vector<kc::consumed_record> collect() {
    std::vector<kc::consumed_record> batch;
    const auto& source = settings_.plan.source;
    auto window = std::chrono::seconds(source.batching_window_seconds);
    steady::time_point until{};
    while (static_cast<int>(batch.size()) < source.batch_size && !stopping()) {
      auto wait = std::chrono::milliseconds(batch.empty() ? 200 : 0);
      if (!batch.empty() && window.count() > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now());
        if (left.count() <= 0) break;
        wait = std::min(left, std::chrono::milliseconds(100));
      }
      auto polled = consumer_->poll(wait);
      if (!polled.ok()) {
        log_->debug("pipe {}: poll: {}", settings_.pipe_name, polled.err().message());
        if (batch.empty()) sleep_for(std::chrono::milliseconds(200));
        break;
      }
      if (!*polled) {
        if (batch.empty() || window.count() == 0) break;
        continue;
      }
      if (batch.empty()) until = steady::now() + window;
      batch.push_back(std::move(**polled));
    }
    return batch;
  }

  void run() {
    while (!stopping()) {
      auto batch = collect();
      if (batch.empty()) continue;
      if (!process(batch)) break;  // stopped mid-batch: leave it uncommitted
      std::map<kc::topic_partition, std::int64_t> next;
      for (const auto& r : batch) next[{r.topic, r.partition}] = r.offset + 1;
      std::vector<kc::partition_offset> offsets;
      for (const auto& [tp, offset] : next) offsets.push_back({tp.topic, tp.partition, offset, {}});
      if (auto s = consumer_->commit(offsets); !s.ok()) {
        log_->warn("pipe {}: commit failed: {}", settings_.pipe_name, s.err().message());
      }
    }
  }

  pipe_context context_for(std::int64_t ingestion_ms) const {
    return {settings_.pipe_name,
            settings_.pipe_arn,
            settings_.plan.source.arn,
            settings_.plan.enrichment ? settings_.plan.enrichment->arn : std::string(),
            settings_.plan.target.arn,
            iso8601_seconds(ingestion_ms)};
  }

  std::string input_for(const pipe_endpoint& e, const bj::value& item,
                        std::int64_t ingestion_ms) const {
    if (!e.input_template) return bj::serialize(item);
    return apply_pipe_template(*e.input_template, item, context_for(ingestion_ms));
  }

  // false when stopped before the batch was done.
  bool process(const std::vector<kc::consumed_record>& batch) {
    if (!settings_.active->load()) return false;
    records_in_->inc(static_cast<double>(batch.size()));
    std::int64_t ingestion_ms = now_ms();
    bj::array items;
    for (const auto& r : batch) {
      record_view view{r.topic, r.partition, r.offset, r.timestamp_ms, r.key, r.value};
      for (const auto& h : r.headers) view.headers.emplace_back(h.name, h.value);
      view.log_append_time = r.log_append_time;
      auto payload = kafka_record_payload(settings_.plan.source, view);
      if (!filters_.empty()) {
        auto seen = filter_view(payload);
        bool kept = false;
        for (const auto& f : filters_) {
          if (pattern::matches(f, seen)) {
            kept = true;
            break;
          }
        }
        if (!kept) {
          filtered_->inc();
          continue;
        }
      }
      items.push_back(std::move(payload));
    }
    if (items.empty()) return true;
    if (const auto& enrichment = settings_.plan.enrichment) {
      bj::array input;
      for (const auto& item : items) {
        input.push_back(enrichment->input_template
                            ? as_item(input_for(*enrichment, item, ingestion_ms))
                            : item);
      }
      auto enriched = enrich(*enrichment, bj::serialize(input));
      if (!enriched) return false;
      items = std::move(*enriched);
      if (items.empty()) return true;
    }
    return deliver_all(items, ingestion_ms);
  }

  // Calls the enrichment until it answers (or fails for good: the batch is dropped);
  // nullopt when stopped.
  std::optional<bj::array> enrich(const pipe_endpoint& e, const std::string& input) {
    int attempt = 0;
    while (true) {
      if (!settings_.active->load()) return std::nullopt;
      enrichment_calls_->inc();
      delivery_outcome outcome;
      if (e.kind == target_kind::function) {
        if (!settings_.call_function) {
          outcome = {false, false, "RESOURCE_NOT_FOUND", "functions are not available"};
        } else if (auto out = settings_.call_function(e.name, input); out.ok()) {
          outcome.body = std::move(*out);
        } else {
          outcome = {false, true, "FUNCTION_ERROR", out.err().message()};
        }
      } else {
        http_delivery call{e.name, e.header_parameters, e.query_parameters, input};
        call.user_agent = "Amazon/EventBridge/Pipes";
        outcome = call_http(settings_.destinations, call,
                            [this](const api_destination& d) { throttle(d); });
      }
      if (outcome.ok) {
        set_reason({});
        return items_of(outcome.body);
      }
      enrichment_failures_->inc();
      if (!outcome.retryable) {
        set_reason(fmt::format("The enrichment failed: {}: {}", outcome.code, outcome.message));
        log_->warn("pipe {}: the enrichment failed for good ({}): {}; the batch is dropped",
                   settings_.pipe_name, outcome.code, outcome.message);
        return bj::array{};
      }
      set_reason(fmt::format("The enrichment is failing (retrying): {}: {}", outcome.code,
                             outcome.message));
      auto delay = retry_delay(attempt++, settings_.retry_backoff, settings_.retry_backoff_max);
      log_->debug("pipe {}: enrichment {} ({}); retry {} in {} ms", settings_.pipe_name,
                  outcome.message, outcome.code, attempt, delay.count());
      if (!sleep_for(delay)) return std::nullopt;
    }
  }

  // An enrichment's answer as items: an array's members, one object, or nothing.
  static bj::array items_of(const std::string& body) {
    auto first = body.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    boost::system::error_code ec;
    bj::parse_options limits;
    limits.max_depth = 64;
    auto v = bj::parse(body, ec, {}, limits);
    if (ec) return bj::array{bj::string(body)};
    if (v.is_array()) return std::move(v.get_array());
    if (v.is_null()) return {};
    return bj::array{std::move(v)};
  }

  bool deliver_all(const bj::array& items, std::int64_t ingestion_ms) {
    const auto& t = settings_.plan.target;
    if (t.kind == target_kind::function) {
      // Functions get the batch, as Lambda targets of Pipes do.
      bj::array input;
      for (const auto& item : items) {
        input.push_back(t.input_template ? as_item(input_for(t, item, ingestion_ms)) : item);
      }
      return deliver_with_retries([&] {
        if (!settings_.call_function) {
          return delivery_outcome{false, false, "RESOURCE_NOT_FOUND",
                                  "functions are not available"};
        }
        auto out = settings_.call_function(t.name, bj::serialize(input));
        if (out.ok()) return delivery_outcome{};
        return delivery_outcome{false, true, "FUNCTION_ERROR", out.err().message()};
      });
    }
    std::vector<std::string> inputs;
    inputs.reserve(items.size());
    for (const auto& item : items) inputs.push_back(input_for(t, item, ingestion_ms));
    if (t.kind == target_kind::kafka_topic || t.kind == target_kind::event_bus) {
      // Every write queued, then awaited together (one at a time would wait out the
      // producer's linger and a round trip per item); a refused one is tried again alone,
      // since Kafka refuses a produced batch as a whole.
      std::vector<std::future<delivery_outcome>> writes;
      writes.reserve(items.size());
      for (std::size_t i = 0; i < items.size(); ++i) {
        writes.push_back(produce_async(kafka_, kafka_record(t, items[i], inputs[i])));
      }
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (writes[i].get().ok) {
          deliveries_->inc();
        } else if (!deliver_with_retries([&] { return deliver_one(t, items[i], inputs[i]); })) {
          return false;
        }
      }
      return true;
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      bool done = deliver_with_retries([&] { return deliver_one(t, items[i], inputs[i]); });
      if (!done) return false;
    }
    return true;
  }

  // The record a Kafka topic or bus target gets for one item.
  kc::outgoing_record kafka_record(const pipe_endpoint& t, const bj::value& item,
                                   const std::string& input) {
    kc::outgoing_record r;
    if (t.kind == target_kind::kafka_topic) {
      r.topic = t.name;
      r.key = record_key_of(item);
      r.value = input;
      return r;
    }
    auto id = random_uuid();
    auto envelope = make_envelope(
        id, t.bus_source.empty() ? "Pipe " + settings_.pipe_name : t.bus_source,
        t.bus_detail_type.empty() ? "Event from aws:kafka" : t.bus_detail_type, as_item(input),
        {settings_.pipe_arn}, iso8601_seconds(now_ms()), settings_.account, settings_.region);
    r.topic = settings_.bus_topic_prefix + t.name;
    r.key = id;
    r.value = bj::serialize(envelope);
    return r;
  }

  delivery_outcome deliver_one(const pipe_endpoint& t, const bj::value& item,
                               const std::string& input) {
    switch (t.kind) {
      case target_kind::kafka_topic:
      case target_kind::event_bus: return produce_and_wait(kafka_, kafka_record(t, item, input));
      case target_kind::http: {
        http_delivery call{t.name, t.header_parameters, t.query_parameters, input};
        call.user_agent = "Amazon/EventBridge/Pipes";
        return call_http(settings_.destinations, call,
                         [this](const api_destination& d) { throttle(d); });
      }
      case target_kind::function: break;  // batches: see deliver_all
    }
    return {false, false, "INTERNAL", "unknown target kind"};
  }

  // Spaces calls to an API destination at its invocation rate (within this pipe).
  void throttle(const api_destination& d) {
    if (d.invocation_rate_per_second <= 0) return;
    auto interval = std::chrono::duration_cast<steady::duration>(
        std::chrono::duration<double>(1.0 / d.invocation_rate_per_second));
    auto& next = next_call_[d.name];
    auto now = steady::now();
    if (next > now) {
      sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(next - now));
      now = steady::now();
    }
    next = std::max(next, now) + interval;
  }

  // Retries a retryable failure with backoff until it succeeds; a final failure drops
  // the item. false when stopped first.
  template <typename Attempt>
  bool deliver_with_retries(Attempt attempt_once) {
    int attempt = 0;
    while (true) {
      if (!settings_.active->load()) return false;
      auto outcome = attempt_once();
      if (outcome.ok) {
        deliveries_->inc();
        if (attempt > 0) set_reason({});
        return true;
      }
      target_failures_->inc();
      if (!outcome.retryable) {
        dropped_->inc();
        set_reason(
            fmt::format("The target refused an item: {}: {}", outcome.code, outcome.message));
        log_->warn("pipe {}: the target refused an item ({}): {}; dropped", settings_.pipe_name,
                   outcome.code, outcome.message);
        return true;
      }
      set_reason(
          fmt::format("The target is failing (retrying): {}: {}", outcome.code, outcome.message));
      auto delay = retry_delay(attempt++, settings_.retry_backoff, settings_.retry_backoff_max);
      log_->debug("pipe {}: target {} ({}); retry {} in {} ms", settings_.pipe_name,
                  outcome.message, outcome.code, attempt, delay.count());
      if (!sleep_for(delay)) return false;
    }
  }

  pipe_runner_settings settings_;
  kc::cluster& kafka_;
  std::vector<pattern::pattern> filters_;
  std::shared_ptr<spdlog::logger> log_;
  metrics::counter* records_in_ = nullptr;
  metrics::counter* filtered_ = nullptr;
  metrics::counter* enrichment_calls_ = nullptr;
  metrics::counter* enrichment_failures_ = nullptr;
  metrics::counter* deliveries_ = nullptr;
  metrics::counter* target_failures_ = nullptr;
  metrics::counter* dropped_ = nullptr;

  std::map<std::string, steady::time_point> next_call_;

  std::unique_ptr<kc::consumer> consumer_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string reason_;
};

}  // namespace

result<std::unique_ptr<pipe_runner>> pipe_runner::start(pipe_runner_settings settings,
                                                        kc::cluster& kafka,
                                                        metrics::registry* metrics) {
  std::vector<pattern::pattern> filters;
  for (const auto& text : settings.plan.source.filters) {
    auto compiled = pattern::pattern::compile(text);
    if (!compiled.ok()) return make_error(errc::invalid_argument, "{}", compiled.err().message());
    filters.push_back(std::move(*compiled));
  }
  auto runner =
      std::make_unique<pipe_runner_impl>(std::move(settings), kafka, metrics, std::move(filters));
  WHARF_RETURN_IF_ERROR(runner->begin());
  return std::unique_ptr<pipe_runner>(std::move(runner));
}

}  // namespace wharf::router

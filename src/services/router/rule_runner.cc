// The loop behind one rule (see rule_runner.h).
#include "services/router/rule_runner.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/logging.h"
#include "kafka/client/cluster.h"
#include "metrics/registry.h"
#include "pattern/pattern.h"
#include "services/router/delivery.h"

namespace wharf::router {

namespace bj = boost::json;
namespace kc = kafka::client;
using steady = std::chrono::steady_clock;

namespace {

struct target_metrics {
  metrics::counter* invocations = nullptr;
  metrics::counter* failed = nullptr;
  metrics::counter* retries = nullptr;
  metrics::counter* dead_lettered = nullptr;
  metrics::counter* dropped = nullptr;
  metrics::histogram* latency = nullptr;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Records taken from one poll before their Kafka writes are awaited together: one record
// at a time would wait out the producer's linger and a round trip per event.
constexpr std::size_t max_records_per_batch = 500;

class runner_impl final : public rule_runner {
 public:
  runner_impl(runner_settings settings, kc::cluster& kafka, metrics::registry* registry,
              pattern::pattern compiled)
      : settings_(std::move(settings)),
        kafka_(kafka),
        pattern_(std::move(compiled)),
        log_(logging::get("router")) {
    static metrics::registry fallback;  // metrics off: count somewhere nobody reads
    auto& r = registry ? *registry : fallback;
    std::string rule_label = settings_.rule.bus + "/" + settings_.rule.name;
    matched_ = &r.counter_family("wharf_router_matched_events_total",
                                 "Events that matched the rule's pattern", {"rule"})
                    .with({rule_label});
    std::vector<std::string> labels{"rule", "target"};
    for (const auto& t : settings_.targets) {
      metrics::label_values values{rule_label, t.id};
      target_metrics m;
      auto count = [&](const char* name, const char* help) {
        return &r.counter_family(name, help, labels).with(values);
      };
      m.invocations = count("wharf_router_invocations_total",
                            "Deliveries attempted to the target, retries included");
      m.failed = count("wharf_router_failed_invocations_total",
                       "Events the target never received (dead-lettered or dropped)");
      m.retries = count("wharf_router_retries_total", "Delivery attempts after a failed one");
      m.dead_lettered = count("wharf_router_dead_lettered_events_total",
                              "Events written to the target's dead-letter topic");
      m.dropped = count("wharf_router_dropped_events_total",
                        "Failed events with no dead-letter topic (or whose write to it failed)");
      m.latency = &r.histogram_family("wharf_router_delivery_latency_seconds",
                                      "From the event's ingestion to its delivery", labels)
                       .with(values);
      metrics_.push_back(m);
    }
  }

  ~runner_impl() override { stop(); }

  status begin() {
    // Topics a rule writes to exist before it runs: a producer would otherwise wait for
    // metadata of an unknown topic until its delivery timeout.
    std::set<std::string> topics;
    for (const auto& t : settings_.targets) {
      if (t.kind == target_kind::kafka_topic) topics.insert(t.name);
      if (t.kind == target_kind::event_bus) topics.insert(settings_.bus_topic_prefix + t.name);
      if (!t.dead_letter_topic.empty()) topics.insert(t.dead_letter_topic);
    }
    for (const auto& topic : topics) {
      kc::new_topic nt;
      nt.name = topic;
      auto created = kafka_.admin_client().create_topic(nt, false);
      if (!created.ok() && created.err().code() != kc::codes::topic_already_exists) {
        log_->warn("rule {}: cannot create the topic {}: {}", settings_.rule.name, topic,
                   created.err().message());
      }
    }
    kc::consumer_options o;
    o.group_id = settings_.group_id;
    o.client_id = "wharf-router";
    o.auto_offset_reset = "earliest";
    o.auto_commit = false;
    // Deliveries and retries happen between polls: let them take long.
    o.properties["max.poll.interval.ms"] = "86400000";
    auto made = kafka_.new_consumer(o);
    if (!made.ok()) return made.err().to_error();
    consumer_ = std::move(*made);
    if (auto s = consumer_->subscribe({settings_.topic}); !s.ok()) return s.err().to_error();
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

 private:
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  // Sleeps up to d; false when stopping.
  bool sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [this] { return stopping_; });
  }

  void run() {
    std::map<kc::topic_partition, std::int64_t> pending_commits;
    auto last_commit = steady::now();
    auto commit = [&] {
      if (pending_commits.empty()) return;
      std::vector<kc::partition_offset> offsets;
      for (const auto& [tp, next] : pending_commits) {
        offsets.push_back({tp.topic, tp.partition, next, {}});
      }
      if (auto s = consumer_->commit(offsets); !s.ok()) {
        log_->warn("rule {}: commit failed: {}", settings_.rule.name, s.err().message());
        return;
      }
      pending_commits.clear();
      last_commit = steady::now();
    };
    std::vector<kc::consumed_record> batch;
    while (!stopping()) {
      auto polled = consumer_->poll(std::chrono::milliseconds(200));
      if (!polled.ok()) {
        log_->debug("rule {}: poll: {}", settings_.rule.name, polled.err().message());
        if (!sleep_for(std::chrono::milliseconds(200))) break;
        continue;
      }
      if (!*polled) {
        commit();
        continue;
      }
      batch.clear();
      batch.push_back(std::move(**polled));
      while (batch.size() < max_records_per_batch) {
        auto more = consumer_->poll(std::chrono::milliseconds(0));
        if (!more.ok() || !*more) break;
        batch.push_back(std::move(**more));
      }
      if (!handle(batch)) break;  // stopped in the middle of a delivery: leave it uncommitted
      for (const auto& record : batch) {
        pending_commits[{record.topic, record.partition}] = record.offset + 1;
      }
      if (steady::now() - last_commit > std::chrono::seconds(1)) commit();
    }
    commit();
  }

  // The event a record holds (or wraps), nullopt when it is to be skipped.
  std::optional<bj::value> event_of(const kc::consumed_record& record) {
    if (record.timestamp_ms >= 0 && record.timestamp_ms < settings_.start_ms) return std::nullopt;
    if (settings_.plain_topic) {
      record_view view{record.topic,        record.partition, record.offset,
                       record.timestamp_ms, record.key,       record.value};
      return event_from_record(view, settings_.account, settings_.region);
    }
    if (!record.value) return std::nullopt;
    boost::system::error_code ec;
    auto event = bj::parse(*record.value, ec);
    if (ec || !event.is_object()) {
      log_->warn("rule {}: skipped a record of {} that is not an event (offset {})",
                 settings_.rule.name, record.topic, record.offset);
      return std::nullopt;
    }
    return event;
  }

  // A Kafka write (topic or bus target) queued for one matched event of a batch.
  struct queued_write {
    std::size_t target;
    std::size_t event;  // index into the batch's matched events
    std::string input;
    std::int64_t ingestion_ms;
    std::future<delivery_outcome> outcome;
  };

  // Matches and delivers one poll's records: HTTP and function targets one event at a
  // time, Kafka writes queued and awaited together at the end (the producer is idempotent,
  // so they keep their order), failed ones then tried again one by one. False when stopped
  // before every event was delivered or dead-lettered.
  bool handle(const std::vector<kc::consumed_record>& batch) {
    if (!settings_.active->load()) return false;
    std::vector<bj::value> events;
    std::vector<queued_write> writes;
    for (const auto& record : batch) {
      auto event = event_of(record);
      if (!event || !pattern::matches(pattern_, *event)) continue;
      matched_->inc();
      std::int64_t ingestion_ms = record.timestamp_ms >= 0 ? record.timestamp_ms : now_ms();
      events.push_back(std::move(*event));
      const auto& e = events.back();
      for (std::size_t i = 0; i < settings_.targets.size(); ++i) {
        const auto& t = settings_.targets[i];
        auto input = input_for(t, e, ingestion_ms);
        if (auto write = kafka_write(t, e, input)) {
          metrics_[i].invocations->inc();
          writes.push_back({i, events.size() - 1, std::move(input), ingestion_ms,
                            produce_async(kafka_, std::move(*write))});
        } else if (!deliver_with_retries(t, metrics_[i], e, input, ingestion_ms)) {
          return false;
        }
      }
    }
    for (auto& w : writes) {
      auto outcome = w.outcome.get();
      const auto& t = settings_.targets[w.target];
      if (outcome.ok) {
        metrics_[w.target].latency->observe(static_cast<double>(now_ms() - w.ingestion_ms) /
                                            1000.0);
      } else if (!deliver_with_retries(t, metrics_[w.target], events[w.event], w.input,
                                       w.ingestion_ms)) {
        // Kafka refuses a produced batch as a whole (one record over max.message.bytes
        // fails its neighbours too), so a failed write starts over on its own.
        return false;
      }
    }
    return true;
  }

  std::string input_for(const target_spec& t, const bj::value& event, std::int64_t ingestion_ms) {
    if (t.input) return *t.input;
    if (t.input_path) {
      auto v = t.input_path->evaluate(event);
      return v ? bj::serialize(*v) : "null";
    }
    if (t.transformer) {
      invocation_context ctx{settings_.rule.name, settings_.rule_arn,
                             iso8601_seconds(ingestion_ms)};
      return t.transformer->apply(event, ctx);
    }
    return bj::serialize(event);
  }

  // false when stopped before the event was delivered or dead-lettered.
  bool deliver_with_retries(const target_spec& t, target_metrics& m, const bj::value& event,
                            const std::string& input, std::int64_t ingestion_ms) {
    std::string event_id;
    if (auto* id = event.get_object().if_contains("id"); id && id->is_string()) {
      event_id = std::string(id->get_string());
    }
    int attempt = 0;
    while (true) {
      m.invocations->inc();
      auto outcome = deliver(t, event, input);
      if (outcome.ok) {
        m.latency->observe(static_cast<double>(now_ms() - ingestion_ms) / 1000.0);
        return true;
      }
      std::string exhausted;
      if (!outcome.retryable) {
        exhausted = "";
      } else if (attempt >= t.maximum_retry_attempts) {
        exhausted = "MaximumRetryAttempts";
      } else if (now_ms() - ingestion_ms >= t.maximum_event_age.count() * 1000) {
        exhausted = "MaximumEventAgeInSeconds";
      } else {
        auto delay = retry_delay(attempt, settings_.retry_backoff, settings_.retry_backoff_max);
        log_->debug("rule {} target {}: {} ({}); retry {} in {} ms", settings_.rule.name, t.id,
                    outcome.message, outcome.code, attempt + 1, delay.count());
        if (!sleep_for(delay)) return false;
        ++attempt;
        m.retries->inc();
        continue;
      }
      m.failed->inc();
      log_->warn("rule {} target {}: giving up after {} retries: {}: {}", settings_.rule.name, t.id,
                 attempt, outcome.code, outcome.message);
      dead_letter(t, m, event, event_id, outcome, exhausted, attempt);
      return true;
    }
  }

  void dead_letter(const target_spec& t, target_metrics& m, const bj::value& event,
                   const std::string& event_id, const delivery_outcome& outcome,
                   const std::string& exhausted, int attempts) {
    if (t.dead_letter_topic.empty()) {
      m.dropped->inc();
      return;
    }
    kc::outgoing_record r;
    r.topic = t.dead_letter_topic;
    if (!event_id.empty()) r.key = event_id;
    r.value = bj::serialize(event);
    r.headers = {{"RULE_ARN", settings_.rule_arn},
                 {"TARGET_ARN", t.arn},
                 {"ERROR_CODE", outcome.code},
                 {"ERROR_MESSAGE", outcome.message.substr(0, 1024)},
                 {"RETRY_ATTEMPTS", std::to_string(attempts)}};
    if (!exhausted.empty()) r.headers.push_back({"EXHAUSTED_RETRY_CONDITION", exhausted});
    auto written = produce_and_wait(kafka_, std::move(r));
    if (written.ok) {
      m.dead_lettered->inc();
    } else {
      m.dropped->inc();
      log_->error("rule {} target {}: cannot write to the dead-letter topic {}: {}",
                  settings_.rule.name, t.id, t.dead_letter_topic, written.message);
    }
  }

  // The record a Kafka topic or bus target gets for event; nullopt for other targets and
  // for a rule that would send events to its own bus.
  std::optional<kc::outgoing_record> kafka_write(const target_spec& t, const bj::value& event,
                                                 const std::string& input) {
    if (t.kind != target_kind::kafka_topic && t.kind != target_kind::event_bus) {
      return std::nullopt;
    }
    if (t.kind == target_kind::event_bus && t.name == settings_.rule.bus &&
        !settings_.plain_topic) {
      return std::nullopt;
    }
    kc::outgoing_record r;
    if (auto* id = event.get_object().if_contains("id"); id && id->is_string()) {
      r.key = std::string(id->get_string());
    }
    if (t.kind == target_kind::kafka_topic) {
      r.topic = t.name;
      r.value = input;
      r.headers = {{"RULE_ARN", settings_.rule_arn}};
    } else {
      r.topic = settings_.bus_topic_prefix + t.name;
      r.value = bj::serialize(event);  // forwarded as it is, as EventBridge does
    }
    return r;
  }

  delivery_outcome deliver(const target_spec& t, const bj::value& event, const std::string& input) {
    switch (t.kind) {
      case target_kind::kafka_topic:
      case target_kind::event_bus: {
        auto write = kafka_write(t, event, input);
        if (!write) {
          return {false, false, "INVALID_TARGET", "a rule cannot send events to its own bus"};
        }
        return produce_and_wait(kafka_, std::move(*write));
      }
      case target_kind::function: {
        if (!settings_.invoke_function) {
          return {false, false, "RESOURCE_NOT_FOUND", "functions are not available"};
        }
        auto failed = settings_.invoke_function(t.name, input);
        if (!failed) return {};
        return {false, true, "FUNCTION_ERROR", *failed};
      }
      case target_kind::http: return deliver_http(t, input);
    }
    return {false, false, "INTERNAL", "unknown target kind"};
  }

  delivery_outcome deliver_http(const target_spec& t, const std::string& input) {
    http_delivery call{t.name, t.header_parameters, t.query_parameters, input};
    return call_http(settings_.destinations, call,
                     [this](const api_destination& d) { throttle(d); });
  }

  // Spaces calls to an API destination at its invocation rate (within this rule).
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

  runner_settings settings_;
  kc::cluster& kafka_;
  pattern::pattern pattern_;
  std::shared_ptr<spdlog::logger> log_;
  metrics::counter* matched_ = nullptr;
  std::vector<target_metrics> metrics_;
  std::map<std::string, steady::time_point> next_call_;

  std::unique_ptr<kc::consumer> consumer_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace

result<std::unique_ptr<rule_runner>> rule_runner::start(runner_settings settings,
                                                        kc::cluster& kafka,
                                                        metrics::registry* metrics) {
  auto compiled = pattern::pattern::compile(settings.rule.event_pattern);
  if (!compiled.ok()) return make_error(errc::invalid_argument, "{}", compiled.err().message());
  auto runner =
      std::make_unique<runner_impl>(std::move(settings), kafka, metrics, std::move(*compiled));
  WHARF_RETURN_IF_ERROR(runner->begin());
  return std::unique_ptr<rule_runner>(std::move(runner));
}

}  // namespace wharf::router

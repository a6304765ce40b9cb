#include "services/triggers/mapping_runner.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/logging.h"
#include "base/uuid.h"
#include "kafka/client/cluster.h"
#include "kafka/client/consumer.h"
#include "kafka/client/producer.h"
#include "metrics/registry.h"

namespace wharf::triggers {

namespace kc = kafka::client;
namespace bj = boost::json;
using steady = std::chrono::steady_clock;

namespace {

// The per-mapping metrics, named after Lambda's CloudWatch metrics.
struct runner_metrics {
  metrics::counter* invocations = nullptr;
  metrics::counter* errors = nullptr;
  metrics::counter* throttles = nullptr;
  metrics::histogram* duration = nullptr;
  metrics::counter* polled = nullptr;
  metrics::counter* filtered_out = nullptr;
  metrics::counter* invoked_events = nullptr;
  metrics::counter* failed_invoke_events = nullptr;
  metrics::counter* dropped = nullptr;
  metrics::counter* to_destination = nullptr;
  metrics::counter* destination_errors = nullptr;
  metrics::counter* committed = nullptr;
  metrics::counter* commit_errors = nullptr;
  metrics::counter* polling_errors = nullptr;
  metrics::gauge* blocked_partitions = nullptr;

  runner_metrics(metrics::registry* registry, const std::string& uuid, const std::string& fn) {
    static metrics::registry fallback;  // metrics off: count somewhere nobody reads
    auto& r = registry ? *registry : fallback;
    std::vector<std::string> labels{"EventSourceMappingUUID", "FunctionName"};
    metrics::label_values values{uuid, fn};
    auto count = [&](const char* name, const char* help) {
      return &r.counter_family(name, help, labels).with(values);
    };
    invocations =
        count("wharf_trigger_invocations_total", "Invocations of the function (Invocations)");
    errors = count("wharf_trigger_errors_total",
                   "Invocations that failed: function errors and timeouts (Errors)");
    throttles = count("wharf_trigger_throttles_total",
                      "Invocations that waited for a free concurrency slot, the function's "
                      "concurrency being in use (Throttles)");
    duration = &r.histogram_family("wharf_trigger_duration_seconds",
                                   "Function run time per invocation (Duration)", labels)
                    .with(values);
    polled = count("wharf_trigger_polled_events_total", "Records read (PolledEventCount)");
    filtered_out = count("wharf_trigger_filtered_out_events_total",
                         "Records that matched no filter, committed without an invocation "
                         "(FilteredOutEventCount)");
    invoked_events = count("wharf_trigger_invoked_events_total",
                           "Records sent to the function, retries included (InvokedEventCount)");
    failed_invoke_events = count("wharf_trigger_failed_invoke_events_total",
                                 "Records in failed invocations (FailedInvokeEventCount)");
    dropped = count("wharf_trigger_dropped_events_total",
                    "Records given up after the retry limit or record age with no destination "
                    "(DroppedEventCount)");
    to_destination = count("wharf_trigger_on_failure_destination_delivered_events_total",
                           "Records written to the failure topic "
                           "(OnFailureDestinationDeliveredEventCount)");
    destination_errors = count("wharf_trigger_on_failure_destination_delivery_errors_total",
                               "Failed writes to the failure topic "
                               "(OnFailureDestinationDeliveryErrorCount)");
    committed = count("wharf_trigger_committed_events_total",
                      "Records whose offsets were committed (CommittedEventCount)");
    commit_errors = count("wharf_trigger_commit_errors_total", "Failed commits (CommitErrorCount)");
    polling_errors =
        count("wharf_trigger_polling_errors_total", "Failed polls (PollingErrorCount)");
    blocked_partitions =
        &r.gauge_family("wharf_trigger_blocked_partitions",
                        "Partitions retrying a failing batch with no end set", labels)
             .with(values);
  }
};

struct batch_job {
  kc::topic_partition partition;
  std::uint64_t epoch = 0;
  std::vector<kc::consumed_record> records;  // those that passed the filter
  std::int64_t next_offset = 0;              // committed once the job succeeds
  std::size_t record_count = 0;              // read, filtered ones included
};

struct completion {
  kc::topic_partition partition;
  std::uint64_t epoch = 0;
  std::int64_t next_offset = 0;
  std::size_t record_count = 0;
  bool done = true;  // false: abandoned on stop, leave uncommitted
};

struct partition_state {
  std::deque<kc::consumed_record> buffer;
  std::size_t buffered_bytes = 0;
  steady::time_point first_arrival;
  bool in_flight = false;
  bool paused = false;
  std::uint64_t epoch = 0;
};

std::string iso8601(std::int64_t epoch_ms) {
  auto seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, epoch_ms % 1000);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Lambda's partial batch response: the offset from which the batch must be retried
// (the lowest failed one), nullopt when every record succeeded; an answer that cannot
// be read fails the whole batch (from its first offset), as Lambda treats it.
std::optional<std::int64_t> first_failed_offset(const std::string& payload,
                                                const std::vector<kc::consumed_record>& batch) {
  boost::system::error_code ec;
  auto json = bj::parse(payload, ec);
  if (ec || !json.is_object()) return std::nullopt;  // not a partial response: all succeeded
  const auto* failures = json.get_object().if_contains("batchItemFailures");
  if (!failures || failures->is_null()) return std::nullopt;
  if (!failures->is_array()) return batch.front().offset;
  std::optional<std::int64_t> lowest;
  for (const auto& f : failures->get_array()) {
    const auto* item = f.if_object();
    const auto* id = item ? item->if_contains("itemIdentifier") : nullptr;
    const auto* fields = id ? id->if_object() : nullptr;
    const auto* offset = fields ? fields->if_contains("offset") : nullptr;
    std::optional<std::int64_t> value;
    if (offset && offset->is_int64()) value = offset->get_int64();
    if (offset && offset->is_string()) {
      try {
        value = std::stoll(std::string(offset->get_string()));
      } catch (const std::exception&) {
      }
    }
    // An identifier naming no record of the batch fails the whole batch.
    bool known = value && std::any_of(batch.begin(), batch.end(),
                                      [&](const auto& r) { return r.offset == *value; });
    if (!known) return batch.front().offset;
    lowest = lowest ? std::min(*lowest, *value) : *value;
  }
  return lowest;
}

class runner_impl final : public mapping_runner {
 public:
  runner_impl(runner_settings settings, kc::cluster& kafka, std::shared_ptr<function> fn,
              metrics::registry* metrics)
      : settings_(std::move(settings)),
        kafka_(kafka),
        fn_(std::move(fn)),
        metrics_(metrics, settings_.uuid, fn_->spec().name),
        log_(logging::get("triggers")) {}

  ~runner_impl() override { stop(); }

  kc::status open() {
    kc::consumer_options options;
    options.group_id = settings_.group_id;
    options.client_id = "wharf-trigger-" + settings_.uuid;
    options.auto_commit = false;
    options.auto_offset_reset = settings_.starting_position == "LATEST" ? "latest" : "earliest";
    options.on_assign = [this](std::vector<kc::partition_offset>& assigned) {
      on_assign(assigned);
    };
    options.on_revoke = [this](const std::vector<kc::topic_partition>& revoked) {
      on_revoke(revoked);
    };
    WHARF_ASSIGN_OR_RETURN(consumer_, kafka_.new_consumer(std::move(options)));
    consumer_->set_wakeup([this] {
      std::lock_guard lock(mutex_);
      woken_ = true;
      wake_.notify_all();
    });
    WHARF_RETURN_IF_ERROR(consumer_->subscribe(settings_.topics));
    int threads = std::clamp(fn_->spec().concurrency, 1, 64);
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    poller_ = std::thread([this] { poll_loop(); });
    return kc::done{};
  }

  void stop() override {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_all();
    if (poller_.joinable()) poller_.join();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::string last_processing_result() const override {
    std::lock_guard lock(result_mutex_);
    return last_result_;
  }
  bool blocked() const override { return blocked_count_.load() > 0; }

 private:
  // --- the poll thread ---------------------------------------------------------------

  void poll_loop() {
    while (true) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
      }
      apply_completions();
      dispatch_ready();
      bool got_any = false;
      for (int i = 0; i < 1000; ++i) {
        auto polled = consumer_->poll(std::chrono::milliseconds(0));
        if (!polled.ok()) {
          metrics_.polling_errors->inc();
          set_result("PROBLEM: Connection error. " + polled.err().message());
          log_->warn("trigger {}: polling failed: {}", settings_.uuid, polled.err().message());
          std::unique_lock lock(mutex_);
          wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
          break;
        }
        if (!*polled) break;
        got_any = true;
        add_record(std::move(**polled));
      }
      if (got_any) continue;
      std::unique_lock lock(mutex_);
      auto until = steady::now() + std::chrono::milliseconds(100);
      if (auto deadline = next_deadline()) until = std::min(until, *deadline);
      wake_.wait_until(lock, until,
                       [this] { return stopping_ || woken_ || !completions_.empty(); });
      woken_ = false;
    }
    // Stop: wait for the workers' batches so what succeeded is committed.
    {
      std::lock_guard lock(mutex_);
      jobs_.clear();
    }
    job_ready_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    apply_completions();
    (void)consumer_->close();
  }

  void add_record(kc::consumed_record record) {
    metrics_.polled->inc();
    kc::topic_partition tp{record.topic, record.partition};
    auto& p = partitions_[tp];
    if (p.buffer.empty()) p.first_arrival = steady::now();
    p.buffered_bytes += record_event_bytes(record);
    p.buffer.push_back(std::move(record));
    update_pause(tp, p);
  }

  bool batch_full(const partition_state& p) const {
    return p.buffer.size() >= settings_.batch_size ||
           p.buffered_bytes >= settings_.max_payload_bytes;
  }

  // A partition stops fetching while a batch is in flight and a backlog of batches waits.
  // The bound is generous on purpose: pausing drops librdkafka's prefetched records, and
  // librdkafka 2.0.2 was seen (debug=fetch) to fetch a resumed partition about 1 s later, so
  // pausing as soon as one batch waited made a busy mapping stall about once a batch.
  bool buffer_full(const partition_state& p) const {
    return p.buffer.size() >= std::max<std::size_t>(8 * settings_.batch_size, 100'000) ||
           p.buffered_bytes >= 4 * settings_.max_payload_bytes;
  }

  void update_pause(const kc::topic_partition& tp, partition_state& p) {
    bool want = buffer_full(p) && p.in_flight;
    if (want == p.paused) return;
    auto changed = want ? consumer_->pause({tp}) : consumer_->resume({tp});
    if (changed.ok()) p.paused = want;
  }

  std::optional<steady::time_point> next_deadline() const {
    std::optional<steady::time_point> out;
    for (const auto& [tp, p] : partitions_) {
      if (p.in_flight || p.buffer.empty()) continue;
      auto due = p.first_arrival + settings_.batching_window;
      out = out ? std::min(*out, due) : due;
    }
    return out;
  }

  void dispatch_ready() {
    auto now = steady::now();
    for (auto& [tp, p] : partitions_) {
      if (p.in_flight || p.buffer.empty()) continue;
      if (!batch_full(p) && now < p.first_arrival + settings_.batching_window) continue;
      batch_job job;
      job.partition = tp;
      job.epoch = p.epoch;
      std::size_t bytes = 0;
      while (!p.buffer.empty() && job.record_count < settings_.batch_size) {
        auto size = record_event_bytes(p.buffer.front());
        if (job.record_count > 0 && bytes + size > settings_.max_payload_bytes) break;
        bytes += size;
        p.buffered_bytes -= size;
        auto record = std::move(p.buffer.front());
        p.buffer.pop_front();
        ++job.record_count;
        job.next_offset = record.offset + 1;
        if (settings_.filter && !settings_.filter(record)) {
          metrics_.filtered_out->inc();
          continue;
        }
        job.records.push_back(std::move(record));
      }
      if (!p.buffer.empty()) p.first_arrival = now;
      p.in_flight = true;
      if (job.records.empty()) {
        // Nothing to invoke: the filtered records are committed straight away.
        std::lock_guard lock(mutex_);
        completions_.push_back({tp, job.epoch, job.next_offset, job.record_count, true});
      } else {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
        job_ready_.notify_one();
      }
      update_pause(tp, p);
    }
  }

  void apply_completions() {
    std::deque<completion> done;
    {
      std::lock_guard lock(mutex_);
      done.swap(completions_);
    }
    for (auto& c : done) {
      auto it = partitions_.find(c.partition);
      // A partition revoked meanwhile belongs to another member now: no commit.
      if (it == partitions_.end() || it->second.epoch != c.epoch) continue;
      it->second.in_flight = false;
      if (c.done) {
        auto committed = consumer_->commit(
            {{c.partition.topic, c.partition.partition, c.next_offset, std::string()}});
        if (committed.ok()) {
          metrics_.committed->inc(static_cast<double>(c.record_count));
        } else {
          metrics_.commit_errors->inc();
          log_->warn("trigger {}: commit of {}-{} at {} failed: {}", settings_.uuid,
                     c.partition.topic, c.partition.partition, c.next_offset,
                     committed.err().message());
        }
      }
      update_pause(c.partition, it->second);
    }
  }

  void on_assign(std::vector<kc::partition_offset>& assigned) {
    for (const auto& a : assigned) {
      auto& p = partitions_[{a.topic, a.partition}];
      p = partition_state{};
      p.epoch = ++epoch_counter_;
    }
    if (settings_.starting_position != "AT_TIMESTAMP" || assigned.empty()) return;
    // A group's committed offsets win; the others start at the timestamp.
    std::vector<kc::topic_partition> tps;
    for (const auto& a : assigned) tps.push_back({a.topic, a.partition});
    auto committed = kafka_.admin_client().group_offsets(settings_.group_id, tps);
    std::map<kc::topic_partition, std::int64_t> have;
    if (committed.ok()) {
      for (const auto& c : *committed) {
        if (c.offset >= 0) have[{c.topic, c.partition}] = c.offset;
      }
    }
    std::vector<kc::topic_partition> wanted;
    for (const auto& a : assigned) {
      if (!have.count({a.topic, a.partition})) wanted.push_back({a.topic, a.partition});
    }
    if (wanted.empty()) return;
    auto found = kafka_.admin_client().offsets_for_time(wanted, settings_.starting_timestamp_ms);
    if (!found.ok()) {
      log_->warn("trigger {}: finding offsets for the starting timestamp failed: {}",
                 settings_.uuid, found.err().message());
      return;
    }
    for (auto& a : assigned) {
      for (const auto& f : *found) {
        // No record at or after the time: start at the end.
        if (f.topic == a.topic && f.partition == a.partition) {
          a.offset = f.offset >= 0 ? f.offset : kc::offset_end;
        }
      }
    }
  }

  void on_revoke(const std::vector<kc::topic_partition>& revoked) {
    for (const auto& tp : revoked) partitions_.erase(tp);
  }

  // --- the workers -------------------------------------------------------------------

  void work() {
    while (true) {
      batch_job job;
      {
        std::unique_lock lock(mutex_);
        job_ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      bool finished = deliver(job);
      {
        std::lock_guard lock(mutex_);
        completions_.push_back(
            {job.partition, job.epoch, job.next_offset, job.record_count, finished});
      }
      wake_.notify_all();
    }
  }

  bool stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  // A part of a job still to deliver: halves of a bisected batch keep their retry count,
  // since Lambda does not count a split against MaximumRetryAttempts.
  struct piece {
    std::vector<kc::consumed_record> records;
    int retries = 0;  // failed invocations of these very records, splits excluded
    int invokes = 0;  // invocations that held them (approximateInvokeCount)
  };

  // Invokes the function until every record of the job succeeded, went to the failure
  // topic or was dropped; false if the runner stopped first.
  bool deliver(batch_job& job) {
    std::deque<piece> pending;
    pending.push_back({std::move(job.records), 0, 0});
    int limit = settings_.retry.maximum_retry_attempts;
    // Lambda caps unlimited retries at 10 when a failure destination is set.
    if (limit < 0 && !settings_.failure_topic.empty()) limit = 10;
    bool counted_blocked = false;
    auto unblock = [&] {
      if (counted_blocked) {
        --blocked_count_;
        metrics_.blocked_partitions->dec();
        counted_blocked = false;
      }
    };
    while (!pending.empty()) {
      auto current = std::move(pending.front());
      pending.pop_front();
      auto& batch = current.records;
      // Lambda sends no record older than MaximumRecordAgeInSeconds to the function: such
      // records go to the failure destination (or are dropped) without an invocation.
      if (settings_.retry.maximum_record_age.count() >= 0) {
        auto limit_ms = now_ms() - settings_.retry.maximum_record_age.count() * 1000;
        auto fresh_end = std::stable_partition(
            batch.begin(), batch.end(), [&](const auto& r) { return r.timestamp_ms >= limit_ms; });
        std::vector<kc::consumed_record> expired(std::make_move_iterator(fresh_end),
                                                 std::make_move_iterator(batch.end()));
        batch.erase(fresh_end, batch.end());
        if (!expired.empty()) give_up(expired, {}, "RecordAgeExceeded", current.invokes);
        if (batch.empty()) continue;
      }
      ++current.invokes;
      auto outcome = invoke(batch);
      std::optional<std::int64_t> retry_from;
      if (outcome.ok()) {
        if (!settings_.report_batch_item_failures) continue;
        retry_from = first_failed_offset(outcome.payload, batch);
        if (!retry_from) continue;
        // Records before the first failed one succeeded.
        std::erase_if(batch, [&](const auto& r) { return r.offset < *retry_from; });
        outcome.error_type = "BatchItemFailures";
        outcome.error_message = "the function reported failed records";
      }
      metrics_.failed_invoke_events->inc(static_cast<double>(batch.size()));
      bool split = settings_.retry.bisect_on_error && batch.size() > 1;
      if (!split) ++current.retries;
      std::string condition;
      if (limit >= 0 && current.retries > limit) condition = "RetryAttemptsExhausted";
      if (settings_.retry.maximum_record_age.count() >= 0) {
        auto oldest = std::min_element(batch.begin(), batch.end(), [](auto& a, auto& b) {
                        return a.timestamp_ms < b.timestamp_ms;
                      })->timestamp_ms;
        if (now_ms() - oldest > settings_.retry.maximum_record_age.count() * 1000) {
          condition = "RecordAgeExceeded";
        }
      }
      if (!condition.empty()) {
        give_up(batch, outcome, condition, current.invokes);
        continue;
      }
      // Halves of a split wait the first backoff step; a retry of the same records waits
      // longer each time.
      int backoff_step = std::max(1, current.retries);
      if (split) {
        auto middle = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
        piece second{std::vector<kc::consumed_record>(std::make_move_iterator(middle),
                                                      std::make_move_iterator(batch.end())),
                     current.retries, current.invokes};
        batch.erase(middle, batch.end());
        pending.push_front(std::move(second));
        pending.push_front(std::move(current));
      } else {
        pending.push_front(std::move(current));
      }
      if (limit < 0 && settings_.retry.maximum_record_age.count() < 0 && !counted_blocked) {
        counted_blocked = true;
        ++blocked_count_;
        metrics_.blocked_partitions->inc();
      }
      if (!backoff(backoff_step)) {
        unblock();
        return false;
      }
    }
    unblock();
    return true;
  }

  // Sleeps the retry backoff; false if the runner stops meanwhile.
  bool backoff(int attempts) {
    static thread_local std::mt19937 rng(std::random_device{}());
    auto base = settings_.retry.backoff_base.count();
    auto cap = settings_.retry.backoff_max.count();
    auto delay = std::min<std::int64_t>(cap, base << std::min(attempts - 1, 16));
    delay = delay / 2 + std::uniform_int_distribution<std::int64_t>(0, delay / 2)(rng);
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, std::chrono::milliseconds(delay), [this] { return stopping_; });
  }

  invocation_result invoke(const std::vector<kc::consumed_record>& batch) {
    auto event = kafka_event(settings_.source, batch);
    metrics_.invocations->inc();
    metrics_.invoked_events->inc(static_cast<double>(batch.size()));
    auto result = fn_->invoke(event, random_uuid());
    if (result.throttled) metrics_.throttles->inc();
    metrics_.duration->observe(std::chrono::duration<double>(result.duration).count());
    if (result.ok()) {
      set_result("OK");
    } else {
      metrics_.errors->inc();
      set_result("PROBLEM: Function call failed");
      log_->info("trigger {}: {} failed ({}): {}", settings_.uuid, fn_->spec().name,
                 result.error_type, result.error_message);
    }
    return result;
  }

  // After the retries: each record goes to the failure topic with Lambda's invocation
  // record, or is dropped when there is none.
  void give_up(const std::vector<kc::consumed_record>& batch, const invocation_result& outcome,
               const std::string& condition, int attempts) {
    if (settings_.failure_topic.empty()) {
      metrics_.dropped->inc(static_cast<double>(batch.size()));
      log_->warn("trigger {}: dropped {} records of {}-{} from offset {} ({})", settings_.uuid,
                 batch.size(), batch.front().topic, batch.front().partition, batch.front().offset,
                 condition);
      return;
    }
    std::atomic<int> pending{static_cast<int>(batch.size())};
    std::atomic<int> failed{0};
    std::mutex done_mutex;
    std::condition_variable done;
    // Called from the producer's thread; everything it touches lives until all are in.
    auto finish = [&](bool ok) {
      if (!ok) ++failed;
      std::lock_guard lock(done_mutex);
      if (--pending == 0) done.notify_all();
    };
    for (const auto& record : batch) {
      kc::outgoing_record out;
      out.topic = settings_.failure_topic;
      out.key = record.key;
      out.value = failure_document(record, outcome, condition, attempts);
      out.headers = record.headers;
      auto queued = kafka_.shared_producer().produce(
          std::move(out), [&finish](kc::result<kc::delivery_report> r) { finish(r.ok()); });
      if (!queued.ok()) finish(false);
    }
    std::unique_lock lock(done_mutex);
    done.wait(lock, [&] { return pending.load() == 0; });
    auto delivered = static_cast<double>(batch.size()) - failed.load();
    metrics_.to_destination->inc(delivered);
    if (failed.load() > 0) {
      metrics_.destination_errors->inc();
      metrics_.dropped->inc(failed.load());
      log_->warn("trigger {}: {} records could not be written to {}", settings_.uuid, failed.load(),
                 settings_.failure_topic);
    }
  }

  std::string failure_document(const kc::consumed_record& record, const invocation_result& outcome,
                               const std::string& condition, int attempts) {
    std::vector<kc::consumed_record> one{record};
    auto payload = kafka_event(settings_.source, one);
    // Lambda's fields; errorType and errorMessage are Wharf's, to say why.
    bj::object response{{"statusCode", 200},
                        {"executedVersion", "$LATEST"},
                        {"functionError", "Unhandled"},
                        {"errorType", outcome.error_type},
                        {"errorMessage", outcome.error_message}};
    bj::object batch_info{{"batchSize", 1},
                          {"bootstrapServers", settings_.source.bootstrap_servers},
                          {"payloadSize", payload.size()},
                          {"recordInfo", bj::object{{"offset", std::to_string(record.offset)},
                                                    {"timestamp", iso8601(record.timestamp_ms)}}}};
    if (!settings_.source.arn.empty()) batch_info["eventSourceArn"] = settings_.source.arn;
    bj::object doc{
        {"requestContext", bj::object{{"requestId", random_uuid()},
                                      {"functionArn", settings_.function_arn + ":$LATEST"},
                                      {"condition", condition},
                                      {"approximateInvokeCount", attempts}}},
        {"version", "1.0"},
        {"timestamp", iso8601(now_ms())},
        {"KafkaBatchInfo", std::move(batch_info)},
        {"payload", bj::parse(payload)}};
    // A record that expired before any invocation has no response, as on Lambda.
    if (attempts > 0) doc["responseContext"] = std::move(response);
    return bj::serialize(doc);
  }

  void set_result(std::string text) {
    std::lock_guard lock(result_mutex_);
    last_result_ = std::move(text);
  }

  runner_settings settings_;
  kc::cluster& kafka_;
  std::shared_ptr<function> fn_;
  runner_metrics metrics_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<kc::consumer> consumer_;

  // Poll thread only.
  std::map<kc::topic_partition, partition_state> partitions_;
  std::uint64_t epoch_counter_ = 0;

  std::mutex mutex_;
  std::condition_variable wake_;       // the poll thread: records, completions, stop
  std::condition_variable job_ready_;  // the workers
  bool stopping_ = false;
  bool woken_ = false;
  std::deque<batch_job> jobs_;
  std::deque<completion> completions_;
  std::vector<std::thread> workers_;
  std::thread poller_;

  mutable std::mutex result_mutex_;
  std::string last_result_ = "No records processed";
  std::atomic<int> blocked_count_{0};
};

}  // namespace

result<std::unique_ptr<mapping_runner>> mapping_runner::start(runner_settings settings,
                                                              kc::cluster& kafka,
                                                              std::shared_ptr<function> fn,
                                                              metrics::registry* metrics) {
  auto runner = std::make_unique<runner_impl>(std::move(settings), kafka, std::move(fn), metrics);
  if (auto opened = runner->open(); !opened.ok()) return opened.err().to_error();
  return std::unique_ptr<mapping_runner>(std::move(runner));
}

}  // namespace wharf::triggers

#include "services/registry/schema_log.h"

#include <atomic>
#include <condition_variable>
#include <thread>

#include "base/logging.h"

namespace wharf::registry {

namespace kc = kafka::client;

namespace {

class kafka_schema_log final : public schema_log {
 public:
  kafka_schema_log(kc::cluster& kafka, schema_log_options options,
                   std::unique_ptr<kc::consumer> consumer)
      : kafka_(kafka), options_(std::move(options)), consumer_(std::move(consumer)) {}

  ~kafka_schema_log() override { close(); }

  void start() {
    reader_ = std::thread([this] { read_loop(); });
  }

  // Waits until the reader has applied everything before end_offset.
  status wait_applied(std::int64_t end_offset) {
    std::unique_lock lock(progress_mutex_);
    bool reached = progress_.wait_for(lock, options_.timeout,
                                      [&] { return applied_ >= end_offset || stopping_; });
    if (!reached || applied_ < end_offset) {
      return make_error(errc::timed_out,
                        "the registry's reader did not reach offset {} of {} in {} ms", end_offset,
                        options_.topic, options_.timeout.count());
    }
    return {};
  }

  void read(const std::function<void(const schema_store&)>& fn) const override {
    std::shared_lock lock(store_mutex_);
    fn(store_);
  }

  status write(const std::vector<log_record>& records) override {
    std::int64_t last = -1;
    for (const auto& r : records) {
      kc::outgoing_record out;
      out.topic = options_.topic;
      out.partition = 0;
      out.key = r.key;
      out.value = r.value;
      auto delivered = produce_and_wait(std::move(out));
      if (!delivered.ok()) return delivered.err();
      last = *delivered;
    }
    if (last < 0) return {};
    return wait_applied(last + 1);
  }

  status sync() override { return write({schema_store::noop_record()}); }

  std::unique_lock<std::mutex> write_lock() override { return std::unique_lock(write_mutex_); }

  std::int64_t applied_offset() const override {
    std::lock_guard lock(progress_mutex_);
    return applied_;
  }

  void close() override {
    {
      std::lock_guard lock(progress_mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    progress_.notify_all();
    if (reader_.joinable()) reader_.join();
    (void)consumer_->close();
  }

 private:
  result<std::int64_t> produce_and_wait(kc::outgoing_record record) {
    struct waiter {
      std::mutex mutex;
      std::condition_variable cv;
      std::optional<kc::result<kc::delivery_report>> report;
    };
    auto w = std::make_shared<waiter>();
    auto queued = kafka_.shared_producer().produce(std::move(record),
                                                   [w](kc::result<kc::delivery_report> report) {
                                                     std::lock_guard lock(w->mutex);
                                                     w->report = std::move(report);
                                                     w->cv.notify_all();
                                                   });
    if (!queued.ok()) return queued.err().to_error();
    std::unique_lock lock(w->mutex);
    // The producer's delivery timeout bounds this; the extra margin covers its reporting.
    if (!w->cv.wait_for(lock, options_.timeout + std::chrono::seconds(30),
                        [&] { return w->report.has_value(); })) {
      return make_error(errc::timed_out, "no delivery report from Kafka for {}", options_.topic);
    }
    if (!w->report->ok()) return w->report->err().to_error();
    return (*w->report)->offset;
  }

  void read_loop() {
    auto log = logging::get("registry");
    while (true) {
      {
        std::lock_guard lock(progress_mutex_);
        if (stopping_) return;
      }
      auto polled = consumer_->poll(std::chrono::milliseconds(100));
      if (!polled.ok()) {
        log->warn("reading {}: {}", options_.topic, polled.err().message());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (!*polled) continue;
      const auto& r = **polled;
      if (r.key) {
        std::unique_lock lock(store_mutex_);
        if (!store_.apply(*r.key,
                          r.value ? std::optional<std::string_view>(*r.value) : std::nullopt)) {
          log->debug("skipped a record of {} at offset {}", options_.topic, r.offset);
        }
      }
      {
        std::lock_guard lock(progress_mutex_);
        applied_ = r.offset + 1;
      }
      progress_.notify_all();
    }
  }

  kc::cluster& kafka_;
  schema_log_options options_;
  std::unique_ptr<kc::consumer> consumer_;
  std::thread reader_;

  mutable std::shared_mutex store_mutex_;
  schema_store store_;

  mutable std::mutex progress_mutex_;
  std::condition_variable progress_;
  std::int64_t applied_ = 0;
  bool stopping_ = false;

  std::mutex write_mutex_;
};

// Creates the topic as Confluent's registry does: one partition, compacted, replicated
// up to three times where the cluster has the brokers.
status ensure_topic(kc::cluster& kafka, const std::string& topic) {
  auto& admin = kafka.admin_client();
  auto md = admin.metadata();
  if (!md.ok()) return md.err().to_error();
  if (const auto* t = md->topic(topic)) {
    if (t->partitions.size() != 1) {
      return make_error(errc::invalid_argument,
                        "the registry topic {} has {} partitions; it must have exactly one", topic,
                        t->partitions.size());
    }
    return {};
  }
  kc::new_topic spec;
  spec.name = topic;
  spec.partitions = 1;
  spec.replication_factor = static_cast<int>(std::min<std::size_t>(3, md->brokers.size()));
  if (spec.replication_factor < 1) spec.replication_factor = 1;
  spec.configs = {{"cleanup.policy", "compact"}};
  auto created = admin.create_topic(spec, false);
  if (!created.ok() && created.err().code() != 36 /* TOPIC_ALREADY_EXISTS */) {
    return created.err().to_error();
  }
  return {};
}

}  // namespace

result<std::unique_ptr<schema_log>> schema_log::open(kc::cluster& kafka,
                                                     schema_log_options options) {
  WHARF_RETURN_IF_ERROR(ensure_topic(kafka, options.topic));
  kc::consumer_options copts;
  copts.group_id = "wharf-schema-registry-reader";  // never joined: the reader assigns
  copts.client_id = "wharf-schema-registry";
  copts.auto_commit = false;
  copts.auto_offset_reset = "earliest";
  auto consumer = kafka.new_consumer(copts);
  if (!consumer.ok()) return consumer.err().to_error();
  auto assigned = (*consumer)->assign({{options.topic, 0}});
  if (!assigned.ok()) return assigned.err().to_error();
  auto seek = (*consumer)->seek({{options.topic, 0, kc::offset_beginning}});
  (void)seek;  // a fresh assignment starts at the beginning anyway (earliest)

  auto end = kafka.admin_client().query_watermarks(options.topic, 0);
  if (!end.ok()) return end.err().to_error();
  auto log = std::make_unique<kafka_schema_log>(kafka, options, std::move(*consumer));
  log->start();
  WHARF_RETURN_IF_ERROR(log->wait_applied(end->high));
  return std::unique_ptr<schema_log>(std::move(log));
}

}  // namespace wharf::registry

#include "kafka/client/compacted_log.h"

#include <atomic>
#include <condition_variable>
#include <thread>

#include "base/logging.h"
#include "kafka/client/cluster.h"

namespace wharf::kafka::client {

namespace {

class kafka_compacted_log final : public compacted_log {
 public:
  kafka_compacted_log(cluster& kafka, compacted_log_options options,
                      std::unique_ptr<consumer> reader)
      : kafka_(kafka), options_(std::move(options)), consumer_(std::move(reader)) {}

  ~kafka_compacted_log() override { close(); }

  void start() {
    reader_ = std::thread([this] { read_loop(); });
  }

  // Waits until the reader has applied everything before end_offset.
  wharf::status wait_applied(std::int64_t end_offset) {
    std::unique_lock lock(progress_mutex_);
    bool reached = progress_.wait_for(lock, options_.timeout,
                                      [&] { return applied_ >= end_offset || stopping_; });
    if (!reached || applied_ < end_offset) {
      return make_error(errc::timed_out, "the reader of {} did not reach offset {} in {} ms",
                        options_.topic, end_offset, options_.timeout.count());
    }
    return {};
  }

  wharf::status write(const std::vector<log_entry>& entries) override {
    std::int64_t last = -1;
    for (const auto& e : entries) {
      outgoing_record out;
      out.topic = options_.topic;
      out.partition = 0;
      out.key = e.key;
      out.value = e.value;
      auto delivered = produce_and_wait(std::move(out));
      if (!delivered.ok()) return delivered.err();
      last = *delivered;
    }
    if (last < 0) return {};
    return wait_applied(last + 1);
  }

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
  wharf::result<std::int64_t> produce_and_wait(outgoing_record record) {
    struct waiter {
      std::mutex mutex;
      std::condition_variable cv;
      std::optional<result<delivery_report>> report;
    };
    auto w = std::make_shared<waiter>();
    auto queued =
        kafka_.shared_producer().produce(std::move(record), [w](result<delivery_report> report) {
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
    auto log = logging::get("kafka-client");
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
      auto& r = **polled;
      if (r.key) options_.apply(log_entry{std::move(*r.key), std::move(r.value)}, r.offset);
      {
        std::lock_guard lock(progress_mutex_);
        applied_ = r.offset + 1;
      }
      progress_.notify_all();
    }
  }

  cluster& kafka_;
  compacted_log_options options_;
  std::unique_ptr<consumer> consumer_;
  std::thread reader_;

  mutable std::mutex progress_mutex_;
  std::condition_variable progress_;
  std::int64_t applied_ = 0;
  bool stopping_ = false;

  std::mutex write_mutex_;
};

// Creates the topic as Confluent's registry does for its own: one partition, compacted,
// replicated up to three times where the cluster has the brokers.
wharf::status ensure_topic(cluster& kafka, const std::string& topic) {
  auto& admin = kafka.admin_client();
  auto md = admin.metadata();
  if (!md.ok()) return md.err().to_error();
  if (const auto* t = md->topic(topic)) {
    if (t->partitions.size() != 1) {
      return make_error(errc::invalid_argument,
                        "the topic {} has {} partitions; it must have exactly one", topic,
                        t->partitions.size());
    }
    return {};
  }
  new_topic spec;
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

wharf::result<std::unique_ptr<compacted_log>> compacted_log::open(cluster& kafka,
                                                                  compacted_log_options options) {
  WHARF_RETURN_IF_ERROR(ensure_topic(kafka, options.topic));
  consumer_options copts;
  copts.group_id = options.client_id + "-reader";  // never joined: the reader assigns
  copts.client_id = options.client_id;
  copts.auto_commit = false;
  copts.auto_offset_reset = "earliest";
  auto reader = kafka.new_consumer(copts);
  if (!reader.ok()) return reader.err().to_error();
  auto assigned = (*reader)->assign({{options.topic, 0}});
  if (!assigned.ok()) return assigned.err().to_error();
  auto seek = (*reader)->seek({{options.topic, 0, offset_beginning}});
  (void)seek;  // a fresh assignment starts at the beginning anyway (earliest)

  auto end = kafka.admin_client().query_watermarks(options.topic, 0);
  if (!end.ok()) return end.err().to_error();
  auto log = std::make_unique<kafka_compacted_log>(kafka, options, std::move(*reader));
  log->start();
  WHARF_RETURN_IF_ERROR(log->wait_applied(end->high));
  return std::unique_ptr<compacted_log>(std::move(log));
}

}  // namespace wharf::kafka::client

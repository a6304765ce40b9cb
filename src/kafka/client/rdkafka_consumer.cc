// The consumer over one librdkafka consumer handle. Its main queue is redirected to the
// consumer queue, so poll() serves records, rebalances and errors in one place.
#include <atomic>
#include <mutex>
#include <thread>

#include "base/logging.h"
#include "kafka/client/consumer.h"
#include "kafka/client/rdkafka_common.h"

namespace wharf::kafka::client {
namespace {

using namespace detail;

constexpr int seek_timeout_ms = 10'000;

consumed_record to_record(const rd_kafka_message_t* m) {
  consumed_record r;
  r.topic = rd_kafka_topic_name(m->rkt);
  r.partition = m->partition;
  r.offset = m->offset;
  if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  r.timestamp_ms = rd_kafka_message_timestamp(m, &type);
  r.log_append_time = type == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers) {
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      record_header h;
      h.name = name;
      if (value) h.value.emplace(static_cast<const char*>(value), size);
      r.headers.push_back(std::move(h));
    }
  }
  return r;
}

class rdkafka_consumer final : public consumer {
 public:
  rdkafka_consumer(rd_kafka_t* rk, std::unique_ptr<rebalance_hooks> hooks)
      : rk_(rk), hooks_(std::move(hooks)) {
    rd_kafka_poll_set_consumer(rk_);
    queue_ = rd_kafka_queue_get_consumer(rk_);
  }

  ~rdkafka_consumer() override {
    (void)close();
    // librdkafka calls on_queue_event under the queue's lock, so once this returns no
    // call is in progress. Our own mutex must not be held here (lock order).
    if (queue_) rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
    if (queue_) rd_kafka_queue_destroy(queue_);
    rd_kafka_destroy(rk_);
  }

  status subscribe(const std::vector<std::string>& topics) override {
    WHARF_RETURN_IF_ERROR(check_open());
    partition_list_ptr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& t : topics) {
      rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (auto err = rd_kafka_subscribe(rk_, list.get())) return error_from(err);
    return done{};
  }

  status unsubscribe() override {
    WHARF_RETURN_IF_ERROR(check_open());
    if (auto err = rd_kafka_unsubscribe(rk_)) return error_from(err);
    return done{};
  }

  result<std::vector<std::string>> subscription() override {
    WHARF_RETURN_IF_ERROR(check_open());
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (auto err = rd_kafka_subscription(rk_, &raw)) return error_from(err);
    partition_list_ptr list(raw);
    std::vector<std::string> out;
    for (int i = 0; i < list->cnt; ++i) out.emplace_back(list->elems[i].topic);
    return out;
  }

  status assign(const std::vector<topic_partition>& partitions) override {
    WHARF_RETURN_IF_ERROR(check_open());
    auto list = to_list(partitions);
    if (auto err = rd_kafka_assign(rk_, list.get())) return error_from(err);
    return done{};
  }

  status pause(const std::vector<topic_partition>& partitions) override {
    WHARF_RETURN_IF_ERROR(check_open());
    auto list = to_list(partitions);
    if (auto err = rd_kafka_pause_partitions(rk_, list.get())) return error_from(err);
    return done{};
  }

  status resume(const std::vector<topic_partition>& partitions) override {
    WHARF_RETURN_IF_ERROR(check_open());
    auto list = to_list(partitions);
    if (auto err = rd_kafka_resume_partitions(rk_, list.get())) return error_from(err);
    return done{};
  }

  result<std::vector<topic_partition>> assignment() override {
    WHARF_RETURN_IF_ERROR(check_open());
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (auto err = rd_kafka_assignment(rk_, &raw)) return error_from(err);
    partition_list_ptr list(raw);
    std::vector<topic_partition> out;
    for (int i = 0; i < list->cnt; ++i) {
      out.push_back({list->elems[i].topic, list->elems[i].partition});
    }
    return out;
  }

  status seek(const std::vector<partition_offset>& requested) override {
    WHARF_RETURN_IF_ERROR(check_open());
    // librdkafka resolves "beginning" and "end" later, in the fetcher: records produced in
    // between would be skipped. Resolve them now, so the position is the log's end at the
    // time of the call.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(seek_timeout_ms);
    auto positions = requested;
    for (auto& p : positions) {
      if (p.offset != offset_beginning && p.offset != offset_end) continue;
      std::int64_t low = 0, high = 0;
      while (auto err = rd_kafka_query_watermark_offsets(rk_, p.topic.c_str(), p.partition, &low,
                                                         &high, seek_timeout_ms)) {
        // A leader this handle does not know yet (a new topic) answers NOT_LEADER for a
        // moment: ask again.
        bool leader_moving = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                             err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
        if (!leader_moving || std::chrono::steady_clock::now() >= deadline) return error_from(err);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      p.offset = p.offset == offset_beginning ? low : high;
    }
    while (true) {
      auto list = to_list(positions);
      if (auto* err = rd_kafka_seek_partitions(rk_, list.get(), seek_timeout_ms)) {
        return error_from(err);
      }
      auto err = first_partition_error(list.get());
      if (!err) return done{};
      // librdkafka refuses to seek a partition whose fetcher has not started yet (just
      // assigned, its committed offset still being looked up), where Kafka's Java
      // consumer allows it. The fetcher starts within a round trip or two: try again.
      // (Assigning again with the offsets instead leaves librdkafka 2.0.2's fetcher
      // paused when the first assignment is still starting.)
      if (err->code() != codes::local_state) return *err;
      if (std::chrono::steady_clock::now() >= deadline) return *err;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  result<std::optional<consumed_record>> poll(std::chrono::milliseconds timeout) override {
    WHARF_RETURN_IF_ERROR(check_open());
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto* m =
          rd_kafka_consumer_poll(rk_, static_cast<int>(std::max<std::int64_t>(0, left.count())));
      if (!m) return std::optional<consumed_record>{};
      std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owner(
          m, rd_kafka_message_destroy);
      if (!m->err) return std::optional<consumed_record>(to_record(m));
      // Consumer errors are events, not failures of this call, unless they stop it.
      auto err = m->err;
      bool stops = err == RD_KAFKA_RESP_ERR__FATAL ||
                   err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                   err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
                   err == RD_KAFKA_RESP_ERR__AUTHENTICATION;
      if (stops) return error_from(err, rd_kafka_message_errstr(m));
      logging::get("kafka-client")
          ->debug("{}: consumer event {}: {}", rd_kafka_name(rk_), rd_kafka_err2name(err),
                  rd_kafka_message_errstr(m));
      if (std::chrono::steady_clock::now() >= deadline) return std::optional<consumed_record>{};
    }
  }

  status store_offsets(const std::vector<partition_offset>& next_offsets) override {
    WHARF_RETURN_IF_ERROR(check_open());
    if (next_offsets.empty()) return done{};
    auto list = to_list(next_offsets);
    if (auto err = rd_kafka_offsets_store(rk_, list.get())) {
      if (auto partition_err = first_partition_error(list.get())) return *partition_err;
      return error_from(err);
    }
    return done{};
  }

  status commit(const std::vector<partition_offset>& offsets) override {
    WHARF_RETURN_IF_ERROR(check_open());
    partition_list_ptr list;
    if (!offsets.empty()) list = to_list(offsets);
    auto err = rd_kafka_commit(rk_, list.get(), 0);
    // Nothing consumed since the last commit is not a failure.
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return done{};
    if (err) {
      if (auto partition_err = first_partition_error(list.get())) return *partition_err;
      return error_from(err);
    }
    if (auto partition_err = first_partition_error(list.get())) return *partition_err;
    return done{};
  }

  result<std::vector<partition_offset>> committed(const std::vector<topic_partition>& partitions,
                                                  std::chrono::milliseconds timeout) override {
    WHARF_RETURN_IF_ERROR(check_open());
    auto list = to_list(partitions);
    if (auto err = rd_kafka_committed(rk_, list.get(), static_cast<int>(timeout.count()))) {
      return error_from(err);
    }
    if (auto partition_err = first_partition_error(list.get())) return *partition_err;
    return to_offsets(list.get());
  }

  result<std::vector<partition_offset>> positions(
      const std::vector<topic_partition>& partitions) override {
    WHARF_RETURN_IF_ERROR(check_open());
    auto list = to_list(partitions);
    if (auto err = rd_kafka_position(rk_, list.get())) return error_from(err);
    return to_offsets(list.get());
  }

  void set_wakeup(std::function<void()> wakeup) override {
    {
      std::lock_guard lock(wakeup_mutex_);
      wakeup_ = std::move(wakeup);
    }
    rd_kafka_queue_cb_event_enable(queue_, &rdkafka_consumer::on_queue_event, this);
  }

  status close() override {
    if (closed_.exchange(true)) return done{};
    if (auto err = rd_kafka_consumer_close(rk_)) return error_from(err);
    return done{};
  }

 private:
  status check_open() const {
    if (closed_) return kafka_error(codes::local_state, "the consumer is closed");
    return done{};
  }

  // librdkafka calls this from one of its threads when the queue becomes non-empty.
  static void on_queue_event(rd_kafka_t*, void* opaque) {
    auto* self = static_cast<rdkafka_consumer*>(opaque);
    std::function<void()> wakeup;
    {
      std::lock_guard lock(self->wakeup_mutex_);
      wakeup = self->wakeup_;
    }
    if (wakeup) wakeup();
  }

  rd_kafka_t* rk_;
  std::unique_ptr<rebalance_hooks> hooks_;  // librdkafka's rebalance callback uses it
  rd_kafka_queue_t* queue_ = nullptr;
  std::atomic<bool> closed_{false};
  std::mutex wakeup_mutex_;
  std::function<void()> wakeup_;
};

}  // namespace

void rebalance_hooks::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* hooks = static_cast<rebalance_hooks*>(opaque);
  bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (hooks->on_assign) {
      auto assigned = to_offsets(partitions);
      for (auto& a : assigned) a.offset = RD_KAFKA_OFFSET_INVALID;
      hooks->on_assign(assigned);
      for (const auto& a : assigned) {
        if (auto* p = rd_kafka_topic_partition_list_find(partitions, a.topic.c_str(), a.partition))
          p->offset = a.offset;
      }
    }
    if (cooperative) {
      if (auto* e = rd_kafka_incremental_assign(rk, partitions)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, partitions);
    }
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && hooks->on_revoke) {
    std::vector<topic_partition> revoked;
    for (int i = 0; i < partitions->cnt; ++i) {
      revoked.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
    }
    hooks->on_revoke(revoked);
  }
  if (cooperative) {
    if (auto* e = rd_kafka_incremental_unassign(rk, partitions)) rd_kafka_error_destroy(e);
  } else {
    rd_kafka_assign(rk, nullptr);
  }
}

std::unique_ptr<consumer> make_rdkafka_consumer(rd_kafka_t* rk,
                                                std::unique_ptr<rebalance_hooks> hooks) {
  return std::make_unique<rdkafka_consumer>(rk, std::move(hooks));
}

}  // namespace wharf::kafka::client

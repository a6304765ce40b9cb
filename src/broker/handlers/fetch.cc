// Fetch (key 1): reads whole record batches from each requested partition, parking the
// request (long poll) until min_bytes have arrived or max_wait_ms passes.
//
// Fetch sessions (KIP-227): the broker answers every request as a full, sessionless
// fetch (session id 0), which the protocol allows and every client handles by sending
// full requests; a request that names a session gets FETCH_SESSION_ID_NOT_FOUND.
#include "kafka/protocol/generated/fetch.h"

#include <algorithm>

#include "broker/handlers/handler.h"
#include "net/io_runtime.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

// Everything a parked fetch needs after the request frame is gone.
struct fetch_job : std::enable_shared_from_this<fetch_job> {
  kp::fetch_request request;
  std::int16_t version = 0;
  std::int32_t correlation_id = 0;
  broker_state* broker = nullptr;
  net::frame_responder responder;
  // The records each partition_data points at live here until the response is encoded.
  std::vector<std::string> record_buffers;

  struct resolved {
    std::shared_ptr<const topic> t;  // null: unknown
    kp::error_code topic_error = kp::error_code::none;
  };
  std::vector<resolved> topics;

  void resolve() {
    for (const auto& ft : request.topics) {
      resolved r;
      if (version >= 13) {
        r.t = broker->topics->find(ft.topic_id);
        if (!r.t) r.topic_error = kp::error_code::unknown_topic_id;
      } else {
        r.t = broker->topics->find(ft.topic);
        if (!r.t) r.topic_error = kp::error_code::unknown_topic_or_partition;
      }
      topics.push_back(std::move(r));
    }
  }

  bool any_error = false;

  // Reads every partition; returns the response and the number of record bytes in it.
  std::pair<kp::fetch_response, std::int64_t> read_all() {
    any_error = false;
    kp::fetch_response response;
    record_buffers.clear();
    record_buffers.reserve(64);
    std::int64_t total = 0;
    auto budget = static_cast<std::int64_t>(std::max(request.max_bytes, 0));
    bool first_with_data = true;
    for (std::size_t i = 0; i < request.topics.size(); ++i) {
      const auto& ft = request.topics[i];
      const auto& r = topics[i];
      kp::fetch_response::fetchable_topic_response out;
      out.topic = ft.topic;
      out.topic_id = ft.topic_id;
      if (r.t) {
        out.topic = r.t->name;
        out.topic_id = r.t->id;
      }
      for (const auto& fp : ft.partitions) {
        kp::fetch_response::partition_data pd;
        pd.partition_index = fp.partition;
        pd.high_watermark = -1;
        pd.last_stable_offset = -1;
        pd.log_start_offset = -1;
        if (!r.t) {
          pd.error_code = kp::code(r.topic_error);
        } else if (fp.partition < 0 ||
                   static_cast<std::size_t>(fp.partition) >= r.t->partitions.size()) {
          pd.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
        } else {
          auto& part = *r.t->partitions[static_cast<std::size_t>(fp.partition)];
          auto hw = part.high_watermark();
          pd.high_watermark = hw;
          pd.last_stable_offset = hw;
          pd.log_start_offset = part.log().log_start_offset();
          auto limit = std::min<std::int64_t>(fp.partition_max_bytes, budget);
          if (limit > 0 || first_with_data) {
            auto read = part.log().read(fp.fetch_offset,
                                        static_cast<std::size_t>(std::max<std::int64_t>(limit, 0)),
                                        hw, first_with_data);
            if (!read) {
              pd.error_code = read.err().code() == errc::out_of_range
                                  ? kp::code(kp::error_code::offset_out_of_range)
                                  : kp::code(kp::error_code::kafka_storage_error);
            } else if (!read->records.empty()) {
              auto size = static_cast<std::int64_t>(read->records.size());
              record_buffers.push_back(std::move(read->records).take_bytes());
              pd.records = std::string_view(record_buffers.back());
              total += size;
              budget -= size;
              first_with_data = false;
              broker->topic_counter("BytesOutPerSec", r.t->name).inc(static_cast<double>(size));
              broker->topic_counter("BytesOutPerSec", "").inc(static_cast<double>(size));
            }
          }
          broker->topic_counter("TotalFetchRequestsPerSec", r.t->name).inc();
        }
        if (pd.error_code != 0) any_error = true;
        if (!pd.records) pd.records = std::string_view();
        // Without transactions nothing is aborted (read_committed sees the same data).
        pd.aborted_transactions =
            request.isolation_level == 1
                ? std::optional<std::vector<kp::fetch_response::aborted_transaction>>(std::in_place)
                : std::nullopt;
        out.partitions.push_back(std::move(pd));
      }
      response.responses.push_back(std::move(out));
    }
    return {std::move(response), total};
  }

  void answer(const kp::fetch_response& response) {
    std::string out;
    kp::encode_response_frame(out, correlation_id, version, response);
    responder(net::frame_reply::respond(std::move(out)));
  }
};

}  // namespace

void fetch_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::fetch_request>(ctx, responder);
  if (!request) return;

  auto job = std::make_shared<fetch_job>();
  job->version = ctx.version();
  job->correlation_id = ctx.frame.correlation_id();
  job->broker = &ctx.broker;
  job->responder = std::move(responder);
  job->request = std::move(*request);

  if (job->request.session_id != 0) {
    kp::fetch_response response;
    response.error_code = kp::code(kp::error_code::fetch_session_id_not_found);
    job->answer(response);
    return;
  }
  job->resolve();
  auto [response, bytes] = job->read_all();
  auto min_bytes = std::max(job->request.min_bytes, 1);
  // An error in any partition answers at once, as Kafka's delayed fetch does.
  if (bytes >= min_bytes || job->request.max_wait_ms <= 0 || job->any_error) {
    job->answer(response);
    return;
  }

  // Park: wake on an append to any fetched partition or when max_wait_ms passes.
  auto waiter = std::make_shared<append_notifier::waiter>();
  waiter->bytes_needed = min_bytes - bytes;
  std::vector<const partition*> watched;
  for (const auto& r : job->topics) {
    if (!r.t) continue;
    for (const auto& p : r.t->partitions) watched.push_back(p.get());
  }
  auto timer = std::make_shared<std::shared_ptr<net::io_runtime::timer>>();
  waiter->complete = [job, waiter_weak = std::weak_ptr(waiter), watched, timer] {
    if (*timer) (*timer)->cancel();
    if (auto w = waiter_weak.lock()) job->broker->appends.forget(watched, w);
    auto [again, unused] = job->read_all();
    job->answer(again);
  };
  for (const auto* p : watched) ctx.broker.appends.watch(p, waiter);
  *timer =
      ctx.broker.runtime->run_after(std::chrono::milliseconds(job->request.max_wait_ms), [waiter] {
        if (waiter->claim()) waiter->complete();
      });
}

}  // namespace wharf::broker::handlers

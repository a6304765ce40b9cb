// Fetch (key 1): reads whole record batches from each requested partition, parking the
// request (long poll) until min_bytes have arrived or max_wait_ms passes.
//
// Fetch sessions (KIP-227): epoch 0 opens a session with the request's partitions;
// later epochs send only changes (new or moved partitions, forgotten ones) and get back
// only partitions with news (records, an error, a moved high watermark or log start).
// Epoch -1 fetches without a session.
#include "kafka/protocol/generated/fetch.h"

#include <algorithm>

#include "broker/fetch_sessions.h"
#include "broker/handlers/handler.h"
#include "net/io_runtime.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

constexpr std::int32_t final_epoch = -1;
// Record sets at least this large go to the socket straight from the log's pages; smaller
// ones are cheaper to copy than to send as a separate piece.
constexpr std::size_t splice_min_bytes = 1024;

struct partition_plan {
  std::int32_t partition = 0;
  std::int64_t fetch_offset = 0;
  std::int32_t max_bytes = 0;
  session_partition* tracked = nullptr;  // the session's entry, when there is a session
};

struct topic_plan {
  std::string name;
  kp::uuid id{};
  std::shared_ptr<const topic> resolved;
  kp::error_code error = kp::error_code::none;
  std::vector<partition_plan> partitions;
};

// Everything a parked fetch needs after the request frame is gone.
struct fetch_job {
  std::int16_t version = 0;
  std::int32_t correlation_id = 0;
  std::int32_t max_bytes = 0;
  std::int8_t isolation_level = 0;
  broker_state* broker = nullptr;
  net::frame_responder responder;
  std::vector<topic_plan> plan;
  std::shared_ptr<fetch_session> session;
  std::int32_t response_session_id = 0;
  bool incremental = false;
  bool any_error = false;
  // Keeps the log pages each partition_data's records view alive until the response has
  // been written to the socket (the records are spliced in, not copied).
  std::shared_ptr<std::vector<std::shared_ptr<const void>>> record_owners;
  // The file ranges behind those views, so the writer can sendfile them.
  struct file_range {
    const char* data;
    std::size_t size;
    int fd;
    std::uint64_t offset;
  };
  std::vector<file_range> record_files;

  void resolve(topic_plan& tp) const {
    if (version >= 13) {
      tp.resolved = broker->topics->find(tp.id);
      if (!tp.resolved) tp.error = kp::error_code::unknown_topic_id;
    } else {
      tp.resolved = broker->topics->find(tp.name);
      if (!tp.resolved) tp.error = kp::error_code::unknown_topic_or_partition;
    }
  }

  // Reads every planned partition; returns the response and the record bytes in it.
  std::pair<kp::fetch_response, std::int64_t> read_all() {
    kp::fetch_response response;
    response.session_id = response_session_id;
    record_owners = std::make_shared<std::vector<std::shared_ptr<const void>>>();
    record_files.clear();
    any_error = false;
    std::int64_t total = 0;
    auto budget = static_cast<std::int64_t>(std::max(max_bytes, 0));
    bool first_with_data = true;
    for (const auto& tp : plan) {
      kp::fetch_response::fetchable_topic_response out;
      out.topic = tp.resolved ? tp.resolved->name : tp.name;
      out.topic_id = tp.resolved ? tp.resolved->id : tp.id;
      for (const auto& pp : tp.partitions) {
        kp::fetch_response::partition_data pd;
        pd.partition_index = pp.partition;
        pd.high_watermark = -1;
        pd.last_stable_offset = -1;
        pd.log_start_offset = -1;
        if (!tp.resolved) {
          pd.error_code = kp::code(tp.error);
        } else if (pp.partition < 0 ||
                   static_cast<std::size_t>(pp.partition) >= tp.resolved->partitions.size()) {
          pd.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
        } else {
          auto& part = *tp.resolved->partitions[static_cast<std::size_t>(pp.partition)];
          auto hw = part.high_watermark();
          auto lso = part.producers().last_stable_offset(hw);
          // read_committed reads up to the last stable offset only.
          auto upper = isolation_level == 1 ? lso : hw;
          pd.high_watermark = hw;
          pd.last_stable_offset = lso;
          pd.log_start_offset = part.log().log_start_offset();
          auto limit = std::min<std::int64_t>(pp.max_bytes, budget);
          if (limit > 0 || first_with_data) {
            auto read = part.log().read(pp.fetch_offset,
                                        static_cast<std::size_t>(std::max<std::int64_t>(limit, 0)),
                                        upper, first_with_data);
            if (!read) {
              pd.error_code = read.err().code() == errc::out_of_range
                                  ? kp::code(kp::error_code::offset_out_of_range)
                                  : kp::code(kp::error_code::kafka_storage_error);
            } else if (!read->records.empty()) {
              auto size = static_cast<std::int64_t>(read->records.size());
              record_owners->push_back(read->records.owner());
              if (read->records.fd() >= 0) {
                record_owners->push_back(read->records.file_owner());
                record_files.push_back({read->records.bytes().data(), read->records.size(),
                                        read->records.fd(), read->records.file_position()});
              }
              pd.records = read->records.bytes();
              if (isolation_level == 1) {
                // The aborted transactions the client must skip in what it got.
                pd.aborted_transactions.emplace();
                for (const auto& a :
                     part.producers().aborted_between(read->first_offset, read->next_offset)) {
                  kp::fetch_response::aborted_transaction at;
                  at.producer_id = a.producer_id;
                  at.first_offset = a.first_offset;
                  pd.aborted_transactions->push_back(at);
                }
              }
              total += size;
              budget -= size;
              first_with_data = false;
              broker->topic_counter("BytesOutPerSec", tp.resolved->name)
                  .inc(static_cast<double>(size));
              broker->topic_counter("BytesOutPerSec", "").inc(static_cast<double>(size));
            }
          }
          broker->topic_counter("TotalFetchRequestsPerSec", tp.resolved->name).inc();
        }
        if (pd.error_code != 0) any_error = true;
        bool has_records = pd.records && !pd.records->empty();
        if (pp.tracked) {
          bool news = has_records || pd.error_code != 0 ||
                      pd.high_watermark != pp.tracked->sent_high_watermark ||
                      pd.log_start_offset != pp.tracked->sent_log_start_offset;
          if (incremental && !news) continue;
          pp.tracked->sent_high_watermark = pd.high_watermark;
          pp.tracked->sent_log_start_offset = pd.log_start_offset;
        }
        if (!pd.records) pd.records = std::string_view();
        // read_committed always gets a list (empty without aborted data); read_uncommitted
        // gets null, as Kafka answers.
        if (isolation_level == 1) {
          if (!pd.aborted_transactions) pd.aborted_transactions.emplace();
        } else {
          pd.aborted_transactions = std::nullopt;
        }
        out.partitions.push_back(std::move(pd));
      }
      if (incremental && out.partitions.empty()) continue;
      response.responses.push_back(std::move(out));
    }
    return {std::move(response), total};
  }

  void answer(const kp::fetch_response& response) {
    std::string out;
    std::vector<byte_writer::splice> spliced;
    byte_writer writer(out);
    writer.splice_large_bytes(&spliced, splice_min_bytes);
    auto start = kp::begin_response_frame(writer, kp::api_key::fetch, version, correlation_id);
    response.encode(writer, version);
    kp::finish_frame(writer, start);
    for (auto& piece : spliced) {
      for (const auto& f : record_files) {
        if (piece.bytes.data() >= f.data &&
            piece.bytes.data() + piece.bytes.size() <= f.data + f.size) {
          piece.fd = f.fd;
          piece.file_offset = f.offset + static_cast<std::uint64_t>(piece.bytes.data() - f.data);
          break;
        }
      }
    }
    responder(net::frame_reply::respond_spliced(std::move(out), std::move(spliced),
                                                std::move(record_owners)));
  }

  void answer_error(kp::error_code code) {
    kp::fetch_response response;
    response.error_code = kp::code(code);
    answer(response);
  }
};

// The plan of a sessionless fetch, or of a full fetch that opens a session.
std::vector<topic_plan> plan_from_request(const kp::fetch_request& request) {
  std::vector<topic_plan> plan;
  for (const auto& ft : request.topics) {
    topic_plan tp;
    tp.name = ft.topic;
    tp.id = ft.topic_id;
    for (const auto& fp : ft.partitions) {
      tp.partitions.push_back({fp.partition, fp.fetch_offset, fp.partition_max_bytes, nullptr});
    }
    plan.push_back(std::move(tp));
  }
  return plan;
}

bool same_topic(const session_partition& sp, const std::string& name, const kp::uuid& id,
                bool by_id) {
  return by_id ? sp.topic_id == id : sp.topic == name;
}

// Applies a request's partitions and forgotten topics to the session's list.
void update_session(fetch_session& session, const kp::fetch_request& request, bool by_id) {
  for (const auto& ft : request.topics) {
    for (const auto& fp : ft.partitions) {
      auto it = std::find_if(
          session.partitions.begin(), session.partitions.end(), [&](const session_partition& sp) {
            return same_topic(sp, ft.topic, ft.topic_id, by_id) && sp.partition == fp.partition;
          });
      if (it == session.partitions.end()) {
        session_partition sp;
        sp.topic = ft.topic;
        sp.topic_id = ft.topic_id;
        sp.partition = fp.partition;
        session.partitions.push_back(sp);
        it = session.partitions.end() - 1;
      }
      it->fetch_offset = fp.fetch_offset;
      it->max_bytes = fp.partition_max_bytes;
    }
  }
  for (const auto& forgotten : request.forgotten_topics_data) {
    std::erase_if(session.partitions, [&](const session_partition& sp) {
      return same_topic(sp, forgotten.topic, forgotten.topic_id, by_id) &&
             std::find(forgotten.partitions.begin(), forgotten.partitions.end(), sp.partition) !=
                 forgotten.partitions.end();
    });
  }
}

// The plan over every partition of a session, grouped by topic in session order.
std::vector<topic_plan> plan_from_session(fetch_session& session) {
  std::vector<topic_plan> plan;
  for (auto& sp : session.partitions) {
    auto it = std::find_if(plan.begin(), plan.end(), [&](const topic_plan& tp) {
      return tp.name == sp.topic && tp.id == sp.topic_id;
    });
    if (it == plan.end()) {
      topic_plan tp;
      tp.name = sp.topic;
      tp.id = sp.topic_id;
      plan.push_back(std::move(tp));
      it = plan.end() - 1;
    }
    it->partitions.push_back({sp.partition, sp.fetch_offset, sp.max_bytes, &sp});
  }
  return plan;
}

}  // namespace

void fetch_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::fetch_request>(ctx, responder);
  if (!request) return;

  auto job = std::make_shared<fetch_job>();
  job->version = ctx.version();
  job->correlation_id = ctx.frame.correlation_id();
  job->broker = &ctx.broker;
  job->responder = std::move(responder);
  job->max_bytes = request->max_bytes;
  job->isolation_level = request->isolation_level;
  bool by_id = ctx.version() >= 13;
  auto& sessions = *ctx.broker.fetch_sessions;

  // Sessions exist from v7; older requests are always full and sessionless.
  if (ctx.version() < 7 || request->session_epoch == final_epoch) {
    if (ctx.version() >= 7 && request->session_id != 0) sessions.remove(request->session_id);
    job->plan = plan_from_request(*request);
  } else if (request->session_epoch == 0) {
    if (request->session_id != 0) sessions.remove(request->session_id);
    job->session = sessions.create();
    if (job->session) {
      update_session(*job->session, *request, by_id);
      job->response_session_id = job->session->id;
      job->plan = plan_from_session(*job->session);
    } else {
      job->plan = plan_from_request(*request);
    }
  } else {
    job->session = sessions.find(request->session_id);
    if (!job->session) {
      job->answer_error(kp::error_code::fetch_session_id_not_found);
      return;
    }
    if (job->session->next_epoch != request->session_epoch) {
      job->answer_error(kp::error_code::invalid_fetch_session_epoch);
      return;
    }
    job->session->next_epoch = request->session_epoch == INT32_MAX ? 1 : request->session_epoch + 1;
    update_session(*job->session, *request, by_id);
    job->response_session_id = job->session->id;
    job->incremental = true;
    job->plan = plan_from_session(*job->session);
  }
  if (job->session && request->session_epoch == 0) job->session->next_epoch = 1;
  for (auto& tp : job->plan) job->resolve(tp);

  auto [response, bytes] = job->read_all();
  auto min_bytes = std::max(request->min_bytes, 1);
  // An error in any partition answers at once, as Kafka's delayed fetch does.
  if (bytes >= min_bytes || request->max_wait_ms <= 0 || job->any_error) {
    job->answer(response);
    return;
  }

  // Park: wake on an append to any fetched partition or when max_wait_ms passes.
  auto waiter = std::make_shared<append_notifier::waiter>();
  waiter->bytes_needed = min_bytes - bytes;
  std::vector<const partition*> watched;
  for (const auto& tp : job->plan) {
    if (!tp.resolved) continue;
    for (const auto& p : tp.resolved->partitions) watched.push_back(p.get());
  }
  auto timer = std::make_shared<std::shared_ptr<net::io_runtime::timer>>();
  waiter->complete = [job, waiter_weak = std::weak_ptr(waiter), watched, timer] {
    if (*timer) (*timer)->cancel();
    if (auto w = waiter_weak.lock()) job->broker->appends.forget(watched, w);
    auto [again, unused] = job->read_all();
    job->answer(again);
  };
  for (const auto* p : watched) ctx.broker.appends.watch(p, waiter);
  *timer = ctx.broker.runtime->run_after(std::chrono::milliseconds(request->max_wait_ms), [waiter] {
    if (waiter->claim()) waiter->complete();
  });
}

}  // namespace wharf::broker::handlers

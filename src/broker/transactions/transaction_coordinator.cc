#include "broker/transactions/transaction_coordinator.h"

#include <algorithm>
#include <array>

#include "base/bytes.h"
#include "base/logging.h"
#include "broker/broker_state.h"
#include "kafka/records/batch.h"
#include "kafka/records/builder.h"
#include "kafka/records/record.h"

namespace wharf::broker {

namespace kp = kafka::protocol;
namespace kr = kafka::records;
using kp::error_code;

namespace {

constexpr std::array<std::string_view, 8> status_names = {
    "Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence"};

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void write_short_string(byte_writer& out, std::string_view s) {
  out.write_int16(static_cast<std::int16_t>(s.size()));
  out.write_bytes(s);
}

std::optional<std::string> read_short_string(byte_reader& in) {
  auto n = in.read_int16();
  if (n < 0) return std::nullopt;
  auto bytes = in.read_bytes(static_cast<std::size_t>(n));
  if (!in.ok()) return std::nullopt;
  return std::string(bytes);
}

bool is_open(transaction_status s) {
  return s == transaction_status::ongoing || s == transaction_status::prepare_commit ||
         s == transaction_status::prepare_abort;
}

}  // namespace

std::string_view transaction_status_name(transaction_status status) {
  auto i = static_cast<std::size_t>(status);
  return i < status_names.size() ? status_names[i] : "Unknown";
}

std::optional<transaction_status> parse_transaction_status(std::string_view name) {
  for (std::size_t i = 0; i < status_names.size(); ++i) {
    if (status_names[i] == name) return static_cast<transaction_status>(i);
  }
  return std::nullopt;
}

std::int32_t internal_topic_partition_for(std::string_view key, std::int32_t partitions) {
  // Java's String.hashCode runs over UTF-16 code units.
  std::int32_t hash = 0;
  auto mix = [&hash](std::uint32_t unit) {
    hash = static_cast<std::int32_t>(static_cast<std::uint32_t>(hash) * 31u + unit);
  };
  for (std::size_t i = 0; i < key.size();) {
    auto c = static_cast<unsigned char>(key[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xf0 && i + 3 < key.size()) {
      cp = ((c & 0x07u) << 18) | ((key[i + 1] & 0x3fu) << 12) | ((key[i + 2] & 0x3fu) << 6) |
           (key[i + 3] & 0x3fu);
      len = 4;
    } else if (c >= 0xe0 && i + 2 < key.size()) {
      cp = ((c & 0x0fu) << 12) | ((key[i + 1] & 0x3fu) << 6) | (key[i + 2] & 0x3fu);
      len = 3;
    } else if (c >= 0xc0 && i + 1 < key.size()) {
      cp = ((c & 0x1fu) << 6) | (key[i + 1] & 0x3fu);
      len = 2;
    }
    if (cp > 0xffff) {
      cp -= 0x10000;
      mix(0xd800 + (cp >> 10));
      mix(0xdc00 + (cp & 0x3ff));
    } else {
      mix(cp);
    }
    i += len;
  }
  // Kafka's Utils.abs: MIN_VALUE maps to 0.
  std::int32_t positive = hash == INT32_MIN ? 0 : (hash < 0 ? -hash : hash);
  return partitions > 0 ? positive % partitions : 0;
}

std::string encode_transaction_log_key(std::string_view transactional_id) {
  std::string out;
  byte_writer w(out);
  w.write_int16(0);
  write_short_string(w, transactional_id);
  return out;
}

std::string encode_transaction_log_value(const transaction_metadata& m) {
  std::string out;
  byte_writer w(out);
  w.write_int16(0);
  w.write_int64(m.producer_id);
  w.write_int16(m.producer_epoch);
  w.write_int32(m.timeout_ms);
  w.write_int8(static_cast<std::int8_t>(m.status));
  // Partitions grouped by topic.
  std::map<std::string, std::vector<std::int32_t>> by_topic;
  for (const auto& tp : m.partitions) by_topic[tp.topic].push_back(tp.partition);
  w.write_int32(static_cast<std::int32_t>(by_topic.size()));
  for (const auto& [topic, parts] : by_topic) {
    write_short_string(w, topic);
    w.write_int32(static_cast<std::int32_t>(parts.size()));
    for (auto p : parts) w.write_int32(p);
  }
  w.write_int64(m.last_update_ms);
  w.write_int64(m.start_ms);
  // Wharf's extension: the groups of the transaction and their staged offsets.
  w.write_int32(static_cast<std::int32_t>(m.group_offsets.size()));
  for (const auto& [group, offsets] : m.group_offsets) {
    write_short_string(w, group);
    w.write_int32(static_cast<std::int32_t>(offsets.size()));
    for (const auto& o : offsets) {
      write_short_string(w, o.topic);
      w.write_int32(o.partition);
      w.write_int64(o.offset);
      w.write_int32(o.leader_epoch);
      if (o.metadata) {
        write_short_string(w, *o.metadata);
      } else {
        w.write_int16(-1);
      }
    }
  }
  return out;
}

std::optional<std::string> decode_transaction_log_key(std::string_view key) {
  byte_reader in(key);
  if (in.read_int16() != 0) return std::nullopt;
  auto id = read_short_string(in);
  if (!in.ok()) return std::nullopt;
  return id;
}

std::optional<transaction_metadata> decode_transaction_log_value(std::string_view value) {
  byte_reader in(value);
  auto version = in.read_int16();
  if (version != 0 || !in.ok()) return std::nullopt;
  transaction_metadata m;
  m.producer_id = in.read_int64();
  m.producer_epoch = in.read_int16();
  m.timeout_ms = in.read_int32();
  auto status = in.read_int8();
  if (status < 0 || status > 7) return std::nullopt;
  m.status = static_cast<transaction_status>(status);
  auto topics = in.read_int32();
  for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
    auto topic = read_short_string(in);
    auto count = in.read_int32();
    if (!topic || count < 0) return std::nullopt;
    for (std::int32_t p = 0; p < count && in.ok(); ++p)
      m.partitions.insert({*topic, in.read_int32()});
  }
  m.last_update_ms = in.read_int64();
  m.start_ms = in.read_int64();
  if (!in.ok()) return std::nullopt;
  if (in.at_end()) return m;  // written by Kafka: no Wharf extension
  auto groups = in.read_int32();
  for (std::int32_t g = 0; g < groups && in.ok(); ++g) {
    auto group = read_short_string(in);
    auto count = in.read_int32();
    if (!group || count < 0) return std::nullopt;
    auto& offsets = m.group_offsets[*group];
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
      pending_offset o;
      auto topic = read_short_string(in);
      if (!topic) return std::nullopt;
      o.topic = *topic;
      o.partition = in.read_int32();
      o.offset = in.read_int64();
      o.leader_epoch = in.read_int32();
      auto meta_len = in.read_int16();
      if (meta_len >= 0)
        o.metadata = std::string(in.read_bytes(static_cast<std::size_t>(meta_len)));
      offsets.push_back(std::move(o));
    }
  }
  if (!in.ok()) return std::nullopt;
  return m;
}

result<std::unique_ptr<transaction_coordinator>> transaction_coordinator::open(
    broker_state& broker, transaction_coordinator_options options, offsets_committer committer) {
  std::unique_ptr<transaction_coordinator> c(
      new transaction_coordinator(broker, options, std::move(committer)));
  WHARF_RETURN_IF_ERROR(c->replay());
  return c;
}

status transaction_coordinator::replay() {
  auto topic = broker_.topics->find(std::string(transaction_state_topic));
  if (!topic) return {};
  for (const auto& part : topic->partitions) {
    auto& log = part->log();
    auto offset = log.log_start_offset();
    auto end = log.log_end_offset();
    while (offset < end) {
      auto read = log.read(offset, 4 << 20, INT64_MAX, true);
      if (!read) return read.err();
      if (read->records.empty()) break;
      kr::batch_reader batches(read->records.bytes());
      while (true) {
        auto batch = batches.next();
        if (!batch.ok() || !batch->has_value()) break;
        if ((*batch)->header().is_control()) continue;
        kr::record_reader records(**batch);
        while (true) {
          auto rec = records.next();
          if (!rec.ok() || !rec->has_value()) break;
          if (!(*rec)->key) continue;
          auto id = decode_transaction_log_key(*(*rec)->key);
          if (!id) continue;
          if (!(*rec)->value) {
            transactions_.erase(*id);
            continue;
          }
          auto m = decode_transaction_log_value(*(*rec)->value);
          if (!m) {
            logging::get("broker")->warn("{}: unreadable state of transactional id {}",
                                         transaction_state_topic, *id);
            continue;
          }
          m->transactional_id = *id;
          transactions_[*id] = std::move(*m);
        }
      }
      if (read->next_offset <= offset) break;
      offset = read->next_offset;
    }
  }
  std::lock_guard lock(mutex_);
  auto now = wall_ms();
  for (auto& [id, m] : transactions_) {
    by_producer_id_[m.producer_id] = id;
    if (m.status == transaction_status::prepare_commit ||
        m.status == transaction_status::prepare_abort) {
      logging::get("broker")->info("finishing transaction {} left in {}", id,
                                   transaction_status_name(m.status));
      complete_locked(m, m.status == transaction_status::prepare_commit, now);
    }
  }
  if (!transactions_.empty()) {
    logging::get("broker")->info("loaded {} transactional ids from {}", transactions_.size(),
                                 transaction_state_topic);
  }
  return {};
}

status transaction_coordinator::persist_locked(const transaction_metadata& m) {
  auto topic = broker_.topics->find(std::string(transaction_state_topic));
  if (!topic) {
    topic_manager::create_spec spec;
    spec.name = std::string(transaction_state_topic);
    spec.partitions = options_.state_partitions;
    spec.configs = {{"cleanup.policy", "compact"},
                    {"segment.bytes", "104857600"},
                    {"min.insync.replicas", "1"}};
    auto created = broker_.topics->create(spec);
    if (!created) {
      // Another request may have created it meanwhile.
      topic = broker_.topics->find(std::string(transaction_state_topic));
      if (!topic) {
        return make_error(errc::io_error, "cannot create {}: {}", transaction_state_topic,
                          created.err().message);
      }
    } else {
      topic = *created;
    }
  }
  auto index = internal_topic_partition_for(m.transactional_id,
                                            static_cast<std::int32_t>(topic->partitions.size()));
  auto& part = *topic->partitions[static_cast<std::size_t>(index)];
  kr::batch_options options;
  kr::batch_builder builder(options);
  auto key = encode_transaction_log_key(m.transactional_id);
  std::optional<std::string> value;
  if (m.status != transaction_status::dead) value = encode_transaction_log_value(m);
  builder.append(wall_ms(), key, value ? std::optional<std::string_view>(*value) : std::nullopt);
  auto batch = std::move(builder).build();
  if (!batch.ok()) return make_error(errc::internal, "{}", batch.err().message());
  std::lock_guard produce_lock(part.produce_mutex());
  auto appended = part.log().append(*batch);
  if (!appended) return appended.err();
  broker_.appends.notify(&part, static_cast<std::int64_t>(batch->size()));
  return {};
}

status transaction_coordinator::write_marker(const topic_partition& tp, std::int64_t producer_id,
                                             std::int16_t epoch, bool commit, std::int64_t now_ms) {
  auto topic = broker_.topics->find(tp.topic);
  if (!topic || tp.partition < 0 ||
      static_cast<std::size_t>(tp.partition) >= topic->partitions.size()) {
    return {};  // deleted meanwhile: nothing to mark
  }
  auto& part = *topic->partitions[static_cast<std::size_t>(tp.partition)];
  kr::end_txn_marker_options marker;
  marker.commit = commit;
  marker.producer_id = producer_id;
  marker.producer_epoch = epoch;
  marker.timestamp_ms = now_ms;
  auto batch = kr::build_end_txn_marker_batch(marker);
  std::lock_guard produce_lock(part.produce_mutex());
  auto appended = part.log().append(batch);
  if (!appended) return appended.err();
  part.producers().end_transaction(producer_id, epoch, commit, appended->base_offset);
  broker_.appends.notify(&part, static_cast<std::int64_t>(batch.size()));
  return {};
}

error_code transaction_coordinator::complete_locked(transaction_metadata& m, bool commit,
                                                    std::int64_t now_ms) {
  auto log = logging::get("broker");
  m.status = commit ? transaction_status::prepare_commit : transaction_status::prepare_abort;
  m.last_update_ms = now_ms;
  if (auto st = persist_locked(m); !st) {
    log->error("transaction {}: cannot record {}: {}", m.transactional_id,
               transaction_status_name(m.status), st.err().message());
    return error_code::kafka_storage_error;
  }
  for (const auto& tp : m.partitions) {
    if (tp.topic == "__consumer_offsets") continue;  // offsets are applied below
    if (auto st = write_marker(tp, m.producer_id, m.producer_epoch, commit, now_ms); !st) {
      // Left in Prepare*: the next start finishes it; the client may retry meanwhile.
      log->error("transaction {}: cannot write the marker to {}-{}: {}", m.transactional_id,
                 tp.topic, tp.partition, st.err().message());
      return error_code::kafka_storage_error;
    }
  }
  if (committer_) {
    for (const auto& [group, offsets] : m.group_offsets) {
      committer_(group, m.producer_id, offsets, commit);
    }
  }
  m.status = commit ? transaction_status::complete_commit : transaction_status::complete_abort;
  m.partitions.clear();
  m.group_offsets.clear();
  m.last_update_ms = now_ms;
  if (auto st = persist_locked(m); !st) {
    log->error("transaction {}: cannot record {}: {}", m.transactional_id,
               transaction_status_name(m.status), st.err().message());
  }
  return error_code::none;
}

transaction_coordinator::producer_identity transaction_coordinator::init_producer_id(
    const std::string& transactional_id, std::int32_t timeout_ms, std::int64_t expected_producer_id,
    std::int16_t expected_epoch) {
  producer_identity out;
  if (transactional_id.empty()) {
    out.error = error_code::invalid_request;
    return out;
  }
  if (timeout_ms <= 0 || timeout_ms > options_.max_timeout.count()) {
    out.error = error_code::invalid_transaction_timeout;
    return out;
  }
  std::lock_guard lock(mutex_);
  auto now = wall_ms();
  auto it = transactions_.find(transactional_id);
  if (it == transactions_.end()) {
    auto id = broker_.producer_ids->next();
    if (!id) {
      out.error = error_code::kafka_storage_error;
      return out;
    }
    transaction_metadata m;
    m.transactional_id = transactional_id;
    m.producer_id = *id;
    m.producer_epoch = 0;
    m.timeout_ms = timeout_ms;
    m.last_update_ms = now;
    if (!persist_locked(m)) {
      out.error = error_code::kafka_storage_error;
      return out;
    }
    by_producer_id_[m.producer_id] = transactional_id;
    out.producer_id = m.producer_id;
    out.producer_epoch = m.producer_epoch;
    transactions_.emplace(transactional_id, std::move(m));
    return out;
  }
  auto& m = it->second;
  // KIP-360: a producer re-initialising names its current id and epoch; a stale one is fenced.
  if (expected_producer_id >= 0 &&
      (expected_producer_id != m.producer_id || expected_epoch != m.producer_epoch)) {
    out.error = error_code::producer_fenced;
    return out;
  }
  if (is_open(m.status)) {
    // Fence the previous producer: its open transaction is aborted under a new epoch, so
    // its late batches are refused.
    if (m.producer_epoch < INT16_MAX - 1) ++m.producer_epoch;
    auto aborted = complete_locked(m, false, now);
    if (aborted != error_code::none) {
      out.error = aborted;
      return out;
    }
  }
  if (m.producer_epoch >= INT16_MAX - 1) {
    // Epochs are exhausted: a new producer id starts again at epoch 0.
    auto id = broker_.producer_ids->next();
    if (!id) {
      out.error = error_code::kafka_storage_error;
      return out;
    }
    by_producer_id_.erase(m.producer_id);
    m.producer_id = *id;
    m.producer_epoch = 0;
    by_producer_id_[m.producer_id] = transactional_id;
  } else {
    ++m.producer_epoch;
  }
  m.timeout_ms = timeout_ms;
  m.status = transaction_status::empty;
  m.partitions.clear();
  m.group_offsets.clear();
  m.start_ms = -1;
  m.last_update_ms = now;
  if (!persist_locked(m)) {
    out.error = error_code::kafka_storage_error;
    return out;
  }
  out.producer_id = m.producer_id;
  out.producer_epoch = m.producer_epoch;
  return out;
}

error_code transaction_coordinator::check_producer_locked(const transaction_metadata* m,
                                                          std::int64_t producer_id,
                                                          std::int16_t epoch) const {
  if (!m || m->producer_id != producer_id) return error_code::invalid_producer_id_mapping;
  if (epoch != m->producer_epoch) return error_code::producer_fenced;
  if (m->status == transaction_status::prepare_commit ||
      m->status == transaction_status::prepare_abort) {
    return error_code::concurrent_transactions;
  }
  return error_code::none;
}

transaction_coordinator::add_partitions_result transaction_coordinator::add_partitions(
    const std::string& transactional_id, std::int64_t producer_id, std::int16_t epoch,
    const std::vector<topic_partition>& partitions, bool verify_only) {
  add_partitions_result out;
  std::lock_guard lock(mutex_);
  auto it = transactions_.find(transactional_id);
  auto* m = it == transactions_.end() ? nullptr : &it->second;
  out.error = check_producer_locked(m, producer_id, epoch);
  if (out.error != error_code::none) return out;
  bool any_unknown = false;
  for (const auto& tp : partitions) {
    auto topic = broker_.topics->find(tp.topic);
    bool known = topic && tp.partition >= 0 &&
                 static_cast<std::size_t>(tp.partition) < topic->partitions.size();
    out.partitions[tp] = known ? error_code::none : error_code::unknown_topic_or_partition;
    any_unknown |= !known;
  }
  if (verify_only) {
    for (auto& [tp, code] : out.partitions) {
      if (code == error_code::none && !m->partitions.contains(tp)) {
        code = error_code::invalid_txn_state;
      }
    }
    return out;
  }
  if (any_unknown) {
    for (auto& [tp, code] : out.partitions) {
      if (code == error_code::none) code = error_code::operation_not_attempted;
    }
    return out;
  }
  auto now = wall_ms();
  bool changed = false;
  for (const auto& tp : partitions) changed |= m->partitions.insert(tp).second;
  if (m->status != transaction_status::ongoing) {
    m->status = transaction_status::ongoing;
    m->start_ms = now;
    changed = true;
  }
  if (changed) {
    m->last_update_ms = now;
    if (!persist_locked(*m)) {
      for (auto& [tp, code] : out.partitions) code = error_code::kafka_storage_error;
    }
  }
  return out;
}

error_code transaction_coordinator::add_offsets(const std::string& transactional_id,
                                                std::int64_t producer_id, std::int16_t epoch,
                                                const std::string& group_id) {
  std::lock_guard lock(mutex_);
  auto it = transactions_.find(transactional_id);
  auto* m = it == transactions_.end() ? nullptr : &it->second;
  if (auto code = check_producer_locked(m, producer_id, epoch); code != error_code::none) {
    return code;
  }
  auto now = wall_ms();
  m->partitions.insert(
      {"__consumer_offsets", internal_topic_partition_for(group_id, options_.offsets_partitions)});
  m->group_offsets.try_emplace(group_id);
  if (m->status != transaction_status::ongoing) {
    m->status = transaction_status::ongoing;
    m->start_ms = now;
  }
  m->last_update_ms = now;
  return persist_locked(*m) ? error_code::none : error_code::kafka_storage_error;
}

error_code transaction_coordinator::stage_offsets(const std::string& transactional_id,
                                                  std::int64_t producer_id, std::int16_t epoch,
                                                  const std::string& group_id,
                                                  const std::vector<pending_offset>& offsets) {
  std::lock_guard lock(mutex_);
  auto it = transactions_.find(transactional_id);
  auto* m = it == transactions_.end() ? nullptr : &it->second;
  if (auto code = check_producer_locked(m, producer_id, epoch); code != error_code::none) {
    return code;
  }
  auto group = m->group_offsets.find(group_id);
  if (m->status != transaction_status::ongoing || group == m->group_offsets.end()) {
    return error_code::invalid_txn_state;  // AddOffsetsToTxn first
  }
  for (const auto& o : offsets) {
    auto same = std::find_if(group->second.begin(), group->second.end(), [&](const auto& p) {
      return p.topic == o.topic && p.partition == o.partition;
    });
    if (same != group->second.end()) {
      *same = o;
    } else {
      group->second.push_back(o);
    }
  }
  m->last_update_ms = wall_ms();
  return persist_locked(*m) ? error_code::none : error_code::kafka_storage_error;
}

error_code transaction_coordinator::end_transaction(const std::string& transactional_id,
                                                    std::int64_t producer_id, std::int16_t epoch,
                                                    bool commit) {
  std::lock_guard lock(mutex_);
  auto it = transactions_.find(transactional_id);
  auto* m = it == transactions_.end() ? nullptr : &it->second;
  if (auto code = check_producer_locked(m, producer_id, epoch); code != error_code::none) {
    return code;
  }
  switch (m->status) {
    case transaction_status::ongoing: return complete_locked(*m, commit, wall_ms());
    case transaction_status::complete_commit:
      // A retry of the EndTxn that completed it.
      return commit ? error_code::none : error_code::invalid_txn_state;
    case transaction_status::complete_abort:
      return commit ? error_code::invalid_txn_state : error_code::none;
    default: return error_code::invalid_txn_state;
  }
}

error_code transaction_coordinator::verify_produce(std::int64_t producer_id, std::int16_t epoch,
                                                   const std::string& topic,
                                                   std::int32_t partition) {
  std::lock_guard lock(mutex_);
  auto id = by_producer_id_.find(producer_id);
  if (id == by_producer_id_.end()) return error_code::invalid_producer_id_mapping;
  const auto& m = transactions_.at(id->second);
  if (epoch < m.producer_epoch) return error_code::invalid_producer_epoch;
  if (m.status != transaction_status::ongoing || !m.partitions.contains({topic, partition})) {
    return error_code::invalid_txn_state;
  }
  return error_code::none;
}

void transaction_coordinator::abort_timed_out(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  for (auto& [id, m] : transactions_) {
    if (m.status != transaction_status::ongoing || m.start_ms < 0) continue;
    if (now_ms - m.start_ms <= m.timeout_ms) continue;
    logging::get("broker")->info(
        "aborting transaction {} (producer id {}): open longer than its timeout of {} ms", id,
        m.producer_id, m.timeout_ms);
    // The epoch bump fences the producer that let it time out.
    if (m.producer_epoch < INT16_MAX - 1) ++m.producer_epoch;
    complete_locked(m, false, now_ms);
  }
}

std::optional<transaction_metadata> transaction_coordinator::describe(
    const std::string& transactional_id) const {
  std::lock_guard lock(mutex_);
  auto it = transactions_.find(transactional_id);
  if (it == transactions_.end()) return std::nullopt;
  return it->second;
}

std::vector<transaction_metadata> transaction_coordinator::list() const {
  std::lock_guard lock(mutex_);
  std::vector<transaction_metadata> out;
  out.reserve(transactions_.size());
  for (const auto& [id, m] : transactions_) out.push_back(m);
  return out;
}

}  // namespace wharf::broker

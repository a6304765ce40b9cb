#include "broker/topic_manager.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "base/logging.h"
#include "broker/topic_names.h"

namespace wharf::broker {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using kafka::protocol::error_code;

constexpr char base64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool parse_int32(const std::string& text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  try {
    std::size_t used = 0;
    out = std::stoll(text, &used);
    return used == text.size() && out >= min && out <= max;
  } catch (...) {
    return false;
  }
}

}  // namespace

std::string format_topic_id(const topic_id& id) {
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (auto b : id) {
    bits = (bits << 8) | b;
    count += 8;
    while (count >= 6) {
      out += base64url[(bits >> (count - 6)) & 0x3f];
      count -= 6;
    }
  }
  if (count > 0) out += base64url[(bits << (6 - count)) & 0x3f];
  return out;
}

std::optional<topic_id> parse_topic_id(std::string_view text) {
  if (text.size() != 22) return std::nullopt;
  topic_id id{};
  unsigned bits = 0;
  int count = 0;
  std::size_t n = 0;
  for (char c : text) {
    const char* p = std::strchr(base64url, c);
    if (!p || c == '\0') return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(p - base64url);
    count += 6;
    if (count >= 8) {
      if (n < id.size()) id[n++] = static_cast<std::uint8_t>((bits >> (count - 8)) & 0xff);
      count -= 8;
    }
  }
  return n == id.size() ? std::optional<topic_id>(id) : std::nullopt;
}

topic_id new_topic_id() {
  topic_id id{};
  while (true) {
    if (getrandom(id.data(), id.size(), 0) != static_cast<ssize_t>(id.size())) {
      for (auto& b : id) b = static_cast<std::uint8_t>(std::rand());
    }
    // Kafka reserves the all-zero id and the one with only the last bit set.
    bool zero = true;
    for (std::size_t i = 0; i + 1 < id.size(); ++i) zero = zero && id[i] == 0;
    if (!zero || id.back() > 1) return id;
  }
}

const std::map<std::string, std::string>& non_log_topic_config_defaults() {
  static const std::map<std::string, std::string> defaults = {
      {"compression.type", "producer"},
      {"max.message.bytes", "1048588"},
      {"min.insync.replicas", "1"},
      {"unclean.leader.election.enable", "false"},
      {"preallocate", "false"},
      {"message.timestamp.before.max.ms", "9223372036854775807"},
      {"message.timestamp.after.max.ms", "3600000"},
      {"compression.gzip.level", "-1"},
      {"compression.lz4.level", "9"},
      {"compression.zstd.level", "3"},
      {"remote.log.copy.disable", "false"},
      {"remote.log.delete.on.disable", "false"},
      {"segment.jitter.ms", "0"},
      {"follower.replication.throttled.replicas", ""},
      {"leader.replication.throttled.replicas", ""},
      {"remote.storage.enable", "false"},
      {"local.retention.ms", "-2"},
      {"local.retention.bytes", "-2"},
      {"file.delete.delay.ms", "60000"},
      {"max.compaction.lag.ms", "9223372036854775807"},
  };
  return defaults;
}

topic_manager::topic_manager(fs::path data_dir, topic_defaults defaults)
    : data_dir_(std::move(data_dir)), defaults_(std::move(defaults)) {}

topic_manager::~topic_manager() { close_all(); }

api_result<topic> topic_manager::build_config(
    const std::string& name, const std::map<std::string, std::string>& overrides) const {
  topic t;
  t.name = name;
  t.log = defaults_.log;
  t.overrides = overrides;
  t.internal = is_internal_topic(name);
  const auto& others = non_log_topic_config_defaults();
  for (const auto& [key, value] : overrides) {
    auto st = storage::set_log_config(t.log, key, value);
    if (st) continue;
    if (st.err().code() != errc::not_found) {
      return make_api_error(error_code::invalid_config, "Invalid value {} for configuration {}: {}",
                            value, key, st.err().message());
    }
    if (!others.count(key)) {
      return make_api_error(error_code::invalid_config, "Unknown topic config name: {}", key);
    }
    std::int64_t number = 0;
    if (key == "max.message.bytes") {
      if (!parse_int32(value, 0, INT32_MAX, number)) {
        return make_api_error(error_code::invalid_config,
                              "Invalid value {} for configuration max.message.bytes", value);
      }
      t.max_message_bytes = static_cast<std::int32_t>(number);
    } else if (key == "min.insync.replicas") {
      if (!parse_int32(value, 1, INT32_MAX, number)) {
        return make_api_error(error_code::invalid_config,
                              "Invalid value {} for configuration min.insync.replicas", value);
      }
    } else if (key == "message.timestamp.before.max.ms" ||
               key == "message.timestamp.after.max.ms") {
      if (!parse_int32(value, 0, INT64_MAX, number)) {
        return make_api_error(error_code::invalid_config, "Invalid value {} for configuration {}",
                              value, key);
      }
      (key == "message.timestamp.before.max.ms" ? t.timestamp_before_max_ms
                                                : t.timestamp_after_max_ms) = number;
    } else if (key == "compression.type") {
      static const std::set<std::string> codecs = {"producer", "uncompressed", "gzip",
                                                   "snappy",   "lz4",          "zstd"};
      if (!codecs.count(value)) {
        return make_api_error(error_code::invalid_config,
                              "Invalid value {} for configuration compression.type", value);
      }
    }
  }
  if (auto st = storage::validate_log_config(t.log); !st) {
    return make_api_error(error_code::invalid_config, "{}", st.err().message());
  }
  return t;
}

result<std::shared_ptr<partition>> topic_manager::open_partition(
    const std::string& topic, std::int32_t index, const storage::log_config& config) const {
  auto dir = data_dir_ / fmt::format("{}-{}", topic, index);
  WHARF_ASSIGN_OR_RETURN(auto log, storage::partition_log::open(dir, config));
  auto part = std::make_shared<partition>(topic, index, std::move(log));
  part->producers().rebuild(part->log());
  return part;
}

result<std::unique_ptr<topic_manager>> topic_manager::open(fs::path data_dir,
                                                           topic_defaults defaults) {
  std::unique_ptr<topic_manager> manager(
      new topic_manager(std::move(data_dir), std::move(defaults)));
  auto path = manager->data_dir_ / "topics.json";
  if (!fs::exists(path)) return manager;

  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code ec;
  auto doc = json::parse(buffer.str(), ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("topics")) {
    return make_error(errc::parse_error, "{} is not a valid topic list: {}", path.string(),
                      ec ? ec.message() : "missing \"topics\"");
  }
  auto log = logging::get("broker");
  for (const auto& entry : doc.at("topics").as_array()) {
    const auto& obj = entry.as_object();
    std::string name(obj.at("name").as_string());
    auto id = parse_topic_id(obj.at("id").as_string());
    auto count = obj.at("partitions").to_number<std::int32_t>();
    std::map<std::string, std::string> overrides;
    if (auto* configs = obj.if_contains("configs")) {
      for (const auto& [k, v] : configs->as_object()) overrides[k] = std::string(v.as_string());
    }
    if (!id || count < 1) {
      return make_error(errc::parse_error, "{}: bad entry for topic {}", path.string(), name);
    }
    auto built = manager->build_config(name, overrides);
    if (!built) {
      return make_error(errc::invalid_argument, "{}: topic {}: {}", path.string(), name,
                        built.err().message);
    }
    auto t = std::move(*built);
    t.id = *id;
    for (std::int32_t p = 0; p < count; ++p) {
      WHARF_ASSIGN_OR_RETURN(auto part, manager->open_partition(name, p, t.log));
      const auto& recovery = part->log().last_recovery();
      if (!recovery.clean_shutdown) {
        log->warn(
            "{}-{}: recovered after an unclean stop ({} segments checked, {} bytes of torn tail "
            "cut)",
            name, p, recovery.segments_scanned, recovery.bytes_truncated);
      }
      t.partitions.push_back(std::move(part));
    }
    manager->topics_[name] = std::make_shared<const topic>(std::move(t));
  }
  return manager;
}

status topic_manager::persist_locked() const {
  json::array list;
  for (const auto& [name, t] : topics_) {
    json::object configs;
    for (const auto& [k, v] : t->overrides) configs[k] = v;
    list.push_back(json::object{{"name", t->name},
                                {"id", format_topic_id(t->id)},
                                {"partitions", t->partitions.size()},
                                {"configs", std::move(configs)}});
  }
  auto text = json::serialize(json::object{{"version", 1}, {"topics", std::move(list)}});
  // Write, fsync, rename, fsync the directory: the list is either old or new after a crash.
  auto tmp = data_dir_ / "topics.json.tmp";
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return make_error(errc::io_error, "cannot write {}", tmp.string());
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fflush(f) == 0 && ok;
    ok = ::fsync(fileno(f)) == 0 && ok;
    ok = std::fclose(f) == 0 && ok;
    if (!ok) return make_error(errc::io_error, "cannot write {}", tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, data_dir_ / "topics.json", ec);
  if (ec) return make_error(errc::io_error, "cannot replace topics.json: {}", ec.message());
  if (int dir = ::open(data_dir_.c_str(), O_RDONLY | O_DIRECTORY); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

api_result<std::shared_ptr<const topic>> topic_manager::create(const create_spec& spec) {
  if (auto st = validate_topic_name(spec.name); !st) {
    return api_error{error_code::invalid_topic_exception, st.err().message()};
  }
  if (spec.partitions == 0 || spec.partitions < -1) {
    return make_api_error(error_code::invalid_partitions,
                          "Number of partitions was set to an invalid non-positive value.");
  }
  if (spec.replication_factor == 0 || spec.replication_factor < -1) {
    return make_api_error(error_code::invalid_replication_factor,
                          "Replication factor must be larger than 0, or -1 to use the default "
                          "value.");
  }
  if (spec.replication_factor > 1) {
    return make_api_error(error_code::invalid_replication_factor,
                          "Unable to replicate the partition {} time(s): The target replication "
                          "factor of {} cannot be reached because only 1 broker(s) are registered.",
                          spec.replication_factor, spec.replication_factor);
  }
  auto built = build_config(spec.name, spec.configs);
  if (!built) return built.err();
  auto t = std::move(*built);
  auto count = spec.partitions == -1 ? defaults_.partitions : spec.partitions;

  std::lock_guard change(change_mutex_);
  {
    std::shared_lock lock(mutex_);
    if (topics_.count(spec.name)) {
      return make_api_error(error_code::topic_already_exists, "Topic '{}' already exists.",
                            spec.name);
    }
    auto unified = unify_collision_chars(spec.name);
    for (const auto& [name, existing] : topics_) {
      if (unify_collision_chars(name) == unified) {
        return make_api_error(error_code::invalid_topic_exception,
                              "Topic '{}' collides with existing topic: {}", spec.name, name);
      }
    }
  }
  t.id = new_topic_id();
  if (spec.validate_only) {
    t.partitions.resize(static_cast<std::size_t>(count));
    return std::shared_ptr<const topic>(std::make_shared<const topic>(std::move(t)));
  }
  for (std::int32_t p = 0; p < count; ++p) {
    auto part = open_partition(spec.name, p, t.log);
    if (!part) {
      for (auto& opened : t.partitions) (void)opened->log().remove();
      return make_api_error(error_code::kafka_storage_error, "cannot create partition {}: {}", p,
                            part.err().message());
    }
    t.partitions.push_back(std::move(*part));
  }
  auto shared = std::make_shared<const topic>(std::move(t));
  std::unique_lock lock(mutex_);
  topics_[spec.name] = shared;
  if (auto st = persist_locked(); !st) {
    topics_.erase(spec.name);
    for (auto& part : shared->partitions) (void)part->log().remove();
    return make_api_error(error_code::kafka_storage_error, "{}", st.err().message());
  }
  logging::get("broker")->info("created topic {} with {} partitions", spec.name, count);
  return std::shared_ptr<const topic>(shared);
}

api_result<topic_id> topic_manager::remove(const std::string& name) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<const topic> removed;
  {
    std::unique_lock lock(mutex_);
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      return make_api_error(error_code::unknown_topic_or_partition,
                            "This server does not host this topic-partition.");
    }
    removed = it->second;
    topics_.erase(it);
    if (auto st = persist_locked(); !st) {
      topics_[name] = removed;
      return make_api_error(error_code::kafka_storage_error, "{}", st.err().message());
    }
  }
  // Readers holding the old snapshot keep their partition objects; the files go now.
  for (const auto& part : removed->partitions) {
    if (auto st = part->log().remove(); !st) {
      logging::get("broker")->warn("deleting {}-{}: {}", name, part->index(), st.err().message());
    }
  }
  logging::get("broker")->info("deleted topic {}", name);
  return removed->id;
}

api_result<std::shared_ptr<const topic>> topic_manager::add_partitions(const std::string& name,
                                                                       std::int32_t total,
                                                                       bool validate_only) {
  std::lock_guard change(change_mutex_);
  auto current = find(name);
  if (!current) {
    return make_api_error(error_code::unknown_topic_or_partition, "The topic '{}' does not exist.",
                          name);
  }
  auto existing = static_cast<std::int32_t>(current->partitions.size());
  if (total <= existing) {
    return make_api_error(
        error_code::invalid_partitions,
        "Topic currently has {} partitions, which is higher than the requested {}.", existing,
        total);
  }
  auto next = std::make_shared<topic>(*current);
  if (validate_only) {
    next->partitions.resize(static_cast<std::size_t>(total));
    return std::shared_ptr<const topic>(next);
  }
  for (std::int32_t p = existing; p < total; ++p) {
    auto part = open_partition(name, p, next->log);
    if (!part) {
      for (std::size_t i = static_cast<std::size_t>(existing); i < next->partitions.size(); ++i) {
        (void)next->partitions[i]->log().remove();
      }
      return make_api_error(error_code::kafka_storage_error, "{}", part.err().message());
    }
    next->partitions.push_back(std::move(*part));
  }
  std::unique_lock lock(mutex_);
  topics_[name] = next;
  if (auto st = persist_locked(); !st) {
    return make_api_error(error_code::kafka_storage_error, "{}", st.err().message());
  }
  return std::shared_ptr<const topic>(next);
}

api_result<std::shared_ptr<const topic>> topic_manager::alter_configs(
    const std::string& name, const std::map<std::string, std::optional<std::string>>& changes,
    bool replace_all, bool validate_only) {
  std::lock_guard change(change_mutex_);
  auto current = find(name);
  if (!current) {
    return make_api_error(error_code::unknown_topic_or_partition, "The topic '{}' does not exist.",
                          name);
  }
  std::map<std::string, std::string> overrides =
      replace_all ? std::map<std::string, std::string>{} : current->overrides;
  for (const auto& [key, value] : changes) {
    if (value)
      overrides[key] = *value;
    else
      overrides.erase(key);
  }
  auto built = build_config(name, overrides);
  if (!built) return built.err();
  auto next = std::make_shared<topic>(std::move(*built));
  next->id = current->id;
  next->partitions = current->partitions;
  if (validate_only) return std::shared_ptr<const topic>(next);
  for (const auto& part : next->partitions) {
    if (auto st = part->log().set_config(next->log); !st) {
      return make_api_error(error_code::invalid_config, "{}", st.err().message());
    }
  }
  std::unique_lock lock(mutex_);
  topics_[name] = next;
  if (auto st = persist_locked(); !st) {
    return make_api_error(error_code::kafka_storage_error, "{}", st.err().message());
  }
  return std::shared_ptr<const topic>(next);
}

std::shared_ptr<const topic> topic_manager::find(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second;
}

std::shared_ptr<const topic> topic_manager::find(const topic_id& id) const {
  std::shared_lock lock(mutex_);
  for (const auto& [name, t] : topics_) {
    if (t->id == id) return t;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const topic>> topic_manager::list() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<const topic>> out;
  out.reserve(topics_.size());
  for (const auto& [name, t] : topics_) out.push_back(t);
  return out;
}

std::uint64_t topic_manager::run_maintenance(std::int64_t now_ms, bool with_cleanup) {
  std::uint64_t deleted = 0;
  auto log = logging::get("broker");
  for (const auto& t : list()) {
    for (const auto& part : t->partitions) {
      auto& plog = part->log();
      if (with_cleanup && t->log.cleanup_delete) {
        if (auto r = plog.enforce_retention(now_ms); r) {
          for (const auto& d : r->deleted) deleted += d.size_bytes;
        } else {
          log->warn("{}-{}: retention: {}", t->name, part->index(), r.err().message());
        }
      }
      if (with_cleanup && t->log.cleanup_compact) {
        if (auto r = plog.compact(now_ms); !r) {
          log->warn("{}-{}: compaction: {}", t->name, part->index(), r.err().message());
        }
      }
      if (auto r = plog.flush_if_due(now_ms); !r) {
        log->warn("{}-{}: flush: {}", t->name, part->index(), r.err().message());
      }
    }
  }
  return deleted;
}

void topic_manager::close_all() {
  std::unique_lock lock(mutex_);
  for (const auto& [name, t] : topics_) {
    for (const auto& part : t->partitions) (void)part->log().close();
  }
  topics_.clear();
}

}  // namespace wharf::broker

// Helpers for the storage tests (see test_util.h).
#include "storage/tests/test_util.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "base/logging.h"
#include "kafka/records/batch.h"
#include "kafka/records/record.h"

namespace wharf::storage::testing {

namespace records = kafka::records;

temp_dir::temp_dir() {
  auto base = std::filesystem::temp_directory_path() / "wharf-storage-test-XXXXXX";
  std::string pattern = base.string();
  char* made = ::mkdtemp(pattern.data());
  if (!made) std::abort();
  path_ = made;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string make_batch(const std::vector<test_record>& recs, const batch_spec& spec) {
  records::batch_options options;
  options.compression = spec.compression;
  options.producer_id = spec.producer_id;
  options.producer_epoch = spec.producer_epoch;
  options.base_sequence = spec.base_sequence;
  options.transactional = spec.transactional;
  records::batch_builder builder(options);
  for (const auto& r : recs) {
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    if (r.key) key = *r.key;
    if (r.value) value = *r.value;
    builder.append(r.timestamp, key, value);
  }
  auto built = std::move(builder).build();
  if (!built.ok()) {
    ADD_FAILURE() << built.err().message();
    return {};
  }
  return std::move(built).value();
}

std::string make_value_batch(int n, std::int64_t ts, std::size_t value_size) {
  std::vector<test_record> recs;
  for (int i = 0; i < n; ++i) {
    std::string value = "value-" + std::to_string(i);
    if (value.size() < value_size) value.resize(value_size, 'x');
    recs.push_back({std::nullopt, value, ts});
  }
  return make_batch(recs);
}

std::string make_marker(bool commit, std::int64_t producer_id, std::int16_t epoch,
                        std::int64_t ts) {
  records::end_txn_marker_options options;
  options.commit = commit;
  options.producer_id = producer_id;
  options.producer_epoch = epoch;
  options.timestamp_ms = ts;
  return records::build_end_txn_marker_batch(options);
}

std::vector<decoded_batch_info> batches_of(std::string_view bytes) {
  std::vector<decoded_batch_info> out;
  auto split = records::split_batches(bytes, records::partial_batches::reject);
  if (!split.ok()) {
    ADD_FAILURE() << split.err().message();
    return out;
  }
  for (const auto& b : split->batches) {
    const auto& h = b.header();
    out.push_back({h.base_offset, h.last_offset(), h.attributes, h.max_timestamp, h.base_timestamp,
                   h.record_count, b.crc_ok()});
  }
  return out;
}

std::vector<read_record> records_of(std::string_view bytes) {
  std::vector<read_record> out;
  auto split = records::split_batches(bytes, records::partial_batches::reject);
  if (!split.ok()) {
    ADD_FAILURE() << split.err().message();
    return out;
  }
  for (const auto& b : split->batches) {
    EXPECT_TRUE(b.crc_ok()) << "batch at offset " << b.header().base_offset;
    auto decoded = records::decode_batch(b);
    if (!decoded.ok()) {
      ADD_FAILURE() << decoded.err().message();
      continue;
    }
    for (const auto& r : decoded->records) {
      read_record rr;
      rr.offset = r.offset;
      rr.timestamp = r.timestamp;
      if (r.key) rr.key = std::string(*r.key);
      if (r.value) rr.value = std::string(*r.value);
      rr.control = b.header().is_control();
      out.push_back(rr);
    }
  }
  return out;
}

std::vector<read_record> read_all(const partition_log& log, std::size_t max_bytes) {
  std::vector<read_record> out;
  std::int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto r = log.read(offset, max_bytes);
    if (!r.ok()) {
      ADD_FAILURE() << r.err().message();
      break;
    }
    if (r->records.empty()) break;
    for (auto& rec : records_of(r->records.bytes())) {
      if (rec.offset >= offset) out.push_back(rec);
    }
    EXPECT_GT(r->next_offset, offset);
    offset = r->next_offset;
  }
  return out;
}

std::vector<decoded_batch_info> read_all_batches(const partition_log& log) {
  std::vector<decoded_batch_info> out;
  std::int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto r = log.read(offset, 1 << 20);
    if (!r.ok()) {
      ADD_FAILURE() << r.err().message();
      break;
    }
    if (r->records.empty()) break;
    for (auto& b : batches_of(r->records.bytes())) out.push_back(b);
    offset = r->next_offset;
  }
  return out;
}

log_config small_config(std::int64_t segment_bytes) {
  log_config c;
  c.segment_bytes = segment_bytes;
  c.index_interval_bytes = 128;
  c.retention_ms = -1;
  return c;
}

std::unique_ptr<partition_log> open_log(const std::filesystem::path& dir, const log_config& config,
                                        std::int64_t now_ms) {
  auto log = partition_log::open(dir, config, now_ms);
  if (!log.ok()) {
    ADD_FAILURE() << log.err().message();
    return nullptr;
  }
  return std::move(log).value();
}

std::uint64_t size_of_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::vector<std::string> list_files(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

log_capture::log_capture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)) {
  sink_->set_pattern("%l %v");
  logging::get("storage")->sinks().push_back(sink_);
}

log_capture::~log_capture() {
  auto& sinks = logging::get("storage")->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

std::vector<std::string> log_capture::messages() const { return sink_->last_formatted(); }

bool log_capture::contains(std::string_view text, spdlog::level::level_enum level) const {
  auto prefix = std::string(spdlog::level::to_string_view(level).data(),
                            spdlog::level::to_string_view(level).size());
  for (const auto& line : sink_->last_formatted()) {
    if (line.rfind(prefix, 0) == 0 && line.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace wharf::storage::testing

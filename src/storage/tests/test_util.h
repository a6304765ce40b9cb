// Helpers for the storage tests: temporary directories, real RecordBatch v2 bytes built
// with wharf::kafka_records, decoding what a log returns, and capturing warnings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include "kafka/records/builder.h"
#include "storage/partition_log.h"

namespace wharf::storage::testing {

#define ASSERT_OK(expr)                                                       \
  do {                                                                        \
    auto assert_ok_status_ = (expr);                                          \
    ASSERT_TRUE(assert_ok_status_.ok()) << assert_ok_status_.err().message(); \
  } while (0)

#define EXPECT_OK(expr)                                                       \
  do {                                                                        \
    auto expect_ok_status_ = (expr);                                          \
    EXPECT_TRUE(expect_ok_status_.ok()) << expect_ok_status_.err().message(); \
  } while (0)

// A fresh directory under the system temp dir, removed with everything in it at the end.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct test_record {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::int64_t timestamp = 0;
};

struct batch_spec {
  kafka::records::compression_type compression = kafka::records::compression_type::none;
  std::int64_t producer_id = -1;
  std::int16_t producer_epoch = -1;
  std::int32_t base_sequence = -1;
  bool transactional = false;
};

// One batch at base offset 0 (the log assigns the real one).
std::string make_batch(const std::vector<test_record>& records, const batch_spec& spec = {});
// n records "value-<i>" of value_size bytes (0: short values), all with timestamp ts.
std::string make_value_batch(int n, std::int64_t ts, std::size_t value_size = 0);
// A COMMIT (or ABORT) marker for a producer.
std::string make_marker(bool commit, std::int64_t producer_id, std::int16_t epoch, std::int64_t ts);

// A record read back from a log.
struct read_record {
  std::int64_t offset = 0;
  std::int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  bool control = false;
};

struct decoded_batch_info {
  std::int64_t base_offset = 0;
  std::int64_t last_offset = 0;
  std::int16_t attributes = 0;
  std::int64_t max_timestamp = 0;
  std::int64_t base_timestamp = 0;
  std::int32_t record_count = 0;
  bool crc_ok = false;
};

// Splits bytes into batches and decodes them; fails the test on malformed bytes.
std::vector<decoded_batch_info> batches_of(std::string_view bytes);
std::vector<read_record> records_of(std::string_view bytes);
// Reads the whole log from its start in reads of max_bytes.
std::vector<read_record> read_all(const partition_log& log, std::size_t max_bytes = 1 << 20);
std::vector<decoded_batch_info> read_all_batches(const partition_log& log);

// Small segments and dense indexes, so tests exercise rolls and index lookups.
log_config small_config(std::int64_t segment_bytes = 4096);

std::unique_ptr<partition_log> open_log(const std::filesystem::path& dir, const log_config& config,
                                        std::int64_t now_ms = 1'000'000);

std::uint64_t size_of_file(const std::filesystem::path& path);
std::vector<std::string> list_files(const std::filesystem::path& dir);

// Captures what the "storage" logger writes while it lives.
class log_capture {
 public:
  log_capture();
  ~log_capture();
  bool contains(std::string_view text, spdlog::level::level_enum level = spdlog::level::warn) const;
  std::vector<std::string> messages() const;

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

}  // namespace wharf::storage::testing

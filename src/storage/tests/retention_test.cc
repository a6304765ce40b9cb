// Retention by time and size, and what survives it.
#include <gtest/gtest.h>

#include "storage/partition_log.h"
#include "storage/tests/test_util.h"

namespace wharf::storage {
namespace {

using namespace testing;

constexpr std::int64_t hour = 3'600'000;

// Ten segments of about 1 KiB; segment i holds batches with timestamps i hours after t0.
std::unique_ptr<partition_log> ten_segments(const std::filesystem::path& dir, log_config config,
                                            std::int64_t t0) {
  config.segment_bytes = 1024;
  auto log = open_log(dir, config, t0);
  for (int segment = 0; segment < 10; ++segment) {
    for (int i = 0; i < 7; ++i) {
      append_options options;
      options.now_ms = t0 + segment * hour;
      auto r = log->append(make_value_batch(2, t0 + segment * hour + i, 40), options);
      EXPECT_TRUE(r.ok());
    }
  }
  return log;
}

TEST(Retention, ByTimeDeletesSegmentsWhoseNewestRecordIsTooOld) {
  temp_dir dir;
  log_config config;
  config.retention_ms = 3 * hour;
  std::int64_t t0 = 1'700'000'000'000;
  auto log = ten_segments(dir / "t-0", config, t0);
  std::size_t segments = log->segment_count();
  ASSERT_GE(segments, 10u);
  auto result = log->enforce_retention(t0 + 9 * hour);
  ASSERT_OK(result);
  // Segments whose records are all more than 3 h older than "now" are gone.
  ASSERT_FALSE(result->deleted.empty());
  for (const auto& d : result->deleted) {
    EXPECT_EQ(d.why, deleted_segment::reason::retention_ms);
    EXPECT_GT(d.size_bytes, 0u);
  }
  EXPECT_EQ(log->segment_count(), segments - result->deleted.size());
  EXPECT_EQ(result->log_start_offset, log->log_start_offset());
  EXPECT_EQ(result->deleted.back().next_offset, log->log_start_offset());
  auto all = read_all(*log);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().offset, log->log_start_offset());
  for (const auto& r : all) EXPECT_GE(r.timestamp, t0 + 5 * hour);
  EXPECT_LE(all.front().timestamp, t0 + 6 * hour + 10);
  // Idempotent.
  EXPECT_TRUE(log->enforce_retention(t0 + 9 * hour)->deleted.empty());
}

TEST(Retention, NeverDeletesTheActiveSegment) {
  temp_dir dir;
  log_config config;
  config.retention_ms = 1000;
  auto log = open_log(dir / "t-0", config, 0);
  ASSERT_OK(log->append(make_value_batch(3, 10)));
  auto result = log->enforce_retention(1'000'000'000);
  ASSERT_OK(result);
  EXPECT_TRUE(result->deleted.empty());
  EXPECT_EQ(read_all(*log).size(), 3u);
}

TEST(Retention, BySize) {
  temp_dir dir;
  log_config config;
  config.retention_ms = -1;
  config.retention_bytes = 3000;
  std::int64_t t0 = 1'700'000'000'000;
  auto log = ten_segments(dir / "t-0", config, t0);
  auto result = log->enforce_retention(t0 + 100 * hour);
  ASSERT_OK(result);
  ASSERT_FALSE(result->deleted.empty());
  for (const auto& d : result->deleted) EXPECT_EQ(d.why, deleted_segment::reason::retention_bytes);
  // As in Kafka, whole segments go only while what is left stays at least retention.bytes.
  EXPECT_GE(log->size_bytes(), 3000u);
  std::uint64_t on_disk = 0;
  std::uint64_t first_segment = 0;
  for (const auto& f : list_files(dir / "t-0")) {
    if (!f.ends_with(".log")) continue;
    if (first_segment == 0) first_segment = size_of_file(dir / "t-0" / f);
    on_disk += size_of_file(dir / "t-0" / f);
  }
  EXPECT_EQ(on_disk, log->size_bytes());
  EXPECT_LT(log->size_bytes() - first_segment, 3000u);
}

TEST(Retention, InfiniteByDefaultForSizeAndMinusOneForTime) {
  temp_dir dir;
  log_config config;
  config.retention_ms = -1;
  std::int64_t t0 = 1'000;
  auto log = ten_segments(dir / "t-0", config, t0);
  EXPECT_TRUE(log->enforce_retention(t0 + 10'000 * hour)->deleted.empty());
}

TEST(Retention, CompactOnlyTopicsKeepOldSegments) {
  temp_dir dir;
  log_config config;
  config.retention_ms = 1;
  config.retention_bytes = 1;
  config.cleanup_delete = false;
  config.cleanup_compact = true;
  std::int64_t t0 = 1'000;
  auto log = ten_segments(dir / "t-0", config, t0);
  std::size_t segments = log->segment_count();
  EXPECT_TRUE(log->enforce_retention(t0 + 10'000 * hour)->deleted.empty());
  EXPECT_EQ(log->segment_count(), segments);
}

TEST(Retention, SegmentsBelowTheLogStartGoAsWell) {
  temp_dir dir;
  log_config config;
  config.retention_ms = -1;
  std::int64_t t0 = 1'000;
  auto log = ten_segments(dir / "t-0", config, t0);
  ASSERT_OK(log->delete_records_before(40));
  auto result = log->enforce_retention(t0);
  ASSERT_OK(result);
  EXPECT_TRUE(result->deleted.empty());  // delete_records_before already removed them
  EXPECT_EQ(log->log_start_offset(), 40);
}

TEST(Retention, DeletedStateSurvivesRestart) {
  temp_dir dir;
  log_config config;
  config.retention_ms = 3 * hour;
  std::int64_t t0 = 1'700'000'000'000;
  std::int64_t start;
  {
    auto log = ten_segments(dir / "t-0", config, t0);
    ASSERT_OK(log->enforce_retention(t0 + 9 * hour));
    start = log->log_start_offset();
    ASSERT_GT(start, 0);
  }
  auto log = open_log(dir / "t-0", config, t0 + 9 * hour);
  EXPECT_EQ(log->log_start_offset(), start);
  EXPECT_EQ(read_all(*log).front().offset, start);
}

}  // namespace
}  // namespace wharf::storage

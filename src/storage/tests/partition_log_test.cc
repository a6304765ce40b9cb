// partition_log: offsets, reads (KIP-74, upper bounds), segment rolls, ListOffsets,
// LogAppendTime, DeleteRecords, flushing, clean reopen.
#include <gtest/gtest.h>

#include "kafka/records/batch.h"
#include "storage/partition_log.h"
#include "storage/tests/test_util.h"

namespace wharf::storage {
namespace {

using namespace testing;
namespace records = kafka::records;

TEST(PartitionLog, EmptyLogReadsNothingAndRefusesOffsetsPastTheEnd) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  ASSERT_TRUE(log);
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->size_bytes(), 0u);
  auto r = log->read(0, 1024);
  ASSERT_OK(r);
  EXPECT_TRUE(r->records.empty());
  EXPECT_EQ(r->next_offset, 0);
  auto past = log->read(1, 1024);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.err().code(), errc::out_of_range);
  EXPECT_FALSE(log->read(-1, 1024).ok());
  EXPECT_TRUE(std::filesystem::exists(dir / "t-0" / "00000000000000000000.log"));
}

TEST(PartitionLog, AppendAssignsConsecutiveOffsetsAndReadsThemBack) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  auto first = log->append(make_value_batch(3, 1000));
  ASSERT_OK(first);
  EXPECT_EQ(first->base_offset, 0);
  EXPECT_EQ(first->last_offset, 2);
  EXPECT_EQ(first->log_append_time_ms, -1);
  EXPECT_EQ(first->position, 0u);
  auto second = log->append(make_value_batch(5, 1001));
  ASSERT_OK(second);
  EXPECT_EQ(second->base_offset, 3);
  EXPECT_EQ(second->last_offset, 7);
  EXPECT_GT(second->position, 0u);
  EXPECT_EQ(log->log_end_offset(), 8);

  auto r = log->read(0, 1 << 20);
  ASSERT_OK(r);
  EXPECT_EQ(r->first_offset, 0);
  EXPECT_EQ(r->next_offset, 8);
  EXPECT_EQ(r->records.size(), log->size_bytes());
  EXPECT_GE(r->records.fd(), 0);
  auto batches = batches_of(r->records.bytes());
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].base_offset, 0);
  EXPECT_EQ(batches[1].base_offset, 3);
  EXPECT_TRUE(batches[0].crc_ok);
  EXPECT_TRUE(batches[1].crc_ok);
  auto recs = records_of(r->records.bytes());
  ASSERT_EQ(recs.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(recs[i].offset, i);
  EXPECT_EQ(*recs[3].value, "value-0");

  // A read from the middle of a batch returns that whole batch.
  auto mid = log->read(5, 1 << 20);
  ASSERT_OK(mid);
  EXPECT_EQ(mid->first_offset, 3);
  EXPECT_EQ(batches_of(mid->records.bytes()).size(), 1u);
}

TEST(PartitionLog, AppendInPlacePatchesTheCallersBuffer) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  ASSERT_OK(log->append(make_value_batch(2, 5)));
  std::string batch = make_value_batch(1, 6);
  auto r = log->append_in_place(std::span<char>(batch.data(), batch.size()));
  ASSERT_OK(r);
  auto header = records::read_batch_header(batch);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->base_offset, 2);
  // The baseOffset sits outside the CRC, which stays valid.
  EXPECT_TRUE(batches_of(batch)[0].crc_ok);
}

TEST(PartitionLog, SeveralBatchesInOneAppend) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  std::string two = make_value_batch(2, 10) + make_value_batch(3, 11);
  auto r = log->append(two);
  ASSERT_OK(r);
  EXPECT_EQ(r->base_offset, 0);
  EXPECT_EQ(r->last_offset, 4);
  auto batches = read_all_batches(*log);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].base_offset, 2);
}

TEST(PartitionLog, RefusesBytesThatAreNotWholeBatches) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  std::string batch = make_value_batch(2, 10);
  auto cut = log->append(std::string_view(batch).substr(0, batch.size() - 1));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.err().code(), errc::invalid_argument);
  EXPECT_FALSE(log->append(std::string(100, 'x')).ok());
  EXPECT_FALSE(log->append("").ok());
  EXPECT_EQ(log->log_end_offset(), 0);
  EXPECT_EQ(log->size_bytes(), 0u);
  ASSERT_OK(log->append(batch));
  EXPECT_EQ(log->log_end_offset(), 2);
}

TEST(PartitionLog, BeforeWriteHookSeesOffsetsAndCanRefuse) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  ASSERT_OK(log->append(make_value_batch(4, 1)));
  std::vector<std::int64_t> seen;
  append_options options;
  options.before_write = [&](std::span<char> batch, std::int64_t base) -> status {
    seen.push_back(base);
    EXPECT_EQ(records::read_batch_header(std::string_view(batch.data(), batch.size()))->base_offset,
              base);
    return {};
  };
  ASSERT_OK(log->append(make_value_batch(1, 2) + make_value_batch(1, 3), options));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{4, 5}));
  options.before_write = [](std::span<char>, std::int64_t) -> status {
    return make_error(errc::invalid_argument, "duplicate sequence");
  };
  auto refused = log->append(make_value_batch(1, 4), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.err().message(), "duplicate sequence");
  EXPECT_EQ(log->log_end_offset(), 6);
  EXPECT_EQ(read_all(*log).size(), 6u);
}

TEST(PartitionLog, ReadsAcrossSegmentRolls) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", small_config(2048));
  std::int64_t expected = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = log->append(make_value_batch(1 + i % 4, 1000 + i, 40));
    ASSERT_OK(r);
    EXPECT_EQ(r->base_offset, expected);
    expected = r->last_offset + 1;
  }
  EXPECT_GT(log->segment_count(), 10u);
  // Every offset is served by the batch holding it, from whichever segment.
  for (std::int64_t offset = 0; offset < log->log_end_offset(); ++offset) {
    auto r = log->read(offset, 300);
    ASSERT_OK(r);
    auto batches = batches_of(r->records.bytes());
    ASSERT_FALSE(batches.empty()) << offset;
    EXPECT_LE(batches.front().base_offset, offset);
    EXPECT_GE(batches.front().last_offset, offset);
  }
  // Reading on from next_offset visits every record once, in order.
  auto all = read_all(*log, 700);
  ASSERT_EQ(static_cast<std::int64_t>(all.size()), log->log_end_offset());
  for (std::size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(all[i].offset, static_cast<std::int64_t>(i));

  auto files = list_files(dir / "t-0");
  EXPECT_NE(std::find(files.begin(), files.end(), "00000000000000000000.log"), files.end());
  std::size_t logs = std::count_if(files.begin(), files.end(), [](const std::string& f) {
    return f.size() == 24 && f.substr(20) == ".log";
  });
  EXPECT_EQ(logs, log->segment_count());
  // After close every segment has both index files.
  ASSERT_OK(log->close());
  files = list_files(dir / "t-0");
  EXPECT_NE(std::find(files.begin(), files.end(), "00000000000000000000.index"), files.end());
  EXPECT_NE(std::find(files.begin(), files.end(), "00000000000000000000.timeindex"), files.end());
}

TEST(PartitionLog, MinOneBatchReturnsABatchLargerThanMaxBytes) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  ASSERT_OK(log->append(make_value_batch(10, 1, 100)));  // over 1 KB
  ASSERT_OK(log->append(make_value_batch(1, 2)));
  auto one = log->read(0, 100, INT64_MAX, /*min_one_batch=*/true);
  ASSERT_OK(one);
  auto batches = batches_of(one->records.bytes());
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].last_offset, 9);
  EXPECT_EQ(one->next_offset, 10);
  auto none = log->read(0, 100, INT64_MAX, /*min_one_batch=*/false);
  ASSERT_OK(none);
  EXPECT_TRUE(none->records.empty());
  EXPECT_EQ(none->next_offset, 0);
}

TEST(PartitionLog, MaxBytesLimitsWholeBatches) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  std::string batch = make_value_batch(1, 1, 50);
  for (int i = 0; i < 10; ++i) ASSERT_OK(log->append(batch));
  auto r = log->read(0, batch.size() * 3 + batch.size() / 2);
  ASSERT_OK(r);
  EXPECT_EQ(r->records.size(), batch.size() * 3);
  EXPECT_EQ(r->next_offset, 3);
}

TEST(PartitionLog, NeverReturnsBatchesReachingMaxOffset) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  for (int i = 0; i < 5; ++i) ASSERT_OK(log->append(make_value_batch(2, i)));  // 0-1, 2-3, ...
  auto r = log->read(0, 1 << 20, /*max_offset_exclusive=*/4);
  ASSERT_OK(r);
  EXPECT_EQ(batches_of(r->records.bytes()).size(), 2u);
  EXPECT_EQ(r->next_offset, 4);
  // A batch straddling the bound is not returned, even with min_one_batch.
  auto straddle = log->read(4, 1 << 20, /*max_offset_exclusive=*/5, true);
  ASSERT_OK(straddle);
  EXPECT_TRUE(straddle->records.empty());
}

TEST(PartitionLog, OffsetForTimestampFindsTheFirstRecordAtOrAfter) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", small_config(1024));
  // Timestamps are not monotonic across batches, as producers may send them.
  std::vector<std::int64_t> base_ts = {100, 300, 200, 500, 400, 700, 600, 900, 800, 1000};
  for (int round = 0; round < 3; ++round) {
    for (auto ts : base_ts) {
      std::vector<test_record> recs;
      for (int i = 0; i < 4; ++i)
        recs.push_back({std::nullopt, std::string(40, 'v'), ts + round * 1000 + i});
      ASSERT_OK(log->append(make_batch(recs)));
    }
  }
  ASSERT_GT(log->segment_count(), 2u);
  auto all = read_all(*log);
  for (std::int64_t target : {0, 100, 101, 103, 104, 250, 650, 1001, 1650, 2999, 3003}) {
    std::optional<timestamp_and_offset> expected;
    for (const auto& r : all) {
      if (r.timestamp >= target) {
        expected = timestamp_and_offset{r.timestamp, r.offset};
        break;
      }
    }
    auto found = log->offset_for_timestamp(target);
    ASSERT_OK(found);
    ASSERT_EQ(found->has_value(), expected.has_value()) << target;
    EXPECT_EQ((*found)->offset, expected->offset) << target;
    EXPECT_EQ((*found)->timestamp, expected->timestamp) << target;
  }
  auto beyond = log->offset_for_timestamp(5000);
  ASSERT_OK(beyond);
  EXPECT_FALSE(beyond->has_value());

  // The log start bounds the answer.
  ASSERT_OK(log->delete_records_before(10));
  auto bounded = log->offset_for_timestamp(0);
  ASSERT_OK(bounded);
  EXPECT_EQ((*bounded)->offset, 10);
}

TEST(PartitionLog, MaxTimestampNamesTheRecordNotTheBatch) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", small_config(1024));
  EXPECT_FALSE(log->max_timestamp()->has_value());
  ASSERT_OK(log->append(make_value_batch(3, 100)));
  ASSERT_OK(log->append(make_batch({{std::nullopt, "a", 200},
                                    {std::nullopt, "b", 950},
                                    {std::nullopt, "c", 300},
                                    {std::nullopt, "d", 950}})));
  for (int i = 0; i < 20; ++i) ASSERT_OK(log->append(make_value_batch(2, 500, 60)));
  auto max = log->max_timestamp();
  ASSERT_OK(max);
  ASSERT_TRUE(max->has_value());
  EXPECT_EQ((*max)->timestamp, 950);
  EXPECT_EQ((*max)->offset, 4);
  ASSERT_OK(log->close());
  auto reopened = open_log(dir / "t-0", small_config(1024));
  EXPECT_EQ((*reopened->max_timestamp())->offset, 4);
}

TEST(PartitionLog, LogAppendTimeStampsBatches) {
  temp_dir dir;
  log_config config;
  config.message_timestamp_type = timestamp_type_config::log_append_time;
  auto log = open_log(dir / "t-0", config);
  append_options options;
  options.now_ms = 777'000;
  options.partition_leader_epoch = 3;
  auto r = log->append(make_value_batch(3, 5), options);
  ASSERT_OK(r);
  EXPECT_EQ(r->log_append_time_ms, 777'000);
  auto batches = read_all_batches(*log);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(batches[0].crc_ok);
  EXPECT_EQ(batches[0].max_timestamp, 777'000);
  EXPECT_TRUE(batches[0].attributes & records::attribute::log_append_time);
  for (const auto& rec : read_all(*log)) EXPECT_EQ(rec.timestamp, 777'000);
  auto found = log->offset_for_timestamp(700'000);
  ASSERT_OK(found);
  EXPECT_EQ((*found)->offset, 0);
  auto raw = log->read(0, 1 << 20);
  auto header = records::read_batch_header(raw->records.bytes());
  EXPECT_EQ(header->partition_leader_epoch, 3);
}

TEST(PartitionLog, RollsBySegmentMs) {
  temp_dir dir;
  log_config config;
  config.segment_ms = 1000;
  auto log = open_log(dir / "t-0", config);
  append_options options;
  options.now_ms = 10'000;
  ASSERT_OK(log->append(make_value_batch(1, 10'000), options));
  options.now_ms = 10'900;
  ASSERT_OK(log->append(make_value_batch(1, 10'900), options));
  EXPECT_EQ(log->segment_count(), 1u);
  options.now_ms = 11'001;
  auto r = log->append(make_value_batch(1, 11'001), options);
  ASSERT_OK(r);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_EQ(r->segment_base_offset, 2);
  EXPECT_EQ(r->position, 0u);
}

TEST(PartitionLog, RollsWhenAnIndexWouldOverflow) {
  temp_dir dir;
  log_config config;
  config.index_interval_bytes = 0;  // an entry for every batch after the first
  config.segment_index_bytes = 48;  // 6 offset entries, 4 time entries
  auto log = open_log(dir / "t-0", config);
  for (int i = 0; i < 20; ++i) ASSERT_OK(log->append(make_value_batch(1, 100 + i)));
  EXPECT_GE(log->segment_count(), 4u);
  ASSERT_OK(log->close());
  for (const auto& f : list_files(dir / "t-0")) {
    if (f.ends_with(".index") || f.ends_with(".timeindex")) {
      EXPECT_LE(size_of_file(dir / "t-0" / f), 48u) << f;
    }
  }
  EXPECT_EQ(read_all(*open_log(dir / "t-0", config)).size(), 20u);
}

TEST(PartitionLog, RefusesAnAppendLargerThanASegment) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", small_config(512));
  auto r = log->append(make_value_batch(10, 1, 100));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code(), errc::invalid_argument);
}

TEST(PartitionLog, ReopensAfterCleanCloseWithoutScanning) {
  temp_dir dir;
  auto config = small_config(2048);
  {
    auto log = open_log(dir / "t-0", config);
    for (int i = 0; i < 50; ++i) ASSERT_OK(log->append(make_value_batch(2, 100 + i, 30)));
    ASSERT_OK(log->close());
    EXPECT_FALSE(log->append(make_value_batch(1, 1)).ok());
    EXPECT_TRUE(std::filesystem::exists(dir / "t-0" / ".clean-shutdown"));
  }
  auto log = open_log(dir / "t-0", config);
  EXPECT_TRUE(log->last_recovery().clean_shutdown);
  EXPECT_EQ(log->last_recovery().segments_scanned, 0u);
  EXPECT_EQ(log->last_recovery().indexes_rebuilt, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir / "t-0" / ".clean-shutdown"));
  EXPECT_EQ(log->log_end_offset(), 100);
  EXPECT_EQ(log->recovery_point(), 100);
  auto r = log->append(make_value_batch(1, 200));
  ASSERT_OK(r);
  EXPECT_EQ(r->base_offset, 100);
  EXPECT_EQ(read_all(*log).size(), 101u);
}

TEST(PartitionLog, DeleteRecordsMovesTheStartAndSurvivesRestart) {
  temp_dir dir;
  auto config = small_config(1024);
  {
    auto log = open_log(dir / "t-0", config);
    for (int i = 0; i < 60; ++i) ASSERT_OK(log->append(make_value_batch(2, 100 + i, 40)));
    std::size_t segments = log->segment_count();
    auto moved = log->delete_records_before(51);
    ASSERT_OK(moved);
    EXPECT_EQ(*moved, 51);
    EXPECT_EQ(log->log_start_offset(), 51);
    EXPECT_LT(log->segment_count(), segments);
    auto below = log->read(50, 1024);
    ASSERT_FALSE(below.ok());
    EXPECT_EQ(below.err().code(), errc::out_of_range);
    auto at = log->read(51, 1024);
    ASSERT_OK(at);
    EXPECT_EQ(at->log_start_offset, 51);
    EXPECT_LE(at->first_offset, 51);
    // Moving backwards is a no-op; past the end is out of range.
    EXPECT_EQ(*log->delete_records_before(10), 51);
    EXPECT_EQ(log->delete_records_before(1000).err().code(), errc::out_of_range);
    // No close(): the start offset must come back after a crash too.
  }
  {
    auto log = open_log(dir / "t-0", config);
    EXPECT_FALSE(log->last_recovery().clean_shutdown);
    EXPECT_EQ(log->log_start_offset(), 51);
    auto all = read_all(*log);
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.front().offset, 51);
    EXPECT_EQ(all.back().offset, 119);
    // Up to the log end: every record is gone but the active segment stays.
    ASSERT_OK(log->delete_records_before(120));
    EXPECT_EQ(log->log_start_offset(), 120);
    EXPECT_EQ(log->segment_count(), 1u);
    ASSERT_OK(log->close());
  }
  auto log = open_log(dir / "t-0", config);
  EXPECT_EQ(log->log_start_offset(), 120);
  EXPECT_EQ(log->log_end_offset(), 120);
  EXPECT_EQ(log->append(make_value_batch(1, 1))->base_offset, 120);
}

TEST(PartitionLog, FlushMessagesOneSyncsEveryAppend) {
  temp_dir dir;
  log_config config;
  config.flush_messages = 1;
  auto log = open_log(dir / "t-0", config);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(log->append(make_value_batch(3, i)));
    EXPECT_EQ(log->recovery_point(), log->log_end_offset());
  }
}

TEST(PartitionLog, FlushMessagesCountsRecords) {
  temp_dir dir;
  log_config config;
  config.flush_messages = 10;
  auto log = open_log(dir / "t-0", config);
  ASSERT_OK(log->append(make_value_batch(4, 1)));
  ASSERT_OK(log->append(make_value_batch(4, 1)));
  EXPECT_EQ(log->recovery_point(), 0);
  ASSERT_OK(log->append(make_value_batch(4, 1)));
  EXPECT_EQ(log->recovery_point(), 12);
}

TEST(PartitionLog, DefaultLeavesFlushingToTheOsUntilAsked) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", small_config(1024), 0);
  for (int i = 0; i < 30; ++i) ASSERT_OK(log->append(make_value_batch(2, 1, 40)));
  EXPECT_EQ(log->recovery_point(), 0);
  // flush_if_due syncs the rolled segments (Kafka flushes a segment when it rolls).
  auto due = log->flush_if_due(1);
  ASSERT_OK(due);
  EXPECT_TRUE(*due);
  auto list = log->segment_count();
  EXPECT_GT(list, 1u);
  EXPECT_GT(log->recovery_point(), 0);
  EXPECT_LT(log->recovery_point(), log->log_end_offset());
  ASSERT_OK(log->flush());
  EXPECT_EQ(log->recovery_point(), log->log_end_offset());
}

TEST(PartitionLog, FlushMsFlushesWhenDue) {
  temp_dir dir;
  log_config config;
  config.flush_ms = 1000;
  auto log = open_log(dir / "t-0", config, 5000);
  ASSERT_OK(log->append(make_value_batch(2, 1)));
  EXPECT_FALSE(*log->flush_if_due(5500));
  EXPECT_EQ(log->recovery_point(), 0);
  EXPECT_TRUE(*log->flush_if_due(6000));
  EXPECT_EQ(log->recovery_point(), 2);
  EXPECT_FALSE(*log->flush_if_due(8000));  // nothing new
}

TEST(PartitionLog, SetConfigValidatesAndApplies) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  log_config bad;
  bad.segment_bytes = 10;
  EXPECT_FALSE(log->set_config(bad).ok());
  log_config c;
  c.segment_bytes = 1024;
  ASSERT_OK(log->set_config(c));
  EXPECT_EQ(log->config().segment_bytes, 1024);
  for (int i = 0; i < 20; ++i) ASSERT_OK(log->append(make_value_batch(1, 1, 100)));
  EXPECT_GT(log->segment_count(), 1u);
}

TEST(PartitionLog, RemoveDeletesTheDirectory) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", log_config{});
  ASSERT_OK(log->append(make_value_batch(2, 1)));
  auto held = log->read(0, 1024);
  ASSERT_OK(held);
  ASSERT_OK(log->remove());
  EXPECT_FALSE(std::filesystem::exists(dir / "t-0"));
  EXPECT_FALSE(log->read(0, 1024).ok());
  // Bytes already read stay valid.
  EXPECT_EQ(records_of(held->records.bytes()).size(), 2u);
}

}  // namespace
}  // namespace wharf::storage

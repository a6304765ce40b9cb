// Reads running concurrently with appends, rolls, DeleteRecords, retention and compaction.
// Run under the ASan/UBSan build too (build/storage-asan).
#include <atomic>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "kafka/records/batch.h"
#include "storage/partition_log.h"
#include "storage/tests/test_util.h"

namespace wharf::storage {
namespace {

using namespace testing;

constexpr std::int64_t t0 = 1'700'000'000'000;

// Checks that a read answer is whole, valid batches, the first holding `offset` (or the
// first after it), with growing (or, without compaction, consecutive) offsets.
void check_read(std::int64_t offset, const read_result& r, bool contiguous) {
  auto batches = batches_of(r.records.bytes());
  if (batches.empty()) return;
  // Compaction leaves gaps: a read inside one starts at the next batch.
  if (contiguous) {
    EXPECT_LE(batches.front().base_offset, offset);
  }
  EXPECT_GE(batches.front().last_offset, offset);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    EXPECT_TRUE(batches[i].crc_ok);
    if (i > 0 && contiguous) {
      EXPECT_EQ(batches[i].base_offset, batches[i - 1].last_offset + 1);
    }
    if (i > 0) {
      EXPECT_GT(batches[i].base_offset, batches[i - 1].last_offset);
    }
  }
  EXPECT_EQ(r.first_offset, batches.front().base_offset);
  EXPECT_EQ(r.next_offset, batches.back().last_offset + 1);
}

TEST(Concurrency, ReadsDuringAppendsRollsAndDeletion) {
  temp_dir dir;
  log_config config = small_config(4096);
  config.retention_bytes = 32 * 1024;
  auto log = open_log(dir / "t-0", config, t0);
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> reads{0};
  std::atomic<std::int64_t> out_of_range{0};

  std::thread writer([&] {
    for (int i = 0; i < 3000; ++i) {
      auto r = log->append(make_value_batch(1 + i % 5, t0 + i, 40));
      EXPECT_TRUE(r.ok());
    }
    done = true;
  });
  std::thread deleter([&] {
    int round = 0;
    while (!done) {
      if (round++ % 2 == 0) {
        auto r = log->enforce_retention(t0);
        EXPECT_TRUE(r.ok());
      } else {
        std::int64_t end = log->log_end_offset();
        if (end > 500) {
          EXPECT_TRUE(log->delete_records_before(end - 500).ok());
        }
      }
      EXPECT_TRUE(log->flush_if_due(t0).ok());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      while (!done) {
        std::int64_t start = log->log_start_offset();
        std::int64_t end = log->log_end_offset();
        std::int64_t offset = start + static_cast<std::int64_t>(rng() % (end - start + 1));
        auto r = log->read(offset, 1 + rng() % 8192, INT64_MAX, rng() % 2 == 0);
        if (!r.ok()) {
          // Only an offset the deleter moved past may fail.
          EXPECT_EQ(r.err().code(), errc::out_of_range) << r.err().message();
          EXPECT_LT(offset, log->log_start_offset());
          ++out_of_range;
          continue;
        }
        check_read(offset, *r, true);
        if (rng() % 16 == 0) {
          auto ts = log->offset_for_timestamp(t0 + static_cast<std::int64_t>(rng() % 3000));
          EXPECT_TRUE(ts.ok());
          auto max = log->max_timestamp();
          EXPECT_TRUE(max.ok());
        }
        ++reads;
      }
    });
  }
  writer.join();
  deleter.join();
  for (auto& r : readers) r.join();
  EXPECT_GT(reads.load(), 100);
  // What is left reads back whole and in order.
  auto all = read_all(*log);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().offset, log->log_start_offset());
  EXPECT_EQ(all.back().offset + 1, log->log_end_offset());
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].offset, all[i - 1].offset + 1);
}

TEST(Concurrency, ReadersKeepDeletedSegmentsAlive) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", small_config(1024), t0);
  for (int i = 0; i < 60; ++i) ASSERT_OK(log->append(make_value_batch(2, t0, 40)));
  auto held = log->read(0, 1 << 20);
  ASSERT_OK(held);
  int fd = held->records.fd();
  ASSERT_GE(fd, 0);
  ASSERT_OK(log->delete_records_before(100));
  EXPECT_FALSE(std::filesystem::exists(dir / "t-0" / "00000000000000000000.log"));
  // The descriptor the slice holds still reads the deleted file.
  char first[8];
  ASSERT_EQ(::pread(fd, first, sizeof first, 0), static_cast<ssize_t>(sizeof first));
  EXPECT_EQ(std::string_view(first, 8), std::string(8, '\0'));  // base offset 0
  EXPECT_EQ(records_of(held->records.bytes()).front().offset, 0);
}

TEST(Concurrency, ReadsDuringCompaction) {
  temp_dir dir;
  log_config config = small_config(2048);
  config.cleanup_delete = false;
  config.cleanup_compact = true;
  auto log = open_log(dir / "t-0", config, t0);
  std::atomic<bool> done{false};
  std::atomic<std::int64_t> reads{0};
  std::map<std::string, std::string> latest;

  std::thread writer([&] {
    for (int i = 0; i < 1500; ++i) {
      std::string key = fmt::format("key-{}", (i * 13) % 37);
      std::string value = fmt::format("value-{}", i);
      auto r = log->append(make_batch({{key, value, t0 + i}}));
      EXPECT_TRUE(r.ok());
      latest[key] = value;
    }
    done = true;
  });
  std::thread compactor([&] {
    compaction_options force;
    force.ignore_dirty_ratio = true;
    while (!done) {
      auto r = log->compact(t0 + 10'000, force);
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message());
    }
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      // Keep reading until the writer is done and enough reads happened, however the
      // scheduler shares the cores.
      while (!done || reads < 20) {
        std::int64_t end = log->log_end_offset();
        std::int64_t offset = static_cast<std::int64_t>(rng() % (end + 1));
        auto r = log->read(offset, 1 + rng() % 4096);
        ASSERT_TRUE(r.ok()) << r.err().message();
        check_read(offset, *r, false);
        for (const auto& rec : records_of(r->records.bytes())) EXPECT_TRUE(rec.key.has_value());
        ++reads;
      }
    });
  }
  writer.join();
  compactor.join();
  for (auto& r : readers) r.join();
  EXPECT_GT(reads.load(), 10);
  compaction_options force;
  force.ignore_dirty_ratio = true;
  ASSERT_OK(log->compact(t0 + 10'000, force));
  // Every key's latest value is still there.
  std::map<std::string, std::string> seen;
  for (const auto& r : read_all(*log)) seen[*r.key] = *r.value;
  EXPECT_EQ(seen, latest);
}

}  // namespace
}  // namespace wharf::storage

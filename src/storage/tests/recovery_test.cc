// Recovery on open after an unclean stop: torn and garbage tails, corrupt batches, rebuilt
// indexes, leftover files, the recovery point.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "storage/partition_log.h"
#include "storage/tests/test_util.h"

namespace wharf::storage {
namespace {

using namespace testing;

std::filesystem::path segment_path(const std::filesystem::path& dir, std::int64_t base,
                                   std::string_view suffix) {
  return dir / fmt::format("{:020d}{}", base, suffix);
}

void truncate_file(const std::filesystem::path& path, std::uint64_t size) {
  std::filesystem::resize_file(path, size);
}

void append_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void overwrite_bytes(const std::filesystem::path& path, std::uint64_t at, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at)),
            static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes 20 batches of 3 records and "crashes" (drops the log without close()).
std::vector<std::uint64_t> write_and_crash(const std::filesystem::path& dir,
                                           const log_config& config) {
  auto log = open_log(dir, config);
  std::vector<std::uint64_t> positions;
  for (int i = 0; i < 20; ++i) {
    auto r = log->append(make_value_batch(3, 1000 + i, 20));
    positions.push_back(r->position);
  }
  return positions;
}

TEST(Recovery, TruncatesATornLastBatch) {
  temp_dir dir;
  auto config = small_config(1 << 20);
  auto positions = write_and_crash(dir / "t-0", config);
  auto log_file = segment_path(dir / "t-0", 0, ".log");
  std::uint64_t size = size_of_file(log_file);
  truncate_file(log_file, size - 7);  // the last batch loses its tail

  log_capture logs;
  auto log = open_log(dir / "t-0", config);
  ASSERT_TRUE(log);
  const auto& summary = log->last_recovery();
  EXPECT_FALSE(summary.clean_shutdown);
  EXPECT_EQ(summary.segments_scanned, 1u);
  EXPECT_EQ(summary.bytes_truncated, size - 7 - positions.back());
  EXPECT_TRUE(logs.contains("truncating"));
  EXPECT_EQ(log->log_end_offset(), 57);
  EXPECT_EQ(size_of_file(log_file), positions.back());
  EXPECT_EQ(read_all(*log).size(), 57u);
  // Appends continue from the recovered end.
  auto r = log->append(make_value_batch(1, 5000));
  ASSERT_OK(r);
  EXPECT_EQ(r->base_offset, 57);
  EXPECT_EQ(read_all(*log).back().offset, 57);
}

TEST(Recovery, TruncatesAGarbageTail) {
  temp_dir dir;
  auto config = small_config(1 << 20);
  write_and_crash(dir / "t-0", config);
  auto log_file = segment_path(dir / "t-0", 0, ".log");
  std::uint64_t size = size_of_file(log_file);
  append_bytes(log_file, std::string(5000, '\xAB'));
  log_capture logs;
  auto log = open_log(dir / "t-0", config);
  EXPECT_EQ(log->last_recovery().bytes_truncated, 5000u);
  EXPECT_TRUE(logs.contains("recovery cut 5000 bytes"));
  EXPECT_EQ(log->log_end_offset(), 60);
  EXPECT_EQ(size_of_file(log_file), size);
  EXPECT_EQ(read_all(*log).size(), 60u);
}

TEST(Recovery, TruncatesAtABatchThatFailsItsCrc) {
  temp_dir dir;
  auto config = small_config(1 << 20);
  auto positions = write_and_crash(dir / "t-0", config);
  auto log_file = segment_path(dir / "t-0", 0, ".log");
  // Flip a byte in the records of batch 12.
  overwrite_bytes(log_file, positions[12] + 70, "\x01");
  log_capture logs;
  auto log = open_log(dir / "t-0", config);
  EXPECT_TRUE(logs.contains("fails its CRC"));
  EXPECT_EQ(log->log_end_offset(), 36);
  EXPECT_EQ(read_all(*log).size(), 36u);
}

TEST(Recovery, ZeroFilledTailFromAPowerLossIsCut) {
  temp_dir dir;
  auto config = small_config(1 << 20);
  write_and_crash(dir / "t-0", config);
  auto log_file = segment_path(dir / "t-0", 0, ".log");
  append_bytes(log_file, std::string(4096, '\0'));
  auto log = open_log(dir / "t-0", config);
  EXPECT_EQ(log->last_recovery().bytes_truncated, 4096u);
  EXPECT_EQ(log->log_end_offset(), 60);
}

TEST(Recovery, CorruptionInAnEarlierUnflushedSegmentDropsTheLaterOnes) {
  temp_dir dir;
  auto config = small_config(1024);
  {
    auto log = open_log(dir / "t-0", config);
    for (int i = 0; i < 40; ++i) ASSERT_OK(log->append(make_value_batch(2, 1000 + i, 30)));
    ASSERT_GE(log->segment_count(), 4u);
  }
  auto files = list_files(dir / "t-0");
  std::vector<std::string> logs;
  for (const auto& f : files) {
    if (f.ends_with(".log")) logs.push_back(f);
  }
  // Nothing was flushed, so every segment is recovered; corrupt the second one's tail.
  auto second = dir / "t-0" / logs[1];
  truncate_file(second, size_of_file(second) - 3);
  log_capture capture;
  auto log = open_log(dir / "t-0", config);
  const auto& summary = log->last_recovery();
  EXPECT_EQ(summary.segments_scanned, 2u);
  EXPECT_EQ(summary.segments_dropped, logs.size() - 2);
  EXPECT_EQ(log->segment_count(), 2u);
  EXPECT_TRUE(capture.contains("after the corrupt segment"));
  auto all = read_all(*log);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().offset + 1, log->log_end_offset());
  EXPECT_EQ(static_cast<std::int64_t>(all.size()), log->log_end_offset());
}

TEST(Recovery, OnlySegmentsPastTheRecoveryPointAreScanned) {
  temp_dir dir;
  auto config = small_config(1024);
  {
    auto log = open_log(dir / "t-0", config);
    for (int i = 0; i < 40; ++i) ASSERT_OK(log->append(make_value_batch(2, 1000 + i, 30)));
    ASSERT_OK(log->flush());
    for (int i = 0; i < 3; ++i) ASSERT_OK(log->append(make_value_batch(2, 2000 + i, 30)));
  }
  auto log = open_log(dir / "t-0", config);
  EXPECT_FALSE(log->last_recovery().clean_shutdown);
  EXPECT_LE(log->last_recovery().segments_scanned, 2u);
  EXPECT_GE(log->last_recovery().segments_scanned, 1u);
  EXPECT_EQ(log->log_end_offset(), 86);
  EXPECT_EQ(read_all(*log).size(), 86u);
}

class IndexRebuild : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = small_config(1 << 20);
    config_.index_interval_bytes = 100;
    auto log = open_log(dir_ / "t-0", config_);
    for (int i = 0; i < 50; ++i) {
      std::vector<test_record> recs;
      for (int j = 0; j < 3; ++j)
        recs.push_back({std::nullopt, std::string(30, 'v'), 1000 + i * 10 + j});
      ASSERT_OK(log->append(make_batch(recs)));
    }
    ASSERT_OK(log->close());
    index_ = segment_path(dir_ / "t-0", 0, ".index");
    time_index_ = segment_path(dir_ / "t-0", 0, ".timeindex");
    good_index_ = read_file(index_);
    good_time_index_ = read_file(time_index_);
    ASSERT_GT(good_index_.size(), 8u * 10);
    ASSERT_GT(good_time_index_.size(), 12u * 10);
  }

  // Reopens, checks the index was rebuilt to what it was and that lookups work.
  void expect_rebuilt() {
    log_capture logs;
    auto log = open_log(dir_ / "t-0", config_);
    ASSERT_TRUE(log);
    EXPECT_TRUE(log->last_recovery().clean_shutdown);
    EXPECT_EQ(log->last_recovery().indexes_rebuilt, 1u);
    EXPECT_EQ(read_file(index_), good_index_);
    EXPECT_EQ(read_file(time_index_), good_time_index_);
    for (std::int64_t offset = 0; offset < 150; offset += 7) {
      auto r = log->read(offset, 200);
      ASSERT_OK(r);
      auto batches = batches_of(r->records.bytes());
      ASSERT_FALSE(batches.empty());
      EXPECT_LE(batches[0].base_offset, offset);
      EXPECT_GE(batches[0].last_offset, offset);
    }
    auto found = log->offset_for_timestamp(1255);
    ASSERT_OK(found);
    EXPECT_EQ((*found)->offset, 78);  // 1260, the first record of batch 26
  }

  temp_dir dir_;
  log_config config_;
  std::filesystem::path index_;
  std::filesystem::path time_index_;
  std::string good_index_;
  std::string good_time_index_;
};

TEST_F(IndexRebuild, MissingIndexFiles) {
  std::filesystem::remove(index_);
  std::filesystem::remove(time_index_);
  expect_rebuilt();
}

TEST_F(IndexRebuild, IndexOfTheWrongSize) {
  truncate_file(index_, good_index_.size() - 3);
  expect_rebuilt();
}

TEST_F(IndexRebuild, NonMonotonicEntries) {
  // Swap two offset-index entries.
  std::string bad = good_index_;
  std::swap_ranges(bad.begin() + 8, bad.begin() + 16, bad.begin() + 24);
  overwrite_bytes(index_, 0, bad);
  expect_rebuilt();
}

TEST_F(IndexRebuild, TimeIndexGoingBackwards) {
  std::string bad = good_time_index_;
  std::swap_ranges(bad.begin(), bad.begin() + 12, bad.begin() + 12);
  overwrite_bytes(time_index_, 0, bad);
  expect_rebuilt();
}

TEST_F(IndexRebuild, EntriesPastTheLog) {
  // A well-formed last entry pointing past the end of the log file.
  append_bytes(index_, std::string("\x00\x00\x7f\x00\x00\x7f\x00\x00", 8));
  expect_rebuilt();
}

TEST_F(IndexRebuild, GarbageIndexOfTheRightSize) {
  overwrite_bytes(index_, 0, std::string(good_index_.size(), '\x5A'));
  expect_rebuilt();
}

TEST(Recovery, RemovesLeftoverFiles) {
  temp_dir dir;
  auto config = small_config(1 << 20);
  {
    auto log = open_log(dir / "t-0", config);
    ASSERT_OK(log->append(make_value_batch(3, 1)));
    ASSERT_OK(log->close());
  }
  for (auto name : {"00000000000000000000.log.cleaned", "00000000000000000007.log.deleted",
                    "00000000000000000007.index.deleted", "log-state.checkpoint.tmp",
                    "00000000000000000000.index.swap", "00000000000000000099.index"}) {
    append_bytes(dir / "t-0" / name, "junk");
  }
  auto log = open_log(dir / "t-0", config);
  EXPECT_EQ(log->last_recovery().leftover_files_removed, 5u);
  auto files = list_files(dir / "t-0");
  EXPECT_EQ(files,
            (std::vector<std::string>{"00000000000000000000.index", "00000000000000000000.log",
                                      "00000000000000000000.timeindex", "log-state.checkpoint"}));
  EXPECT_EQ(read_all(*log).size(), 3u);
}

TEST(Recovery, UnreadableCheckpointIsIgnoredWithAWarning) {
  temp_dir dir;
  auto config = small_config(1 << 20);
  {
    auto log = open_log(dir / "t-0", config);
    ASSERT_OK(log->append(make_value_batch(3, 1)));
  }
  {
    std::ofstream out(dir / "t-0" / "log-state.checkpoint", std::ios::trunc);
    out << "something else\n";
  }
  log_capture logs;
  auto log = open_log(dir / "t-0", config);
  ASSERT_TRUE(log);
  EXPECT_TRUE(logs.contains("ignoring the state checkpoint"));
  EXPECT_EQ(log->log_end_offset(), 3);
}

TEST(Recovery, ALogFileThatIsNotBatchesIsCutWhole) {
  temp_dir dir;
  std::filesystem::create_directories(dir / "t-0");
  append_bytes(dir / "t-0" / "00000000000000000000.log", std::string(300, 'x'));
  log_capture logs;
  auto log = open_log(dir / "t-0", small_config());
  ASSERT_TRUE(log);
  EXPECT_EQ(log->last_recovery().bytes_truncated, 300u);
  EXPECT_EQ(log->log_end_offset(), 0);
  ASSERT_OK(log->append(make_value_batch(1, 1)));
}

}  // namespace
}  // namespace wharf::storage

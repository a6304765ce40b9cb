// Compaction: latest record per key, offsets preserved, tombstones and their delete
// horizon, transactions, producers' last batches, compressed batches, crash safety.
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "kafka/records/batch.h"
#include "storage/compaction.h"
#include "storage/partition_log.h"
#include "storage/tests/test_util.h"

namespace wharf::storage {
namespace {

using namespace testing;
namespace records = kafka::records;

constexpr std::int64_t t0 = 1'700'000'000'000;
constexpr std::int64_t day = 86'400'000;

log_config compact_config(std::int64_t segment_bytes = 1024) {
  log_config c = small_config(segment_bytes);
  c.cleanup_delete = false;
  c.cleanup_compact = true;
  return c;
}

struct keyed {
  std::string key;
  std::optional<std::string> value;
};

// Appends batches of keyed records; returns every record as written.
std::vector<read_record> write_keyed(partition_log& log,
                                     const std::vector<std::vector<keyed>>& batches,
                                     const batch_spec& spec = {}) {
  std::vector<read_record> written;
  for (const auto& batch : batches) {
    std::vector<test_record> recs;
    for (const auto& k : batch) recs.push_back({k.key, k.value, t0});
    auto r = log.append(make_batch(recs, spec));
    EXPECT_TRUE(r.ok());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      written.push_back(
          {r->base_offset + static_cast<std::int64_t>(i), t0, batch[i].key, batch[i].value, false});
    }
  }
  return written;
}

// What compaction must leave: below clean_end only the latest record of each key (and no
// tombstone when drop_tombstones); from clean_end on, everything.
std::vector<read_record> expected_after(const std::vector<read_record>& written,
                                        std::int64_t clean_end, bool drop_tombstones) {
  std::map<std::string, std::int64_t> latest;
  for (const auto& r : written) {
    if (r.offset < clean_end) latest[*r.key] = r.offset;
  }
  std::vector<read_record> out;
  for (const auto& r : written) {
    if (r.offset >= clean_end) {
      out.push_back(r);
    } else if (latest[*r.key] == r.offset && (r.value || !drop_tombstones)) {
      out.push_back(r);
    }
  }
  return out;
}

void expect_same(const std::vector<read_record>& actual, const std::vector<read_record>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].offset, expected[i].offset) << i;
    EXPECT_EQ(actual[i].key, expected[i].key) << i;
    EXPECT_EQ(actual[i].value, expected[i].value) << i;
    EXPECT_EQ(actual[i].timestamp, expected[i].timestamp) << i;
  }
}

std::vector<std::vector<keyed>> keyed_batches(int batches, int per_batch, int keys, int seed = 0) {
  std::vector<std::vector<keyed>> out;
  int n = seed;
  for (int b = 0; b < batches; ++b) {
    std::vector<keyed> batch;
    for (int i = 0; i < per_batch; ++i, ++n) {
      batch.push_back({fmt::format("key-{}", (n * 7) % keys), fmt::format("value-{}", n)});
    }
    out.push_back(batch);
  }
  return out;
}

TEST(Compaction, KeepsTheLatestRecordPerKeyWithItsOffset) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", compact_config());
  auto written = write_keyed(*log, keyed_batches(120, 3, 10));
  auto batches_before = read_all_batches(*log);
  std::size_t segments = log->segment_count();
  std::uint64_t size = log->size_bytes();
  ASSERT_GT(segments, 5u);

  auto result = log->compact(t0);
  ASSERT_OK(result);
  EXPECT_TRUE(result->cleaned);
  EXPECT_DOUBLE_EQ(result->dirty_ratio, 1.0);
  EXPECT_EQ(result->first_dirty_offset, 0);
  EXPECT_GT(result->records_removed, 300);
  EXPECT_LT(log->size_bytes(), size);
  // Groups are made from the sizes before cleaning (as Kafka does): full segments are
  // cleaned one by one, and the small results are merged by the next pass.
  EXPECT_EQ(result->segments_after, segments);
  compaction_options force;
  force.ignore_dirty_ratio = true;
  auto merged = log->compact(t0, force);
  ASSERT_OK(merged);
  EXPECT_LT(merged->segments_after, segments);
  EXPECT_EQ(log->segment_count(), merged->segments_after);
  EXPECT_EQ(log->log_end_offset(), 360);

  expect_same(read_all(*log), expected_after(written, result->cleaned_up_to, false));
  // Rewritten batches keep their base offset and last offset delta, and a valid CRC.
  std::set<std::pair<std::int64_t, std::int64_t>> original;
  for (const auto& b : batches_before) original.insert({b.base_offset, b.last_offset});
  for (const auto& b : read_all_batches(*log)) {
    EXPECT_TRUE(original.count({b.base_offset, b.last_offset})) << b.base_offset;
    EXPECT_TRUE(b.crc_ok);
  }
  // Every offset is still readable: a read inside a removed range moves to the next batch.
  for (std::int64_t offset = 0; offset < log->log_end_offset(); ++offset) {
    auto r = log->read(offset, 100);
    ASSERT_OK(r);
    ASSERT_FALSE(r->records.empty()) << offset;
    EXPECT_GE(batches_of(r->records.bytes()).front().last_offset, offset);
  }
  // Appends go on; the result survives a clean and an unclean restart.
  auto more = write_keyed(*log, {{{"key-1", "after"}}});
  EXPECT_EQ(more.front().offset, 360);
  auto expected = read_all(*log);
  log.reset();
  log = open_log(dir / "t-0", compact_config());
  expect_same(read_all(*log), expected);
  ASSERT_OK(log->close());
  log = open_log(dir / "t-0", compact_config());
  expect_same(read_all(*log), expected);
}

TEST(Compaction, CleansOnlyWhatIsDirtyEnough) {
  temp_dir dir;
  auto config = compact_config();
  auto log = open_log(dir / "t-0", config);
  // Distinct keys: the first cleaning keeps nearly everything, so the clean part is large.
  auto written = write_keyed(*log, keyed_batches(60, 3, 1000));
  ASSERT_TRUE(log->compact(t0)->cleaned);
  // Nothing new: nothing to do.
  auto again = log->compact(t0);
  ASSERT_OK(again);
  EXPECT_FALSE(again->cleaned);
  // A little new data (new values for some of the same keys) is below the default 0.5...
  auto more = write_keyed(*log, keyed_batches(12, 3, 1000, 1000));
  written.insert(written.end(), more.begin(), more.end());
  auto small = log->compact(t0);
  ASSERT_OK(small);
  EXPECT_FALSE(small->cleaned);
  EXPECT_GT(small->dirty_ratio, 0.0);
  EXPECT_LT(small->dirty_ratio, 0.5);
  // ...unless forced, and the map of the dirty part still removes older values in the
  // clean part.
  compaction_options force;
  force.ignore_dirty_ratio = true;
  auto forced = log->compact(t0, force);
  ASSERT_OK(forced);
  EXPECT_TRUE(forced->cleaned);
  expect_same(read_all(*log), expected_after(written, forced->cleaned_up_to, false));
}

TEST(Compaction, TombstonesStayForDeleteRetentionAfterTheirFirstCleaning) {
  temp_dir dir;
  auto config = compact_config();
  auto log = open_log(dir / "t-0", config);
  auto written = write_keyed(*log, keyed_batches(20, 3, 5));
  auto tomb = write_keyed(*log, {{{"key-2", std::nullopt}, {"key-3", "live"}}});
  written.insert(written.end(), tomb.begin(), tomb.end());
  // Later records use other keys, so the tombstone stays the latest for key-2.
  std::vector<std::vector<keyed>> others;
  for (int i = 0; i < 30; ++i)
    others.push_back({{fmt::format("other-{}", i % 4), fmt::format("x{}", i)}});
  auto rest = write_keyed(*log, others);
  written.insert(written.end(), rest.begin(), rest.end());
  std::int64_t tomb_offset = tomb.front().offset;

  auto first = log->compact(t0);
  ASSERT_OK(first);
  ASSERT_TRUE(first->cleaned);
  ASSERT_GT(first->cleaned_up_to, tomb_offset);
  EXPECT_EQ(first->tombstones_removed, 0);
  auto after_first = read_all(*log);
  expect_same(after_first, expected_after(written, first->cleaned_up_to, false));
  // The batch holding the tombstone now carries a delete horizon of now + 1 day.
  bool found = false;
  for (const auto& b : read_all_batches(*log)) {
    if (b.base_offset <= tomb_offset && tomb_offset <= b.last_offset) {
      found = true;
      EXPECT_TRUE(b.attributes & records::attribute::delete_horizon);
      EXPECT_EQ(b.base_timestamp, t0 + day);
    }
  }
  EXPECT_TRUE(found);

  compaction_options force;
  force.ignore_dirty_ratio = true;
  auto early = log->compact(t0 + day - 1, force);
  ASSERT_OK(early);
  EXPECT_EQ(early->tombstones_removed, 0);
  expect_same(read_all(*log), after_first);

  auto late = log->compact(t0 + day, force);
  ASSERT_OK(late);
  EXPECT_EQ(late->tombstones_removed, 1);
  expect_same(read_all(*log), expected_after(written, first->cleaned_up_to, true));
}

TEST(Compaction, NeverTouchesTheActiveSegment) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", compact_config(1 << 20));
  auto written = write_keyed(*log, keyed_batches(50, 3, 2));
  ASSERT_EQ(log->segment_count(), 1u);
  auto result = log->compact(t0);
  ASSERT_OK(result);
  EXPECT_FALSE(result->cleaned);
  expect_same(read_all(*log), written);
}

TEST(Compaction, DoesNothingForDeleteOnlyTopics) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", small_config());
  write_keyed(*log, keyed_batches(60, 3, 2));
  auto result = log->compact(t0);
  ASSERT_OK(result);
  EXPECT_FALSE(result->cleaned);
}

TEST(Compaction, CompressedBatchesAreRewrittenWithTheirCodec) {
  for (auto codec : {records::compression_type::gzip, records::compression_type::snappy,
                     records::compression_type::lz4, records::compression_type::zstd}) {
    temp_dir dir;
    auto log = open_log(dir / "t-0", compact_config(2048));
    batch_spec spec;
    spec.compression = codec;
    auto written = write_keyed(*log, keyed_batches(80, 5, 7), spec);
    auto result = log->compact(t0);
    ASSERT_OK(result);
    ASSERT_TRUE(result->cleaned);
    expect_same(read_all(*log), expected_after(written, result->cleaned_up_to, false));
    for (const auto& b : read_all_batches(*log)) {
      EXPECT_EQ(b.attributes & records::attribute::compression_mask, static_cast<int>(codec));
    }
  }
}

TEST(Compaction, KeylessRecordsAreDropped) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", compact_config());
  for (int i = 0; i < 40; ++i) ASSERT_OK(log->append(make_value_batch(3, t0, 30)));
  auto result = log->compact(t0);
  ASSERT_OK(result);
  ASSERT_TRUE(result->cleaned);
  auto left = read_all(*log);
  ASSERT_FALSE(left.empty());
  EXPECT_GE(left.front().offset, result->cleaned_up_to);
}

TEST(Compaction, KeepsAProducersLastBatchEvenWhenEmpty) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", compact_config());
  batch_spec idempotent;
  idempotent.producer_id = 42;
  idempotent.producer_epoch = 0;
  idempotent.base_sequence = 0;
  auto first = write_keyed(*log, {{{"a", "1"}, {"b", "1"}}}, idempotent);
  idempotent.base_sequence = 2;
  auto last = write_keyed(*log, {{{"a", "2"}, {"b", "2"}}}, idempotent);
  // Plain records supersede everything the producer wrote.
  std::vector<std::vector<keyed>> newer;
  for (int i = 0; i < 40; ++i) newer.push_back({{i % 2 ? "a" : "b", fmt::format("n{}", i)}});
  write_keyed(*log, newer);
  auto result = log->compact(t0);
  ASSERT_OK(result);
  ASSERT_TRUE(result->cleaned);
  auto batches = read_all_batches(*log);
  // The first producer batch is gone; the last stays as an empty batch with its offsets.
  EXPECT_NE(batches.front().base_offset, first.front().offset);
  ASSERT_EQ(batches.front().base_offset, last.front().offset);
  EXPECT_EQ(batches.front().last_offset, last.back().offset);
  EXPECT_EQ(batches.front().record_count, 0);
  EXPECT_TRUE(batches.front().crc_ok);
  auto raw = log->read(last.front().offset, 1 << 20);
  auto header = records::read_batch_header(raw->records.bytes());
  EXPECT_EQ(header->producer_id, 42);
  EXPECT_EQ(header->base_sequence, 2);
}

TEST(Compaction, AbortedTransactionsGoAndCommittedOnesStay) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", compact_config());
  batch_spec txn1{records::compression_type::none, 1, 0, 0, true};
  batch_spec txn2{records::compression_type::none, 2, 0, 0, true};
  auto aborted = write_keyed(*log, {{{"x", "aborted"}, {"y", "aborted"}}}, txn1);
  auto committed = write_keyed(*log, {{{"z", "committed"}}}, txn2);
  ASSERT_OK(log->append(make_marker(false, 1, 0, t0)));
  ASSERT_OK(log->append(make_marker(true, 2, 0, t0)));
  std::vector<std::vector<keyed>> filler;
  for (int i = 0; i < 40; ++i) filler.push_back({{fmt::format("f{}", i % 3), "v"}});
  write_keyed(*log, filler);

  auto result = log->compact(t0);
  ASSERT_OK(result);
  ASSERT_TRUE(result->cleaned);
  auto left = read_all(*log);
  for (const auto& r : left) EXPECT_NE(r.value, std::optional<std::string>("aborted"));
  auto has = [&](std::int64_t offset) {
    return std::any_of(left.begin(), left.end(), [&](const auto& r) { return r.offset == offset; });
  };
  EXPECT_TRUE(has(committed.front().offset));
  // Both markers stay for now; the abort marker, whose transaction is empty, got a horizon.
  std::int64_t abort_marker = committed.front().offset + 1;
  EXPECT_TRUE(has(abort_marker));
  EXPECT_TRUE(has(abort_marker + 1));
  compaction_options force;
  force.ignore_dirty_ratio = true;
  ASSERT_OK(log->compact(t0 + day, force));
  left = read_all(*log);
  EXPECT_FALSE(has(abort_marker));
  EXPECT_TRUE(has(abort_marker + 1));
  EXPECT_TRUE(has(committed.front().offset));
}

TEST(Compaction, StopsAtAnOpenTransaction) {
  temp_dir dir;
  auto log = open_log(dir / "t-0", compact_config());
  auto early = write_keyed(*log, keyed_batches(20, 3, 4));
  batch_spec txn{records::compression_type::none, 9, 0, 0, true};
  auto open_txn = write_keyed(*log, {{{"key-1", "pending"}}}, txn);
  auto later = write_keyed(*log, keyed_batches(30, 3, 4, 100));
  auto result = log->compact(t0);
  ASSERT_OK(result);
  ASSERT_TRUE(result->cleaned);
  EXPECT_LE(result->cleaned_up_to, open_txn.front().offset);
  // Everything from the open transaction on is untouched.
  auto left = read_all(*log);
  std::size_t from_txn = std::count_if(
      left.begin(), left.end(), [&](const auto& r) { return r.offset >= open_txn.front().offset; });
  EXPECT_EQ(from_txn, 1 + later.size());
  // With the broker's stable offset instead, cleaning stops there.
  compaction_options lso;
  lso.last_stable_offset = 10;
  lso.ignore_dirty_ratio = true;
  temp_dir dir2;
  auto log2 = open_log(dir2 / "t-0", compact_config());
  write_keyed(*log2, keyed_batches(60, 3, 4));
  auto bounded = log2->compact(t0, lso);
  ASSERT_OK(bounded);
  EXPECT_LE(bounded->cleaned_up_to, 10);
}

// ---- Crash safety ----

class CompactionCrash : public ::testing::Test {
 protected:
  // Three small segments that form one cleaning group, then the active one.
  void fill(const std::filesystem::path& dir) {
    auto log = open_log(dir, config(), t0);
    for (int segment = 0; segment < 4; ++segment) {
      for (int i = 0; i < 10; ++i) {
        std::vector<test_record> recs = {{fmt::format("k{}", i % 4),
                                          fmt::format("s{}-{}", segment, i),
                                          t0 + segment * 10'000 + i}};
        append_options options;
        options.now_ms = t0 + segment * 10'000;
        ASSERT_OK(log->append(make_batch(recs), options));
      }
    }
    ASSERT_EQ(log->segment_count(), 4u);
    ASSERT_OK(log->close());
  }

  static log_config config() {
    log_config c = compact_config(1 << 20);
    c.segment_ms = 5'000;
    return c;
  }

  void TearDown() override { detail::set_compaction_stop_after_write_for_testing(false); }
};

TEST_F(CompactionCrash, UncommittedOutputIsDiscarded) {
  temp_dir dir;
  fill(dir / "t-0");
  std::vector<read_record> before;
  {
    auto log = open_log(dir / "t-0", config());
    before = read_all(*log);
    detail::set_compaction_stop_after_write_for_testing(true);
    auto result = log->compact(t0 + 100'000);
    ASSERT_FALSE(result.ok());
    EXPECT_TRUE(std::filesystem::exists(dir / "t-0" / "00000000000000000000.log.cleaned"));
    detail::set_compaction_stop_after_write_for_testing(false);
    // The process dies here.
  }
  auto log = open_log(dir / "t-0", config());
  EXPECT_EQ(log->last_recovery().leftover_files_removed, 1u);
  EXPECT_FALSE(std::filesystem::exists(dir / "t-0" / "00000000000000000000.log.cleaned"));
  EXPECT_EQ(log->segment_count(), 4u);
  expect_same(read_all(*log), before);
  // And a later compaction works.
  auto result = log->compact(t0 + 100'000);
  ASSERT_OK(result);
  EXPECT_TRUE(result->cleaned);
}

TEST_F(CompactionCrash, CommittedOutputIsFinishedOnOpen) {
  temp_dir dir;
  temp_dir reference;
  fill(dir / "t-0");
  fill(reference / "t-0");
  std::vector<read_record> expected;
  {
    auto log = open_log(reference / "t-0", config());
    auto result = log->compact(t0 + 100'000);
    ASSERT_OK(result);
    ASSERT_TRUE(result->cleaned);
    EXPECT_EQ(result->segments_after, 2u);
    expected = read_all(*log);
  }
  {
    auto log = open_log(dir / "t-0", config());
    detail::set_compaction_stop_after_write_for_testing(true);
    ASSERT_FALSE(log->compact(t0 + 100'000).ok());
    detail::set_compaction_stop_after_write_for_testing(false);
  }
  // The crash came right after the commit rename.
  std::filesystem::rename(dir / "t-0" / "00000000000000000000.log.cleaned",
                          dir / "t-0" / "00000000000000000000.log.swap");
  auto log = open_log(dir / "t-0", config());
  EXPECT_TRUE(log->last_recovery().swap_completed);
  EXPECT_EQ(log->segment_count(), 2u);
  expect_same(read_all(*log), expected);
  EXPECT_FALSE(std::filesystem::exists(dir / "t-0" / "00000000000000000000.log.swap"));
  // The rebuilt indexes serve reads and timestamps.
  auto found = log->offset_for_timestamp(t0 + 20'005);
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
}

TEST_F(CompactionCrash, SwapAfterSomeOldSegmentsWereDeleted) {
  temp_dir dir;
  temp_dir reference;
  fill(dir / "t-0");
  fill(reference / "t-0");
  std::vector<read_record> expected;
  {
    auto log = open_log(reference / "t-0", config());
    ASSERT_OK(log->compact(t0 + 100'000));
    expected = read_all(*log);
  }
  {
    auto log = open_log(dir / "t-0", config());
    detail::set_compaction_stop_after_write_for_testing(true);
    ASSERT_FALSE(log->compact(t0 + 100'000).ok());
    detail::set_compaction_stop_after_write_for_testing(false);
  }
  std::filesystem::rename(dir / "t-0" / "00000000000000000000.log.cleaned",
                          dir / "t-0" / "00000000000000000000.log.swap");
  // The swap had deleted the second segment of the group before the crash.
  std::filesystem::remove(dir / "t-0" / "00000000000000000010.log");
  std::filesystem::remove(dir / "t-0" / "00000000000000000010.index");
  auto log = open_log(dir / "t-0", config());
  EXPECT_TRUE(log->last_recovery().swap_completed);
  expect_same(read_all(*log), expected);
}

}  // namespace
}  // namespace wharf::storage

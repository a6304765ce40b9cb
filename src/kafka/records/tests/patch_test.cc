// Append patching and the incremental CRC behind it.
#include "kafka/records/patch.h"

#include <random>

#include <gtest/gtest.h>

#include "kafka/records/record.h"
#include "kafka/records/tests/test_util.h"
#include "kafka/records/validate.h"

namespace wharf::kafka::records {
namespace {

std::span<char> span_of(std::string& s) { return {s.data(), s.size()}; }

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Crc, ExtendByZerosMatchesDirectComputation) {
  std::mt19937_64 rng(5);
  for (std::size_t zeros : {0u, 1u, 7u, 8u, 100u, 4096u, 1000003u}) {
    auto data = testing::random_bytes(rng, 37);
    std::string padded = data + std::string(zeros, '\0');
    EXPECT_EQ(crc32c_extend_zeros(crc32c(data), zeros), crc32c(padded)) << zeros;
  }
}

TEST(Crc, UpdateMatchesRecomputation) {
  std::mt19937_64 rng(6);
  for (int round = 0; round < 200; ++round) {
    std::size_t total = 1 + rng() % 5000;
    auto message = testing::random_bytes(rng, total);
    std::size_t at = rng() % total;
    std::size_t n = std::min<std::size_t>(1 + rng() % 100, total - at);
    auto changed = message;
    for (std::size_t i = 0; i < n; ++i) changed[at + i] = static_cast<char>(rng());
    auto updated =
        crc32c_update(crc32c(message), total, at, bytes_of(std::string_view(message).substr(at, n)),
                      bytes_of(std::string_view(changed).substr(at, n)));
    EXPECT_EQ(updated, crc32c(changed));
  }
}

TEST(Patch, OffsetAndEpochLeaveTheCrcAlone) {
  for (auto codec : testing::all_codecs) {
    auto bytes = testing::sample_batch(codec, 10);
    auto before = bytes;
    auto next =
        patch_for_append(span_of(bytes), {.base_offset = 1000, .partition_leader_epoch = 9});
    EXPECT_EQ(next, 1010);
    auto batch = batch_view::parse(bytes).value();
    EXPECT_EQ(batch.header().base_offset, 1000);
    EXPECT_EQ(batch.header().partition_leader_epoch, 9);
    EXPECT_EQ(batch.header().crc, batch_view::parse(before)->header().crc);
    EXPECT_TRUE(batch.crc_ok());
    // Only bytes 0-15 changed.
    EXPECT_EQ(bytes.substr(16), before.substr(16));
    auto decoded = decode_batch(batch).value();
    EXPECT_EQ(decoded.records.front().offset, 1000);
    EXPECT_EQ(decoded.records.back().offset, 1009);
  }
}

TEST(Patch, LogAppendTimeSetsBitAndMaxTimestampAndKeepsCrcValid) {
  for (auto codec : testing::all_codecs) {
    auto bytes = testing::sample_batch(codec, 10, 1000);
    auto original = bytes;
    patch_for_append(span_of(bytes),
                     {.base_offset = 5, .partition_leader_epoch = 1, .log_append_time_ms = 777777});
    auto batch = batch_view::parse(bytes).value();
    const auto& h = batch.header();
    EXPECT_EQ(h.ts_type(), timestamp_type::log_append_time);
    EXPECT_EQ(h.max_timestamp, 777777);
    EXPECT_EQ(h.compression(), codec);
    EXPECT_EQ(h.crc, crc32c(std::string_view(bytes).substr(layout::attributes)));
    // The compressed records are untouched.
    EXPECT_EQ(bytes.substr(layout::header_size), original.substr(layout::header_size));
    auto decoded = decode_batch(batch).value();
    for (const auto& r : decoded.records) EXPECT_EQ(r.timestamp, 777777);
    validation_options broker;
    broker.require_zero_base_offset = false;
    broker.allow_log_append_time = true;
    EXPECT_TRUE(validate_batch(bytes, broker).ok());
    // Patching again with the same values changes nothing.
    auto again = bytes;
    patch_for_append(span_of(again),
                     {.base_offset = 5, .partition_leader_epoch = 1, .log_append_time_ms = 777777});
    EXPECT_EQ(again, bytes);
  }
}

TEST(Patch, CreateTimeMaxTimestampFromValidation) {
  // A client that left maxTimestamp stale: the broker writes the records' real maximum.
  auto bytes = testing::sample_batch(compression_type::gzip, 4, 5000);
  testing::put_be(bytes, layout::max_timestamp, 1, 8);
  testing::reseal(bytes);
  auto summary = validate_batch(bytes).value();
  EXPECT_EQ(summary.max_timestamp, 5003);
  patch_for_append(span_of(bytes), {.base_offset = 0, .max_timestamp = summary.max_timestamp});
  auto batch = batch_view::parse(bytes).value();
  EXPECT_EQ(batch.header().max_timestamp, 5003);
  EXPECT_EQ(batch.header().ts_type(), timestamp_type::create_time);
  EXPECT_TRUE(batch.crc_ok());
}

TEST(Patch, LargeBatchCrcUpdate) {
  batch_builder builder({.compression = compression_type::none});
  std::string value(1000, 'v');
  for (int i = 0; i < 2000; ++i) builder.append(i, std::to_string(i), value);
  auto bytes = std::move(builder).build().value();
  ASSERT_GT(bytes.size(), 2'000'000u);
  patch_for_append(span_of(bytes), {.base_offset = 1, .log_append_time_ms = -5});
  EXPECT_TRUE(batch_view::parse(bytes)->crc_ok());
}

}  // namespace
}  // namespace wharf::kafka::records

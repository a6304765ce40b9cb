// Batch header decoding and the framing of records blobs.
#include "kafka/records/batch.h"

#include <random>

#include <gtest/gtest.h>

#include "kafka/records/tests/test_util.h"

namespace wharf::kafka::records {
namespace {

using testing::put_be;
using testing::sample_batch;

TEST(Batch, HeaderFieldsFromTheBuilder) {
  batch_options options;
  options.compression = compression_type::lz4;
  options.base_offset = 1234;
  options.partition_leader_epoch = 7;
  options.producer_id = 99;
  options.producer_epoch = 3;
  options.base_sequence = 42;
  options.transactional = true;
  batch_builder builder(options);
  builder.append(5000, "a", "1");
  builder.append(4000, "b", "2");
  builder.append(6000, std::nullopt, std::nullopt);
  auto bytes = std::move(builder).build().value();

  auto view = batch_view::parse(bytes);
  ASSERT_RECORDS_OK(view);
  const auto& h = view->header();
  EXPECT_EQ(h.base_offset, 1234);
  EXPECT_EQ(h.size_bytes(), bytes.size());
  EXPECT_EQ(h.partition_leader_epoch, 7);
  EXPECT_EQ(h.magic, 2);
  EXPECT_EQ(h.compression(), compression_type::lz4);
  EXPECT_EQ(h.ts_type(), timestamp_type::create_time);
  EXPECT_TRUE(h.is_transactional());
  EXPECT_FALSE(h.is_control());
  EXPECT_FALSE(h.has_delete_horizon());
  EXPECT_EQ(h.last_offset_delta, 2);
  EXPECT_EQ(h.last_offset(), 1236);
  EXPECT_EQ(h.next_offset(), 1237);
  EXPECT_EQ(h.base_timestamp, 5000);
  EXPECT_EQ(h.max_timestamp, 6000);
  EXPECT_EQ(h.producer_id, 99);
  EXPECT_EQ(h.producer_epoch, 3);
  EXPECT_EQ(h.base_sequence, 42);
  EXPECT_EQ(h.record_count, 3);
  EXPECT_TRUE(view->crc_ok());
  EXPECT_EQ(view->compute_crc(), crc32c(std::string_view(bytes).substr(21)));
}

TEST(Batch, AttributeBits) {
  batch_header h;
  h.attributes = 0x7f;
  EXPECT_EQ(h.compression_id(), 7);
  EXPECT_FALSE(h.compression());
  EXPECT_EQ(h.ts_type(), timestamp_type::log_append_time);
  EXPECT_TRUE(h.is_transactional());
  EXPECT_TRUE(h.is_control());
  EXPECT_TRUE(h.has_delete_horizon());
  h.base_timestamp = 777;
  EXPECT_EQ(h.delete_horizon_ms(), 777);
  h.attributes = 0x04;
  EXPECT_EQ(h.compression(), compression_type::zstd);
  EXPECT_EQ(h.ts_type(), timestamp_type::create_time);
  EXPECT_FALSE(h.delete_horizon_ms());
}

TEST(Batch, ParseChecksLengthAndMagic) {
  auto bytes = sample_batch(compression_type::none, 3);
  EXPECT_RECORDS_ERROR(batch_view::parse(bytes.substr(0, bytes.size() - 1)),
                       error_code::corrupt_message);
  EXPECT_RECORDS_ERROR(batch_view::parse(bytes + "x"), error_code::corrupt_message);
  EXPECT_RECORDS_ERROR(batch_view::parse(bytes.substr(0, 10)), error_code::corrupt_message);
  for (int magic : {0, 1}) {
    auto legacy = bytes;
    legacy[layout::magic] = static_cast<char>(magic);
    EXPECT_RECORDS_ERROR(batch_view::parse(legacy), error_code::unsupported_for_message_format);
  }
  for (int magic : {3, -1, 127}) {
    auto odd = bytes;
    odd[layout::magic] = static_cast<char>(magic);
    EXPECT_RECORDS_ERROR(batch_view::parse(odd), error_code::corrupt_message);
  }
  for (std::int32_t length : {-1, 0, 13, 48}) {
    auto shorter = bytes;
    put_be(shorter, layout::batch_length, static_cast<std::uint32_t>(length), 4);
    EXPECT_RECORDS_ERROR(batch_view::parse(shorter), error_code::corrupt_message);
  }
}

TEST(Batch, ReaderWalksBackToBackBatches) {
  std::string blob;
  std::vector<std::size_t> sizes;
  for (auto codec : testing::all_codecs) {
    auto b = sample_batch(codec, 4);
    sizes.push_back(b.size());
    blob += b;
  }
  batch_reader reader(blob);
  std::size_t n = 0;
  for (;;) {
    auto next = reader.next();
    ASSERT_RECORDS_OK(next);
    if (!next->has_value()) break;
    EXPECT_EQ((*next)->size_bytes(), sizes[n]);
    EXPECT_EQ((*next)->header().compression(), testing::all_codecs[n]);
    EXPECT_TRUE((*next)->crc_ok());
    ++n;
  }
  EXPECT_EQ(n, 5u);
  EXPECT_FALSE(reader.has_partial_tail());
  EXPECT_EQ(reader.position(), blob.size());
  // Further calls keep saying "no more".
  EXPECT_FALSE(reader.next()->has_value());
}

TEST(Batch, TrailingPartialBatchIsReportedNotCorrupt) {
  auto one = sample_batch(compression_type::gzip, 4);
  auto two = sample_batch(compression_type::none, 4);
  auto blob = one + two;
  for (std::size_t cut = one.size(); cut < blob.size(); ++cut) {
    auto partial = std::string_view(blob).substr(0, cut);
    auto split = split_batches(partial, partial_batches::allow);
    ASSERT_RECORDS_OK(split);
    EXPECT_EQ(split->batches.size(), 1u);
    EXPECT_EQ(split->partial_tail.size(), cut - one.size());
    if (cut > one.size()) {
      EXPECT_RECORDS_ERROR(split_batches(partial, partial_batches::reject),
                           error_code::corrupt_message);
    } else {
      EXPECT_TRUE(split_batches(partial, partial_batches::reject).ok());
    }
  }
  // Only a partial batch: nothing whole, all tail.
  auto split = split_batches(std::string_view(one).substr(0, 30), partial_batches::allow);
  ASSERT_RECORDS_OK(split);
  EXPECT_TRUE(split->batches.empty());
  EXPECT_EQ(split->partial_tail.size(), 30u);
  EXPECT_TRUE(split_batches("", partial_batches::reject)->batches.empty());
}

TEST(Batch, BrokenFramingIsAnErrorEvenMidBlob) {
  auto one = sample_batch(compression_type::none, 2);
  auto bad = one;
  bad[layout::magic] = 1;
  auto r = split_batches(one + bad, partial_batches::allow);
  EXPECT_RECORDS_ERROR(r, error_code::unsupported_for_message_format);
  EXPECT_NE(r.err().message().find("at byte " + std::to_string(one.size())), std::string::npos);
  bad = one;
  put_be(bad, layout::batch_length, 5, 4);
  EXPECT_RECORDS_ERROR(split_batches(one + bad, partial_batches::allow),
                       error_code::corrupt_message);
  auto blob = one + bad;
  batch_reader reader(blob);
  EXPECT_TRUE(reader.next().ok());
  EXPECT_FALSE(reader.next().ok());
  EXPECT_FALSE(reader.next().ok());  // sticky
}

TEST(Batch, MaxBatchBytes) {
  auto one = sample_batch(compression_type::none, 20);
  EXPECT_TRUE(split_batches(one, partial_batches::reject, one.size()).ok());
  EXPECT_RECORDS_ERROR(split_batches(one, partial_batches::reject, one.size() - 1),
                       error_code::message_too_large);
}

TEST(Batch, EveryTruncationAndMutationIsHandled) {
  std::mt19937_64 rng(1);
  for (auto codec : testing::all_codecs) {
    auto bytes = sample_batch(codec, 5);
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      auto prefix = std::string_view(bytes).substr(0, cut);
      auto view = batch_view::parse(prefix);
      EXPECT_EQ(view.ok(), cut == bytes.size());
      auto split = split_batches(prefix, partial_batches::allow);
      ASSERT_RECORDS_OK(split);
      EXPECT_EQ(split->batches.size(), cut == bytes.size() ? 1u : 0u);
    }
    for (int round = 0; round < 500; ++round) {
      auto mutated = bytes;
      mutated[rng() % layout::header_size] = static_cast<char>(rng());
      (void)split_batches(mutated, partial_batches::allow);
      (void)batch_view::parse(mutated);
    }
  }
}

}  // namespace
}  // namespace wharf::kafka::records

// Produce-side validation: each rule and the Kafka error code it answers with.
#include "kafka/records/validate.h"

#include <random>

#include <gtest/gtest.h>

#include "kafka/records/tests/test_util.h"

namespace wharf::kafka::records {
namespace {

using testing::batch_around;
using testing::encode;
using testing::put_be;
using testing::raw_record;
using testing::reseal;
using testing::sample_batch;

std::string records(int n, std::int64_t ts_step = 1) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    raw_record r;
    r.offset_delta = i;
    r.timestamp_delta = i * ts_step;
    out += encode(r);
  }
  return out;
}

TEST(Validate, AcceptsWellFormedBatchesOfEveryCodec) {
  for (auto codec : testing::all_codecs) {
    auto bytes = sample_batch(codec, 25, 1700000000000);
    auto summary = validate_batch(bytes);
    ASSERT_TRUE(summary.ok()) << compression_name(codec) << ": " << summary.err().message();
    EXPECT_TRUE(summary->records_checked);
    EXPECT_EQ(summary->header.record_count, 25);
    EXPECT_EQ(summary->max_timestamp, 1700000000024);
    EXPECT_EQ(summary->offset_delta_of_max_timestamp, 24);
    EXPECT_GT(summary->uncompressed_records_bytes, 25u * 50);
    ASSERT_RECORDS_OK(validate_produce_records(bytes));
  }
  // Raw snappy, as librdkafka sends it.
  ASSERT_RECORDS_OK(
      validate_batch(sample_batch(compression_type::snappy, 5, 0, snappy_framing::raw)));
}

TEST(Validate, TamperedCrcIsCorruptMessage) {
  for (auto codec : testing::all_codecs) {
    auto bytes = sample_batch(codec, 5);
    for (std::size_t at : {layout::crc, layout::attributes + 1, layout::record_count,
                           layout::header_size + 2, bytes.size() - 1}) {
      auto tampered = bytes;
      tampered[at] ^= 0x01;
      EXPECT_RECORDS_ERROR(validate_batch(tampered), error_code::corrupt_message);
    }
    // Outside the CRC: baseOffset and partitionLeaderEpoch do not matter to it.
    auto epoch = bytes;
    put_be(epoch, layout::partition_leader_epoch, 12345, 4);
    EXPECT_TRUE(validate_batch(epoch).ok());
  }
}

TEST(Validate, FramingErrors) {
  auto bytes = sample_batch(compression_type::none, 3);
  EXPECT_RECORDS_ERROR(validate_batch(bytes.substr(0, bytes.size() - 1)),
                       error_code::corrupt_message);
  // The produce path answers as Kafka's ProduceRequest.validateRecords does: bytes that do
  // not hold the announced batch, and old magics, are INVALID_RECORD.
  EXPECT_RECORDS_ERROR(validate_produce_records(bytes.substr(0, bytes.size() - 1)),
                       error_code::invalid_record);
  EXPECT_RECORDS_ERROR(validate_produce_records(bytes + "extra"), error_code::corrupt_message);
  EXPECT_RECORDS_ERROR(validate_produce_records(bytes + bytes), error_code::invalid_record);
  EXPECT_RECORDS_ERROR(validate_produce_records(""), error_code::invalid_record);
  EXPECT_RECORDS_ERROR(validate_produce_records("tiny"), error_code::invalid_record);
  auto legacy = bytes;
  legacy[layout::magic] = 1;
  EXPECT_RECORDS_ERROR(validate_produce_records(legacy), error_code::invalid_record);
  EXPECT_RECORDS_ERROR(validate_batch(legacy), error_code::unsupported_for_message_format);
  legacy[layout::magic] = 0;
  EXPECT_RECORDS_ERROR(validate_batch(legacy), error_code::unsupported_for_message_format);
}

TEST(Validate, SizeLimit) {
  auto bytes = sample_batch(compression_type::none, 30);
  validation_options options;
  options.max_batch_bytes = bytes.size();
  EXPECT_TRUE(validate_batch(bytes, options).ok());
  options.max_batch_bytes = bytes.size() - 1;
  EXPECT_RECORDS_ERROR(validate_batch(bytes, options), error_code::message_too_large);
}

TEST(Validate, BaseOffsetMustBeZeroFromClients) {
  auto bytes = sample_batch(compression_type::none, 2);
  put_be(bytes, layout::base_offset, 5, 8);
  EXPECT_RECORDS_ERROR(validate_batch(bytes), error_code::invalid_record);
  validation_options options;
  options.require_zero_base_offset = false;
  EXPECT_TRUE(validate_batch(bytes, options).ok());
}

TEST(Validate, CompressionAttributes) {
  auto body = records(2);
  auto bytes = batch_around(body, 2);
  bytes[layout::attributes + 1] = 5;
  reseal(bytes);
  EXPECT_RECORDS_ERROR(validate_batch(bytes), error_code::unsupported_compression_type);
  auto zstd = sample_batch(compression_type::zstd, 2);
  validation_options options;
  options.allow_zstd = false;
  EXPECT_RECORDS_ERROR(validate_batch(zstd, options), error_code::unsupported_compression_type);
}

TEST(Validate, CountsAndOffsetDeltas) {
  // lastOffsetDelta says 3 records, recordCount 2.
  auto bytes = batch_around(records(2), 2);
  put_be(bytes, layout::last_offset_delta, 2, 4);
  reseal(bytes);
  EXPECT_RECORDS_ERROR(validate_batch(bytes), error_code::invalid_record);
  // Zero and negative counts.
  for (std::int32_t count : {0, -3}) {
    bytes = batch_around("", count);
    EXPECT_RECORDS_ERROR(validate_batch(bytes), error_code::invalid_record);
  }
  bytes = batch_around(records(1), 1);
  put_be(bytes, layout::last_offset_delta, 0x7fffffff, 4);
  reseal(bytes);
  EXPECT_RECORDS_ERROR(validate_batch(bytes), error_code::invalid_record);
  // Offset deltas 0, 2 instead of 0, 1.
  raw_record a, b;
  b.offset_delta = 2;
  bytes = batch_around(encode(a) + encode(b), 2);
  EXPECT_RECORDS_ERROR(validate_batch(bytes), error_code::invalid_record);
  // Header says 2, records hold 3 / 1.
  EXPECT_RECORDS_ERROR(validate_batch(batch_around(records(3), 2)), error_code::invalid_record);
  EXPECT_RECORDS_ERROR(validate_batch(batch_around(records(1), 2)), error_code::invalid_record);
  // A huge count with little data is refused before any record is read.
  EXPECT_RECORDS_ERROR(validate_batch(batch_around(records(1), 1000000)),
                       error_code::invalid_record);
}

TEST(Validate, MalformedRecordInsideCompressedBatch) {
  raw_record bad;
  bad.trailing = "!";
  for (auto codec : testing::all_codecs) {
    auto bytes = batch_around(records(3) + encode(bad), 4, codec);
    auto r = validate_batch(bytes);
    // The 4th record has offset delta 0 and a trailing byte: either is INVALID_RECORD.
    EXPECT_RECORDS_ERROR(r, error_code::invalid_record);
    validation_options trusting;
    trusting.validate_compressed_records = false;
    if (codec == compression_type::none) {
      EXPECT_RECORDS_ERROR(validate_batch(bytes, trusting), error_code::invalid_record);
    } else {
      auto summary = validate_batch(bytes, trusting);
      ASSERT_RECORDS_OK(summary);
      EXPECT_FALSE(summary->records_checked);
    }
  }
}

TEST(Validate, ProducerFields) {
  batch_options options;
  options.producer_id = 10;
  options.producer_epoch = 0;
  options.base_sequence = -1;  // a producer id needs a sequence
  batch_builder builder(options);
  builder.append(0, "k", "v");
  EXPECT_RECORDS_ERROR(validate_batch(std::move(builder).build().value()),
                       error_code::invalid_record);

  batch_options txn;
  txn.transactional = true;  // without a producer id
  batch_builder txn_builder(txn);
  txn_builder.append(0, "k", "v");
  EXPECT_RECORDS_ERROR(validate_batch(std::move(txn_builder).build().value()),
                       error_code::invalid_record);

  batch_options good;
  good.producer_id = 10;
  good.producer_epoch = 0;
  good.base_sequence = 0;
  good.transactional = true;
  batch_builder good_builder(good);
  good_builder.append(0, "k", "v");
  EXPECT_TRUE(validate_batch(std::move(good_builder).build().value()).ok());
}

TEST(Validate, ControlBatchesOnlyFromTheBroker) {
  end_txn_marker_options marker;
  marker.producer_id = 1;
  marker.producer_epoch = 0;
  marker.timestamp_ms = 1;
  auto bytes = build_end_txn_marker_batch(marker);
  EXPECT_RECORDS_ERROR(validate_batch(bytes), error_code::invalid_record);
  validation_options broker;
  broker.allow_control_batches = true;
  EXPECT_TRUE(validate_batch(bytes, broker).ok());
}

TEST(Validate, CompactedTopicsNeedKeys) {
  raw_record keyless;
  keyless.key_length = -1;
  keyless.key = "";
  auto bytes = batch_around(encode(keyless), 1, compression_type::snappy);
  EXPECT_TRUE(validate_batch(bytes).ok());
  validation_options compacted;
  compacted.require_keys = true;
  EXPECT_RECORDS_ERROR(validate_batch(bytes, compacted), error_code::invalid_record);
}

TEST(Validate, Timestamps) {
  auto bytes = batch_around(records(3, 1000), 3, compression_type::lz4, 1'000'000);
  // Records at 1'000'000, 1'001'000, 1'002'000.
  validation_options options;
  options.timestamps =
      timestamp_limits{.now_ms = 1'001'000, .before_max_ms = 1000, .after_max_ms = 1000};
  auto summary = validate_batch(bytes, options);
  ASSERT_RECORDS_OK(summary);
  EXPECT_EQ(summary->max_timestamp, 1'002'000);
  options.timestamps->after_max_ms = 999;
  EXPECT_RECORDS_ERROR(validate_batch(bytes, options), error_code::invalid_timestamp);
  options.timestamps->after_max_ms = 1000;
  options.timestamps->before_max_ms = 999;
  EXPECT_RECORDS_ERROR(validate_batch(bytes, options), error_code::invalid_timestamp);
  // Defaults (INT64_MAX) must not overflow for extreme timestamps.
  options.timestamps = timestamp_limits{.now_ms = INT64_MAX};
  EXPECT_TRUE(validate_batch(bytes, options).ok());
  options.timestamps = timestamp_limits{.now_ms = INT64_MIN};  // now + after max = -1
  EXPECT_RECORDS_ERROR(validate_batch(bytes, options), error_code::invalid_timestamp);
  // The LogAppendTime bit is the broker's to set.
  auto lat = bytes;
  lat[layout::attributes + 1] |= attribute::log_append_time;
  reseal(lat);
  EXPECT_RECORDS_ERROR(validate_batch(lat), error_code::invalid_timestamp);
  validation_options broker;
  broker.allow_log_append_time = true;
  EXPECT_TRUE(validate_batch(lat, broker).ok());
}

TEST(Validate, DecompressionBombIsCapped) {
  // One record whose value is 32 MiB of zeros: tiny compressed, huge decompressed.
  batch_builder builder({.compression = compression_type::zstd});
  builder.append(0, "k", std::string(32u << 20, '\0'));
  auto bomb = std::move(builder).build().value();
  EXPECT_LT(bomb.size(), 64u * 1024);
  validation_options options;
  options.max_decompressed_bytes = 1u << 20;
  EXPECT_RECORDS_ERROR(validate_batch(bomb, options), error_code::message_too_large);
  options.max_decompressed_bytes = 40u << 20;
  EXPECT_TRUE(validate_batch(bomb, options).ok());
}

TEST(Validate, GarbageNeverCrashes) {
  std::mt19937_64 rng(99);
  std::vector<std::string> seeds;
  for (auto codec : testing::all_codecs) seeds.push_back(sample_batch(codec, 6));
  validation_options options;
  options.max_decompressed_bytes = 1u << 16;
  for (int round = 0; round < 20000; ++round) {
    auto bytes = seeds[rng() % seeds.size()];
    switch (rng() % 4) {
      case 0:  // flip bytes and reseal so validation gets past the CRC
        for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) {
          bytes[layout::attributes + rng() % (bytes.size() - layout::attributes)] ^=
              static_cast<char>(1 + rng() % 255);
        }
        reseal(bytes);
        break;
      case 1:  // truncate
        bytes.resize(rng() % bytes.size());
        break;
      case 2:  // pure noise
        bytes = testing::random_bytes(rng, rng() % 200);
        break;
      case 3:  // noise after a valid header
        bytes = bytes.substr(0, layout::header_size) + testing::random_bytes(rng, rng() % 100);
        put_be(bytes, layout::batch_length, bytes.size() - 12, 4);
        reseal(bytes);
        break;
    }
    auto r = validate_batch(bytes, options);
    if (r.ok()) {
      // Whatever passes must decode cleanly too.
      auto batch = batch_view::parse(bytes).value();
      auto decoded = decode_batch(batch, options.max_decompressed_bytes);
      ASSERT_TRUE(decoded.ok()) << decoded.err().message();
      EXPECT_EQ(decoded->records.size(), static_cast<std::size_t>(r->header.record_count));
    }
    (void)validate_produce_records(bytes, options);
  }
}

}  // namespace
}  // namespace wharf::kafka::records

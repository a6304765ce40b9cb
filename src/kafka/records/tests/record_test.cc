// Record decoding, lazy decompression, the builder and control batches.
#include "kafka/records/record.h"

#include <gtest/gtest.h>

#include "kafka/records/builder.h"
#include "kafka/records/tests/test_util.h"

namespace wharf::kafka::records {
namespace {

using testing::batch_around;
using testing::encode;
using testing::raw_record;

std::optional<std::string> str(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

TEST(Record, BuilderRoundTripEveryCodec) {
  for (auto codec : testing::all_codecs) {
    for (auto framing : {snappy_framing::xerial, snappy_framing::raw}) {
      batch_options options;
      options.compression = codec;
      options.compress.snappy = framing;
      options.base_offset = 100;
      batch_builder builder(options);
      record_header h1[] = {{"a", "1"}, {"b", std::nullopt}, {"", ""}};
      builder.append(1000, "k0", "v0", h1);
      builder.append(999, std::nullopt, "v1");
      builder.append(1002, "k2", std::nullopt);
      builder.append(1001, "", "");
      EXPECT_EQ(builder.record_count(), 4);
      auto bytes = std::move(builder).build().value();
      auto batch = batch_view::parse(bytes).value();

      auto decoded = decode_batch(batch);
      ASSERT_RECORDS_OK(decoded);
      const auto& rs = decoded->records;
      ASSERT_EQ(rs.size(), 4u);
      EXPECT_EQ(decoded->storage != nullptr, codec != compression_type::none);
      EXPECT_EQ(str(rs[0].key), "k0");
      EXPECT_EQ(str(rs[0].value), "v0");
      EXPECT_EQ(rs[0].headers().to_vector(),
                std::vector<record_header>(std::begin(h1), std::end(h1)));
      EXPECT_EQ(rs[1].key, std::nullopt);
      EXPECT_EQ(str(rs[1].value), "v1");
      EXPECT_TRUE(rs[1].headers().empty());
      EXPECT_EQ(str(rs[2].key), "k2");
      EXPECT_EQ(rs[2].value, std::nullopt);
      EXPECT_EQ(str(rs[3].key), "");
      EXPECT_EQ(str(rs[3].value), "");
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(rs[static_cast<std::size_t>(i)].offset, 100 + i);
        EXPECT_EQ(rs[static_cast<std::size_t>(i)].offset_delta, i);
      }
      EXPECT_EQ(rs[0].timestamp, 1000);
      EXPECT_EQ(rs[1].timestamp, 999);
      EXPECT_EQ(rs[1].timestamp_delta, -1);
      EXPECT_EQ(rs[2].timestamp, 1002);
      EXPECT_EQ(batch.header().max_timestamp, 1002);
      if (codec != compression_type::snappy) break;
    }
  }
}

TEST(Record, DecodedBatchOwnsItsBytesAcrossMoves) {
  auto bytes = testing::sample_batch(compression_type::zstd, 50);
  auto batch = batch_view::parse(bytes).value();
  auto decoded = decode_batch(batch).value();
  decoded_batch moved = std::move(decoded);
  std::vector<decoded_batch> many;
  many.push_back(std::move(moved));
  many.resize(10);  // reallocation moves it again
  ASSERT_EQ(many[0].records.size(), 50u);
  EXPECT_EQ(str(many[0].records[49].key), "key-49");
  EXPECT_EQ(many[0].records[49].headers().to_vector()[0].value, "49");
}

TEST(Record, ReaderDecompressesLazily) {
  auto bytes = testing::sample_batch(compression_type::gzip, 3);
  // Corrupt the compressed payload but keep the header: constructing the reader and
  // reading the header must not touch it; the first next() reports the corruption.
  bytes[bytes.size() - 3] ^= 0x55;
  auto batch = batch_view::parse(bytes).value();
  record_reader reader(batch);
  EXPECT_EQ(reader.records_read(), 0);
  EXPECT_EQ(reader.batch().header().record_count, 3);
  EXPECT_RECORDS_ERROR(reader.next(), error_code::corrupt_message);
  EXPECT_RECORDS_ERROR(reader.next(), error_code::corrupt_message);  // sticky
}

TEST(Record, ReaderHonoursTheDecompressionCap) {
  auto bytes = testing::sample_batch(compression_type::lz4, 100);
  auto batch = batch_view::parse(bytes).value();
  record_reader small(batch, 1000);
  EXPECT_RECORDS_ERROR(small.next(), error_code::message_too_large);
  record_reader enough(batch, 100000);
  EXPECT_TRUE(enough.next().ok());
}

TEST(Record, LogAppendTimeReportsMaxTimestamp) {
  batch_options options;
  options.ts_type = timestamp_type::log_append_time;
  options.log_append_time_ms = 424242;
  batch_builder builder(options);
  builder.append(1, "a", "b");
  builder.append(2, "c", "d");
  auto bytes = std::move(builder).build().value();
  auto batch = batch_view::parse(bytes).value();
  EXPECT_EQ(batch.header().ts_type(), timestamp_type::log_append_time);
  EXPECT_EQ(batch.header().max_timestamp, 424242);
  auto decoded = decode_batch(batch).value();
  for (const auto& r : decoded.records) EXPECT_EQ(r.timestamp, 424242);
}

TEST(Record, RecordSizeMatchesEncoding) {
  record_header hs[] = {{"h", "v"}, {"n", std::nullopt}};
  std::string value(300, 'x');  // a two-byte length varint
  batch_builder builder({});
  builder.append(0, "key", value, hs);
  auto bytes = std::move(builder).build().value();
  EXPECT_EQ(bytes.size() - layout::header_size, record_size(0, 0, "key", value, hs));
  std::string_view data = std::string_view(bytes).substr(layout::header_size);
  auto rec = read_record(data);
  ASSERT_RECORDS_OK(rec);
  EXPECT_TRUE(data.empty());
  EXPECT_EQ(rec->size_bytes, bytes.size() - layout::header_size);
}

TEST(Record, MalformedRecordsAreInvalidRecord) {
  auto check = [](const raw_record& r, const char* what) {
    auto body = encode(r);
    std::string_view data = body;
    auto rec = read_record(data);
    ASSERT_FALSE(rec.ok()) << what;
    EXPECT_EQ(rec.err().code(), error_code::invalid_record) << what;
  };
  raw_record r;
  r.key_length = -2;
  r.key = "";
  check(r, "negative key length");
  r = {};
  r.value_length = -7;
  r.value = "";
  check(r, "negative value length");
  r = {};
  r.key_length = 5;  // claims more bytes than the record has
  check(r, "key past the end");
  r = {};
  r.header_count = -1;
  check(r, "negative header count");
  r = {};
  r.header_count = 1;
  r.headers = std::string("\x03", 1);  // key length -2 (zig-zag)
  check(r, "negative header key length");
  r = {};
  r.header_count = 2;
  r.headers = std::string("\x02h\x02v", 4);  // only one header present
  check(r, "missing header");
  r = {};
  r.trailing = "zz";
  check(r, "bytes left in the record");
  r = {};
  r.extra_length = 10;
  check(r, "length past the batch");
  r = {};
  r.extra_length = -1;
  check(r, "length too short");

  std::string_view empty;
  EXPECT_RECORDS_ERROR(read_record(empty), error_code::invalid_record);
  std::string overlong("\xff\xff\xff\xff\xff\xff", 6);
  std::string_view over = overlong;
  EXPECT_RECORDS_ERROR(read_record(over), error_code::invalid_record);
}

TEST(Record, ReaderChecksCountAgainstData) {
  raw_record r;
  auto two = encode(r);
  r.offset_delta = 1;
  two += encode(r);
  // Header says 3 records, data holds 2 (and is too short for 3).
  auto batch_bytes = batch_around(two, 3);
  auto batch = batch_view::parse(batch_bytes).value();
  EXPECT_RECORDS_ERROR(decode_batch(batch), error_code::invalid_record);
  // Header says 1 record, data holds 2: the leftover is an error, as in Kafka.
  batch_bytes = batch_around(two, 1);
  batch = batch_view::parse(batch_bytes).value();
  record_reader reader(batch);
  EXPECT_RECORDS_ERROR(reader.next(), error_code::invalid_record);
  // A negative count.
  batch_bytes = batch_around(two, -1);
  batch = batch_view::parse(batch_bytes).value();
  EXPECT_RECORDS_ERROR(decode_batch(batch), error_code::invalid_record);
}

TEST(Record, UnknownCodecIsUnsupported) {
  auto bytes = batch_around(encode(raw_record{}), 1);
  bytes[layout::attributes + 1] = 6;
  auto batch = batch_view::parse(bytes).value();
  EXPECT_RECORDS_ERROR(decode_batch(batch), error_code::unsupported_compression_type);
}

TEST(Record, ControlBatchLayout) {
  end_txn_marker_options options;
  options.commit = true;
  options.producer_id = 4000;
  options.producer_epoch = 5;
  options.coordinator_epoch = 17;
  options.timestamp_ms = 1700000000123;
  options.base_offset = 88;
  options.partition_leader_epoch = 2;
  auto bytes = build_end_txn_marker_batch(options);
  auto batch = batch_view::parse(bytes).value();
  const auto& h = batch.header();
  EXPECT_EQ(h.attributes, 0x30);  // transactional | control, no compression, CreateTime
  EXPECT_EQ(h.base_offset, 88);
  EXPECT_EQ(h.partition_leader_epoch, 2);
  EXPECT_EQ(h.producer_id, 4000);
  EXPECT_EQ(h.producer_epoch, 5);
  EXPECT_EQ(h.base_sequence, -1);
  EXPECT_EQ(h.record_count, 1);
  EXPECT_EQ(h.last_offset_delta, 0);
  EXPECT_EQ(h.base_timestamp, 1700000000123);
  EXPECT_EQ(h.max_timestamp, 1700000000123);
  EXPECT_TRUE(batch.crc_ok());

  auto decoded = decode_batch(batch).value();
  ASSERT_EQ(decoded.records.size(), 1u);
  const auto& rec = decoded.records[0];
  EXPECT_EQ(rec.key, std::string_view("\x00\x00\x00\x01", 4));            // version 0, COMMIT
  EXPECT_EQ(rec.value, std::string_view("\x00\x00\x00\x00\x00\x11", 6));  // version 0, epoch 17
  EXPECT_TRUE(rec.headers().empty());
  // The exact record bytes Kafka writes: length 16, attrs 0, ts delta 0, offset delta 0,
  // key length 4, key, value length 6, value, 0 headers.
  EXPECT_EQ(
      batch.records_data(),
      std::string_view("\x20\x00\x00\x00\x08\x00\x00\x00\x01\x0c\x00\x00\x00\x00\x00\x11\x00", 17));
  EXPECT_EQ(bytes.size(), 61u + 17u);

  auto key = parse_control_record_key(*rec.key);
  ASSERT_RECORDS_OK(key);
  EXPECT_EQ(key->type, static_cast<std::int16_t>(control_record_type::commit));
  EXPECT_TRUE(key->is_end_txn_marker());
  auto marker = parse_end_txn_marker(*rec.value);
  ASSERT_RECORDS_OK(marker);
  EXPECT_EQ(marker->coordinator_epoch, 17);

  options.commit = false;
  auto abort = build_end_txn_marker_batch(options);
  auto abort_decoded = decode_batch(batch_view::parse(abort).value()).value();
  EXPECT_EQ(parse_control_record_key(*abort_decoded.records[0].key)->type, 0);
}

TEST(Record, ControlPayloadErrors) {
  EXPECT_RECORDS_ERROR(parse_control_record_key(std::string_view("\x00\x00\x00", 3)),
                       error_code::invalid_record);
  EXPECT_RECORDS_ERROR(parse_control_record_key(std::string_view("\xff\xff\x00\x01", 4)),
                       error_code::invalid_record);
  EXPECT_RECORDS_ERROR(parse_end_txn_marker(std::string_view("\x00\x00\x00\x00\x01", 5)),
                       error_code::invalid_record);
  // A newer version with more fields still yields the epoch.
  auto newer = parse_end_txn_marker(std::string_view("\x00\x01\x00\x00\x00\x09\xaa", 7));
  ASSERT_RECORDS_OK(newer);
  EXPECT_EQ(newer->coordinator_epoch, 9);
  auto key = parse_control_record_key(std::string_view("\x00\x00\x00\x02", 4));
  ASSERT_RECORDS_OK(key);
  EXPECT_FALSE(key->is_end_txn_marker());
}

}  // namespace
}  // namespace wharf::kafka::records

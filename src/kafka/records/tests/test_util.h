// Helpers shared by the record-batch tests: hand-made batches and assertions on errors.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "base/bytes.h"
#include "kafka/records/batch.h"
#include "kafka/records/builder.h"
#include "kafka/records/compression.h"
#include "kafka/records/error.h"

namespace wharf::kafka::records::testing {

// Recomputes the CRC after a test edited the batch on purpose.
inline void reseal(std::string& batch) {
  byte_writer w(batch);
  w.patch_int32(layout::crc, static_cast<std::int32_t>(
                                 crc32c(std::string_view(batch).substr(layout::attributes))));
}

inline void put_be(std::string& batch, std::size_t at, std::uint64_t v, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) {
    batch[at + width - 1 - i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// A batch around hand-encoded records bytes (compressed with codec), with a valid CRC.
inline std::string batch_around(std::string_view records_body, std::int32_t count,
                                compression_type codec = compression_type::none,
                                std::int64_t base_timestamp = 1000) {
  std::string out;
  byte_writer w(out);
  w.write_int64(0);
  w.write_int32(0);
  w.write_int32(-1);
  w.write_int8(2);
  w.write_uint32(0);
  w.write_int16(static_cast<std::int16_t>(codec));
  w.write_int32(count - 1);
  w.write_int64(base_timestamp);
  w.write_int64(base_timestamp);
  w.write_int64(-1);
  w.write_int16(-1);
  w.write_int32(-1);
  w.write_int32(count);
  auto compressed = compress(codec, records_body);
  EXPECT_TRUE(compressed.ok());
  out += *compressed;
  w.patch_int32(layout::batch_length, static_cast<std::int32_t>(out.size() - 12));
  reseal(out);
  return out;
}

// Encodes one record body by hand (so tests can make malformed ones).
struct raw_record {
  std::int8_t attributes = 0;
  std::int64_t timestamp_delta = 0;
  std::int32_t offset_delta = 0;
  std::int32_t key_length = 1;  // -1 = null
  std::string key = "k";
  std::int32_t value_length = 1;
  std::string value = "v";
  std::int32_t header_count = 0;
  std::string headers;            // already encoded
  std::int32_t extra_length = 0;  // added to the length prefix
  std::string trailing;           // bytes inside the record after the headers
};

inline std::string encode(const raw_record& r) {
  std::string body;
  byte_writer b(body);
  b.write_int8(r.attributes);
  b.write_varlong(r.timestamp_delta);
  b.write_varint(r.offset_delta);
  b.write_varint(r.key_length);
  b.write_bytes(r.key);
  b.write_varint(r.value_length);
  b.write_bytes(r.value);
  b.write_varint(r.header_count);
  b.write_bytes(r.headers);
  b.write_bytes(r.trailing);
  std::string out;
  byte_writer w(out);
  w.write_varint(static_cast<std::int32_t>(body.size()) + r.extra_length);
  w.write_bytes(body);
  return out;
}

// n records "key-i"/"value-i" with a header, built with the library's builder.
inline std::string sample_batch(compression_type codec, int n = 10, std::int64_t ts = 1700000000000,
                                snappy_framing framing = snappy_framing::xerial) {
  batch_options options;
  options.compression = codec;
  options.compress.snappy = framing;
  batch_builder builder(options);
  for (int i = 0; i < n; ++i) {
    auto key = "key-" + std::to_string(i);
    auto value = "value-" + std::to_string(i) + std::string(40, 'x');
    auto idx = std::to_string(i);
    record_header headers[] = {{"idx", idx}, {"null", std::nullopt}};
    builder.append(ts + i, key, value, headers);
  }
  return std::move(builder).build().value();
}

inline std::string random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

inline const compression_type all_codecs[] = {compression_type::none, compression_type::gzip,
                                              compression_type::snappy, compression_type::lz4,
                                              compression_type::zstd};

}  // namespace wharf::kafka::records::testing

// Asserts a records_result/status failed with the given Kafka error code.
#define EXPECT_RECORDS_ERROR(expr, expected_code)                                      \
  do {                                                                                 \
    const auto& wharf_r_ = (expr);                                                     \
    ASSERT_FALSE(wharf_r_.ok()) << "expected "                                         \
                                << ::wharf::kafka::records::error_name(expected_code); \
    EXPECT_EQ(wharf_r_.err().code(), expected_code) << wharf_r_.err().message();       \
  } while (0)

#define ASSERT_RECORDS_OK(expr)                             \
  do {                                                      \
    const auto& wharf_r_ = (expr);                          \
    ASSERT_TRUE(wharf_r_.ok()) << wharf_r_.err().message(); \
  } while (0)

#include "base/bytes.h"

#include <limits>

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(Bytes, FixedWidthRoundTrip) {
  byte_writer w;
  w.write_int8(-2);
  w.write_int16(-300);
  w.write_int32(0x12345678);
  w.write_int64(std::numeric_limits<std::int64_t>::min());
  w.write_float64(3.25);
  w.write_bool(true);
  EXPECT_EQ(w.buffer().substr(3, 4), std::string("\x12\x34\x56\x78", 4));
  byte_reader r(w.buffer());
  EXPECT_EQ(r.read_int8(), -2);
  EXPECT_EQ(r.read_int16(), -300);
  EXPECT_EQ(r.read_int32(), 0x12345678);
  EXPECT_EQ(r.read_int64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(r.read_float64(), 3.25);
  EXPECT_TRUE(r.read_bool());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(Bytes, VarintsMatchKafkaEncoding) {
  // From the Kafka protocol guide: zig-zag maps 0,-1,1,-2 to 0,1,2,3.
  byte_writer w;
  w.write_varint(0);
  w.write_varint(-1);
  w.write_varint(1);
  w.write_varint(-2);
  w.write_varint(300);
  EXPECT_EQ(w.buffer(), std::string("\x00\x01\x02\x03\xd8\x04", 6));
  byte_reader r(w.buffer());
  EXPECT_EQ(r.read_varint(), 0);
  EXPECT_EQ(r.read_varint(), -1);
  EXPECT_EQ(r.read_varint(), 1);
  EXPECT_EQ(r.read_varint(), -2);
  EXPECT_EQ(r.read_varint(), 300);
  EXPECT_TRUE(r.ok());
}

TEST(Bytes, ExtremeVarlongsRoundTrip) {
  for (std::int64_t v : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1},
                         std::int64_t{0}, std::numeric_limits<std::int64_t>::max()}) {
    byte_writer w;
    w.write_varlong(v);
    EXPECT_EQ(w.size(), varint_size(v));
    byte_reader r(w.buffer());
    EXPECT_EQ(r.read_varlong(), v);
    EXPECT_TRUE(r.ok());
  }
}

TEST(Bytes, MalformedInputFailsWithoutOverrun) {
  byte_reader short_input(std::string_view("\x01\x02", 2));
  EXPECT_EQ(short_input.read_int32(), 0);
  EXPECT_FALSE(short_input.ok());
  EXPECT_EQ(short_input.read_int8(), 0);  // sticky

  byte_reader endless(std::string_view("\xff\xff\xff\xff\xff\xff", 6));
  endless.read_unsigned_varint();
  EXPECT_FALSE(endless.ok());
  byte_reader too_long(std::string_view("\x01\x02", 2));
  EXPECT_TRUE(too_long.read_bytes(3).empty());
  EXPECT_FALSE(too_long.ok());
}

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 test vectors.
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62a8ab43u);
  EXPECT_EQ(crc32c("123456789"), 0xe3069283u);
  std::string data(1000, 'x');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  // Incremental computation equals one pass.
  EXPECT_EQ(crc32c(data), crc32c(data.substr(500), crc32c(data.substr(0, 500))));
}

}  // namespace
}  // namespace wharf

// The sparse offset and time indexes and their file formats.
#include <gtest/gtest.h>

#include "storage/segment.h"
#include "storage/segment_index.h"
#include "storage/tests/test_util.h"

namespace wharf::storage::detail {
namespace {

TEST(OffsetIndex, LooksUpTheLargestEntryAtOrBelow) {
  offset_index index;
  EXPECT_FALSE(index.lookup(5).has_value());
  index.append({3, 100});
  index.append({9, 250});
  index.append({20, 900});
  EXPECT_FALSE(index.lookup(2).has_value());
  EXPECT_EQ(index.lookup(3)->position, 100u);
  EXPECT_EQ(index.lookup(8)->position, 100u);
  EXPECT_EQ(index.lookup(9)->position, 250u);
  EXPECT_EQ(index.lookup(1000)->position, 900u);
  EXPECT_EQ(index.lookup_position(300)->relative_offset, 9);
}

TEST(OffsetIndex, FileFormatIsKafkas) {
  offset_index index;
  index.append({1, 2});
  index.append({0x01020304, 0x0a0b0c0d});
  std::string bytes = index.encode();
  EXPECT_EQ(bytes, std::string("\0\0\0\x01\0\0\0\x02\x01\x02\x03\x04\x0a\x0b\x0c\x0d", 16));
  EXPECT_EQ(index.encode(1).size(), 8u);
  auto decoded = offset_index::decode(bytes, 0x0b000000, INT32_MAX);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), 2u);
  EXPECT_EQ(decoded->back().position, 0x0a0b0c0du);
}

TEST(OffsetIndex, DecodeRefusesWhatCouldNotHaveBeenWritten) {
  offset_index index;
  index.append({1, 10});
  index.append({5, 20});
  std::string good = index.encode();
  EXPECT_TRUE(offset_index::decode(good, 100, 6).ok());
  EXPECT_FALSE(offset_index::decode(good.substr(0, 12), 100, 6).ok());  // partial entry
  EXPECT_FALSE(offset_index::decode(good, 20, 6).ok());                 // past the log
  EXPECT_FALSE(offset_index::decode(good, 100, 5).ok());                // past the offsets
  std::string swapped = good.substr(8) + good.substr(0, 8);
  EXPECT_FALSE(offset_index::decode(swapped, 100, 6).ok());  // not increasing
  EXPECT_TRUE(offset_index::decode("", 0, 1).ok());
}

TEST(TimeIndex, AppendsOnlyGrowingTimestamps) {
  time_index index;
  EXPECT_FALSE(index.maybe_append({-1, 0}));  // no timestamp
  EXPECT_TRUE(index.maybe_append({100, 2}));
  EXPECT_FALSE(index.maybe_append({100, 5}));
  EXPECT_FALSE(index.maybe_append({50, 6}));
  EXPECT_TRUE(index.maybe_append({300, 9}));
  EXPECT_FALSE(index.lookup(99).has_value());
  EXPECT_EQ(index.lookup(100)->relative_offset, 2);
  EXPECT_EQ(index.lookup(299)->relative_offset, 2);
  EXPECT_EQ(index.lookup(5000)->relative_offset, 9);
  auto bytes = index.encode();
  EXPECT_EQ(bytes.size(), 24u);
  auto decoded = time_index::decode(bytes, 10);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->back().timestamp, 300);
  EXPECT_FALSE(time_index::decode(bytes, 9).ok());
  EXPECT_FALSE(time_index::decode(bytes.substr(12) + bytes.substr(0, 12), 10).ok());
}

TEST(SegmentFileNames, AreTwentyDigitBaseOffsets) {
  EXPECT_EQ(segment_file_name(0, ".log"), "00000000000000000000.log");
  EXPECT_EQ(segment_file_name(1234567, ".timeindex"), "00000000000001234567.timeindex");
  EXPECT_EQ(parse_segment_file_name("00000000000001234567.log", ".log"), 1234567);
  EXPECT_FALSE(parse_segment_file_name("00000000000001234567.log", ".index").has_value());
  EXPECT_FALSE(parse_segment_file_name("0000000000000123456x.log", ".log").has_value());
  EXPECT_FALSE(parse_segment_file_name("1234567.log", ".log").has_value());
  EXPECT_FALSE(parse_segment_file_name("00000000000001234567.log.swap", ".log").has_value());
  EXPECT_EQ(parse_segment_file_name("00000000000001234567.log.swap", ".log.swap"), 1234567);
}

}  // namespace
}  // namespace wharf::storage::detail

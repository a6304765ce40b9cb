#include "base/units.h"

#include <gtest/gtest.h>

namespace wharf {
namespace {

TEST(ParseSize, AcceptsUnits) {
  EXPECT_EQ(*parse_size("0"), 0u);
  EXPECT_EQ(*parse_size("1048576"), 1048576u);
  EXPECT_EQ(*parse_size("64MiB"), 64u << 20);
  EXPECT_EQ(*parse_size("64 MiB"), 64u << 20);
  EXPECT_EQ(*parse_size("1GB"), 1'000'000'000u);
  EXPECT_EQ(*parse_size("16k"), 16u * 1024);
  EXPECT_EQ(*parse_size("2kib"), 2048u);
}

TEST(ParseSize, RejectsGarbage) {
  EXPECT_FALSE(parse_size("lots"));
  EXPECT_FALSE(parse_size("12 parsecs"));
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("1.5GB"));
  EXPECT_FALSE(parse_size("99999999999999999999"));
  EXPECT_FALSE(parse_size("18446744073709551615TiB"));
}

TEST(ParseDuration, AcceptsUnits) {
  using std::chrono::milliseconds;
  EXPECT_EQ(*parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(*parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(*parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(*parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(*parse_duration("7d"), milliseconds(604'800'000));
  EXPECT_EQ(*parse_duration("250", "ms"), milliseconds(250));
}

TEST(ParseDuration, RequiresAUnit) {
  EXPECT_FALSE(parse_duration("30"));
  EXPECT_FALSE(parse_duration("soon"));
  EXPECT_FALSE(parse_duration("3 fortnights"));
}

TEST(Format, RoundTrips) {
  for (auto text : {"64MiB", "1GiB", "1000B", "3KiB"}) {
    EXPECT_EQ(format_size(*parse_size(text)), text);
  }
  for (auto text : {"30s", "500ms", "2m", "1h", "1d"}) {
    EXPECT_EQ(format_duration(*parse_duration(text)), text);
  }
}

TEST(ParseInt, ChecksRangeAndSyntax) {
  EXPECT_EQ(*parse_int("42", 0, 100), 42);
  EXPECT_FALSE(parse_int("101", 0, 100));
  EXPECT_FALSE(parse_int("4x", 0, 100));
  EXPECT_FALSE(parse_int("", 0, 100));
  EXPECT_EQ(parse_int("-5", 0, 100).err().code(), errc::out_of_range);
}

}  // namespace
}  // namespace wharf

// Round trip of every generated message in every valid version: encode a filled message,
// decode it, re-encode it and compare the bytes (tests/round_trip.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "kafka/protocol/generated/api_keys.h"
#include "kafka/protocol/tests/round_trip.h"

namespace wharf::kafka::protocol {
namespace {

struct round_trip_param {
  const round_trip_case* message;
  std::int16_t version;
};

std::vector<round_trip_param> all_params() {
  std::vector<round_trip_param> params;
  for (const auto& c : round_trip_cases()) {
    for (int v = c.lowest_version; v <= c.highest_version; ++v) {
      params.push_back({&c, static_cast<std::int16_t>(v)});
    }
  }
  return params;
}

class RoundTrip : public ::testing::TestWithParam<round_trip_param> {};

TEST_P(RoundTrip, DefaultsValuesAndNulls) {
  const auto& [message, version] = GetParam();
  for (auto mode : {fill_mode::defaults, fill_mode::values, fill_mode::nulls}) {
    std::string why;
    EXPECT_TRUE(message->run(version, mode, &why))
        << message->name << " v" << version << " mode " << static_cast<int>(mode) << ": " << why;
  }
}

INSTANTIATE_TEST_SUITE_P(AllMessages, RoundTrip, ::testing::ValuesIn(all_params()),
                         [](const ::testing::TestParamInfo<round_trip_param>& info) {
                           return std::string(info.param.message->name) + "_v" +
                                  std::to_string(info.param.version);
                         });

TEST(RoundTripCases, CoverEveryApiInBothDirections) {
  std::size_t requests = 0, responses = 0;
  for (const auto& c : round_trip_cases()) {
    if (c.name.ends_with("_request")) ++requests;
    if (c.name.ends_with("_response")) ++responses;
  }
  EXPECT_EQ(requests, all_apis().size());
  EXPECT_EQ(responses, all_apis().size());
}

// With WHARF_KAFKA_DUMP_VECTORS=<file>, writes every filled message in every version as
// "<KafkaName> <version> <hex> stable|unstable" lines, for tools/kafka_codegen/java_crosscheck.py
// to parse with Apache Kafka's own Java classes (a check the symmetric round trip cannot make).
TEST(RoundTripCases, DumpVectorsForTheJavaCrossCheck) {
  const char* path = std::getenv("WHARF_KAFKA_DUMP_VECTORS");
  if (path == nullptr) GTEST_SKIP() << "WHARF_KAFKA_DUMP_VECTORS not set";
  std::ofstream out(path);
  static const char* digits = "0123456789abcdef";
  for (const auto& c : round_trip_cases()) {
    // The latest version of some APIs is unstable: it may differ in a newer Kafka.
    const api_info* api = nullptr;
    for (const auto& candidate : all_apis()) {
      if (c.kafka_name == std::string(candidate.name) + "Request" ||
          c.kafka_name == std::string(candidate.name) + "Response") {
        api = &candidate;
      }
    }
    for (int v = c.lowest_version; v <= c.highest_version; ++v) {
      bool unstable = api && api->latest_version_unstable && v == api->highest_version;
      for (auto mode : {fill_mode::values, fill_mode::nulls}) {
        auto bytes = c.encode(static_cast<std::int16_t>(v), mode);
        std::string hex;
        for (unsigned char b : bytes) {
          hex.push_back(digits[b >> 4]);
          hex.push_back(digits[b & 15]);
        }
        out << c.kafka_name << ' ' << v << ' ' << (hex.empty() ? "-" : hex) << ' '
            << (unstable ? "unstable" : "stable") << '\n';
      }
    }
  }
  ASSERT_TRUE(out.good());
}

}  // namespace
}  // namespace wharf::kafka::protocol

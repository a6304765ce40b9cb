// Golden batches written by real clients (librdkafka, kafka-python, kafkajs, the Java
// client) and stored by Apache Kafka, captured by tools/capture_batches.py. Each
// <name>.bin holds the batches from a segment file; <name>.json what the client sent.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "kafka/records/batch.h"
#include "kafka/records/builder.h"
#include "kafka/records/patch.h"
#include "kafka/records/record.h"
#include "kafka/records/tests/test_util.h"
#include "kafka/records/validate.h"

namespace wharf::kafka::records {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path fixtures_dir = WHARF_RECORD_FIXTURES_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A string, null, or {"repeat": unit, "times": n}: unit repeated n times with its "{}"
// replaced by i % 10 (how the capture script writes its large value compactly).
std::optional<std::string> opt_string(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return std::string(v.as_string());
  std::string unit(v.as_object().at("repeat").as_string());
  auto times = v.as_object().at("times").as_int64();
  auto hole = unit.find("{}");
  std::string out;
  std::string_view u = unit;
  for (std::int64_t i = 0; i < times; ++i) {
    if (hole == std::string::npos) {
      out.append(u);
      continue;
    }
    out.append(u.substr(0, hole));
    out.push_back(static_cast<char>('0' + i % 10));
    out.append(u.substr(hole + 2));
  }
  return out;
}

std::optional<std::string> opt(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::vector<fs::path> fixture_files() {
  std::vector<fs::path> out;
  if (!fs::exists(fixtures_dir)) return out;
  for (const auto& entry : fs::directory_iterator(fixtures_dir)) {
    if (entry.path().extension() == ".json") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Fixture : public ::testing::TestWithParam<fs::path> {};
// A missing fixture directory fails CoverEveryClientAndCodec; no need to fail twice.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Fixture);

TEST(Fixtures, CoverEveryClientAndCodec) {
  std::set<std::string> seen;
  for (const auto& path : fixture_files()) {
    auto doc = json::parse(read_file(path)).as_object();
    seen.insert(std::string(doc.at("client").as_string()) + "/" +
                std::string(doc.at("codec").as_string()));
  }
  for (const char* client : {"librdkafka", "kafka-python", "java"}) {
    for (const char* codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
      EXPECT_TRUE(seen.count(std::string(client) + "/" + codec)) << client << "/" << codec;
    }
  }
  // kafkajs has no zstd codec that builds on current Node (see the capture script).
  for (const char* codec : {"none", "gzip", "snappy", "lz4"}) {
    EXPECT_TRUE(seen.count(std::string("kafkajs/") + codec)) << "kafkajs/" << codec;
  }
}

TEST_P(Fixture, DecodesToWhatTheClientSent) {
  auto doc = json::parse(read_file(GetParam())).as_object();
  auto bin = read_file(fixtures_dir / std::string(doc.at("fixture").as_string()));
  ASSERT_FALSE(bin.empty());

  auto split = split_batches(bin, partial_batches::reject);
  ASSERT_RECORDS_OK(split);
  const auto& expected_batches = doc.at("batches").as_array();
  ASSERT_EQ(split->batches.size(), expected_batches.size());

  std::map<std::int64_t, const json::object*> expected_records;
  for (const auto& r : doc.at("records").as_array()) {
    expected_records[r.as_object().at("offset").as_int64()] = &r.as_object();
  }
  std::map<std::int64_t, std::string> expected_controls;
  if (auto* controls = doc.if_contains("control_records")) {
    for (const auto& c : controls->as_array()) {
      expected_controls[c.as_object().at("offset").as_int64()] =
          std::string(c.as_object().at("type").as_string());
    }
  }
  auto framing = opt_string(doc.at("snappy_framing"));

  std::size_t records_seen = 0, controls_seen = 0;
  for (std::size_t i = 0; i < split->batches.size(); ++i) {
    SCOPED_TRACE("batch " + std::to_string(i));
    const auto& batch = split->batches[i];
    const auto& h = batch.header();
    const auto& want = expected_batches[i].as_object();
    EXPECT_TRUE(batch.crc_ok());
    EXPECT_EQ(h.base_offset, want.at("base_offset").as_int64());
    EXPECT_EQ(h.record_count, want.at("record_count").as_int64());
    EXPECT_EQ(compression_name(*h.compression()), want.at("compression").as_string());
    EXPECT_EQ(h.is_control(), want.at("control").as_bool());
    EXPECT_EQ(h.is_transactional(), want.at("transactional").as_bool());
    EXPECT_EQ(h.has_producer_id(), want.at("idempotent").as_bool());
    EXPECT_EQ(h.ts_type() == timestamp_type::log_append_time,
              doc.at("timestamp_type").as_string() == "LogAppendTime");
    if (h.compression() == compression_type::snappy) {
      ASSERT_TRUE(framing.has_value());
      EXPECT_EQ(is_xerial_snappy(batch.records_data()), *framing == "xerial");
    }

    validation_options options;
    options.require_zero_base_offset = false;  // Kafka assigned the offsets
    options.allow_control_batches = true;
    options.allow_log_append_time = true;
    auto summary = validate_batch(batch.bytes(), options);
    ASSERT_TRUE(summary.ok()) << summary.err().message();
    EXPECT_TRUE(summary->records_checked);
    if (h.ts_type() == timestamp_type::create_time) {
      EXPECT_EQ(summary->max_timestamp, h.max_timestamp);
    }

    auto decoded = decode_batch(batch);
    ASSERT_TRUE(decoded.ok()) << decoded.err().message();
    for (const auto& rec : decoded->records) {
      if (h.is_control()) {
        ++controls_seen;
        auto key = parse_control_record_key(rec.key.value_or(""));
        ASSERT_RECORDS_OK(key);
        auto marker = parse_end_txn_marker(rec.value.value_or(""));
        ASSERT_RECORDS_OK(marker);
        ASSERT_TRUE(expected_controls.count(rec.offset)) << rec.offset;
        EXPECT_EQ(key->type == 1 ? "commit" : "abort", expected_controls[rec.offset]);
        // Our marker batch with the same fields is byte for byte what Kafka wrote.
        end_txn_marker_options ours;
        ours.commit = key->type == 1;
        ours.producer_id = h.producer_id;
        ours.producer_epoch = h.producer_epoch;
        ours.coordinator_epoch = marker->coordinator_epoch;
        ours.timestamp_ms = h.base_timestamp;
        ours.base_offset = h.base_offset;
        ours.partition_leader_epoch = h.partition_leader_epoch;
        EXPECT_EQ(build_end_txn_marker_batch(ours), batch.bytes());
        continue;
      }
      ++records_seen;
      auto it = expected_records.find(rec.offset);
      ASSERT_NE(it, expected_records.end()) << "unexpected offset " << rec.offset;
      const auto& want_rec = *it->second;
      EXPECT_EQ(opt(rec.key), opt_string(want_rec.at("key")));
      EXPECT_EQ(opt(rec.value), opt_string(want_rec.at("value")));
      std::vector<std::pair<std::string, std::optional<std::string>>> got_headers, want_headers;
      for (const auto& hdr : rec.headers()) got_headers.emplace_back(hdr.key, opt(hdr.value));
      for (const auto& hdr : want_rec.at("headers").as_array()) {
        const auto& pair = hdr.as_array();
        want_headers.emplace_back(std::string(pair[0].as_string()), opt_string(pair[1]));
      }
      EXPECT_EQ(got_headers, want_headers) << "offset " << rec.offset;
      if (!want_rec.at("timestamp").is_null()) {
        EXPECT_EQ(rec.timestamp, want_rec.at("timestamp").as_int64()) << "offset " << rec.offset;
      }
    }

    // Appending it again elsewhere keeps it valid and decodable.
    std::string copy(batch.bytes());
    patch_for_append({copy.data(), copy.size()},
                     {.base_offset = 5000, .partition_leader_epoch = 3, .log_append_time_ms = 42});
    auto repatched = validate_batch(copy, options);
    ASSERT_TRUE(repatched.ok()) << repatched.err().message();
    auto redecoded = decode_batch(batch_view::parse(copy).value()).value();
    ASSERT_EQ(redecoded.records.size(), decoded->records.size());
    EXPECT_EQ(redecoded.records.front().offset, 5000 + decoded->records.front().offset_delta);
    EXPECT_EQ(redecoded.records.front().timestamp, 42);

    // Our builder re-encodes the same records, in the same codec, to the same contents.
    if (!h.is_control()) {
      batch_builder builder({.compression = *h.compression()});
      std::vector<std::vector<record_header>> headers;
      for (const auto& rec : decoded->records) headers.push_back(rec.headers().to_vector());
      for (std::size_t r = 0; r < decoded->records.size(); ++r) {
        const auto& rec = decoded->records[r];
        builder.append(rec.timestamp, rec.key, rec.value, headers[r]);
      }
      auto rebuilt = std::move(builder).build().value();
      auto again = decode_batch(batch_view::parse(rebuilt).value()).value();
      ASSERT_EQ(again.records.size(), decoded->records.size());
      for (std::size_t r = 0; r < again.records.size(); ++r) {
        EXPECT_EQ(again.records[r].key, decoded->records[r].key);
        EXPECT_EQ(again.records[r].value, decoded->records[r].value);
        EXPECT_EQ(again.records[r].headers().to_vector(), headers[r]);
      }
    }
  }
  EXPECT_EQ(records_seen, expected_records.size());
  EXPECT_EQ(controls_seen, expected_controls.size());
}

std::string fixture_name(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(RealClients, Fixture, ::testing::ValuesIn(fixture_files()), fixture_name);

}  // namespace
}  // namespace wharf::kafka::records

// log_config: Kafka's names, defaults and ranges.
#include <gtest/gtest.h>

#include "storage/log_config.h"
#include "storage/tests/test_util.h"

namespace wharf::storage {
namespace {

TEST(LogConfig, DefaultsAreKafkas) {
  log_config c;
  EXPECT_TRUE(c.cleanup_delete);
  EXPECT_FALSE(c.cleanup_compact);
  EXPECT_EQ(c.segment_bytes, 1073741824);
  EXPECT_EQ(c.segment_ms, 604800000);
  EXPECT_EQ(c.segment_index_bytes, 10485760);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.retention_ms, 604800000);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.delete_retention_ms, 86400000);
  EXPECT_DOUBLE_EQ(c.min_cleanable_dirty_ratio, 0.5);
  EXPECT_EQ(c.min_compaction_lag_ms, 0);
  EXPECT_EQ(c.flush_messages, 9223372036854775807);
  EXPECT_EQ(c.flush_ms, 9223372036854775807);
  EXPECT_FALSE(c.flushes_on_messages());
  EXPECT_TRUE(validate_log_config(c).ok());
}

TEST(LogConfig, SetsSettingsByKafkaName) {
  log_config c;
  ASSERT_OK(set_log_config(c, "segment.bytes", "1048576"));
  ASSERT_OK(set_log_config(c, "retention.ms", "-1"));
  ASSERT_OK(set_log_config(c, "retention.bytes", "1000000"));
  ASSERT_OK(set_log_config(c, "cleanup.policy", "compact,delete"));
  ASSERT_OK(set_log_config(c, "min.cleanable.dirty.ratio", "0.25"));
  ASSERT_OK(set_log_config(c, "flush.messages", "1"));
  ASSERT_OK(set_log_config(c, "message.timestamp.type", "LogAppendTime"));
  EXPECT_EQ(c.segment_bytes, 1048576);
  EXPECT_EQ(c.retention_ms, -1);
  EXPECT_EQ(c.retention_bytes, 1000000);
  EXPECT_TRUE(c.cleanup_compact);
  EXPECT_TRUE(c.cleanup_delete);
  EXPECT_DOUBLE_EQ(c.min_cleanable_dirty_ratio, 0.25);
  EXPECT_TRUE(c.flushes_on_messages());
  EXPECT_EQ(c.message_timestamp_type, timestamp_type_config::log_append_time);
  ASSERT_OK(set_log_config(c, "cleanup.policy", "compact"));
  EXPECT_FALSE(c.cleanup_delete);
  ASSERT_OK(set_log_config(c, "cleanup.policy", "delete, compact"));
  EXPECT_TRUE(c.cleanup_delete && c.cleanup_compact);
}

TEST(LogConfig, RefusesBadValuesAndLeavesOtherNamesToTheBroker) {
  log_config c;
  EXPECT_EQ(set_log_config(c, "segment.bytes", "abc").err().code(), errc::invalid_argument);
  EXPECT_FALSE(set_log_config(c, "segment.bytes", "10").ok());
  EXPECT_FALSE(set_log_config(c, "segment.bytes", "4294967296").ok());
  EXPECT_FALSE(set_log_config(c, "retention.ms", "-2").ok());
  EXPECT_FALSE(set_log_config(c, "flush.messages", "0").ok());
  EXPECT_FALSE(set_log_config(c, "cleanup.policy", "forever").ok());
  EXPECT_FALSE(set_log_config(c, "min.cleanable.dirty.ratio", "1.5").ok());
  EXPECT_FALSE(set_log_config(c, "message.timestamp.type", "Now").ok());
  EXPECT_EQ(c.segment_bytes, 1073741824);
  EXPECT_EQ(set_log_config(c, "min.insync.replicas", "2").err().code(), errc::not_found);
}

TEST(LogConfig, DescribeRoundTrips) {
  log_config c;
  c.cleanup_compact = true;
  c.segment_ms = 1234;
  c.min_cleanable_dirty_ratio = 0.1;
  auto described = describe_log_config(c);
  EXPECT_EQ(described.front(),
            (std::pair<std::string, std::string>{"cleanup.policy", "compact,delete"}));
  log_config back;
  for (const auto& [name, value] : described) ASSERT_OK(set_log_config(back, name, value));
  EXPECT_EQ(describe_log_config(back), described);
}

}  // namespace
}  // namespace wharf::storage

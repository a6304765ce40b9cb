// The __transaction_state record layout and the partition a transactional id maps to.
#include <gtest/gtest.h>

#include "base/bytes.h"
#include "broker/transactions/transaction_coordinator.h"

namespace wharf::broker {
namespace {

TEST(InternalTopicPartition, MatchesJavaStringHashCode) {
  // Java: "hello".hashCode() == 99162322; "polygenelubricants".hashCode() == MIN_VALUE,
  // which Kafka's Utils.abs maps to 0.
  EXPECT_EQ(internal_topic_partition_for("hello", 50), 99162322 % 50);
  EXPECT_EQ(internal_topic_partition_for("polygenelubricants", 50), 0);
  // "é" is one UTF-16 unit (0xE9); "😀" two (0xD83D 0xDE00): hashCode 0xE9 and
  // 0xD83D * 31 + 0xDE00 = 1772899.
  EXPECT_EQ(internal_topic_partition_for("\xc3\xa9", 1000), 0xE9 % 1000);
  EXPECT_EQ(internal_topic_partition_for("\xf0\x9f\x98\x80", 1000), 1772899 % 1000);
  EXPECT_EQ(internal_topic_partition_for("", 50), 0);
}

TEST(TransactionLog, KeyIsVersionZeroAndTheId) {
  auto key = encode_transaction_log_key("tx-1");
  EXPECT_EQ(key, std::string("\0\0\0\4tx-1", 8));
  EXPECT_EQ(decode_transaction_log_key(key), "tx-1");
  EXPECT_FALSE(decode_transaction_log_key(std::string("\0\1\0\4tx-1", 8)));
  EXPECT_FALSE(decode_transaction_log_key(std::string("\0\0\0\11tx", 6)));
}

TEST(TransactionLog, ValueRoundTripsWithStagedOffsets) {
  transaction_metadata m;
  m.producer_id = 4001;
  m.producer_epoch = 7;
  m.timeout_ms = 60000;
  m.status = transaction_status::ongoing;
  m.partitions = {{"orders", 0}, {"orders", 2}, {"__consumer_offsets", 13}};
  m.last_update_ms = 1700000000123;
  m.start_ms = 1700000000000;
  m.group_offsets["g1"] = {{"in", 0, 42, 3, "meta"}, {"in", 1, 7, -1, std::nullopt}};
  auto value = encode_transaction_log_value(m);
  auto back = decode_transaction_log_value(value);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->producer_id, 4001);
  EXPECT_EQ(back->producer_epoch, 7);
  EXPECT_EQ(back->timeout_ms, 60000);
  EXPECT_EQ(back->status, transaction_status::ongoing);
  EXPECT_EQ(back->partitions, m.partitions);
  EXPECT_EQ(back->last_update_ms, m.last_update_ms);
  EXPECT_EQ(back->start_ms, m.start_ms);
  ASSERT_EQ(back->group_offsets.size(), 1u);
  const auto& offsets = back->group_offsets.at("g1");
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0].offset, 42);
  EXPECT_EQ(offsets[0].leader_epoch, 3);
  EXPECT_EQ(offsets[0].metadata, "meta");
  EXPECT_FALSE(offsets[1].metadata);

  // Kafka's own version-0 value (no Wharf extension) decodes too.
  transaction_metadata plain = m;
  plain.group_offsets.clear();
  auto kafka_value = encode_transaction_log_value(plain);
  kafka_value.resize(kafka_value.size() - 4);  // drop the empty extension's count
  auto from_kafka = decode_transaction_log_value(kafka_value);
  ASSERT_TRUE(from_kafka);
  EXPECT_EQ(from_kafka->partitions, m.partitions);

  // Truncated or unknown versions are refused, not misread.
  EXPECT_FALSE(decode_transaction_log_value(value.substr(0, 20)));
  auto v9 = value;
  v9[1] = 9;
  EXPECT_FALSE(decode_transaction_log_value(v9));
}

TEST(TransactionStatus, KafkaNames) {
  EXPECT_EQ(transaction_status_name(transaction_status::complete_commit), "CompleteCommit");
  EXPECT_EQ(parse_transaction_status("PrepareEpochFence"), transaction_status::prepare_epoch_fence);
  EXPECT_FALSE(parse_transaction_status("ongoing"));
}

}  // namespace
}  // namespace wharf::broker

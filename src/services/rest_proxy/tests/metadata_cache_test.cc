// The metadata cache: fresh snapshots are served without a request, a missing topic
// triggers one refresh shared by everyone waiting, and failures mark the cluster
// unreachable. A fake admin stands in for Kafka (the integration tests use real ones).
#include "services/rest_proxy/metadata_cache.h"

#include <gtest/gtest.h>

#include <future>

namespace wharf::rest_proxy {
namespace {

namespace kc = kafka::client;
using namespace std::chrono_literals;

class fake_admin final : public kc::admin {
 public:
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::vector<std::string> topics;
  std::mutex mutex;
  std::chrono::milliseconds delay{0};

  kc::result<kc::cluster_metadata> metadata() override {
    ++calls;
    std::this_thread::sleep_for(delay);
    if (fail) return kc::kafka_error(kc::codes::local_transport, "down");
    kc::cluster_metadata md;
    md.cluster_id = "c";
    std::lock_guard lock(mutex);
    for (const auto& t : topics) md.topics.push_back({t, {{0, 1, {1}, {1}}}});
    return md;
  }
  kc::status create_topic(const kc::new_topic&, bool) override { return unsupported(); }
  kc::status delete_topic(const std::string&) override { return unsupported(); }
  kc::result<std::vector<kc::config_entry>> describe_topic_configs(const std::string&) override {
    return unsupported();
  }
  kc::result<std::vector<kc::config_entry>> describe_broker_configs(std::int32_t) override {
    return unsupported();
  }
  kc::status replace_topic_configs(const std::string&,
                                   const std::vector<std::pair<std::string, std::string>>&,
                                   bool) override {
    return unsupported();
  }
  kc::result<std::vector<kc::group_listing>> list_groups() override { return unsupported(); }
  kc::result<std::vector<kc::group_description>> describe_groups(
      const std::vector<std::string>&) override {
    return unsupported();
  }
  kc::result<std::vector<kc::partition_offset>> group_offsets(
      const std::string&, const std::vector<kc::topic_partition>&) override {
    return unsupported();
  }
  kc::result<kc::watermarks> query_watermarks(const std::string&, std::int32_t) override {
    return unsupported();
  }
  kc::result<std::vector<kc::partition_offset>> offsets_for_time(
      const std::vector<kc::topic_partition>&, std::int64_t) override {
    return unsupported();
  }

 private:
  static kc::kafka_error unsupported() {
    return kc::kafka_error(kc::codes::local_fail, "not in this fake");
  }
};

kc::result<metadata_snapshot> get(metadata_cache& cache, std::optional<std::string> topic) {
  std::promise<kc::result<metadata_snapshot>> promise;
  cache.get(std::move(topic), [&](kc::result<metadata_snapshot> r) { promise.set_value(r); });
  return promise.get_future().get();
}

TEST(MetadataCache, ServesAFreshSnapshotWithoutAskingAgain) {
  fake_admin admin;
  admin.topics = {"a"};
  kc::worker_pool workers(2, "test");
  auto cache = std::make_shared<metadata_cache>(admin, workers, 10s);
  auto first = get(*cache, "a");
  ASSERT_TRUE(first.ok());
  EXPECT_NE((*first)->topic("a"), nullptr);
  auto second = get(*cache, "a");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);  // the same snapshot
  EXPECT_EQ(admin.calls, 1);
  EXPECT_TRUE(cache->reachable());
}

TEST(MetadataCache, AMissingTopicIsLookedUpAgainOnce) {
  fake_admin admin;
  admin.topics = {"a"};
  kc::worker_pool workers(2, "test");
  auto cache = std::make_shared<metadata_cache>(admin, workers, 10s);
  ASSERT_TRUE(get(*cache, std::nullopt).ok());
  {
    std::lock_guard lock(admin.mutex);
    admin.topics.push_back("b");  // created by someone else meanwhile
  }
  auto found = get(*cache, "b");
  ASSERT_TRUE(found.ok());
  EXPECT_NE((*found)->topic("b"), nullptr);
  EXPECT_EQ(admin.calls, 2);
  auto missing = get(*cache, "c");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ((*missing)->topic("c"), nullptr);
  EXPECT_EQ(admin.calls, 3);
}

TEST(MetadataCache, ConcurrentMissesShareRefreshes) {
  fake_admin admin;
  admin.delay = 50ms;
  kc::worker_pool workers(4, "test");
  auto cache = std::make_shared<metadata_cache>(admin, workers, 10s);
  std::vector<std::future<void>> waiting;
  std::atomic<int> answered{0};
  for (int i = 0; i < 20; ++i) {
    waiting.push_back(std::async(std::launch::async, [&] {
      auto r = get(*cache, "nope");
      EXPECT_TRUE(r.ok());
      ++answered;
    }));
  }
  for (auto& w : waiting) w.get();
  EXPECT_EQ(answered, 20);
  // Requests that arrive during a refresh wait for the next one: at most two rounds
  // here, never one per request.
  EXPECT_LE(admin.calls, 3);
}

TEST(MetadataCache, FailuresAreErrorsAndMarkTheClusterUnreachable) {
  fake_admin admin;
  admin.fail = true;
  kc::worker_pool workers(1, "test");
  auto cache = std::make_shared<metadata_cache>(admin, workers, 10s);
  auto r = get(*cache, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code(), kc::codes::local_transport);
  EXPECT_FALSE(cache->reachable());
  admin.fail = false;
  EXPECT_TRUE(cache->refresh_blocking());
  EXPECT_TRUE(cache->reachable());
}

}  // namespace
}  // namespace wharf::rest_proxy

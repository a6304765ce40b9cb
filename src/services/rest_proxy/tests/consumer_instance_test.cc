// A consumer instance's reads: limits on bytes, early answers past fetch.min.bytes,
// waking up when records arrive instead of sleeping out the timeout, committing only what
// was delivered, and closing. A scripted fake stands in for librdkafka here; the
// integration tests drive real consumers against both backends.
#include "services/rest_proxy/consumer_instances.h"

#include <gtest/gtest.h>

#include <future>

namespace wharf::rest_proxy {
namespace {

namespace kc = kafka::client;
using namespace std::chrono_literals;

class fake_consumer final : public kc::consumer {
 public:
  void add(std::int64_t offset, std::size_t value_size) {
    std::function<void()> wake;
    {
      std::lock_guard lock(mutex_);
      kc::consumed_record r;
      r.topic = "t";
      r.offset = offset;
      r.value = std::string(value_size, 'v');
      bool was_empty = queue_.empty();
      queue_.push_back(std::move(r));
      if (was_empty) wake = wakeup_;
    }
    if (wake) wake();  // as librdkafka: only when the queue was empty
  }
  std::vector<kc::partition_offset> stored() {
    std::lock_guard lock(mutex_);
    return stored_;
  }
  bool closed() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  kc::result<std::optional<kc::consumed_record>> poll(std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return std::optional<kc::consumed_record>{};
    auto r = std::move(queue_.front());
    queue_.pop_front();
    return std::optional<kc::consumed_record>(std::move(r));
  }
  kc::status store_offsets(const std::vector<kc::partition_offset>& offsets) override {
    std::lock_guard lock(mutex_);
    stored_.insert(stored_.end(), offsets.begin(), offsets.end());
    return kc::done{};
  }
  void set_wakeup(std::function<void()> wakeup) override {
    std::lock_guard lock(mutex_);
    wakeup_ = std::move(wakeup);
  }
  kc::status close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
    return kc::done{};
  }
  kc::status subscribe(const std::vector<std::string>&) override { return kc::done{}; }
  kc::status unsubscribe() override { return kc::done{}; }
  kc::result<std::vector<std::string>> subscription() override {
    return std::vector<std::string>{};
  }
  kc::status assign(const std::vector<kc::topic_partition>&) override { return kc::done{}; }
  kc::result<std::vector<kc::topic_partition>> assignment() override {
    return std::vector<kc::topic_partition>{};
  }
  kc::status pause(const std::vector<kc::topic_partition>&) override { return kc::done{}; }
  kc::status resume(const std::vector<kc::topic_partition>&) override { return kc::done{}; }
  kc::status seek(const std::vector<kc::partition_offset>&) override { return kc::done{}; }
  kc::status commit(const std::vector<kc::partition_offset>&) override { return kc::done{}; }
  kc::result<std::vector<kc::partition_offset>> committed(const std::vector<kc::topic_partition>&,
                                                          std::chrono::milliseconds) override {
    return std::vector<kc::partition_offset>{};
  }
  kc::result<std::vector<kc::partition_offset>> positions(
      const std::vector<kc::topic_partition>&) override {
    return std::vector<kc::partition_offset>{};
  }

 private:
  std::mutex mutex_;
  std::deque<kc::consumed_record> queue_;
  std::vector<kc::partition_offset> stored_;
  std::function<void()> wakeup_;
  bool closed_ = false;
};

class ConsumerInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto owned = std::make_unique<fake_consumer>();
    fake_ = owned.get();
    consumer_settings settings;
    settings.group = "g";
    settings.name = "c";
    instance_ = std::make_shared<consumer_instance>(settings, std::move(owned), workers_);
  }

  using records = std::vector<kc::consumed_record>;
  api_result<records> read(consumer_instance::read_limits limits) {
    return start_read(limits).get();
  }
  std::future<api_result<records>> start_read(consumer_instance::read_limits limits) {
    auto promise = std::make_shared<std::promise<api_result<records>>>();
    instance_->read(limits, [promise](api_result<records> r) { promise->set_value(r); });
    return promise->get_future();
  }
  static std::vector<std::int64_t> offsets(const records& rs) {
    std::vector<std::int64_t> out;
    for (const auto& r : rs) out.push_back(r.offset);
    return out;
  }

  kc::worker_pool workers_{2, "test"};
  fake_consumer* fake_ = nullptr;
  std::shared_ptr<consumer_instance> instance_;
};

TEST_F(ConsumerInstanceTest, WaitsTheTimeoutWhenNothingArrives) {
  auto started = std::chrono::steady_clock::now();
  auto r = read({150ms, 1 << 20, -1});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);
}

TEST_F(ConsumerInstanceTest, MaxBytesHoldsRecordsBackForTheNextRead) {
  for (int i = 0; i < 5; ++i) fake_->add(i, 100);
  // Each record counts ~200 bytes (payload, topic, overhead): two fit in 450.
  auto first = read({50ms, 450, -1});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(offsets(*first), (std::vector<std::int64_t>{0, 1}));
  auto second = read({50ms, 450, -1});
  EXPECT_EQ(offsets(*second), (std::vector<std::int64_t>{2, 3}));
  auto third = read({50ms, 450, -1});
  EXPECT_EQ(offsets(*third), (std::vector<std::int64_t>{4}));
  // Only delivered records are marked consumed, up to the next offset.
  auto stored = fake_->stored();
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.back().offset, 5);
  EXPECT_EQ(stored[0].offset, 2);
}

TEST_F(ConsumerInstanceTest, ARecordLargerThanMaxBytesStillGoesAlone) {
  fake_->add(0, 5000);
  fake_->add(1, 10);
  auto r = read({50ms, 100, -1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(offsets(*r), std::vector<std::int64_t>{0});
}

TEST_F(ConsumerInstanceTest, AnswersOnceMinBytesAreIn) {
  auto pending = start_read({10s, 1 << 20, 50});
  std::this_thread::sleep_for(50ms);
  auto started = std::chrono::steady_clock::now();
  fake_->add(7, 100);  // wakes the parked read
  ASSERT_EQ(pending.wait_for(2s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  auto r = pending.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(offsets(*r), std::vector<std::int64_t>{7});
}

TEST_F(ConsumerInstanceTest, ReadsOfOneInstanceAreAnsweredInOrder) {
  auto a = start_read({100ms, 1 << 20, -1});
  auto b = start_read({100ms, 1 << 20, 0});
  fake_->add(1, 10);
  auto ra = a.get();
  auto rb = b.get();
  ASSERT_TRUE(ra.ok() && rb.ok());
  // The first read took the record; the second found nothing left.
  EXPECT_EQ(offsets(*ra), std::vector<std::int64_t>{1});
  EXPECT_TRUE(rb->empty());
}

TEST_F(ConsumerInstanceTest, CloseAnswersPendingReadsAndLaterCalls) {
  auto pending = start_read({10s, 1 << 20, -1});
  std::this_thread::sleep_for(50ms);
  std::promise<void> closed;
  instance_->close([&] { closed.set_value(); });
  ASSERT_EQ(closed.get_future().wait_for(2s), std::future_status::ready);
  ASSERT_EQ(pending.wait_for(2s), std::future_status::ready);
  auto r = pending.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().error_code, error_codes::consumer_instance_not_found);
  EXPECT_TRUE(instance_->closed());
  std::promise<bool> ran;
  instance_->run([&](consumer_instance::session&) { ran.set_value(true); },
                 [&] { ran.set_value(false); });
  EXPECT_FALSE(ran.get_future().get());
  auto after = read({10ms, 1 << 20, -1});
  ASSERT_FALSE(after.ok());
}

}  // namespace
}  // namespace wharf::rest_proxy

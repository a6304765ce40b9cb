// The worker pool runs tasks, honours delays, and serial queues keep order.
#include "kafka/client/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace wharf::kafka::client {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, RunsPostedTasks) {
  worker_pool pool(2, "test");
  std::atomic<int> ran{0};
  std::promise<void> all;
  for (int i = 0; i < 100; ++i) {
    pool.post([&] {
      if (++ran == 100) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(ran, 100);
}

TEST(WorkerPool, DelayedTasksWaitTheirTurn) {
  worker_pool pool(1, "test");
  std::promise<std::chrono::steady_clock::time_point> late;
  std::promise<std::chrono::steady_clock::time_point> early;
  auto start = std::chrono::steady_clock::now();
  pool.post_after(150ms, [&] { late.set_value(std::chrono::steady_clock::now()); });
  pool.post_after(20ms, [&] { early.set_value(std::chrono::steady_clock::now()); });
  auto early_at = early.get_future().get();
  auto late_at = late.get_future().get();
  EXPECT_GE(early_at - start, 20ms);
  EXPECT_GE(late_at - start, 150ms);
  EXPECT_LT(early_at, late_at);
}

// Workers sleep until the earliest timer while others add timers (the heap grows and
// moves): run under ASan, this once caught a wait on a deadline that had been freed.
TEST(WorkerPool, ManyThreadsAddingTimersWhileWorkersWait) {
  worker_pool pool(3, "test");
  std::atomic<int> ran{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&pool, &ran, t] {
      for (int i = 0; i < 200; ++i) {
        pool.post_after(std::chrono::milliseconds((i * 7 + t) % 40), [&ran] { ++ran; });
      }
    });
  }
  for (auto& p : posters) p.join();
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (ran < 800 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(ran, 800);
}

TEST(WorkerPool, StopRunsQueuedTasksAndDropsLaterOnes) {
  std::atomic<int> ran{0};
  {
    worker_pool pool(1, "test");
    pool.post([&] {
      std::this_thread::sleep_for(50ms);
      ++ran;
    });
    pool.post([&] { ++ran; });
    pool.post_after(10s, [&] { ran += 100; });
    pool.stop();
    pool.post([&] { ran += 1000; });  // after stop: dropped
  }
  EXPECT_EQ(ran, 2);
}

TEST(WorkerPool, SerialQueueKeepsOrderAcrossThreads) {
  worker_pool pool(4, "test");
  auto queue = std::make_shared<serial_queue>(pool);
  std::vector<int> seen;
  std::atomic<int> concurrent{0};
  std::atomic<int> max_concurrent{0};
  std::promise<void> finished;
  for (int i = 0; i < 200; ++i) {
    queue->post([&, i] {
      int now = ++concurrent;
      max_concurrent = std::max(max_concurrent.load(), now);
      seen.push_back(i);  // no lock: the queue runs one task at a time
      --concurrent;
      if (i == 199) finished.set_value();
    });
  }
  ASSERT_EQ(finished.get_future().wait_for(5s), std::future_status::ready);
  ASSERT_EQ(seen.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(max_concurrent, 1);
}

TEST(WorkerPool, ATaskThatThrowsDoesNotStopTheQueue) {
  worker_pool pool(1, "test");
  auto queue = std::make_shared<serial_queue>(pool);
  std::promise<void> after;
  queue->post([] { throw std::runtime_error("boom"); });
  queue->post([&] { after.set_value(); });
  EXPECT_EQ(after.get_future().wait_for(5s), std::future_status::ready);
}

}  // namespace
}  // namespace wharf::kafka::client

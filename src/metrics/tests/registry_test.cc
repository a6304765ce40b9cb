#include "metrics/registry.h"

#include <thread>

#include <gtest/gtest.h>

#include "metrics/process_metrics.h"

namespace wharf::metrics {
namespace {

TEST(Registry, RendersCountersWithLabelsEscaped) {
  registry reg;
  auto& fam = reg.counter_family("wharf_requests_total", "Requests.", {"api", "note"});
  fam.with({"produce", "a\"b\\c\nd"}).inc(3);
  auto text = reg.render_prometheus();
  EXPECT_NE(text.find("# HELP wharf_requests_total Requests.\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE wharf_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find(R"(wharf_requests_total{api="produce",note="a\"b\\c\nd"} 3)"),
            std::string::npos)
      << text;
}

TEST(Registry, SameNameReturnsSameFamily) {
  registry reg;
  auto& a = reg.make_counter("x_total", "x");
  auto& b = reg.make_counter("x_total", "x");
  EXPECT_EQ(&a, &b);
}

TEST(Registry, RejectsInvalidNames) {
  registry reg;
  EXPECT_THROW(reg.make_gauge("9lives", "bad"), std::invalid_argument);
  EXPECT_THROW(reg.make_gauge("with-dash", "bad"), std::invalid_argument);
}

TEST(Registry, HistogramBucketsAreCumulative) {
  registry reg;
  auto& h = reg.make_histogram("lat_seconds", "Latency.", {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = reg.render_prometheus();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_sum 5.55\n"), std::string::npos) << text;
}

TEST(Registry, ConcurrentIncrementsAreNotLost) {
  registry reg;
  auto& c = reg.make_counter("c_total", "c");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c] {
      for (int i = 0; i < 100000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000);
}

TEST(Registry, ProcessMetricsArePresentAndPlausible) {
  registry reg;
  register_process_metrics(reg, "1.2.3");
  auto text = reg.render_prometheus();
  for (auto name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_start_time_seconds ", "wharf_uptime_seconds ", "process_max_fds "}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
  EXPECT_NE(text.find(R"(wharf_build_info{version="1.2.3"} 1)"), std::string::npos);
  auto pos = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(pos, std::string::npos);
  double rss = std::stod(text.substr(pos + 31));
  EXPECT_GT(rss, 1e6);
}

}  // namespace
}  // namespace wharf::metrics

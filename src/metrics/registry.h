// The metrics registry every component registers into: counters, gauges and
// histograms with labels, rendered in Prometheus text format 0.0.4. Updating a metric
// is one atomic operation; callers look up a labelled child once and keep the reference.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wharf::metrics {

using label_values = std::vector<std::string>;

class counter {
 public:
  void inc(double amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class histogram {
 public:
  // upper_bounds: sorted bucket bounds; +Inf is implicit.
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double value);

  struct snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  snapshot read() const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> bucket_counts_;  // per bucket + overflow
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

// Buckets in seconds for request latencies: 100 us to 10 s.
std::vector<double> latency_buckets();

enum class metric_type { counter, gauge, histogram };

// A metric name with a fixed list of label names and one child per label-value tuple.
template <typename Metric>
class family {
 public:
  family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The child for these label values (in label-name order); created on first use. The
  // reference stays valid for the registry's lifetime.
  Metric& with(const label_values& values) {
    std::lock_guard lock(mutex_);
    auto it = children_.find(values);
    if (it == children_.end()) it = children_.emplace(values, make_()).first;
    return *it->second;
  }

  // Drops a child (a deleted topic's metrics, say).
  void remove(const label_values& values) {
    std::lock_guard lock(mutex_);
    children_.erase(values);
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  template <typename Visitor>
  void for_each(Visitor&& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, metric] : children_) visit(values, *metric);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<label_values, std::unique_ptr<Metric>> children_;
};

// Receives samples computed at scrape time (process metrics, partition sizes, lag).
class sample_sink {
 public:
  virtual ~sample_sink() = default;
  virtual void sample(const std::string& name, metric_type type, const std::string& help,
                      const std::vector<std::pair<std::string, std::string>>& labels,
                      double value) = 0;
};

class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Registering the same name twice returns the first family (labels must match).
  family<counter>& counter_family(const std::string& name, const std::string& help,
                                  std::vector<std::string> label_names);
  family<gauge>& gauge_family(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names);
  family<histogram>& histogram_family(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds = latency_buckets());

  counter& make_counter(const std::string& name, const std::string& help) {
    return counter_family(name, help, {}).with({});
  }
  gauge& make_gauge(const std::string& name, const std::string& help) {
    return gauge_family(name, help, {}).with({});
  }
  histogram& make_histogram(const std::string& name, const std::string& help,
                            std::vector<double> upper_bounds = latency_buckets()) {
    return histogram_family(name, help, {}, std::move(upper_bounds)).with({});
  }

  // A function called at every scrape to emit computed samples.
  using collector = std::function<void(sample_sink&)>;
  void add_collector(collector c);

  // Prometheus text exposition format 0.0.4.
  std::string render_prometheus() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<family<counter>>> counters_;
  std::map<std::string, std::unique_ptr<family<gauge>>> gauges_;
  std::map<std::string, std::unique_ptr<family<histogram>>> histograms_;
  std::vector<collector> collectors_;
};

// Valid Prometheus metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool is_valid_metric_name(const std::string& name);

}  // namespace wharf::metrics

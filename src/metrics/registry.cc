#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace wharf::metrics {
namespace {

std::string escape_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

using label_pairs = std::vector<std::pair<std::string, std::string>>;

std::string format_labels(const label_pairs& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    out += escape_label_value(labels[i].second);
    out += '"';
  }
  return out + "}";
}

label_pairs zip(const std::vector<std::string>& names, const label_values& values) {
  label_pairs out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out.emplace_back(names[i], values[i]);
  }
  return out;
}

const char* type_name(metric_type type) {
  switch (type) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

// Everything rendered under one metric name: its HELP/TYPE header and sample lines.
struct rendered_family {
  metric_type type = metric_type::gauge;
  std::string help;
  std::vector<std::string> lines;
};

class collecting_sink final : public sample_sink {
 public:
  explicit collecting_sink(std::map<std::string, rendered_family>& out) : out_(out) {}
  void sample(const std::string& name, metric_type type, const std::string& help,
              const label_pairs& labels, double value) override {
    auto& fam = out_[name];
    fam.type = type;
    if (fam.help.empty()) fam.help = help;
    fam.lines.push_back(fmt::format("{}{} {}", name, format_labels(labels), format_value(value)));
  }

 private:
  std::map<std::string, rendered_family>& out_;
};

void check_name(const std::string& name) {
  if (!is_valid_metric_name(name)) throw std::invalid_argument("invalid metric name: " + name);
}

}  // namespace

bool is_valid_metric_name(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

histogram::histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      bucket_counts_(new std::atomic<std::uint64_t>[upper_bounds_.size() + 1]) {
  std::sort(upper_bounds_.begin(), upper_bounds_.end());
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i].store(0);
}

void histogram::observe(double value) {
  auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  bucket_counts_[static_cast<std::size_t>(it - upper_bounds_.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.upper_bounds = upper_bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    s.cumulative_counts.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  // The count is the +Inf bucket so that the two always agree within one scrape.
  s.count = running;
  return s;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

family<counter>& registry::counter_family(const std::string& name, const std::string& help,
                                          std::vector<std::string> label_names) {
  check_name(name);
  std::lock_guard lock(mutex_);
  auto& slot = counters_[name];
  if (!slot) {
    slot = std::make_unique<family<counter>>(name, help, std::move(label_names),
                                             [] { return std::make_unique<counter>(); });
  }
  return *slot;
}

family<gauge>& registry::gauge_family(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names) {
  check_name(name);
  std::lock_guard lock(mutex_);
  auto& slot = gauges_[name];
  if (!slot) {
    slot = std::make_unique<family<gauge>>(name, help, std::move(label_names),
                                           [] { return std::make_unique<gauge>(); });
  }
  return *slot;
}

family<histogram>& registry::histogram_family(const std::string& name, const std::string& help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> upper_bounds) {
  check_name(name);
  std::lock_guard lock(mutex_);
  auto& slot = histograms_[name];
  if (!slot) {
    slot = std::make_unique<family<histogram>>(
        name, help, std::move(label_names),
        [bounds = std::move(upper_bounds)] { return std::make_unique<histogram>(bounds); });
  }
  return *slot;
}

void registry::add_collector(collector c) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(c));
}

std::string registry::render_prometheus() const {
  std::map<std::string, rendered_family> out;
  std::vector<collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, fam] : counters_) {
      auto& r = out[name];
      r.type = metric_type::counter;
      r.help = fam->help();
      fam->for_each([&](const label_values& values, const counter& c) {
        r.lines.push_back(fmt::format("{}{} {}", name,
                                      format_labels(zip(fam->label_names(), values)),
                                      format_value(c.value())));
      });
    }
    for (const auto& [name, fam] : gauges_) {
      auto& r = out[name];
      r.type = metric_type::gauge;
      r.help = fam->help();
      fam->for_each([&](const label_values& values, const gauge& g) {
        r.lines.push_back(fmt::format("{}{} {}", name,
                                      format_labels(zip(fam->label_names(), values)),
                                      format_value(g.value())));
      });
    }
    for (const auto& [name, fam] : histograms_) {
      auto& r = out[name];
      r.type = metric_type::histogram;
      r.help = fam->help();
      fam->for_each([&](const label_values& values, const histogram& h) {
        auto labels = zip(fam->label_names(), values);
        auto snap = h.read();
        for (std::size_t i = 0; i <= snap.upper_bounds.size(); ++i) {
          auto with_le = labels;
          with_le.emplace_back("le", i < snap.upper_bounds.size()
                                         ? format_value(snap.upper_bounds[i])
                                         : std::string("+Inf"));
          r.lines.push_back(fmt::format("{}_bucket{} {}", name, format_labels(with_le),
                                        snap.cumulative_counts[i]));
        }
        r.lines.push_back(
            fmt::format("{}_sum{} {}", name, format_labels(labels), format_value(snap.sum)));
        r.lines.push_back(fmt::format("{}_count{} {}", name, format_labels(labels), snap.count));
      });
    }
    collectors = collectors_;
  }
  collecting_sink sink(out);
  for (const auto& c : collectors) c(sink);

  std::string text;
  for (const auto& [name, fam] : out) {
    if (fam.lines.empty()) continue;
    text += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(fam.help), name,
                        type_name(fam.type));
    for (const auto& line : fam.lines) {
      text += line;
      text += '\n';
    }
  }
  return text;
}

}  // namespace wharf::metrics

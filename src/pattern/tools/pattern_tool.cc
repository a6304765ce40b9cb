// Wharf's event-pattern verdicts and throughput, in the format of
// tests/peers/event_ruler/EventRulerCheck.java so the two compare line by line:
//   pattern_tool match
//       stdin: {"pattern": "<pattern JSON text>", "event": "<event JSON text>"} per line
//       stdout: MATCH | NO_MATCH | INVALID <message> (ERROR <message> for a bad event)
//   pattern_tool rules <rules file> <events file>
//       one rule_set with every rule; prints, per event, the sorted names of the rules it
//       matches, space-separated
//   pattern_tool bench <rules file> <events file> <seconds>
//       rules: one pattern per line (rule i is "r<i>"); events: one event per line.
//       Compiles every rule into one rule_set, then matches the events (as JSON text,
//       flattened once each) round-robin on one thread; prints one JSON line.
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "pattern/pattern.h"

namespace pattern = wharf::pattern;
namespace bj = boost::json;

namespace {

std::string verdict(const std::string& line) {
  boost::system::error_code ec;
  auto pair = bj::parse(line, ec);
  if (ec || !pair.is_object()) return "ERROR bad input line";
  const auto* pattern_text = pair.get_object().if_contains("pattern");
  const auto* event_text = pair.get_object().if_contains("event");
  if (!pattern_text || !event_text || !pattern_text->is_string() || !event_text->is_string()) {
    return "ERROR needs \"pattern\" and \"event\" strings";
  }
  auto compiled = pattern::pattern::compile(std::string_view(pattern_text->get_string()));
  if (!compiled.ok()) return fmt::format("INVALID {}", compiled.err().message());
  auto matched = pattern::matches(*compiled, std::string_view(event_text->get_string()));
  if (!matched.ok()) return fmt::format("ERROR {}", matched.err().message());
  // The rule-set index must say the same as the single-pattern matcher.
  pattern::rule_set one;
  one.add("rule", *compiled);
  auto found = one.matches(std::string_view(event_text->get_string()));
  if (!found.ok() || found->empty() == *matched) return "ERROR rule_set disagrees";
  return *matched ? "MATCH" : "NO_MATCH";
}

std::vector<std::string> read_lines(const char* path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  return lines;
}

int list_rules(const char* rules_path, const char* events_path) {
  auto rules = read_lines(rules_path);
  pattern::rule_set set;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    auto compiled = pattern::pattern::compile(rules[i]);
    if (!compiled.ok()) {
      std::cerr << "pattern_tool: rule " << i << ": " << compiled.err().message() << "\n";
      return 2;
    }
    set.add(fmt::format("r{}", i), *compiled);
  }
  for (const auto& event : read_lines(events_path)) {
    auto found = set.matches(std::string_view(event));
    std::vector<std::string> names;
    if (found.ok()) names.assign(found->begin(), found->end());
    std::sort(names.begin(), names.end());
    std::cout << fmt::format("{}\n", fmt::join(names, " "));
  }
  return 0;
}

int bench(const char* rules_path, const char* events_path, double seconds) {
  using clock = std::chrono::steady_clock;
  auto rules = read_lines(rules_path);
  auto events = read_lines(events_path);
  if (events.empty()) {
    std::cerr << "pattern_tool: no events\n";
    return 2;
  }
  pattern::rule_set set;
  auto compile_start = clock::now();
  for (std::size_t i = 0; i < rules.size(); ++i) {
    auto compiled = pattern::pattern::compile(rules[i]);
    if (!compiled.ok()) {
      std::cerr << "pattern_tool: rule " << i << ": " << compiled.err().message() << "\n";
      return 2;
    }
    set.add(fmt::format("r{}", i), *compiled);
  }
  double compile_seconds = std::chrono::duration<double>(clock::now() - compile_start).count();
  // Warm-up: builds the lazy parts of the index and the caches.
  std::size_t sink = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(events.size() * 2, 20000); ++i) {
    sink += set.matches(std::string_view(events[i % events.size()]))->size();
  }
  std::uint64_t matched = 0;
  std::uint64_t count = 0;
  auto start = clock::now();
  auto end =
      start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  auto now = start;
  while (now < end) {
    for (int i = 0; i < 256; ++i) {
      auto names = set.matches(std::string_view(events[count % events.size()]));
      matched += names.ok() ? names->size() : 0;
      ++count;
    }
    now = clock::now();
  }
  double elapsed = std::chrono::duration<double>(now - start).count();
  std::printf(
      "{\"rules\": %zu, \"events\": %llu, \"seconds\": %.3f, \"events_per_s\": %.1f, "
      "\"matches\": %llu, \"compile_s\": %.3f, \"sink\": %d}\n",
      rules.size(), static_cast<unsigned long long>(count), elapsed, count / elapsed,
      static_cast<unsigned long long>(matched), compile_seconds, sink > 0 ? 1 : 0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "match";
  if (mode == "rules" && argc >= 4) return list_rules(argv[2], argv[3]);
  if (mode == "bench") {
    if (argc < 5) {
      std::cerr << "usage: pattern_tool bench <rules file> <events file> <seconds>\n";
      return 2;
    }
    return bench(argv[2], argv[3], std::stod(argv[4]));
  }
  std::ios::sync_with_stdio(false);
  std::string out;
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    std::string v = verdict(line);
    for (char& c : v) {
      if (c == '\n') c = ' ';
    }
    out += v;
    out += '\n';
  }
  std::cout << out;
  return 0;
}

// libFuzzer harness for the event-pattern compiler and matchers (patterns come from API
// callers, events from producers: both untrusted). Input: pattern text, a NUL byte, event
// text. Beyond "no crash": a compiled pattern gives the same verdict through the
// single-pattern matcher and through a rule_set holding it beside a second rule, and the
// rule_set still answers after that rule is removed.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pattern/pattern.h"

namespace pattern = wharf::pattern;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find('\0');
  auto compiled = pattern::pattern::compile(input.substr(0, split));
  if (!compiled.ok()) {
    if (compiled.err().type() != pattern::invalid_pattern_exception) std::abort();
    return 0;
  }
  if (split == std::string_view::npos) return 0;
  std::string_view event = input.substr(split + 1);
  auto single = pattern::matches(*compiled, event);
  pattern::rule_set set;
  set.add("fuzzed", *compiled);
  set.add("other",
          *pattern::pattern::compile(R"({"source": ["x"], "n": [{"numeric": [">", 1]}]})"));
  auto found = set.matches(event);
  if (single.ok() != found.ok()) std::abort();
  if (!single.ok()) return 0;
  bool in_set = false;
  for (auto name : *found) in_set = in_set || name == "fuzzed";
  if (in_set != *single) std::abort();
  set.remove("fuzzed");
  auto after = set.matches(event);
  for (auto name : *after) {
    if (name == "fuzzed") std::abort();
  }
  return 0;
}

// The conformance cases (tests/data/event_patterns/conformance.json, written from the
// EventBridge documentation and checked against event-ruler by the integration test) run
// here through every entry point: one pattern against event text, against a Boost.JSON
// value, and all valid patterns at once in one rule_set, which must find for each event
// exactly the rules the single-pattern matcher finds.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "pattern/model.h"
#include "pattern/pattern.h"

namespace wharf::pattern {
namespace {

struct conformance_case {
  std::string name, pattern, event, expect;
};

std::vector<conformance_case> load_cases() {
  std::ifstream in(WHARF_PATTERN_CONFORMANCE);
  std::stringstream text;
  text << in.rdbuf();
  auto doc = boost::json::parse(text.str());
  std::vector<conformance_case> cases;
  for (const auto& c : doc.at("cases").as_array()) {
    cases.push_back(
        {std::string(c.at("name").as_string()), std::string(c.at("pattern").as_string()),
         std::string(c.at("event").as_string()), std::string(c.at("expect").as_string())});
  }
  return cases;
}

// Whether the DOM form of the event says the same as its text: numbers event-ruler cannot
// compare (1e400, 0.30000000000000001) are matched by their spelling, which a DOM loses.
bool dom_keeps_meaning(const flat_event& event) {
  for (const auto& f : event.fields()) {
    if (f.kind == value_kind::number && !f.comparable) return false;
  }
  return true;
}

TEST(pattern_conformance, EveryCaseAsDocumented) {
  auto cases = load_cases();
  ASSERT_GE(cases.size(), 200u);
  int counts[3] = {0, 0, 0};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name + ": " + c.pattern + " / " + c.event);
    auto compiled = pattern::compile(c.pattern);
    if (c.expect == "invalid") {
      EXPECT_FALSE(compiled.ok());
      if (!compiled.ok()) {
        EXPECT_EQ(compiled.err().type(), "InvalidEventPatternException");
      }
      ++counts[2];
      continue;
    }
    ASSERT_TRUE(compiled.ok()) << compiled.err().message();
    bool expected = c.expect == "match";
    ++counts[expected ? 0 : 1];
    auto matched = matches(*compiled, c.event);
    ASSERT_TRUE(matched.ok());
    EXPECT_EQ(*matched, expected);
    auto flat = flat_event::parse(c.event);
    if (dom_keeps_meaning(*flat)) {
      EXPECT_EQ(matches(*compiled, boost::json::parse(c.event)), expected);
    }
    rule_set one;
    one.add("rule", *compiled);
    EXPECT_EQ(one.matches(std::string_view(c.event))->size(), expected ? 1u : 0u);
  }
  EXPECT_GT(counts[0], 50);
  EXPECT_GT(counts[1], 50);
  EXPECT_GT(counts[2], 50);
}

TEST(pattern_conformance, OneRuleSetOfAllPatternsFindsWhatEachPatternFinds) {
  auto cases = load_cases();
  std::vector<std::pair<std::string, pattern>> rules;
  rule_set all;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto compiled = pattern::compile(cases[i].pattern);
    if (!compiled.ok()) continue;
    rules.emplace_back(fmt::format("case{}", i), *compiled);
    all.add(rules.back().first, *compiled);
  }
  std::size_t total = 0;
  for (const auto& c : cases) {
    auto event = flat_event::parse(c.event);
    ASSERT_TRUE(event.ok());
    std::set<std::string> expected;
    for (const auto& [name, p] : rules) {
      if (*matches(p, c.event)) expected.insert(name);
    }
    auto found = all.matches(*event);
    std::set<std::string> got(found.begin(), found.end());
    EXPECT_EQ(got.size(), found.size()) << "a rule reported twice";
    EXPECT_EQ(got, expected) << c.event;
    total += got.size();
  }
  EXPECT_GT(total, cases.size());  // events match several rules: the index is exercised
}

}  // namespace
}  // namespace wharf::pattern

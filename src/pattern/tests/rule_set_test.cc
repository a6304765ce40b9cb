// rule_set: adding, replacing and removing rules, many rules sharing the index, and
// readers running while a writer changes the set.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pattern/model.h"
#include "pattern/pattern.h"

namespace wharf::pattern {
namespace {

pattern compiled(std::string_view json) {
  auto p = pattern::compile(json);
  EXPECT_TRUE(p.ok()) << json;
  return *p;
}

std::vector<std::string> names(const rule_set& set, std::string_view event) {
  auto found = set.matches(event);
  EXPECT_TRUE(found.ok());
  std::vector<std::string> out(found->begin(), found->end());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(pattern_rule_set, AddReplaceRemove) {
  rule_set set;
  set.add("ec2", compiled(R"({"source": ["aws.ec2"]})"));
  set.add("running", compiled(R"({"detail": {"state": ["running"]}})"));
  set.add("any-but", compiled(R"({"source": [{"anything-but": "aws.s3"}]})"));
  EXPECT_EQ(set.size(), 3u);
  std::string_view event = R"({"source": "aws.ec2", "detail": {"state": "running"}})";
  EXPECT_EQ(names(set, event), (std::vector<std::string>{"any-but", "ec2", "running"}));
  set.add("ec2", compiled(R"({"source": ["aws.s3"]})"));  // replaced
  EXPECT_EQ(names(set, event), (std::vector<std::string>{"any-but", "running"}));
  EXPECT_TRUE(set.remove("running"));
  EXPECT_FALSE(set.remove("running"));
  EXPECT_EQ(names(set, event), (std::vector<std::string>{"any-but"}));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_FALSE(set.matches(std::string_view("[]")).ok());
}

TEST(pattern_rule_set, ThousandsOfRulesOfEveryKind) {
  rule_set set;
  for (int i = 0; i < 5000; ++i) {
    std::string n = std::to_string(i);
    std::string rule = fmt::format("r{}", i);
    switch (i % 5) {
      case 0: set.add(rule, compiled(R"({"id": [")" + n + R"("]})")); break;
      case 1: set.add(rule, compiled(R"({"name": [{"prefix": "p)" + n + R"(-"}]})")); break;
      case 2:
        set.add(rule, compiled(R"({"count": [{"numeric": [">=", )" + n + ", \"<\", " +
                               std::to_string(i + 5) + "]}]}"));
        break;
      case 3: set.add(rule, compiled(R"({"name": [{"suffix": "-s)" + n + R"("}]})")); break;
      default: set.add(rule, compiled(R"({"id": [{"equals-ignore-case": "E)" + n + R"("}]})"));
    }
  }
  EXPECT_EQ(names(set, R"({"id": "0"})"), (std::vector<std::string>{"r0"}));
  EXPECT_EQ(names(set, R"({"id": "e4"})"), (std::vector<std::string>{"r4"}));
  EXPECT_EQ(names(set, R"({"name": "p11-x-s13"})"), (std::vector<std::string>{"r11", "r13"}));
  // count 10 is in [7, 12) and [2, 7)? no: [i, i+5) for i = 7 (i % 5 == 2) only.
  EXPECT_EQ(names(set, R"({"count": 10})"), (std::vector<std::string>{"r7"}));
  EXPECT_EQ(names(set, R"({"count": 12})"), (std::vector<std::string>{"r12"}));
  for (int i = 0; i < 5000; i += 2) set.remove(fmt::format("r{}", i));
  EXPECT_TRUE(names(set, R"({"id": "0"})").empty());
  EXPECT_EQ(names(set, R"({"name": "p11-x-s13"})"), (std::vector<std::string>{"r11", "r13"}));
  EXPECT_TRUE(names(set, R"({"count": 12})").empty());
  EXPECT_EQ(names(set, R"({"count": 17})"), (std::vector<std::string>{"r17"}));
}

TEST(pattern_rule_set, ConcurrentReadersWhileAWriterChangesTheSet) {
  rule_set set;
  set.add("stable", compiled(R"({"a": ["x"]})"));
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        auto found = set.matches(std::string_view(R"({"a": "x", "n": 3})"));
        bool has_stable = false;
        for (auto name : *found) has_stable = has_stable || name == "stable";
        if (!has_stable) ++wrong;
      }
    });
  }
  for (int i = 0; i < 2000; ++i) {
    std::string name = fmt::format("r{}", i % 50);
    set.add(name, compiled(R"({"n": [{"numeric": [">", )" + std::to_string(i % 7) + "]}]}"));
    if (i % 3 == 0) set.remove(name);
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace wharf::pattern

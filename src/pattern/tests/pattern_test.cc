// Unit tests of the pattern compiler's refusals, the value helpers and event flattening.
#include <gtest/gtest.h>

#include <fmt/ranges.h>

#include <boost/json/parse.hpp>

#include "pattern/model.h"
#include "pattern/pattern.h"

namespace wharf::pattern {
namespace {

std::string refusal(std::string_view json) {
  auto compiled = pattern::compile(json);
  EXPECT_FALSE(compiled.ok()) << json;
  if (compiled.ok()) return "";
  EXPECT_EQ(compiled.err().type(), "InvalidEventPatternException");
  return compiled.err().message();
}

bool text_matches(std::string_view pattern_json, std::string_view event_json) {
  auto compiled = pattern::compile(pattern_json);
  EXPECT_TRUE(compiled.ok()) << pattern_json << ": " << compiled.err().message();
  auto matched = matches(*compiled, event_json);
  EXPECT_TRUE(matched.ok());
  return matched.ok() && *matched;
}

TEST(pattern_compile, RefusalsNameTheProblemThePathAndTheOperator) {
  EXPECT_EQ(refusal(R"({"detail": {"count": [{"numeric": [">", 0, "<="]}]}})"),
            "Event pattern is not valid. Reason: Value of <= must be numeric (at "
            "\"detail.count\")");
  EXPECT_EQ(refusal(R"({"a": [{"numeric": [">", 5, "<", 1]}]})"),
            "Event pattern is not valid. Reason: Bottom must be less than top (at \"a\")");
  EXPECT_EQ(refusal(R"({"a": [{"wildcard": "a**"}]})"),
            "Event pattern is not valid. Reason: Consecutive wildcard characters at pos 2 (at "
            "\"a\")");
  EXPECT_EQ(refusal(R"({"a": [{"prefx": "a"}]})"),
            "Event pattern is not valid. Reason: Unrecognized match type prefx (at \"a\")");
  EXPECT_EQ(refusal(R"({"a": "x"})"),
            "Event pattern is not valid. Reason: \"a\" must be an object or an array (at \"a\")");
  EXPECT_EQ(refusal(R"([1])"), "Event pattern is not valid. Reason: Filter is not an object");
  EXPECT_EQ(refusal(R"({"a": [{"cidr": "10.0.0.1/32"}]})"),
            "Event pattern is not valid. Reason: IPv4 mask bits must be < 32 (at \"a\")");
  EXPECT_EQ(refusal(R"({"a": [{"anything-but": [1, "a"]}]})"),
            "Event pattern is not valid. Reason: Inside anything but list, either all values are "
            "number or string, mixed type is not supported (at \"a\")");
  EXPECT_EQ(refusal(R"({"a": [{"numeric": ["=", 0.30000000000000001]}]})"),
            "Event pattern is not valid. Reason: Cannot compare number : 0.30000000000000001 (at "
            "\"a\")");
  EXPECT_EQ(refusal(R"({"a": [{"anything-but": {"prefix": []}}]})"),
            "Event pattern is not valid. Reason: Empty arrays are not allowed (at \"a\")");
  EXPECT_NE(refusal(R"({"a": [1]   )").find("Event pattern is not valid"), std::string::npos);
  EXPECT_NE(refusal(R"({"$or": [{"a": [1]}]})").find("at least 2 Objects"), std::string::npos);
}

TEST(pattern_compile, OrExpandsIntoBranchesAndIsBounded) {
  auto p = pattern::compile(R"({"s": ["x"], "$or": [{"a": [1]}, {"b": [2]}, {"c": [3]}]})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->branch_count(), 3u);
  // Nested $or multiplies: 10 x 10 x 10 x 10 = 10,000 branches is refused.
  std::string ten = R"([{"a":[1]},{"a":[2]},{"a":[3]},{"a":[4]},{"a":[5]},{"a":[6]},{"a":[7]},
                        {"a":[8]},{"a":[9]},{"a":[10]}])";
  std::string nested = "{\"w\": {\"$or\": " + ten + "}, \"x\": {\"$or\": " + ten +
                       "}, \"y\": {\"$or\": " + ten + "}, \"z\": {\"$or\": " + ten + "}}";
  EXPECT_NE(refusal(nested).find("combinations of $or"), std::string::npos);
}

TEST(pattern_values, ComparableNumbersAreTheExactlyRepresentableDecimals) {
  EXPECT_EQ(comparable_number("5"), 5.0);
  EXPECT_EQ(comparable_number("5.000"), 5.0);
  EXPECT_EQ(comparable_number("-0"), 0.0);
  EXPECT_EQ(comparable_number("1e2"), 100.0);
  EXPECT_EQ(comparable_number("0.1"), 0.1);
  EXPECT_EQ(comparable_number("5000000000.000001"), 5000000000.000001);
  EXPECT_FALSE(comparable_number("0.30000000000000001"));
  EXPECT_FALSE(comparable_number("12345678901234567890"));
  EXPECT_FALSE(comparable_number("1e400"));
  EXPECT_FALSE(comparable_number("1e-400"));
  EXPECT_FALSE(comparable_number("abc"));
}

TEST(pattern_values, IpAddressesAsEventRulerReadsThem) {
  auto v4 = parse_ip("10.0.0.01");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->size, 4);
  EXPECT_EQ(v4->bytes[3], 1);
  EXPECT_FALSE(parse_ip("300.1.1.1"));
  EXPECT_FALSE(parse_ip("1.2.3"));
  EXPECT_EQ(parse_ip("2001:DB8::1")->size, 16);
  EXPECT_EQ(parse_ip("::ffff:a00:1")->size, 4);  // IPv4-mapped, as Java's InetAddress
  EXPECT_FALSE(parse_ip("1:2"));
  EXPECT_FALSE(parse_ip("example.com"));
}

TEST(pattern_values, WildcardsAndCase) {
  auto parts = split_wildcard("\"a*b\\*c*\"");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(*parts, (std::vector<std::string>{"\"a", "b*c", "\""}));
  EXPECT_TRUE(wildcard_matches(*parts, "\"axxb*cyy\""));
  EXPECT_FALSE(wildcard_matches(*parts, "\"axxbxc\""));
  EXPECT_FALSE(split_wildcard("\"a\\b\"").ok());
  EXPECT_TRUE(equals_ignore_case("\"ÉTÉ\"", "\"été\""));
  EXPECT_TRUE(equals_ignore_case("\"Straße\"", "\"STRASSE\""));
  EXPECT_FALSE(equals_ignore_case("\"abc\"", "\"abd\""));
  EXPECT_TRUE(ends_with_ignore_case("\"image.PNG\"", ".png\""));
  EXPECT_TRUE(starts_with_ignore_case("\"ABCdef\"", "\"abc"));
}

TEST(pattern_event, FlatteningKeepsArrayPositionsOfContainersOnly) {
  auto event = flat_event::parse(R"({"a": [{"b": 1}, {"b": "x", "c": [true, null]}], "d": 2})");
  ASSERT_TRUE(event.ok());
  const auto& fields = event->fields();
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields[0].path, "a.b");
  EXPECT_EQ(fields[0].text, "1");
  EXPECT_TRUE(fields[0].comparable);
  EXPECT_EQ(fields[0].position_count, 1u);
  EXPECT_EQ(fields[1].text, "\"x\"");
  EXPECT_EQ(fields[1].positions[0].index, 1u);
  EXPECT_EQ(fields[2].path, "a.c");
  EXPECT_EQ(fields[2].position_count, 1u);  // the scalar array adds no position
  EXPECT_EQ(fields[4].path, "d");
  EXPECT_EQ(fields[4].position_count, 0u);
  EXPECT_FALSE(flat_event::parse("[1]").ok());
  EXPECT_FALSE(flat_event::parse("{\"a\": ").ok());
}

TEST(pattern_event, MembersNoRuleUsesAreSkipped) {
  step_names used{{"a", 1}, {"b", 1}, {"c.d", 1}};
  auto event = flat_event::parse(
      R"({"z": [{"q": 1, "r": [2, {"s": "x"}]}, "w"], "a": {"b": 1, "y": 2}, "c.d": 3, "c": 4})",
      &used);
  ASSERT_TRUE(event.ok());
  std::vector<std::string_view> paths;
  for (const auto& f : event->fields()) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string_view>{"a.b", "c.d"}));
  EXPECT_FALSE(flat_event::parse(R"({"z": [1, }, "a": 1})", &used).ok());  // still validated
}

TEST(pattern_event, EmptyKeysAndTrailingText) {
  // event-ruler's paths: an event's {"": {"a": 1}} is ".a"; a pattern's {"": {"a": [1]}}
  // is "a" (its Path adds no '.' after an empty path).
  EXPECT_TRUE(text_matches(R"({".a": [1]})", R"({"": {"a": 1}})"));
  EXPECT_FALSE(text_matches(R"({"": {"a": [1]}})", R"({"": {"a": 1}})"));
  EXPECT_TRUE(text_matches(R"({"": {"a": [1]}})", R"({"a": 1})"));
  auto dom = boost::json::parse(R"({"": {"a": 1}})");
  EXPECT_TRUE(matches(*pattern::compile(R"({".a": [1]})"), dom));
  // Text after the JSON is refused (event-ruler's Jackson stops reading at the end of it).
  EXPECT_FALSE(pattern::compile(R"({"a": [1]} x)").ok());
  EXPECT_TRUE(pattern::compile("{\"a\": [1]} \n").ok());
  EXPECT_FALSE(flat_event::parse(R"({"a": 1} {"b": 2})").ok());
}

TEST(pattern_match, BigScalarArraysDoNotMultiplyTheSearch) {
  std::vector<int> numbers(2000);
  for (int i = 0; i < 2000; ++i) numbers[i] = i;
  std::string many = fmt::format("[{}]", fmt::join(numbers, ","));
  std::string event = fmt::format(R"({{"a": {0}, "b": {0}, "c": {0}, "d": "y"}})", many);
  // Without the pruning this is 2000^3 steps before "d" fails.
  EXPECT_FALSE(text_matches(
      R"({"a": [{"exists": true}], "b": [{"exists": true}], "c": [{"exists": true}], "d": ["x"]})",
      event));
  EXPECT_TRUE(text_matches(R"({"a": [1999], "b": [{"numeric": [">", 1000]}], "d": ["y"]})", event));
}

TEST(pattern_match, ValueAndTextEventsAgree) {
  auto p =
      pattern::compile(R"({"detail": {"n": [{"numeric": [">", 1]}], "s": [{"prefix": "ab"}]}})");
  ASSERT_TRUE(p.ok());
  auto yes = boost::json::parse(R"({"detail": {"n": 1.5, "s": "abc"}})");
  auto no = boost::json::parse(R"({"detail": {"n": 1, "s": "abc"}})");
  EXPECT_TRUE(matches(*p, yes));
  EXPECT_FALSE(matches(*p, no));
  EXPECT_FALSE(matches(*p, boost::json::parse("[1]")));
  EXPECT_TRUE(text_matches(R"({"a": [5]})", R"({"a": 5.0})"));
  EXPECT_FALSE(matches(*p, "not json").ok());
}

TEST(pattern_match, ArrayConsistencyAndExistsFalse) {
  // Fields of one branch must come from the same element of an array of objects.
  EXPECT_FALSE(text_matches(R"({"a": {"b": [1], "c": [4]}})",
                            R"({"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]})"));
  EXPECT_TRUE(text_matches(R"({"a": {"b": [3], "c": [4]}})",
                           R"({"a": [{"b": 1, "c": 2}, {"b": 3, "c": 4}]})"));
  // exists:false sees only fields consistent with what matched before it (path order).
  EXPECT_TRUE(text_matches(R"({"a": {"x": ["1"], "z": [{"exists": false}]}})",
                           R"({"a": [{"x": "1"}, {"x": "2", "z": 3}]})"));
  EXPECT_FALSE(text_matches(R"({"a": {"x": ["2"], "z": [{"exists": false}]}})",
                            R"({"a": [{"x": "1"}, {"x": "2", "z": 3}]})"));
}

}  // namespace
}  // namespace wharf::pattern

// Pattern JSON -> compiled_pattern: the grammar and the refusals of event-ruler's
// JsonRuleCompiler (the checks, their order and their wording), with the field path added
// to every message. "$or" is expanded here into branches.
#include <algorithm>
#include <limits>
#include <map>

#include "pattern/json_reader.h"
#include "pattern/model.h"

namespace wharf::pattern {

namespace {

using kind = json_node::kind;
using draft = std::map<std::string, field_test>;  // one branch, sorted by path

// A pattern whose "$or"s expand to more branches than this is refused, so a small
// pattern cannot make matching (or memory) explode.
constexpr std::size_t max_branches = 1000;

constexpr std::string_view reserved_in_or[] = {"exactly",
                                               "equals-ignore-case",
                                               "prefix",
                                               "suffix",
                                               "anything-but",
                                               "exists",
                                               "wildcard",
                                               "numeric",
                                               "cidr",
                                               "=",
                                               "<",
                                               "<=",
                                               ">",
                                               ">=",
                                               "regex",
                                               "not-wildcard",
                                               "not-equals-ignore-case",
                                               "date-after",
                                               "date-on-or-after",
                                               "date-before",
                                               "date-on-or-before",
                                               "in-date-range",
                                               "ip-address-in-range",
                                               "ip-address-not-in-range"};

// Thrown nowhere: compile steps return this and the caller adds the context.
struct failure {
  std::string reason;
};

class compiler {
 public:
  result<compiled_pattern> run(const json_node& root) {
    if (root.type != kind::object) return refuse("Filter is not an object", "");
    std::vector<draft> rules;
    if (auto f = parse_object(rules, "", root, false)) return refuse(f->reason, failed_path_);
    compiled_pattern out;
    for (auto& rule : rules) {
      branch b;
      for (auto& [path, test] : rule) b.fields.push_back(std::move(test));
      out.branches.push_back(std::move(b));
    }
    return out;
  }

 private:
  static pattern_error refuse(std::string_view reason, std::string_view path) {
    std::string message = fmt::format("Event pattern is not valid. Reason: {}", reason);
    if (!path.empty()) message += fmt::format(" (at \"{}\")", path);
    return pattern_error(std::string(invalid_pattern_exception), std::move(message));
  }

  std::optional<failure> fail(std::string reason, std::string_view path) {
    failed_path_ = path;
    return failure{std::move(reason)};
  }

  // As event-ruler's Path.extendedName: no '.' after an empty path, so {"": {"a": [1]}}
  // is path "a" (while the event {"": {"a": 1}} has ".a": they do not meet).
  static std::string join(std::string_view path, std::string_view step) {
    return path.empty() ? std::string(step) : fmt::format("{}.{}", path, step);
  }

  std::optional<failure> parse_object(std::vector<draft>& rules, const std::string& path,
                                      const json_node& object, bool inside_or) {
    if (object.keys.empty()) return fail("Empty objects are not allowed", path);
    for (std::size_t i = 0; i < object.keys.size(); ++i) {
      const std::string& name = object.keys[i];
      const json_node& value = object.items[i];
      if (name == "$or") {
        if (auto f = parse_or(rules, path, value)) return f;
        continue;
      }
      if (inside_or && std::find(std::begin(reserved_in_or), std::end(reserved_in_or), name) !=
                           std::end(reserved_in_or)) {
        return fail(name + " is Ruler reserved fieldName which cannot be used inside $or.",
                    join(path, name));
      }
      if (value.type == kind::object) {
        if (auto f = parse_object(rules, join(path, name), value, inside_or)) return f;
      } else if (value.type == kind::array) {
        if (auto f = write_rules(rules, join(path, name), value)) return f;
      } else {
        return fail(fmt::format("\"{}\" must be an object or an array", name), join(path, name));
      }
    }
    return std::nullopt;
  }

  std::optional<failure> parse_or(std::vector<draft>& rules, const std::string& path,
                                  const json_node& value) {
    std::vector<draft> before = std::move(rules);
    rules.clear();
    if (value.type != kind::array) return fail("It must be an Array followed with $or.", path);
    for (const auto& item : value.items) {
      if (item.type != kind::object) {
        return fail("Only JSON object is allowed in array of $or relationship.", path);
      }
      std::vector<draft> expanded = before;
      if (expanded.empty()) expanded.emplace_back();
      if (auto f = parse_object(expanded, path, item, true)) return f;
      if (rules.size() + expanded.size() > max_branches) {
        return fail(fmt::format("More than {} combinations of $or", max_branches), path);
      }
      for (auto& rule : expanded) rules.push_back(std::move(rule));
    }
    if (value.items.size() < 2) {
      return fail("There must have at least 2 Objects in $or relationship.", path);
    }
    return std::nullopt;
  }

  std::optional<failure> write_rules(std::vector<draft>& rules, const std::string& path,
                                     const json_node& array) {
    field_test test;
    test.path = path;
    for (const auto& item : array.items) {
      switch (item.type) {
        case kind::object:
          if (auto f = match_expression(test, path, item)) return f;
          break;
        case kind::string: {
          if (auto ip = parse_ip(item.text)) {
            value_matcher m;
            m.op = value_op::ip_range;
            m.ip_low = m.ip_high = *ip;
            test.any_of.push_back(std::move(m));
          } else {
            test.any_of.push_back(text_matcher(value_op::exact, quoted(item.text)));
          }
          break;
        }
        case kind::number:
          // A number event-ruler cannot compare (1e400, an account id of 20 digits) still
          // matches the same text exactly.
          if (auto number = comparable_number(item.text)) {
            value_matcher m;
            m.op = value_op::numeric_equals;
            m.low = m.high = *number;
            test.any_of.push_back(std::move(m));
          }
          test.any_of.push_back(text_matcher(value_op::exact, item.text));
          break;
        case kind::true_:
        case kind::false_:
        case kind::null:
          test.any_of.push_back(text_matcher(value_op::exact, item.token_text()));
          break;
        case kind::array:
          return fail("Match value must be String, number, true, false, or null", path);
      }
    }
    if (array.items.empty()) return fail("Empty arrays are not allowed", path);
    if (rules.empty()) rules.emplace_back();
    // A path given twice keeps its last value list, as event-ruler's rule map does.
    for (auto& rule : rules) rule[path] = test;
    return std::nullopt;
  }

  static std::string quoted(std::string_view text) { return fmt::format("\"{}\"", text); }

  static value_matcher text_matcher(value_op op, std::string text) {
    value_matcher m;
    m.op = op;
    m.text = std::move(text);
    return m;
  }

  // {"prefix": {"equals-ignore-case": "..."}} and the suffix twin.
  std::optional<failure> ignore_case_affix(field_test& test, const std::string& path,
                                           const json_node& outer, const json_node& inner,
                                           bool is_prefix) {
    const char* what = is_prefix ? "Prefix" : "Suffix";
    if (inner.keys.empty()) return fail(fmt::format("{} expression name not found", what), path);
    const std::string& op = inner.keys[0];
    const json_node& value = inner.items[0];
    if (op != "equals-ignore-case") {
      return fail(fmt::format("Unsupported {} pattern: {}", is_prefix ? "prefix" : "suffix", op),
                  path);
    }
    if (value.type != kind::string) {
      return fail("equals-ignore-case match pattern must be a string", path);
    }
    if (inner.keys.size() > 1 || outer.keys.size() > 1) {
      return fail("Only one key allowed in match expression", path);
    }
    test.any_of.push_back(is_prefix
                              ? text_matcher(value_op::prefix_ignore_case, "\"" + value.text)
                              : text_matcher(value_op::suffix_ignore_case, value.text + "\""));
    return std::nullopt;
  }

  std::optional<failure> match_expression(field_test& test, const std::string& path,
                                          const json_node& object) {
    if (object.keys.empty()) return fail("Match expression name not found", path);
    const std::string& op = object.keys[0];
    const json_node& value = object.items[0];
    bool extra_keys = object.keys.size() > 1;
    auto one_key = [&]() -> std::optional<failure> {
      if (extra_keys) return fail("Only one key allowed in match expression", path);
      return std::nullopt;
    };
    if (op == "exactly") {
      if (value.type != kind::string) return fail("exact match pattern must be a string", path);
      if (auto f = one_key()) return f;
      test.any_of.push_back(text_matcher(value_op::exact, quoted(value.text)));
    } else if (op == "prefix" || op == "suffix") {
      bool is_prefix = op == "prefix";
      if (value.type == kind::object)
        return ignore_case_affix(test, path, object, value, is_prefix);
      if (value.type != kind::string) return fail(op + " match pattern must be a string", path);
      if (auto f = one_key()) return f;
      test.any_of.push_back(is_prefix ? text_matcher(value_op::prefix, "\"" + value.text)
                                      : text_matcher(value_op::suffix, value.text + "\""));
    } else if (op == "numeric") {
      if (value.type != kind::array) return fail("Value of numeric must be an array.", path);
      if (auto f = numeric(test, path, value)) return f;
      if (extra_keys) return fail("Too many elements in numeric expression", path);
    } else if (op == "anything-but") {
      return anything_but(test, path, object, value);
    } else if (op == "exists") {
      if (value.type != kind::true_ && value.type != kind::false_) {
        return fail("exists match pattern must be either true or false.", path);
      }
      if (auto f = one_key()) return f;
      if (value.type == kind::true_) {
        test.any_of.push_back(text_matcher(value_op::exists, ""));
      } else {
        test.absent_allowed = true;
      }
    } else if (op == "cidr") {
      if (value.type != kind::string) return fail("prefix match pattern must be a string", path);
      auto range = cidr(value.text);
      if (!range.ok()) return fail(range.err().message(), path);
      if (auto f = one_key()) return f;
      test.any_of.push_back(std::move(*range));
    } else if (op == "equals-ignore-case") {
      if (value.type != kind::string) {
        return fail("equals-ignore-case match pattern must be a string", path);
      }
      if (auto f = one_key()) return f;
      test.any_of.push_back(text_matcher(value_op::equals_ignore_case, quoted(value.text)));
    } else if (op == "wildcard") {
      if (value.type != kind::string) return fail("wildcard match pattern must be a string", path);
      auto parts = split_wildcard(quoted(value.text));
      if (!parts.ok()) return fail(parts.err().message(), path);
      if (auto f = one_key()) return f;
      value_matcher m;
      m.op = value_op::wildcard;
      m.parts = std::move(*parts);
      test.any_of.push_back(std::move(m));
    } else {
      return fail("Unrecognized match type " + op, path);
    }
    return std::nullopt;
  }

  std::optional<failure> comparable(const json_node& number, const std::string& path, double& out) {
    auto value = comparable_number(number.text);
    if (!value) return fail("Cannot compare number : " + number.text, path);
    out = *value;
    return std::nullopt;
  }

  // ["=", x], [">"|">=", x], [">"|">=", x, "<"|"<=", y], ["<"|"<=", y]
  std::optional<failure> numeric(field_test& test, const std::string& path,
                                 const json_node& array) {
    const auto& items = array.items;
    auto text_at = [&](std::size_t i) { return i < items.size() ? items[i].token_text() : "]"; };
    auto number_at = [&](std::size_t i) { return i < items.size() && items[i].is_number(); };
    if (items.empty() || !items[0].is_string()) {
      return fail("Invalid member in numeric match: " + text_at(0), path);
    }
    const std::string& op = items[0].text;
    value_matcher m;
    m.op = value_op::numeric_range;
    m.low = -std::numeric_limits<double>::infinity();
    m.high = std::numeric_limits<double>::infinity();
    if (op == "=") {
      if (!number_at(1)) return fail("Value of equals must be numeric", path);
      if (items.size() > 2) return fail("Too many elements in numeric expression", path);
      m.op = value_op::numeric_equals;
      if (auto f = comparable(items[1], path, m.low)) return f;
      m.high = m.low;
    } else if (op == ">=" || op == ">") {
      if (!number_at(1)) return fail("Value of " + op + " must be numeric", path);
      m.low_open = op == ">";
      if (items.size() > 2) {
        if (!items[2].is_string()) return fail("Bad value in numeric range: " + text_at(2), path);
        const std::string& top_op = items[2].text;
        if (top_op != "<" && top_op != "<=") {
          return fail("Bad numeric range operator: " + top_op, path);
        }
        if (!number_at(3)) return fail("Value of " + top_op + " must be numeric", path);
        if (items.size() > 4) return fail("Too many terms in numeric range expression", path);
        m.high_open = top_op == "<";
        if (auto f = comparable(items[1], path, m.low)) return f;
        if (auto f = comparable(items[3], path, m.high)) return f;
        if (!(m.low < m.high)) return fail("Bottom must be less than top", path);
      } else {
        if (auto f = comparable(items[1], path, m.low)) return f;
      }
    } else if (op == "<=" || op == "<") {
      if (!number_at(1)) return fail("Value of " + op + " must be numeric", path);
      if (items.size() > 2) return fail("Too many elements in numeric expression", path);
      m.high_open = op == "<";
      if (auto f = comparable(items[1], path, m.high)) return f;
    } else {
      return fail("Unrecognized numeric range operator: " + op, path);
    }
    test.any_of.push_back(std::move(m));
    return std::nullopt;
  }

  std::optional<failure> anything_but(field_test& test, const std::string& path,
                                      const json_node& outer, const json_node& value_in) {
    value_op op = value_op::anything_but;
    const json_node* value = &value_in;
    const json_node* inner = nullptr;
    if (value->type == kind::object) {
      inner = value;
      if (inner->keys.empty()) return fail("Anything-But expression name not found", path);
      const std::string& name = inner->keys[0];
      if (name == "equals-ignore-case") {
        op = value_op::anything_but_ignore_case;
      } else if (name == "prefix") {
        op = value_op::anything_but_prefix;
      } else if (name == "suffix") {
        op = value_op::anything_but_suffix;
      } else if (name == "wildcard") {
        op = value_op::anything_but_wildcard;
      } else {
        return fail("Unsupported anything-but pattern: " + name, path);
      }
      value = &inner->items[0];
    }
    if (value->type != kind::array && value->type != kind::string && !value->is_number()) {
      return fail("Value of anything-but must be an array or single string/number value.", path);
    }
    std::vector<const json_node*> values;
    if (value->type == kind::array) {
      for (const auto& item : value->items) values.push_back(&item);
    } else {
      values.push_back(value);
    }
    value_matcher m;
    m.op = op;
    if (op == value_op::anything_but) {
      bool has_number = false;
      bool has_string = false;
      for (const json_node* item : values) {
        if (item->is_string()) {
          m.texts.push_back(quoted(item->text));
          has_string = true;
        } else if (item->is_number()) {
          double number = 0;
          if (auto f = comparable(*item, path, number)) return f;
          m.numbers.push_back(number);
          has_number = true;
        } else {
          return fail(value->type == kind::array
                          ? "Inside anything but list, start|null|boolean is not supported."
                          : "Inside anything-but list, start|null|boolean is not supported.",
                      path);
        }
      }
      if (has_number == has_string) {
        return fail(
            "Inside anything but list, either all values are number or string, mixed type is "
            "not supported",
            path);
      }
      if (has_number) m.op = value_op::anything_but_number;
    } else {
      // event-ruler accepts an empty list here and then fails while matching.
      if (values.empty()) return fail("Empty arrays are not allowed", path);
      for (const json_node* item : values) {
        if (!item->is_string()) {
          if (op == value_op::anything_but_ignore_case) {
            return fail(
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
                "supported.",
                path);
          }
          if (op == value_op::anything_but_wildcard) {
            return fail("wildcard match pattern must be a string", path);
          }
          return fail("prefix/suffix match pattern must be a string", path);
        }
        if ((op == value_op::anything_but_prefix || op == value_op::anything_but_suffix) &&
            item->text.empty()) {
          return fail("Null prefix/suffix not allowed", path);
        }
        switch (op) {
          case value_op::anything_but_prefix: m.texts.push_back("\"" + item->text); break;
          case value_op::anything_but_suffix: m.texts.push_back(item->text + "\""); break;
          default: m.texts.push_back(quoted(item->text));
        }
      }
      if (op == value_op::anything_but_wildcard) {
        for (const auto& text : m.texts) {
          auto parts = split_wildcard(text);
          if (!parts.ok()) return fail(parts.err().message(), path);
          m.wildcards.push_back(std::move(*parts));
        }
      }
    }
    if ((inner && inner->keys.size() > 1) || outer.keys.size() > 1) {
      return fail("Too many elements in numeric expression", path);
    }
    test.any_of.push_back(std::move(m));
    return std::nullopt;
  }

  // "a.b.c.d/n" or "v6/n", as event-ruler's CIDR.cidr (which refuses /32 and /128).
  static result<value_matcher> cidr(std::string_view text) {
    auto refuse_with = [](std::string message) {
      return pattern_error(std::string(invalid_pattern_exception), std::move(message));
    };
    // Java's split("/") drops trailing empty parts: "1.2.3.4/" has one part.
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
      std::size_t slash = text.find('/', start);
      parts.push_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    if (parts.size() != 2) return refuse_with("Malformed CIDR, one '/' required");
    std::string_view bits_text = parts[1];
    bool negative = false;
    if (!bits_text.empty() && (bits_text[0] == '+' || bits_text[0] == '-')) {
      negative = bits_text[0] == '-';
      bits_text.remove_prefix(1);
    }
    long bits = 0;
    if (bits_text.empty() || bits_text.size() > 10 ||
        bits_text.find_first_not_of("0123456789") != std::string_view::npos) {
      return refuse_with("Malformed CIDR, mask bits must be an integer");
    }
    for (char c : bits_text) bits = bits * 10 + (c - '0');
    if (bits > 2147483647L + (negative ? 1 : 0)) {
      return refuse_with("Malformed CIDR, mask bits must be an integer");
    }
    if (negative && bits != 0) return refuse_with("Malformed CIDR, mask bits must not be negative");
    auto ip = parse_ip(parts[0]);
    if (!ip) return refuse_with(fmt::format("Nonstandard IP address: {}", parts[0]));
    if (ip->size == 4 && bits > 31) return refuse_with("IPv4 mask bits must be < 32");
    if (ip->size == 16 && bits > 127) return refuse_with("IPv6 mask bits must be < 128");
    value_matcher m;
    m.op = value_op::ip_range;
    m.ip_low = m.ip_high = *ip;
    for (int bit = static_cast<int>(bits); bit < ip->size * 8; ++bit) {
      auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
      m.ip_low.bytes[bit / 8] &= static_cast<std::uint8_t>(~mask);
      m.ip_high.bytes[bit / 8] |= mask;
    }
    return m;
  }

  std::string failed_path_;
};

}  // namespace

result<pattern> pattern::compile(std::string_view json) {
  auto tree = read_json_tree(json);
  if (!tree.ok()) {
    return pattern_error(std::string(invalid_pattern_exception),
                         "Event pattern is not valid. Reason: " + tree.err().message());
  }
  auto model = compiler().run(*tree);
  if (!model.ok()) return model.err();
  return pattern(std::make_shared<const compiled_pattern>(std::move(*model)));
}

std::size_t pattern::branch_count() const { return model_->branches.size(); }

}  // namespace wharf::pattern

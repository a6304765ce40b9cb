// JSON Schema validation: a recursive walk of schema and value together. Errors are
// collected only where they are reported; inside anyOf/oneOf/not/if/contains a branch is
// just tried.
#include "schema/json_validator.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace wharf::schema::json {

namespace bj = boost::json;

namespace {

bool is_integer(const bj::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  // JSON has one number type: 1.0 is an integer too (draft-06 says so, draft-04 validators
  // such as Python's jsonschema agree).
  return v.is_double() && std::isfinite(v.get_double()) &&
         v.get_double() == std::floor(v.get_double());
}

bool has_type(const bj::value& v, std::string_view type) {
  if (type == "null") return v.is_null();
  if (type == "boolean") return v.is_bool();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return is_integer(v);
  return false;
}

// Length in Unicode code points, as JSON Schema counts it.
std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

std::string describe(const bj::value& v) {
  std::string text = serialize(v, false);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

bool is_multiple_of(const bj::value& v, const bj::value& divisor) {
  if ((v.is_int64() || v.is_uint64()) && (divisor.is_int64() || divisor.is_uint64())) {
    if (v.is_int64() && divisor.is_int64()) return v.get_int64() % divisor.get_int64() == 0;
    if (v.is_uint64() && divisor.is_uint64()) return v.get_uint64() % divisor.get_uint64() == 0;
  }
  double x = *as_number(v);
  double d = *as_number(divisor);
  double quotient = x / d;
  if (!std::isfinite(quotient)) return false;
  return quotient == std::floor(quotient);
}

// A text equal for items JSON Schema calls equal (1 and 1.0 alike, keys sorted), so
// duplicates sort next to each other.
void append_equality_key(std::string& out, const bj::value& v) {
  if (auto number = as_number(v)) {
    out += fmt::format("n{}", *number);
    return;
  }
  if (v.is_array()) {
    out += '[';
    for (const auto& item : v.get_array()) {
      append_equality_key(out, item);
      out += ',';
    }
    out += ']';
    return;
  }
  if (v.is_object()) {
    std::vector<const bj::key_value_pair*> members;
    for (const auto& member : v.get_object()) members.push_back(&member);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += '{';
    for (const auto* member : members) {
      out += serialize(bj::value(member->key()), false);
      out += ':';
      append_equality_key(out, member->value());
      out += ',';
    }
    out += '}';
    return;
  }
  out += serialize(v, false);
}

bool all_unique(const bj::array& items) {
  if (items.size() <= 32) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      for (std::size_t j = i + 1; j < items.size(); ++j) {
        if (json_equal(items[i], items[j])) return false;
      }
    }
    return true;
  }
  // Large arrays: sort by key, then confirm candidates with json_equal (two integers
  // beyond 2^53 can share a key without being equal).
  std::vector<std::pair<std::string, std::size_t>> keys;
  keys.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::string key;
    append_equality_key(key, items[i]);
    keys.emplace_back(std::move(key), i);
  }
  std::sort(keys.begin(), keys.end());
  for (std::size_t start = 0; start < keys.size();) {
    std::size_t end = start + 1;
    while (end < keys.size() && keys[end].first == keys[start].first) ++end;
    for (std::size_t i = start; i < end; ++i) {
      for (std::size_t j = i + 1; j < end; ++j) {
        if (json_equal(items[keys[i].second], items[keys[j].second])) return false;
      }
    }
    start = end;
  }
  return true;
}

// What a schema evaluated at one instance location (draft 2019-09's annotations), for
// unevaluatedProperties and unevaluatedItems.
struct annotations {
  std::set<std::string> properties;
  std::set<std::size_t> items;
  std::size_t prefix = 0;  // items [0, prefix) evaluated
  bool all_items = false;

  void merge(const annotations& other) {
    properties.insert(other.properties.begin(), other.properties.end());
    items.insert(other.items.begin(), other.items.end());
    prefix = std::max(prefix, other.prefix);
    all_items = all_items || other.all_items;
  }
};

class validator {
 public:
  validator(const schema& s, std::size_t max_errors) : schema_(s), max_errors_(max_errors) {
    const auto& root = s.root();
    if (root.is_object()) {
      if (const auto* dialect = root.get_object().if_contains("$schema");
          dialect && dialect->is_string()) {
        std::string_view uri = dialect->get_string();
        modern_ = uri.find("2019-09") != std::string_view::npos ||
                  uri.find("2020-12") != std::string_view::npos;
      }
    }
  }

  std::vector<validation_error> errors;

  // Validates `value` at `instance` against `node` at `where`; reports failures into
  // `errors` when `report`, else only answers.
  // `evaluated`, when given, receives what a valid `node` evaluated (2019-09+).
  bool check(const bj::value& node, const bj::value& value, const std::string& instance,
             const std::string& where, bool report, annotations* evaluated = nullptr) {
    if (!node.is_object() && !node.is_bool()) return true;  // parse() lets none through
    if (node.is_bool()) {
      if (!node.get_bool())
        fail(report, instance, where, "no value is allowed here (false schema)");
      return node.get_bool();
    }
    if (++depth_ > 512) {
      --depth_;
      fail(report, instance, where, "schema recursion too deep");
      return false;
    }
    bool ok = check_object(node.get_object(), value, instance, where, report, evaluated);
    --depth_;
    return ok;
  }

 private:
  bool full() const { return errors.size() >= max_errors_; }

  void fail(bool report, const std::string& instance, const std::string& where,
            std::string message) {
    if (report && !full()) errors.push_back({instance, "#" + where, std::move(message)});
  }

  bool check_object(const bj::object& node, const bj::value& value, const std::string& instance,
                    const std::string& where, bool report, annotations* evaluated) {
    bool track = modern_ && (evaluated || node.contains("unevaluatedProperties") ||
                             node.contains("unevaluatedItems"));
    annotations local;
    bool ok = check_keywords(node, value, instance, where, report, track ? &local : nullptr);
    if (track && (ok || (report && !full()))) {
      ok = check_unevaluated(node, value, instance, where, report, local) && ok;
    }
    if (ok && evaluated) evaluated->merge(local);
    return ok;
  }

  // unevaluatedProperties / unevaluatedItems: what no other keyword here (nor a valid
  // in-place subschema) evaluated.
  bool check_unevaluated(const bj::object& node, const bj::value& value,
                         const std::string& instance, const std::string& where, bool report,
                         annotations& local) {
    bool ok = true;
    if (const auto* rest = node.if_contains("unevaluatedProperties"); rest && value.is_object()) {
      for (const auto& member : value.get_object()) {
        std::string name(member.key());
        if (local.properties.count(name)) continue;
        ok = check(*rest, member.value(), pointer_append(instance, name),
                   pointer_append(where, "unevaluatedProperties"), report) &&
             ok;
        local.properties.insert(std::move(name));
        if (!ok && (!report || full())) return false;
      }
    }
    if (const auto* rest = node.if_contains("unevaluatedItems");
        rest && value.is_array() && !local.all_items) {
      const auto& items = value.get_array();
      for (std::size_t i = local.prefix; i < items.size(); ++i) {
        if (local.items.count(i)) continue;
        ok = check(*rest, items[i], pointer_append(instance, std::to_string(i)),
                   pointer_append(where, "unevaluatedItems"), report) &&
             ok;
        if (!ok && (!report || full())) return false;
      }
      local.all_items = true;
    }
    return ok;
  }

  bool check_keywords(const bj::object& node, const bj::value& value, const std::string& instance,
                      const std::string& where, bool report, annotations* evaluated) {
    bool ok = true;
    // Stops early when only an answer is wanted.
    auto done = [&] { return !ok && (!report || full()); };

    if (const auto* ref = node.if_contains("$ref")) {
      (void)ref;
      const bj::value* target = schema_.ref_target(node);
      if (target) {
        // A $ref cycle that comes back to the same value would never end: the second
        // visit adds nothing, so it passes.
        auto key =
            std::make_pair(static_cast<const void*>(target), static_cast<const void*>(&value));
        if (active_.insert(key).second) {
          ok = check(*target, value, instance, pointer_append(where, "$ref"), report, evaluated);
          active_.erase(key);
        }
      }
      // Up to draft-07 the keywords beside $ref are ignored.
      if (!modern_ || done()) return ok;
    }

    if (const auto* type = node.if_contains("type")) {
      bool matches = false;
      if (type->is_string()) {
        matches = has_type(value, type->get_string());
      } else {
        for (const auto& t : type->get_array())
          matches = matches || has_type(value, t.get_string());
      }
      if (!matches) {
        ok = false;
        fail(report, instance, pointer_append(where, "type"),
             fmt::format("{} is not of type {}", describe(value), describe(*type)));
        if (done()) return false;
      }
    }
    if (const auto* allowed = node.if_contains("enum")) {
      bool found = false;
      for (const auto& candidate : allowed->get_array()) {
        if (json_equal(candidate, value)) {
          found = true;
          break;
        }
      }
      if (!found) {
        ok = false;
        fail(report, instance, pointer_append(where, "enum"),
             fmt::format("{} is not one of {}", describe(value), describe(*allowed)));
        if (done()) return false;
      }
    }
    if (const auto* constant = node.if_contains("const");
        constant && !json_equal(*constant, value)) {
      ok = false;
      fail(report, instance, pointer_append(where, "const"),
           fmt::format("{} was expected", describe(*constant)));
      if (done()) return false;
    }

    if (value.is_number()) ok = check_number(node, value, instance, where, report) && ok;
    if (done()) return false;
    if (value.is_string())
      ok = check_string(node, value.get_string(), instance, where, report) && ok;
    if (done()) return false;
    if (value.is_array()) {
      ok = check_array(node, value.get_array(), instance, where, report, evaluated) && ok;
    }
    if (done()) return false;
    if (value.is_object()) {
      ok = check_properties(node, value, instance, where, report, evaluated) && ok;
    }
    if (done()) return false;

    if (const auto* all = node.if_contains("allOf")) {
      const auto& branches = all->get_array();
      for (std::size_t i = 0; i < branches.size() && !done(); ++i) {
        ok = check(branches[i], value, instance,
                   pointer_append(pointer_append(where, "allOf"), std::to_string(i)), report,
                   evaluated) &&
             ok;
      }
      if (done()) return false;
    }
    if (const auto* any = node.if_contains("anyOf")) {
      bool matched = false;
      for (const auto& branch : any->get_array()) {
        // Annotations come from every valid branch, so then all are tried.
        annotations branch_evaluated;
        if (check(branch, value, instance, where, false, evaluated ? &branch_evaluated : nullptr)) {
          matched = true;
          if (!evaluated) break;
          evaluated->merge(branch_evaluated);
        }
      }
      if (!matched) {
        ok = false;
        fail(report, instance, pointer_append(where, "anyOf"),
             fmt::format("{} is not valid under any of the given schemas", describe(value)));
        if (done()) return false;
      }
    }
    if (const auto* one = node.if_contains("oneOf")) {
      int matches = 0;
      annotations matched_evaluated;
      for (const auto& branch : one->get_array()) {
        annotations branch_evaluated;
        if (check(branch, value, instance, where, false, evaluated ? &branch_evaluated : nullptr)) {
          matched_evaluated = std::move(branch_evaluated);
          if (++matches > 1) break;
        }
      }
      if (matches == 1 && evaluated) evaluated->merge(matched_evaluated);
      if (matches != 1) {
        ok = false;
        fail(report, instance, pointer_append(where, "oneOf"),
             matches == 0
                 ? fmt::format("{} is not valid under any of the given schemas", describe(value))
                 : fmt::format("{} is valid under more than one of the given schemas",
                               describe(value)));
        if (done()) return false;
      }
    }
    if (const auto* negated = node.if_contains("not")) {
      if (check(*negated, value, instance, where, false)) {
        ok = false;
        fail(report, instance, pointer_append(where, "not"),
             fmt::format("{} should not be valid under {}", describe(value), describe(*negated)));
        if (done()) return false;
      }
    }
    if (const auto* condition = node.if_contains("if")) {
      annotations condition_evaluated;
      bool holds = check(*condition, value, instance, where, false,
                         evaluated ? &condition_evaluated : nullptr);
      if (holds && evaluated) evaluated->merge(condition_evaluated);
      const auto* branch = node.if_contains(holds ? "then" : "else");
      if (branch) {
        ok = check(*branch, value, instance, pointer_append(where, holds ? "then" : "else"), report,
                   evaluated) &&
             ok;
      }
    }
    return ok;
  }

  bool check_number(const bj::object& node, const bj::value& value, const std::string& instance,
                    const std::string& where, bool report) {
    bool ok = true;
    double x = *as_number(value);
    auto limit = [&](const char* keyword) -> std::optional<double> {
      const auto* v = node.if_contains(keyword);
      return v ? as_number(*v) : std::nullopt;
    };
    auto flag = [&](const char* keyword) {
      const auto* v = node.if_contains(keyword);
      return v && v->is_bool() && v->get_bool();
    };
    if (auto minimum = limit("minimum")) {
      // Draft-04: "exclusiveMinimum": true makes "minimum" exclusive.
      bool exclusive = flag("exclusiveMinimum");
      if (exclusive ? !(x > *minimum) : !(x >= *minimum)) {
        ok = false;
        fail(report, instance, pointer_append(where, "minimum"),
             fmt::format("{} is less than {}the minimum of {}", describe(value),
                         exclusive ? "or equal to " : "", *minimum));
      }
    }
    if (auto maximum = limit("maximum")) {
      bool exclusive = flag("exclusiveMaximum");
      if (exclusive ? !(x < *maximum) : !(x <= *maximum)) {
        ok = false;
        fail(report, instance, pointer_append(where, "maximum"),
             fmt::format("{} is greater than {}the maximum of {}", describe(value),
                         exclusive ? "or equal to " : "", *maximum));
      }
    }
    if (auto minimum = limit("exclusiveMinimum"); minimum && !(x > *minimum)) {
      ok = false;
      fail(report, instance, pointer_append(where, "exclusiveMinimum"),
           fmt::format("{} is less than or equal to the minimum of {}", describe(value), *minimum));
    }
    if (auto maximum = limit("exclusiveMaximum"); maximum && !(x < *maximum)) {
      ok = false;
      fail(report, instance, pointer_append(where, "exclusiveMaximum"),
           fmt::format("{} is greater than or equal to the maximum of {}", describe(value),
                       *maximum));
    }
    if (const auto* divisor = node.if_contains("multipleOf");
        divisor && !is_multiple_of(value, *divisor)) {
      ok = false;
      fail(report, instance, pointer_append(where, "multipleOf"),
           fmt::format("{} is not a multiple of {}", describe(value), describe(*divisor)));
    }
    return ok;
  }

  bool check_string(const bj::object& node, const bj::string& text, const std::string& instance,
                    const std::string& where, bool report) {
    bool ok = true;
    std::size_t length = code_points(text);
    if (const auto* v = node.if_contains("minLength"); v && length < *as_number(*v)) {
      ok = false;
      fail(report, instance, pointer_append(where, "minLength"),
           fmt::format("'{}' is too short", std::string_view(text)));
    }
    if (const auto* v = node.if_contains("maxLength"); v && length > *as_number(*v)) {
      ok = false;
      fail(report, instance, pointer_append(where, "maxLength"),
           fmt::format("'{}' is too long", std::string_view(text)));
    }
    if (const auto* v = node.if_contains("pattern")) {
      const std::wregex* pattern = schema_.compiled(v->get_string());
      if (pattern && !pattern_matches(*pattern, text)) {
        ok = false;
        fail(report, instance, pointer_append(where, "pattern"),
             fmt::format("'{}' does not match '{}'", std::string_view(text),
                         std::string_view(v->get_string())));
      }
    }
    return ok;
  }

  bool check_array(const bj::object& node, const bj::array& items, const std::string& instance,
                   const std::string& where, bool report, annotations* evaluated) {
    bool ok = true;
    auto done = [&] { return !ok && (!report || full()); };
    auto item_at = [&](std::size_t i) { return pointer_append(instance, std::to_string(i)); };
    if (const auto* v = node.if_contains("minItems"); v && items.size() < *as_number(*v)) {
      ok = false;
      fail(report, instance, pointer_append(where, "minItems"), "the array is too short");
    }
    if (const auto* v = node.if_contains("maxItems"); v && items.size() > *as_number(*v)) {
      ok = false;
      fail(report, instance, pointer_append(where, "maxItems"), "the array is too long");
    }
    if (const auto* v = node.if_contains("uniqueItems"); v && v->get_bool()) {
      if (!all_unique(items)) {
        ok = false;
        fail(report, instance, pointer_append(where, "uniqueItems"),
             "the array has non-unique elements");
      }
    }
    if (done()) return false;
    // The tuple form: "items": [...] up to draft 2019-09, "prefixItems" in 2020-12; the
    // rest of the array goes to "additionalItems" or (2020-12) "items".
    const bj::array* tuple = nullptr;
    std::string tuple_where;
    const bj::value* rest = nullptr;
    std::string rest_where;
    const auto* item_schemas = node.if_contains("items");
    if (const auto* prefix = node.if_contains("prefixItems")) {
      tuple = &prefix->get_array();
      tuple_where = pointer_append(where, "prefixItems");
      if (item_schemas && !item_schemas->is_array()) {
        rest = item_schemas;
        rest_where = pointer_append(where, "items");
      }
    } else if (item_schemas && item_schemas->is_array()) {
      tuple = &item_schemas->get_array();
      tuple_where = pointer_append(where, "items");
      rest = node.if_contains("additionalItems");
      rest_where = pointer_append(where, "additionalItems");
    } else if (item_schemas) {
      rest = item_schemas;
      rest_where = pointer_append(where, "items");
    }
    std::size_t first_rest = 0;
    if (tuple) {
      first_rest = std::min(tuple->size(), items.size());
      for (std::size_t i = 0; i < first_rest && !done(); ++i) {
        ok = check((*tuple)[i], items[i], item_at(i),
                   pointer_append(tuple_where, std::to_string(i)), report) &&
             ok;
      }
    }
    if (evaluated) evaluated->prefix = std::max(evaluated->prefix, first_rest);
    if (rest) {
      if (evaluated) evaluated->all_items = true;
      for (std::size_t i = first_rest; i < items.size() && !done(); ++i) {
        ok = check(*rest, items[i], item_at(i), rest_where, report) && ok;
      }
    }
    if (done()) return false;
    if (const auto* contains = node.if_contains("contains")) {
      std::size_t matches = 0;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (check(*contains, items[i], instance, where, false)) {
          ++matches;
          if (evaluated) evaluated->items.insert(i);
        }
      }
      std::size_t min_contains = 1;
      if (const auto* v = node.if_contains("minContains"); v && modern_) {
        min_contains = static_cast<std::size_t>(*as_number(*v));
      }
      const auto* max_contains = modern_ ? node.if_contains("maxContains") : nullptr;
      if (matches < min_contains ||
          (max_contains && static_cast<double>(matches) > *as_number(*max_contains))) {
        ok = false;
        fail(report, instance, pointer_append(where, "contains"),
             "the array does not contain the expected number of matching items");
      }
    }
    return ok;
  }

  bool check_properties(const bj::object& node, const bj::value& value, const std::string& instance,
                        const std::string& where, bool report, annotations* evaluated) {
    const bj::object& object = value.get_object();
    bool ok = true;
    auto done = [&] { return !ok && (!report || full()); };
    if (const auto* v = node.if_contains("minProperties"); v && object.size() < *as_number(*v)) {
      ok = false;
      fail(report, instance, pointer_append(where, "minProperties"),
           "the object does not have enough properties");
    }
    if (const auto* v = node.if_contains("maxProperties"); v && object.size() > *as_number(*v)) {
      ok = false;
      fail(report, instance, pointer_append(where, "maxProperties"),
           "the object has too many properties");
    }
    if (const auto* required = node.if_contains("required")) {
      for (const auto& name : required->get_array()) {
        if (!object.contains(name.get_string())) {
          ok = false;
          fail(report, instance, pointer_append(where, "required"),
               fmt::format("'{}' is a required property", std::string_view(name.get_string())));
        }
      }
    }
    if (done()) return false;
    const auto* properties = node.if_contains("properties");
    const auto* patterns = node.if_contains("patternProperties");
    const auto* additional = node.if_contains("additionalProperties");
    const auto* names = node.if_contains("propertyNames");
    for (const auto& member : object) {
      if (done()) return false;
      std::string at = pointer_append(instance, member.key());
      bool matched = false;
      if (properties) {
        if (const auto* property = properties->get_object().if_contains(member.key())) {
          matched = true;
          ok = check(*property, member.value(), at,
                     pointer_append(pointer_append(where, "properties"), member.key()), report) &&
               ok;
        }
      }
      if (patterns) {
        for (const auto& pattern : patterns->get_object()) {
          const std::wregex* compiled = schema_.compiled(pattern.key());
          if (compiled && pattern_matches(*compiled, member.key())) {
            matched = true;
            ok = check(pattern.value(), member.value(), at,
                       pointer_append(pointer_append(where, "patternProperties"), pattern.key()),
                       report) &&
                 ok;
          }
        }
      }
      if (evaluated && (matched || additional)) evaluated->properties.emplace(member.key());
      if (!matched && additional) {
        if (!check(*additional, member.value(), at, pointer_append(where, "additionalProperties"),
                   false)) {
          ok = false;
          if (additional->is_bool()) {
            fail(report, instance, pointer_append(where, "additionalProperties"),
                 fmt::format("additional property '{}' is not allowed",
                             std::string_view(member.key())));
          } else {
            check(*additional, member.value(), at, pointer_append(where, "additionalProperties"),
                  report);
          }
        }
      }
      if (names) {
        bj::value name(member.key());
        if (!check(*names, name, instance, pointer_append(where, "propertyNames"), false)) {
          ok = false;
          fail(report, instance, pointer_append(where, "propertyNames"),
               fmt::format("property name '{}' does not match the propertyNames schema",
                           std::string_view(member.key())));
        }
      }
    }
    // dependencies (draft-04..07) holds both forms; 2019-09 split it in two.
    auto check_required_names = [&](const bj::array& needed, std::string_view trigger,
                                    const std::string& at) {
      for (const auto& name : needed) {
        if (!object.contains(name.get_string())) {
          ok = false;
          fail(report, instance, at,
               fmt::format("'{}' is a dependency of '{}'", std::string_view(name.get_string()),
                           trigger));
        }
      }
    };
    if (const auto* dependencies = node.if_contains("dependencies")) {
      for (const auto& dependency : dependencies->get_object()) {
        if (!object.contains(dependency.key()) || done()) continue;
        std::string at = pointer_append(pointer_append(where, "dependencies"), dependency.key());
        if (dependency.value().is_array()) {
          check_required_names(dependency.value().get_array(), dependency.key(), at);
        } else {
          ok = check(dependency.value(), value, instance, at, report, evaluated) && ok;
        }
      }
    }
    if (const auto* dependencies = node.if_contains("dependentRequired")) {
      for (const auto& dependency : dependencies->get_object()) {
        if (!object.contains(dependency.key())) continue;
        check_required_names(
            dependency.value().get_array(), dependency.key(),
            pointer_append(pointer_append(where, "dependentRequired"), dependency.key()));
      }
    }
    if (const auto* dependencies = node.if_contains("dependentSchemas")) {
      for (const auto& dependency : dependencies->get_object()) {
        if (!object.contains(dependency.key()) || done()) continue;
        ok = check(dependency.value(), value, instance,
                   pointer_append(pointer_append(where, "dependentSchemas"), dependency.key()),
                   report, evaluated) &&
             ok;
      }
    }
    return ok;
  }

  const schema& schema_;
  std::size_t max_errors_;
  bool modern_ = false;
  int depth_ = 0;
  std::set<std::pair<const void*, const void*>> active_;
};

}  // namespace

std::vector<validation_error> validate(const schema& s, const bj::value& value,
                                       std::size_t max_errors) {
  validator v(s, max_errors == 0 ? 1 : max_errors);
  v.check(s.root(), value, "", "", true);
  return std::move(v.errors);
}

bool is_valid(const schema& s, const bj::value& value) {
  validator v(s, 1);
  return v.check(s.root(), value, "", "", false);
}

}  // namespace wharf::schema::json

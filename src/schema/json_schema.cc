// JSON Schema parsing: keyword type checks, `$id`/`$anchor` scopes, `$ref` resolution
// and the canonical / normalized serializations.
#include "schema/json_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <pthread.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::schema::json {

namespace bj = boost::json;

std::string pointer_append(std::string_view pointer, std::string_view token) {
  std::string out(pointer);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<double> as_number(const bj::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

bool json_equal(const bj::value& a, const bj::value& b) {
  auto na = as_number(a);
  auto nb = as_number(b);
  if (na || nb) {
    if (!na || !nb) return false;
    // Two integers compare exactly (doubles lose precision above 2^53).
    if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
    if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
    return *na == *nb;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case bj::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!json_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case bj::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& member : x) {
        const auto* other = y.if_contains(member.key());
        if (!other || !json_equal(member.value(), *other)) return false;
      }
      return true;
    }
    default: return a == b;
  }
}

namespace {

// Doubles the way Java's Double.toString (hence Jackson) prints them: "1.0", "0.5",
// "1.0E20", "1.0E-5".
void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  double magnitude = std::fabs(d);
  if (magnitude == 0 || (magnitude >= 1e-3 && magnitude < 1e7)) {
    if (d == std::floor(d)) {
      out +=
          fmt::format("{}{}.0", std::signbit(d) && d == 0 ? "-" : "", static_cast<std::int64_t>(d));
    } else {
      out += fmt::format("{}", d);
    }
    return;
  }
  // Scientific: the shortest digits that read back the same, in Java's form ("E", no
  // "+", no leading zeros in the exponent).
  char buffer[64];
  auto written = std::to_chars(buffer, buffer + sizeof buffer, d, std::chars_format::scientific);
  std::string text(buffer, written.ptr);
  auto e = text.find('e');
  std::string mantissa = text.substr(0, e);
  int exponent = std::stoi(text.substr(e + 1));
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  out += fmt::format("{}E{}", mantissa, exponent);
}

void append_json(std::string& out, const bj::value& v, bool sort_keys) {
  switch (v.kind()) {
    case bj::kind::object: {
      const auto& object = v.get_object();
      std::vector<const bj::key_value_pair*> members;
      members.reserve(object.size());
      for (const auto& member : object) members.push_back(&member);
      if (sort_keys) {
        std::stable_sort(members.begin(), members.end(),
                         [](const auto* a, const auto* b) { return a->key() < b->key(); });
      }
      out += '{';
      bool first = true;
      for (const auto* member : members) {
        if (!first) out += ',';
        first = false;
        out += bj::serialize(bj::string_view(member->key()));
        out += ':';
        append_json(out, member->value(), sort_keys);
      }
      out += '}';
      return;
    }
    case bj::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, item, sort_keys);
      }
      out += ']';
      return;
    }
    case bj::kind::double_: append_double(out, v.get_double()); return;
    default: out += bj::serialize(v);
  }
}

bool has_scheme(std::string_view uri) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    char c = uri[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string without_fragment(std::string_view uri) {
  return std::string(uri.substr(0, uri.find('#')));
}

std::string fragment_of(std::string_view uri) {
  auto hash = uri.find('#');
  return hash == std::string_view::npos ? std::string() : std::string(uri.substr(hash + 1));
}

// RFC 3986 reference resolution, enough for schema ids (no dot-segment removal).
std::string resolve_uri(std::string_view base, std::string_view ref) {
  if (ref.empty()) return without_fragment(base);
  if (has_scheme(ref)) return std::string(ref);
  std::string base_doc = without_fragment(base);
  if (ref.front() == '#') return base_doc + std::string(ref);
  if (ref.starts_with("//")) {
    auto colon = base_doc.find(':');
    return (colon == std::string::npos ? std::string() : base_doc.substr(0, colon + 1)) +
           std::string(ref);
  }
  if (ref.front() == '/') {
    auto authority = base_doc.find("://");
    if (authority == std::string::npos) return std::string(ref);
    auto path = base_doc.find('/', authority + 3);
    return base_doc.substr(0, path) + std::string(ref);
  }
  auto slash = base_doc.rfind('/');
  return (slash == std::string::npos ? std::string() : base_doc.substr(0, slash + 1)) +
         std::string(ref);
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Follows a JSON pointer ("/definitions/a~1b/0") from `from`.
const bj::value* follow_pointer(const bj::value& from, std::string_view pointer) {
  const bj::value* at = &from;
  std::string decoded = percent_decode(pointer);
  std::string_view rest = decoded;
  while (!rest.empty()) {
    if (rest.front() != '/') return nullptr;
    rest.remove_prefix(1);
    auto end = rest.find('/');
    std::string token(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    std::string unescaped;
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        unescaped += token[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        unescaped += token[i];
      }
    }
    if (at->is_object()) {
      at = at->get_object().if_contains(unescaped);
    } else if (at->is_array()) {
      if (unescaped.empty() || unescaped.size() > 9 ||
          !std::all_of(unescaped.begin(), unescaped.end(), ::isdigit)) {
        return nullptr;
      }
      auto index = std::stoul(unescaped);
      at = index < at->get_array().size() ? &at->get_array()[index] : nullptr;
    } else {
      return nullptr;
    }
    if (!at) return nullptr;
  }
  return at;
}

// std::regex copies a repeated atom once per count, and libstdc++ 12 overflows (undefined
// behaviour) reading a count or a back-reference number beyond a long: counts are capped
// before compiling, each and multiplied together (nesting is not tracked, so the product
// overestimates), and back-reference numbers at four digits.
std::optional<std::string> check_repetition_counts(std::string_view pattern) {
  constexpr std::uint64_t max_count = 10000;
  constexpr std::uint64_t max_product = 100000;
  std::uint64_t product = 1;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      // A back-reference's number overflows the same way (\77777777777777777777).
      std::size_t digits = 0;
      while (i + 1 + digits < pattern.size() && pattern[i + 1 + digits] >= '0' &&
             pattern[i + 1 + digits] <= '9') {
        ++digits;
      }
      if (digits > 4) return std::string("a back-reference number is over 9999");
      ++i;
    } else if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '{') {
      std::size_t j = i + 1;
      std::uint64_t largest = 0;
      bool digits = false;
      std::uint64_t current = 0;
      for (; j < pattern.size(); ++j) {
        char d = pattern[j];
        if (d >= '0' && d <= '9') {
          digits = true;
          current = std::min<std::uint64_t>(current * 10 + static_cast<std::uint64_t>(d - '0'),
                                            max_count + 1);
        } else if (d == ',') {
          largest = std::max(largest, current);
          current = 0;
        } else {
          break;
        }
      }
      largest = std::max(largest, current);
      // Checked even without a closing brace: libstdc++ reads the digits first.
      if (largest > max_count) return fmt::format("a repetition count is over {}", max_count);
      if (!digits || j >= pattern.size() || pattern[j] != '}') continue;
      product = std::min(product * std::max<std::uint64_t>(largest, 1), max_product + 1);
      if (product > max_product) {
        return fmt::format("its repetition counts multiply to over {}", max_product);
      }
      i = j;
    }
  }
  return std::nullopt;
}

bool is_schema_json(const bj::value& v) { return v.is_object() || v.is_bool(); }

bool is_non_negative_integer(const bj::value& v) {
  if (v.is_int64()) return v.get_int64() >= 0;
  if (v.is_uint64()) return true;
  if (v.is_double()) return v.get_double() >= 0 && v.get_double() == std::floor(v.get_double());
  return false;
}

const std::set<std::string_view>& type_names() {
  static const std::set<std::string_view> names = {"null",   "boolean", "object", "array",
                                                   "number", "string",  "integer"};
  return names;
}

// Keywords whose value is one subschema.
constexpr std::string_view single_schema_keywords[] = {"additionalItems",
                                                       "additionalProperties",
                                                       "contains",
                                                       "not",
                                                       "if",
                                                       "then",
                                                       "else",
                                                       "propertyNames",
                                                       "unevaluatedItems",
                                                       "unevaluatedProperties",
                                                       "contentSchema"};
// Keywords whose value is a non-empty array of subschemas.
constexpr std::string_view schema_array_keywords[] = {"allOf", "anyOf", "oneOf", "prefixItems"};
// Keywords whose value maps names to subschemas.
constexpr std::string_view schema_map_keywords[] = {"properties", "patternProperties",
                                                    "definitions", "$defs", "dependentSchemas"};
constexpr std::string_view non_negative_integer_keywords[] = {
    "minLength",     "maxLength",     "minItems",    "maxItems",
    "minProperties", "maxProperties", "minContains", "maxContains"};
constexpr std::string_view string_keywords[] = {
    "$schema", "$ref",        "$anchor", "$dynamicRef",      "$dynamicAnchor",  "$comment",
    "title",   "description", "format",  "contentMediaType", "contentEncoding", "pattern"};

}  // namespace

std::wstring to_utf32(std::string_view utf8) {
  std::wstring out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    auto byte = static_cast<unsigned char>(utf8[i]);
    int extra = byte < 0x80 ? 0 : byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : -1;
    bool truncated = extra > 0 && i + static_cast<std::size_t>(extra) >= utf8.size();
    if (extra < 0 || truncated) {
      // A stray continuation byte or a truncated sequence.
      out += static_cast<wchar_t>(0xFFFD);
      ++i;
      continue;
    }
    std::uint32_t code = extra == 0 ? byte : byte & (0x3F >> extra);
    bool valid = true;
    for (int k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(utf8[i + static_cast<std::size_t>(k)]);
      if ((next & 0xC0) != 0x80) valid = false;
      code = (code << 6) | (next & 0x3F);
    }
    if (!valid) {
      out += static_cast<wchar_t>(0xFFFD);
      ++i;
      continue;
    }
    out += static_cast<wchar_t>(code);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

namespace {

bool search(const std::wregex& pattern, const std::wstring& subject) {
  try {
    return std::regex_search(subject, pattern);
  } catch (const std::exception&) {
    return false;
  }
}

struct search_job {
  const std::wregex* pattern;
  const std::wstring* subject;
  bool matched = false;
};

void* run_search(void* arg) {
  auto* job = static_cast<search_job*>(arg);
  job->matched = search(*job->pattern, *job->subject);
  return nullptr;
}

}  // namespace

bool pattern_matches(const std::wregex& pattern, std::string_view text) {
  std::wstring subject = to_utf32(text);
  // libstdc++'s std::regex recurses about once per character matched: ~20,000 characters
  // exhaust an 8 MiB thread stack. Long subjects run on a thread of their own with a deep
  // (lazily committed) stack; beyond the cap they count as not matching.
  constexpr std::size_t inline_limit = 1000;
  constexpr std::size_t hard_limit = 100000;
  constexpr std::size_t deep_stack = std::size_t{512} << 20;
  if (subject.size() <= inline_limit) return search(pattern, subject);
  if (subject.size() > hard_limit) return false;
  search_job job{&pattern, &subject};
  pthread_attr_t attributes;
  if (pthread_attr_init(&attributes) != 0) return false;
  pthread_t thread;
  bool started = pthread_attr_setstacksize(&attributes, deep_stack) == 0 &&
                 pthread_create(&thread, &attributes, run_search, &job) == 0;
  pthread_attr_destroy(&attributes);
  if (!started) return false;
  pthread_join(thread, nullptr);
  return job.matched;
}

std::string serialize(const bj::value& value, bool sort_keys) {
  std::string out;
  append_json(out, value, sort_keys);
  return out;
}

class schema_loader {
 public:
  explicit schema_loader(schema& target) : target_(target) {}

  // Registers the ids, anchors, refs and patterns of one document, checking keywords.
  status scan_document(const bj::value& root, const std::string& base) {
    resources_.emplace(without_fragment(base), &root);
    return scan(root, "", base, 0);
  }

  status resolve_all() {
    // Index loop: checking a target found in no schema position may add refs.
    for (std::size_t i = 0; i < pending_refs_.size(); ++i) {
      pending_ref pending = pending_refs_[i];
      const bj::value* target = resolve(pending.base, pending.ref);
      if (!target) {
        return make_error(errc::invalid_argument, "$ref at '#{}' does not resolve: '{}'",
                          pending.pointer, pending.ref);
      }
      if (!scanned_.count(target)) {
        // A pointer into JSON no keyword marks as a schema ("#/properties", "#/x-data"):
        // it must hold a schema too, checked like the others.
        auto status =
            scan(*target, pending.ref, without_fragment(resolve_uri(pending.base, pending.ref)), 0);
        if (!status.ok()) {
          return status.err().with_context(
              fmt::format("$ref at '#{}' to '{}'", pending.pointer, pending.ref));
        }
      }
      target_.refs_[pending.holder] = target;
    }
    return {};
  }

 private:
  struct pending_ref {
    const bj::object* holder;
    std::string ref;
    std::string base;
    std::string pointer;
  };

  const bj::value* resolve(const std::string& base, const std::string& ref) const {
    std::string absolute = resolve_uri(base, ref);
    std::string document = without_fragment(absolute);
    std::string fragment = fragment_of(absolute);
    const bj::value* root = nullptr;
    if (auto it = resources_.find(document); it != resources_.end()) {
      root = it->second;
    } else if (auto raw = resources_.find(without_fragment(ref)); raw != resources_.end()) {
      // A reference registered under a bare name ("customer.json") used from a document
      // whose own $id is a URL.
      root = raw->second;
      document = raw->first;
    }
    if (!root) return nullptr;
    if (fragment.empty()) return root;
    if (fragment.front() == '/') return follow_pointer(*root, fragment);
    if (auto it = anchors_.find(document + "#" + fragment); it != anchors_.end()) {
      return it->second;
    }
    return nullptr;
  }

  static error keyword_error(std::string_view pointer, std::string_view keyword,
                             std::string_view expected) {
    return make_error(errc::invalid_argument, "keyword '{}' at '#{}' must be {}", keyword, pointer,
                      expected);
  }

  status scan_map(const bj::object& object, std::string_view keyword, const std::string& pointer,
                  const std::string& base, int depth) {
    const auto* value = object.if_contains(keyword);
    if (!value) return {};
    if (!value->is_object()) return keyword_error(pointer, keyword, "an object");
    std::string here = pointer_append(pointer, keyword);
    for (const auto& member : value->get_object()) {
      if (keyword == "patternProperties") WHARF_RETURN_IF_ERROR(compile(member.key(), here));
      if (!is_schema_json(member.value())) {
        return keyword_error(pointer_append(here, member.key()), keyword,
                             "an object whose values are schemas (objects or booleans)");
      }
      WHARF_RETURN_IF_ERROR(
          scan(member.value(), pointer_append(here, member.key()), base, depth + 1));
    }
    return {};
  }

  status compile(std::string_view pattern, const std::string& pointer) {
    if (target_.patterns_.find(pattern) != target_.patterns_.end()) return {};
    if (auto problem = check_repetition_counts(pattern)) {
      return make_error(errc::invalid_argument, "regular expression '{}' at '#{}' refused: {}",
                        pattern, pointer, *problem);
    }
    // std::regex throws on a bad pattern; the exception stays inside this function.
    try {
      target_.patterns_.emplace(std::string(pattern),
                                std::wregex(to_utf32(pattern), std::regex::ECMAScript));
    } catch (const std::regex_error& e) {
      return make_error(errc::invalid_argument, "invalid regular expression '{}' at '#{}': {}",
                        pattern, pointer, e.what());
    }
    return {};
  }

  status scan(const bj::value& value, const std::string& pointer, std::string base, int depth) {
    if (depth > 200) return make_error(errc::invalid_argument, "schema nested too deeply");
    if (!scanned_.insert(&value).second) return {};
    if (value.is_bool()) return {};
    if (!value.is_object()) {
      return make_error(errc::invalid_argument,
                        "schema at '#{}' must be a JSON object or a boolean", pointer);
    }
    const auto& object = value.get_object();
    for (auto keyword : string_keywords) {
      const auto* v = object.if_contains(keyword);
      if (v && !v->is_string()) return keyword_error(pointer, keyword, "a string");
    }
    // $id (draft-06+) or id (draft-04) changes the base URI; "#name" ids are anchors.
    const bj::value* id = object.if_contains("$id");
    if (!id) {
      id = object.if_contains("id");
      if (id && !id->is_string()) id = nullptr;
    }
    if (id) {
      if (!id->is_string()) return keyword_error(pointer, "$id", "a string");
      std::string_view text = id->get_string();
      if (!text.empty() && text.front() == '#') {
        anchors_.emplace(without_fragment(base) + std::string(text), &value);
      } else {
        base = resolve_uri(base, text);
        resources_.emplace(without_fragment(base), &value);
      }
    }
    if (const auto* anchor = object.if_contains("$anchor")) {
      anchors_.emplace(without_fragment(base) + "#" + std::string(anchor->get_string()), &value);
    }
    if (const auto* dynamic = object.if_contains("$dynamicAnchor")) {
      anchors_.emplace(without_fragment(base) + "#" + std::string(dynamic->get_string()), &value);
    }
    if (const auto* ref = object.if_contains("$ref")) {
      pending_refs_.push_back({&object, std::string(ref->get_string()), base, pointer});
    }
    if (const auto* type = object.if_contains("type")) {
      auto valid_name = [](const bj::value& v) {
        return v.is_string() && type_names().count(std::string_view(v.get_string())) > 0;
      };
      bool ok = valid_name(*type);
      if (type->is_array()) {
        ok = !type->get_array().empty();
        std::set<std::string_view> seen;
        for (const auto& t : type->get_array()) {
          if (!valid_name(t) || !seen.insert(std::string_view(t.get_string())).second) ok = false;
        }
      }
      if (!ok) {
        return keyword_error(pointer, "type",
                             "a type name (null, boolean, object, array, number, string, "
                             "integer) or an array of distinct type names");
      }
    }
    for (auto keyword : non_negative_integer_keywords) {
      const auto* v = object.if_contains(keyword);
      if (v && !is_non_negative_integer(*v)) {
        return keyword_error(pointer, keyword, "a non-negative integer");
      }
    }
    for (auto keyword : {"minimum", "maximum"}) {
      const auto* v = object.if_contains(keyword);
      if (v && !as_number(*v)) return keyword_error(pointer, keyword, "a number");
    }
    for (auto keyword : {"exclusiveMinimum", "exclusiveMaximum"}) {
      const auto* v = object.if_contains(keyword);
      if (v && !as_number(*v) && !v->is_bool()) {
        return keyword_error(pointer, keyword, "a number (or a boolean in draft-04)");
      }
    }
    if (const auto* v = object.if_contains("multipleOf")) {
      auto n = as_number(*v);
      if (!n || !(*n > 0)) return keyword_error(pointer, "multipleOf", "a number above 0");
    }
    for (auto keyword : {"uniqueItems", "readOnly", "writeOnly", "deprecated"}) {
      const auto* v = object.if_contains(keyword);
      if (v && !v->is_bool()) return keyword_error(pointer, keyword, "a boolean");
    }
    if (const auto* v = object.if_contains("pattern")) {
      WHARF_RETURN_IF_ERROR(compile(v->get_string(), pointer_append(pointer, "pattern")));
    }
    if (const auto* v = object.if_contains("enum"); v && !v->is_array()) {
      return keyword_error(pointer, "enum", "an array");
    }
    if (const auto* v = object.if_contains("required")) {
      bool ok = v->is_array();
      if (ok) {
        for (const auto& name : v->get_array()) ok = ok && name.is_string();
      }
      if (!ok) return keyword_error(pointer, "required", "an array of strings");
    }
    for (auto keyword : single_schema_keywords) {
      const auto* v = object.if_contains(keyword);
      if (!v) continue;
      if (!is_schema_json(*v)) {
        return keyword_error(pointer, keyword, "a schema (an object or a boolean)");
      }
      WHARF_RETURN_IF_ERROR(scan(*v, pointer_append(pointer, keyword), base, depth + 1));
    }
    for (auto keyword : schema_array_keywords) {
      const auto* v = object.if_contains(keyword);
      if (!v) continue;
      if (!v->is_array() || v->get_array().empty()) {
        return keyword_error(pointer, keyword, "a non-empty array of schemas");
      }
      std::string here = pointer_append(pointer, keyword);
      for (std::size_t i = 0; i < v->get_array().size(); ++i) {
        const auto& item = v->get_array()[i];
        if (!is_schema_json(item)) {
          return keyword_error(pointer, keyword, "a non-empty array of schemas");
        }
        WHARF_RETURN_IF_ERROR(scan(item, pointer_append(here, std::to_string(i)), base, depth + 1));
      }
    }
    if (const auto* v = object.if_contains("items")) {
      std::string here = pointer_append(pointer, "items");
      if (v->is_array()) {
        for (std::size_t i = 0; i < v->get_array().size(); ++i) {
          const auto& item = v->get_array()[i];
          if (!is_schema_json(item)) {
            return keyword_error(pointer, "items", "a schema or an array of schemas");
          }
          WHARF_RETURN_IF_ERROR(
              scan(item, pointer_append(here, std::to_string(i)), base, depth + 1));
        }
      } else if (is_schema_json(*v)) {
        WHARF_RETURN_IF_ERROR(scan(*v, here, base, depth + 1));
      } else {
        return keyword_error(pointer, "items", "a schema or an array of schemas");
      }
    }
    for (auto keyword : schema_map_keywords) {
      WHARF_RETURN_IF_ERROR(scan_map(object, keyword, pointer, base, depth));
    }
    if (const auto* v = object.if_contains("dependencies")) {
      if (!v->is_object()) return keyword_error(pointer, "dependencies", "an object");
      std::string here = pointer_append(pointer, "dependencies");
      for (const auto& member : v->get_object()) {
        const auto& dependency = member.value();
        if (dependency.is_array()) {
          for (const auto& name : dependency.get_array()) {
            if (!name.is_string()) {
              return keyword_error(pointer_append(here, member.key()), "dependencies",
                                   "a schema or an array of strings");
            }
          }
        } else if (is_schema_json(dependency)) {
          WHARF_RETURN_IF_ERROR(
              scan(dependency, pointer_append(here, member.key()), base, depth + 1));
        } else {
          return keyword_error(pointer_append(here, member.key()), "dependencies",
                               "a schema or an array of strings");
        }
      }
    }
    if (const auto* v = object.if_contains("dependentRequired")) {
      bool ok = v->is_object();
      if (ok) {
        for (const auto& member : v->get_object()) {
          ok = ok && member.value().is_array();
          if (!ok) break;
          for (const auto& name : member.value().get_array()) ok = ok && name.is_string();
        }
      }
      if (!ok) {
        return keyword_error(pointer, "dependentRequired",
                             "an object whose values are arrays of strings");
      }
    }
    return {};
  }

  schema& target_;
  std::map<std::string, const bj::value*> resources_;
  std::map<std::string, const bj::value*> anchors_;
  std::vector<pending_ref> pending_refs_;
  std::set<const bj::value*> scanned_;
};

result<schema_ptr> schema::parse(std::string_view text, const std::vector<reference>& references) {
  std::shared_ptr<schema> parsed(new schema());
  auto read = [](std::string_view json, std::string_view what) -> result<bj::value> {
    bj::parse_options options;
    options.max_depth = 256;
    boost::system::error_code ec;
    auto value = bj::parse(json, ec, {}, options);
    if (ec) return make_error(errc::parse_error, "{} is not valid JSON: {}", what, ec.message());
    if (!is_schema_json(value)) {
      return make_error(errc::invalid_argument, "{} must be a JSON object or a boolean", what);
    }
    return value;
  };
  WHARF_ASSIGN_OR_RETURN(auto root, read(text, "schema"));
  parsed->documents_.push_back(std::make_unique<bj::value>(std::move(root)));
  for (const auto& ref : references) {
    WHARF_ASSIGN_OR_RETURN(auto value, read(ref.text, fmt::format("reference '{}'", ref.name)));
    parsed->documents_.push_back(std::make_unique<bj::value>(std::move(value)));
  }
  schema_loader loader(*parsed);
  // The schema's own base URI is its $id if it has one, else empty; references are known
  // by their name (and their own $id, registered by the scan).
  WHARF_RETURN_IF_ERROR(loader.scan_document(*parsed->documents_[0], ""));
  for (std::size_t i = 0; i < references.size(); ++i) {
    const auto& document = *parsed->documents_[i + 1];
    auto status = loader.scan_document(document, references[i].name);
    if (!status.ok()) {
      return status.err().with_context(fmt::format("reference '{}'", references[i].name));
    }
  }
  WHARF_RETURN_IF_ERROR(loader.resolve_all());
  return schema_ptr(std::move(parsed));
}

const bj::value* schema::ref_target(const bj::object& holder) const {
  auto it = refs_.find(&holder);
  return it == refs_.end() ? nullptr : it->second;
}

const std::wregex* schema::compiled(std::string_view pattern) const {
  auto it = patterns_.find(pattern);
  return it == patterns_.end() ? nullptr : &it->second;
}

std::string schema::canonical_string() const { return serialize(root(), false); }

std::string schema::normalized_string() const { return serialize(root(), true); }

}  // namespace wharf::schema::json

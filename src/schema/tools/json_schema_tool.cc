// Reads JSON lines from stdin and prints one verdict line per input line, for the
// integration tests that compare Wharf's JSON Schema support with Python's jsonschema and
// with Confluent's documented compatibility rules. A schema is given as JSON or as a
// string holding its text; "references" is a list of {"name", "schema"}.
//   validate:  {"schema": S, "instance": V[, "references": [...]]}
//              -> VALID | INVALID <instance pointer>[ <instance pointer>...] | ERROR <message>
//   compat:    {"old": S, "new": S, "level": "BACKWARD"|"FORWARD"|"FULL"[, "lenient": true]}
//              -> COMPATIBLE | INCOMPATIBLE <TYPE>[,<TYPE>...] | ERROR <message>
//   diff:      {"original": S, "update": S} -> every difference, "<TYPE> <path>" joined by "; "
//   messages:  like compat, BACKWARD/FORWARD only -> Confluent's messages joined by " | "
//   normalize: S -> the normalized (sorted keys) text | ERROR <message>
//   canonical: S -> the canonical (compact) text | ERROR <message>
#include <iostream>
#include <set>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "schema/json_compatibility.h"
#include "schema/json_schema.h"
#include "schema/json_validator.h"

namespace js = wharf::schema::json;
namespace bj = boost::json;

namespace {

wharf::result<js::schema_ptr> schema_from(const bj::value& given, const bj::value* references) {
  std::vector<js::reference> refs;
  if (references && references->is_array()) {
    for (const auto& r : references->get_array()) {
      if (!r.is_object()) continue;
      const auto* name = r.get_object().if_contains("name");
      const auto* text = r.get_object().if_contains("schema");
      if (!name || !name->is_string() || !text) continue;
      refs.push_back({std::string(name->get_string()),
                      text->is_string() ? std::string(text->get_string()) : bj::serialize(*text)});
    }
  }
  std::string text = given.is_string() ? std::string(given.get_string()) : bj::serialize(given);
  return js::schema::parse(text, refs);
}

wharf::result<bj::object> read_object(const std::string& line) {
  boost::system::error_code ec;
  bj::parse_options options;
  options.max_depth = 256;
  auto value = bj::parse(line, ec, {}, options);
  if (ec || !value.is_object()) {
    return wharf::make_error(wharf::errc::parse_error, "not a JSON object");
  }
  return std::move(value.get_object());
}

std::string validate_line(const std::string& line) {
  auto input = read_object(line);
  if (!input.ok()) return "ERROR " + input.err().message();
  const auto* schema_json = input->if_contains("schema");
  const auto* instance = input->if_contains("instance");
  if (!schema_json || !instance) return "ERROR needs schema and instance";
  auto parsed = schema_from(*schema_json, input->if_contains("references"));
  if (!parsed.ok()) return "ERROR " + parsed.err().message();
  auto errors = js::validate(**parsed, *instance);
  bool valid = js::is_valid(**parsed, *instance);
  if (valid != errors.empty()) return "ERROR validate and is_valid disagree";
  if (errors.empty()) return "VALID";
  std::string out = "INVALID";
  for (const auto& e : errors) out += " " + (e.instance_pointer.empty() ? "/" : e.instance_pointer);
  return out;
}

std::string join_types(const std::vector<js::difference>& differences,
                       js::compatibility_policy policy) {
  std::set<std::string> types;
  for (const auto& d : differences) {
    if (js::incompatible(d, policy)) types.emplace(js::to_string(d.type));
  }
  if (types.empty()) return "COMPATIBLE";
  std::string out = "INCOMPATIBLE ";
  bool first = true;
  for (const auto& t : types) {
    if (!first) out += ',';
    out += t;
    first = false;
  }
  return out;
}

std::string compat_line(const std::string& line, bool messages) {
  auto input = read_object(line);
  if (!input.ok()) return "ERROR " + input.err().message();
  const auto* old_json = input->if_contains("old");
  const auto* new_json = input->if_contains("new");
  const auto* level_json = input->if_contains("level");
  if (!old_json || !new_json) return "ERROR needs old and new";
  std::string level =
      level_json && level_json->is_string() ? std::string(level_json->get_string()) : "BACKWARD";
  const auto* lenient = input->if_contains("lenient");
  auto policy = lenient && lenient->is_bool() && lenient->get_bool()
                    ? js::compatibility_policy::lenient
                    : js::compatibility_policy::strict;
  auto old_schema = schema_from(*old_json, input->if_contains("references"));
  if (!old_schema.ok()) return "ERROR old: " + old_schema.err().message();
  auto new_schema = schema_from(*new_json, input->if_contains("references"));
  if (!new_schema.ok()) return "ERROR new: " + new_schema.err().message();
  if (messages) {
    bool backward = level != "FORWARD";
    auto list =
        backward ? js::incompatibility_messages(**old_schema, **new_schema, "new", "old", policy)
                 : js::incompatibility_messages(**new_schema, **old_schema, "old", "new", policy);
    std::string out;
    for (const auto& m : list) out += (out.empty() ? "" : " | ") + m;
    return out.empty() ? "COMPATIBLE" : out;
  }
  std::vector<js::difference> differences;
  if (level == "BACKWARD" || level == "FULL") {
    auto more = js::check(**old_schema, **new_schema, policy);
    differences.insert(differences.end(), more.begin(), more.end());
  }
  if (level == "FORWARD" || level == "FULL") {
    auto more = js::check(**new_schema, **old_schema, policy);
    differences.insert(differences.end(), more.begin(), more.end());
  }
  return join_types(differences, policy);
}

std::string diff_line(const std::string& line) {
  auto input = read_object(line);
  if (!input.ok()) return "ERROR " + input.err().message();
  const auto* original = input->if_contains("original");
  const auto* update = input->if_contains("update");
  if (!original || !update) return "ERROR needs original and update";
  auto a = schema_from(*original, input->if_contains("references"));
  if (!a.ok()) return "ERROR original: " + a.err().message();
  auto b = schema_from(*update, input->if_contains("references"));
  if (!b.ok()) return "ERROR update: " + b.err().message();
  std::string out;
  for (const auto& d : js::check(**a, **b)) {
    if (!out.empty()) out += "; ";
    out += std::string(js::to_string(d.type)) + " " + d.path;
  }
  return out;
}

std::string text_line(const std::string& line, bool normalized) {
  auto parsed = js::schema::parse(line);
  if (!parsed.ok()) return "ERROR " + parsed.err().message();
  return normalized ? (*parsed)->normalized_string() : (*parsed)->canonical_string();
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "validate" && mode != "compat" && mode != "diff" && mode != "messages" &&
      mode != "normalize" && mode != "canonical") {
    std::cerr << "usage: json_schema_tool validate|compat|diff|messages|normalize|canonical"
                 " < lines\n";
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (mode == "validate") {
      std::cout << validate_line(line) << '\n';
    } else if (mode == "compat") {
      std::cout << compat_line(line, false) << '\n';
    } else if (mode == "messages") {
      std::cout << compat_line(line, true) << '\n';
    } else if (mode == "diff") {
      std::cout << diff_line(line) << '\n';
    } else {
      std::cout << text_line(line, mode == "normalize") << '\n';
    }
  }
  return 0;
}

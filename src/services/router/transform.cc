// EventBridge's envelope, JSON paths and input transformer (see transform.h).
#include "services/router/transform.h"

#include <ctime>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/utf8.h"
#include "base/uuid.h"

namespace wharf::router {

namespace bj = boost::json;

namespace {

bool is_name_char(char c) {
  return c != '.' && c != '[' && c != ']' && c != '\'' && c != '"' &&
         static_cast<unsigned char>(c) > ' ';
}

// JSON-escapes text for use between quotes.
std::string escape(std::string_view text) {
  auto quoted = bj::serialize(bj::string_view(text.data(), text.size()));
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace

result<json_path> json_path::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(errc::invalid_argument, "invalid JSON path {}: {}", text, why);
  };
  if (text.empty() || text.front() != '$') return bad("a path starts with $");
  json_path path;
  path.text_ = std::string(text);
  std::size_t i = 1;
  while (i < text.size()) {
    step s;
    if (text[i] == '.') {
      ++i;
      if (i < text.size() && text[i] == '*') {
        s.what = step::wildcard;
        ++i;
      } else {
        auto start = i;
        while (i < text.size() && is_name_char(text[i])) ++i;
        if (i == start) return bad("a name must follow each dot");
        s.name = std::string(text.substr(start, i - start));
      }
    } else if (text[i] == '[') {
      auto close = text.find(']', i);
      if (close == std::string_view::npos) return bad("an unclosed [");
      auto inside = text.substr(i + 1, close - i - 1);
      if (inside == "*") {
        s.what = step::wildcard;
      } else if (inside.size() >= 2 && (inside.front() == '\'' || inside.front() == '"') &&
                 inside.back() == inside.front()) {
        s.name = std::string(inside.substr(1, inside.size() - 2));
      } else {
        if (inside.empty() || inside.size() > 9) return bad("an index is a whole number");
        std::size_t n = 0;
        for (char c : inside) {
          if (c < '0' || c > '9') return bad("an index is a whole number");
          n = n * 10 + static_cast<std::size_t>(c - '0');
        }
        s.what = step::index;
        s.position = n;
      }
      i = close + 1;
    } else {
      return bad(fmt::format("unexpected '{}' at {}", text[i], i));
    }
    path.steps_.push_back(std::move(s));
  }
  return path;
}

std::optional<bj::value> json_path::evaluate(const bj::value& event) const {
  // Each step maps the current matches to the next ones; a wildcard makes the result a
  // list even if one value matched.
  std::vector<const bj::value*> current{&event};
  bool collected = false;
  for (const auto& s : steps_) {
    std::vector<const bj::value*> next;
    for (const auto* v : current) {
      switch (s.what) {
        case step::member:
          if (v->is_object()) {
            if (auto* found = v->get_object().if_contains(s.name)) next.push_back(found);
          }
          break;
        case step::index:
          if (v->is_array() && s.position < v->get_array().size()) {
            next.push_back(&v->get_array()[s.position]);
          }
          break;
        case step::wildcard:
          collected = true;
          if (v->is_array()) {
            for (const auto& item : v->get_array()) next.push_back(&item);
          } else if (v->is_object()) {
            for (const auto& [key, item] : v->get_object()) next.push_back(&item);
          }
          break;
      }
    }
    current = std::move(next);
  }
  if (collected) {
    bj::array out;
    for (const auto* v : current) out.push_back(*v);
    return bj::value(std::move(out));
  }
  if (current.empty()) return std::nullopt;
  return *current.front();
}

result<input_transformer> input_transformer::parse(const bj::value& spec) {
  auto bad = [](std::string message) { return error(errc::invalid_argument, std::move(message)); };
  if (!spec.is_object()) return bad("InputTransformer must be an object");
  const auto& o = spec.get_object();
  input_transformer t;
  auto* tmpl = o.if_contains("InputTemplate");
  if (!tmpl || !tmpl->is_string()) return bad("InputTransformer.InputTemplate is required");
  t.input_template = std::string(tmpl->get_string());
  if (t.input_template.empty() || t.input_template.size() > 8192) {
    return bad("InputTemplate must be 1 to 8192 characters long");
  }
  if (auto* paths = o.if_contains("InputPathsMap")) {
    if (!paths->is_object()) return bad("InputPathsMap must be a map of names to JSON paths");
    if (paths->get_object().size() > 100) return bad("InputPathsMap has more than 100 entries");
    for (const auto& [name, path] : paths->get_object()) {
      std::string key(name);
      if (key.empty() || key.size() > 256) {
        return bad("InputPathsMap keys must be 1 to 256 characters long");
      }
      if (key.starts_with("aws.events")) {
        return bad(fmt::format("InputPathsMap key {} is reserved (aws.events.*)", key));
      }
      if (!path.is_string()) return bad(fmt::format("InputPathsMap.{} must be a JSON path", key));
      auto parsed = json_path::parse(std::string(path.get_string()));
      if (!parsed.ok()) return parsed.err();
      t.input_paths[key] = std::string(path.get_string());
    }
  }
  for (const auto& [k, v] : o) {
    if (k != "InputTemplate" && k != "InputPathsMap") {
      return bad(fmt::format("InputTransformer has no member {}", std::string(k)));
    }
  }
  return t;
}

std::string input_transformer::apply(const bj::value& event,
                                     const invocation_context& context) const {
  std::map<std::string, std::optional<bj::value>> values;
  for (const auto& [name, text] : input_paths) {
    auto path = json_path::parse(text);
    values[name] = path.ok() ? path->evaluate(event) : std::nullopt;
  }
  std::string_view t = input_template;
  auto first = t.find_first_not_of(" \t\r\n");
  bool json_template = first != std::string_view::npos && (t[first] == '{' || t[first] == '[');

  std::string out;
  out.reserve(t.size() + 64);
  bool in_string = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (in_string && c == '\\' && i + 1 < t.size()) {
      out += c;
      out += t[++i];
      continue;
    }
    if (c == '"') {
      in_string = !in_string;
      out += c;
      continue;
    }
    if (c != '<') {
      out += c;
      continue;
    }
    auto close = t.find('>', i + 1);
    if (close == std::string_view::npos) {
      out += c;
      continue;
    }
    std::string name(t.substr(i + 1, close - i - 1));
    // Reserved variables first: their values are fixed by the invocation.
    if (name == "aws.events.event.json") {
      out += bj::serialize(event);
    } else if (name == "aws.events.event") {
      bj::value without_detail = event;
      if (without_detail.is_object()) without_detail.get_object().erase("detail");
      out += bj::serialize(without_detail);
    } else if (name == "aws.events.rule-name" || name == "aws.events.rule-arn" ||
               name == "aws.events.event.ingestion-time") {
      const auto& text = name == "aws.events.rule-name"  ? context.rule_name
                         : name == "aws.events.rule-arn" ? context.rule_arn
                                                         : context.ingestion_time;
      if (in_string || !json_template) {
        out += in_string ? escape(text) : text;
      } else {
        out += bj::serialize(bj::string(text));
      }
    } else if (auto it = values.find(name); it != values.end()) {
      const auto& v = it->second;
      if (in_string) {
        if (v) out += escape(v->is_string() ? std::string(v->get_string()) : bj::serialize(*v));
      } else if (json_template) {
        out += v ? bj::serialize(*v) : "null";
      } else if (v) {
        out += v->is_string() ? std::string(v->get_string()) : bj::serialize(*v);
      }
    } else {
      out += c;  // not a variable: a literal '<'
      continue;
    }
    i = close;
  }
  return out;
}

std::string iso8601_seconds(std::int64_t epoch_ms) {
  auto seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bj::object make_envelope(const std::string& id, const std::string& source,
                         const std::string& detail_type, bj::value detail,
                         std::vector<std::string> resources, const std::string& time,
                         const std::string& account, const std::string& region) {
  bj::array resource_list;
  for (auto& r : resources) resource_list.emplace_back(std::move(r));
  return bj::object{{"version", "0"},
                    {"id", id},
                    {"detail-type", detail_type},
                    {"source", source},
                    {"account", account},
                    {"time", time},
                    {"region", region},
                    {"resources", std::move(resource_list)},
                    {"detail", std::move(detail)}};
}

bj::value event_from_record(const record_view& record, const std::string& account,
                            const std::string& region) {
  std::optional<bj::value> parsed;
  if (record.value) {
    boost::system::error_code ec;
    auto v = bj::parse(*record.value, ec);
    if (!ec) {
      if (v.is_object()) return v;
      parsed = std::move(v);
    }
  }
  bj::object detail{{"topic", record.topic},
                    {"partition", record.partition},
                    {"offset", record.offset},
                    {"timestamp", record.timestamp_ms}};
  auto text_or_null = [](const std::optional<std::string>& s) -> bj::value {
    if (!s) return nullptr;
    // Bytes that are not UTF-8 cannot be JSON text; they travel base16 instead.
    if (is_valid_utf8(*s)) return bj::string(*s);
    std::string hex;
    for (unsigned char c : *s) hex += fmt::format("{:02x}", c);
    return bj::object{{"hex", hex}};
  };
  detail["key"] = text_or_null(record.key);
  detail["value"] = parsed ? std::move(*parsed) : text_or_null(record.value);
  return make_envelope(random_uuid(), "wharf.kafka", "Kafka Record", std::move(detail),
                       {"arn:wharf:kafka:::topic/" + record.topic},
                       iso8601_seconds(record.timestamp_ms), account, region);
}

}  // namespace wharf::router

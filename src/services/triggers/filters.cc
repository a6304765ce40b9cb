#include "services/triggers/filters.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "base/utf8.h"
#include "pattern/pattern.h"

namespace wharf::triggers {

namespace bj = boost::json;
namespace kc = kafka::client;

namespace {

enum class value_format { json, text, none };

// One filter: the whole pattern, and the pattern without its value part for records
// whose value does not fit it.
struct compiled_filter {
  value_format wants = value_format::none;  // the format the value part is written for
  pattern::pattern full;
  std::optional<pattern::pattern> metadata_only;  // nullopt: no metadata tests (matches all)
};

}  // namespace

result<record_filter, api_error> make_record_filter(const std::vector<std::string>& patterns) {
  auto filters = std::make_shared<std::vector<compiled_filter>>();
  for (const auto& text : patterns) {
    auto invalid = [](const std::string& why) {
      return invalid_parameter("Invalid filter pattern definition. " + why);
    };
    auto full = pattern::pattern::compile(text);
    if (!full.ok()) return invalid(full.err().message());
    auto json = bj::parse(text).as_object();
    value_format wants = value_format::none;
    if (const auto* v = json.if_contains("value")) {
      wants = v->is_object() ? value_format::json : value_format::text;
    }
    json.erase("value");
    std::optional<pattern::pattern> metadata_only;
    if (!json.empty()) {
      auto compiled = pattern::pattern::compile(bj::serialize(json));
      if (!compiled.ok()) return invalid(compiled.err().message());
      metadata_only = std::move(*compiled);
    }
    filters->push_back({wants, std::move(*full), std::move(metadata_only)});
  }
  return record_filter([filters](const kc::consumed_record& r) {
    bj::object event{{"topic", r.topic},
                     {"partition", r.partition},
                     {"offset", r.offset},
                     {"timestamp", r.timestamp_ms},
                     {"timestampType", r.log_append_time ? "LOG_APPEND_TIME" : "CREATE_TIME"}};
    value_format has = value_format::none;
    if (r.value && is_valid_utf8(*r.value)) {
      boost::system::error_code ec;
      auto parsed = bj::parse(*r.value, ec);
      if (!ec && parsed.is_object()) {
        event["value"] = std::move(parsed);
        has = value_format::json;
      } else {
        event["value"] = bj::string(*r.value);
        has = value_format::text;
      }
    }
    bj::value as_value(std::move(event));
    for (const auto& f : *filters) {
      if (f.wants == value_format::none || f.wants == has) {
        if (pattern::matches(f.full, as_value)) return true;
      } else if (!f.metadata_only || pattern::matches(*f.metadata_only, as_value)) {
        return true;
      }
    }
    return false;
  });
}

}  // namespace wharf::triggers

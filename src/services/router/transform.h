// What the router does to an event on its way to a target: EventBridge's envelope for
// PutEvents entries and for records of plain Kafka topics, the JSON path subset that
// InputPath and InputPathsMap use, and the InputTransformer's template filling.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "base/result.h"

namespace wharf::router {

// A parsed JSON path: `$`, `$.detail.state`, `$.resources[0]`, `$.detail['a b']`,
// `$.detail.items[*].id`. Wildcards collect their matches into an array.
class json_path {
 public:
  static result<json_path> parse(std::string_view text);
  // nullopt when the path leads nowhere in this event.
  std::optional<boost::json::value> evaluate(const boost::json::value& event) const;
  const std::string& text() const { return text_; }

 private:
  struct step {
    enum kind { member, index, wildcard } what = member;
    std::string name;
    std::size_t position = 0;
  };
  std::string text_;
  std::vector<step> steps_;
};

// The values of the reserved template variables <aws.events.*>.
struct invocation_context {
  std::string rule_name;
  std::string rule_arn;
  std::string ingestion_time;  // ISO 8601
};

struct input_transformer {
  std::map<std::string, std::string> input_paths;  // variable -> JSON path
  std::string input_template;

  // EventBridge's refusals: at most 100 variables, names not starting with aws.events,
  // valid paths, a template of 1 to 8192 characters.
  static result<input_transformer> parse(const boost::json::value& spec);

  // Fills the template: inside JSON strings a value goes in as text (escaped), outside
  // them as JSON when the template is a JSON object or array and as plain text otherwise.
  // A variable whose path leads nowhere is null (empty inside a string).
  std::string apply(const boost::json::value& event, const invocation_context& context) const;
};

// ISO 8601 in UTC to the second, as EventBridge writes `time`: 2026-11-26T02:26:50Z.
std::string iso8601_seconds(std::int64_t epoch_ms);

// A PutEvents entry's envelope; detail is already-parsed JSON.
boost::json::object make_envelope(const std::string& id, const std::string& source,
                                  const std::string& detail_type, boost::json::value detail,
                                  std::vector<std::string> resources, const std::string& time,
                                  const std::string& account, const std::string& region);

// A record of a plain Kafka topic as an event: a JSON object value is the event itself;
// anything else is wrapped in an envelope (source "wharf.kafka", detail-type "Kafka
// Record") whose detail carries topic, partition, offset, timestamp, key and value.
struct record_view {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers = {};
  bool log_append_time = false;
};
boost::json::value event_from_record(const record_view& record, const std::string& account,
                                     const std::string& region);

}  // namespace wharf::router

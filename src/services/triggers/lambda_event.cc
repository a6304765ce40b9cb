#include "services/triggers/lambda_event.h"

#include <map>
#include <vector>

#include "base/base64.h"
#include "base/utf8.h"

namespace wharf::triggers {

namespace kc = kafka::client;

namespace {

void append_record(std::string& out, const kc::consumed_record& r) {
  out += R"({"topic":)";
  append_json_string(out, r.topic);
  out += R"(,"partition":)";
  out += std::to_string(r.partition);
  out += R"(,"offset":)";
  out += std::to_string(r.offset);
  out += R"(,"timestamp":)";
  out += std::to_string(r.timestamp_ms);
  out += R"(,"timestampType":)";
  out += r.log_append_time ? R"("LOG_APPEND_TIME")" : R"("CREATE_TIME")";
  // Lambda leaves out the key of a record without one, and the value of a tombstone.
  if (r.key) {
    out += R"(,"key":")";
    out += base64::encode(*r.key);
    out += '"';
  }
  if (r.value) {
    out += R"(,"value":")";
    out += base64::encode(*r.value);
    out += '"';
  }
  out += R"(,"headers":[)";
  for (std::size_t i = 0; i < r.headers.size(); ++i) {
    if (i > 0) out += ',';
    out += '{';
    append_json_string(out, r.headers[i].name);
    out += ":[";
    const auto& value = r.headers[i].value;
    if (value) {
      for (std::size_t b = 0; b < value->size(); ++b) {
        if (b > 0) out += ',';
        // Java's signed bytes, as Lambda's event shows them.
        out += std::to_string(static_cast<int>(static_cast<signed char>((*value)[b])));
      }
    }
    out += "]}";
  }
  out += "]}";
}

}  // namespace

std::string kafka_event(const event_source& source, std::span<const kc::consumed_record> records) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const kc::consumed_record*>> groups;
  std::size_t estimate = 256;
  for (const auto& r : records) {
    auto key = r.topic + "-" + std::to_string(r.partition);
    auto [it, added] = groups.try_emplace(key);
    if (added) order.push_back(key);
    it->second.push_back(&r);
    estimate += record_event_bytes(r);
  }
  std::string out;
  out.reserve(estimate);
  if (source.arn.empty()) {
    out += R"({"eventSource":"SelfManagedKafka")";
  } else {
    out += R"({"eventSource":"aws:kafka","eventSourceArn":)";
    append_json_string(out, source.arn);
  }
  out += R"(,"bootstrapServers":)";
  append_json_string(out, source.bootstrap_servers);
  out += R"(,"records":{)";
  for (std::size_t g = 0; g < order.size(); ++g) {
    if (g > 0) out += ',';
    append_json_string(out, order[g]);
    out += ":[";
    const auto& group = groups[order[g]];
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (i > 0) out += ',';
      append_record(out, *group[i]);
    }
    out += ']';
  }
  out += "}}";
  return out;
}

std::size_t record_event_bytes(const kc::consumed_record& r) {
  std::size_t bytes = 150 + r.topic.size();
  if (r.key) bytes += (r.key->size() + 2) / 3 * 4;
  if (r.value) bytes += (r.value->size() + 2) / 3 * 4;
  for (const auto& h : r.headers) bytes += h.name.size() + 8 + (h.value ? h.value->size() * 5 : 0);
  return bytes;
}

}  // namespace wharf::triggers

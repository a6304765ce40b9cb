// AlterConfigs (key 33, replaces a topic's overrides) and IncrementalAlterConfigs
// (key 44, SET / DELETE / APPEND / SUBTRACT on single configs).
#include "kafka/protocol/generated/alter_configs.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "broker/handlers/configs.h"
#include "broker/handlers/handler.h"
#include "kafka/protocol/generated/incremental_alter_configs.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

namespace {

using changes_t = std::map<std::string, std::optional<std::string>>;

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// Applies changes to one resource; returns the error code and message.
std::pair<kp::error_code, std::optional<std::string>> alter(request_context& ctx, std::int8_t type,
                                                            const std::string& name,
                                                            const changes_t& changes,
                                                            bool replace_all, bool validate_only) {
  if (type == resource_broker || type == resource_broker_logger) {
    return {kp::error_code::invalid_request,
            "Broker configs are read-only here: change them in wharf's config file"};
  }
  if (type != resource_topic) {
    return {kp::error_code::invalid_request, "Unsupported resource type " + std::to_string(type)};
  }
  auto done = ctx.broker.topics->alter_configs(name, changes, replace_all, validate_only);
  if (!done) return {done.err().code, done.err().message};
  return {kp::error_code::none, std::nullopt};
}

}  // namespace

void alter_configs_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::alter_configs_request>(ctx, responder);
  if (!request) return;
  kp::alter_configs_response response;
  for (const auto& resource : request->resources) {
    changes_t changes;
    for (const auto& c : resource.configs) changes[c.name] = c.value;
    auto [code, message] = alter(ctx, resource.resource_type, resource.resource_name, changes, true,
                                 request->validate_only);
    kp::alter_configs_response::alter_configs_resource_response r;
    r.error_code = kp::code(code);
    r.error_message = message;
    r.resource_type = resource.resource_type;
    r.resource_name = resource.resource_name;
    response.responses.push_back(std::move(r));
  }
  respond(ctx, responder, response);
}

void incremental_alter_configs_handler::handle(request_context& ctx,
                                               net::frame_responder responder) {
  auto request = decode_or_close<kp::incremental_alter_configs_request>(ctx, responder);
  if (!request) return;
  kp::incremental_alter_configs_response response;
  for (const auto& resource : request->resources) {
    kp::incremental_alter_configs_response::alter_configs_resource_response r;
    r.resource_type = resource.resource_type;
    r.resource_name = resource.resource_name;
    r.error_message = std::nullopt;
    changes_t changes;
    std::optional<std::string> problem;
    std::shared_ptr<const topic> current;
    if (resource.resource_type == resource_topic) {
      current = ctx.broker.topics->find(resource.resource_name);
    }
    for (const auto& c : resource.configs) {
      switch (c.config_operation) {
        case 0:  // SET
          changes[c.name] = c.value;
          break;
        case 1:  // DELETE
          changes[c.name] = std::nullopt;
          break;
        case 2:    // APPEND to a list
        case 3: {  // SUBTRACT from a list
          std::string existing;
          if (current) {
            for (const auto& e : topic_config_entries(*current)) {
              if (e.name == c.name) existing = e.value;
            }
          }
          auto items = split_list(existing);
          for (const auto& v : split_list(c.value.value_or(""))) {
            auto it = std::find(items.begin(), items.end(), v);
            if (c.config_operation == 2 && it == items.end()) items.push_back(v);
            if (c.config_operation == 3 && it != items.end()) items.erase(it);
          }
          changes[c.name] = join_list(items);
          break;
        }
        default: problem = "Unknown config operation " + std::to_string(c.config_operation);
      }
    }
    if (problem) {
      r.error_code = kp::code(kp::error_code::invalid_request);
      r.error_message = problem;
    } else {
      auto [code, message] = alter(ctx, resource.resource_type, resource.resource_name, changes,
                                   false, request->validate_only);
      r.error_code = kp::code(code);
      r.error_message = message;
    }
    response.responses.push_back(std::move(r));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers

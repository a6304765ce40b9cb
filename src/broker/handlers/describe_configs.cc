// DescribeConfigs (key 32): topic configs (defaults and overrides) and broker configs.
#include "kafka/protocol/generated/describe_configs.h"

#include <algorithm>

#include "broker/handlers/configs.h"
#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void describe_configs_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::describe_configs_request>(ctx, responder);
  if (!request) return;

  kp::describe_configs_response response;
  for (const auto& resource : request->resources) {
    kp::describe_configs_response::describe_configs_result result;
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    result.error_message = std::nullopt;
    std::vector<config_entry> entries;
    if (resource.resource_type == resource_topic) {
      auto t = ctx.broker.topics->find(resource.resource_name);
      if (!t) {
        result.error_code = kp::code(kp::error_code::unknown_topic_or_partition);
        result.error_message = "The topic '" + resource.resource_name + "' does not exist.";
      } else {
        entries = topic_config_entries(*t);
      }
    } else if (resource.resource_type == resource_broker) {
      if (!resource.resource_name.empty() &&
          resource.resource_name != std::to_string(ctx.broker.options.node_id)) {
        result.error_code = kp::code(kp::error_code::invalid_request);
        result.error_message = "Unexpected broker id, expected " +
                               std::to_string(ctx.broker.options.node_id) + " but received " +
                               resource.resource_name;
      } else {
        entries = broker_config_entries(ctx.broker);
      }
    } else if (resource.resource_type == resource_broker_logger) {
      // No per-logger levels to show; an empty list is what a broker with none answers.
    } else {
      result.error_code = kp::code(kp::error_code::invalid_request);
      result.error_message = "Unsupported resource type " + std::to_string(resource.resource_type);
    }
    for (const auto& e : entries) {
      if (resource.configuration_keys && !resource.configuration_keys->empty() &&
          std::find(resource.configuration_keys->begin(), resource.configuration_keys->end(),
                    e.name) == resource.configuration_keys->end()) {
        continue;
      }
      kp::describe_configs_response::describe_configs_resource_result r;
      r.name = e.name;
      r.value = e.value;
      r.read_only = e.read_only;
      r.is_default = e.source == source_default;
      r.config_source = e.source;
      r.config_type = e.type;
      r.documentation = std::nullopt;
      if (request->include_synonyms) {
        for (const auto& s : e.synonyms) {
          kp::describe_configs_response::describe_configs_synonym syn;
          syn.name = s.name;
          syn.value = s.value;
          syn.source = s.source;
          r.synonyms.push_back(syn);
        }
      }
      result.configs.push_back(std::move(r));
    }
    response.results.push_back(std::move(result));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers

// CreateTopics (key 19).
#include "kafka/protocol/generated/create_topics.h"

#include <set>

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void create_topics_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::create_topics_request>(ctx, responder);
  if (!request) return;

  kp::create_topics_response response;
  std::multiset<std::string> names;
  for (const auto& t : request->topics) names.insert(t.name);

  for (const auto& requested : request->topics) {
    kp::create_topics_response::creatable_topic_result out;
    out.name = requested.name;
    out.error_message = std::nullopt;
    auto fail = [&out](kp::error_code code, std::string message) {
      out.error_code = kp::code(code);
      out.error_message = std::move(message);
      out.configs = std::nullopt;
    };
    if (names.count(requested.name) > 1) {
      fail(kp::error_code::invalid_request,
           "Create topics request from client contains multiple topics with the same name");
    } else if (!requested.assignments.empty() &&
               (requested.num_partitions != -1 || requested.replication_factor != -1)) {
      fail(kp::error_code::invalid_request,
           "Both numPartitions or replicationFactor and replicasAssignments were set.");
    } else {
      topic_manager::create_spec spec;
      spec.name = requested.name;
      spec.partitions = requested.assignments.empty()
                            ? requested.num_partitions
                            : static_cast<std::int32_t>(requested.assignments.size());
      spec.replication_factor = requested.replication_factor;
      std::optional<std::string> bad_assignment;
      for (const auto& a : requested.assignments) {
        std::set<std::int32_t> seen;
        for (auto id : a.broker_ids) {
          if (id != ctx.broker.options.node_id) {
            bad_assignment = "The manual partition assignment includes broker " +
                             std::to_string(id) + ", but no such broker is registered.";
          } else if (!seen.insert(id).second) {
            bad_assignment = "The manual partition assignment includes the broker " +
                             std::to_string(id) + " more than once.";
          }
        }
        if (a.broker_ids.empty()) {
          bad_assignment = "The manual partition assignment includes an empty replica list.";
        }
      }
      for (const auto& c : requested.configs) {
        if (c.value) spec.configs[c.name] = *c.value;
      }
      spec.validate_only = request->validate_only;
      auto created = bad_assignment
                         ? api_result<std::shared_ptr<const topic>>(api_error{
                               kp::error_code::invalid_replica_assignment, *bad_assignment})
                         : ctx.broker.topics->create(spec);
      if (!created) {
        fail(created.err().code, created.err().message);
      } else {
        const auto& t = **created;
        out.topic_id = t.id;
        out.num_partitions = static_cast<std::int32_t>(t.partitions.size());
        out.replication_factor = 1;
        out.configs.emplace();
        for (const auto& [name, value] : storage::describe_log_config(t.log)) {
          kp::create_topics_response::creatable_topic_configs c;
          c.name = name;
          c.value = value;
          c.config_source = t.overrides.count(name) ? 1 : 5;  // TOPIC_CONFIG or DEFAULT_CONFIG
          out.configs->push_back(std::move(c));
        }
        for (const auto& [name, value] : non_log_topic_config_defaults()) {
          kp::create_topics_response::creatable_topic_configs c;
          c.name = name;
          auto it = t.overrides.find(name);
          c.value = it == t.overrides.end() ? value : it->second;
          c.config_source = it == t.overrides.end() ? 5 : 1;
          out.configs->push_back(std::move(c));
        }
      }
    }
    response.topics.push_back(std::move(out));
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers

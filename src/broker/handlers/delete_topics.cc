// DeleteTopics (key 20): by name, or by topic id from v6.
#include "kafka/protocol/generated/delete_topics.h"

#include "broker/handlers/handler.h"

namespace wharf::broker::handlers {

namespace kp = kafka::protocol;

void delete_topics_handler::handle(request_context& ctx, net::frame_responder responder) {
  auto request = decode_or_close<kp::delete_topics_request>(ctx, responder);
  if (!request) return;

  kp::delete_topics_response response;
  auto remove = [&](std::optional<std::string> name, kp::uuid id) {
    kp::delete_topics_response::deletable_topic_result out;
    out.name = name;
    out.topic_id = id;
    if (!name) {
      auto t = ctx.broker.topics->find(id);
      if (!t) {
        out.error_code = kp::code(kp::error_code::unknown_topic_id);
        out.error_message = "This server does not host this topic ID.";
        response.responses.push_back(std::move(out));
        return;
      }
      out.name = t->name;
    }
    auto removed = ctx.broker.topics->remove(*out.name);
    if (!removed) {
      out.error_code = removed.err().kafka_code();
      out.error_message = removed.err().message;
    } else {
      out.topic_id = *removed;
    }
    response.responses.push_back(std::move(out));
  };
  if (ctx.version() >= 6) {
    for (const auto& t : request->topics) remove(t.name, t.topic_id);
  } else {
    for (const auto& name : request->topic_names) remove(name, {});
  }
  respond(ctx, responder, response);
}

}  // namespace wharf::broker::handlers

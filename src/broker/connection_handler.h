// Turns frames from the Kafka listener into handler calls: decodes the request header,
// checks the API and version against the handler table, and answers what cannot be
// served the way Kafka does (KIP-511 ApiVersions fallback, otherwise closing the
// connection with a log line).
#pragma once

#include <memory>

#include <spdlog/logger.h>

#include "broker/broker_state.h"
#include "net/frame_server.h"

namespace wharf::broker {

class connection_handler final : public net::frame_handler {
 public:
  explicit connection_handler(std::shared_ptr<broker_state> state);

  void on_frame(net::connection_context& connection, std::string frame,
                net::frame_responder respond) override;

 private:
  std::shared_ptr<broker_state> state_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace wharf::broker

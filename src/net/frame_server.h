// A TCP server for size-prefixed binary protocols (the Kafka wire protocol): reads
// frames of [int32 size][size bytes], hands each to a handler in arrival order, and
// writes the replies in the same order, whatever order the handler answers in. Several
// requests of one connection can be in flight at once (librdkafka pipelines up to five),
// bounded per connection for back-pressure. Malformed or oversized frames close only
// their own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace wharf::metrics {
class registry;
}

namespace wharf::net {

class io_runtime;

struct frame_server_options {
  std::string name = "kafka";  // for logs and metric labels
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::uint32_t max_frame_bytes = 100 * 1024 * 1024;  // Kafka's socket.request.max.bytes
  std::chrono::milliseconds idle_timeout{600'000};    // Kafka's connections.max.idle.ms
  std::size_t max_connections = 10'000;
  std::size_t max_in_flight_per_connection = 32;  // frames read but not yet answered
  // Request bytes read but not yet answered, across all connections: past it, reading
  // waits (back-pressure) instead of buffering. One frame is always admitted when
  // nothing else is in flight, so a frame larger than the budget still gets served.
  std::uint64_t max_in_flight_bytes = 256ull * 1024 * 1024;
  std::string tls_cert_file;  // TLS when both files are set
  std::string tls_key_file;
};

// What a handler does with one frame.
struct frame_reply {
  enum class kind { respond, no_response, close };
  kind action = kind::respond;
  std::string bytes;  // a whole response frame, its int32 size prefix included
  // Pieces of the frame left out of `bytes` (byte_writer::write_large), sent in place;
  // keep_alive owns their memory until the frame is written.
  std::vector<byte_writer::splice> spliced;
  std::shared_ptr<const void> keep_alive;

  static frame_reply respond(std::string bytes) { return {kind::respond, std::move(bytes)}; }
  static frame_reply respond_spliced(std::string bytes, std::vector<byte_writer::splice> spliced,
                                     std::shared_ptr<const void> keep_alive) {
    return {kind::respond, std::move(bytes), std::move(spliced), std::move(keep_alive)};
  }
  static frame_reply none() { return {kind::no_response, {}}; }
  static frame_reply close_connection() { return {kind::close, {}}; }
};

// Call exactly once, from any thread. Dropping it unanswered closes the connection.
using frame_responder = std::function<void(frame_reply)>;

// Per-connection facts and a slot for the handler's own per-connection state.
struct connection_context {
  std::uint64_t id = 0;
  std::string remote_address;
  std::string listener;
  bool secure = false;
  std::shared_ptr<void> handler_state;
};

class frame_handler {
 public:
  virtual ~frame_handler() = default;
  virtual void on_connect(connection_context&) {}
  // Called in frame order on the connection's strand; do the order-sensitive work
  // (appending to a log) before returning, then answer whenever ready.
  virtual void on_frame(connection_context& connection, std::string frame,
                        frame_responder respond) = 0;
  virtual void on_disconnect(connection_context&) {}
};

class frame_server {
 public:
  virtual ~frame_server() = default;

  static result<std::unique_ptr<frame_server>> start(io_runtime& runtime,
                                                     frame_server_options options,
                                                     std::shared_ptr<frame_handler> handler,
                                                     metrics::registry* metrics);

  virtual std::uint16_t port() const = 0;
  virtual std::string address() const = 0;  // "127.0.0.1:9092"
  virtual bool accepting() const = 0;
  virtual std::size_t open_connections() const = 0;
  virtual void stop_accepting() = 0;
  // Stops reading new frames, lets answered-but-unwritten replies and in-flight requests
  // finish until the deadline, then closes every connection. True if all finished.
  virtual bool drain(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace wharf::net

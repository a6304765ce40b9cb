// The one HTTP/1.1 server every Wharf HTTP service runs on (admin, Schema Registry,
// REST Proxy, Connect): keep-alive, header/body size limits, read and idle timeouts,
// optional TLS, JSON error bodies, per-route metrics and graceful draining.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "http/router.h"

namespace wharf::net {
class io_runtime;
}
namespace wharf::metrics {
class registry;
}

namespace wharf::http {

struct tls_options {
  std::string cert_file;  // PEM certificate chain; TLS is on when both files are set
  std::string key_file;   // PEM private key
  bool enabled() const { return !cert_file.empty() && !key_file.empty(); }
};

struct server_options {
  std::string name = "http";  // shown in logs and metric labels
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free port
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds read_timeout{30'000};  // to receive one whole request
  std::chrono::milliseconds idle_timeout{75'000};  // between requests on a kept-alive connection
  std::size_t max_connections = 10'000;
  tls_options tls;
};

class server {
 public:
  virtual ~server() = default;

  // Binds and starts accepting on the runtime's threads. Fails if the address cannot be
  // bound or the TLS files cannot be loaded.
  static result<std::unique_ptr<server>> start(net::io_runtime& runtime, server_options options,
                                               std::shared_ptr<const router> routes,
                                               metrics::registry* metrics);

  virtual std::uint16_t port() const = 0;
  // "http://127.0.0.1:8080" (https when TLS is on).
  virtual std::string url() const = 0;
  virtual bool accepting() const = 0;
  virtual std::size_t open_connections() const = 0;

  // Stops accepting new connections; open ones keep going.
  virtual void stop_accepting() = 0;
  // Closes idle connections now and busy ones after their current response; past the
  // deadline, closes whatever is left. Returns true if everything finished in time.
  virtual bool drain(std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace wharf::http

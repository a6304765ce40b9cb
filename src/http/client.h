// A small blocking HTTP/1.1 client (libcurl) for calls between Wharf instances, such as
// a Schema Registry instance forwarding a write to the current writer. Blocks: call it
// from a worker thread, never an I/O thread.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "http/message.h"

namespace wharf::http {

struct client_request {
  std::string method = "GET";
  std::string url;  // http(s)://host:port/path?query
  header_list headers;
  std::string body;
  std::chrono::milliseconds timeout{10'000};
};

// The response, whatever its status; an error only when no response arrived.
result<response> send(const client_request& request);

}  // namespace wharf::http

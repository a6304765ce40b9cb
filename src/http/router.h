// Maps method + path pattern to handlers. Patterns are literal segments and {name}
// parameters ("/subjects/{subject}/versions/{version}"); a trailing {name...} takes
// the rest of the path. Literal segments win over parameters at the same position.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace wharf::http {

// Delivers a handler's response; call it exactly once, from any thread.
using responder = std::function<void(response)>;
using async_handler = std::function<void(request&&, responder)>;
using sync_handler = std::function<response(const request&)>;

class router {
 public:
  router();

  void add(std::string method, std::string pattern, sync_handler handler);
  void add_async(std::string method, std::string pattern, async_handler handler);

  // Formats error bodies for 404/405/4xx produced by the server itself (services
  // whose protocol prescribes another error shape replace it).
  using error_formatter = std::function<response(int status, std::string_view message)>;
  void set_error_formatter(error_formatter formatter) { error_formatter_ = std::move(formatter); }
  response make_error(int status, std::string_view message) const {
    return error_formatter_(status, message);
  }

  // Fills req.path_params and req.route and runs the handler; answers 404 or 405 itself.
  // Returns the matched pattern ("unmatched" if none), for metrics and logs.
  std::string dispatch(request&& req, responder respond) const;

  // Every route added, as method and pattern, in matching order (for checks such as a
  // service's API document listing exactly the routes it serves).
  struct route_info {
    std::string method;
    std::string pattern;
  };
  std::vector<route_info> list() const;

 private:
  struct route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    async_handler handler;
  };
  static bool match(const route& r, const std::vector<std::string_view>& path_segments,
                    request& req);

  std::vector<route> routes_;
  error_formatter error_formatter_;
};

// Splits "/a/b/c" into {"a","b","c"} (a trailing slash adds nothing).
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace wharf::http

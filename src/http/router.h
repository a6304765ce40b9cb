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

// The answer side of a streamed request (see router::add_stream). Every call is safe
// from any thread; pieces go out in the order they were written.
class body_stream {
 public:
  virtual ~body_stream() = default;
  // Answers with one whole response instead of a stream. The rest of the body is not
  // read: the connection closes after the answer unless the body was complete.
  virtual void respond(response res) = 0;
  // Starts a streamed response (chunked on HTTP/1.1); the first call wins.
  virtual void begin(int status, header_list headers) = 0;
  virtual void write(std::string piece) = 0;
  // Ends the streamed response; the connection serves its next request afterwards.
  virtual void end() = 0;
  // Flow control: while paused the server reads no more of the body, so a client that
  // sends faster than Kafka acknowledges waits in TCP instead of filling our memory.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
};

// What a streamed request's handler does with the body as it arrives. Called on the
// connection's thread, one at a time, never after on_end or on_abort.
struct body_consumer {
  std::function<void(std::string_view piece)> on_data;
  std::function<void()> on_end;    // the body is complete
  std::function<void()> on_abort;  // the client went away or stalled; writes are dropped
};
// Sees the request's head (body empty) and the stream to answer on.
using stream_handler =
    std::function<body_consumer(request&& head, std::shared_ptr<body_stream> out)>;

class router {
 public:
  router();

  void add(std::string method, std::string pattern, sync_handler handler);
  void add_async(std::string method, std::string pattern, async_handler handler);
  // A route whose body the handler reads as it arrives and may answer in pieces while
  // it still arrives (a chunked stream of records answered record by record).
  void add_stream(std::string method, std::string pattern, stream_handler handler);

  // The streaming handler for this request's method and path, filling its path_params
  // and route; nullptr when the route is an ordinary one (or there is none).
  const stream_handler* find_stream(request& req) const;

  // Formats error bodies for 404/405/4xx produced by the server itself (services
  // whose protocol prescribes another error shape replace it).
  using error_formatter = std::function<response(int status, std::string_view message)>;
  void set_error_formatter(error_formatter formatter) { error_formatter_ = std::move(formatter); }
  response make_error(int status, std::string_view message) const {
    return error_formatter_(status, message);
  }

  // Runs around every request, matched or not: it may answer itself (a CORS preflight)
  // or call next, perhaps with a responder that adds headers to whatever the route or the
  // router's own 404/405 answers. It calls next before returning (the matched pattern
  // is read then).
  using middleware =
      std::function<void(request&& req, responder respond, const async_handler& next)>;
  void set_middleware(middleware m) { middleware_ = std::move(m); }

  // Fills req.path_params and req.route and runs the handler; answers 404 or 405 itself.
  // A streaming route gets the whole body at once and its pieces are joined into one
  // response.
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
    stream_handler streaming;  // set for add_stream routes (handler then adapts it)
  };
  void insert(route r);
  std::string route_request(request&& req, responder respond) const;
  static bool match(const route& r, const std::vector<std::string_view>& path_segments,
                    request& req);

  std::vector<route> routes_;
  error_formatter error_formatter_;
  middleware middleware_;
};

// Splits "/a/b/c" into {"a","b","c"} (a trailing slash adds nothing).
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace wharf::http

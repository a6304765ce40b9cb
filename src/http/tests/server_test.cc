// Drives the real server over loopback sockets with hand-written HTTP/1.1.
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "metrics/registry.h"
#include "net/io_runtime.h"

namespace wharf::http {
namespace {

using namespace std::chrono_literals;

class client {
 public:
  explicit client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~client() { ::close(fd_); }
  bool connected() const { return connected_; }

  void send(std::string_view data) {
    while (!data.empty()) {
      auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads one response: headers, then Content-Length bytes. Empty on close/timeout.
  std::string read_response() {
    while (true) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        auto cl = buffer_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(buffer_.substr(cl + 16));
        if (buffer_.size() >= end + 4 + length) {
          auto out = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return out;
        }
      }
      char chunk[65536];
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Reads until `marker` has arrived; returns everything up to and including it.
  std::string read_until(std::string_view marker) {
    while (buffer_.find(marker) == std::string::npos) {
      char chunk[65536];
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    auto end = buffer_.find(marker) + marker.size();
    auto out = buffer_.substr(0, end);
    buffer_.erase(0, end);
    return out;
  }

  // True when the server closed the connection.
  bool closed_by_peer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

struct ServerTest : ::testing::Test {
  net::io_runtime runtime{2};
  metrics::registry metrics;
  std::shared_ptr<router> routes = std::make_shared<router>();
  std::unique_ptr<server> srv;
  std::promise<void> release_slow;
  std::shared_future<void> slow_released = release_slow.get_future().share();
  std::promise<void> stream_aborted;

  void SetUp() override {
    routes->add("GET", "/hello/{name}", [](const request& req) {
      return response::text(200, "hello " + req.param("name") +
                                     " q=" + std::string(req.query_param("q").value_or("")));
    });
    routes->add("POST", "/echo", [](const request& req) { return response::text(200, req.body); });
    routes->add_async("GET", "/async", [](request&&, responder respond) {
      std::thread([respond] {
        std::this_thread::sleep_for(20ms);
        respond(response::json(202, R"({"later":true})"));
      }).detach();
    });
    routes->add_async("GET", "/slow", [this](request&&, responder respond) {
      std::thread([respond, released = slow_released] {
        released.wait();
        respond(response::text(200, "finally"));
      }).detach();
    });
    routes->add_async("GET", "/forgotten", [](request&&, responder) {});
    // Answers every body piece at once, upper-cased, as one chunk; "stop" ends the
    // answer before the body's end.
    routes->add_stream("POST", "/shout", [](request&&, std::shared_ptr<body_stream> out) {
      out->begin(200, {{"Content-Type", "text/plain"}});
      body_consumer consumer;
      consumer.on_data = [out](std::string_view piece) {
        if (piece.find("stop") != std::string_view::npos) {
          out->write("stopped");
          out->end();
          return;
        }
        std::string upper(piece);
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out->write(upper + ";");
      };
      consumer.on_end = [out] { out->end(); };
      return consumer;
    });
    routes->add_stream("POST", "/watch", [this](request&&, std::shared_ptr<body_stream>) {
      body_consumer consumer;
      consumer.on_abort = [this] { stream_aborted.set_value(); };
      return consumer;
    });
    routes->add_stream("POST", "/refuse", [](request&&, std::shared_ptr<body_stream> out) {
      out->respond(response::text(403, "no"));
      return body_consumer{};
    });
    routes->add("GET", "/throws",
                [](const request&) -> response { throw std::runtime_error("boom"); });
    runtime.start();
  }

  void start(server_options opts = {}) {
    opts.port = 0;
    auto s = server::start(runtime, opts, routes, &metrics);
    ASSERT_TRUE(s) << s.err().message();
    srv = std::move(*s);
  }

  void TearDown() override {
    release_slow.set_value();
    srv.reset();
    runtime.stop();
  }
};

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  client c(srv->port());
  ASSERT_TRUE(c.connected());
  c.send(
      "GET /hello/ann?q=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /hello/b%20c HTTP/1.1\r\nHost: x\r\n\r\n");
  auto first = c.read_response();
  auto second = c.read_response();
  EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("hello ann q=1"), std::string::npos) << first;
  EXPECT_NE(second.find("hello b c q="), std::string::npos) << second;
}

TEST_F(ServerTest, UnknownRouteIsJson404) {
  start();
  client c(srv->port());
  c.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  auto res = c.read_response();
  EXPECT_NE(res.find("404 Not Found"), std::string::npos) << res;
  EXPECT_NE(res.find(R"({"error_code":404,"message":)"), std::string::npos) << res;
  EXPECT_NE(res.find("application/json"), std::string::npos) << res;
}

TEST_F(ServerTest, OversizedBodyIs413AndConnectionCloses) {
  server_options opts;
  opts.max_body_bytes = 1024;
  start(opts);
  client c(srv->port());
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
  auto res = c.read_response();
  EXPECT_NE(res.find("413"), std::string::npos) << res;
  EXPECT_TRUE(c.closed_by_peer());
  // Other clients are unaffected.
  client other(srv->port());
  other.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_NE(other.read_response().find("\r\n\r\nabc"), std::string::npos);
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  server_options opts;
  opts.max_header_bytes = 512;
  start(opts);
  client c(srv->port());
  c.send("GET /hello/x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n");
  EXPECT_NE(c.read_response().find("431"), std::string::npos);
}

TEST_F(ServerTest, GarbageIs400) {
  start();
  client c(srv->port());
  c.send("THIS IS NOT HTTP\r\n\r\n");
  auto res = c.read_response();
  EXPECT_NE(res.find("400 Bad Request"), std::string::npos) << res;
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  start();
  client c(srv->port());
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  char buf[64] = {};
  // The 100 Continue arrives before the body is sent.
  auto interim = c.read_response();
  EXPECT_NE(interim.find("100 Continue"), std::string::npos) << interim;
  c.send("body");
  EXPECT_NE(c.read_response().find("\r\n\r\nbody"), std::string::npos);
  (void)buf;
}

TEST_F(ServerTest, AsyncHandlerAnswersFromAnotherThread) {
  start();
  client c(srv->port());
  c.send("GET /async HTTP/1.1\r\nHost: x\r\n\r\n");
  auto res = c.read_response();
  EXPECT_NE(res.find("202 Accepted"), std::string::npos) << res;
  EXPECT_NE(res.find(R"({"later":true})"), std::string::npos) << res;
}

TEST_F(ServerTest, HandlerThatNeverAnswersGets500) {
  start();
  client c(srv->port());
  c.send("GET /forgotten HTTP/1.1\r\nHost: x\r\n\r\nGET /throws HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.read_response().find("500"), std::string::npos);
  EXPECT_NE(c.read_response().find("500"), std::string::npos);
}

TEST_F(ServerTest, IdleConnectionIsClosed) {
  server_options opts;
  opts.idle_timeout = 200ms;
  start(opts);
  client c(srv->port());
  c.send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_FALSE(c.read_response().empty());
  auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
}

TEST_F(ServerTest, DrainWaitsForBusyRequestAndClosesIdleOnes) {
  start();
  client idle(srv->port());
  idle.send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_FALSE(idle.read_response().empty());
  client busy(srv->port());
  busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);

  srv->stop_accepting();
  auto drained = std::async(std::launch::async,
                            [this] { return srv->drain(std::chrono::steady_clock::now() + 5s); });
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_EQ(drained.wait_for(200ms), std::future_status::timeout)
      << "must wait for the busy request";
  release_slow.set_value();
  release_slow = {};
  auto res = busy.read_response();
  EXPECT_NE(res.find("finally"), std::string::npos) << res;
  EXPECT_NE(res.find("Connection: close"), std::string::npos) << res;
  EXPECT_TRUE(drained.get());
  client late(srv->port());
  EXPECT_FALSE(late.connected());
}

TEST_F(ServerTest, RequestsAreCountedInMetrics) {
  start();
  client c(srv->port());
  c.send("GET /hello/a HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_FALSE(c.read_response().empty());
  auto text = metrics.render_prometheus();
  EXPECT_NE(text.find(R"(wharf_http_requests_total{server="http",method="GET",code="200"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(route="/hello/{name}")"), std::string::npos) << text;
}

TEST_F(ServerTest, BindFailureIsAnError) {
  start();
  server_options opts;
  opts.port = srv->port();
  auto second = server::start(runtime, opts, routes, nullptr);
  ASSERT_FALSE(second);
  EXPECT_NE(second.err().message().find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace wharf::http

namespace wharf::http {
namespace {

TEST_F(ServerTest, StreamedRequestIsAnsweredPieceByPieceWhileTheBodyArrives) {
  start();
  client c(srv->port());
  c.send("POST /shout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  c.send("5\r\nhello\r\n");
  // The answer to the first piece comes before the second piece is sent.
  auto first = c.read_until("HELLO;\r\n");
  EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("Transfer-Encoding: chunked"), std::string::npos) << first;
  c.send("5\r\nworld\r\n");
  EXPECT_NE(c.read_until("WORLD;\r\n").find("WORLD;"), std::string::npos);
  c.send("0\r\n\r\n");
  EXPECT_FALSE(c.read_until("0\r\n\r\n").empty());
  // The connection serves the next request.
  c.send("GET /hello/again HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(c.read_response().find("hello again"), std::string::npos);
}

TEST_F(ServerTest, StreamingRouteTakesAContentLengthBodyToo) {
  start();
  client c(srv->port());
  c.send("POST /shout HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  auto res = c.read_until("0\r\n\r\n");
  EXPECT_NE(res.find("ABC;"), std::string::npos) << res;
}

TEST_F(ServerTest, StreamingRouteMayAnswerWholeBeforeReadingTheBody) {
  start();
  client c(srv->port());
  c.send("POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  auto res = c.read_response();
  EXPECT_NE(res.find("403"), std::string::npos) << res;
  // The unread body would be mistaken for the next request: the server closes.
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ServerTest, StreamingHandlerMayEndBeforeTheBodyEnds) {
  start();
  client c(srv->port());
  c.send("POST /shout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  c.send("4\r\nstop\r\n");
  auto res = c.read_until("0\r\n\r\n");
  EXPECT_NE(res.find("stopped"), std::string::npos) << res;
  // The rest of the body is never read, so the connection cannot serve another request.
  EXPECT_TRUE(c.closed_by_peer());
  client other(srv->port());
  other.send("GET /hello/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(other.read_response().find("hello x"), std::string::npos);
}

TEST_F(ServerTest, StreamingHandlerHearsWhenTheClientLeavesMidBody) {
  start();
  auto aborted = stream_aborted.get_future();
  {
    client c(srv->port());
    c.send("POST /watch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  }
  EXPECT_EQ(aborted.wait_for(5s), std::future_status::ready);
}

TEST(RouterStreamTest, DispatchFeedsAStreamingRouteTheWholeBody) {
  router routes;
  routes.add_stream("POST", "/s", [](request&&, std::shared_ptr<body_stream> out) {
    body_consumer consumer;
    auto seen = std::make_shared<std::string>();
    consumer.on_data = [seen](std::string_view piece) { *seen += piece; };
    consumer.on_end = [out, seen] {
      out->begin(201, {});
      out->write("got:");
      out->write(*seen);
      out->end();
    };
    return consumer;
  });
  request req;
  req.method = "POST";
  req.path = "/s";
  req.body = "xyz";
  response answer;
  routes.dispatch(std::move(req), [&answer](response r) { answer = std::move(r); });
  EXPECT_EQ(answer.status, 201);
  EXPECT_EQ(answer.body, "got:xyz");
}

}  // namespace
}  // namespace wharf::http

// HTTP endpoint functions against our own HTTP server playing the Lambda Runtime
// Interface Emulator: success, error documents, non-2xx, timeouts, refused connections
// and connection reuse.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "http/router.h"
#include "http/server.h"
#include "net/io_runtime.h"
#include "services/triggers/functions.h"

namespace wharf::triggers {
namespace {

using namespace std::chrono_literals;

constexpr const char* invocations_path = "/2015-03-31/functions/function/invocations";

struct HttpFunctionTest : ::testing::Test {
  net::io_runtime io{2};
  std::shared_ptr<http::router> routes = std::make_shared<http::router>();
  std::unique_ptr<http::server> server;

  void SetUp() override {
    routes->add("POST", invocations_path, [](const http::request& req) {
      auto id = req.header("Lambda-Runtime-Aws-Request-Id").value_or("");
      return http::response::json(200, fmt::format(R"({{"id":"{}","event":{}}})", id, req.body));
    });
    routes->add("POST", "/error", [](const http::request&) {
      return http::response::json(
          200, R"({"errorMessage":"no such record","errorType":"KeyError","stackTrace":[]})");
    });
    routes->add("POST", "/flagged", [](const http::request&) {
      auto res = http::response::json(200, R"({"message":"x"})");
      res.set_header("X-Amz-Function-Error", "Unhandled");
      return res;
    });
    routes->add("POST", "/fail",
                [](const http::request&) { return http::response::text(503, "overloaded"); });
    routes->add_async("POST", "/slow", [](http::request&&, http::responder respond) {
      std::thread([respond] {
        std::this_thread::sleep_for(2s);
        respond(http::response::json(200, "{}"));
      }).detach();
    });
    io.start();
    auto started = http::server::start(io, http::server_options{}, routes, nullptr);
    ASSERT_TRUE(started.ok());
    server = std::move(*started);
  }

  void TearDown() override {
    server.reset();
    io.stop();
  }

  std::unique_ptr<function> make(const std::string& path, std::chrono::milliseconds timeout = 5s,
                                 int concurrency = 1) {
    function_spec spec;
    spec.name = "http-test";
    spec.url = server->url() + path;
    spec.timeout = timeout;
    spec.concurrency = concurrency;
    auto made = make_function(spec, io);
    EXPECT_TRUE(made.ok()) << made.err().message();
    return std::move(*made);
  }
};

TEST_F(HttpFunctionTest, TwoHundredWithAResultIsSuccess) {
  auto fn = make(invocations_path);
  auto r = fn->invoke(R"({"records":[1,2]})", "req-1");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.payload, R"({"id":"req-1","event":{"records":[1,2]}})");
}

TEST_F(HttpFunctionTest, ErrorDocumentIsFunctionError) {
  auto fn = make("/error");
  auto r = fn->invoke("{}", "req-2");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_EQ(r.error_type, "KeyError");
  EXPECT_EQ(r.error_message, "no such record");
}

TEST_F(HttpFunctionTest, FunctionErrorHeaderIsFunctionError) {
  auto fn = make("/flagged");
  EXPECT_EQ(fn->invoke("{}", "req").outcome, invocation_outcome::function_error);
}

TEST_F(HttpFunctionTest, NonTwoHundredIsFunctionError) {
  auto fn = make("/fail");
  auto r = fn->invoke("{}", "req-3");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_EQ(r.error_type, "HTTP 503");
  EXPECT_EQ(r.error_message, "overloaded");
}

TEST_F(HttpFunctionTest, SlowEndpointTimesOut) {
  auto fn = make("/slow", 300ms);
  auto started = std::chrono::steady_clock::now();
  auto r = fn->invoke("{}", "req-4");
  EXPECT_EQ(r.outcome, invocation_outcome::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
}

TEST_F(HttpFunctionTest, RefusedConnectionFailsToStart) {
  // A port that was just free: bound, never listened on, closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  function_spec spec;
  spec.name = "http-refused";
  spec.url = fmt::format("http://127.0.0.1:{}{}", ntohs(addr.sin_port), invocations_path);
  auto made = make_function(spec, io);
  ASSERT_TRUE(made.ok());
  auto r = (*made)->invoke("{}", "req");
  EXPECT_EQ(r.outcome, invocation_outcome::failed_to_start) << r.error_message;
}

TEST_F(HttpFunctionTest, ConnectionsAreReused) {
  auto fn = make(invocations_path, 5s, 1);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(fn->invoke("{}", "req").ok());
  EXPECT_EQ(server->open_connections(), 1u);
}

TEST_F(HttpFunctionTest, ConcurrentSlotsEachKeepAConnection) {
  auto fn = make(invocations_path, 5s, 4);
  std::vector<std::future<int>> workers;
  for (int t = 0; t < 4; ++t) {
    workers.push_back(std::async(std::launch::async, [&fn] {
      int ok = 0;
      for (int i = 0; i < 100; ++i) ok += fn->invoke(R"({"n":1})", "req").ok();
      return ok;
    }));
  }
  for (auto& w : workers) EXPECT_EQ(w.get(), 100);
  EXPECT_LE(server->open_connections(), 4u);
}

TEST_F(HttpFunctionTest, ShutdownRefusesNewInvocations) {
  auto fn = make(invocations_path);
  fn->shutdown();
  EXPECT_EQ(fn->invoke("{}", "req").outcome, invocation_outcome::failed_to_start);
}

}  // namespace
}  // namespace wharf::triggers

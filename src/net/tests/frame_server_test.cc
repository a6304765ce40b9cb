// Drives the frame server over loopback sockets: ordering, back-pressure, bad frames.
#include "net/frame_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "metrics/registry.h"
#include "net/io_runtime.h"

namespace wharf::net {
namespace {

using namespace std::chrono_literals;

// Frames starting with "slow" are answered 50 ms later from another thread, "none" get no
// reply, "close" closes; everything else is echoed back at once.
std::string framed(std::string body) {
  std::uint32_t n = htonl(static_cast<std::uint32_t>(body.size()));
  return std::string(reinterpret_cast<char*>(&n), 4) + body;
}

class test_handler final : public frame_handler {
 public:
  std::atomic<int> connects{0};
  std::atomic<int> disconnects{0};

  void on_connect(connection_context&) override { ++connects; }
  void on_disconnect(connection_context&) override { ++disconnects; }
  void on_frame(connection_context&, std::string frame, frame_responder respond) override {
    if (frame.rfind("slow", 0) == 0) {
      std::thread([frame, respond] {
        std::this_thread::sleep_for(50ms);
        respond(frame_reply::respond(framed("re:" + frame)));
      }).detach();
    } else if (frame == "none") {
      respond(frame_reply::none());
    } else if (frame == "close") {
      respond(frame_reply::close_connection());
    } else if (frame == "splice") {
      // "re:" + [big A…][middle][big B…] + "end", the big pieces left out of the buffer.
      auto pieces = std::make_shared<std::pair<std::string, std::string>>(
          std::string(300'000, 'A'), std::string(200'000, 'B'));
      std::string out;
      byte_writer writer(out);
      std::vector<byte_writer::splice> spliced;
      writer.splice_large_bytes(&spliced, 1000);
      writer.write_int32(0);
      writer.write_bytes("re:");
      writer.write_large(pieces->first);
      writer.write_bytes("middle");
      writer.write_large(pieces->second);
      writer.write_large("small is copied");
      writer.write_bytes("end");
      writer.patch_int32(0,
                         static_cast<std::int32_t>(out.size() + writer.spliced_size_since(0) - 4));
      respond(frame_reply::respond_spliced(std::move(out), std::move(spliced), pieces));
    } else if (frame == "drop") {
      // never answers: the server must notice and close
    } else {
      respond(frame_reply::respond(framed("re:" + frame)));
    }
  }
};

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

  void send_raw(std::string_view data) { ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL); }
  void send_frame(std::string_view body) {
    std::uint32_t n = htonl(static_cast<std::uint32_t>(body.size()));
    std::string data(reinterpret_cast<char*>(&n), 4);
    data += body;
    send_raw(data);
  }
  // The next frame body, or nullopt when the server closed or nothing came in time.
  std::optional<std::string> read_frame() {
    std::uint32_t n;
    if (!read_exact(reinterpret_cast<char*>(&n), 4)) return std::nullopt;
    std::string body(ntohl(n), '\0');
    if (!read_exact(body.data(), body.size())) return std::nullopt;
    return body;
  }
  bool closed_by_peer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool read_exact(char* out, std::size_t n) {
    while (n > 0) {
      auto got = ::recv(fd_, out, n, 0);
      if (got <= 0) return false;
      out += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
};

struct FrameServerTest : ::testing::Test {
  io_runtime runtime{2};
  metrics::registry metrics;
  std::shared_ptr<test_handler> handler = std::make_shared<test_handler>();
  std::unique_ptr<frame_server> server;

  void start(frame_server_options opts = {}) {
    opts.port = 0;
    runtime.start();
    auto s = frame_server::start(runtime, opts, handler, &metrics);
    ASSERT_TRUE(s) << s.err().message();
    server = std::move(*s);
  }
  void TearDown() override {
    server.reset();
    runtime.stop();
  }
};

TEST_F(FrameServerTest, RepliesComeBackInRequestOrder) {
  start();
  client c(server->port());
  c.send_frame("slow-1");
  c.send_frame("fast-2");
  c.send_frame("none");
  c.send_frame("slow-3");
  c.send_frame("fast-4");
  EXPECT_EQ(c.read_frame(), "re:slow-1");
  EXPECT_EQ(c.read_frame(), "re:fast-2");
  EXPECT_EQ(c.read_frame(), "re:slow-3");
  EXPECT_EQ(c.read_frame(), "re:fast-4");
}

TEST_F(FrameServerTest, SplicedPiecesAreSentInPlace) {
  start();
  client c(server->port());
  c.send_frame("splice");
  c.send_frame("after");
  auto reply = c.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_EQ(*reply, "re:" + std::string(300'000, 'A') + "middle" + std::string(200'000, 'B') +
                        "small is copiedend");
  EXPECT_EQ(c.read_frame(), "re:after");
}

TEST_F(FrameServerTest, ManyPipelinedFramesWithBackPressure) {
  frame_server_options opts;
  opts.max_in_flight_per_connection = 4;
  start(opts);
  client c(server->port());
  for (int i = 0; i < 200; ++i)
    c.send_frame(i % 7 == 0 ? "slow" + std::to_string(i) : std::to_string(i));
  for (int i = 0; i < 200; ++i) {
    auto expected = "re:" + (i % 7 == 0 ? "slow" + std::to_string(i) : std::to_string(i));
    ASSERT_EQ(c.read_frame(), expected);
  }
}

TEST_F(FrameServerTest, MemoryBudgetHoldsBackReadsAcrossConnections) {
  frame_server_options opts;
  opts.max_in_flight_bytes = 100;
  start(opts);
  client a(server->port());
  client b(server->port());
  a.send_frame("slow" + std::string(76, 'a'));  // 80 bytes held for ~50 ms
  std::this_thread::sleep_for(10ms);
  auto sent = std::chrono::steady_clock::now();
  b.send_frame("fast" + std::string(76, 'b'));  // does not fit beside it: waits
  auto reply = b.read_frame();
  ASSERT_TRUE(reply);
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 30ms) << "read before room was made";
  EXPECT_EQ(a.read_frame(), "re:slow" + std::string(76, 'a'));
  // A frame larger than the whole budget is still served when nothing else is in flight.
  b.send_frame(std::string(500, 'x'));
  EXPECT_EQ(b.read_frame(), "re:" + std::string(500, 'x'));
}

TEST_F(FrameServerTest, OversizedFrameClosesOnlyThatConnection) {
  frame_server_options opts;
  opts.max_frame_bytes = 1024;
  start(opts);
  client bad(server->port());
  client good(server->port());
  bad.send_raw(std::string("\x00\x10\x00\x00", 4));  // 1 MiB
  EXPECT_TRUE(bad.closed_by_peer());
  good.send_frame("still here");
  EXPECT_EQ(good.read_frame(), "re:still here");
  auto text = metrics.render_prometheus();
  EXPECT_NE(text.find("wharf_listener_protocol_errors_total{listener=\"kafka\"} 1"),
            std::string::npos)
      << text;
}

TEST_F(FrameServerTest, NegativeSizeCloses) {
  start();
  client c(server->port());
  c.send_raw(std::string("\xff\xff\xff\xfe", 4));
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(FrameServerTest, HandlerMayCloseAfterEarlierReplies) {
  start();
  client c(server->port());
  c.send_frame("a");
  c.send_frame("close");
  c.send_frame("b");
  EXPECT_EQ(c.read_frame(), "re:a");
  EXPECT_EQ(c.read_frame(), std::nullopt);
}

TEST_F(FrameServerTest, UnansweredRequestClosesConnection) {
  start();
  client c(server->port());
  c.send_frame("drop");
  EXPECT_EQ(c.read_frame(), std::nullopt);
}

TEST_F(FrameServerTest, IdleConnectionsClose) {
  frame_server_options opts;
  opts.idle_timeout = 200ms;
  start(opts);
  client c(server->port());
  c.send_frame("x");
  EXPECT_EQ(c.read_frame(), "re:x");
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(FrameServerTest, DrainFinishesInFlightThenCloses) {
  start();
  client c(server->port());
  c.send_frame("slow-last");
  std::this_thread::sleep_for(10ms);
  server->stop_accepting();
  auto drained = std::async(
      std::launch::async, [this] { return server->drain(std::chrono::steady_clock::now() + 5s); });
  EXPECT_EQ(c.read_frame(), "re:slow-last");
  EXPECT_TRUE(drained.get());
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(handler->disconnects.load(), handler->connects.load());
}

TEST_F(FrameServerTest, DisconnectsAreReported) {
  start();
  {
    client c(server->port());
    c.send_frame("x");
    EXPECT_EQ(c.read_frame(), "re:x");
  }
  for (int i = 0; i < 100 && handler->disconnects.load() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(handler->disconnects.load(), 1);
  EXPECT_EQ(server->open_connections(), 0u);
}

}  // namespace
}  // namespace wharf::net

namespace wharf::net {
namespace {

TEST(IoRuntimeTimer, RunsOnceOrNeverWhenCancelled) {
  io_runtime runtime{1};
  runtime.start();
  std::promise<void> ran;
  std::atomic<int> count{0};
  runtime.run_after(std::chrono::milliseconds(10), [&] {
    ++count;
    ran.set_value();
  });
  std::atomic<int> cancelled_runs{0};
  auto t = runtime.run_after(std::chrono::milliseconds(50), [&] { ++cancelled_runs; });
  EXPECT_TRUE(t->cancel());
  EXPECT_FALSE(t->cancel());
  EXPECT_EQ(ran.get_future().wait_for(std::chrono::seconds(2)), std::future_status::ready);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(count.load(), 1);
  EXPECT_EQ(cancelled_runs.load(), 0);
  runtime.stop();
}

}  // namespace
}  // namespace wharf::net

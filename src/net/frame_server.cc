#include "net/frame_server.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include <sys/sendfile.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/logging.h"
#include "metrics/registry.h"
#include "net/io_runtime_impl.h"
#include "net/listener_impl.h"

namespace wharf::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using strand_type = asio::strand<asio::io_context::executor_type>;
using tls_stream = asio::ssl::stream<tcp::socket>;

struct server_state;

// The server-wide budget of request bytes in flight. Waiters are served in order.
class byte_budget {
 public:
  explicit byte_budget(std::uint64_t limit) : limit_(limit) {}

  // Takes n now and returns true, or queues `granted` to run once n is available.
  bool acquire_or_wait(std::uint64_t n, std::function<void()> granted) {
    std::lock_guard lock(mutex_);
    if (waiters_.empty() && fits(n)) {
      used_ += n;
      return true;
    }
    waiters_.push_back({n, std::move(granted)});
    return false;
  }

  void release(std::uint64_t n) {
    std::vector<std::function<void()>> wake;
    {
      std::lock_guard lock(mutex_);
      used_ -= std::min(used_, n);
      while (!waiters_.empty() && fits(waiters_.front().first)) {
        used_ += waiters_.front().first;
        wake.push_back(std::move(waiters_.front().second));
        waiters_.pop_front();
      }
    }
    for (auto& fn : wake) fn();
  }

  std::uint64_t used() const {
    std::lock_guard lock(mutex_);
    return used_;
  }

 private:
  bool fits(std::uint64_t n) const { return used_ == 0 || used_ + n <= limit_; }

  mutable std::mutex mutex_;
  std::uint64_t limit_;
  std::uint64_t used_ = 0;
  std::deque<std::pair<std::uint64_t, std::function<void()>>> waiters_;
};

// One connection: a reader coroutine that dispatches frames in order, a writer
// coroutine that sends replies in the same order, and an idle watchdog.
template <typename Stream>
struct connection : std::enable_shared_from_this<connection<Stream>> {
  struct slot {
    std::optional<frame_reply> reply;
    std::uint64_t reserved = 0;  // request bytes held in the server's budget
  };

  connection(std::shared_ptr<server_state> s, strand_type strand, std::unique_ptr<Stream> st)
      : server(std::move(s)),
        executor(strand),
        stream(std::move(st)),
        writer_wake(strand),
        reader_wake(strand),
        watchdog(strand) {}

  std::shared_ptr<server_state> server;
  strand_type executor;
  std::unique_ptr<Stream> stream;
  connection_context context;

  std::deque<slot> pending;     // replies owed, oldest first
  std::uint64_t first_seq = 0;  // sequence number of pending.front()
  std::uint64_t next_seq = 0;
  bool reader_done = false;
  bool closed = false;
  int running_tasks = 1;  // the reader; the writer adds one
  std::function<void()> on_finished;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();

  asio::steady_timer writer_wake;
  asio::steady_timer reader_wake;
  asio::steady_timer watchdog;
  asio::steady_timer budget_wake{executor};

  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return *stream;
    } else {
      return stream->next_layer();
    }
  }

  void release_budget();

  void close() {
    if (closed) return;
    closed = true;
    release_budget();
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
    writer_wake.cancel();
    reader_wake.cancel();
    watchdog.cancel();
    budget_wake.cancel();
  }

  // Runs on the strand when the reader or the writer ends; the last one reports.
  void task_finished() {
    if (--running_tasks == 0 && on_finished) {
      close();
      auto done = std::move(on_finished);
      on_finished = nullptr;
      done();
    }
  }

  // Runs on the strand: stores a reply and wakes the writer.
  void deliver(std::uint64_t seq, frame_reply reply) {
    if (closed || seq < first_seq) return;
    auto index = static_cast<std::size_t>(seq - first_seq);
    if (index >= pending.size()) return;
    pending[index].reply = std::move(reply);
    release_slot(pending[index]);
    writer_wake.cancel();
  }

  void release_slot(slot& s);
};

struct server_state {
  frame_server_options options;
  std::shared_ptr<frame_handler> handler;
  std::shared_ptr<spdlog::logger> log;
  asio::io_context& context;
  tcp::acceptor acceptor;
  std::unique_ptr<asio::ssl::context> tls;
  std::atomic<bool> accepting{true};
  std::atomic<bool> draining{false};
  byte_budget budget{options.max_in_flight_bytes};

  std::mutex mutex;
  std::condition_variable all_closed;
  std::map<std::uint64_t, std::function<void()>> closers;   // connection id -> close on its strand
  std::map<std::uint64_t, std::function<void()>> drainers;  // connection id -> start draining
  std::uint64_t next_id = 0;

  metrics::gauge* open_gauge = nullptr;
  metrics::counter* frames_in = nullptr;
  metrics::counter* bytes_in = nullptr;
  metrics::counter* bytes_out = nullptr;
  metrics::counter* protocol_errors = nullptr;

  server_state(frame_server_options opts, std::shared_ptr<frame_handler> h, asio::io_context& ctx)
      : options(std::move(opts)),
        handler(std::move(h)),
        log(logging::get(options.name)),
        context(ctx),
        acceptor(ctx) {}

  void forget(std::uint64_t id) {
    std::lock_guard lock(mutex);
    closers.erase(id);
    drainers.erase(id);
    if (open_gauge) open_gauge->set(static_cast<double>(closers.size()));
    if (closers.empty()) all_closed.notify_all();
  }
};

template <typename Stream>
void connection<Stream>::release_slot(slot& s) {
  if (s.reserved == 0) return;
  server->budget.release(s.reserved);
  s.reserved = 0;
}

template <typename Stream>
void connection<Stream>::release_budget() {
  for (auto& s : pending) release_slot(s);
}

// Delivers a reply exactly once; a handler that drops its responder closes the
// connection rather than leaving the client waiting forever.
template <typename Stream>
struct responder_guard {
  std::shared_ptr<connection<Stream>> conn;
  std::uint64_t seq;
  std::atomic<bool> done{false};

  void deliver(frame_reply reply) {
    if (done.exchange(true)) return;
    asio::post(conn->executor, [c = conn, s = seq, r = std::move(reply)]() mutable {
      c->deliver(s, std::move(r));
    });
  }
  ~responder_guard() {
    if (!done) {
      conn->server->log->error("a request on {} was never answered; closing the connection",
                               conn->context.remote_address);
      deliver(frame_reply::close_connection());
    }
  }
};

template <typename Stream>
asio::awaitable<void> read_frames(std::shared_ptr<connection<Stream>> conn) {
  auto& state = *conn->server;
  const auto& opts = state.options;
  error_code ec;
  while (!conn->closed && !state.draining) {
    if (conn->pending.size() >= opts.max_in_flight_per_connection) {
      // Back-pressure: stop reading until the writer has sent something.
      conn->reader_wake.expires_at(asio::steady_timer::time_point::max());
      co_await conn->reader_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    std::array<unsigned char, 4> size_bytes{};
    co_await asio::async_read(*conn->stream, asio::buffer(size_bytes),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      conn->close();  // the client is gone: replies still owed go nowhere
      break;
    }
    auto size = static_cast<std::int32_t>((std::uint32_t{size_bytes[0]} << 24) |
                                          (std::uint32_t{size_bytes[1]} << 16) |
                                          (std::uint32_t{size_bytes[2]} << 8) | size_bytes[3]);
    if (size < 0 || static_cast<std::uint32_t>(size) > opts.max_frame_bytes) {
      state.log->warn("closing connection from {}: frame of {} bytes (limit {})",
                      conn->context.remote_address, size, opts.max_frame_bytes);
      if (state.protocol_errors) state.protocol_errors->inc();
      conn->close();
      break;
    }
    // Back-pressure on memory: wait for room in the server-wide budget before reading
    // (and allocating) the body.
    auto reserved = static_cast<std::uint64_t>(size);
    // Exactly one of "granted" and "gave up" happens first; if the reader gave up, the
    // grant releases its bytes at once.
    enum : int { waiting, granted, abandoned };
    auto outcome = std::make_shared<std::atomic<int>>(waiting);
    auto* budget = &state.budget;
    bool admitted = state.budget.acquire_or_wait(reserved, [conn, outcome, budget, reserved] {
      int expected = waiting;
      if (outcome->compare_exchange_strong(expected, granted)) {
        asio::post(conn->executor, [conn] { conn->budget_wake.cancel(); });
      } else {
        budget->release(reserved);
      }
    });
    if (!admitted) {
      conn->budget_wake.expires_at(asio::steady_timer::time_point::max());
      co_await conn->budget_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      int expected = waiting;
      bool gave_up = outcome->compare_exchange_strong(expected, abandoned);
      if (gave_up || conn->closed) {
        // Woken by a close: a grant still to come releases its own bytes; one that
        // already came is released here.
        if (!gave_up) state.budget.release(reserved);
        conn->close();
        break;
      }
    }
    std::string frame(static_cast<std::size_t>(size), '\0');
    co_await asio::async_read(*conn->stream, asio::buffer(frame),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      state.budget.release(reserved);
      conn->close();
      break;
    }
    conn->last_activity = std::chrono::steady_clock::now();
    if (state.frames_in) {
      state.frames_in->inc();
      state.bytes_in->inc(static_cast<double>(size) + 4);
    }
    if (state.draining) {
      state.budget.release(reserved);
      break;
    }

    auto seq = conn->next_seq++;
    conn->pending.emplace_back();
    conn->pending.back().reserved = reserved;
    auto guard = std::make_shared<responder_guard<Stream>>();
    guard->conn = conn;
    guard->seq = seq;
    try {
      state.handler->on_frame(conn->context, std::move(frame),
                              [guard](frame_reply reply) { guard->deliver(std::move(reply)); });
    } catch (const std::exception& e) {
      state.log->error("handler failed on a frame from {}: {}", conn->context.remote_address,
                       e.what());
      guard->deliver(frame_reply::close_connection());
    }
  }
  conn->reader_done = true;
  conn->writer_wake.cancel();
}

// Spliced pieces at least this large that also lie in a file go out with sendfile(2): the
// kernel hands the log's pages to the socket without copying them through user space.
constexpr std::size_t sendfile_min_bytes = 64 * 1024;

// Sends size bytes of fd from offset on a plain TCP socket.
asio::awaitable<error_code> send_file_range(tcp::socket& socket, int fd, std::uint64_t offset,
                                            std::size_t size) {
  error_code ec;
  socket.native_non_blocking(true, ec);
  if (ec) co_return ec;
  auto position = static_cast<off_t>(offset);
  while (size > 0) {
    auto sent = ::sendfile(socket.native_handle(), fd, &position, size);
    if (sent > 0) {
      size -= static_cast<std::size_t>(sent);
    } else if (sent == 0) {
      co_return asio::error::eof;  // the file is shorter than the range
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      co_await socket.async_wait(tcp::socket::wait_write,
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return ec;
    } else if (errno != EINTR) {
      co_return error_code(errno, boost::system::system_category());
    }
  }
  co_return error_code{};
}

// One part of the replies being written: bytes in memory, or a file range.
struct outgoing_piece {
  asio::const_buffer memory;
  int fd = -1;
  std::uint64_t file_offset = 0;
};

template <typename Stream>
asio::awaitable<void> write_replies(std::shared_ptr<connection<Stream>> conn) {
  auto& state = *conn->server;
  error_code ec;
  std::vector<asio::const_buffer> buffers;
  std::vector<outgoing_piece> pieces;
  std::vector<frame_reply> batch;
  while (!conn->closed) {
    // Gather every consecutive ready reply into one write.
    batch.clear();
    bool close_after = false;
    while (!conn->pending.empty() && conn->pending.front().reply) {
      auto reply = std::move(*conn->pending.front().reply);
      conn->pending.pop_front();
      ++conn->first_seq;
      if (reply.action == frame_reply::kind::close) {
        close_after = true;
        break;
      }
      if (reply.action == frame_reply::kind::respond) batch.push_back(std::move(reply));
    }
    if (!batch.empty()) {
      pieces.clear();
      std::size_t total = 0;
      for (const auto& reply : batch) {
        std::size_t from = 0;
        for (const auto& piece : reply.spliced) {
          if (piece.position > from) {
            pieces.push_back({asio::buffer(reply.bytes.data() + from, piece.position - from)});
          }
          pieces.push_back({asio::buffer(piece.bytes.data(), piece.bytes.size())});
          if (std::is_same_v<Stream, tcp::socket> && piece.fd >= 0 &&
              piece.bytes.size() >= sendfile_min_bytes) {
            pieces.back().fd = piece.fd;
            pieces.back().file_offset = piece.file_offset;
          }
          total += piece.bytes.size();
          from = piece.position;
        }
        if (reply.bytes.size() > from) {
          pieces.push_back({asio::buffer(reply.bytes.data() + from, reply.bytes.size() - from)});
        }
        total += reply.bytes.size();
      }
      // Memory pieces go out together in one gathered write; a file range on its own.
      buffers.clear();
      ec = {};
      for (std::size_t i = 0; i <= pieces.size() && !ec; ++i) {
        bool file = i < pieces.size() && pieces[i].fd >= 0;
        if (i < pieces.size() && !file) {
          buffers.push_back(pieces[i].memory);
          continue;
        }
        if (!buffers.empty()) {
          co_await asio::async_write(*conn->stream, buffers,
                                     asio::redirect_error(asio::use_awaitable, ec));
          buffers.clear();
        }
        if constexpr (std::is_same_v<Stream, tcp::socket>) {
          if (file && !ec) {
            ec = co_await send_file_range(*conn->stream, pieces[i].fd, pieces[i].file_offset,
                                          pieces[i].memory.size());
          }
        }
      }
      if (ec) break;
      conn->last_activity = std::chrono::steady_clock::now();
      if (state.bytes_out) state.bytes_out->inc(static_cast<double>(total));
      conn->reader_wake.cancel();  // room for more frames
      continue;
    }
    if (close_after) break;
    if ((conn->reader_done || state.draining) && conn->pending.empty()) break;
    conn->writer_wake.expires_at(asio::steady_timer::time_point::max());
    co_await conn->writer_wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  conn->close();
}

// Closes a connection that has been silent for idle_timeout with nothing in flight.
template <typename Stream>
asio::awaitable<void> watch_idle(std::shared_ptr<connection<Stream>> conn) {
  auto timeout = conn->server->options.idle_timeout;
  error_code ec;
  while (!conn->closed) {
    conn->watchdog.expires_at(conn->last_activity + timeout);
    co_await conn->watchdog.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (conn->closed) break;
    if (std::chrono::steady_clock::now() - conn->last_activity >= timeout &&
        conn->pending.empty()) {
      conn->server->log->debug("closing idle connection from {}", conn->context.remote_address);
      conn->close();
    }
  }
}

template <typename Stream>
asio::awaitable<void> run_connection(std::shared_ptr<connection<Stream>> conn) {
  auto& state = *conn->server;
  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    error_code ec;
    asio::steady_timer handshake_deadline(conn->executor, std::chrono::seconds(10));
    handshake_deadline.async_wait([conn](error_code e) {
      if (!e) conn->close();
    });
    co_await conn->stream->async_handshake(asio::ssl::stream_base::server,
                                           asio::redirect_error(asio::use_awaitable, ec));
    handshake_deadline.cancel();
    if (ec) {
      state.log->debug("TLS handshake with {} failed: {}", conn->context.remote_address,
                       ec.message());
      conn->close();
      co_return;
    }
  }
  state.handler->on_connect(conn->context);
  ++conn->running_tasks;
  asio::co_spawn(conn->executor, write_replies(conn),
                 [conn](std::exception_ptr) { conn->task_finished(); });
  asio::co_spawn(conn->executor, watch_idle(conn), asio::detached);
  co_await read_frames(conn);
}

template <typename Stream>
void launch(std::shared_ptr<server_state> state, strand_type strand, std::unique_ptr<Stream> stream,
            std::uint64_t id, std::string remote, bool secure) {
  auto conn = std::make_shared<connection<Stream>>(state, strand, std::move(stream));
  conn->context.id = id;
  conn->context.remote_address = remote;
  conn->context.listener = state->options.name;
  conn->context.secure = secure;
  {
    std::lock_guard lock(state->mutex);
    std::weak_ptr<connection<Stream>> weak = conn;
    state->closers[id] = [weak] {
      if (auto c = weak.lock()) asio::post(c->executor, [c] { c->close(); });
    };
    state->drainers[id] = [weak] {
      if (auto c = weak.lock()) {
        asio::post(c->executor, [c] {
          // Idle: close now. Busy: the writer closes after the last reply.
          if (c->pending.empty())
            c->close();
          else
            c->writer_wake.cancel();
        });
      }
    };
    if (state->open_gauge) state->open_gauge->set(static_cast<double>(state->closers.size()));
  }
  conn->on_finished = [state, conn, id] {
    state->handler->on_disconnect(conn->context);
    state->forget(id);
  };
  asio::co_spawn(strand, run_connection(conn), [state, conn](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        state->log->error("connection {} failed: {}", conn->context.remote_address, e.what());
      }
      conn->close();
    }
    conn->reader_done = true;
    conn->writer_wake.cancel();
    conn->task_finished();
  });
}

asio::awaitable<void> accept_loop(std::shared_ptr<server_state> state) {
  while (state->accepting) {
    error_code ec;
    auto strand = asio::make_strand(state->context);
    tcp::socket socket(strand);
    co_await state->acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!state->accepting || ec == asio::error::operation_aborted) break;
      state->log->warn("accept failed: {}", ec.message());
      asio::steady_timer pause(state->context, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::string remote = "?";
    if (auto endpoint = socket.remote_endpoint(ec); !ec) {
      remote = fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
    }
    std::uint64_t id;
    {
      std::lock_guard lock(state->mutex);
      if (state->closers.size() >= state->options.max_connections) {
        state->log->warn("refusing connection from {}: {} connections open", remote,
                         state->closers.size());
        socket.close(ec);
        continue;
      }
      id = state->next_id++;
    }
    if (state->tls) {
      launch(state, strand, std::make_unique<tls_stream>(std::move(socket), *state->tls), id,
             remote, true);
    } else {
      launch(state, strand, std::make_unique<tcp::socket>(std::move(socket)), id, remote, false);
    }
  }
}

class frame_server_impl final : public frame_server {
 public:
  frame_server_impl(std::shared_ptr<server_state> state, std::uint16_t port)
      : state_(std::move(state)), port_(port) {}
  ~frame_server_impl() override {
    stop_accepting();
    drain(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }

  std::uint16_t port() const override { return port_; }
  std::string address() const override {
    auto host = state_->options.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return fmt::format("{}:{}", host, port_);
  }
  bool accepting() const override { return state_->accepting; }
  std::size_t open_connections() const override {
    std::lock_guard lock(state_->mutex);
    return state_->closers.size();
  }

  void stop_accepting() override {
    if (!state_->accepting.exchange(false)) return;
    auto state = state_;
    asio::post(state->acceptor.get_executor(), [state] {
      error_code ec;
      state->acceptor.close(ec);
    });
  }

  bool drain(std::chrono::steady_clock::time_point deadline) override {
    state_->draining = true;
    std::unique_lock lock(state_->mutex);
    for (auto& [id, start_draining] : state_->drainers) start_draining();
    bool finished =
        state_->all_closed.wait_until(lock, deadline, [this] { return state_->closers.empty(); });
    if (!finished) {
      state_->log->warn("closing {} connections still busy at the end of the grace period",
                        state_->closers.size());
      for (auto& [id, close] : state_->closers) close();
      state_->all_closed.wait_for(lock, std::chrono::seconds(2),
                                  [this] { return state_->closers.empty(); });
    }
    return finished;
  }

 private:
  std::shared_ptr<server_state> state_;
  std::uint16_t port_;
};

}  // namespace

result<std::unique_ptr<frame_server>> frame_server::start(io_runtime& runtime,
                                                          frame_server_options options,
                                                          std::shared_ptr<frame_handler> handler,
                                                          metrics::registry* metrics) {
  auto& context = runtime.internals().context;
  auto state = std::make_shared<server_state>(std::move(options), std::move(handler), context);
  const auto& opts = state->options;

  if (!opts.tls_cert_file.empty() && !opts.tls_key_file.empty()) {
    WHARF_ASSIGN_OR_RETURN(
        state->tls, make_tls_server_context(opts.name, opts.tls_cert_file, opts.tls_key_file));
  }
  WHARF_ASSIGN_OR_RETURN(auto port,
                         bind_acceptor(state->acceptor, opts.name, opts.host, opts.port));

  if (metrics) {
    state->open_gauge = &metrics
                             ->gauge_family("wharf_listener_open_connections",
                                            "Open connections, by listener.", {"listener"})
                             .with({opts.name});
    state->frames_in = &metrics
                            ->counter_family("wharf_listener_frames_received_total",
                                             "Request frames received, by listener.", {"listener"})
                            .with({opts.name});
    state->bytes_in =
        &metrics
             ->counter_family("wharf_listener_bytes_received_total",
                              "Bytes received including size prefixes, by listener.", {"listener"})
             .with({opts.name});
    state->bytes_out =
        &metrics
             ->counter_family("wharf_listener_bytes_sent_total",
                              "Bytes sent including size prefixes, by listener.", {"listener"})
             .with({opts.name});
    state->protocol_errors =
        &metrics
             ->counter_family("wharf_listener_protocol_errors_total",
                              "Connections closed for a malformed or oversized frame.",
                              {"listener"})
             .with({opts.name});
  }

  asio::co_spawn(context, accept_loop(state), asio::detached);
  return std::unique_ptr<frame_server>(std::make_unique<frame_server_impl>(state, port));
}

}  // namespace wharf::net

#include "http/server.h"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include "base/logging.h"
#include "metrics/registry.h"
#include "net/io_runtime_impl.h"
#include "net/listener_impl.h"

namespace wharf::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// A handler's response travelling back to the connection's coroutine. The responder
// may run on any thread; the coroutine waits on a timer that the responder cancels.
struct pending_reply {
  explicit pending_reply(asio::any_io_executor executor) : wake(std::move(executor)) {
    wake.expires_at(asio::steady_timer::time_point::max());
  }
  std::mutex mutex;
  std::optional<response> value;
  asio::steady_timer wake;
};

// Delivers exactly once; if a handler drops its responder without answering, the
// client still gets a 500 instead of a hung request.
struct reply_guard {
  std::shared_ptr<pending_reply> pending;
  std::atomic<bool> delivered{false};

  void deliver(response res) {
    if (delivered.exchange(true)) return;
    {
      std::lock_guard lock(pending->mutex);
      pending->value = std::move(res);
    }
    asio::post(pending->wake.get_executor(), [p = pending] { p->wake.cancel(); });
  }
  ~reply_guard() {
    if (!delivered) deliver(response::error(500, "the handler did not answer"));
  }
};

// The answer side of one streamed request: written by the handler from any thread,
// drained by the connection's coroutine, which waits on `wake` (and its body reader on
// `resume`). Timers are cancelled on the connection's strand, where the waiters check
// the state first, so no notification is lost.
struct stream_channel {
  explicit stream_channel(asio::any_io_executor executor) : wake(executor), resume(executor) {
    wake.expires_at(asio::steady_timer::time_point::max());
    resume.expires_at(asio::steady_timer::time_point::max());
  }

  std::mutex mutex;
  std::optional<response> whole;
  bool begun = false;
  int status = 200;
  header_list headers;
  std::string pending;  // written, not yet sent
  bool ended = false;
  bool paused = false;
  bool stopped = false;  // the connection is done with this request: drop everything
  asio::steady_timer wake;
  asio::steady_timer resume;

  static void poke(const std::shared_ptr<stream_channel>& self, asio::steady_timer& timer) {
    asio::post(timer.get_executor(), [self, &timer] { timer.cancel(); });
  }
};

// What the handler holds. Dropping it without an answer still answers: 500 before the
// stream began, or the end of the stream after.
class stream_handle final : public body_stream {
 public:
  explicit stream_handle(std::shared_ptr<stream_channel> channel) : ch_(std::move(channel)) {}
  ~stream_handle() override {
    {
      std::lock_guard lock(ch_->mutex);
      if (ch_->whole || ch_->ended) return;
      if (ch_->begun) {
        ch_->ended = true;
      } else {
        ch_->whole = response::error(500, "the handler did not answer");
      }
    }
    stream_channel::poke(ch_, ch_->wake);
  }

  void respond(response res) override {
    {
      std::lock_guard lock(ch_->mutex);
      if (ch_->whole || ch_->begun || ch_->stopped) return;
      ch_->whole = std::move(res);
    }
    stream_channel::poke(ch_, ch_->wake);
  }
  void begin(int status, header_list headers) override {
    std::lock_guard lock(ch_->mutex);
    if (ch_->begun || ch_->whole) return;
    ch_->begun = true;
    ch_->status = status;
    ch_->headers = std::move(headers);
  }
  void write(std::string piece) override {
    {
      std::lock_guard lock(ch_->mutex);
      if (ch_->whole || ch_->ended || ch_->stopped) return;
      ch_->begun = true;
      ch_->pending += piece;
    }
    stream_channel::poke(ch_, ch_->wake);
  }
  void end() override {
    {
      std::lock_guard lock(ch_->mutex);
      if (ch_->whole || ch_->ended) return;
      ch_->begun = true;
      ch_->ended = true;
    }
    stream_channel::poke(ch_, ch_->wake);
  }
  void pause_reading() override {
    std::lock_guard lock(ch_->mutex);
    ch_->paused = true;
  }
  void resume_reading() override {
    {
      std::lock_guard lock(ch_->mutex);
      if (!ch_->paused) return;
      ch_->paused = false;
    }
    stream_channel::poke(ch_, ch_->resume);
  }

 private:
  std::shared_ptr<stream_channel> ch_;
};

// Splits the request target into a decoded path and query parameters. Returns false on
// a target that is not a valid origin-form URI.
bool parse_target(std::string_view target, request& req) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return false;
  // Segment-wise decoding keeps an encoded "/" (%2F) inside one path segment.
  std::string path;
  for (auto seg : parsed->encoded_segments()) {
    path += '/';
    std::string_view raw(seg.data(), seg.size());
    std::string decoded = percent_decode(raw);
    if (decoded.find('/') != std::string::npos) {
      path += std::string(raw);  // keep it encoded; handlers decode further when they need to
    } else {
      path += decoded;
    }
  }
  if (path.empty()) path = "/";
  req.path = std::move(path);
  for (auto param : parsed->params()) {
    req.query.emplace_back(std::string(param.key), param.has_value ? std::string(param.value) : "");
  }
  return true;
}

class server_impl;

// The shared state of one server, kept alive by its accept loop and every connection.
struct server_state {
  server_options options;
  std::shared_ptr<const router> routes;
  std::shared_ptr<spdlog::logger> log;
  asio::io_context& context;
  tcp::acceptor acceptor;
  std::unique_ptr<asio::ssl::context> tls;
  std::atomic<bool> accepting{true};
  std::atomic<bool> draining{false};

  // Open connections: a close function each, and whether a request is in progress.
  struct connection_entry {
    std::function<void()> close;
    bool busy = false;
  };
  std::mutex mutex;
  std::condition_variable all_closed;
  std::map<std::uint64_t, connection_entry> connections;
  std::uint64_t next_connection_id = 0;

  metrics::family<metrics::counter>* requests = nullptr;
  metrics::family<metrics::histogram>* latency = nullptr;
  metrics::gauge* open_gauge = nullptr;

  server_state(server_options opts, std::shared_ptr<const router> r, asio::io_context& ctx)
      : options(std::move(opts)),
        routes(std::move(r)),
        log(logging::get(options.name)),
        context(ctx),
        acceptor(ctx) {}

  void set_busy(std::uint64_t id, bool busy) {
    std::lock_guard lock(mutex);
    if (auto it = connections.find(id); it != connections.end()) it->second.busy = busy;
  }

  void remove_connection(std::uint64_t id) {
    std::lock_guard lock(mutex);
    connections.erase(id);
    if (open_gauge) open_gauge->set(static_cast<double>(connections.size()));
    if (connections.empty()) all_closed.notify_all();
  }
};

template <typename Stream>
auto& lowest_layer(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

// The request line and headers as the handlers see them (no body yet).
request request_head(const bhttp::request<bhttp::string_body>& msg, const std::string& remote,
                     bool secure) {
  request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  req.remote_address = remote;
  req.secure = secure;
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return req;
}

// Our response in Beast's terms; the body is left out for HEAD.
bhttp::response<bhttp::string_body> to_beast(response res, unsigned version, bool keep_alive,
                                             bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  out.reason(std::string(reason_phrase(res.status)));
  out.set(bhttp::field::server, "wharf");
  bool has_type = false;
  for (auto& [name, value] : res.headers) {
    if (beast::iequals(name, "content-type")) has_type = true;
    out.insert(name, value);
  }
  if (!has_type && !res.body.empty()) out.set(bhttp::field::content_type, "application/json");
  out.keep_alive(keep_alive);
  if (head) {
    out.content_length(res.body.size());
  } else {
    out.body() = std::move(res.body);
    out.prepare_payload();
  }
  return out;
}

// Hands the body to the consumer as it arrives, waiting while the handler has paused
// reading. Sets body_done when the whole body was read.
template <typename Stream>
asio::awaitable<void> read_stream_body(std::shared_ptr<server_state> state, Stream& stream,
                                       beast::flat_buffer& buffer,
                                       bhttp::request_parser<bhttp::buffer_body>& parser,
                                       body_consumer& consumer, std::shared_ptr<stream_channel> ch,
                                       bool& body_done) {
  std::vector<char> chunk(64 * 1024);
  error_code ec;
  while (!parser.is_done()) {
    while (true) {
      {
        std::lock_guard lock(ch->mutex);
        if (ch->stopped) co_return;
        if (!ch->paused) break;
      }
      co_await ch->resume.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    lowest_layer(stream).expires_after(state->options.idle_timeout);
    co_await bhttp::async_read_some(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    {
      std::lock_guard lock(ch->mutex);
      if (ch->stopped) co_return;
    }
    if (ec) {
      state->log->debug("streamed request body ended early: {}", ec.message());
      {
        std::lock_guard lock(ch->mutex);
        ch->stopped = true;
      }
      stream_channel::poke(ch, ch->wake);
      co_return;
    }
    auto n = chunk.size() - parser.get().body().size;
    if (n > 0 && consumer.on_data) consumer.on_data(std::string_view(chunk.data(), n));
  }
  body_done = true;
  if (consumer.on_end) consumer.on_end();
}

// Serves one request of a streaming route: its body goes to the handler as it arrives
// while what the handler writes goes back as chunks. Returns the status answered and
// whether the connection can serve another request.
template <typename Stream>
asio::awaitable<std::pair<int, bool>> serve_stream(
    std::shared_ptr<server_state> state, std::shared_ptr<Stream> stream, beast::flat_buffer& buffer,
    bhttp::request_parser<bhttp::string_body>& head_parser, request head,
    const stream_handler& handler) {
  const auto& opts = state->options;
  auto version = head_parser.get().version();
  bool keep_alive = head_parser.get().keep_alive();
  bhttp::request_parser<bhttp::buffer_body> parser{std::move(head_parser)};
  parser.body_limit(boost::none);  // the handler bounds what it holds
  error_code ec;

  auto executor = co_await asio::this_coro::executor;
  auto ch = std::make_shared<stream_channel>(executor);
  body_consumer consumer;
  try {
    consumer = handler(std::move(head), std::make_shared<stream_handle>(ch));
  } catch (const std::exception& e) {
    state->log->error("streaming handler threw: {}", e.what());
    std::lock_guard lock(ch->mutex);
    if (!ch->whole && !ch->begun) ch->whole = state->routes->make_error(500, "internal error");
  }

  bool body_done = parser.is_done();
  bool reader_running = false;
  auto reader_finished = std::make_shared<asio::steady_timer>(executor);
  reader_finished->expires_at(asio::steady_timer::time_point::max());
  auto reader_done = std::make_shared<bool>(false);
  if (!body_done) {
    bool answered_early = false;
    {
      std::lock_guard lock(ch->mutex);
      answered_early = ch->whole.has_value();
    }
    auto expect = parser.get()[bhttp::field::expect];
    if (!answered_early && beast::iequals(expect, "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
      co_await bhttp::async_write(*stream, cont, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return std::pair{499, false};
    }
    if (!answered_early) {
      reader_running = true;
      asio::co_spawn(executor,
                     read_stream_body(state, *stream, buffer, parser, consumer, ch, body_done),
                     [reader_finished, reader_done](std::exception_ptr) {
                       *reader_done = true;
                       reader_finished->cancel();
                     });
    }
  } else if (consumer.on_end) {
    consumer.on_end();
  }

  // Writes what the handler produces until it answers whole, ends, or the client leaves.
  int status = 200;
  bool completed = false;
  bool header_sent = false;
  bool chunked = version >= 11;
  while (true) {
    std::optional<response> whole;
    std::string out;
    bool ended = false;
    bool stopped = false;
    bool send_header = false;
    header_list headers;
    {
      std::lock_guard lock(ch->mutex);
      stopped = ch->stopped;
      if (ch->whole) {
        whole = std::move(ch->whole);
        ch->whole.reset();
      } else if (ch->begun) {
        send_header = !header_sent;
        if (send_header) {
          status = ch->status;
          headers = ch->headers;
        }
        out.swap(ch->pending);
        ended = ch->ended;
      }
    }
    if (!whole && !send_header && out.empty() && !ended) {
      if (stopped) break;
      co_await ch->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    lowest_layer(*stream).expires_after(opts.read_timeout);
    if (whole) {
      status = whole->status;
      // Unread body bytes would be taken for the next request: close instead.
      auto message = to_beast(std::move(*whole), version, keep_alive && body_done, false);
      co_await bhttp::async_write(*stream, message, asio::redirect_error(asio::use_awaitable, ec));
      completed = !ec;
      break;
    }
    if (send_header) {
      header_sent = true;
      bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(status), version};
      res.reason(std::string(reason_phrase(status)));
      res.set(bhttp::field::server, "wharf");
      for (auto& [name, value] : headers) res.insert(name, value);
      res.keep_alive(keep_alive && chunked);
      if (chunked) res.chunked(true);
      bhttp::response_serializer<bhttp::empty_body> serializer{res};
      co_await bhttp::async_write_header(*stream, serializer,
                                         asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    if (!out.empty()) {
      if (chunked) {
        co_await asio::async_write(*stream, bhttp::make_chunk(asio::buffer(out)),
                                   asio::redirect_error(asio::use_awaitable, ec));
      } else {
        co_await asio::async_write(*stream, asio::buffer(out),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) break;
    }
    if (ended) {
      if (chunked) {
        co_await asio::async_write(*stream, bhttp::make_chunk_last(),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      completed = !ec && chunked;
      break;
    }
  }

  // Stop the reader if the answer came before the body's end; then wait for it.
  {
    std::lock_guard lock(ch->mutex);
    ch->stopped = true;
  }
  if (reader_running && !*reader_done) {
    if (!body_done) {
      lowest_layer(*stream).cancel();
      ch->resume.cancel();
    }
    while (!*reader_done) {
      co_await reader_finished->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  if (!body_done && consumer.on_abort) consumer.on_abort();
  co_return std::pair{status, completed && body_done && keep_alive};
}

// Reads requests off one connection and answers them in order until either side closes.
template <typename Stream>
asio::awaitable<void> serve_connection(std::shared_ptr<server_state> state,
                                       std::shared_ptr<Stream> stream, std::uint64_t id,
                                       std::string remote, bool secure) {
  const auto& opts = state->options;
  beast::flat_buffer buffer;
  // Beast reads at most the buffer's free capacity (at least 512 bytes) at a time, and a
  // body is moved out of the buffer as it arrives, so an unreserved buffer reads large
  // bodies 512 bytes per system call (a 250 KB POST took ~15 ms on loopback).
  buffer.reserve(16 * 1024);
  bool first = true;
  error_code ec;

  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    lowest_layer(*stream).expires_after(opts.read_timeout);
    co_await stream->async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      state->log->debug("TLS handshake with {} failed: {}", remote, ec.message());
      co_return;
    }
  }

  while (!state->draining) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(opts.max_body_bytes);

    lowest_layer(*stream).expires_after(first ? opts.read_timeout : opts.idle_timeout);
    co_await bhttp::async_read_header(*stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
    first = false;
    std::optional<response> early_error;
    if (!ec) {
      state->set_busy(id, true);
      auto head = request_head(parser.get(), remote, secure);
      const stream_handler* streaming =
          parse_target(head.target, head) ? state->routes->find_stream(head) : nullptr;
      if (streaming) {
        auto started = std::chrono::steady_clock::now();
        auto method = head.method;
        auto route = head.route;
        auto [status, keep] =
            co_await serve_stream(state, stream, buffer, parser, std::move(head), *streaming);
        auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
        if (state->requests) {
          state->requests->with({opts.name, method, std::to_string(status)}).inc();
          state->latency->with({opts.name, route}).observe(elapsed.count());
        }
        state->set_busy(id, false);
        state->log->debug("{} {} {} -> {} streamed ({:.3f} ms)", remote, method, route, status,
                          elapsed.count() * 1000);
        if (!keep) break;
        continue;
      }
      lowest_layer(*stream).expires_after(opts.read_timeout);
      // curl and others wait for "100 Continue" before sending a large body.
      auto expect = parser.get()[bhttp::field::expect];
      if (beast::iequals(expect, "100-continue") && !parser.is_done()) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
        co_await bhttp::async_write(*stream, cont, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      if (!parser.is_done()) {
        co_await bhttp::async_read(*stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    if (ec) {
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        break;
      }
      if (ec == beast::error::timeout) {
        if (parser.got_some())
          early_error = state->routes->make_error(408, "request timed out");
        else
          break;  // an idle keep-alive connection simply closes
      } else if (ec == bhttp::error::body_limit) {
        early_error = state->routes->make_error(
            413, fmt::format("request body exceeds the limit of {} bytes", opts.max_body_bytes));
      } else if (ec == bhttp::error::header_limit) {
        early_error = state->routes->make_error(
            431,
            fmt::format("request headers exceed the limit of {} bytes", opts.max_header_bytes));
      } else {
        early_error = state->routes->make_error(400, "malformed HTTP request: " + ec.message());
      }
      state->log->debug("closing connection from {} after read error: {}", remote, ec.message());
    }

    auto started = std::chrono::steady_clock::now();
    bool keep_alive = false;
    unsigned version = 11;
    std::string method = "-";
    std::string route = "unmatched";
    response res;
    bool head = false;
    if (early_error) {
      res = std::move(*early_error);
    } else {
      auto& msg = parser.get();
      keep_alive = msg.keep_alive();
      version = msg.version();
      request req = request_head(msg, remote, secure);
      method = req.method;
      head = msg.method() == bhttp::verb::head;
      req.body = std::move(msg.body());
      if (!parse_target(req.target, req)) {
        res = state->routes->make_error(400, "malformed request target");
      } else {
        auto pending = std::make_shared<pending_reply>(co_await asio::this_coro::executor);
        auto guard = std::make_shared<reply_guard>();
        guard->pending = pending;
        try {
          route = state->routes->dispatch(std::move(req),
                                          [guard](response r) { guard->deliver(std::move(r)); });
        } catch (const std::exception& e) {
          state->log->error("handler for {} {} threw: {}", method, msg.target(), e.what());
          guard->deliver(state->routes->make_error(500, "internal error"));
        }
        guard.reset();
        bool ready = false;
        {
          std::lock_guard lock(pending->mutex);
          ready = pending->value.has_value();
        }
        if (!ready) {
          lowest_layer(*stream).expires_never();
          error_code wait_ec;
          co_await pending->wake.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
        }
        std::lock_guard lock(pending->mutex);
        res = std::move(*pending->value);
      }
    }

    bool close_after = !keep_alive || early_error.has_value() || state->draining;
    auto body_size = res.body.size();
    auto status = res.status;
    auto out = to_beast(std::move(res), version, !close_after, head);

    // Counted before the write so a client that has its answer also sees it counted.
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    if (state->requests) {
      state->requests->with({opts.name, method, std::to_string(status)}).inc();
      state->latency->with({opts.name, route}).observe(elapsed.count());
    }
    lowest_layer(*stream).expires_after(opts.read_timeout);
    co_await bhttp::async_write(*stream, out, asio::redirect_error(asio::use_awaitable, ec));
    state->set_busy(id, false);

    state->log->debug("{} {} {} -> {} ({} bytes, {:.3f} ms)", remote, method, route, status,
                      body_size, elapsed.count() * 1000);
    if (ec || close_after) break;
  }

  // Graceful close: TLS close_notify where applicable, then TCP shutdown.
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    lowest_layer(*stream).expires_after(std::chrono::seconds(1));
    co_await stream->async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }
  lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_send, ec);
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
      // Running out of descriptors must not spin the loop.
      asio::steady_timer pause(state->context, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::string remote = "?";
    if (auto endpoint = socket.remote_endpoint(ec); !ec) {
      remote = fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
    }

    std::uint64_t id = 0;
    {
      std::lock_guard lock(state->mutex);
      if (state->connections.size() >= state->options.max_connections) {
        state->log->warn("refusing connection from {}: {} connections open", remote,
                         state->connections.size());
        socket.close(ec);
        continue;
      }
      id = state->next_connection_id++;
    }

    auto on_done = [state, id](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          state->log->error("connection ended with an error: {}", e.what());
        }
      }
      state->remove_connection(id);
    };

    if (state->tls) {
      using tls_stream = beast::ssl_stream<beast::tcp_stream>;
      auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), *state->tls);
      {
        std::lock_guard lock(state->mutex);
        state->connections[id].close = [stream] {
          asio::post(stream->get_executor(),
                     [stream] { beast::get_lowest_layer(*stream).close(); });
        };
        if (state->open_gauge)
          state->open_gauge->set(static_cast<double>(state->connections.size()));
      }
      asio::co_spawn(strand, serve_connection(state, stream, id, remote, true), on_done);
    } else {
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      {
        std::lock_guard lock(state->mutex);
        state->connections[id].close = [stream] {
          asio::post(stream->get_executor(), [stream] { stream->close(); });
        };
        if (state->open_gauge)
          state->open_gauge->set(static_cast<double>(state->connections.size()));
      }
      asio::co_spawn(strand, serve_connection(state, stream, id, remote, false), on_done);
    }
  }
}

class server_impl final : public server {
 public:
  explicit server_impl(std::shared_ptr<server_state> state, std::uint16_t port)
      : state_(std::move(state)), port_(port) {}

  ~server_impl() override {
    stop_accepting();
    drain(std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }

  std::uint16_t port() const override { return port_; }

  std::string url() const override {
    auto host = state_->options.host;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return fmt::format("{}://{}:{}", state_->tls ? "https" : "http", host, port_);
  }

  bool accepting() const override { return state_->accepting; }

  std::size_t open_connections() const override {
    std::lock_guard lock(state_->mutex);
    return state_->connections.size();
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
    for (auto& [id, conn] : state_->connections) {
      if (!conn.busy && conn.close) conn.close();
    }
    // Busy connections close themselves after their current response.
    bool finished = state_->all_closed.wait_until(lock, deadline,
                                                  [this] { return state_->connections.empty(); });
    if (!finished) {
      state_->log->warn("closing {} connections still busy at the end of the grace period",
                        state_->connections.size());
      for (auto& [id, conn] : state_->connections) {
        if (conn.close) conn.close();
      }
      state_->all_closed.wait_for(lock, std::chrono::seconds(2),
                                  [this] { return state_->connections.empty(); });
    }
    return finished;
  }

 private:
  std::shared_ptr<server_state> state_;
  std::uint16_t port_;
};

}  // namespace

result<std::unique_ptr<server>> server::start(net::io_runtime& runtime, server_options options,
                                              std::shared_ptr<const router> routes,
                                              metrics::registry* metrics) {
  auto& context = runtime.internals().context;
  auto state = std::make_shared<server_state>(std::move(options), std::move(routes), context);
  const auto& opts = state->options;

  if (opts.tls.enabled()) {
    WHARF_ASSIGN_OR_RETURN(
        state->tls, net::make_tls_server_context(opts.name, opts.tls.cert_file, opts.tls.key_file));
  }
  WHARF_ASSIGN_OR_RETURN(auto port,
                         net::bind_acceptor(state->acceptor, opts.name, opts.host, opts.port));

  if (metrics) {
    state->requests = &metrics->counter_family(
        "wharf_http_requests_total", "HTTP requests answered, by server, method and status.",
        {"server", "method", "code"});
    state->latency = &metrics->histogram_family(
        "wharf_http_request_duration_seconds",
        "Time from reading an HTTP request to writing its response, by server and route.",
        {"server", "route"});
    state->open_gauge = &metrics
                             ->gauge_family("wharf_http_open_connections",
                                            "Open HTTP connections, by server.", {"server"})
                             .with({opts.name});
  }

  asio::co_spawn(context, accept_loop(state), asio::detached);
  return std::unique_ptr<server>(std::make_unique<server_impl>(state, port));
}

}  // namespace wharf::http

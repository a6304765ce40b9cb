#include "services/rest_proxy/rest_proxy.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <future>

#include "base/logging.h"
#include "metrics/registry.h"
#include "services/rest_proxy/routes.h"

namespace wharf::rest_proxy {

namespace kc = kafka::client;

std::string proxy_context::base_url(const http::request& req) const {
  auto host = req.header("Host");
  return fmt::format("{}://{}", secure ? "https" : "http",
                     host && !host->empty() ? std::string(*host) : listener_address);
}

void add_route(http::router& routes, const std::shared_ptr<proxy_context>& ctx, std::string method,
               std::string pattern, std::string operation, route_handler handler) {
  // Every route says what it needs (authorization.cc), or security would refuse it.
  WHARF_ASSERT(route_access_declared(operation));
  routes.add_async(std::move(method), std::move(pattern),
                   [ctx, operation = std::move(operation), handler = std::move(handler)](
                       http::request&& req, http::responder respond) {
                     if (ctx->security) {
                       auto admitted = ctx->security->admit(req);
                       if (!admitted.ok()) return respond(admitted.err().answer);
                       req.principal = std::move(*admitted);
                       if (auto refused = check_route_access(*ctx, req, operation)) {
                         return respond(std::move(*refused));
                       }
                     }
                     if (ctx->filter) {
                       if (auto answer = ctx->filter(req, operation)) {
                         return respond(std::move(*answer));
                       }
                     }
                     handler(std::move(req), std::move(respond));
                   });
}

namespace {

// Adds headers (CORS) to whatever a streamed answer starts with.
class header_adding_stream final : public http::body_stream {
 public:
  header_adding_stream(std::shared_ptr<http::body_stream> inner, http::header_list extra)
      : inner_(std::move(inner)), extra_(std::move(extra)) {}
  void respond(http::response res) override {
    for (const auto& [name, value] : extra_) res.headers.emplace_back(name, value);
    inner_->respond(std::move(res));
  }
  void begin(int status, http::header_list headers) override {
    for (const auto& h : extra_) headers.push_back(h);
    inner_->begin(status, std::move(headers));
  }
  void write(std::string piece) override { inner_->write(std::move(piece)); }
  void end() override { inner_->end(); }
  void pause_reading() override { inner_->pause_reading(); }
  void resume_reading() override { inner_->resume_reading(); }

 private:
  std::shared_ptr<http::body_stream> inner_;
  http::header_list extra_;
};

}  // namespace

void add_stream_route(http::router& routes, const std::shared_ptr<proxy_context>& ctx,
                      std::string method, std::string pattern, std::string operation,
                      stream_route_handler handler) {
  // Streamed routes get the same checks as the others (add_route), before any body byte.
  WHARF_ASSERT(route_access_declared(operation));
  routes.add_stream(std::move(method), std::move(pattern),
                    [ctx, operation = std::move(operation), handler = std::move(handler)](
                        http::request&& head, std::shared_ptr<http::body_stream> out) {
                      if (ctx->security) {
                        auto cors = ctx->security->cors_headers(head);
                        if (!cors.empty()) {
                          out = std::make_shared<header_adding_stream>(std::move(out),
                                                                       std::move(cors));
                        }
                        auto admitted = ctx->security->admit(head);
                        if (!admitted.ok()) {
                          out->respond(admitted.err().answer);
                          return http::body_consumer{};
                        }
                        head.principal = std::move(*admitted);
                        if (auto refused = check_route_access(*ctx, head, operation)) {
                          out->respond(std::move(*refused));
                          return http::body_consumer{};
                        }
                      }
                      if (ctx->filter) {
                        if (auto answer = ctx->filter(head, operation)) {
                          out->respond(std::move(*answer));
                          return http::body_consumer{};
                        }
                      }
                      return handler(std::move(head), std::move(out));
                    });
}

http::response json_response(int status, const boost::json::value& body, std::string content_type) {
  return http::response::json(status, boost::json::serialize(body), std::move(content_type));
}

http::response no_content() {
  http::response r;
  r.status = 204;
  return r;
}

bool valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
  });
}

std::optional<std::int32_t> parse_partition_id(std::string_view text) {
  std::int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::shared_ptr<http::router> make_router(const std::shared_ptr<proxy_context>& ctx) {
  auto routes = std::make_shared<http::router>();
  add_v2_routes(*routes, ctx);
  add_v3_routes(*routes, ctx);
  // Confluent answers its root with an empty object; clients use it as a ping.
  add_route(*routes, ctx, "GET", "/", "root", [](http::request&&, http::responder respond) {
    respond(http::response::json(200, "{}", "application/vnd.kafka.v2+json"));
  });
  add_route(*routes, ctx, "GET", "/openapi.json", "openapi",
            [](http::request&&, http::responder respond) {
              respond(http::response::json(200, std::string(openapi_document())));
            });
  // Preflights carry no credentials: CORS answers them before any route's security.
  if (ctx->security) ctx->security->install_cors(*routes);
  return routes;
}

namespace {

constexpr auto metadata_refresh_interval = std::chrono::seconds(10);
// How long start-up waits for the first metadata answer, so /healthz is right at once
// when Kafka is up, without holding start-up long when it is not.
constexpr auto first_metadata_wait = std::chrono::seconds(3);

// Refreshes the metadata every few seconds: keeps produce checks cheap and /healthz true
// to the cluster's state. Stops when stopping is set.
void schedule_refresh(std::shared_ptr<proxy_context> ctx,
                      std::shared_ptr<std::atomic<bool>> stopping) {
  auto& workers = ctx->workers();
  workers.post_after(
      std::chrono::duration_cast<std::chrono::milliseconds>(metadata_refresh_interval),
      [ctx = std::move(ctx), stopping = std::move(stopping)]() mutable {
        if (*stopping) return;
        ctx->metadata->refresh([](kc::result<metadata_snapshot>) {});
        schedule_refresh(std::move(ctx), std::move(stopping));
      });
}

class service_impl final : public service {
 public:
  service_impl(std::shared_ptr<proxy_context> ctx, std::unique_ptr<http::server> server)
      : ctx_(std::move(ctx)), server_(std::move(server)) {}

  ~service_impl() override { shutdown(std::chrono::steady_clock::now()); }

  std::string url() const override { return server_->url(); }

  bool ready() const override { return server_->accepting() && ctx_->metadata->reachable(); }

  void stop_accepting() override {
    *stopping_ = true;
    server_->stop_accepting();
  }

  bool shutdown(std::chrono::steady_clock::time_point deadline) override {
    if (shut_down_) return true;
    shut_down_ = true;
    stop_accepting();
    bool clean = server_->drain(deadline);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    ctx_->consumers->close_all(std::max(left, std::chrono::milliseconds(1'000)));
    return clean;
  }

  std::shared_ptr<std::atomic<bool>> stopping() const { return stopping_; }

 private:
  std::shared_ptr<proxy_context> ctx_;
  std::unique_ptr<http::server> server_;
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  bool shut_down_ = false;
};

}  // namespace

result<std::unique_ptr<service>> service::start(net::io_runtime& runtime, service_options options,
                                                kc::cluster& kafka, metrics::registry* metrics) {
  auto ctx = std::shared_ptr<proxy_context>(new proxy_context{
      kafka,
      std::make_shared<metadata_cache>(kafka.admin_client(), kafka.workers(),
                                       options.metadata_max_age),
      std::make_shared<consumer_registry>(kafka, options.consumers),
      std::move(options.filter),
      options.http.tls.enabled(),
      {},
      options.produce,
      options.schema_registry_url.empty()
          ? nullptr
          : std::make_shared<schema_client>(options.schema_registry_url,
                                            options.schema_registry_timeout,
                                            options.schema_registry_authorization),
      options.security});

  auto routes = make_router(ctx);
  WHARF_ASSIGN_OR_RETURN(auto server, http::server::start(runtime, options.http, routes, metrics));
  auto url = server->url();
  ctx->listener_address = url.substr(url.find("://") + 3);

  // The first metadata answer (or a failure) decides readiness from the start.
  auto first = std::make_shared<std::promise<void>>();
  ctx->metadata->refresh([first](kc::result<metadata_snapshot>) { first->set_value(); });
  if (first->get_future().wait_for(first_metadata_wait) != std::future_status::ready) {
    logging::get("rest-proxy")
        ->warn(
            "no answer from the Kafka cluster yet; the REST Proxy reports not ready until "
            "there is one");
  }
  ctx->consumers->start_expiry();

  if (metrics) {
    std::weak_ptr<proxy_context> weak = ctx;
    metrics->add_collector([weak](metrics::sample_sink& sink) {
      auto c = weak.lock();
      if (!c) return;
      sink.sample("wharf_rest_proxy_consumer_instances", metrics::metric_type::gauge,
                  "REST Proxy consumer instances open.", {},
                  static_cast<double>(c->consumers->size()));
      sink.sample("wharf_kafka_producer_in_flight_bytes", metrics::metric_type::gauge,
                  "Record bytes the shared Kafka producer has queued or in flight.", {},
                  static_cast<double>(c->cluster.shared_producer().in_flight_bytes()));
    });
  }

  auto impl = std::make_unique<service_impl>(ctx, std::move(server));
  schedule_refresh(ctx, impl->stopping());
  return std::unique_ptr<service>(std::move(impl));
}

}  // namespace wharf::rest_proxy

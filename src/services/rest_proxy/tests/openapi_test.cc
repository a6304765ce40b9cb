// The OpenAPI document served at GET /openapi.json against the router: every route the
// REST Proxy serves is documented, and every documented operation is served unless it is
// marked "x-wharf-status": "planned" (and then it must not be served yet). The router is
// built over a Kafka client pointed at a closed port: routes are only listed, never run.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <set>
#include <string>

#include "services/rest_proxy/routes.h"

namespace wharf::rest_proxy {
namespace {

namespace bj = boost::json;
namespace kc = kafka::client;

using operation = std::pair<std::string, std::string>;  // METHOD, path

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

struct documented_operations {
  std::set<operation> served;
  std::set<operation> planned;
};

documented_operations read_document() {
  auto doc = bj::parse(openapi_document()).as_object();
  documented_operations out;
  static const std::set<std::string> methods = {"get", "put", "post", "delete", "patch", "head"};
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, op] : item.as_object()) {
      if (!methods.count(std::string(method))) continue;
      const auto* status = op.as_object().if_contains("x-wharf-status");
      bool planned = status && status->is_string() && status->get_string() == "planned";
      (planned ? out.planned : out.served).insert({upper(std::string(method)), std::string(path)});
    }
  }
  return out;
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kc::cluster_options options;
    options.bootstrap_servers = {"127.0.0.1:1"};
    options.worker_threads = 1;
    options.request_timeout = std::chrono::milliseconds(100);
    auto connected = kc::cluster::connect(options);
    ASSERT_TRUE(connected.ok()) << connected.err().message();
    cluster_ = std::move(*connected);
    ctx_ = std::shared_ptr<proxy_context>(new proxy_context{
        *cluster_,
        std::make_shared<metadata_cache>(cluster_->admin_client(), cluster_->workers(),
                                         std::chrono::milliseconds(5'000)),
        std::make_shared<consumer_registry>(*cluster_, consumer_limits{}),
        {},
        false,
        "127.0.0.1:8082"});
  }
  void TearDown() override {
    ctx_.reset();
    if (cluster_) cluster_->shutdown(std::chrono::milliseconds(0));
  }

  std::set<operation> routed() {
    std::set<operation> out;
    for (const auto& r : make_router(ctx_)->list()) out.insert({r.method, r.pattern});
    return out;
  }

  std::unique_ptr<kc::cluster> cluster_;
  std::shared_ptr<proxy_context> ctx_;
};

TEST_F(OpenApiTest, DocumentIsOpenApiJson) {
  auto doc = bj::parse(openapi_document()).as_object();
  EXPECT_EQ(std::string(doc.at("openapi").as_string()).substr(0, 2), "3.");
  EXPECT_TRUE(doc.at("info").as_object().contains("title"));
  EXPECT_TRUE(doc.at("components").as_object().at("schemas").as_object().contains("Error"));
}

TEST_F(OpenApiTest, EveryRouteIsDocumented) {
  auto doc = read_document();
  for (const auto& [method, path] : routed()) {
    EXPECT_TRUE(doc.served.count({method, path}))
        << method << " " << path << " is served but not in openapi.json"
        << (doc.planned.count({method, path}) ? " (it is marked planned: drop the mark)" : "");
  }
}

TEST_F(OpenApiTest, EveryDocumentedOperationIsServed) {
  auto routes = routed();
  auto doc = read_document();
  EXPECT_GE(routes.size(), 40u);
  for (const auto& op : doc.served) {
    EXPECT_TRUE(routes.count(op)) << op.first << " " << op.second
                                  << " is in openapi.json but not served";
  }
  for (const auto& op : doc.planned) {
    EXPECT_FALSE(routes.count(op)) << op.first << " " << op.second << " is marked planned";
  }
}

}  // namespace
}  // namespace wharf::rest_proxy

#include "app/config.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace wharf::app {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(WharfConfig, DefaultsUseTheEcosystemPortsOnLoopback) {
  auto loaded = load_config("", {}, {});
  ASSERT_TRUE(loaded.problems.empty());
  const auto& c = *loaded.values;
  EXPECT_EQ(c.broker.port, 9092);
  EXPECT_EQ(c.admin.port, 8080);
  EXPECT_EQ(c.schema_registry.port, 8081);
  EXPECT_EQ(c.rest_proxy.port, 8082);
  EXPECT_EQ(c.connect.port, 8083);
  for (const auto* host : {&c.broker.host, &c.admin.host, &c.schema_registry.host,
                           &c.rest_proxy.host, &c.connect.host}) {
    EXPECT_EQ(*host, "127.0.0.1");
  }
}

TEST(WharfConfig, PrecedenceIsFileThenEnvironmentThenFlags) {
  auto file = write_temp("wharf-prec.yaml", "admin:\n  port: 9001\nlog:\n  level: debug\n");
  auto loaded =
      load_config(file, {"WHARF_ADMIN_PORT=9002", "WHARF_LOG_FORMAT=json"}, {"admin.port=9003"});
  ASSERT_TRUE(loaded.problems.empty());
  EXPECT_EQ(loaded.values->admin.port, 9003);
  EXPECT_EQ(loaded.values->log.level, "debug");
  EXPECT_EQ(loaded.values->log.format, "json");
}

TEST(WharfConfig, ProblemsNameKeyFileAndLine) {
  auto file = write_temp(
      "wharf-bad.yaml", "admin:\n  port: 70000\nhttp:\n  max_body_size: huge\nbrokr:\n  port: 1\n");
  auto loaded = load_config(file, {}, {});
  ASSERT_EQ(loaded.problems.size(), 3u);
  EXPECT_EQ(loaded.problems[0].describe().rfind(file + ":2: admin.port:", 0), 0u)
      << loaded.problems[0].describe();
  EXPECT_EQ(loaded.problems[1].describe().rfind(file + ":4: http.max_body_size:", 0), 0u)
      << loaded.problems[1].describe();
  EXPECT_EQ(loaded.problems[2].describe().rfind(file + ":5: brokr: unknown key", 0), 0u)
      << loaded.problems[2].describe();
}

TEST(WharfConfig, TlsFilesMustComeTogether) {
  auto loaded = load_config("", {}, {"admin.tls.cert_file=/tmp/cert.pem"});
  EXPECT_EQ(loaded.problems.size(), 1u);
}

TEST(WharfConfig, ReferenceYamlLoadsBack) {
  auto loaded = load_config("", {}, {});
  auto file = write_temp("wharf-ref.yaml", loaded.schema->reference_yaml());
  auto again = load_config(file, {}, {});
  ASSERT_TRUE(again.problems.empty()) << again.problems.front().describe();
}

TEST(WharfConfig, RestProxySecurityFromYaml) {
  auto file = write_temp("wharf-security.yaml", R"(rest_proxy:
  auth:
    enabled: true
    api_keys: ["alice:very-secret-key"]
    rules: ["alice:produce:orders", "alice:consume:events.*"]
    jwt:
      hs256_secret: shared-secret
      clock_skew: 5s
  rate_limit:
    enabled: true
    requests_per_second: 3
  cors:
    allowed_origins: ["*"]
)");
  auto loaded = load_config(file, {}, {});
  ASSERT_TRUE(loaded.problems.empty()) << loaded.problems.front().describe();
  auto options = security_options(loaded.values->rest_proxy.security);
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->authentication);
  EXPECT_EQ(options->jwt.clock_skew, std::chrono::seconds(5));
  EXPECT_EQ(options->default_rate.requests_per_second, 3);
  EXPECT_EQ(options->cors.allowed_origins, std::vector<std::string>{"*"});
  // Secrets never reach `config show`.
  auto shown = loaded.schema->reference_yaml();
  EXPECT_EQ(shown.find("very-secret-key"), std::string::npos);
  EXPECT_EQ(shown.find("shared-secret"), std::string::npos);
  EXPECT_NE(shown.find("alice:produce:orders"), std::string::npos);
}

TEST(WharfConfig, RestProxySecurityProblemsAreReported) {
  for (const auto& flag : std::vector<std::string>{
           "rest_proxy.auth.rules=alice:write:orders", "rest_proxy.auth.enabled=true",
           "rest_proxy.auth.basic_users=bob:md5:abc",
           "rest_proxy.auth.jwt.rs256_public_key_file=/nonexistent/key.pem"}) {
    auto loaded = load_config("", {}, {flag});
    EXPECT_EQ(loaded.problems.size(), 1u) << flag;
  }
}

}  // namespace
}  // namespace wharf::app

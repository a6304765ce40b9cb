#include "base/config.h"

#include <gtest/gtest.h>

namespace wharf::config {
namespace {

struct sample {
  std::string name = "default";
  std::uint16_t port = 8080;
  std::uint64_t size = 1024;
  std::chrono::milliseconds timeout{1000};
  bool enabled = true;
  std::string mode = "a";
  std::vector<std::string> servers;
  int count = 3;
};

struct fixture : ::testing::Test {
  sample values;
  schema s;
  void SetUp() override {
    s.string("service.name", values.name, "name");
    s.port("service.port", values.port, "port");
    s.size("service.buffer", values.size, "size");
    s.duration("service.timeout", values.timeout, "timeout");
    s.boolean("service.enabled", values.enabled, "enabled");
    s.choice("mode", values.mode, {"a", "b"}, "mode");
    s.list("kafka.servers", values.servers, "servers");
    s.integer("service.count", values.count, 1, 10, "count");
  }
};

TEST_F(fixture, EmptyDocumentKeepsDefaults) {
  EXPECT_TRUE(s.load_text("", "x.yaml").empty());
  EXPECT_EQ(values.port, 8080);
  EXPECT_EQ(values.name, "default");
}

TEST_F(fixture, LoadsEveryType) {
  auto problems = s.load_text(R"(
service:
  name: orders
  port: 9000
  buffer: 4MiB
  timeout: 2s
  enabled: false
  count: 7
mode: b
kafka:
  servers: [a:9092, b:9092]
)",
                              "x.yaml");
  ASSERT_TRUE(problems.empty()) << problems.front().describe();
  EXPECT_EQ(values.name, "orders");
  EXPECT_EQ(values.port, 9000);
  EXPECT_EQ(values.size, 4u << 20);
  EXPECT_EQ(values.timeout, std::chrono::milliseconds(2000));
  EXPECT_FALSE(values.enabled);
  EXPECT_EQ(values.count, 7);
  EXPECT_EQ(values.mode, "b");
  EXPECT_EQ(values.servers, (std::vector<std::string>{"a:9092", "b:9092"}));
}

TEST_F(fixture, UnknownKeyNamesKeyFileAndLine) {
  auto problems = s.load_text("service:\n  name: x\n  prot: 80\n", "conf.yaml");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "service.prot");
  EXPECT_EQ(problems[0].where.line, 3);
  auto text = problems[0].describe();
  EXPECT_NE(text.find("conf.yaml:3"), std::string::npos) << text;
  EXPECT_NE(text.find("did you mean 'service.port'"), std::string::npos) << text;
}

TEST_F(fixture, BadValuesAreAllReported) {
  auto problems = s.load_text(
      "service:\n  port: 99999\n  buffer: lots\n  timeout: 5\n  enabled: maybe\nmode: c\n",
      "c.yaml");
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_EQ(problems[0].key, "service.port");
  EXPECT_EQ(problems[0].where.line, 2);
  EXPECT_EQ(problems[1].key, "service.buffer");
  EXPECT_EQ(problems[1].where.line, 3);
  EXPECT_EQ(problems[2].key, "service.timeout");
  EXPECT_EQ(problems[3].key, "service.enabled");
  EXPECT_EQ(problems[4].key, "mode");
  EXPECT_EQ(values.port, 8080) << "a rejected value must not change the option";
}

TEST_F(fixture, SectionGivenAScalarIsAnError) {
  auto problems = s.load_text("service: 5\n", "c.yaml");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "service");
}

TEST_F(fixture, InvalidYamlReportsLine) {
  auto problems = s.load_text("service:\n  name: [unclosed\n", "c.yaml");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_GT(problems[0].where.line, 0);
}

TEST_F(fixture, EnvironmentOverridesFile) {
  ASSERT_TRUE(s.load_text("service:\n  port: 9000\n", "c.yaml").empty());
  auto problems = s.load_environment({"WHARF_SERVICE_PORT=9100", "PATH=/bin", "WHARF_MODE=z"});
  EXPECT_EQ(values.port, 9100);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "mode");
  EXPECT_NE(problems[0].describe().find("WHARF_MODE"), std::string::npos);
}

TEST_F(fixture, SetFlags) {
  EXPECT_TRUE(s.set("service.port=1234").empty());
  EXPECT_EQ(values.port, 1234);
  EXPECT_EQ(s.set("service.port").size(), 1u);
  EXPECT_EQ(s.set("nope=1").size(), 1u);
  EXPECT_EQ(s.set("kafka.servers=x:1, y:2").size(), 0u);
  EXPECT_EQ(values.servers, (std::vector<std::string>{"x:1", "y:2"}));
}

TEST_F(fixture, ReferenceReloadsToSameValues) {
  ASSERT_TRUE(s.set("service.name=with \"quotes\"").empty());
  ASSERT_TRUE(s.set("kafka.servers=a:1,b:2").empty());
  auto yaml = s.reference_yaml();
  sample other;
  schema s2;
  s2.string("service.name", other.name, "name");
  s2.port("service.port", other.port, "port");
  s2.size("service.buffer", other.size, "size");
  s2.duration("service.timeout", other.timeout, "timeout");
  s2.boolean("service.enabled", other.enabled, "enabled");
  s2.choice("mode", other.mode, {"a", "b"}, "mode");
  s2.list("kafka.servers", other.servers, "servers");
  s2.integer("service.count", other.count, 1, 10, "count");
  auto problems = s2.load_text(yaml, "ref.yaml");
  ASSERT_TRUE(problems.empty()) << problems.front().describe() << "\n" << yaml;
  EXPECT_EQ(other.name, values.name);
  EXPECT_EQ(other.servers, values.servers);
}

TEST(Document, YamlSubtreeBecomesJson) {
  std::string functions;
  std::string port = "x";
  schema s;
  s.document("functions", functions, "functions");
  auto problems = s.load_text(R"(
functions:
  orders:
    url: http://127.0.0.1:9000/x
    timeout_s: 30
    ratio: -1.5e3
    quoted: "42"
    enabled: true
    nothing: ~
    runtime: [java, -cp, "a:b", 'it''s']
    text: "line\nbreak \"q\""
)",
                              "f.yaml");
  ASSERT_TRUE(problems.empty()) << problems.front().describe();
  EXPECT_EQ(functions,
            R"({"orders":{"url":"http://127.0.0.1:9000/x","timeout_s":30,"ratio":-1.5e3,)"
            R"("quoted":"42","enabled":true,"nothing":null,"runtime":["java","-cp","a:b",)"
            R"("it's"],"text":"line\nbreak \"q\""}})");
  // From a flag or the environment the value is JSON text already.
  ASSERT_TRUE(s.set(R"(functions={"a":{"exec":["true"]}})").empty());
  EXPECT_EQ(functions, R"({"a":{"exec":["true"]}})");
}

TEST(EnvironmentName, UpperCasesAndJoins) {
  EXPECT_EQ(schema::environment_name("admin.port"), "WHARF_ADMIN_PORT");
  EXPECT_EQ(schema::environment_name("log.max_file_size"), "WHARF_LOG_MAX_FILE_SIZE");
}

}  // namespace
}  // namespace wharf::config

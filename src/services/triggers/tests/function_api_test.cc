// The function API's pure parts: the zip checks (zip-slip, symlinks, sizes), unpacking,
// the config file's function shape, CreateFunction bodies and the stored form.
#include "services/triggers/function_api.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <zip.h>

#include <boost/json/parse.hpp>

#include "base/base64.h"

namespace wharf::triggers {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

struct zip_member {
  std::string name;
  std::string content;
  unsigned unix_mode = 0100644;  // with the file type bits
};

// A zip archive holding members (names taken as they are, `..` and all).
std::string make_zip(const std::vector<zip_member>& members) {
  auto path = fs::temp_directory_path() / ("wharf-zip-test-" + std::to_string(::getpid()) + ".zip");
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  EXPECT_NE(z, nullptr);
  for (const auto& m : members) {
    zip_source_t* src = zip_source_buffer(z, m.content.data(), m.content.size(), 0);
    auto index = zip_file_add(z, m.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    EXPECT_GE(index, 0) << zip_strerror(z);
    zip_file_set_external_attributes(z, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX,
                                     static_cast<zip_uint32_t>(m.unix_mode) << 16);
  }
  EXPECT_EQ(zip_close(z), 0);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  fs::remove(path);
  return bytes.str();
}

std::string error_of(const status& s) { return s.ok() ? "ok" : s.err().message(); }

class UnpackDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("wharf-unpack-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(UnpackDir, UnpacksFilesAndKeepsTheExecutableBit) {
  auto zip = make_zip({{"app.py", "def handler(e, c):\n    return e\n"},
                       {"lib/", "", 040755},
                       {"lib/util.py", "X = 1\n"},
                       {"bootstrap", "#!/bin/sh\n", 0104755}});  // setuid is dropped
  ASSERT_EQ(error_of(check_zip(zip)), "ok");
  auto dir = root_ / "code";
  ASSERT_EQ(error_of(unpack_zip(zip, dir)), "ok");
  std::ifstream util(dir / "lib" / "util.py");
  std::string line;
  std::getline(util, line);
  EXPECT_EQ(line, "X = 1");
  struct stat st {};
  ASSERT_EQ(::stat((dir / "bootstrap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((dir / "app.py").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0111, 0u);
}

TEST_F(UnpackDir, RefusesEntriesLeavingTheDirectory) {
  for (const std::string name :
       {"../evil.py", "a/../../evil.py", "/etc/evil", "\\evil", "a\\..\\..\\evil", "C:/evil"}) {
    auto zip = make_zip({{"ok.py", "1"}, {name, "2"}});
    auto checked = check_zip(zip);
    EXPECT_FALSE(checked.ok()) << name;
    auto dir = root_ / "code";
    EXPECT_FALSE(unpack_zip(zip, dir).ok()) << name;
    EXPECT_FALSE(fs::exists(dir)) << name;  // nothing left behind
    EXPECT_FALSE(fs::exists(root_ / "evil.py"));
  }
}

TEST_F(UnpackDir, RefusesSymlinksAndSpecialFiles) {
  auto link = make_zip({{"link", "/etc/passwd", 0120777}});
  EXPECT_NE(error_of(check_zip(link)).find("symlink"), std::string::npos);
  auto fifo = make_zip({{"pipe", "", 010644}});
  EXPECT_NE(error_of(check_zip(fifo)).find("not a file"), std::string::npos);
  EXPECT_FALSE(unpack_zip(link, root_ / "code").ok());
  EXPECT_FALSE(fs::exists(root_ / "code"));
}

TEST_F(UnpackDir, RefusesArchivesOverTheLimits) {
  auto zip = make_zip({{"big.bin", std::string(100'000, 'x')}});  // compresses well
  zip_limits small;
  small.max_unzipped = 50'000;
  EXPECT_NE(error_of(check_zip(zip, small)).find("Unzipped size"), std::string::npos);
  EXPECT_FALSE(unpack_zip(zip, root_ / "code", small).ok());
  zip_limits tiny;
  tiny.max_zipped = 10;
  EXPECT_NE(error_of(check_zip(zip, tiny)).find("Zipped size"), std::string::npos);
  EXPECT_FALSE(check_zip("not a zip at all").ok());
}

// Not a fuzzer (see the report): corrupted copies of a valid archive are refused or
// unpacked, never crash, and never write outside the directory.
TEST_F(UnpackDir, CorruptedArchivesNeverEscape) {
  auto zip = make_zip({{"app.py", std::string(2000, 'a')},
                       {"lib/x.py", "print(1)\n"},
                       {"bootstrap", "#!/bin/sh\n", 0100755}});
  std::uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (int round = 0; round < 500; ++round) {
    auto bad = zip;
    for (int flips = 1 + static_cast<int>(next() % 4); flips > 0; --flips) {
      bad[next() % bad.size()] = static_cast<char>(next() & 0xff);
    }
    auto dir = root_ / "code";
    (void)check_zip(bad);
    (void)unpack_zip(bad, dir);
    for (const auto& entry : fs::directory_iterator(root_)) {
      EXPECT_EQ(entry.path().filename(), "code") << "round " << round;
    }
    fs::remove_all(dir);
  }
}

TEST(FunctionSpec, ParsesTheConfigFileShape) {
  auto spec = parse_function_spec(
      "orders", bj::parse(R"({"url": "http://127.0.0.1:9/x", "timeout_s": 5, "concurrency": 3,
                    "memory_mb": 256, "environment": {"A": "1", "N": 2}})"),
      "functions.orders");
  ASSERT_TRUE(spec.ok()) << spec.err().message();
  EXPECT_EQ(spec->url, "http://127.0.0.1:9/x");
  EXPECT_EQ(spec->timeout, std::chrono::seconds(5));
  EXPECT_EQ(spec->concurrency, 3);
  EXPECT_EQ(spec->memory_mb, 256);
  EXPECT_EQ(spec->environment.at("N"), "2");

  auto two = parse_function_spec("f", bj::parse(R"({"url": "http://x", "exec": ["true"]})"), "f");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.err().message().find("exactly one"), std::string::npos);
  auto unknown = parse_function_spec("f", bj::parse(R"({"url": "http://x", "cmd": 1})"), "f");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.err().message().find("unknown setting"), std::string::npos);
  EXPECT_FALSE(parse_function_spec("f", bj::parse(R"({"url": "x", "timeout_s": 901})"), "f").ok());
}

TEST(FunctionNames, FollowLambdasRule) {
  EXPECT_TRUE(valid_function_name("my-func_1"));
  EXPECT_FALSE(valid_function_name(""));
  EXPECT_FALSE(valid_function_name("a.b"));
  EXPECT_FALSE(valid_function_name(std::string(65, 'a')));
}

bj::value create_body(const std::string& extra, const std::string& zip) {
  return bj::parse(R"({"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:f",
                       "Role": "arn:aws:iam::000000000000:role/x", )" +
                   extra + R"(, "Code": {"ZipFile": ")" + base64::encode(zip) + R"("}})");
}

TEST(CreateFunction, TakesLambdasShapes) {
  auto zip = make_zip({{"app.py", "def handler(e, c): return 1\n"}});
  auto made = parse_create_function(
      create_body(R"("Runtime": "python3.11", "Handler": "app.handler", "Timeout": 30,
                     "MemorySize": 512, "Environment": {"Variables": {"LEVEL": "debug"}})",
                  zip));
  ASSERT_TRUE(made.ok()) << made.err().text;
  const auto& f = made->function;
  EXPECT_EQ(f.name, "f");  // from the ARN
  EXPECT_EQ(f.timeout_s, 30);
  EXPECT_EQ(f.memory_mb, 512);
  EXPECT_EQ(f.environment.at("LEVEL"), "debug");
  EXPECT_EQ(f.code_sha256, sha256_base64(zip));
  EXPECT_EQ(made->zip, zip);
  EXPECT_TRUE(f.runs_commands());

  auto spec = spec_of(f, "/srv/f");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->runtime,
            (std::vector<std::string>{"python3", "-m", "awslambdaric", "app.handler"}));
  EXPECT_EQ(spec->working_directory, "/srv/f");

  // The stored form round-trips.
  auto back = function_from_stored_json(to_stored_json(f));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(to_stored_json(*back), to_stored_json(f));
}

TEST(CreateFunction, RefusesWhatLambdaRefuses) {
  auto zip = make_zip({{"app.py", "x"}});
  auto error = [&](const std::string& extra, const std::string& z) {
    auto made = parse_create_function(create_body(extra, z));
    return made.ok() ? std::string("ok") : made.err().type + ": " + made.err().text;
  };
  EXPECT_EQ(error(R"("Runtime": "nodejs20.x", "Handler": "a.b")", zip).substr(0, 30),
            "InvalidParameterValueException");
  EXPECT_NE(error(R"("Runtime": "python3.11")", zip).find("Handler"), std::string::npos);
  EXPECT_NE(error(R"("Runtime": "python3.11", "Handler": "a.b", "Timeout": 0)", zip)
                .find("ValidationException"),
            std::string::npos);
  auto slip = make_zip({{"../../x.py", "x"}});
  EXPECT_NE(error(R"("Runtime": "python3.11", "Handler": "a.b")", slip).find("leaves the archive"),
            std::string::npos);
  EXPECT_EQ(error(R"("Runtime": "provided.al2023")", zip), "ok");  // bootstrap needs no Handler
}

TEST(CreateFunction, JavaAndCustomRuntimesRunTheirCommands) {
  stored_function f;
  f.name = "j";
  f.package_runtime = "java21";
  f.handler = "example.Handler::handleRequest";
  auto spec = spec_of(f, "/srv/j");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->runtime[2], "/srv/j:/srv/j/lib/*");
  f.package_runtime = "provided.al2";
  EXPECT_FALSE(spec_of(f, "/nonexistent").ok());  // no executable bootstrap
}

TEST(FunctionConfiguration, AnswersLambdasFields) {
  function_spec spec;
  spec.name = "orders";
  spec.url = "http://x";
  spec.timeout = std::chrono::milliseconds(2500);
  aws_identity aws;
  auto c = function_configuration(spec, nullptr, aws);
  EXPECT_EQ(c.at("FunctionArn").as_string(),
            "arn:aws:lambda:us-east-1:000000000000:function:orders");
  EXPECT_EQ(c.at("Timeout").as_int64(), 3);
  EXPECT_EQ(c.at("State").as_string(), "Active");
  EXPECT_EQ(c.at("Version").as_string(), "$LATEST");
  EXPECT_EQ(c.at("WharfKind").as_string(), "url");
  EXPECT_EQ(c.at("WharfOrigin").as_string(), "config");
  EXPECT_EQ(lambda_time(0.5), "1970-01-01T00:00:00.500+0000");
}

}  // namespace
}  // namespace wharf::triggers

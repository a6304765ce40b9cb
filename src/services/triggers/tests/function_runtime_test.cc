// Runtime API functions with a small Python client of the Lambda Runtime API (urllib):
// responses, errors, timeouts and crashes with restarts, init errors, protocol errors,
// concurrency with one warm process per slot, output to the log and shutdown.
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "net/io_runtime.h"
#include "services/triggers/functions.h"
#include "services/triggers/tests/function_test_support.h"

namespace wharf::triggers {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// Acts on the event's "action": echo (default), sleep, crash, error, probe, huge.
constexpr const char* runtime_client = R"PY(
import json, os, sys, time, urllib.request, urllib.error
base = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
print("runtime client", os.getpid(), "ready", flush=True)
print("to stderr", file=sys.stderr, flush=True)

def post(path, body, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

if os.environ.get("INIT_FAIL"):
    post("/init/error", {"errorMessage": "cannot import", "errorType": "Runtime.ImportModuleError"},
         {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
    time.sleep(30)

while True:
    with urllib.request.urlopen(base + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        headers = {k: r.headers.get(k) for k in ("Lambda-Runtime-Deadline-Ms",
                   "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id")}
        event = json.loads(r.read())
    action = event.get("action", "echo")
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "crash":
        sys.exit(3)
    elif action == "error":
        post("/invocation/%s/error" % rid,
             {"errorMessage": "bad input", "errorType": "ValueError", "stackTrace": ["x"]},
             {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
        continue
    elif action == "probe":
        unknown = post("/invocation/not-an-id/response", {})
        first = post("/invocation/%s/response" % rid, {"probe": True})
        again = post("/invocation/%s/response" % rid, {})
        print(json.dumps({"unknown": unknown, "first": first, "again": again}), flush=True)
        continue
    elif action == "huge":
        status = post("/invocation/%s/response" % rid, b"x" * (7 * 1024 * 1024))
        print("huge answered", status[0], flush=True)
        continue
    env = {k: os.environ.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "_HANDLER", "TZ",
           "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "LAMBDA_TASK_ROOT",
           "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_LOG_GROUP_NAME", "GREETING")}
    status = post("/invocation/%s/response" % rid, {"pid": os.getpid(), "id": rid,
                  "event": event, "env": env, "headers": headers, "cwd": os.getcwd()})
)PY";

struct RuntimeFunctionTest : ::testing::Test {
  net::io_runtime io{2};
  testing::scratch_dir dir;
  std::string script;

  void SetUp() override {
    io.start();
    script = dir.write("runtime_client.py", runtime_client);
  }
  void TearDown() override { io.stop(); }

  function_spec spec_for(const std::string& name) {
    function_spec spec;
    spec.name = name;
    spec.runtime = {"python3", "-u", script};
    spec.handler = "module.handler";
    spec.timeout = 5s;
    spec.working_directory = dir.path();
    return spec;
  }

  std::unique_ptr<function> make(function_spec spec, bool prestart = false) {
    auto made = make_function(std::move(spec), io, prestart);
    EXPECT_TRUE(made.ok()) << made.err().message();
    return std::move(*made);
  }

  static json::object payload_of(const invocation_result& r) {
    EXPECT_TRUE(r.ok()) << r.error_type << ": " << r.error_message;
    boost::system::error_code ec;
    auto value = json::parse(r.payload, ec);
    if (ec || !value.is_object()) return {};
    return value.get_object();
  }

  static std::int64_t pid_of(const invocation_result& r) {
    auto object = payload_of(r);
    return object.contains("pid") ? object["pid"].as_int64() : -1;
  }
};

TEST_F(RuntimeFunctionTest, EventGoesInAndResponseComesBack) {
  auto spec = spec_for("runtime-echo");
  spec.environment["GREETING"] = "hi";
  spec.environment["AWS_REGION"] = "eu-west-1";
  spec.memory_mb = 256;
  auto fn = make(spec);
  auto r = fn->invoke(R"({"records":{"t-0":[]}})", "11111111-2222-3333-4444-555555555555");
  auto payload = payload_of(r);
  ASSERT_FALSE(payload.empty()) << r.payload;
  EXPECT_EQ(payload["id"].as_string(), "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(json::serialize(payload["event"]), R"({"records":{"t-0":[]}})");
  auto& env = payload["env"].as_object();
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"].as_string(), "runtime-echo");
  EXPECT_EQ(env["_HANDLER"].as_string(), "module.handler");
  EXPECT_EQ(env["TZ"].as_string(), ":UTC");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"].as_string(), "$LATEST");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"].as_string(), "256");
  EXPECT_EQ(env["LAMBDA_TASK_ROOT"].as_string(), dir.path());
  EXPECT_EQ(env["AWS_REGION"].as_string(), "eu-west-1");
  EXPECT_EQ(env["AWS_DEFAULT_REGION"].as_string(), "eu-west-1");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_GROUP_NAME"].as_string(), "/aws/lambda/runtime-echo");
  EXPECT_EQ(env["GREETING"].as_string(), "hi");
  EXPECT_EQ(payload["cwd"].as_string(), dir.path());
  auto& headers = payload["headers"].as_object();
  EXPECT_EQ(headers["Lambda-Runtime-Invoked-Function-Arn"].as_string(),
            "arn:aws:lambda:eu-west-1:000000000000:function:runtime-echo");
  EXPECT_TRUE(headers["Lambda-Runtime-Trace-Id"].as_string().starts_with("Root=1-"));
  auto deadline = std::stoll(std::string(headers["Lambda-Runtime-Deadline-Ms"].as_string()));
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_GT(deadline, now_ms);
  EXPECT_LE(deadline, now_ms + 5000);
}

TEST_F(RuntimeFunctionTest, AnInvocationWithoutAnIdGetsOne) {
  auto fn = make(spec_for("runtime-no-id"));
  auto payload = payload_of(fn->invoke("{}", ""));
  ASSERT_TRUE(payload.contains("id"));
  EXPECT_EQ(payload["id"].as_string().size(), 36u);
}

TEST_F(RuntimeFunctionTest, TheProcessStaysWarmBetweenInvocations) {
  auto fn = make(spec_for("runtime-warm"), true);
  auto first = pid_of(fn->invoke("{}", "a"));
  auto second = pid_of(fn->invoke("{}", "b"));
  EXPECT_GT(first, 0);
  EXPECT_EQ(first, second);
}

TEST_F(RuntimeFunctionTest, ReportedErrorIsFunctionErrorAndTheProcessLivesOn) {
  auto fn = make(spec_for("runtime-error"));
  auto before = pid_of(fn->invoke("{}", "a"));
  auto r = fn->invoke(R"({"action":"error"})", "b");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_EQ(r.error_type, "ValueError");
  EXPECT_EQ(r.error_message, "bad input");
  EXPECT_NE(r.payload.find("stackTrace"), std::string::npos);
  EXPECT_EQ(pid_of(fn->invoke("{}", "c")), before);
}

TEST_F(RuntimeFunctionTest, TimeoutKillsTheProcessAndAFreshOneServesNext) {
  auto spec = spec_for("runtime-timeout");
  spec.timeout = 700ms;
  auto fn = make(spec);
  auto before = pid_of(fn->invoke("{}", "a"));
  auto started = std::chrono::steady_clock::now();
  auto r = fn->invoke(R"({"action":"sleep","seconds":20})", "b");
  EXPECT_EQ(r.outcome, invocation_outcome::timed_out);
  EXPECT_EQ(r.error_type, "Sandbox.Timedout");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  auto after = pid_of(fn->invoke("{}", "c"));
  EXPECT_GT(after, 0);
  EXPECT_NE(after, before);
  EXPECT_NE(::kill(static_cast<pid_t>(before), 0), 0);  // killed and reaped
}

TEST_F(RuntimeFunctionTest, CrashFailsTheInvocationAndTheProcessRestarts) {
  auto fn = make(spec_for("runtime-crash"));
  auto before = pid_of(fn->invoke("{}", "a"));
  auto r = fn->invoke(R"({"action":"crash"})", "b");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_NE(r.error_message.find("exit status 3"), std::string::npos) << r.error_message;
  auto after = pid_of(fn->invoke("{}", "c"));
  EXPECT_GT(after, 0);
  EXPECT_NE(after, before);
}

TEST_F(RuntimeFunctionTest, InitErrorFailsTheInvocation) {
  auto spec = spec_for("runtime-init");
  spec.environment["INIT_FAIL"] = "1";
  auto fn = make(spec);
  auto r = fn->invoke("{}", "a");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_EQ(r.error_type, "Runtime.ImportModuleError");
  EXPECT_EQ(r.error_message, "cannot import");
}

TEST_F(RuntimeFunctionTest, ABrokenCommandIsNotRestartedInATightLoop) {
  auto spec = spec_for("runtime-broken");
  spec.runtime = {"sh", "-c", "echo boot-attempt; exit 1"};
  spec.timeout = 2s;
  testing::captured_log log("runtime-broken");
  auto fn = make(spec, true);
  std::this_thread::sleep_for(1500ms);
  auto r = fn->invoke("{}", "a");
  EXPECT_FALSE(r.ok());
  fn->shutdown();
  auto text = log.text();
  std::size_t starts = 0;
  for (auto at = text.find("boot-attempt"); at != std::string::npos;
       at = text.find("boot-attempt", at + 1))
    ++starts;
  // Backoff doubles from 100 ms: a few starts in 1.5 s, not hundreds.
  EXPECT_GE(starts, 2u);
  EXPECT_LE(starts, 10u);
}

TEST_F(RuntimeFunctionTest, MissingCommandFailsToStart) {
  auto spec = spec_for("runtime-missing");
  spec.runtime = {"/nonexistent/bootstrap"};
  auto fn = make(spec);
  auto r = fn->invoke("{}", "a");
  EXPECT_EQ(r.outcome, invocation_outcome::failed_to_start);
}

TEST_F(RuntimeFunctionTest, ProtocolErrorsAreAnsweredAsLambdaDoes) {
  testing::captured_log log("runtime-probe");
  auto fn = make(spec_for("runtime-probe"));
  auto r = fn->invoke(R"({"action":"probe"})", "req-probe");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.payload, R"({"probe": true})");
  // The client prints what the other calls got after its answer went through.
  std::string text;
  for (int i = 0; i < 100 && text.find("again") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
    text = log.text();
  }
  EXPECT_NE(text.find(R"("unknown": [400)"), std::string::npos) << text;
  EXPECT_NE(text.find("InvalidRequestID"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("first": [202)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("again": [403)"), std::string::npos) << text;
}

TEST_F(RuntimeFunctionTest, OversizedResponseIsRefused) {
  auto fn = make(spec_for("runtime-huge"));
  auto r = fn->invoke(R"({"action":"huge"})", "a");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_EQ(r.error_type, "Function.ResponseSizeTooLarge");
}

TEST_F(RuntimeFunctionTest, ConcurrentInvocationsUseOneWarmProcessEach) {
  auto spec = spec_for("runtime-parallel");
  spec.concurrency = 4;
  auto fn = make(spec, true);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::future<invocation_result>> results;
  for (int i = 0; i < 4; ++i) {
    results.push_back(std::async(std::launch::async, [&fn, i] {
      return fn->invoke(R"({"action":"sleep","seconds":1})", "req-" + std::to_string(i));
    }));
  }
  std::set<std::int64_t> pids;
  for (auto& f : results) pids.insert(pid_of(f.get()));
  EXPECT_EQ(pids.size(), 4u);
  EXPECT_FALSE(pids.contains(-1));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3900ms);
}

TEST_F(RuntimeFunctionTest, ProcessOutputGoesToTheLog) {
  testing::captured_log log("runtime-log");
  auto fn = make(spec_for("runtime-log"));
  ASSERT_TRUE(fn->invoke("{}", "a").ok());
  std::string text;
  for (int i = 0; i < 100 && text.find("to stderr") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
    text = log.text();
  }
  EXPECT_NE(text.find("runtime client"), std::string::npos) << text;
  EXPECT_NE(text.find("to stderr\n"), std::string::npos) << text;
}

TEST_F(RuntimeFunctionTest, NoChildOutlivesShutdown) {
  auto spec = spec_for("runtime-reaped");
  spec.concurrency = 3;
  spec.timeout = 500ms;
  auto fn = make(spec, true);
  EXPECT_TRUE(fn->invoke("{}", "a").ok());
  EXPECT_EQ(fn->invoke(R"({"action":"crash"})", "b").outcome, invocation_outcome::function_error);
  EXPECT_EQ(fn->invoke(R"({"action":"sleep","seconds":5})", "c").outcome,
            invocation_outcome::timed_out);
  fn->shutdown();
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(RuntimeFunctionTest, ShutdownKillsWarmProcesses) {
  auto spec = spec_for("runtime-shutdown");
  spec.concurrency = 2;
  auto fn = make(spec);
  auto pid = pid_of(fn->invoke("{}", "a"));
  ASSERT_GT(pid, 0);
  fn->shutdown();
  EXPECT_NE(::kill(static_cast<pid_t>(pid), 0), 0);
  EXPECT_EQ(fn->invoke("{}", "b").outcome, invocation_outcome::failed_to_start);
}

}  // namespace
}  // namespace wharf::triggers

// Command-per-batch functions with small shell scripts: success, failure, timeout,
// large events, environment and concurrency.
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "net/io_runtime.h"
#include "services/triggers/functions.h"
#include "services/triggers/tests/function_test_support.h"

namespace wharf::triggers {
namespace {

using namespace std::chrono_literals;

struct ExecFunctionTest : ::testing::Test {
  net::io_runtime io{1};
  testing::scratch_dir dir;

  void SetUp() override { io.start(); }
  void TearDown() override { io.stop(); }

  std::unique_ptr<function> make(std::vector<std::string> command,
                                 std::chrono::milliseconds timeout = 5s, int concurrency = 1) {
    function_spec spec;
    spec.name = "exec-test";
    spec.exec = std::move(command);
    spec.timeout = timeout;
    spec.concurrency = concurrency;
    auto made = make_function(spec, io);
    EXPECT_TRUE(made.ok()) << made.err().message();
    return std::move(*made);
  }
};

TEST_F(ExecFunctionTest, StdoutOfASuccessfulCommandIsThePayload) {
  auto fn = make({"cat"});
  auto r = fn->invoke(R"({"records":{}})", "req-1");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.payload, R"({"records":{}})");
  EXPECT_GT(r.duration.count(), 0);
}

TEST_F(ExecFunctionTest, NonZeroExitIsFunctionErrorWithStderrTail) {
  auto fn = make({"sh", "-c", "cat >/dev/null; echo first >&2; echo 'bad record' >&2; exit 3"});
  auto r = fn->invoke("{}", "req-2");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_NE(r.error_message.find("bad record"), std::string::npos) << r.error_message;
  EXPECT_NE(r.payload.find("errorMessage"), std::string::npos);
}

TEST_F(ExecFunctionTest, KilledBySignalIsFunctionError) {
  auto fn = make({"sh", "-c", "kill -9 $$"});
  auto r = fn->invoke("{}", "req");
  EXPECT_EQ(r.outcome, invocation_outcome::function_error);
  EXPECT_NE(r.error_message.find("signal 9"), std::string::npos) << r.error_message;
}

TEST_F(ExecFunctionTest, TimeoutKillsTheWholeProcessGroup) {
  auto marker = dir.path() + "/child.pid";
  // The background sleep would hold stdout open if only the shell were killed.
  auto fn = make({"sh", "-c", "sleep 30 & echo $! > " + marker + "; wait"}, 300ms);
  auto started = std::chrono::steady_clock::now();
  auto r = fn->invoke("{}", "req-3");
  EXPECT_EQ(r.outcome, invocation_outcome::timed_out);
  EXPECT_EQ(r.error_type, "Sandbox.Timedout");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  std::ifstream in(marker);
  pid_t child = 0;
  in >> child;
  ASSERT_GT(child, 0);
  // The grandchild is gone too (reaped by init, so give it a moment).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ::kill(child, 0) != 0;
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(gone);
}

TEST_F(ExecFunctionTest, ExitLeavesNoBackgroundProcessHoldingTheResult) {
  auto fn = make({"sh", "-c", "sleep 30 & echo done"}, 10s);
  auto started = std::chrono::steady_clock::now();
  auto r = fn->invoke("{}", "req");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.payload, "done\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(ExecFunctionTest, LargeEventsArriveWhole) {
  auto fn = make({"wc", "-c"});
  std::string event(3'000'000, 'x');
  auto r = fn->invoke(event, "req-4");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(std::stol(r.payload), 3'000'000);
}

TEST_F(ExecFunctionTest, CommandThatIgnoresStdinStillSucceeds) {
  auto fn = make({"echo", "ok"});
  auto r = fn->invoke(std::string(1'000'000, 'y'), "req");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.payload, "ok\n");
}

TEST_F(ExecFunctionTest, MissingCommandFailsToStart) {
  auto fn = make({"/nonexistent/wharf-function"});
  auto r = fn->invoke("{}", "req-5");
  EXPECT_EQ(r.outcome, invocation_outcome::failed_to_start);
}

TEST_F(ExecFunctionTest, EnvironmentAndWorkingDirectoryApply) {
  function_spec spec;
  spec.name = "exec-env";
  spec.exec = {"sh", "-c",
               "echo \"$(pwd) $GREETING $AWS_LAMBDA_FUNCTION_NAME $AWS_LAMBDA_REQUEST_ID\""};
  spec.environment["GREETING"] = "hello";
  spec.working_directory = dir.path();
  auto made = make_function(spec, io);
  ASSERT_TRUE(made.ok()) << made.err().message();
  auto r = (*made)->invoke("{}", "req-6");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.payload, dir.path() + " hello exec-env req-6\n");
}

TEST_F(ExecFunctionTest, WharfSettingsStayOutOfTheEnvironment) {
  ::setenv("WHARF_TEST_SECRET", "hunter2", 1);
  ::setenv("FUNCTION_TEST_VISIBLE", "inherited", 1);
  auto fn = make({"sh", "-c", "echo \"[$WHARF_TEST_SECRET][$FUNCTION_TEST_VISIBLE]\""});
  ::unsetenv("WHARF_TEST_SECRET");
  ::unsetenv("FUNCTION_TEST_VISIBLE");
  auto r = fn->invoke("{}", "req");
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.payload, "[][inherited]\n");
}

TEST_F(ExecFunctionTest, StderrGoesToTheLogLineByLine) {
  testing::captured_log log("exec-log");
  function_spec spec;
  spec.name = "exec-log";
  spec.exec = {"sh", "-c", "echo line-one >&2; printf 'line-two' >&2"};
  auto made = make_function(spec, io);
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE((*made)->invoke("{}", "r").ok());
  auto text = log.text();
  EXPECT_NE(text.find("line-one\n"), std::string::npos) << text;
  EXPECT_NE(text.find("line-two\n"), std::string::npos) << text;
}

TEST_F(ExecFunctionTest, ConcurrentInvocationsRunAtOnce) {
  auto fn = make({"sh", "-c", "sleep 1; echo $$"}, 10s, 3);
  auto started = std::chrono::steady_clock::now();
  std::vector<std::future<invocation_result>> results;
  for (int i = 0; i < 3; ++i) {
    results.push_back(std::async(
        std::launch::async, [&fn, i] { return fn->invoke("{}", "req-" + std::to_string(i)); }));
  }
  std::set<std::string> pids;
  for (auto& f : results) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.error_message;
    pids.insert(r.payload);
  }
  EXPECT_EQ(pids.size(), 3u);
  // Three one-second commands one after another would take three seconds.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2900ms);
}

TEST_F(ExecFunctionTest, ShutdownKillsRunningCommandsAndRefusesNewOnes) {
  auto fn = make({"sleep", "30"}, 60s);
  auto pending = std::async(std::launch::async, [&fn] { return fn->invoke("{}", "req"); });
  std::this_thread::sleep_for(300ms);
  fn->shutdown();
  ASSERT_EQ(pending.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(pending.get().ok());
  EXPECT_EQ(fn->invoke("{}", "late").outcome, invocation_outcome::failed_to_start);
}

TEST_F(ExecFunctionTest, EveryChildIsReaped) {
  auto fn = make({"sh", "-c", "cat; exit 1"}, 200ms, 2);
  fn->invoke("{}", "a");
  auto slow = make({"sleep", "5"}, 100ms);
  slow->invoke("{}", "b");
  // No child of this process is left, zombie or running.
  errno = 0;
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_F(ExecFunctionTest, SpecsAreChecked) {
  function_spec spec;
  spec.name = "bad name";
  spec.exec = {"true"};
  EXPECT_FALSE(make_function(spec, io).ok());
  spec.name = "two-kinds";
  spec.url = "http://127.0.0.1:1/";
  EXPECT_FALSE(make_function(spec, io).ok());
  spec.exec.clear();
  spec.url = "ftp://x";
  EXPECT_FALSE(make_function(spec, io).ok());
  spec.url = "http://127.0.0.1:1/";
  spec.timeout = 0ms;
  EXPECT_FALSE(make_function(spec, io).ok());
  spec.timeout = 1s;
  spec.concurrency = 0;
  EXPECT_FALSE(make_function(spec, io).ok());
  spec.concurrency = 2;
  EXPECT_TRUE(make_function(spec, io).ok());
  spec.url.clear();
  spec.exec = {"true"};
  spec.working_directory = "/nonexistent/dir";
  EXPECT_FALSE(make_function(spec, io).ok());
}

}  // namespace
}  // namespace wharf::triggers

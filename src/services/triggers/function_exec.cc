// Functions run as one command per batch: the event goes to the command's stdin, exit
// status 0 with stdout as the payload is success, anything else is the function's error
// (with the last lines of stderr); past the timeout the whole process group is killed.
// The invoking thread does the I/O itself (poll on the pipes and a pidfd): invoke() is
// blocking by contract and never runs on an I/O thread.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <list>
#include <mutex>

#include <spdlog/spdlog.h>

#include "services/triggers/function_process.h"
#include "services/triggers/function_support.h"

namespace wharf::triggers {

namespace {

using clock = std::chrono::steady_clock;

class exec_function final : public function {
 public:
  explicit exec_function(function_spec spec)
      : spec_(std::move(spec)), pool_(spec_.concurrency), log_(function_logger(spec_)) {
    std::vector<std::pair<std::string, std::string>> overrides = {
        {"AWS_LAMBDA_FUNCTION_NAME", spec_.name},
        {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(spec_.memory_mb)},
        {"AWS_LAMBDA_FUNCTION_TIMEOUT",
         std::to_string(std::chrono::ceil<std::chrono::seconds>(spec_.timeout).count())},
    };
    for (const auto& entry : spec_.environment) overrides.push_back(entry);
    environment_ = build_environment(overrides);
  }

  ~exec_function() override { shutdown(); }

  const function_spec& spec() const override { return spec_; }

  invocation_result invoke(const std::string& event, const std::string& request_id) override {
    auto started = clock::now();
    bool waited = false;
    auto slot = pool_.acquire(&waited);
    if (!slot) {
      return failed_result(invocation_outcome::failed_to_start, "Wharf.FunctionStopped",
                           "the function is shut down");
    }
    slot_lease lease(pool_, *slot);
    auto out = run(event, request_id, started);
    out.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started);
    out.throttled = waited;
    return out;
  }

  void shutdown() override {
    pool_.close();
    std::lock_guard lock(running_mutex_);
    stopped_ = true;
    for (auto* child : running_) child->kill_group();
  }

 private:
  invocation_result run(const std::string& event, const std::string& request_id,
                        clock::time_point started) {
    spawn_request request;
    request.argv = spec_.exec;
    request.environment = environment_;
    request.environment.push_back("AWS_LAMBDA_REQUEST_ID=" + request_id);
    request.working_directory = spec_.working_directory;
    request.pipe_stdin = true;
    auto spawned = child_process::spawn(request);
    if (!spawned) {
      log_->warn("{}", spawned.err().message());
      return failed_result(invocation_outcome::failed_to_start, "Runtime.InvalidEntrypoint",
                           spawned.err().message());
    }
    auto child = std::move(*spawned);
    std::list<child_process*>::iterator registered;
    {
      std::lock_guard lock(running_mutex_);
      if (stopped_) {
        child->kill_group();
      }
      registered = running_.insert(running_.end(), child.get());
    }

    auto deadline = started + spec_.timeout;
    std::string stdout_text;
    std::string stderr_text;
    std::string stderr_chunk;
    bool stdout_too_large = false;
    line_splitter stderr_lines([this](std::string_view line) { log_->info("{}", line); });
    std::size_t written = 0;
    bool exited = false;
    bool timed_out = false;
    if (event.empty()) child->close_stdin();

    while (child->stdout_fd() >= 0 || child->stderr_fd() >= 0 || !exited) {
      auto now = clock::now();
      if (now >= deadline) {
        timed_out = true;
        break;
      }
      std::vector<pollfd> fds;
      auto watch = [&](int fd, short events) {
        if (fd >= 0) fds.push_back(pollfd{fd, events, 0});
      };
      watch(child->stdin_fd(), POLLOUT);
      watch(child->stdout_fd(), POLLIN);
      watch(child->stderr_fd(), POLLIN);
      if (!exited) watch(child->exit_fd(), POLLIN);
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
      // Without a pidfd the exit is noticed by asking now and then.
      if (child->exit_fd() < 0 && !exited) wait = std::min(wait, std::chrono::milliseconds(20));
      int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
      if (ready < 0 && errno != EINTR) break;

      if (child->stdin_fd() >= 0) {
        while (written < event.size()) {
          auto n = ::write(child->stdin_fd(), event.data() + written, event.size() - written);
          if (n > 0) {
            written += static_cast<std::size_t>(n);
          } else if (n < 0 && errno == EINTR) {
            continue;
          } else {
            if (n < 0 && errno != EAGAIN) written = event.size();  // the command stopped reading
            break;
          }
        }
        if (written >= event.size()) child->close_stdin();
      }
      if (child->stdout_fd() >= 0) {
        bool open = read_available(child->stdout_fd(), stdout_text);
        if (stdout_text.size() > max_response_bytes) {
          stdout_too_large = true;
          stdout_text.clear();
          child->kill_group();
        }
        if (!open) child->close_stdout();
      }
      if (child->stderr_fd() >= 0) {
        stderr_chunk.clear();
        bool open = read_available(child->stderr_fd(), stderr_chunk);
        stderr_lines.feed(stderr_chunk);
        stderr_text.append(stderr_chunk);
        // Only the tail is reported; keep a bounded window of it.
        if (stderr_text.size() > 64 * 1024) stderr_text.erase(0, stderr_text.size() - 32 * 1024);
        if (!open) child->close_stderr();
      }
      if (!exited && child->exited()) {
        exited = true;
        // Whatever the command left running would hold our pipes open.
        child->kill_group();
      }
    }
    stderr_lines.finish();
    if (timed_out) child->kill_group();
    int status = child->reap();
    bool stopped = false;
    {
      std::lock_guard lock(running_mutex_);
      running_.erase(registered);
      stopped = stopped_;
    }

    if (timed_out) {
      log_->warn("request {} timed out after {} ms; killed", request_id, spec_.timeout.count());
      return failed_result(invocation_outcome::timed_out, "Sandbox.Timedout",
                           fmt::format("Task timed out after {:.2f} seconds",
                                       std::chrono::duration<double>(spec_.timeout).count()));
    }
    if (stopped) {
      return failed_result(invocation_outcome::failed_to_start, "Wharf.FunctionStopped",
                           "the function is shut down");
    }
    if (stdout_too_large) {
      return failed_result(invocation_outcome::function_error, "Function.ResponseSizeTooLarge",
                           fmt::format("Response payload size exceeded maximum allowed payload "
                                       "size ({} bytes).",
                                       max_response_bytes));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      invocation_result out;
      out.payload = std::move(stdout_text);
      return out;
    }
    auto message = last_lines(stderr_text, 10);
    if (message.empty()) message = child_process::describe_wait_status(status);
    auto out = failed_result(invocation_outcome::function_error, "Runtime.ExitError", message);
    log_->info("request {} failed: {}", request_id, child_process::describe_wait_status(status));
    return out;
  }

  function_spec spec_;
  slot_pool pool_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::string> environment_;
  std::mutex running_mutex_;
  std::list<child_process*> running_;  // killed by shutdown()
  bool stopped_ = false;
};

}  // namespace

result<std::unique_ptr<function>> make_exec_function(function_spec spec) {
  return std::unique_ptr<function>(std::make_unique<exec_function>(std::move(spec)));
}

}  // namespace wharf::triggers

// Child processes of functions: started without a shell in a process group of their own,
// with pipes for their standard streams, and killed as a group so that nothing a
// function started outlives it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wharf::triggers {

struct spawn_request {
  std::vector<std::string> argv;         // argv[0] is looked up in PATH
  std::vector<std::string> environment;  // "NAME=value": the child's whole environment
  std::string working_directory;         // empty: Wharf's own
  bool pipe_stdin = false;               // otherwise stdin is /dev/null
};

class child_process {
 public:
  // Starts the child; fails when the command cannot be executed (not found, not
  // executable, bad working directory).
  static result<std::unique_ptr<child_process>> spawn(const spawn_request& request);

  // Kills the group and reaps the child if nobody did.
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const { return pid_; }
  // Non-blocking pipe ends; -1 once closed.
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  // Readable once the child has exited (a pidfd); -1 where the kernel has none, and then
  // callers poll with a short timeout and ask exited().
  int exit_fd() const { return exit_fd_; }

  void close_stdin();
  void close_stdout();
  void close_stderr();

  // True once the child has exited (it is not reaped by asking).
  bool exited() const;
  // SIGKILL to every process of the group; a no-op once reaped, so a recycled process
  // group id is never hit.
  void kill_group();
  // Kills what is left of the group and waits for the child; returns its wait status.
  int reap();

  // "exit status 1", "signal 9 (Killed)".
  static std::string describe_wait_status(int status);

 private:
  child_process() = default;

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int exit_fd_ = -1;
  mutable std::mutex mutex_;  // orders kill_group against reap
  bool reaped_ = false;
  int wait_status_ = 0;
};

// Cuts a byte stream into lines for the log. A line longer than max_line goes out in
// pieces; finish() hands over an unterminated last line.
class line_splitter {
 public:
  explicit line_splitter(std::function<void(std::string_view)> on_line,
                         std::size_t max_line = 16 * 1024)
      : on_line_(std::move(on_line)), max_line_(max_line) {}
  void feed(std::string_view bytes);
  void finish();
  bool pending() const { return !partial_.empty(); }

 private:
  std::function<void(std::string_view)> on_line_;
  std::size_t max_line_;
  std::string partial_;
};

// Reads what a non-blocking fd holds now into out. Returns false at end of file or on an
// error (the caller closes it), true while it may produce more.
bool read_available(int fd, std::string& out);

// Wharf's own environment (less its WHARF_* settings) as "NAME=value" strings, overlaid
// with overrides.
std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace wharf::triggers

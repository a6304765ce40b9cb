// Process spawning for functions: posix_spawn (no shell, no fork of a big process), a new
// process group, close-on-exec pipes and every other descriptor closed in the child so
// Wharf's sockets never leak into a function.
#include "services/triggers/function_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace wharf::triggers {

namespace {

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
    return static_cast<int>(fd);
  }
#endif
  (void)pid;
  return -1;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Owns the spawn attributes and file actions until the call returns.
struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
};

}  // namespace

result<std::unique_ptr<child_process>> child_process::spawn(const spawn_request& request) {
  if (request.argv.empty() || request.argv[0].empty())
    return make_error(errc::invalid_argument, "empty command");

  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {in_pipe, out_pipe, err_pipe}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
  };
  if ((request.pipe_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) ||
      ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int saved = errno;
    close_all();
    return make_error(errc::io_error, "pipe: {}", std::strerror(saved));
  }

  spawn_setup setup;
  if (request.pipe_stdin) {
    posix_spawn_file_actions_adddup2(&setup.actions, in_pipe[0], STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&setup.actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err_pipe[1], STDERR_FILENO);
  // Asio's sockets are not close-on-exec: close everything above stderr in the child.
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, 3);
  if (!request.working_directory.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, request.working_directory.c_str());
  }

  // A group of its own (killed as one), default signal dispositions (Wharf ignores
  // SIGPIPE; a function should not inherit that) and an empty signal mask.
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGHUP);
  sigaddset(&defaults, SIGCHLD);
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  posix_spawnattr_setflags(&setup.attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&setup.attributes, 0);
  posix_spawnattr_setsigdefault(&setup.attributes, &defaults);
  posix_spawnattr_setsigmask(&setup.attributes, &empty_mask);

  std::vector<char*> argv;
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& entry : request.environment) envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc =
      ::posix_spawnp(&pid, argv[0], &setup.actions, &setup.attributes, argv.data(), envp.data());
  if (rc != 0) {
    close_all();
    return make_error(errc::io_error, "cannot start {}: {}", request.argv[0], std::strerror(rc));
  }

  auto child = std::unique_ptr<child_process>(new child_process());
  child->pid_ = pid;
  close_fd(in_pipe[0]);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  child->stdin_fd_ = in_pipe[1];
  child->stdout_fd_ = out_pipe[0];
  child->stderr_fd_ = err_pipe[0];
  for (int fd : {child->stdin_fd_, child->stdout_fd_, child->stderr_fd_}) {
    if (fd >= 0) set_nonblocking(fd);
  }
  child->exit_fd_ = open_pidfd(pid);
  return child;
}

child_process::~child_process() {
  reap();
  close_stdin();
  close_stdout();
  close_stderr();
  close_fd(exit_fd_);
}

void child_process::close_stdin() { close_fd(stdin_fd_); }
void child_process::close_stdout() { close_fd(stdout_fd_); }
void child_process::close_stderr() { close_fd(stderr_fd_); }

bool child_process::exited() const {
  std::lock_guard lock(mutex_);
  if (reaped_) return true;
  siginfo_t info{};
  // WNOWAIT leaves the child a zombie, so its group id stays ours until reap().
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
    return errno == ECHILD;
  return info.si_pid == pid_;
}

void child_process::kill_group() {
  std::lock_guard lock(mutex_);
  if (!reaped_ && pid_ > 0) ::kill(-pid_, SIGKILL);
}

int child_process::reap() {
  std::lock_guard lock(mutex_);
  if (reaped_ || pid_ <= 0) return wait_status_;
  // The leader may be gone while children it started still hold our pipes.
  ::kill(-pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  wait_status_ = status;
  return status;
}

std::string child_process::describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  return fmt::format("wait status {}", status);
}

void line_splitter::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      partial_.append(bytes);
      while (partial_.size() >= max_line_) {
        on_line_(std::string_view(partial_).substr(0, max_line_));
        partial_.erase(0, max_line_);
      }
      return;
    }
    partial_.append(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
    std::string_view line = partial_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (line.size() > max_line_) {
      on_line_(line.substr(0, max_line_));
      line.remove_prefix(max_line_);
    }
    on_line_(line);
    partial_.clear();
  }
}

void line_splitter::finish() {
  if (!partial_.empty()) on_line_(partial_);
  partial_.clear();
}

bool read_available(int fd, std::string& out) {
  char chunk[65536];
  while (true) {
    auto n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      out.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::vector<std::string> build_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    // Wharf's own settings (credentials among them) are not the function's business.
    if (text.starts_with("WHARF_")) continue;
    merged[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
  }
  for (const auto& [name, value] : overrides) merged[name] = value;
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& [name, value] : merged) out.push_back(name + "=" + value);
  return out;
}

}  // namespace wharf::triggers

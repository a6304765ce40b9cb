// Functions run by a process kept warm that speaks the AWS Lambda Runtime API, so
// unmodified handlers run under AWS's own runtime interface clients (awslambdaric, the
// Java RIC, custom bootstraps). Each concurrency slot has one process and a loopback
// listener of its own (AWS_LAMBDA_RUNTIME_API), so a process only ever sees the
// invocations of its slot. A supervisor thread per slot starts the process, copies its
// output to the log line by line, reaps it and starts it again (with backoff when it
// keeps failing).
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <variant>

#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/uuid.h"
#include "http/router.h"
#include "http/server.h"
#include "services/triggers/function_process.h"
#include "services/triggers/function_support.h"

namespace wharf::triggers {

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Lambda gives a runtime's init phase 10 s: an invocation waits that long (or its own
// timeout, if longer) for a starting process to ask for it.
constexpr auto init_timeout = 10s;
constexpr auto max_backoff = 30s;

constexpr std::string_view api_prefix = "/2018-06-01/runtime";

http::response api_error(int status, std::string_view type, std::string_view message) {
  return http::response::json(status, error_document(type, message));
}

std::string random_hex(std::size_t digits) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(digits, '0');
  for (auto& c : out) c = hex[engine() & 15];
  return out;
}

// X-Ray's trace header shape: Root=1-<epoch seconds hex>-<96 random bits>.
std::string make_trace_id() {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  return fmt::format("Root=1-{:08x}-{};Parent={};Sampled=0", seconds, random_hex(24),
                     random_hex(16));
}

// One invocation handed to a slot; lives on the invoking thread's stack and is reached
// only under the slot's mutex while it is the slot's current invocation.
struct pending_invocation {
  std::string request_id;
  const std::string* event = nullptr;
  bool delivered = false;          // a /next took it
  std::uint64_t delivered_to = 0;  // the generation of the process that took it
  clock::time_point queued_at;
  clock::time_point delivered_at;
  std::optional<invocation_result> result;
};

enum class kill_reason { none, timeout, init_error, shutdown };

struct runtime_slot {
  int index = 0;
  std::unique_ptr<http::server> server;
  std::thread supervisor;

  std::mutex mutex;
  std::condition_variable changed;
  bool stopping = false;
  bool want_process = false;       // keep a process running (set by first use or prestart)
  child_process* child = nullptr;  // owned by the supervisor thread while it runs
  std::uint64_t generation = 0;    // bumped for each process started
  kill_reason killed_for = kill_reason::none;
  int served = 0;  // invocations the current process answered
  int consecutive_failures = 0;
  clock::time_point next_start = clock::time_point::min();
  std::string last_start_error;
  http::responder waiting_next;  // a /next long poll waiting for an event
  pending_invocation* current = nullptr;
  std::string last_request_id;  // the most recent invocation, answered or not
};

class runtime_function final : public function {
 public:
  runtime_function(function_spec spec, std::vector<std::string> environment)
      : spec_(std::move(spec)),
        pool_(spec_.concurrency),
        log_(function_logger(spec_)),
        environment_(std::move(environment)) {
    auto region = spec_.environment.contains("AWS_REGION") ? spec_.environment.at("AWS_REGION")
                                                           : std::string("us-east-1");
    function_arn_ = fmt::format("arn:aws:lambda:{}:000000000000:function:{}", region, spec_.name);
  }

  ~runtime_function() override { shutdown(); }

  status start_listeners(net::io_runtime& runtime) {
    for (int i = 0; i < spec_.concurrency; ++i) {
      auto slot = std::make_shared<runtime_slot>();
      slot->index = i;
      http::server_options options;
      options.name = fmt::format("function.{}.{}", spec_.name, i);
      options.host = "127.0.0.1";
      options.port = 0;
      auto started = http::server::start(runtime, options, make_routes(slot), nullptr);
      if (!started) return started.err().with_context("runtime API listener");
      slot->server = std::move(*started);
      slots_.push_back(std::move(slot));
    }
    return {};
  }

  void prestart() {
    for (auto& slot : slots_) {
      std::lock_guard lock(slot->mutex);
      slot->want_process = true;
      ensure_supervisor(*slot);
    }
  }

  const function_spec& spec() const override { return spec_; }

  invocation_result invoke(const std::string& event, const std::string& request_id) override {
    auto started = clock::now();
    bool waited = false;
    auto index = pool_.acquire(&waited);
    if (!index) {
      return failed_result(invocation_outcome::failed_to_start, "Wharf.FunctionStopped",
                           "the function is shut down");
    }
    slot_lease lease(pool_, *index);
    auto out = run(*slots_[static_cast<std::size_t>(*index)], event, request_id);
    out.duration = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - started);
    out.throttled = waited;
    return out;
  }

  void shutdown() override {
    pool_.close();
    for (auto& slot : slots_) {
      std::lock_guard lock(slot->mutex);
      slot->stopping = true;
      if (slot->child) {
        slot->killed_for = kill_reason::shutdown;
        slot->child->kill_group();
      }
      if (slot->current && !slot->current->result) {
        slot->current->result = failed_result(invocation_outcome::failed_to_start,
                                              "Wharf.FunctionStopped", "the function is shut down");
      }
      if (slot->waiting_next) {
        slot->waiting_next(api_error(500, "Runtime.Unavailable", "the function is shut down"));
        slot->waiting_next = nullptr;
      }
      slot->changed.notify_all();
    }
    for (auto& slot : slots_) {
      if (slot->supervisor.joinable()) slot->supervisor.join();
    }
    for (auto& slot : slots_) {
      if (slot->server) {
        slot->server->stop_accepting();
        slot->server->drain(clock::now() + 1s);
        slot->server.reset();
      }
    }
  }

 private:
  // --- the invoking side --------------------------------------------------------------

  invocation_result run(runtime_slot& slot, const std::string& event,
                        const std::string& request_id) {
    std::unique_lock lock(slot.mutex);
    if (slot.stopping) {
      return failed_result(invocation_outcome::failed_to_start, "Wharf.FunctionStopped",
                           "the function is shut down");
    }
    // A process that keeps failing waits out its backoff; an invocation that could not
    // outlast it fails now instead of waiting for nothing.
    if (!slot.child && slot.next_start > clock::now() + spec_.timeout) {
      return failed_result(invocation_outcome::failed_to_start, "Runtime.Unavailable",
                           fmt::format("the runtime process keeps failing; restarting in {} ms: {}",
                                       std::chrono::duration_cast<std::chrono::milliseconds>(
                                           slot.next_start - clock::now())
                                           .count(),
                                       slot.last_start_error));
    }
    pending_invocation invocation;
    // The Runtime API needs an id to route the answer; callers normally pass one.
    invocation.request_id = request_id.empty() ? random_uuid() : request_id;
    invocation.event = &event;
    invocation.queued_at = clock::now();
    slot.current = &invocation;
    slot.last_request_id = invocation.request_id;
    slot.want_process = true;
    ensure_supervisor(slot);
    if (slot.waiting_next) {
      auto respond = std::move(slot.waiting_next);
      slot.waiting_next = nullptr;
      deliver(slot, respond);
    }
    slot.changed.notify_all();

    while (!invocation.result) {
      auto deadline =
          invocation.delivered
              ? invocation.delivered_at + spec_.timeout
              : invocation.queued_at + std::max<clock::duration>(init_timeout, spec_.timeout);
      if (clock::now() >= deadline) {
        time_out(slot, invocation);
        break;
      }
      slot.changed.wait_until(lock, deadline);
    }
    slot.current = nullptr;
    return std::move(*invocation.result);
  }

  // Called with the slot locked: the process gets a fresh start, the invocation fails.
  void time_out(runtime_slot& slot, pending_invocation& invocation) {
    if (invocation.delivered) {
      log_->warn("request {} timed out after {} ms; killing the runtime process",
                 invocation.request_id, spec_.timeout.count());
      invocation.result =
          failed_result(invocation_outcome::timed_out, "Sandbox.Timedout",
                        fmt::format("Task timed out after {:.2f} seconds",
                                    std::chrono::duration<double>(spec_.timeout).count()));
    } else {
      log_->warn("request {}: the runtime process did not ask for it in time; restarting it",
                 invocation.request_id);
      invocation.result = failed_result(
          invocation_outcome::failed_to_start, "Runtime.Unavailable",
          slot.last_start_error.empty()
              ? std::string("the runtime process did not ask for the invocation in time")
              : slot.last_start_error);
    }
    if (slot.child) {
      slot.killed_for = kill_reason::timeout;
      slot.child->kill_group();
    }
  }

  // Called with the slot locked: answers a /next with the current invocation.
  void deliver(runtime_slot& slot, const http::responder& respond) {
    auto& invocation = *slot.current;
    invocation.delivered = true;
    invocation.delivered_to = slot.generation;
    invocation.delivered_at = clock::now();
    auto deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           (std::chrono::system_clock::now() + spec_.timeout).time_since_epoch())
                           .count();
    auto res = http::response::json(200, *invocation.event);
    res.set_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id);
    res.set_header("Lambda-Runtime-Deadline-Ms", std::to_string(deadline_ms));
    res.set_header("Lambda-Runtime-Invoked-Function-Arn", function_arn_);
    res.set_header("Lambda-Runtime-Trace-Id", make_trace_id());
    respond(std::move(res));
  }

  // --- the Runtime API ----------------------------------------------------------------

  std::shared_ptr<const http::router> make_routes(const std::shared_ptr<runtime_slot>& slot) {
    auto routes = std::make_shared<http::router>();
    std::weak_ptr<runtime_slot> weak = slot;
    routes->set_error_formatter([](int status, std::string_view message) {
      return api_error(status, status == 413 ? "RequestEntityTooLarge" : "InvalidRequest", message);
    });
    routes->add_async("GET", std::string(api_prefix) + "/invocation/next",
                      [this, weak](http::request&&, http::responder respond) {
                        on_next(weak.lock(), std::move(respond));
                      });
    routes->add("POST", std::string(api_prefix) + "/invocation/{id}/response",
                [this, weak](const http::request& req) { return on_response(weak.lock(), req); });
    routes->add("POST", std::string(api_prefix) + "/invocation/{id}/error",
                [this, weak](const http::request& req) { return on_error(weak.lock(), req); });
    routes->add("POST", std::string(api_prefix) + "/init/error",
                [this, weak](const http::request& req) { return on_init_error(weak.lock(), req); });
    return routes;
  }

  void on_next(const std::shared_ptr<runtime_slot>& slot, http::responder respond) {
    if (!slot) return respond(api_error(500, "Runtime.Unavailable", "the function is gone"));
    std::lock_guard lock(slot->mutex);
    if (slot->stopping) {
      return respond(api_error(500, "Runtime.Unavailable", "the function is shut down"));
    }
    if (slot->child && slot->killed_for != kill_reason::none) {
      // Killed but not yet reaped: the next invocation is for its successor.
      return respond(api_error(500, "Runtime.Unavailable", "this runtime process is replaced"));
    }
    auto* current = slot->current;
    if (current && !current->result && current->delivered) {
      // Asking for more without answering the last one: that invocation cannot succeed.
      current->result = failed_result(
          invocation_outcome::function_error, "Runtime.NoResponse",
          fmt::format("the runtime asked for the next invocation without answering {}",
                      current->request_id));
      slot->changed.notify_all();
      current = nullptr;
    }
    if (current && !current->result && !current->delivered) {
      deliver(*slot, respond);
      slot->changed.notify_all();
      return;
    }
    if (slot->waiting_next) {
      slot->waiting_next(
          api_error(400, "InvalidRequest", "another /next request replaced this one"));
    }
    slot->waiting_next = std::move(respond);
  }

  // The invocation a /response or /error names, or the error to answer with.
  std::variant<pending_invocation*, http::response> find_invocation(runtime_slot& slot,
                                                                    const std::string& id) {
    auto* current = slot.current;
    if (current && current->request_id == id && current->delivered && !current->result)
      return current;
    if (id == slot.last_request_id)
      return api_error(403, "InvalidStateTransition",
                       fmt::format("invocation {} has already ended", id));
    return api_error(400, "InvalidRequestID", fmt::format("no invocation with id {}", id));
  }

  http::response on_response(const std::shared_ptr<runtime_slot>& slot, const http::request& req) {
    if (!slot) return api_error(500, "Runtime.Unavailable", "the function is gone");
    std::lock_guard lock(slot->mutex);
    auto found = find_invocation(*slot, req.param("id"));
    if (auto* res = std::get_if<http::response>(&found)) return std::move(*res);
    auto* invocation = std::get<pending_invocation*>(found);
    if (req.body.size() > max_response_bytes) {
      invocation->result = failed_result(
          invocation_outcome::function_error, "Function.ResponseSizeTooLarge",
          fmt::format("Response payload size ({} bytes) exceeded maximum allowed payload size "
                      "({} bytes).",
                      req.body.size(), max_response_bytes));
      slot->changed.notify_all();
      return api_error(
          413, "RequestEntityTooLarge",
          fmt::format("Exceeded maximum allowed payload size ({} bytes).", max_response_bytes));
    }
    invocation_result out;
    out.payload = req.body;
    invocation->result = std::move(out);
    slot->served++;
    slot->changed.notify_all();
    return http::response::json(202, R"({"status":"OK"})");
  }

  http::response on_error(const std::shared_ptr<runtime_slot>& slot, const http::request& req) {
    if (!slot) return api_error(500, "Runtime.Unavailable", "the function is gone");
    std::lock_guard lock(slot->mutex);
    auto found = find_invocation(*slot, req.param("id"));
    if (auto* res = std::get_if<http::response>(&found)) return std::move(*res);
    auto* invocation = std::get<pending_invocation*>(found);
    invocation->result = reported_error(req);
    slot->served++;
    slot->changed.notify_all();
    return http::response::json(202, R"({"status":"OK"})");
  }

  http::response on_init_error(const std::shared_ptr<runtime_slot>& slot,
                               const http::request& req) {
    if (!slot) return api_error(500, "Runtime.Unavailable", "the function is gone");
    std::lock_guard lock(slot->mutex);
    auto reported = reported_error(req);
    log_->warn("runtime process failed to initialise: {}: {}", reported.error_type,
               reported.error_message);
    slot->last_start_error = fmt::format("{}: {}", reported.error_type, reported.error_message);
    if (slot->current && !slot->current->result) {
      slot->current->result = std::move(reported);
      slot->changed.notify_all();
    }
    // Lambda discards an environment whose init failed; so do we.
    if (slot->child) {
      slot->killed_for = kill_reason::init_error;
      slot->child->kill_group();
    }
    return http::response::json(202, R"({"status":"OK"})");
  }

  // A function error from the body ({errorMessage, errorType, stackTrace}) and the
  // Lambda-Runtime-Function-Error-Type header.
  invocation_result reported_error(const http::request& req) {
    invocation_result out;
    out.outcome = invocation_outcome::function_error;
    boost::system::error_code ec;
    auto value = boost::json::parse(req.body, ec);
    if (!ec && value.is_object()) {
      const auto& object = value.get_object();
      if (const auto* type = object.if_contains("errorType"); type && type->is_string())
        out.error_type = std::string(type->get_string());
      if (const auto* message = object.if_contains("errorMessage"); message && message->is_string())
        out.error_message = std::string(message->get_string());
      out.payload = req.body;
    }
    if (out.error_type.empty()) {
      auto header = req.header("Lambda-Runtime-Function-Error-Type");
      out.error_type = header && !header->empty() ? std::string(*header) : "Unhandled";
    }
    if (out.payload.empty()) {
      if (out.error_message.empty()) out.error_message = last_lines(req.body, 10, 1024);
      out.payload = error_document(out.error_type, out.error_message);
    }
    return out;
  }

  // --- the supervisor -----------------------------------------------------------------

  // Called with the slot locked.
  void ensure_supervisor(runtime_slot& slot) {
    if (slot.supervisor.joinable()) return;
    slot.supervisor = std::thread([this, &slot] { supervise(slot); });
  }

  std::vector<std::string> process_environment(const runtime_slot& slot) const {
    auto env = environment_;
    env.push_back(fmt::format("AWS_LAMBDA_RUNTIME_API=127.0.0.1:{}", slot.server->port()));
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    env.push_back(fmt::format("AWS_LAMBDA_LOG_STREAM_NAME={:04}/{:02}/{:02}/[$LATEST]{}",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, random_hex(32)));
    return env;
  }

  void supervise(runtime_slot& slot) {
    std::unique_lock lock(slot.mutex);
    while (!slot.stopping) {
      slot.changed.wait(lock, [&] { return slot.stopping || slot.want_process; });
      if (slot.stopping) break;
      if (clock::now() < slot.next_start) {
        slot.changed.wait_until(lock, slot.next_start, [&] { return slot.stopping; });
        continue;
      }

      spawn_request request;
      request.argv = spec_.runtime;
      request.environment = process_environment(slot);
      request.working_directory = spec_.working_directory;
      lock.unlock();
      auto spawned = child_process::spawn(request);
      lock.lock();
      if (!spawned) {
        fail_start(slot, spawned.err().message());
        continue;
      }
      auto child = std::move(*spawned);
      slot.child = child.get();
      slot.generation++;
      slot.served = 0;
      slot.killed_for = kill_reason::none;
      if (slot.stopping) child->kill_group();
      log_->debug("runtime process {} started in slot {}", child->pid(), slot.index);

      lock.unlock();
      pump_output(*child);
      int status = child->reap();
      lock.lock();
      ended(slot, child->pid(), status);
      slot.child = nullptr;
    }
  }

  // Called with the slot locked.
  void fail_start(runtime_slot& slot, const std::string& message) {
    log_->warn("cannot start the runtime process: {}", message);
    slot.last_start_error = message;
    slot.consecutive_failures++;
    slot.next_start = clock::now() + backoff(slot.consecutive_failures);
    // Nothing to keep warm: the next invocation asks for a process again.
    slot.want_process = false;
    if (slot.current && !slot.current->result) {
      slot.current->result =
          failed_result(invocation_outcome::failed_to_start, "Runtime.InvalidEntrypoint", message);
      slot.changed.notify_all();
    }
  }

  // Called with the slot locked, once the process is reaped.
  void ended(runtime_slot& slot, pid_t pid, int status) {
    auto how = child_process::describe_wait_status(status);
    if (slot.waiting_next) {
      slot.waiting_next(api_error(500, "Runtime.Unavailable", "the runtime process ended"));
      slot.waiting_next = nullptr;
    }
    // The process fails the invocation it had; one still waiting for a process fails too
    // when this one died by itself (so a broken command fails fast), but not when we
    // killed it and a fresh process is about to take over.
    auto* current = slot.current;
    bool its_invocation = current && !current->result &&
                          (current->delivered ? current->delivered_to == slot.generation
                                              : slot.killed_for == kill_reason::none);
    if (its_invocation) {
      auto message = fmt::format("RequestId: {} Error: Runtime exited with error: {}",
                                 slot.current->request_id, how);
      slot.current->result =
          failed_result(invocation_outcome::function_error, "Runtime.ExitError", message);
      slot.changed.notify_all();
    }
    switch (slot.killed_for) {
      case kill_reason::shutdown: return;
      case kill_reason::timeout: slot.consecutive_failures = 1; break;
      default:
        if (slot.killed_for == kill_reason::none)
          slot.last_start_error = fmt::format("the runtime process exited: {}", how);
        // A process that answered something is not broken: restart it at once.
        slot.consecutive_failures = slot.served > 0 ? 1 : slot.consecutive_failures + 1;
    }
    auto delay = backoff(slot.consecutive_failures);
    slot.next_start = clock::now() + delay;
    log_->info("runtime process {} in slot {} ended ({}); restarting in {} ms", pid, slot.index,
               how, std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
  }

  static clock::duration backoff(int consecutive_failures) {
    if (consecutive_failures <= 1) return clock::duration::zero();
    auto delay = std::chrono::milliseconds(100L << std::min(consecutive_failures - 2, 10));
    return std::min<clock::duration>(delay, max_backoff);
  }

  // Copies the process's stdout and stderr to the log until it exits.
  void pump_output(child_process& child) {
    auto log_line = [this](std::string_view line) {
      // Lambda's runtimes join a multi-line entry (a stack trace) with '\r', which a
      // terminal would draw over itself.
      if (line.find('\r') == std::string_view::npos) return log_->info("{}", line);
      std::string copy(line);
      std::replace(copy.begin(), copy.end(), '\r', '\n');
      log_->info("{}", copy);
    };
    line_splitter out_lines(log_line);
    line_splitter err_lines(log_line);
    std::string chunk;
    auto drain = [&](bool is_stdout) {
      int fd = is_stdout ? child.stdout_fd() : child.stderr_fd();
      if (fd < 0) return;
      chunk.clear();
      bool open = read_available(fd, chunk);
      (is_stdout ? out_lines : err_lines).feed(chunk);
      if (!open) is_stdout ? child.close_stdout() : child.close_stderr();
    };
    bool exited = false;
    while (!exited) {
      std::vector<pollfd> fds;
      if (child.stdout_fd() >= 0) fds.push_back({child.stdout_fd(), POLLIN, 0});
      if (child.stderr_fd() >= 0) fds.push_back({child.stderr_fd(), POLLIN, 0});
      if (child.exit_fd() >= 0) fds.push_back({child.exit_fd(), POLLIN, 0});
      int wait_ms = child.exit_fd() >= 0 ? 1000 : 50;
      // A line without its newline (Java's LambdaLogger.log) goes out once output pauses.
      if (out_lines.pending() || err_lines.pending()) wait_ms = std::min(wait_ms, 200);
      if (::poll(fds.data(), fds.size(), wait_ms) == 0) {
        out_lines.finish();
        err_lines.finish();
      }
      drain(true);
      drain(false);
      exited = child.exited();
    }
    // Whatever the process left behind would keep the pipes open.
    child.kill_group();
    drain(true);
    drain(false);
    out_lines.finish();
    err_lines.finish();
  }

  function_spec spec_;
  slot_pool pool_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::string> environment_;
  std::string function_arn_;
  std::vector<std::shared_ptr<runtime_slot>> slots_;
};

}  // namespace

result<std::unique_ptr<function>> make_runtime_function(function_spec spec,
                                                        net::io_runtime& runtime, bool prestart) {
  std::error_code ec;
  auto task_root = spec.working_directory.empty()
                       ? std::filesystem::current_path(ec)
                       : std::filesystem::absolute(spec.working_directory, ec);
  auto region = spec.environment.contains("AWS_REGION") ? spec.environment.at("AWS_REGION")
                                                        : std::string("us-east-1");
  // The variables Lambda defines for a function's runtime; the spec's own come after, so
  // they may set the region or anything else except the Runtime API's address.
  std::vector<std::pair<std::string, std::string>> overrides = {
      {"_HANDLER", spec.handler},
      {"AWS_LAMBDA_FUNCTION_NAME", spec.name},
      {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(spec.memory_mb)},
      {"AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + spec.name},
      {"AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"},
      {"AWS_REGION", region},
      {"AWS_DEFAULT_REGION", region},
      {"AWS_EXECUTION_ENV", "AWS_Lambda_wharf"},
      {"LAMBDA_TASK_ROOT", task_root.string()},
      {"LAMBDA_RUNTIME_DIR", task_root.string()},
      {"TZ", ":UTC"},
  };
  for (const auto& entry : spec.environment) {
    if (entry.first != "AWS_LAMBDA_RUNTIME_API" && entry.first != "AWS_LAMBDA_LOG_STREAM_NAME")
      overrides.push_back(entry);
  }
  std::vector<std::string> environment;
  for (auto& entry : build_environment(overrides)) {
    // Set per process: the slot's own listener, a log stream per process.
    if (entry.starts_with("AWS_LAMBDA_RUNTIME_API=") ||
        entry.starts_with("AWS_LAMBDA_LOG_STREAM_NAME="))
      continue;
    environment.push_back(std::move(entry));
  }
  auto fn = std::make_unique<runtime_function>(std::move(spec), std::move(environment));
  WHARF_RETURN_IF_ERROR(fn->start_listeners(runtime));
  if (prestart) fn->prestart();
  return std::unique_ptr<function>(std::move(fn));
}

}  // namespace wharf::triggers

// Functions the triggers invoke, in three kinds: an HTTP endpoint that takes the event as
// a POST (as the Lambda Runtime Interface Emulator does), a process kept warm that speaks
// the AWS Lambda Runtime API (so unmodified handlers run under the official runtime
// interface clients), and a command run once per batch with the event on stdin.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace wharf::net {
class io_runtime;
}

namespace wharf::triggers {

struct function_spec {
  std::string name;
  // Exactly one of url, runtime and exec is set.
  std::string url;                   // HTTP endpoint: POST the event, 2xx is success
  std::vector<std::string> runtime;  // a command speaking the Lambda Runtime API, kept warm
  std::vector<std::string> exec;     // a command per batch: event on stdin, exit 0 is success
  std::string handler;               // _HANDLER for runtime processes
  std::chrono::milliseconds timeout{3'000};  // Lambda's default
  int concurrency = 1;                       // invocations (warm processes) at once
  int memory_mb = 128;                       // AWS_LAMBDA_FUNCTION_MEMORY_SIZE
  std::map<std::string, std::string> environment;
  std::string working_directory;  // empty: Wharf's own
};

// How one invocation ended.
enum class invocation_outcome {
  success,          // the function returned a result (payload)
  function_error,   // the function reported an error, or exited/answered as failed
  timed_out,        // it ran past spec.timeout; a runtime process is killed and restarted
  failed_to_start,  // the process or endpoint could not be reached or started
};

struct invocation_result {
  invocation_outcome outcome = invocation_outcome::success;
  std::string payload;        // the function's result (success) or its error document
  std::string error_type;     // "Runtime.ExitError", the handler's errorType, "HTTP 500", ...
  std::string error_message;  // for humans and for the failure destination
  std::chrono::microseconds duration{0};
  bool ok() const { return outcome == invocation_outcome::success; }
};

class function {
 public:
  virtual ~function() = default;
  virtual const function_spec& spec() const = 0;

  // Runs the function on event (JSON text) and blocks the calling thread until it ends
  // (success, error or timeout). Thread safe: at most spec().concurrency invocations run at
  // once; further callers wait for a free slot. request_id becomes the invocation's
  // Lambda-Runtime-Aws-Request-Id.
  virtual invocation_result invoke(const std::string& event, const std::string& request_id) = 0;

  // Stops warm processes and refuses new invocations (failed_to_start).
  virtual void shutdown() = 0;
};

// Checks spec (one kind, a valid URL or a non-empty command, timeout and concurrency in
// range) and prepares the function; runtime processes start on first use or at once when
// prestart is set. runtime serves the Runtime API listener of runtime functions.
result<std::unique_ptr<function>> make_function(function_spec spec, net::io_runtime& runtime,
                                                bool prestart = false);

}  // namespace wharf::triggers

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

// error_type values Wharf sets itself (a handler's own errorType passes through as the
// runtime reported it: "ValueError", "java.lang.IllegalStateException", ...):
//   Runtime.ExitError            the command or runtime process exited (or was killed)
//   Runtime.ImportModuleError..  whatever a runtime sent to /runtime/init/error
//   Runtime.NoResponse           a runtime asked for /next without answering
//   Runtime.InvalidEntrypoint    the command could not be executed (failed_to_start)
//   Runtime.Unavailable          no runtime process took the event in time, or it keeps
//                                failing and is in its restart backoff (failed_to_start)
//   Sandbox.Timedout             past spec.timeout (timed_out)
//   Function.ResponseSizeTooLarge  a result over Lambda's 6 MB
//   HTTP <status>                an endpoint answered non-2xx without an error document
//   Wharf.EndpointUnreachable    an endpoint refused the connection (failed_to_start)
//   Wharf.EndpointError          the connection broke mid-request
//   Wharf.FunctionStopped        shutdown() came first (failed_to_start)
struct invocation_result {
  invocation_outcome outcome = invocation_outcome::success;
  std::string payload;        // the function's result (success) or its error document
                              // ({"errorMessage","errorType",...} as the runtime sent it)
  std::string error_type;     // see above
  std::string error_message;  // for humans and for the failure destination
  std::chrono::microseconds duration{0};  // waiting for a free slot included
  bool throttled = false;  // every slot was busy: it waited for one (Lambda's Throttles)
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

// Checks spec (a Lambda-style name, one kind, a valid URL or a non-empty command, timeout
// 1 ms..15 min, concurrency 1..1000, memory 128..10240, an existing working directory) and
// prepares the function; runtime processes start on first use or at once when prestart is
// set, and stay warm (restarted after a crash, timeout or init error; with a backoff from
// 100 ms doubling to 30 s while they keep failing before answering anything). runtime
// serves the Runtime API listeners (one loopback port per slot) and must outlive the
// function. Commands inherit Wharf's environment, then the variables Lambda defines, then
// spec.environment; they run without a shell, in a process group of their own that is
// killed as a whole on timeout and shutdown; their output goes to the log
// "function.<name>" line by line (a command per batch: stderr only, stdout is the result).
result<std::unique_ptr<function>> make_function(function_spec spec, net::io_runtime& runtime,
                                                bool prestart = false);

}  // namespace wharf::triggers

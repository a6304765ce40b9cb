// What the three kinds of function share: the slot pool that bounds concurrency, the
// Lambda-shaped error documents, and the constructors make_function picks from.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/triggers/functions.h"

namespace spdlog {
class logger;
}

namespace wharf::triggers {

// Lambda's limit on a synchronous response payload.
inline constexpr std::size_t max_response_bytes = 6 * 1024 * 1024;

// Hands out slot numbers 0..count-1 to invocations running at once; a caller waits for a
// free one. The most recently released slot goes out first, so a light load keeps
// reusing one warm process instead of waking them all.
class slot_pool {
 public:
  explicit slot_pool(int count);
  // A free slot; nullopt once closed. waited: set to whether every slot was busy.
  std::optional<int> acquire(bool* waited = nullptr);
  void release(int slot);
  // Refuses further acquires and wakes every waiter.
  void close();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<int> free_;
  bool closed_ = false;
};

// Releases its slot when it goes out of scope.
class slot_lease {
 public:
  slot_lease(slot_pool& pool, int slot) : pool_(pool), slot_(slot) {}
  ~slot_lease() { pool_.release(slot_); }
  slot_lease(const slot_lease&) = delete;
  slot_lease& operator=(const slot_lease&) = delete;
  int slot() const { return slot_; }

 private:
  slot_pool& pool_;
  int slot_;
};

// {"errorMessage": message, "errorType": type}: the error document of Lambda's runtimes.
std::string error_document(std::string_view type, std::string_view message);

// If body is a Lambda error document (a JSON object with string errorMessage and
// errorType and no keys beyond those a runtime writes), returns its type and message.
struct error_fields {
  std::string type;
  std::string message;
};
std::optional<error_fields> parse_error_document(std::string_view body);

// The last `lines` lines of text, at most max_bytes of them.
std::string last_lines(std::string_view text, int lines, std::size_t max_bytes = 4096);

invocation_result failed_result(invocation_outcome outcome, std::string type, std::string message);

// The logger a function's own output and events go to: "function.<name>".
std::shared_ptr<spdlog::logger> function_logger(const function_spec& spec);

result<std::unique_ptr<function>> make_http_function(function_spec spec);
result<std::unique_ptr<function>> make_exec_function(function_spec spec);
result<std::unique_ptr<function>> make_runtime_function(function_spec spec,
                                                        net::io_runtime& runtime, bool prestart);

}  // namespace wharf::triggers

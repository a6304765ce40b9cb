// result<T>: the return type of fallible internal code. Errors caused by untrusted
// input travel as values (never exceptions) so one bad request cannot crash a server.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace wharf {

enum class errc {
  invalid_argument,
  parse_error,
  not_found,
  already_exists,
  io_error,
  out_of_range,
  unsupported,
  timed_out,
  internal,
};

const char* to_string(errc code);

// An error value: a category the caller can branch on and a message for humans.
class error {
 public:
  error(errc code, std::string message) : code_(code), message_(std::move(message)) {}

  errc code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy with context prepended: "reading config: <message>".
  error with_context(std::string_view context) const {
    return error(code_, fmt::format("{}: {}", context, message_));
  }

 private:
  errc code_;
  std::string message_;
};

template <typename... Args>
error make_error(errc code, fmt::format_string<Args...> format, Args&&... args) {
  return error(code, fmt::format(format, std::forward<Args>(args)...));
}

[[noreturn]] void abort_on_bad_access(const char* what);

// A value or an error. E is wharf::error unless a subsystem needs a richer error (the
// Kafka client's errors carry Kafka's numeric code, for instance).
template <typename T, typename E = error>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(E err) : state_(std::in_place_index<1>, std::move(err)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<result*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& err() const {
    if (ok()) abort_on_bad_access("result::err() on a value");
    return std::get<1>(state_);
  }

  T value_or(T fallback) const { return ok() ? std::get<0>(state_) : std::move(fallback); }

 private:
  T& checked_value() {
    if (!ok()) abort_on_bad_access(std::get<1>(state_).message().c_str());
    return std::get<0>(state_);
  }

  std::variant<T, E> state_;
};

// status: a result without a value.
class [[nodiscard]] status {
 public:
  status() = default;
  status(error err) : error_(std::move(err)) {}
  static status ok_status() { return {}; }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const error& err() const {
    if (ok()) abort_on_bad_access("status::err() on success");
    return *error_;
  }

 private:
  std::optional<error> error_;
};

}  // namespace wharf

#define WHARF_CONCAT_INNER(a, b) a##b
#define WHARF_CONCAT(a, b) WHARF_CONCAT_INNER(a, b)

// Evaluates a status/result expression and returns its error from the enclosing function.
#define WHARF_RETURN_IF_ERROR(expr)                      \
  do {                                                   \
    auto wharf_status_ = (expr);                         \
    if (!wharf_status_.ok()) return wharf_status_.err(); \
  } while (0)

#define WHARF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.err();                  \
  lhs = std::move(tmp).value()

// lhs = value of a result expression, or return its error.
#define WHARF_ASSIGN_OR_RETURN(lhs, expr) \
  WHARF_ASSIGN_OR_RETURN_IMPL(WHARF_CONCAT(wharf_result_, __LINE__), lhs, expr)

// An always-on check for our own invariants (not for untrusted input).
#define WHARF_ASSERT(cond)                                          \
  do {                                                              \
    if (!(cond)) ::wharf::assert_failed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace wharf {
[[noreturn]] void assert_failed(const char* condition, const char* file, int line);
}

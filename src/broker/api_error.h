// An error a Kafka API answers with: the error code for the response and a message for
// the response's error_message field (where it has one) and the log.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "kafka/protocol/errors.h"

namespace wharf::broker {

struct api_error {
  kafka::protocol::error_code code = kafka::protocol::error_code::none;
  std::string message;

  std::int16_t kafka_code() const { return static_cast<std::int16_t>(code); }
};

template <typename... Args>
api_error make_api_error(kafka::protocol::error_code code, fmt::format_string<Args...> format,
                         Args&&... args) {
  return {code, fmt::format(format, std::forward<Args>(args)...)};
}

// A value or the api_error explaining why there is none.
template <typename T>
class api_result {
 public:
  api_result(T value) : state_(std::move(value)) {}
  api_result(api_error err) : state_(std::move(err)) {}
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  const T& value() const { return std::get<0>(state_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const api_error& err() const { return std::get<1>(state_); }

 private:
  std::variant<T, api_error> state_;
};

}  // namespace wharf::broker

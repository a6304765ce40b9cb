// Errors of the record-batch code. A bad batch from a client is answered with a Kafka error
// code in the produce response, so errors here carry that code (not base's errc) plus a
// message for the log and the response's error_message field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "base/result.h"

namespace wharf::kafka::records {

// The subset of Kafka's error codes (org.apache.kafka.common.protocol.Errors) that record
// batches can cause.
enum class error_code : std::int16_t {
  unknown_server_error = -1,  // our own failure, not the client's
  none = 0,
  corrupt_message = 2,
  message_too_large = 10,
  invalid_timestamp = 32,
  unsupported_for_message_format = 43,
  unsupported_compression_type = 76,
  invalid_record = 87,
};

// Kafka's upper-case name, e.g. "CORRUPT_MESSAGE".
const char* error_name(error_code code);

class records_error {
 public:
  records_error(error_code code, std::string message) : code_(code), message_(std::move(message)) {}

  error_code code() const { return code_; }
  std::int16_t kafka_code() const { return static_cast<std::int16_t>(code_); }
  const std::string& message() const { return message_; }

  // "batch 3: <message>", keeping the code.
  records_error with_context(std::string_view context) const {
    return records_error(code_, fmt::format("{}: {}", context, message_));
  }

 private:
  error_code code_;
  std::string message_;
};

template <typename... Args>
records_error make_records_error(error_code code, fmt::format_string<Args...> format,
                                 Args&&... args) {
  return records_error(code, fmt::format(format, std::forward<Args>(args)...));
}

// Same shape as base's result<T> (ok/value/err), so WHARF_ASSIGN_OR_RETURN and
// WHARF_RETURN_IF_ERROR work with it.
template <typename T>
class [[nodiscard]] records_result {
 public:
  records_result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  records_result(records_error err) : state_(std::in_place_index<1>, std::move(err)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<records_result*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const records_error& err() const {
    if (ok()) abort_on_bad_access("records_result::err() on a value");
    return std::get<1>(state_);
  }

 private:
  T& checked_value() {
    if (!ok()) abort_on_bad_access(std::get<1>(state_).message().c_str());
    return std::get<0>(state_);
  }

  std::variant<T, records_error> state_;
};

class [[nodiscard]] records_status {
 public:
  records_status() = default;
  records_status(records_error err) : error_(std::move(err)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const records_error& err() const {
    if (ok()) abort_on_bad_access("records_status::err() on success");
    return *error_;
  }

 private:
  std::optional<records_error> error_;
};

}  // namespace wharf::kafka::records

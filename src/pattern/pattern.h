// EventBridge event patterns: compiling a pattern (the JSON language EventBridge rules and
// Lambda FilterCriteria use) and matching events against one pattern or against a whole
// rule set compiled into one shared index. Semantics follow AWS's event-ruler (the library
// behind EventBridge), see docs/event-patterns.md.
#pragma once

#include <cstddef>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "base/result.h"

namespace wharf::pattern {

// An invalid pattern (or event): `type` is the AWS exception name callers put in their
// `__type` error bodies, `message` says what is wrong and where.
class pattern_error {
 public:
  pattern_error(std::string type, std::string message)
      : type_(std::move(type)), message_(std::move(message)) {}
  const std::string& type() const { return type_; }
  const std::string& message() const { return message_; }

 private:
  std::string type_;
  std::string message_;
};

template <typename T>
using result = wharf::result<T, pattern_error>;

inline constexpr std::string_view invalid_pattern_exception = "InvalidEventPatternException";

struct compiled_pattern;  // model.h
class flat_event;         // model.h

// A compiled, immutable pattern; cheap to copy (shared).
class pattern {
 public:
  // Refuses what EventBridge refuses, with InvalidEventPatternException.
  static result<pattern> compile(std::string_view json);

  const compiled_pattern& model() const { return *model_; }
  // The $or branches after expansion (each one a conjunction of field tests).
  std::size_t branch_count() const;

 private:
  explicit pattern(std::shared_ptr<const compiled_pattern> model) : model_(std::move(model)) {}
  std::shared_ptr<const compiled_pattern> model_;
};

// One pattern against one event (TestEventPattern, FilterCriteria).
bool matches(const pattern& p, const boost::json::value& event);
// The event as JSON text: an event that is not a JSON object is an error.
result<bool> matches(const pattern& p, std::string_view event_json);
// A string literal is JSON text (boost::json::value would also take it, as a JSON string).
inline result<bool> matches(const pattern& p, const char* event_json) {
  return matches(p, std::string_view(event_json));
}

// Many named patterns compiled into one index: the cost of matching an event grows with
// the event's size and the number of rules it could match, not with the number of rules.
// Any number of threads may call matches() at once; add/remove take a writer lock.
class rule_set {
 public:
  rule_set();
  ~rule_set();
  rule_set(const rule_set&) = delete;
  rule_set& operator=(const rule_set&) = delete;

  // Adds or replaces the rule with this name.
  void add(std::string rule_name, const pattern& p);
  // Returns whether a rule with that name existed.
  bool remove(std::string_view rule_name);
  std::size_t size() const;

  // Names of the matching rules, each once, in no particular order. The views stay valid
  // until that rule is removed or replaced.
  std::vector<std::string_view> matches(const boost::json::value& event) const;
  result<std::vector<std::string_view>> matches(std::string_view event_json) const;
  result<std::vector<std::string_view>> matches(const char* event_json) const {
    return matches(std::string_view(event_json));
  }
  // For callers that already flattened the event (several rule sets, one event).
  std::vector<std::string_view> matches(const flat_event& event) const;

 private:
  struct index;
  void ensure_built() const;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<index> index_;
};

}  // namespace wharf::pattern

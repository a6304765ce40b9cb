// Kafka's rules for topic names (org.apache.kafka.common.internals.Topic).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace wharf::broker {

inline constexpr std::size_t max_topic_name_length = 249;

// Empty, ".", "..", longer than 249 characters, or characters outside [a-zA-Z0-9._-] are
// invalid (INVALID_TOPIC_EXCEPTION).
status validate_topic_name(std::string_view name);

// Names that differ only by '.' versus '_' collide in metric names, so Kafka refuses the
// second one; this is the form they are compared in.
std::string unify_collision_chars(std::string_view name);

// Topics whose name starts with "__" are internal (__consumer_offsets, ...).
inline bool is_internal_topic(std::string_view name) { return name.rfind("__", 0) == 0; }

// The topics only the broker's coordinators write (Kafka's Topic.isInternal): clients
// producing to them get INVALID_TOPIC_EXCEPTION.
inline bool is_coordinator_topic(std::string_view name) {
  return name == "__consumer_offsets" || name == "__transaction_state" ||
         name == "__share_group_state";
}

}  // namespace wharf::broker

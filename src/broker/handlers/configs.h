// Shared by DescribeConfigs, AlterConfigs and IncrementalAlterConfigs: Kafka's resource
// types and the view of a topic's and the broker's configs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker_state.h"

namespace wharf::broker::handlers {

inline constexpr std::int8_t resource_topic = 2;
inline constexpr std::int8_t resource_broker = 4;
inline constexpr std::int8_t resource_broker_logger = 8;

// Kafka's ConfigSource values.
inline constexpr std::int8_t source_dynamic_topic = 1;
inline constexpr std::int8_t source_static_broker = 4;
inline constexpr std::int8_t source_default = 5;

// Kafka's ConfigType values (DescribeConfigs v3+).
enum config_type : std::int8_t {
  type_boolean = 1,
  type_string = 2,
  type_int = 3,
  type_long = 5,
  type_double = 6,
  type_list = 7
};

struct config_synonym {
  std::string name;
  std::string value;
  std::int8_t source = source_default;
};

struct config_entry {
  std::string name;
  std::string value;
  std::int8_t source = source_default;
  bool read_only = false;
  std::int8_t type = type_string;
  // Kafka's synonyms, most specific first: the topic override, then the broker setting.
  std::vector<config_synonym> synonyms;
};

std::vector<config_entry> topic_config_entries(const topic& t);
std::vector<config_entry> broker_config_entries(const broker_state& broker);

}  // namespace wharf::broker::handlers

#include "broker/topic_names.h"

namespace wharf::broker {

status validate_topic_name(std::string_view name) {
  if (name.empty()) return make_error(errc::invalid_argument, "topic name is empty");
  if (name == "." || name == "..") {
    return make_error(errc::invalid_argument, "topic name cannot be \".\" or \"..\"");
  }
  if (name.size() > max_topic_name_length) {
    return make_error(
        errc::invalid_argument,
        "topic name is illegal, it can't be longer than {} characters, topic name: {}",
        max_topic_name_length, name);
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return make_error(errc::invalid_argument,
                        "topic name {} is illegal, it contains a character other than ASCII "
                        "alphanumerics, '.', '_' and '-'",
                        name);
    }
  }
  return {};
}

std::string unify_collision_chars(std::string_view name) {
  std::string out(name);
  for (auto& c : out) {
    if (c == '.') c = '_';
  }
  return out;
}

}  // namespace wharf::broker

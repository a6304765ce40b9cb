#include "http/security/access_rules.h"

#include <algorithm>

namespace wharf::http::security {

result<name_pattern> name_pattern::parse(std::string_view text) {
  name_pattern p;
  if (text.empty()) return make_error(errc::invalid_argument, "an empty name pattern");
  auto star = text.find('*');
  if (star != std::string_view::npos && star != text.size() - 1) {
    return make_error(errc::invalid_argument,
                      "'{}': '*' may only end a pattern (a prefix), as in events.*", text);
  }
  p.prefix_ = star != std::string_view::npos;
  p.text_ = std::string(p.prefix_ ? text.substr(0, text.size() - 1) : text);
  return p;
}

bool name_pattern::matches(std::string_view name) const {
  if (prefix_) return name.substr(0, text_.size()) == text_;
  return name == text_;
}

result<access_rules> access_rules::parse(const std::vector<std::string>& lines,
                                         const std::vector<std::string>& operations) {
  access_rules out;
  for (const auto& line : lines) {
    auto last = line.rfind(':');
    auto middle =
        last == std::string::npos || last == 0 ? std::string::npos : line.rfind(':', last - 1);
    if (middle == std::string::npos || middle == 0) {
      return make_error(errc::invalid_argument,
                        "access rule '{}' is not principal:operation:pattern", line);
    }
    access_rule rule;
    rule.principal = line.substr(0, middle);
    rule.operation = line.substr(middle + 1, last - middle - 1);
    if (rule.operation != "all" &&
        std::find(operations.begin(), operations.end(), rule.operation) == operations.end()) {
      std::string known = "all";
      for (const auto& o : operations) known += ", " + o;
      return make_error(errc::invalid_argument, "access rule '{}': unknown operation '{}' ({})",
                        line, rule.operation, known);
    }
    auto pattern = name_pattern::parse(std::string_view(line).substr(last + 1));
    if (!pattern.ok()) {
      return make_error(errc::invalid_argument, "access rule '{}': {}", line,
                        pattern.err().message());
    }
    rule.resource = std::move(*pattern);
    out.rules_.push_back(std::move(rule));
  }
  return out;
}

bool access_rules::applies(const access_rule& rule, std::string_view principal,
                           std::string_view operation) const {
  return (rule.principal == "*" || rule.principal == principal) &&
         (rule.operation == "all" || rule.operation == operation);
}

bool access_rules::allows(std::string_view principal, std::string_view operation,
                          std::string_view resource) const {
  return std::any_of(rules_.begin(), rules_.end(), [&](const access_rule& r) {
    return applies(r, principal, operation) && r.resource.matches(resource);
  });
}

bool access_rules::allows_everything(std::string_view principal, std::string_view operation) const {
  return std::any_of(rules_.begin(), rules_.end(), [&](const access_rule& r) {
    return applies(r, principal, operation) && r.resource.matches_everything();
  });
}

bool access_rules::allows_some(std::string_view principal, std::string_view operation) const {
  return std::any_of(rules_.begin(), rules_.end(),
                     [&](const access_rule& r) { return applies(r, principal, operation); });
}

}  // namespace wharf::http::security

// Who may do what to which named resource (a topic, a subject): rules written as
// "principal:operation:pattern", where the pattern is an exact name ("orders"), a prefix
// ending in '*' ("events.*" is every name starting with "events."), or "*" for every name,
// and the principal "*" stands for every principal (anonymous included, when allowed). Nothing is
// allowed that no rule allows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wharf::http::security {

class name_pattern {
 public:
  static result<name_pattern> parse(std::string_view text);

  bool matches(std::string_view name) const;
  bool matches_everything() const { return prefix_ && text_.empty(); }
  // The pattern as written ("events.*").
  std::string to_string() const { return prefix_ ? text_ + "*" : text_; }

 private:
  std::string text_;  // the exact name, or the prefix without its '*'
  bool prefix_ = false;
};

struct access_rule {
  std::string principal;  // "*": every principal
  std::string operation;  // one of the service's operations, or "all"
  name_pattern resource;
};

class access_rules {
 public:
  // Parses "principal:operation:pattern" lines; the principal may itself hold colons (the
  // last two fields are split off). operations lists the names a rule may use besides "all".
  static result<access_rules> parse(const std::vector<std::string>& lines,
                                    const std::vector<std::string>& operations);

  bool allows(std::string_view principal, std::string_view operation,
              std::string_view resource) const;
  // A rule gives principal the operation on every name ("*").
  bool allows_everything(std::string_view principal, std::string_view operation) const;
  // Some rule gives principal the operation on some name.
  bool allows_some(std::string_view principal, std::string_view operation) const;

  const std::vector<access_rule>& rules() const { return rules_; }

 private:
  bool applies(const access_rule& rule, std::string_view principal,
               std::string_view operation) const;

  std::vector<access_rule> rules_;
};

}  // namespace wharf::http::security

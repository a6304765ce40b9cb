// A strict, schema-driven configuration loader. Every option is declared once with its
// path ("admin.port"), type, default and description; the same declaration parses the
// YAML file, the WHARF_* environment overrides and --set flags, reports errors with the
// key, the file and the line, and prints the reference of every option.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace wharf::config {

// Where a value came from, for error messages: "wharf.yaml:12", "environment WHARF_X".
struct origin {
  std::string source;
  int line = 0;  // 1-based; 0 when the source has no lines

  std::string describe() const;
};

struct problem {
  std::string key;
  origin where;
  std::string message;

  // "wharf.yaml:12: admin.port: 99999 is out of range (1 to 65535)"
  std::string describe() const;
};

class schema {
 public:
  // Declarations bind an option to the variable that receives its value; the variable's
  // current value is the default.
  void string(std::string path, std::string& target, std::string description);
  void boolean(std::string path, bool& target, std::string description);
  void integer(std::string path, std::int64_t& target, std::int64_t min, std::int64_t max,
               std::string description);
  void integer(std::string path, int& target, int min, int max, std::string description);
  void port(std::string path, std::uint16_t& target, std::string description);
  void size(std::string path, std::uint64_t& target, std::string description);
  void duration(std::string path, std::chrono::milliseconds& target, std::string description);
  void choice(std::string path, std::string& target, std::vector<std::string> allowed,
              std::string description);
  // A list of strings: a YAML sequence, or one comma-separated string.
  void list(std::string path, std::vector<std::string>& target, std::string description);
  // A string or list holding secrets (keys, passwords): loaded as string/list, but the
  // references (`config show`, the docs) print "(secret)" rather than the value.
  void secret(std::string path, std::string& target, std::string description);
  void secret_list(std::string path, std::vector<std::string>& target, std::string description);
  // A whole YAML subtree (a mapping or a sequence: resources such as functions or
  // triggers), handed over as JSON text for the service that owns it to check; "" when
  // absent. From the environment or a flag the value is JSON text.
  void document(std::string path, std::string& target_json, std::string description);

  // Loads a YAML file over the defaults. Collects every problem rather than the first.
  std::vector<problem> load_file(const std::string& path);
  // Loads YAML text (for tests and `config check -`); name is used in messages.
  std::vector<problem> load_text(std::string_view yaml, const std::string& name);
  // Applies WHARF_<PATH> variables (dots become underscores, upper case).
  std::vector<problem> load_environment(const std::vector<std::string>& environ_entries);
  // Applies one "path=value" flag.
  std::vector<problem> set(std::string_view assignment, std::string_view flag_name = "--set");

  // The environment variable that overrides a path: admin.port -> WHARF_ADMIN_PORT.
  static std::string environment_name(std::string_view path);

  // A YAML document with every option, its current value and its description.
  std::string reference_yaml() const;
  // One Markdown table row per option, for docs/configuration.md.
  std::string reference_markdown() const;

  struct option {
    std::string path;
    std::string type;  // shown in the reference: "port", "size", "duration", ...
    std::string description;
    std::function<status(std::string_view text)> assign;
    std::function<std::string()> current;
    bool is_list = false;
    bool is_string = false;  // quoted in the YAML reference
    bool is_document = false;
  };
  const std::vector<option>& options() const { return options_; }

 private:
  void add(option opt);
  const option* find(std::string_view path) const;
  bool is_section(std::string_view path) const;
  std::string suggest(std::string_view path) const;

  std::vector<option> options_;
};

}  // namespace wharf::config

#include "base/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "base/units.h"
#include "base/utf8.h"

namespace wharf::config {
namespace {

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    out += items[i];
  }
  return out;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    auto item = text.substr(start, end - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front())))
      item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back())))
      item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    start = end + 1;
  }
  return items;
}

// Levenshtein distance, for "did you mean" suggestions on misspelt keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string yaml_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string origin::describe() const {
  return line > 0 ? fmt::format("{}:{}", source, line) : source;
}

std::string problem::describe() const {
  if (key.empty()) return fmt::format("{}: {}", where.describe(), message);
  return fmt::format("{}: {}: {}", where.describe(), key, message);
}

void schema::add(option opt) {
  WHARF_ASSERT(find(opt.path) == nullptr);
  options_.push_back(std::move(opt));
}

const schema::option* schema::find(std::string_view path) const {
  for (const auto& opt : options_) {
    if (opt.path == path) return &opt;
  }
  return nullptr;
}

bool schema::is_section(std::string_view path) const {
  for (const auto& opt : options_) {
    if (opt.path.size() > path.size() && opt.path.compare(0, path.size(), path) == 0 &&
        opt.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string schema::suggest(std::string_view path) const {
  std::string best;
  std::size_t best_distance = 4;  // only suggest close matches
  for (const auto& opt : options_) {
    auto d = edit_distance(path, opt.path);
    if (d < best_distance) {
      best_distance = d;
      best = opt.path;
    }
  }
  return best;
}

void schema::string(std::string path, std::string& target, std::string description) {
  add({.path = std::move(path),
       .type = "string",
       .description = std::move(description),
       .assign = [&target](std::string_view text) -> status {
         target = std::string(text);
         return {};
       },
       .current = [&target] { return target; },
       .is_string = true});
}

void schema::boolean(std::string path, bool& target, std::string description) {
  add({.path = std::move(path),
       .type = "bool",
       .description = std::move(description),
       .assign = [&target](std::string_view text) -> status {
         if (text == "true" || text == "yes" || text == "on" || text == "1") {
           target = true;
         } else if (text == "false" || text == "no" || text == "off" || text == "0") {
           target = false;
         } else {
           return make_error(errc::invalid_argument, "'{}' is not a boolean (true or false)", text);
         }
         return {};
       },
       .current = [&target] { return std::string(target ? "true" : "false"); }});
}

void schema::integer(std::string path, std::int64_t& target, std::int64_t min, std::int64_t max,
                     std::string description) {
  add({.path = std::move(path),
       .type = "integer",
       .description = std::move(description),
       .assign = [&target, min, max](std::string_view text) -> status {
         WHARF_ASSIGN_OR_RETURN(target, parse_int(text, min, max));
         return {};
       },
       .current = [&target] { return std::to_string(target); }});
}

void schema::integer(std::string path, int& target, int min, int max, std::string description) {
  add({.path = std::move(path),
       .type = "integer",
       .description = std::move(description),
       .assign = [&target, min, max](std::string_view text) -> status {
         WHARF_ASSIGN_OR_RETURN(auto value, parse_int(text, min, max));
         target = static_cast<int>(value);
         return {};
       },
       .current = [&target] { return std::to_string(target); }});
}

void schema::port(std::string path, std::uint16_t& target, std::string description) {
  add({.path = std::move(path),
       .type = "port",
       .description = std::move(description),
       .assign = [&target](std::string_view text) -> status {
         auto value = parse_int(text, 0, 65535);
         if (!value) {
           return make_error(errc::invalid_argument,
                             "'{}' is not a valid port (0 to 65535, 0 picks a free port)", text);
         }
         target = static_cast<std::uint16_t>(*value);
         return {};
       },
       .current = [&target] { return std::to_string(target); }});
}

void schema::size(std::string path, std::uint64_t& target, std::string description) {
  add({.path = std::move(path),
       .type = "size",
       .description = std::move(description),
       .assign = [&target](std::string_view text) -> status {
         WHARF_ASSIGN_OR_RETURN(target, parse_size(text));
         return {};
       },
       .current = [&target] { return format_size(target); }});
}

void schema::duration(std::string path, std::chrono::milliseconds& target,
                      std::string description) {
  add({.path = std::move(path),
       .type = "duration",
       .description = std::move(description),
       .assign = [&target](std::string_view text) -> status {
         WHARF_ASSIGN_OR_RETURN(target, parse_duration(text));
         return {};
       },
       .current = [&target] { return format_duration(target); }});
}

void schema::choice(std::string path, std::string& target, std::vector<std::string> allowed,
                    std::string description) {
  auto type = join(allowed, "|");
  add({.path = std::move(path),
       .type = std::move(type),
       .description = std::move(description),
       .assign = [&target, allowed](std::string_view text) -> status {
         if (std::find(allowed.begin(), allowed.end(), text) == allowed.end()) {
           return make_error(errc::invalid_argument, "'{}' is not one of: {}", text,
                             join(allowed, ", "));
         }
         target = std::string(text);
         return {};
       },
       .current = [&target] { return target; },
       .is_string = true});
}

void schema::list(std::string path, std::vector<std::string>& target, std::string description) {
  add({.path = std::move(path),
       .type = "list",
       .description = std::move(description),
       .assign = [&target](std::string_view text) -> status {
         target = split_list(text);
         return {};
       },
       .current = [&target] { return join(target, ","); },
       .is_list = true});
}

void schema::secret(std::string path, std::string& target, std::string description) {
  string(std::move(path), target, std::move(description));
  options_.back().type = "secret string";
  options_.back().current = [&target] { return std::string(target.empty() ? "" : "(secret)"); };
}

void schema::secret_list(std::string path, std::vector<std::string>& target,
                         std::string description) {
  list(std::move(path), target, std::move(description));
  options_.back().type = "secret list";
  options_.back().current = [&target] { return std::string(target.empty() ? "" : "(secret)"); };
}

void schema::document(std::string path, std::string& target_json, std::string description) {
  add({.path = std::move(path),
       .type = "document",
       .description = std::move(description),
       .assign = [&target_json](std::string_view text) -> status {
         target_json = std::string(text);
         return {};
       },
       .current = [&target_json] { return target_json; },
       .is_document = true});
}

std::vector<problem> schema::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return {{.key = "", .where = {path, 0}, .message = "cannot read the config file"}};
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_text(buffer.str(), path);
}

namespace {

// A plain YAML scalar as YAML 1.2's core schema reads it: null, a boolean, a number, or
// else a string. Quoted scalars are always strings.
void append_scalar(std::string& out, const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "!") {
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
      out += "null";
      return;
    }
    if (text == "true" || text == "True" || text == "TRUE") return void(out += "true");
    if (text == "false" || text == "False" || text == "FALSE") return void(out += "false");
    static const std::regex number(R"([-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
    if (std::regex_match(text, number)) {
      out += text[0] == '+' ? text.substr(1) : text;
      return;
    }
  }
  append_json_string(out, text);
}

// A YAML subtree as JSON text; false (with a problem) for what JSON cannot hold.
bool yaml_to_json(const YAML::Node& node, std::string& out, const std::string& path,
                  const std::string& file, std::vector<problem>& problems) {
  switch (node.Type()) {
    case YAML::NodeType::Null: out += "null"; return true;
    case YAML::NodeType::Scalar: append_scalar(out, node); return true;
    case YAML::NodeType::Sequence: {
      out += '[';
      bool first = true;
      for (const auto& item : node) {
        if (!first) out += ',';
        first = false;
        if (!yaml_to_json(item, out, path, file, problems)) return false;
      }
      out += ']';
      return true;
    }
    case YAML::NodeType::Map: {
      out += '{';
      bool first = true;
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          problems.push_back(
              {path, {file, entry.first.Mark().line + 1}, "a key must be a plain name"});
          return false;
        }
        if (!first) out += ',';
        first = false;
        append_json_string(out, entry.first.Scalar());
        out += ':';
        if (!yaml_to_json(entry.second, out, path, file, problems)) return false;
      }
      out += '}';
      return true;
    }
    case YAML::NodeType::Undefined: break;
  }
  problems.push_back({path, {file, node.Mark().line + 1}, "a value JSON cannot hold"});
  return false;
}

// Walks a YAML mapping, matching each key against the schema.
void walk(const YAML::Node& node, const std::string& prefix, const std::string& file,
          std::vector<problem>& problems,
          const std::function<const schema::option*(std::string_view)>& find,
          const std::function<bool(std::string_view)>& is_section,
          const std::function<std::string(std::string_view)>& suggest) {
  for (const auto& entry : node) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& value = entry.second;
    origin where{file, key_node.Mark().line + 1};
    if (!key_node.IsScalar()) {
      problems.push_back({"", where, "a key must be a plain name"});
      continue;
    }
    std::string path = prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar();
    if (const auto* opt = find(path); opt && opt->is_document) {
      std::string json;
      if (yaml_to_json(value, json, path, file, problems)) (void)opt->assign(json);
    } else if (opt) {
      std::string text;
      if (value.IsNull()) {
        text = "";
      } else if (value.IsScalar()) {
        text = value.Scalar();
      } else if (value.IsSequence() && opt->is_list) {
        std::vector<std::string> items;
        bool scalar_items = true;
        for (const auto& item : value) {
          if (!item.IsScalar())
            scalar_items = false;
          else
            items.push_back(item.Scalar());
        }
        if (!scalar_items) {
          problems.push_back({path, where, "list items must be plain values"});
          continue;
        }
        text = join(items, ",");
      } else {
        problems.push_back({path, where, fmt::format("expected a single {} value", opt->type)});
        continue;
      }
      if (value.IsNull() && !opt->is_string && !opt->is_list) {
        problems.push_back(
            {path, where, fmt::format("expected a {} value, got nothing", opt->type)});
        continue;
      }
      if (auto st = opt->assign(text); !st) {
        problems.push_back({path, {file, value.Mark().line + 1}, st.err().message()});
      }
    } else if (is_section(path)) {
      if (value.IsNull()) continue;  // an empty section keeps its defaults
      if (!value.IsMap()) {
        problems.push_back({path, where, "expected a section (a mapping of keys)"});
        continue;
      }
      walk(value, path, file, problems, find, is_section, suggest);
    } else {
      auto hint = suggest(path);
      problems.push_back({path, where,
                          hint.empty() ? std::string("unknown key")
                                       : fmt::format("unknown key (did you mean '{}'?)", hint)});
    }
  }
}

}  // namespace

std::vector<problem> schema::load_text(std::string_view yaml, const std::string& name) {
  std::vector<problem> problems;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return {{"", {name, e.mark.line + 1}, fmt::format("invalid YAML: {}", e.msg)}};
  }
  if (root.IsNull()) return problems;  // an empty file keeps every default
  if (!root.IsMap()) {
    return {{"", {name, root.Mark().line + 1}, "the config file must be a mapping of sections"}};
  }
  walk(
      root, "", name, problems, [this](std::string_view p) { return find(p); },
      [this](std::string_view p) { return is_section(p); },
      [this](std::string_view p) { return suggest(p); });
  return problems;
}

std::string schema::environment_name(std::string_view path) {
  std::string name = "WHARF_";
  for (char c : path) {
    name += (c == '.' || c == '-') ? '_'
                                   : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::vector<problem> schema::load_environment(const std::vector<std::string>& environ_entries) {
  std::vector<problem> problems;
  for (const auto& opt : options_) {
    auto name = environment_name(opt.path);
    for (const auto& entry : environ_entries) {
      if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
          entry[name.size()] == '=') {
        std::string_view value(entry);
        value.remove_prefix(name.size() + 1);
        if (auto st = opt.assign(value); !st) {
          problems.push_back({opt.path, {"environment " + name, 0}, st.err().message()});
        }
      }
    }
  }
  return problems;
}

std::vector<problem> schema::set(std::string_view assignment, std::string_view flag_name) {
  auto eq = assignment.find('=');
  origin where{fmt::format("flag {} {}", flag_name, assignment), 0};
  if (eq == std::string_view::npos) {
    return {{"", where, "expected key=value"}};
  }
  auto path = assignment.substr(0, eq);
  auto value = assignment.substr(eq + 1);
  const auto* opt = find(path);
  if (!opt) {
    auto hint = suggest(path);
    return {{std::string(path), where,
             hint.empty() ? std::string("unknown key")
                          : fmt::format("unknown key (did you mean '{}'?)", hint)}};
  }
  if (auto st = opt->assign(value); !st) {
    return {{std::string(path), where, st.err().message()}};
  }
  return {};
}

std::string schema::reference_yaml() const {
  std::string out;
  std::vector<std::string> open_sections;
  for (const auto& opt : options_) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
      auto dot = opt.path.find('.', start);
      parts.push_back(opt.path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::size_t common = 0;
    while (common < open_sections.size() && common + 1 < parts.size() &&
           open_sections[common] == parts[common]) {
      ++common;
    }
    open_sections.resize(common);
    for (std::size_t i = common; i + 1 < parts.size(); ++i) {
      out += fmt::format("{:{}}{}:\n", "", i * 2, parts[i]);
      open_sections.push_back(parts[i]);
    }
    auto indent = (parts.size() - 1) * 2;
    auto value = opt.current();
    if (opt.is_list) {
      value = "[";
      auto items = split_list(opt.current());
      for (std::size_t i = 0; i < items.size(); ++i)
        value += (i ? ", " : "") + yaml_quote(items[i]);
      value += "]";
    } else if (opt.is_string) {
      value = yaml_quote(value);
    }
    out += fmt::format("{:{}}{}: {}  # {} ({})\n", "", indent, parts.back(), value, opt.description,
                       opt.type);
  }
  return out;
}

std::string schema::reference_markdown() const {
  std::string out = "| key | type | default | environment | description |\n|---|---|---|---|---|\n";
  auto cell = [](std::string text) {
    std::string out;
    for (char c : text) {
      if (c == '|') out += '\\';
      out += c;
    }
    return out;
  };
  for (const auto& opt : options_) {
    auto value = opt.current();
    out += fmt::format("| `{}` | {} | {} | `{}` | {} |\n", opt.path, cell(opt.type),
                       value.empty() ? std::string("(empty)") : "`" + cell(value) + "`",
                       environment_name(opt.path), cell(opt.description));
  }
  return out;
}

}  // namespace wharf::config

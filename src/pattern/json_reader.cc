// Boost.JSON SAX handlers: one builds the pattern tree (keeping number texts), the other
// flattens an event straight into a flat_event without building a DOM (the per-event
// hot path of matching JSON text).
#include "pattern/json_reader.h"

#include <boost/json/basic_parser_impl.hpp>
#include <limits>

#include "pattern/model.h"

namespace wharf::pattern {

namespace {

using boost::system::error_code;
using sv = boost::json::string_view;

boost::json::parse_options options_with_depth(std::size_t depth) {
  boost::json::parse_options options;
  options.max_depth = depth;
  return options;
}

// Limits the handler concept asks for: none beyond the parser's own.
struct unlimited {
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();
};

struct tree_builder : unlimited {
  json_node root;
  std::vector<json_node*> stack;
  std::string key;
  std::string scalar;
  bool have_root = false;

  // Where the next value goes: the root, an array's next item or an object's member.
  json_node& place() {
    if (stack.empty()) {
      have_root = true;
      return root;
    }
    json_node& parent = *stack.back();
    if (parent.type == json_node::kind::object) {
      parent.keys.push_back(std::move(key));
      key.clear();
    }
    return parent.items.emplace_back();
  }
  void put_scalar(json_node::kind type, std::string text) {
    json_node& node = place();
    node.type = type;
    node.text = std::move(text);
  }
  void open(json_node::kind type) {
    json_node& node = place();
    node.type = type;
    stack.push_back(&node);
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    open(json_node::kind::object);
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    stack.pop_back();
    return true;
  }
  bool on_array_begin(error_code&) {
    open(json_node::kind::array);
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    stack.pop_back();
    return true;
  }
  bool on_key_part(sv s, std::size_t, error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, std::size_t, error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_string_part(sv s, std::size_t, error_code&) {
    scalar.append(s.data(), s.size());
    return true;
  }
  bool on_string(sv s, std::size_t, error_code&) {
    scalar.append(s.data(), s.size());
    put_scalar(json_node::kind::string, std::move(scalar));
    scalar.clear();
    return true;
  }
  bool on_number_part(sv s, error_code&) {
    scalar.append(s.data(), s.size());
    return true;
  }
  bool number(sv s) {
    scalar.append(s.data(), s.size());
    put_scalar(json_node::kind::number, std::move(scalar));
    scalar.clear();
    return true;
  }
  bool on_int64(std::int64_t, sv s, error_code&) { return number(s); }
  bool on_uint64(std::uint64_t, sv s, error_code&) { return number(s); }
  bool on_double(double, sv s, error_code&) { return number(s); }
  bool on_bool(bool b, error_code&) {
    put_scalar(b ? json_node::kind::true_ : json_node::kind::false_, "");
    return true;
  }
  bool on_null(error_code&) {
    put_scalar(json_node::kind::null, "");
    return true;
  }
  bool on_comment_part(sv, error_code&) { return true; }
  bool on_comment(sv, error_code&) { return true; }
};

// Flattens as event-ruler's Event does: paths joined with '.', every leaf a field, and
// each field remembers its element index in every enclosing array whose elements are
// objects or arrays (scalars in an array carry no index for that array).
struct event_flattener : unlimited {
  flat_event* out = nullptr;
  struct frame {
    bool is_array;
    std::size_t path_size;  // path length to restore when this container closes
    std::uint32_t array_id;
    std::uint32_t next_index;
  };
  std::vector<frame> frames;
  std::vector<array_position> positions;
  std::string path;
  std::string key;
  std::uint32_t arrays = 0;
  bool in_string = false;
  bool in_number = false;
  std::size_t value_path_size = 0;
  // Skipping members no rule uses: the depth of containers being skipped, and whether the
  // string or number now being read is skipped.
  const step_names* used = nullptr;
  int skip_depth = 0;
  bool skipping_scalar = false;

  // Whether the value starting now is skipped (inside a skipped container, or an object
  // member whose key no rule uses).
  bool skip_value() {
    if (skip_depth > 0) {
      key.clear();  // keys inside a skipped container are read but not used
      return true;
    }
    if (!used || frames.empty() || frames.back().is_array || used->contains(key)) return false;
    key.clear();
    return true;
  }

  // Called as a value starts: extends the path with the pending key (objects) and returns
  // the length to restore after the value.
  std::size_t enter_value() {
    std::size_t before = path.size();
    if (!frames.empty() && !frames.back().is_array) {
      if (frames.size() > 1) path += '.';  // members of the root object start the path
      path += key;
      key.clear();
    }
    return before;
  }
  void leave_value(std::size_t before) {
    path.resize(before);
    if (!frames.empty() && frames.back().is_array) ++frames.back().next_index;
  }
  void open_container(bool is_array) {
    std::size_t before = enter_value();
    if (!frames.empty() && frames.back().is_array) {
      positions.push_back({frames.back().array_id, frames.back().next_index});
    }
    frames.push_back({is_array, before, is_array ? arrays++ : 0, 0});
  }
  void close_container() {
    std::size_t before = frames.back().path_size;
    frames.pop_back();
    if (!frames.empty() && frames.back().is_array) positions.pop_back();
    leave_value(before);
  }
  void scalar(value_kind kind, std::string_view text) {
    if (skip_value()) return;
    std::size_t before = enter_value();
    out->begin_field(path, kind);
    out->text_buffer().append(text);
    out->end_field(positions);
    leave_value(before);
  }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  void begin_container(bool is_array) {
    if (skip_value()) {
      ++skip_depth;
    } else {
      open_container(is_array);
    }
  }
  void end_container() {
    if (skip_depth > 0) {
      --skip_depth;
    } else {
      close_container();
    }
  }
  bool on_object_begin(error_code&) {
    begin_container(false);
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    end_container();
    return true;
  }
  bool on_array_begin(error_code&) {
    begin_container(true);
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    end_container();
    return true;
  }
  bool on_key_part(sv s, std::size_t, error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, std::size_t, error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_string_part(sv s, std::size_t, error_code&) {
    if (!in_string && skip_value()) {
      in_string = true;
      skipping_scalar = true;
    }
    if (skipping_scalar) return true;
    if (!in_string) {
      value_path_size = enter_value();
      out->begin_field(path, value_kind::string);
      out->text_buffer() += '"';
      in_string = true;
    }
    out->text_buffer().append(s.data(), s.size());
    return true;
  }
  bool on_string(sv s, std::size_t n, error_code& ec) {
    on_string_part(s, n, ec);
    if (skipping_scalar) {
      in_string = skipping_scalar = false;
      return true;
    }
    out->text_buffer() += '"';
    out->end_field(positions);
    in_string = false;
    leave_value(value_path_size);
    return true;
  }
  bool on_number_part(sv s, error_code&) {
    if (!in_number && skip_value()) {
      in_number = true;
      skipping_scalar = true;
    }
    if (skipping_scalar) return true;
    if (!in_number) {
      value_path_size = enter_value();
      out->begin_field(path, value_kind::number);
      in_number = true;
    }
    out->text_buffer().append(s.data(), s.size());
    return true;
  }
  bool number(sv s) {
    error_code ec;
    on_number_part(s, ec);
    if (skipping_scalar) {
      in_number = skipping_scalar = false;
      return true;
    }
    out->end_field(positions);
    in_number = false;
    leave_value(value_path_size);
    return true;
  }
  bool on_int64(std::int64_t, sv s, error_code&) { return number(s); }
  bool on_uint64(std::uint64_t, sv s, error_code&) { return number(s); }
  bool on_double(double, sv s, error_code&) { return number(s); }
  bool on_bool(bool b, error_code&) {
    scalar(value_kind::literal, b ? "true" : "false");
    return true;
  }
  bool on_null(error_code&) {
    scalar(value_kind::literal, "null");
    return true;
  }
  bool on_comment_part(sv, error_code&) { return true; }
  bool on_comment(sv, error_code&) { return true; }
};

}  // namespace

std::string json_node::token_text() const {
  switch (type) {
    case kind::object: return "{";
    case kind::array: return "[";
    case kind::true_: return "true";
    case kind::false_: return "false";
    case kind::null: return "null";
    default: return text;
  }
}

result<json_node> read_json_tree(std::string_view text) {
  boost::json::basic_parser<tree_builder> parser(options_with_depth(max_json_depth));
  error_code ec;
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    return pattern_error(std::string(invalid_pattern_exception),
                         fmt::format("{} at offset {}", ec.message(), used));
  }
  if (text.find_first_not_of(" \t\r\n", used) != std::string_view::npos) {
    return pattern_error(std::string(invalid_pattern_exception),
                         fmt::format("unexpected text after the pattern at offset {}", used));
  }
  return std::move(parser.handler().root);
}

result<flat_event> flat_event::parse(std::string_view json, const step_names* used) {
  flat_event event;
  // Events may nest deeper than patterns (Jackson's limit, 1000); the flattener keeps its
  // own stack, no recursion.
  boost::json::basic_parser<event_flattener> parser(options_with_depth(1000));
  parser.handler().out = &event;
  parser.handler().used = used;
  error_code ec;
  std::size_t consumed = parser.write_some(false, json.data(), json.size(), ec);
  if (ec) {
    return pattern_error(
        "InvalidEventException",
        fmt::format("Event is not valid JSON: {} at offset {}", ec.message(), consumed));
  }
  if (json.find_first_not_of(" \t\r\n", consumed) != std::string_view::npos) {
    return pattern_error("InvalidEventException",
                         fmt::format("Event has text after its JSON at offset {}", consumed));
  }
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos ||
      json[json.find_first_not_of(" \t\r\n")] != '{') {
    return pattern_error("InvalidEventException", "Event must be a JSON object");
  }
  event.finish();
  return event;
}

}  // namespace wharf::pattern

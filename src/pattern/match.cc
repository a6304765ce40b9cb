// Flattened events and matching one branch against one event, with event-ruler's array
// consistency: the fields a branch matches must not come from different elements of the
// same array, and {"exists": false} only sees fields consistent with the fields matched
// before it (in path order).
#include <boost/json/value.hpp>
#include <charconv>

#include "pattern/model.h"

namespace wharf::pattern {

void flat_event::begin_field(std::string_view path, value_kind kind) {
  pending p{};
  p.path_offset = static_cast<std::uint32_t>(paths_.size());
  p.path_size = static_cast<std::uint32_t>(path.size());
  paths_.append(path);
  p.text_offset = static_cast<std::uint32_t>(text_.size());
  p.kind = kind;
  pending_.push_back(p);
}

void flat_event::end_field(const std::vector<array_position>& positions) {
  pending& p = pending_.back();
  p.text_size = static_cast<std::uint32_t>(text_.size() - p.text_offset);
  p.positions_offset = static_cast<std::uint32_t>(positions_.size());
  p.positions_size = static_cast<std::uint32_t>(positions.size());
  positions_.insert(positions_.end(), positions.begin(), positions.end());
}

void flat_event::finish() {
  fields_.clear();
  fields_.reserve(pending_.size());
  for (const pending& p : pending_) {
    field f{};
    f.path = std::string_view(paths_).substr(p.path_offset, p.path_size);
    f.text = std::string_view(text_).substr(p.text_offset, p.text_size);
    f.kind = p.kind;
    f.comparable = false;
    f.number = 0;
    if (p.kind == value_kind::number) {
      if (auto number = comparable_number(f.text)) {
        f.comparable = true;
        f.number = *number;
      }
    }
    f.positions = positions_.data() + p.positions_offset;
    f.position_count = p.positions_size;
    fields_.push_back(f);
  }
  std::stable_sort(fields_.begin(), fields_.end(),
                   [](const field& a, const field& b) { return a.path < b.path; });
}

std::pair<std::size_t, std::size_t> flat_event::with_path(std::string_view path) const {
  auto less_path = [](const field& f, std::string_view p) { return f.path < p; };
  auto begin = std::lower_bound(fields_.begin(), fields_.end(), path, less_path);
  auto end = begin;
  while (end != fields_.end() && end->path == path) ++end;
  return {static_cast<std::size_t>(begin - fields_.begin()),
          static_cast<std::size_t>(end - fields_.begin())};
}

namespace {

// Walks a Boost.JSON DOM the way the text flattener walks tokens.
class value_flattener {
 public:
  explicit value_flattener(flat_event& out) : out_(out) {}

  void object(const boost::json::object& object) {
    bool root = depth_++ == 0;
    for (const auto& member : object) {
      std::size_t before = path_.size();
      if (!root) path_ += '.';
      path_.append(member.key().data(), member.key().size());
      value(member.value());
      path_.resize(before);
    }
    --depth_;
  }

 private:
  void value(const boost::json::value& v) {
    switch (v.kind()) {
      case boost::json::kind::object: object(v.get_object()); break;
      case boost::json::kind::array: {
        std::uint32_t id = arrays_++;
        std::uint32_t index = 0;
        for (const auto& item : v.get_array()) {
          bool container = item.is_object() || item.is_array();
          if (container) positions_.push_back({id, index});
          value(item);
          if (container) positions_.pop_back();
          ++index;
        }
        break;
      }
      case boost::json::kind::string: {
        out_.begin_field(path_, value_kind::string);
        auto& text = out_.text_buffer();
        text += '"';
        text.append(v.get_string().data(), v.get_string().size());
        text += '"';
        out_.end_field(positions_);
        break;
      }
      case boost::json::kind::int64:
      case boost::json::kind::uint64:
      case boost::json::kind::double_: {
        out_.begin_field(path_, value_kind::number);
        char buffer[32];
        std::to_chars_result printed{};
        if (v.is_int64()) {
          printed = std::to_chars(buffer, buffer + sizeof buffer, v.get_int64());
        } else if (v.is_uint64()) {
          printed = std::to_chars(buffer, buffer + sizeof buffer, v.get_uint64());
        } else {
          printed = std::to_chars(buffer, buffer + sizeof buffer, v.get_double());
        }
        out_.text_buffer().append(buffer, printed.ptr);
        out_.end_field(positions_);
        break;
      }
      case boost::json::kind::bool_:
        out_.begin_field(path_, value_kind::literal);
        out_.text_buffer() += v.get_bool() ? "true" : "false";
        out_.end_field(positions_);
        break;
      case boost::json::kind::null:
        out_.begin_field(path_, value_kind::literal);
        out_.text_buffer() += "null";
        out_.end_field(positions_);
        break;
    }
  }

  flat_event& out_;
  std::string path_;
  std::vector<array_position> positions_;
  std::uint32_t arrays_ = 0;
  int depth_ = 0;  // objects entered: members of the root object start the path
};

// The array elements the fields matched so far come from.
class membership {
 public:
  std::size_t size() const { return positions_.size(); }
  void truncate(std::size_t size) { positions_.resize(size); }

  bool consistent(const flat_event::field& f) const {
    for (std::uint32_t i = 0; i < f.position_count; ++i) {
      for (const auto& p : positions_) {
        if (p.array == f.positions[i].array && p.index != f.positions[i].index) return false;
      }
    }
    return true;
  }
  // Adds the field's positions (after consistent() said yes).
  void add(const flat_event::field& f) {
    for (std::uint32_t i = 0; i < f.position_count; ++i) {
      bool known = false;
      for (const auto& p : positions_) known = known || p.array == f.positions[i].array;
      if (!known) positions_.push_back(f.positions[i]);
    }
  }

 private:
  std::vector<array_position> positions_;
};

bool match_from(const branch& b, std::size_t test_index, const flat_event& event,
                membership& seen) {
  if (test_index == b.fields.size()) return true;
  const field_test& test = b.fields[test_index];
  auto [begin, end] = event.with_path(test.path);
  const auto& fields = event.fields();
  if (test.absent_allowed) {
    bool present = false;
    for (std::size_t i = begin; i < end && !present; ++i) present = seen.consistent(fields[i]);
    if (!present && match_from(b, test_index + 1, event, seen)) return true;
  }
  // Values that add no array position leave the rest of the search unchanged: the rest
  // is tried once for all of them, so big scalar arrays cannot make the search explode.
  bool tried_unchanged = false;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& f = fields[i];
    if (!seen.consistent(f)) continue;
    bool value_ok = false;
    for (const auto& m : test.any_of) {
      if (value_matches(m, f)) {
        value_ok = true;
        break;
      }
    }
    if (!value_ok) continue;
    std::size_t mark = seen.size();
    seen.add(f);
    if (seen.size() == mark) {
      if (tried_unchanged) continue;
      tried_unchanged = true;
    }
    bool rest_ok = match_from(b, test_index + 1, event, seen);
    seen.truncate(mark);
    if (rest_ok) return true;
  }
  return false;
}

}  // namespace

flat_event flat_event::from_value(const boost::json::value& event) {
  flat_event out;
  if (event.is_object()) value_flattener(out).object(event.get_object());
  out.finish();
  return out;
}

bool branch_matches(const branch& b, const flat_event& event) {
  membership seen;
  return match_from(b, 0, event, seen);
}

namespace {

bool any_branch(const pattern& p, const flat_event& event) {
  for (const auto& b : p.model().branches) {
    if (branch_matches(b, event)) return true;
  }
  return false;
}

}  // namespace

bool matches(const pattern& p, const boost::json::value& event) {
  if (!event.is_object()) return false;
  return any_branch(p, flat_event::from_value(event));
}

result<bool> matches(const pattern& p, std::string_view event_json) {
  auto event = flat_event::parse(event_json);
  if (!event.ok()) return event.err();
  return any_branch(p, *event);
}

}  // namespace wharf::pattern

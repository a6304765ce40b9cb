#include "schema/avro_codec.h"

#include <cmath>
#include <cstring>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::schema::avro {

namespace bj = boost::json;

namespace {

// --- encoding --------------------------------------------------------------------

void put_long(std::string& out, std::int64_t v) {
  auto z = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  while (z >= 0x80) {
    out += static_cast<char>((z & 0x7f) | 0x80);
    z >>= 7;
  }
  out += static_cast<char>(z);
}

template <typename T>
void put_le(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // x86-64 is little-endian, as Avro's floats are
  out.append(bytes, sizeof(T));
}

// A JSON string of code points 0-255 as the bytes they stand for.
result<std::string> latin1_bytes(std::string_view utf8, const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
      auto next = static_cast<unsigned char>(utf8[i + 1]);
      unsigned code = ((c & 0x1fu) << 6) | (next & 0x3fu);
      if ((next & 0xc0) == 0x80 && code <= 0xff) {
        out += static_cast<char>(code);
        ++i;
        continue;
      }
    }
    return make_error(errc::invalid_argument,
                      "{}: bytes are a string of characters U+0000 to U+00FF",
                      path.empty() ? "/" : path);
  }
  return out;
}

// Avro's JSON name of a union branch: the primitive's name or the named type's full name.
std::string branch_name(const node& n) {
  return is_named(n.type) ? n.full_name : std::string(type_name(n.type));
}

class encoder {
 public:
  result<bool> write(const node& s, const bj::value& v, const std::string& path, bool in_default) {
    auto mismatch = [&]() -> error {
      return make_error(
          errc::invalid_argument, "{}: expected {}, got {}", path.empty() ? "/" : path,
          is_named(s.type) ? s.full_name : std::string(type_name(s.type)), bj::serialize(v));
    };
    switch (s.type) {
      case type::null:
        if (!v.is_null()) return mismatch();
        return true;
      case type::boolean:
        if (!v.is_bool()) return mismatch();
        out_ += v.get_bool() ? '\1' : '\0';
        return true;
      case type::int_:
      case type::long_: {
        std::int64_t x = 0;
        if (v.is_int64()) {
          x = v.get_int64();
        } else if (v.is_uint64() && v.get_uint64() <= INT64_MAX) {
          x = static_cast<std::int64_t>(v.get_uint64());
        } else {
          return mismatch();
        }
        if (s.type == type::int_ && (x < INT32_MIN || x > INT32_MAX)) return mismatch();
        put_long(out_, x);
        return true;
      }
      case type::float_:
      case type::double_: {
        double d = 0;
        if (v.is_number()) {
          d = v.to_number<double>();
        } else if (v.is_string() && v.get_string() == "NaN") {
          d = std::nan("");
        } else if (v.is_string() &&
                   (v.get_string() == "Infinity" || v.get_string() == "-Infinity")) {
          // JSON has no such numbers: these strings stand for them, as decoding writes them.
          d = v.get_string() == "Infinity" ? HUGE_VAL : -HUGE_VAL;
        } else {
          return mismatch();
        }
        if (s.type == type::float_) {
          put_le(out_, static_cast<float>(d));
        } else {
          put_le(out_, d);
        }
        return true;
      }
      case type::string:
        if (!v.is_string()) return mismatch();
        put_long(out_, static_cast<std::int64_t>(v.get_string().size()));
        out_.append(v.get_string().data(), v.get_string().size());
        return true;
      case type::bytes:
      case type::fixed: {
        if (!v.is_string()) return mismatch();
        WHARF_ASSIGN_OR_RETURN(auto bytes, latin1_bytes(v.get_string(), path));
        if (s.type == type::fixed) {
          if (bytes.size() != s.size) {
            return make_error(errc::invalid_argument, "{}: {} holds exactly {} bytes, got {}", path,
                              s.full_name, s.size, bytes.size());
          }
        } else {
          put_long(out_, static_cast<std::int64_t>(bytes.size()));
        }
        out_ += bytes;
        return true;
      }
      case type::enumeration: {
        if (!v.is_string()) return mismatch();
        for (std::size_t i = 0; i < s.symbols.size(); ++i) {
          if (s.symbols[i] == v.get_string()) {
            put_long(out_, static_cast<std::int64_t>(i));
            return true;
          }
        }
        return make_error(errc::invalid_argument, "{}: \"{}\" is not a symbol of {}", path,
                          std::string(v.get_string()), s.full_name);
      }
      case type::array: {
        if (!v.is_array()) return mismatch();
        const auto& a = v.get_array();
        if (!a.empty()) {
          put_long(out_, static_cast<std::int64_t>(a.size()));
          for (std::size_t i = 0; i < a.size(); ++i) {
            WHARF_ASSIGN_OR_RETURN(
                auto ok, write(*s.items, a[i], path + "/" + std::to_string(i), in_default));
            (void)ok;
          }
        }
        put_long(out_, 0);
        return true;
      }
      case type::map: {
        if (!v.is_object()) return mismatch();
        const auto& o = v.get_object();
        if (!o.empty()) {
          put_long(out_, static_cast<std::int64_t>(o.size()));
          for (const auto& entry : o) {
            put_long(out_, static_cast<std::int64_t>(entry.key().size()));
            out_.append(entry.key().data(), entry.key().size());
            WHARF_ASSIGN_OR_RETURN(
                auto ok,
                write(*s.values, entry.value(), path + "/" + std::string(entry.key()), in_default));
            (void)ok;
          }
        }
        put_long(out_, 0);
        return true;
      }
      case type::union_: {
        // A default for a union is the value of its first branch, not wrapped.
        if (in_default) {
          put_long(out_, 0);
          return write(*s.branches.front(), v, path, true);
        }
        if (v.is_null()) {
          for (std::size_t i = 0; i < s.branches.size(); ++i) {
            if (s.branches[i]->type == type::null) {
              put_long(out_, static_cast<std::int64_t>(i));
              return true;
            }
          }
          return mismatch();
        }
        if (!v.is_object() || v.get_object().size() != 1) {
          return make_error(errc::invalid_argument,
                            "{}: a union value is null or {{\"<type>\": value}}, got {}",
                            path.empty() ? "/" : path, bj::serialize(v));
        }
        const auto& entry = *v.get_object().begin();
        for (std::size_t i = 0; i < s.branches.size(); ++i) {
          const auto& b = *s.branches[i];
          if (branch_name(b) == entry.key() || (is_named(b.type) && b.name == entry.key())) {
            put_long(out_, static_cast<std::int64_t>(i));
            return write(b, entry.value(), path + "/" + std::string(entry.key()), false);
          }
        }
        return make_error(errc::invalid_argument, "{}: the union has no branch \"{}\"",
                          path.empty() ? "/" : path, std::string(entry.key()));
      }
      case type::record: {
        if (!v.is_object()) return mismatch();
        const auto& o = v.get_object();
        for (const auto& f : s.fields) {
          const auto* given = o.if_contains(f.name);
          auto field_path = path + "/" + f.name;
          if (given) {
            WHARF_ASSIGN_OR_RETURN(auto ok, write(*f.schema, *given, field_path, in_default));
            (void)ok;
          } else if (f.default_value) {
            WHARF_ASSIGN_OR_RETURN(auto ok, write(*f.schema, *f.default_value, field_path, true));
            (void)ok;
          } else {
            return make_error(errc::invalid_argument, "{}: missing field with no default",
                              field_path);
          }
        }
        return true;
      }
    }
    return mismatch();
  }

  std::string out_;
};

// --- decoding --------------------------------------------------------------------

class decoder {
 public:
  explicit decoder(std::string_view bytes) : in_(bytes) {}

  result<bj::value> read(const node& s, int depth = 0) {
    if (depth > 256) return bad("values nest too deeply");
    switch (s.type) {
      case type::null: return bj::value(nullptr);
      case type::boolean: {
        WHARF_ASSIGN_OR_RETURN(auto b, take(1));
        if (b[0] != 0 && b[0] != 1) return bad("a boolean is 0 or 1");
        return bj::value(b[0] == 1);
      }
      case type::int_: {
        WHARF_ASSIGN_OR_RETURN(auto x, get_long());
        if (x < INT32_MIN || x > INT32_MAX) return bad("an int out of range");
        return bj::value(x);
      }
      case type::long_: {
        WHARF_ASSIGN_OR_RETURN(auto x, get_long());
        return bj::value(x);
      }
      case type::float_: {
        WHARF_ASSIGN_OR_RETURN(auto b, take(4));
        float f;
        std::memcpy(&f, b.data(), 4);
        return number(f);
      }
      case type::double_: {
        WHARF_ASSIGN_OR_RETURN(auto b, take(8));
        double d;
        std::memcpy(&d, b.data(), 8);
        return number(d);
      }
      case type::string: {
        WHARF_ASSIGN_OR_RETURN(auto text, get_bytes());
        return bj::value(bj::string(text));
      }
      case type::bytes: {
        WHARF_ASSIGN_OR_RETURN(auto raw, get_bytes());
        return latin1_json(raw);
      }
      case type::fixed: {
        WHARF_ASSIGN_OR_RETURN(auto raw, take(s.size));
        return latin1_json(raw);
      }
      case type::enumeration: {
        WHARF_ASSIGN_OR_RETURN(auto i, get_long());
        if (i < 0 || static_cast<std::uint64_t>(i) >= s.symbols.size()) {
          return bad("an enum index out of range");
        }
        return bj::value(bj::string(s.symbols[static_cast<std::size_t>(i)]));
      }
      case type::array: {
        bj::array out;
        while (true) {
          WHARF_ASSIGN_OR_RETURN(auto count, block_count());
          if (count == 0) break;
          for (std::int64_t i = 0; i < count; ++i) {
            auto left = in_.size();
            WHARF_ASSIGN_OR_RETURN(auto item, read(*s.items, depth + 1));
            if (in_.size() == left) {
              // An item that took no bytes (null, an empty record or fixed) is free to
              // send: a budget per datum bounds them, however they are split in blocks.
              if (empty_items_left_ == 0) return bad("too many items that take no bytes");
              --empty_items_left_;
            }
            out.push_back(std::move(item));
          }
        }
        return bj::value(std::move(out));
      }
      case type::map: {
        bj::object out;
        while (true) {
          WHARF_ASSIGN_OR_RETURN(auto count, block_count());
          if (count == 0) break;
          for (std::int64_t i = 0; i < count; ++i) {
            WHARF_ASSIGN_OR_RETURN(auto key, get_bytes());
            WHARF_ASSIGN_OR_RETURN(auto value, read(*s.values, depth + 1));
            out[key] = std::move(value);
          }
        }
        return bj::value(std::move(out));
      }
      case type::union_: {
        WHARF_ASSIGN_OR_RETURN(auto i, get_long());
        if (i < 0 || static_cast<std::uint64_t>(i) >= s.branches.size()) {
          return bad("a union branch out of range");
        }
        const auto& b = *s.branches[static_cast<std::size_t>(i)];
        WHARF_ASSIGN_OR_RETURN(auto value, read(b, depth + 1));
        if (b.type == type::null) return value;
        bj::object wrapped;
        wrapped[branch_name(b)] = std::move(value);
        return bj::value(std::move(wrapped));
      }
      case type::record: {
        bj::object out;
        for (const auto& f : s.fields) {
          WHARF_ASSIGN_OR_RETURN(auto value, read(*f.schema, depth + 1));
          out[f.name] = std::move(value);
        }
        return bj::value(std::move(out));
      }
    }
    return bad("unknown type");
  }

  bool at_end() const { return in_.empty(); }

 private:
  static error bad(std::string_view what) {
    return make_error(errc::parse_error, "malformed Avro data: {}", what);
  }

  static bj::value number(double d) {
    // JSON has no NaN or infinities; Avro's JSON encoder writes them as strings.
    if (std::isnan(d)) return bj::value("NaN");
    if (std::isinf(d)) return bj::value(d > 0 ? "Infinity" : "-Infinity");
    return bj::value(d);
  }

  static bj::value latin1_json(std::string_view raw) {
    std::string text;
    for (unsigned char c : raw) {
      if (c < 0x80) {
        text += static_cast<char>(c);
      } else {
        text += static_cast<char>(0xc0 | (c >> 6));
        text += static_cast<char>(0x80 | (c & 0x3f));
      }
    }
    return bj::value(bj::string(text));
  }

  result<std::string_view> take(std::uint64_t n) {
    if (n > in_.size()) return bad("truncated");
    auto out = in_.substr(0, n);
    in_.remove_prefix(n);
    return out;
  }

  result<std::int64_t> get_long() {
    std::uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (in_.empty()) return bad("truncated varint");
      auto b = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      z |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
    }
    return bad("varint too long");
  }

  result<std::string_view> get_bytes() {
    WHARF_ASSIGN_OR_RETURN(auto n, get_long());
    if (n < 0) return bad("a negative length");
    return take(static_cast<std::uint64_t>(n));
  }

  // A block's item count; a negative count is followed by the block's byte size.
  result<std::int64_t> block_count() {
    WHARF_ASSIGN_OR_RETURN(auto count, get_long());
    if (count < 0) {
      if (count == INT64_MIN) return bad("a block count out of range");
      count = -count;
      WHARF_ASSIGN_OR_RETURN(auto size, get_long());
      (void)size;
    }
    // Every item takes at least a byte unless it is one that takes none (see the array
    // case): bound absurd counts before looping over them.
    if (static_cast<std::uint64_t>(count) > in_.size() + empty_items_left_)
      return bad("a block count too large");
    return count;
  }

  std::string_view in_;
  std::uint64_t empty_items_left_ = 1'000'000;
};

}  // namespace

result<std::string> encode_json(const node& schema, const bj::value& datum) {
  encoder e;
  WHARF_ASSIGN_OR_RETURN(auto ok, e.write(schema, datum, "", false));
  (void)ok;
  return std::move(e.out_);
}

result<bj::value> decode_to_json(const node& schema, std::string_view bytes) {
  decoder d(bytes);
  WHARF_ASSIGN_OR_RETURN(auto value, d.read(schema));
  if (!d.at_end()) return make_error(errc::parse_error, "malformed Avro data: trailing bytes");
  return value;
}

}  // namespace wharf::schema::avro

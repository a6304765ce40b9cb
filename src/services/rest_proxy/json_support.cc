#include "services/rest_proxy/json_support.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::rest_proxy::json {

namespace bj = boost::json;

api_result<bj::value> parse_body(std::string_view body) {
  bj::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  bj::storage_ptr storage;
  auto value = bj::parse(bj::string_view(body.data(), body.size()), ec, storage, options);
  if (ec) {
    return api_error{error_codes::bad_request,
                     fmt::format("Malformed JSON in the request body: {}", ec.message())};
  }
  return value;
}

void append_string(std::string& out, std::string_view text) { append_json_string(out, text); }

void write(const bj::value& value, std::string& out) {
  switch (value.kind()) {
    case bj::kind::null: out += "null"; break;
    case bj::kind::bool_: out += value.get_bool() ? "true" : "false"; break;
    case bj::kind::int64: out += fmt::format("{}", value.get_int64()); break;
    case bj::kind::uint64: out += fmt::format("{}", value.get_uint64()); break;
    case bj::kind::double_: {
      // fmt's shortest round-trip form; JSON has no NaN or infinity (the parser never
      // produces them).
      out += fmt::format("{}", value.get_double());
      break;
    }
    case bj::kind::string: {
      const auto& s = value.get_string();
      append_string(out, std::string_view(s.data(), s.size()));
      break;
    }
    case bj::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : value.get_array()) {
        if (!first) out += ',';
        first = false;
        write(item, out);
      }
      out += ']';
      break;
    }
    case bj::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out += ',';
        first = false;
        append_string(out, std::string_view(member.key().data(), member.key().size()));
        out += ':';
        write(member.value(), out);
      }
      out += '}';
      break;
    }
  }
}

std::string to_text(const bj::value& value) {
  std::string out;
  write(value, out);
  return out;
}

const bj::value* field(const bj::value& v, std::string_view name) {
  const auto* object = v.if_object();
  if (!object) return nullptr;
  return object->if_contains(bj::string_view(name.data(), name.size()));
}

api_result<std::optional<std::int64_t>> integer_field(const bj::value& v, std::string_view name,
                                                      std::int64_t min, std::int64_t max) {
  const auto* f = field(v, name);
  if (!f || f->is_null()) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  if (f->is_int64()) {
    n = f->get_int64();
  } else if (f->is_uint64() && f->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    n = static_cast<std::int64_t>(f->get_uint64());
  } else {
    return api_error{error_codes::invalid_payload,
                     fmt::format("Payload error. {} must be an integer", name)};
  }
  if (n < min || n > max) {
    return api_error{error_codes::invalid_payload,
                     fmt::format("Payload error. {} must be between {} and {}", name, min, max)};
  }
  return std::optional<std::int64_t>(n);
}

api_result<std::optional<std::string>> string_field(const bj::value& v, std::string_view name) {
  const auto* f = field(v, name);
  if (!f || f->is_null()) return std::optional<std::string>{};
  if (!f->is_string()) {
    return api_error{error_codes::invalid_payload,
                     fmt::format("Payload error. {} must be a string", name)};
  }
  return std::optional<std::string>(std::string(f->get_string()));
}

}  // namespace wharf::rest_proxy::json

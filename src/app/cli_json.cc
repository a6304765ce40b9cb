#include "app/cli_json.h"

#include <string>

#include <boost/json/serialize.hpp>

namespace wharf::app {

namespace bj = boost::json;

void print_json_indented(std::ostream& out, const bj::value& v, std::size_t depth) {
  std::string inner((depth + 1) * 4, ' '), outer(depth * 4, ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out << "{\n";
    bool first = true;
    for (const auto& [key, member] : v.get_object()) {
      out << (first ? "" : ",\n") << inner << bj::serialize(bj::string(key)) << ": ";
      print_json_indented(out, member, depth + 1);
      first = false;
    }
    out << "\n" << outer << "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out << "[\n";
    bool first = true;
    for (const auto& item : v.get_array()) {
      out << (first ? "" : ",\n") << inner;
      print_json_indented(out, item, depth + 1);
      first = false;
    }
    out << "\n" << outer << "]";
  } else {
    out << bj::serialize(v);
  }
}

}  // namespace wharf::app

// What the `wharf` verbs that talk to a running Wharf's admin API share.
#pragma once

#include <cstddef>
#include <ostream>

#include <boost/json/value.hpp>

namespace wharf::app {

// JSON indented by four spaces a level, as the aws CLI prints it.
void print_json_indented(std::ostream& out, const boost::json::value& v, std::size_t depth = 0);

}  // namespace wharf::app

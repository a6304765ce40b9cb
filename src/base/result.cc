#include "base/result.h"

#include <cstdio>

namespace wharf {

const char* to_string(errc code) {
  switch (code) {
    case errc::invalid_argument: return "invalid argument";
    case errc::parse_error: return "parse error";
    case errc::not_found: return "not found";
    case errc::already_exists: return "already exists";
    case errc::io_error: return "i/o error";
    case errc::out_of_range: return "out of range";
    case errc::unsupported: return "unsupported";
    case errc::timed_out: return "timed out";
    case errc::internal: return "internal error";
  }
  return "unknown error";
}

void abort_on_bad_access(const char* what) {
  std::fprintf(stderr, "wharf: bad result access: %s\n", what);
  std::abort();
}

void assert_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "wharf: assertion failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace wharf

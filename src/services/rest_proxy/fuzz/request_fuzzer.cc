// libFuzzer target for the REST Proxy's parsers of untrusted input: v2 and v3 produce
// bodies, Content-Type/Accept headers, base64 and ISO-8601 timestamps, and the rendering
// of arbitrary record bytes. Besides "no crash, no sanitizer report" it checks:
//   - a v2 json record accepted is stored as JSON text that parses back;
//   - a consumer record rendered from any bytes, in either format, is valid JSON;
//   - base64 and timestamps round-trip through our own encoders.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "base/base64.h"
#include "services/rest_proxy/formats.h"
#include "services/rest_proxy/json_support.h"
#include "services/rest_proxy/records.h"

namespace {

using namespace wharf;
using namespace wharf::rest_proxy;

void check(bool condition) {
  if (!condition) std::abort();
}

bool is_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  return !ec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto selector = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (selector % 6) {
    case 0:
    case 1: {
      auto format = selector % 2 ? embedded_format::json : embedded_format::binary;
      auto records = parse_v2_produce(input, format, "t", std::nullopt);
      if (records.ok() && format == embedded_format::json) {
        for (const auto& r : *records) {
          if (r.value) check(is_json(*r.value));
          if (r.key) check(is_json(*r.key));
        }
      }
      break;
    }
    case 2: {
      auto body = json::parse_body(input);
      if (body.ok()) (void)parse_v3_record(*body, "t");
      break;
    }
    case 3: {
      (void)produce_format(input);
      (void)records_accept(input);
      (void)check_v2_json_body(input);
      if (auto millis = parse_iso8601_millis(input); millis && *millis >= 0) {
        check(parse_iso8601_millis(iso8601_millis(*millis)) == *millis);
      }
      break;
    }
    case 4: {
      if (auto bytes = base64::decode(input))
        check(base64::decode(base64::encode(*bytes)) == *bytes);
      break;
    }
    case 5: {
      kafka::client::consumed_record r;
      r.topic = "t";
      auto half = input.size() / 2;
      r.key = std::string(input.substr(0, half));
      r.value = std::string(input.substr(half));
      for (auto format : {embedded_format::binary, embedded_format::json}) {
        std::string out;
        append_v2_record(out, r, format);
        check(is_json(out));
      }
      break;
    }
  }
  return 0;
}

// Request frame decoding and response frame encoding (see frame.h).
#include "kafka/protocol/frame.h"

namespace wharf::kafka::protocol {

std::optional<frame_error> frame_error_of(const error& err) {
  switch (err.code()) {
    case errc::not_found: return frame_error::unknown_api_key;
    case errc::unsupported: return frame_error::unsupported_version;
    case errc::parse_error: return frame_error::malformed_header;
    case errc::invalid_argument: return frame_error::malformed_body;
    default: return std::nullopt;
  }
}

const char* to_string(frame_error kind) {
  switch (kind) {
    case frame_error::unknown_api_key: return "unknown api key";
    case frame_error::unsupported_version: return "unsupported version";
    case frame_error::malformed_header: return "malformed request header";
    case frame_error::malformed_body: return "malformed request body";
  }
  return "unknown frame error";
}

std::optional<request_prefix> peek_request_prefix(std::string_view frame) {
  byte_reader reader(frame);
  request_prefix prefix;
  prefix.api_key = reader.read_int16();
  prefix.api_version = reader.read_int16();
  prefix.correlation_id = reader.read_int32();
  if (!reader.ok()) return std::nullopt;
  return prefix;
}

result<request_frame> decode_request_frame(std::string_view frame) {
  byte_reader reader(frame);
  auto key = reader.read_int16();
  auto version = reader.read_int16();
  if (!reader.ok()) {
    return make_error(errc::parse_error, "request frame of {} bytes is too short for a header",
                      frame.size());
  }
  const api_info* api = find_api(key);
  if (api == nullptr) return make_error(errc::not_found, "unknown api key {}", key);

  request_frame out;
  out.key = api->key;
  out.version = version;
  // The header version follows from the key and version even for versions beyond the
  // highest one (a newer client's ApiVersions request), so the header still parses.
  out.header_version = request_header_version(api->key, version);
  byte_reader header_reader(frame);
  if (!out.header.decode(header_reader, out.header_version)) {
    return make_error(errc::parse_error, "malformed {} v{} request header (v{}): {}", api->name,
                      version, out.header_version, header_reader.error());
  }
  if (version < api->lowest_version || version > api->highest_version) {
    return make_error(errc::unsupported, "{} v{} is not supported (versions {}-{})", api->name,
                      version, api->lowest_version, api->highest_version);
  }
  out.body = frame.substr(header_reader.position());
  return out;
}

error malformed_body_error(const request_frame& frame, const byte_reader& reader) {
  auto name = api_name(frame.key);
  if (!reader.ok()) {
    return make_error(errc::invalid_argument, "malformed {} v{} request body: {}", name,
                      frame.version, reader.error());
  }
  return make_error(errc::invalid_argument, "{} v{} request body has {} bytes left over", name,
                    frame.version, reader.remaining());
}

std::size_t begin_response_frame(byte_writer& out, api_key key, std::int16_t version,
                                 std::int32_t correlation_id) {
  auto start = out.size();
  out.write_int32(0);  // the size, patched by finish_frame
  response_header header;
  header.correlation_id = correlation_id;
  header.encode(out, response_header_version(key, version));
  return start;
}

std::size_t begin_request_frame(byte_writer& out, const request_header& header) {
  auto start = out.size();
  out.write_int32(0);
  // An unknown key (a test of the broker's answer to one) gets the classic header v1.
  const api_info* api = find_api(header.request_api_key);
  header.encode(out, api ? request_header_version(api->key, header.request_api_version) : 1);
  return start;
}

void finish_frame(byte_writer& out, std::size_t start) {
  auto size = out.size() + out.spliced_size_since(start) - start - 4;
  out.patch_int32(start, static_cast<std::int32_t>(size));
}

}  // namespace wharf::kafka::protocol

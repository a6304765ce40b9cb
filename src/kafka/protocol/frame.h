// Kafka request and response frames: the request decoder a broker runs on each frame it
// reads (header first, then the body for the API and version the header names) and the
// response encoder it answers with. A frame is the bytes after the 4-byte size prefix.
//
// Failures are values, never exceptions. decode_request_frame and decode_request_body
// report them as wharf::error with these codes, which frame_error_of() maps back:
//   errc::not_found         unknown API key            (Kafka closes the connection)
//   errc::unsupported       version outside the spec's range (ApiVersions answers v0 with
//                           UNSUPPORTED_VERSION; peek_request_prefix gives the correlation id)
//   errc::parse_error       malformed request header
//   errc::invalid_argument  malformed body (bytes left over after it are ignored, as Kafka
//                           ignores them: librdkafka sends some)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "kafka/protocol/generated/api_keys.h"
#include "kafka/protocol/generated/headers.h"

namespace wharf::kafka::protocol {

enum class frame_error {
  unknown_api_key,
  unsupported_version,
  malformed_header,
  malformed_body,
};

// Which frame error an error from the functions below is (nullopt for any other error).
std::optional<frame_error> frame_error_of(const error& err);
const char* to_string(frame_error kind);

// A request frame with its header decoded. body (and anything decoded from it: records
// are borrowed) points into the frame, which must outlive it.
struct request_frame {
  api_key key{};
  std::int16_t version = 0;
  std::int16_t header_version = 0;
  request_header header;
  std::string_view body;

  std::int32_t correlation_id() const { return header.correlation_id; }
};

result<request_frame> decode_request_frame(std::string_view frame);

// The fixed start of every request header (api key, version, correlation id), read
// without any validation: what a broker needs to answer a request it cannot decode.
struct request_prefix {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
};
std::optional<request_prefix> peek_request_prefix(std::string_view frame);

// The error for a body that did not decode, or left bytes over.
error malformed_body_error(const request_frame& frame, const byte_reader& reader);

// Decodes the body of a frame as Request, which must be the frame's API (check
// frame.key == Request::api first, or use visit_request_type from messages.h).
template <typename Request>
result<Request> decode_request_body(const request_frame& frame) {
  Request request;
  byte_reader reader(frame.body);
  if (!request.decode(reader, frame.version)) {
    return malformed_body_error(frame, reader);
  }
  return request;
}

// Response frames: size prefix, a response header of the version the API and version
// call for, then the body. begin/finish bracket a body written in between.
std::size_t begin_response_frame(byte_writer& out, api_key key, std::int16_t version,
                                 std::int32_t correlation_id);
// Patches the size prefix written at start.
void finish_frame(byte_writer& out, std::size_t start);

// Appends one complete response frame to out.
template <typename Response>
void encode_response_frame(std::string& out, std::int32_t correlation_id, std::int16_t version,
                           const Response& response) {
  byte_writer writer(out);
  auto start = begin_response_frame(writer, Response::api, version, correlation_id);
  response.encode(writer, version);
  finish_frame(writer, start);
}

// Request frames, as a client sends them (tests and tools): header.request_api_key and
// request_api_version pick the header version.
std::size_t begin_request_frame(byte_writer& out, const request_header& header);

template <typename Request>
void encode_request_frame(std::string& out, const request_header& header, const Request& request) {
  byte_writer writer(out);
  auto start = begin_request_frame(writer, header);
  request.encode(writer, header.request_api_version);
  finish_frame(writer, start);
}

}  // namespace wharf::kafka::protocol

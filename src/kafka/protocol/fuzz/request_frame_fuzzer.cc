// libFuzzer target: arbitrary bytes as a Kafka request frame (the bytes after the size
// prefix), as a broker would receive them from an untrusted client. The header decodes or
// fails with one of the four frame errors; a body that decodes must re-encode to bytes
// that decode again and re-encode identically (so decode and encode agree on every
// accepted input). The same bytes after the header are also decoded as the response of
// that API, which exercises the response decoders too. Build and run: scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>

#include "kafka/protocol/frame.h"
#include "kafka/protocol/generated/messages.h"

namespace {

using namespace wharf;
using namespace wharf::kafka::protocol;

[[noreturn]] void fail(const char* what, api_key key, std::int16_t version) {
  std::fprintf(stderr, "request_frame_fuzzer: %s (%.*s v%d)\n", what,
               static_cast<int>(api_name(key).size()), api_name(key).data(), version);
  std::abort();
}

// decode(encode(m)) must succeed, consume everything and encode to the same bytes.
template <typename Message>
void check_stable(const Message& message, api_key key, std::int16_t version) {
  std::string first;
  byte_writer first_writer(first);
  message.encode(first_writer, version);
  Message again;
  byte_reader reader(first);
  if (!again.decode(reader, version)) fail("re-encoded message does not decode", key, version);
  if (!reader.at_end()) fail("re-encoded message has bytes left over", key, version);
  std::string second;
  byte_writer second_writer(second);
  again.encode(second_writer, version);
  if (first != second) fail("encoding is not stable", key, version);
  // A float64 field holding NaN makes a message unequal to itself (IEEE comparison); its
  // bytes were compared above, which is what matters on the wire.
  const bool comparable = message == message;
  if (comparable && !(again == message)) {
    fail("decoded message differs after a round trip", key, version);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto decoded = decode_request_frame(frame);
  if (!decoded.ok()) {
    if (!frame_error_of(decoded.err())) std::abort();  // every failure is a frame error
    return 0;
  }
  const auto& request = *decoded;
  visit_request_type(request.key, [&]<typename Request>(std::type_identity<Request>) {
    auto body = decode_request_body<Request>(request);
    if (body.ok()) {
      check_stable(*body, request.key, request.version);
    } else if (frame_error_of(body.err()) != frame_error::malformed_body) {
      std::abort();
    }
  });
  visit_response_type(request.key, [&]<typename Response>(std::type_identity<Response>) {
    Response response;
    byte_reader reader(request.body);
    if (response.decode(reader, request.version) && reader.at_end()) {
      check_stable(response, request.key, request.version);
    }
  });
  return 0;
}

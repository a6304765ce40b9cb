// Tests of the request frame decoder (its four kinds of failure) and the frame encoders.
#include "kafka/protocol/frame.h"

#include <gtest/gtest.h>

#include "kafka/protocol/generated/api_versions.h"
#include "kafka/protocol/generated/controlled_shutdown.h"
#include "kafka/protocol/generated/fetch.h"
#include "kafka/protocol/generated/metadata.h"

namespace wharf::kafka::protocol {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// A frame without its 4-byte size prefix, as decode_request_frame takes it.
template <typename Request>
std::string request_frame_bytes(std::int16_t version, const Request& request,
                                std::int32_t correlation_id = 42) {
  request_header header;
  header.request_api_key = static_cast<std::int16_t>(Request::api);
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = "client-1";
  std::string out;
  encode_request_frame(out, header, request);
  return out.substr(4);
}

std::optional<frame_error> kind_of(const result<request_frame>& decoded) {
  return decoded.ok() ? std::nullopt : frame_error_of(decoded.err());
}

TEST(RequestFrame, DecodesHeaderAndBody) {
  metadata_request request;
  request.topics->emplace_back().name = "orders";
  auto frame = request_frame_bytes(12, request);

  auto decoded = decode_request_frame(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.err().message();
  EXPECT_EQ(decoded->key, api_key::metadata);
  EXPECT_EQ(decoded->version, 12);
  EXPECT_EQ(decoded->header_version, 2);
  EXPECT_EQ(decoded->correlation_id(), 42);
  EXPECT_EQ(decoded->header.client_id, "client-1");

  auto body = decode_request_body<metadata_request>(*decoded);
  ASSERT_TRUE(body.ok()) << body.err().message();
  ASSERT_EQ(body->topics->size(), 1u);
  EXPECT_EQ(body->topics->at(0).name, "orders");
  EXPECT_EQ(*body, request);
}

TEST(RequestFrame, FlexibleHeaderKeepsClientIdClassicAndReadsTags) {
  api_versions_request request;
  request.client_software_name = "wharf";
  auto frame = request_frame_bytes(3, request, 7);
  // key 18, version 3, correlation 7, classic client id "client-1", empty tag section.
  EXPECT_EQ(frame.substr(0, 19),
            bytes({0, 18, 0, 3, 0, 0, 0, 7, 0, 8, 'c', 'l', 'i', 'e', 'n', 't', '-', '1', 0}));
  auto decoded = decode_request_frame(frame);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->header_version, 2);
  auto body = decode_request_body<api_versions_request>(*decoded);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->client_software_name, "wharf");
}

TEST(RequestFrame, ControlledShutdownV0HasNoClientId) {
  // Header v0: key 7, version 0, correlation id 5; body: broker id 3.
  auto frame = bytes({0, 7, 0, 0, 0, 0, 0, 5, 0, 0, 0, 3});
  auto decoded = decode_request_frame(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.err().message();
  EXPECT_EQ(decoded->header_version, 0);
  auto body = decode_request_body<controlled_shutdown_request>(*decoded);
  ASSERT_TRUE(body.ok()) << body.err().message();
  EXPECT_EQ(body->broker_id, 3);
}

TEST(RequestFrame, UnknownApiKey) {
  EXPECT_EQ(kind_of(decode_request_frame(bytes({0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff}))),
            frame_error::unknown_api_key);
  EXPECT_EQ(kind_of(decode_request_frame(bytes({0xff, 0xff, 0, 0, 0, 0, 0, 1, 0xff, 0xff}))),
            frame_error::unknown_api_key);
}

TEST(RequestFrame, UnsupportedVersionStillGivesTheCorrelationId) {
  // A future ApiVersions v99 request: flexible header (v2), whatever body.
  auto frame = bytes({0, 18, 0, 99, 0, 0, 1, 0, 0xff, 0xff, 0, 1, 2, 3});
  auto decoded = decode_request_frame(frame);
  ASSERT_EQ(kind_of(decoded), frame_error::unsupported_version);
  auto prefix = peek_request_prefix(frame);
  ASSERT_TRUE(prefix.has_value());
  EXPECT_EQ(prefix->api_key, 18);
  EXPECT_EQ(prefix->api_version, 99);
  EXPECT_EQ(prefix->correlation_id, 256);
  // Produce v12 is beyond the specs' range (the header, v2, is well formed).
  EXPECT_EQ(kind_of(decode_request_frame(bytes({0, 0, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 0}))),
            frame_error::unsupported_version);
}

TEST(RequestFrame, MalformedHeader) {
  EXPECT_EQ(kind_of(decode_request_frame("")), frame_error::malformed_header);
  EXPECT_EQ(kind_of(decode_request_frame(bytes({0, 3}))), frame_error::malformed_header);
  // Metadata v4 with a client id claiming 9 bytes but carrying 2.
  EXPECT_EQ(kind_of(decode_request_frame(bytes({0, 3, 0, 4, 0, 0, 0, 1, 0, 9, 'a', 'b'}))),
            frame_error::malformed_header);
  // Metadata v9 (header v2) ends before its tagged-field section.
  EXPECT_EQ(kind_of(decode_request_frame(bytes({0, 3, 0, 9, 0, 0, 0, 1, 0xff, 0xff}))),
            frame_error::malformed_header);
  EXPECT_FALSE(peek_request_prefix(bytes({0, 3, 0, 9})).has_value());
}

TEST(RequestFrame, MalformedBodyFailsAndTrailingBytesAreIgnored) {
  metadata_request request;
  request.topics->emplace_back().name = "orders";
  auto frame = request_frame_bytes(12, request);

  auto truncated = decode_request_frame(std::string_view(frame).substr(0, frame.size() - 3));
  ASSERT_TRUE(truncated.ok());
  auto body = decode_request_body<metadata_request>(*truncated);
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(frame_error_of(body.err()), frame_error::malformed_body);

  auto overlong = frame + "x";
  auto decoded = decode_request_frame(overlong);
  ASSERT_TRUE(decoded.ok());
  // Kafka reads the fields it knows and ignores the rest; librdkafka relies on it.
  auto extra = decode_request_body<metadata_request>(*decoded);
  ASSERT_TRUE(extra.ok());
  EXPECT_EQ(*extra, request);
}

TEST(ResponseFrame, SizePrefixAndHeaderVersion) {
  api_versions_response versions;
  versions.api_keys.push_back({});
  std::string out;
  encode_response_frame(out, 9, 3, versions);
  // ApiVersions answers with header v0 even in flexible v3: no tagged-field byte.
  byte_reader reader(out);
  EXPECT_EQ(reader.read_int32(), static_cast<std::int32_t>(out.size() - 4));
  EXPECT_EQ(reader.read_int32(), 9);
  api_versions_response decoded;
  ASSERT_TRUE(decoded.decode(reader, 3));
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(decoded, versions);

  metadata_response metadata;
  std::string flexible;
  encode_response_frame(flexible, 10, 12, metadata);
  byte_reader flexible_reader(flexible);
  EXPECT_EQ(flexible_reader.read_int32(), static_cast<std::int32_t>(flexible.size() - 4));
  response_header header;
  ASSERT_TRUE(header.decode(flexible_reader, 1));
  EXPECT_EQ(header.correlation_id, 10);
  metadata_response decoded_metadata;
  ASSERT_TRUE(decoded_metadata.decode(flexible_reader, 12));
  EXPECT_TRUE(flexible_reader.at_end());

  // Two frames appended to one buffer.
  encode_response_frame(flexible, 11, 8, metadata);
  byte_reader both(flexible);
  both.skip(static_cast<std::size_t>(both.read_int32()));
  auto second_size = both.read_int32();
  EXPECT_EQ(second_size, static_cast<std::int32_t>(both.remaining()));
  EXPECT_EQ(both.read_int32(), 11);  // header v0: just the correlation id
}

// A response whose large records are spliced, reassembled in order, is byte for byte the
// response encoded the plain way, size prefix included (classic and flexible versions).
TEST(ResponseFrame, SplicedRecordsReassembleToThePlainEncoding) {
  std::string big_a(5000, 'a');
  std::string big_b(7000, 'b');
  fetch_response response;
  for (int t = 0; t < 2; ++t) {
    fetch_response::fetchable_topic_response topic;
    topic.topic = "t" + std::to_string(t);
    for (int p = 0; p < 3; ++p) {
      fetch_response::partition_data part;
      part.partition_index = p;
      part.records = p == 0   ? std::string_view(big_a)
                     : p == 1 ? std::string_view("tiny")
                              : std::string_view(big_b);
      topic.partitions.push_back(part);
    }
    response.responses.push_back(topic);
  }
  for (std::int16_t version :
       {std::int16_t{4}, std::int16_t{11}, std::int16_t{12}, std::int16_t{16}}) {
    std::string plain;
    encode_response_frame(plain, 42, version, response);

    std::string out;
    std::vector<byte_writer::splice> spliced;
    byte_writer writer(out);
    writer.splice_large_bytes(&spliced, 1000);
    auto start = begin_response_frame(writer, api_key::fetch, version, 42);
    response.encode(writer, version);
    finish_frame(writer, start);
    EXPECT_EQ(spliced.size(), 4u);

    std::string joined;
    std::size_t from = 0;
    for (const auto& piece : spliced) {
      joined.append(out, from, piece.position - from);
      joined.append(piece.bytes);
      from = piece.position;
    }
    joined.append(out, from);
    EXPECT_EQ(joined, plain) << "version " << version;
  }
}

}  // namespace
}  // namespace wharf::kafka::protocol

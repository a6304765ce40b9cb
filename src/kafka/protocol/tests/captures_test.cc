// Golden bytes from real clients: frames captured between librdkafka, kafka-python,
// kafkajs and the Java client and a real Apache Kafka broker
// (tools/kafka_codegen/capture.py, files in tests/data/kafka_captures/). Every frame must
// decode fully, and every request must re-encode byte for byte; responses too.
//
// File format, one frame per line (blank lines and lines starting with # are comments):
//   request <hex of the frame after its size prefix>
//   response <api key> <api version> <hex of the frame after its size prefix>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kafka/protocol/frame.h"
#include "kafka/protocol/generated/messages.h"

namespace wharf::kafka::protocol {
namespace {

namespace fs = std::filesystem;

struct captured_frame {
  std::string file;
  int line = 0;
  bool request = true;
  std::int16_t api_key = 0;  // responses only (requests say it themselves)
  std::int16_t api_version = 0;
  std::string bytes;
};

std::string from_hex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

fs::path captures_dir() { return WHARF_KAFKA_CAPTURES_DIR; }

std::vector<captured_frame> load_captures() {
  std::vector<captured_frame> frames;
  if (!fs::is_directory(captures_dir())) return frames;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(captures_dir())) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields(line);
      std::string kind, hex;
      captured_frame frame;
      frame.file = path.filename().string();
      frame.line = number;
      fields >> kind;
      if (kind == "response") {
        int key = 0, version = 0;
        fields >> key >> version;
        frame.request = false;
        frame.api_key = static_cast<std::int16_t>(key);
        frame.api_version = static_cast<std::int16_t>(version);
      }
      fields >> hex;
      frame.bytes = from_hex(hex);
      frames.push_back(std::move(frame));
    }
  }
  return frames;
}

const std::vector<captured_frame>& captures() {
  static const auto frames = load_captures();
  return frames;
}

std::string where(const captured_frame& frame) {
  return frame.file + ":" + std::to_string(frame.line);
}

// Decodes a request frame fully and re-encodes it; "" on success, else what went wrong.
std::string check_request(const captured_frame& frame) {
  auto decoded = decode_request_frame(frame.bytes);
  if (!decoded.ok()) return decoded.err().message();
  return visit_request_type(decoded->key, [&]<typename Request>(std::type_identity<Request>) {
    auto body = decode_request_body<Request>(*decoded);
    if (!body.ok()) return body.err().message();
    std::string again;
    encode_request_frame(again, decoded->header, *body);
    if (again.substr(4) != frame.bytes) {
      return std::string("re-encoded request differs from the captured bytes");
    }
    return std::string();
  });
}

std::string check_response(const captured_frame& frame) {
  const api_info* api = find_api(frame.api_key);
  if (api == nullptr) return "unknown api key";
  byte_reader reader(frame.bytes);
  response_header header;
  if (!header.decode(reader, response_header_version(api->key, frame.api_version))) {
    return "malformed response header";
  }
  auto body_start = reader.position();
  return visit_response_type(api->key, [&]<typename Response>(std::type_identity<Response>) {
    Response response;
    if (!response.decode(reader, frame.api_version)) {
      return std::string("malformed response body: ") + reader.error();
    }
    if (!reader.at_end()) return std::to_string(reader.remaining()) + " bytes left over";
    std::string again;
    byte_writer writer(again);
    response.encode(writer, frame.api_version);
    if (again != frame.bytes.substr(body_start)) {
      return std::string("re-encoded response differs from the captured bytes");
    }
    return std::string();
  });
}

TEST(Captures, EveryRequestDecodesFullyAndReencodesIdentically) {
  ASSERT_FALSE(captures().empty()) << "no captures in " << captures_dir();
  int checked = 0;
  for (const auto& frame : captures()) {
    if (!frame.request) continue;
    EXPECT_EQ(check_request(frame), "") << where(frame);
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(Captures, EveryResponseDecodesFullyAndReencodesIdentically) {
  int checked = 0;
  for (const auto& frame : captures()) {
    if (frame.request) continue;
    EXPECT_EQ(check_response(frame), "")
        << where(frame) << " (api " << frame.api_key << " v" << frame.api_version << ")";
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

// The captures must keep covering the APIs every client needs, from every client.
TEST(Captures, CoverTheMainApisOfEveryClient) {
  std::map<std::string, std::set<std::int16_t>> keys_by_file;
  for (const auto& frame : captures()) {
    if (!frame.request) continue;
    byte_reader reader(frame.bytes);
    keys_by_file[frame.file].insert(reader.read_int16());
  }
  const std::vector<api_key> required = {
      api_key::api_versions, api_key::metadata,         api_key::produce,    api_key::fetch,
      api_key::list_offsets, api_key::find_coordinator, api_key::join_group, api_key::sync_group,
      api_key::offset_fetch, api_key::offset_commit};
  for (const char* client : {"librdkafka", "kcat", "kafka_python", "kafkajs", "java"}) {
    std::set<std::int16_t> keys;
    for (const auto& [file, file_keys] : keys_by_file) {
      if (file.rfind(client, 0) == 0) keys.insert(file_keys.begin(), file_keys.end());
    }
    EXPECT_FALSE(keys.empty()) << "no capture from " << client;
    for (auto key : required) {
      EXPECT_TRUE(keys.count(static_cast<std::int16_t>(key)))
          << client << " captures lack " << api_name(key);
    }
  }
}

}  // namespace
}  // namespace wharf::kafka::protocol

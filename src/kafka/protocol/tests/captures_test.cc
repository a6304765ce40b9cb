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
#include "kafka/protocol/generated/api_keys.h"
#include "kafka/protocol/generated/headers.h"
#include "kafka/protocol/tests/round_trip.h"

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

// The per-type work (decode, re-encode) goes through the generated round-trip table, so
// this file does not instantiate every message type once more.
const round_trip_case* message_case(api_key key, const char* suffix) {
  return find_round_trip_case(std::string(api_name(key)) + suffix);
}

// Decodes a request frame fully and re-encodes it; "" on success, else what went wrong.
std::string check_request(const captured_frame& frame) {
  auto decoded = decode_request_frame(frame.bytes);
  if (!decoded.ok()) return decoded.err().message();
  const auto* message = message_case(decoded->key, "Request");
  if (message == nullptr) return "no round-trip case for this request";
  std::string again, why;
  byte_writer writer(again);
  decoded->header.encode(writer, decoded->header_version);
  if (!message->reencode(decoded->version, decoded->body, &again, &why)) return why;
  if (again != frame.bytes) return "re-encoded request differs from the captured bytes";
  return "";
}

std::string check_response(const captured_frame& frame) {
  const api_info* api = find_api(frame.api_key);
  if (api == nullptr) return "unknown api key";
  auto header_version = response_header_version(api->key, frame.api_version);
  byte_reader reader(frame.bytes);
  response_header header;
  if (!header.decode(reader, header_version)) return "malformed response header";
  const auto* message = message_case(api->key, "Response");
  if (message == nullptr) return "no round-trip case for this response";
  std::string again, why;
  byte_writer writer(again);
  header.encode(writer, header_version);
  if (!message->reencode(frame.api_version, reader.rest(), &again, &why)) return why;
  if (again != frame.bytes) return "re-encoded response differs from the captured bytes";
  return "";
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

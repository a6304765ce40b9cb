// REST Proxy record JSON: v2 produce bodies (binary/json), v3 records, timestamps and the
// v2 consumer record shape.
#include "services/rest_proxy/records.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "services/rest_proxy/json_support.h"

namespace wharf::rest_proxy {
namespace {

namespace kc = kafka::client;

TEST(V2Produce, BinaryRecordsAreBase64) {
  auto records = parse_v2_produce(
      R"({"records":[{"key":"a2V5","value":"dmFsdWU=","partition":2},{"value":"AA=="},{"key":null}]})",
      embedded_format::binary, "t", std::nullopt);
  ASSERT_TRUE(records.ok()) << records.err().message();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].topic, "t");
  EXPECT_EQ((*records)[0].key, "key");
  EXPECT_EQ((*records)[0].value, "value");
  EXPECT_EQ((*records)[0].partition, 2);
  EXPECT_FALSE((*records)[1].key);
  EXPECT_EQ((*records)[1].value, std::string(1, '\0'));
  EXPECT_FALSE((*records)[1].partition);
  EXPECT_FALSE((*records)[2].value);
}

TEST(V2Produce, JsonRecordsAreWrittenCompactly) {
  auto records = parse_v2_produce(
      R"({"records":[{"key":{"id": 1},"value":{"name":"x","n":[1.5, 2, -3e2, true, null],"u":"é\n"}}]})",
      embedded_format::json, "t", 4);
  ASSERT_TRUE(records.ok()) << records.err().message();
  EXPECT_EQ((*records)[0].key, R"({"id":1})");
  EXPECT_EQ((*records)[0].value, R"({"name":"x","n":[1.5,2,-300,true,null],"u":"é\n"})");
  EXPECT_EQ((*records)[0].partition, 4);  // the path's partition
}

TEST(V2Produce, BadInputGetsConfluentsCodes) {
  auto code = [](std::string_view body, embedded_format f = embedded_format::binary) {
    auto r = parse_v2_produce(body, f, "t", std::nullopt);
    return r.ok() ? 0 : r.err().error_code;
  };
  EXPECT_EQ(code("{not json"), 400);
  EXPECT_EQ(code(R"({"records":[{"value":"***"}]})"), 400);  // not base64
  EXPECT_EQ(code(R"({"records":[{"value":12}]})"), 400);     // binary must be a string
  EXPECT_EQ(code(R"({"records":[{"value":"Zg==","partition":-1}]})"), 42206);
  EXPECT_EQ(code(R"({"records":[{"value":"Zg==","partition":"one"}]})"), 42206);
  EXPECT_EQ(code(R"({"records":{}})"), 42206);
  EXPECT_EQ(code(R"({"records":[]})"), 42206);
  EXPECT_EQ(code(R"({})"), 42206);
  EXPECT_EQ(code(R"([1,2])"), 42206);
  EXPECT_EQ(code(R"({"records":[5]})"), 42206);
  std::string deep(100, '[');
  EXPECT_EQ(code(deep + std::string(100, ']')), 400);  // nesting limit
  EXPECT_EQ(code(R"({"records":[{"value":{"a":1}}]})", embedded_format::json), 0);
}

TEST(V3Produce, TypedKeyValueHeadersAndTimestamp) {
  auto body = boost::json::parse(
      R"({"partition_id":1,"key":{"type":"STRING","data":"k"},
          "value":{"type":"JSON","data":{"a":[1,2]}},
          "headers":[{"name":"h1","value":"dg=="},{"name":"h2","value":null}],
          "timestamp":"2021-02-05T19:14:42.371Z"})");
  auto r = parse_v3_record(body, "t");
  ASSERT_TRUE(r.ok()) << r.err().message();
  EXPECT_EQ(r->record.partition, 1);
  EXPECT_EQ(r->record.key, "k");
  EXPECT_EQ(r->key_type, v3_data_type::string);
  EXPECT_EQ(r->record.value, R"({"a":[1,2]})");
  EXPECT_EQ(r->value_type, v3_data_type::json);
  ASSERT_EQ(r->record.headers.size(), 2u);
  EXPECT_EQ(r->record.headers[0].value, "v");
  EXPECT_FALSE(r->record.headers[1].value);
  EXPECT_EQ(r->record.timestamp_ms, 1612552482371);
}

TEST(V3Produce, BinaryByDefaultAndErrors) {
  auto r = parse_v3_record(boost::json::parse(R"({"value":{"data":"aGk="}})"), "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->record.value, "hi");
  EXPECT_EQ(r->value_type, v3_data_type::binary);
  EXPECT_FALSE(r->key_type);
  auto code = [](std::string_view body) {
    auto parsed = parse_v3_record(boost::json::parse(body), "t");
    return parsed.ok() ? 0 : parsed.err().error_code;
  };
  EXPECT_EQ(code(R"({"value":{"type":"BINARY","data":"not base64!"}})"), 400);
  EXPECT_EQ(code(R"({"value":{"type":"STRING","data":5}})"), 400);
  EXPECT_EQ(code(R"({"value":{"type":"AVRO","data":{}}})"), 0);  // the registry is asked later
  EXPECT_EQ(code(R"({"value":{"type":"JSON","schema_id":3,"data":{}}})"), 400);
  EXPECT_EQ(code(R"({"value":{"schema":"{}","data":{}}})"), 400);  // a schema without a type
  EXPECT_EQ(code(R"({"value":{"subject":"s","data":{}}})"), 400);
  EXPECT_EQ(code(R"({"value":{"type":"AVRO","subject_name_strategy":"RECORD_NAME","data":{}}})"),
            400);
  EXPECT_EQ(code(R"({"value":{"type":"XML","data":""}})"), 400);
  EXPECT_EQ(code(R"({"value":{"schema_id":3,"data":{}}})"), 0);
  EXPECT_EQ(code(R"({"partition_id":-1})"), 40402);
  EXPECT_EQ(code(R"({"timestamp":"yesterday"})"), 400);
  EXPECT_EQ(code(R"({"timestamp":"1969-12-31T23:59:59Z"})"), 400) << "Kafka takes none before 1970";
  EXPECT_EQ(code(R"({"headers":[{"value":"AA=="}]})"), 42206);
  EXPECT_EQ(code(R"("just a string")"), 42206);
}

TEST(Timestamps, Iso8601LikeJavaInstant) {
  EXPECT_EQ(iso8601_millis(1612552482371), "2021-02-05T19:14:42.371Z");
  EXPECT_EQ(iso8601_millis(1612552482000), "2021-02-05T19:14:42Z");
  EXPECT_EQ(iso8601_millis(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(parse_iso8601_millis("2021-02-05T19:14:42Z"), 1612552482000);
  EXPECT_EQ(parse_iso8601_millis("2021-02-05T20:14:42.5+01:00"), 1612552482500);
  EXPECT_FALSE(parse_iso8601_millis("2021-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601_millis("2021-02-05 19:14:42Z"));
  EXPECT_FALSE(parse_iso8601_millis("2021-02-05T19:14:42"));
}

TEST(V2Records, BinaryAndJsonShapes) {
  kc::consumed_record r;
  r.topic = "t";
  r.partition = 2;
  r.offset = 17;
  r.key = "key";
  r.value = R"({"a": 1})";
  std::string out;
  append_v2_record(out, r, embedded_format::binary);
  EXPECT_EQ(out, R"({"topic":"t","key":"a2V5","value":"eyJhIjogMX0=","partition":2,"offset":17})");
  out.clear();
  append_v2_record(out, r, embedded_format::json);
  // "key" is not JSON: it comes back as a JSON string rather than breaking the response.
  EXPECT_EQ(out, R"({"topic":"t","key":"key","value":{"a": 1},"partition":2,"offset":17})");
  r.key.reset();
  r.value = std::string("\xff\xfe", 2);
  out.clear();
  append_v2_record(out, r, embedded_format::json);
  EXPECT_EQ(out, R"({"topic":"t","key":null,"value":"\ufffd\ufffd","partition":2,"offset":17})");
  EXPECT_TRUE(boost::json::parse(out).is_object());
}

TEST(Json, Utf8Validation) {
  EXPECT_TRUE(json::is_valid_utf8("plain"));
  EXPECT_TRUE(json::is_valid_utf8("é€😀"));
  EXPECT_FALSE(json::is_valid_utf8("\xc3"));          // truncated
  EXPECT_FALSE(json::is_valid_utf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(json::is_valid_utf8("\xed\xa0\x80"));  // surrogate
}

}  // namespace
}  // namespace wharf::rest_proxy

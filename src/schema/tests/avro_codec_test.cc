#include "schema/avro_codec.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wharf::schema::avro {
namespace {

namespace bj = boost::json;

schema_ptr parse(std::string_view text) {
  auto s = schema::parse(text);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message());
  return *s;
}

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(AvroCodec, EncodesAsTheSpecificationSays) {
  // The specification's examples: long 64 is 0x80 0x01, string "foo" is 06 66 6f 6f.
  EXPECT_EQ(hex(*encode_json(parse(R"("long")")->root(), bj::value(64))), "8001");
  EXPECT_EQ(hex(*encode_json(parse(R"("long")")->root(), bj::value(-64))), "7f");
  EXPECT_EQ(hex(*encode_json(parse(R"("string")")->root(), bj::value("foo"))), "06666f6f");
  // A union: branch index, then the value. null is not wrapped, others are.
  auto u = parse(R"(["null", "string"])");
  EXPECT_EQ(hex(*encode_json(u->root(), bj::value(nullptr))), "00");
  EXPECT_EQ(hex(*encode_json(u->root(), bj::parse(R"({"string": "a"})"))), "020261");
  // Arrays in one block ended by 0; bytes as code points.
  auto a = parse(R"({"type": "array", "items": "bytes"})");
  EXPECT_EQ(hex(*encode_json(a->root(), bj::parse(R"(["\u00ff", ""])"))), "0402ff0000");
}

TEST(AvroCodec, RoundTripsARecordWithDefaults) {
  auto s = parse(R"({"type": "record", "name": "Order", "namespace": "shop", "fields": [
      {"name": "id", "type": "long"},
      {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
      {"name": "tags", "type": {"type": "map", "values": "int"}, "default": {}},
      {"name": "note", "type": ["null", "string"], "default": null},
      {"name": "hash", "type": {"type": "fixed", "name": "H", "size": 2}},
      {"name": "total", "type": "double"},
      {"name": "paid", "type": ["null", "shop.Status"]}]})");
  auto datum = bj::parse(R"({"id": 7, "status": "PAID", "hash": "\u0001\u00ff", "total": 1.5,
                             "paid": {"shop.Status": "NEW"}})");
  auto bytes = encode_json(s->root(), datum);
  ASSERT_TRUE(bytes.ok()) << bytes.err().message();
  auto back = decode_to_json(s->root(), *bytes);
  ASSERT_TRUE(back.ok()) << back.err().message();
  EXPECT_EQ(bj::serialize(*back),
            R"({"id":7,"status":"PAID","tags":{},"note":null,"hash":"\u0001ÿ","total":1.5E0,)"
            R"("paid":{"shop.Status":"NEW"}})");
}

TEST(AvroCodec, RefusesValuesThatDoNotFit) {
  auto s = parse(R"({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})");
  auto missing = encode_json(s->root(), bj::parse("{}"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.err().message().find("/a: missing field"), std::string::npos);
  auto wrong = encode_json(s->root(), bj::parse(R"({"a": "x"})"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.err().message().find("/a: expected int"), std::string::npos);
  EXPECT_FALSE(encode_json(s->root(), bj::parse(R"({"a": 3000000000})")).ok());
  auto u = parse(R"(["null", "int"])");
  EXPECT_FALSE(encode_json(u->root(), bj::parse(R"({"string": "x"})")).ok());
  EXPECT_FALSE(encode_json(u->root(), bj::value(3)).ok());  // must be wrapped
}

TEST(AvroCodec, RefusesMalformedBytes) {
  auto s = parse(R"({"type": "array", "items": "string"})");
  EXPECT_FALSE(decode_to_json(s->root(), std::string("\x02\x10", 2)).ok());  // truncated
  EXPECT_FALSE(decode_to_json(s->root(), std::string("\x00\x00", 2)).ok());  // trailing
  EXPECT_FALSE(decode_to_json(s->root(), std::string("\x02\x01", 2)).ok());  // length -1
  auto n = parse(R"({"type": "array", "items": "null"})");
  EXPECT_FALSE(
      decode_to_json(n->root(), std::string("\xfe\xff\xff\xff\xff\xff\xff\xff\x7f", 9)).ok());
  auto u = parse(R"(["null", "int"])");
  EXPECT_FALSE(decode_to_json(u->root(), std::string("\x06", 1)).ok());  // branch 3
}

}  // namespace
}  // namespace wharf::schema::avro

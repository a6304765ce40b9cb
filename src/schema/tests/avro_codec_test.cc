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

// Items that take no bytes (null here) are bounded per datum, not per block: many blocks
// under the per-block bound used to add up to a datum its own encoding (one block) could
// not be read back from.
TEST(AvroCodec, ItemsThatTakeNoBytesAreBoundedPerDatum) {
  auto n = parse(R"({"type": "array", "items": "null"})");
  auto block = [](std::int64_t count) {  // a block header: zigzag varint
    std::string out;
    auto z = static_cast<std::uint64_t>(count << 1);
    while (z >= 0x80) {
      out += static_cast<char>((z & 0x7f) | 0x80);
      z >>= 7;
    }
    out += static_cast<char>(z);
    return out;
  };
  auto one = decode_to_json(n->root(), block(900'000) + block(0));
  ASSERT_TRUE(one.ok());
  auto again = encode_json(n->root(), *one);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(decode_to_json(n->root(), *again).ok());
  // The second block's count is over what is left of the budget.
  EXPECT_FALSE(decode_to_json(n->root(), block(600'000) + block(600'000) + block(0)).ok());
  // Small blocks add up to the same budget.
  std::string many;
  for (int i = 0; i < 11; ++i) many += block(100'000);
  EXPECT_FALSE(decode_to_json(n->root(), many + block(0)).ok());
  // Bytes later in the datum do not pay for empty items: a record whose second field is
  // 2 MB of bytes cannot carry 1.1 M nulls in its first.
  auto r = parse(R"({"type": "record", "name": "R", "fields": [
      {"name": "a", "type": {"type": "array", "items": "null"}}, {"name": "b", "type": "bytes"}]})");
  std::string big(2'000'000, 'x');
  auto split = decode_to_json(r->root(), block(1'100'000) + block(0) + block(2'000'000) + big);
  ASSERT_FALSE(split.ok());
  EXPECT_NE(split.err().message().find("no bytes"), std::string::npos) << split.err().message();
}

}  // namespace
}  // namespace wharf::schema::avro

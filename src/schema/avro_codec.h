// Avro data: the binary encoding (what Confluent's serializers put after the 5-byte
// header) to and from Avro's JSON encoding (unions as {"type": value}, bytes and fixed as
// strings of code points 0-255), as the REST Proxy's avro embedded format speaks it.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "base/result.h"
#include "schema/avro_schema.h"

namespace wharf::schema::avro {

// Encodes a datum given in Avro's JSON encoding. Record fields left out take their
// default. Errors name the path of the offending value ("/items/2/name").
result<std::string> encode_json(const node& schema, const boost::json::value& datum);

// Decodes one datum of schema from the whole of bytes into Avro's JSON encoding. Fails on
// truncated or trailing bytes and on impossible values (negative lengths, bad branches).
result<boost::json::value> decode_to_json(const node& schema, std::string_view bytes);

}  // namespace wharf::schema::avro

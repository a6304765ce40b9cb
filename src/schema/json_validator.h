// Validation of JSON values against a JSON Schema (draft-04 to draft-07 vocabulary, plus
// the 2019-09/2020-12 keywords prefixItems, dependentRequired and dependentSchemas), for
// the REST Proxy's `jsonschema` embedded format, which must refuse records that do not
// match their schema. `format` is an annotation only, as in Python's jsonschema without a
// format checker and in Confluent's default validator.
#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "schema/json_schema.h"

namespace wharf::schema::json {

struct validation_error {
  std::string instance_pointer;  // where in the value: "/items/2/price" ("" = the root)
  std::string schema_pointer;    // the failing keyword: "#/properties/items/items/minimum"
  std::string message;           // "2.5 is less than the minimum of 3"
};

// Every failure of `value` against `s` (empty when the value is valid). Stops after
// `max_errors` failures.
std::vector<validation_error> validate(const schema& s, const boost::json::value& value,
                                       std::size_t max_errors = 100);

// Whether `value` is valid, without building messages.
bool is_valid(const schema& s, const boost::json::value& value);

}  // namespace wharf::schema::json

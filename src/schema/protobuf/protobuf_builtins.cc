// Confluent's own types (confluent/meta.proto, confluent/type/decimal.proto) and Google's
// common types (google/type/*.proto, from googleapis), which confluent-kafka-python's
// _is_builtin leaves out of a schema's references. Written here from the descriptors the
// Python packages ship: the same files, packages, messages, enums, field names, numbers
// and types, so the wire encoding is the same; comments and language options left out.
#include "schema/protobuf/protobuf_builtins.h"

namespace wharf::schema::protobuf {

namespace {

constexpr std::string_view confluent_meta = R"(syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
option go_package = "../confluent";

message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
  repeated Rule rules = 4;
}

message Rule {
  string name = 1;
  string doc = 2;
  string expr = 3;
  string sql = 4;
}

extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
)";

constexpr std::string_view confluent_decimal = R"(syntax = "proto3";
package confluent.type;

message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
)";

constexpr std::string_view google_calendar_period = R"(syntax = "proto3";
package google.type;
enum CalendarPeriod {
  CALENDAR_PERIOD_UNSPECIFIED = 0; DAY = 1; WEEK = 2; FORTNIGHT = 3; MONTH = 4;
  QUARTER = 5; HALF = 6; YEAR = 7;
}
)";

constexpr std::string_view google_color = R"(syntax = "proto3";
package google.type;
import "google/protobuf/wrappers.proto";
message Color {
  float red = 1;
  float green = 2;
  float blue = 3;
  google.protobuf.FloatValue alpha = 4;
}
)";

constexpr std::string_view google_date = R"(syntax = "proto3";
package google.type;
message Date { int32 year = 1; int32 month = 2; int32 day = 3; }
)";

constexpr std::string_view google_datetime = R"(syntax = "proto3";
package google.type;
import "google/protobuf/duration.proto";
message DateTime {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
  int32 hours = 4;
  int32 minutes = 5;
  int32 seconds = 6;
  int32 nanos = 7;
  oneof time_offset {
    google.protobuf.Duration utc_offset = 8;
    TimeZone time_zone = 9;
  }
}
message TimeZone { string id = 1; string version = 2; }
)";

constexpr std::string_view google_dayofweek = R"(syntax = "proto3";
package google.type;
enum DayOfWeek {
  DAY_OF_WEEK_UNSPECIFIED = 0; MONDAY = 1; TUESDAY = 2; WEDNESDAY = 3; THURSDAY = 4;
  FRIDAY = 5; SATURDAY = 6; SUNDAY = 7;
}
)";

constexpr std::string_view google_expr = R"(syntax = "proto3";
package google.type;
message Expr { string expression = 1; string title = 2; string description = 3; string location = 4; }
)";

constexpr std::string_view google_fraction = R"(syntax = "proto3";
package google.type;
message Fraction { int64 numerator = 1; int64 denominator = 2; }
)";

constexpr std::string_view google_latlng = R"(syntax = "proto3";
package google.type;
message LatLng { double latitude = 1; double longitude = 2; }
)";

constexpr std::string_view google_money = R"(syntax = "proto3";
package google.type;
message Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; }
)";

constexpr std::string_view google_month = R"(syntax = "proto3";
package google.type;
enum Month {
  MONTH_UNSPECIFIED = 0; JANUARY = 1; FEBRUARY = 2; MARCH = 3; APRIL = 4; MAY = 5; JUNE = 6;
  JULY = 7; AUGUST = 8; SEPTEMBER = 9; OCTOBER = 10; NOVEMBER = 11; DECEMBER = 12;
}
)";

constexpr std::string_view google_postal_address = R"(syntax = "proto3";
package google.type;
message PostalAddress {
  int32 revision = 1;
  string region_code = 2;
  string language_code = 3;
  string postal_code = 4;
  string sorting_code = 5;
  string administrative_area = 6;
  string locality = 7;
  string sublocality = 8;
  repeated string address_lines = 9;
  repeated string recipients = 10;
  string organization = 11;
}
)";

constexpr std::string_view google_quaternion = R"(syntax = "proto3";
package google.type;
message Quaternion { double x = 1; double y = 2; double z = 3; double w = 4; }
)";

constexpr std::string_view google_timeofday = R"(syntax = "proto3";
package google.type;
message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }
)";

}  // namespace

const std::vector<std::pair<std::string_view, std::string_view>>& builtin_proto_texts() {
  static const std::vector<std::pair<std::string_view, std::string_view>> texts = {
      {"confluent/meta.proto", confluent_meta},
      {"confluent/type/decimal.proto", confluent_decimal},
      {"google/type/calendar_period.proto", google_calendar_period},
      {"google/type/color.proto", google_color},
      {"google/type/date.proto", google_date},
      {"google/type/datetime.proto", google_datetime},
      {"google/type/dayofweek.proto", google_dayofweek},
      {"google/type/expr.proto", google_expr},
      {"google/type/fraction.proto", google_fraction},
      {"google/type/latlng.proto", google_latlng},
      {"google/type/money.proto", google_money},
      {"google/type/month.proto", google_month},
      {"google/type/postal_address.proto", google_postal_address},
      {"google/type/quaternion.proto", google_quaternion},
      {"google/type/timeofday.proto", google_timeofday},
  };
  return texts;
}

}  // namespace wharf::schema::protobuf

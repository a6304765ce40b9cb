// Names of the Kafka error codes record batches can cause.
#include "kafka/records/error.h"

namespace wharf::kafka::records {

const char* error_name(error_code code) {
  switch (code) {
    case error_code::unknown_server_error: return "UNKNOWN_SERVER_ERROR";
    case error_code::none: return "NONE";
    case error_code::corrupt_message: return "CORRUPT_MESSAGE";
    case error_code::message_too_large: return "MESSAGE_TOO_LARGE";
    case error_code::invalid_timestamp: return "INVALID_TIMESTAMP";
    case error_code::unsupported_for_message_format: return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case error_code::unsupported_compression_type: return "UNSUPPORTED_COMPRESSION_TYPE";
    case error_code::invalid_record: return "INVALID_RECORD";
  }
  return "UNKNOWN";
}

}  // namespace wharf::kafka::records

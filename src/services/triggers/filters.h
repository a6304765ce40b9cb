// Lambda's FilterCriteria for Kafka records: up to five EventBridge patterns, ORed, over
// the record's metadata (topic, partition, offset, timestamp, timestampType) and its
// value, decoded as UTF-8 and read as JSON when it is JSON. As Lambda documents, a pattern
// whose `value` part does not fit the record's format (a JSON pattern for a plain-string
// value, or the other way round, or a value that is not UTF-8) is applied to the metadata
// only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kafka/client/types.h"
#include "services/triggers/event_source_mapping.h"

namespace wharf::triggers {

using record_filter = std::function<bool(const kafka::client::consumed_record&)>;

// The filter for these patterns; InvalidParameterValueException for an invalid one.
result<record_filter, api_error> make_record_filter(const std::vector<std::string>& patterns);

}  // namespace wharf::triggers

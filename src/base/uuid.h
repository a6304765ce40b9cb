// Random (version 4) UUIDs, for ids Wharf hands out: consumer group member ids, request
// ids, event ids, event source mapping UUIDs.
#pragma once

#include <string>

namespace wharf {

// "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx"; thread safe.
std::string random_uuid();

}  // namespace wharf

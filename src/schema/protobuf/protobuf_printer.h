// Internal to schema/protobuf: prints a FileDescriptor as .proto text that parses back to
// the same descriptor, nested message order included (which message indexes depend on).
#pragma once

#include <string>

namespace google::protobuf {
class FileDescriptor;
}

namespace wharf::schema::protobuf {

std::string print_proto_text(const google::protobuf::FileDescriptor* file);

}  // namespace wharf::schema::protobuf

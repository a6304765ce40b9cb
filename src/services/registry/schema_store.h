// The Schema Registry's state, rebuilt from the records of its Kafka topic (`_schemas`,
// one partition, compacted) in Confluent's own key and value layout, so a Wharf registry
// can take over a Confluent registry's topic and the other way round:
//   SCHEMA          {"keytype":"SCHEMA","subject":s,"version":v,"magic":1}
//                   -> {"subject","version","id","schemaType","references","schema","deleted"}
//                   (a tombstone removes the version for good)
//   CONFIG          {"keytype":"CONFIG","subject":s|null,"magic":0} -> {"compatibilityLevel"}
//   MODE            {"keytype":"MODE","subject":s|null,"magic":0} -> {"mode"}
//   DELETE_SUBJECT  {"keytype":"DELETE_SUBJECT","subject":s,"magic":0} -> {"subject","version"}
//   CLEAR_SUBJECT   {"keytype":"CLEAR_SUBJECT","subject":s,"magic":0} -> {"subject"}
//   NOOP            {"keytype":"NOOP","magic":0} (a marker writers read back to sync)
// The store is a plain state machine: the writer builds records with the *_record
// functions, produces them, and every instance applies what it reads in order.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wharf::registry {

enum class schema_type { avro, json, protobuf };
std::string_view to_string(schema_type type);  // "AVRO", "JSON", "PROTOBUF"
std::optional<schema_type> parse_schema_type(std::string_view text);

struct schema_reference {
  std::string name;  // how the schema refers to it (an Avro full name, a .proto import)
  std::string subject;
  int version = 0;
  bool operator==(const schema_reference&) const = default;
};

struct stored_schema {
  int id = 0;
  schema_type type = schema_type::avro;
  std::string text;
  std::vector<schema_reference> references;
};

struct subject_version {
  std::string subject;
  int version = 0;
  int id = 0;
  bool deleted = false;
};

// One record of the topic: key and value JSON text; no value is a tombstone.
struct log_record {
  std::string key;
  std::optional<std::string> value;
};

class schema_store {
 public:
  // Applies one record. Records this store does not understand (other key types, bad
  // JSON) are skipped and reported false, as Confluent's reader skips them.
  bool apply(std::string_view key, std::optional<std::string_view> value);

  const stored_schema* schema_by_id(int id) const;
  // The id a schema already has anywhere in the registry, judged by its identity (its
  // JSON with insignificant whitespace and key order removed) and references.
  std::optional<int> id_of(schema_type type, std::string_view text,
                           const std::vector<schema_reference>& references) const;
  // The next id to hand out: above every id ever seen, so ids are never reused.
  int next_id() const { return max_id_ + 1; }

  std::vector<std::string> subjects(bool include_deleted, std::string_view prefix = {}) const;
  bool subject_exists(const std::string& subject, bool include_deleted) const;
  std::vector<int> versions(const std::string& subject, bool include_deleted) const;
  // A version of a subject; version -1 is the latest.
  std::optional<subject_version> version(const std::string& subject, int version,
                                         bool include_deleted) const;
  // The version of subject holding this schema, if any.
  std::optional<subject_version> find(const std::string& subject, schema_type type,
                                      std::string_view text,
                                      const std::vector<schema_reference>& references,
                                      bool include_deleted) const;
  // Subjects and versions using schema id.
  std::vector<subject_version> uses_of(int id, bool include_deleted) const;
  // Schema ids of versions that refer to subject/version.
  std::vector<int> referenced_by(const std::string& subject, int version) const;
  int latest_version_number(const std::string& subject) const;  // 0 if none ever

  // Compatibility level and mode set for a subject (nullopt: the global setting).
  std::optional<std::string> compatibility(const std::optional<std::string>& subject) const;
  std::optional<std::string> mode(const std::optional<std::string>& subject) const;

  // Records the writer produces for each change.
  static log_record schema_record(const subject_version& version, const stored_schema& schema);
  static log_record schema_tombstone(const std::string& subject, int version);
  static log_record config_record(const std::optional<std::string>& subject,
                                  const std::optional<std::string>& level);
  static log_record mode_record(const std::optional<std::string>& subject,
                                const std::optional<std::string>& mode);
  static log_record delete_subject_record(const std::string& subject, int up_to_version);
  static log_record clear_subject_record(const std::string& subject);
  static log_record noop_record();

  // The identity two registrations of one schema share.
  static std::string identity(schema_type type, std::string_view text);

 private:
  struct version_entry {
    int id = 0;
    bool deleted = false;
  };
  struct subject_entry {
    std::map<int, version_entry> versions;
  };

  std::map<int, stored_schema> schemas_;
  std::map<std::string, int> ids_by_identity_;  // identity + references -> id
  std::map<std::string, subject_entry> subjects_;
  std::map<std::string, std::string> subject_compatibility_;
  std::optional<std::string> global_compatibility_;
  std::map<std::string, std::string> subject_modes_;
  std::optional<std::string> global_mode_;
  int max_id_ = 0;
};

}  // namespace wharf::registry

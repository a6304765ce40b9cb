#include "services/registry/schema_store.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace wharf::registry {

namespace bj = boost::json;

std::string_view to_string(schema_type type) {
  switch (type) {
    case schema_type::avro: return "AVRO";
    case schema_type::json: return "JSON";
    case schema_type::protobuf: return "PROTOBUF";
  }
  return "AVRO";
}

std::optional<schema_type> parse_schema_type(std::string_view text) {
  if (text == "AVRO") return schema_type::avro;
  if (text == "JSON") return schema_type::json;
  if (text == "PROTOBUF") return schema_type::protobuf;
  return std::nullopt;
}

namespace {

std::optional<bj::value> parse_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = bj::parse(bj::string_view(text.data(), text.size()), ec);
  if (ec) return std::nullopt;
  return v;
}

std::optional<std::string> string_at(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<int> int_at(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= INT32_MIN && v->get_int64() <= INT32_MAX) {
    return static_cast<int>(v->get_int64());
  }
  if (v->is_uint64() && v->get_uint64() <= INT32_MAX) return static_cast<int>(v->get_uint64());
  return std::nullopt;
}

// JSON text with object keys sorted and no insignificant whitespace.
void write_sorted(const bj::value& v, std::string& out) {
  if (v.is_object()) {
    std::vector<std::pair<std::string_view, const bj::value*>> entries;
    for (const auto& e : v.get_object()) entries.emplace_back(e.key(), &e.value());
    std::sort(entries.begin(), entries.end());
    out += '{';
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out += ',';
      out += bj::serialize(bj::value(bj::string(entries[i].first)));
      out += ':';
      write_sorted(*entries[i].second, out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    const auto& a = v.get_array();
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (i > 0) out += ',';
      write_sorted(a[i], out);
    }
    out += ']';
  } else {
    out += bj::serialize(v);
  }
}

std::string identity_key(schema_type type, std::string_view text,
                         const std::vector<schema_reference>& references) {
  std::string key(to_string(type));
  key += '\n';
  key += schema_store::identity(type, text);
  for (const auto& r : references) {
    key += '\n' + r.name + '\0' + r.subject + '\0' + std::to_string(r.version);
  }
  return key;
}

bj::value subject_or_null(const std::optional<std::string>& subject) {
  return subject ? bj::value(bj::string(*subject)) : bj::value(nullptr);
}

}  // namespace

std::string schema_store::identity(schema_type type, std::string_view text) {
  if (type != schema_type::protobuf) {
    if (auto json = parse_json(text)) {
      std::string out;
      write_sorted(*json, out);
      return out;
    }
  }
  // Protobuf (and anything not JSON): the text without leading or trailing blanks.
  auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(start, end - start + 1));
}

bool schema_store::apply(std::string_view key_text, std::optional<std::string_view> value_text) {
  auto key_json = parse_json(key_text);
  if (!key_json || !key_json->is_object()) return false;
  const auto& key = key_json->get_object();
  auto keytype = string_at(key, "keytype");
  if (!keytype) return false;
  auto subject = string_at(key, "subject");

  std::optional<bj::value> value_json;
  if (value_text) {
    value_json = parse_json(*value_text);
    if (!value_json || !(value_json->is_object() || value_json->is_null())) return false;
    if (value_json->is_null()) value_json.reset();
  }

  if (*keytype == "NOOP") return true;

  if (*keytype == "SCHEMA") {
    auto version = int_at(key, "version");
    if (!subject || !version) return false;
    if (!value_json) {
      auto s = subjects_.find(*subject);
      if (s == subjects_.end()) return true;
      s->second.versions.erase(*version);
      if (s->second.versions.empty()) subjects_.erase(s);
      return true;
    }
    const auto& value = value_json->get_object();
    auto id = int_at(value, "id");
    auto text = string_at(value, "schema");
    if (!id || !text) return false;
    auto type = schema_type::avro;
    if (auto t = string_at(value, "schemaType")) {
      auto parsed = parse_schema_type(*t);
      if (!parsed) return false;
      type = *parsed;
    }
    std::vector<schema_reference> references;
    if (const auto* refs = value.if_contains("references"); refs && refs->is_array()) {
      for (const auto& r : refs->get_array()) {
        if (!r.is_object()) return false;
        auto name = string_at(r.get_object(), "name");
        auto ref_subject = string_at(r.get_object(), "subject");
        auto ref_version = int_at(r.get_object(), "version");
        if (!name || !ref_subject || !ref_version) return false;
        references.push_back({*name, *ref_subject, *ref_version});
      }
    }
    bool deleted = false;
    if (const auto* d = value.if_contains("deleted"); d && d->is_bool()) deleted = d->get_bool();
    if (!schemas_.count(*id)) {
      auto identity = identity_key(type, *text, references);
      schemas_[*id] = stored_schema{*id, type, *text, references};
      ids_by_identity_.emplace(std::move(identity), *id);
    }
    subjects_[*subject].versions[*version] = version_entry{*id, deleted};
    max_id_ = std::max(max_id_, *id);
    return true;
  }

  if (*keytype == "CONFIG" || *keytype == "MODE") {
    bool config = *keytype == "CONFIG";
    std::optional<std::string> setting;
    if (value_json) {
      setting = string_at(value_json->get_object(), config ? "compatibilityLevel" : "mode");
      if (!setting && config) setting = string_at(value_json->get_object(), "compatibility");
    }
    auto& per_subject = config ? subject_compatibility_ : subject_modes_;
    auto& global = config ? global_compatibility_ : global_mode_;
    if (subject) {
      if (setting) {
        per_subject[*subject] = *setting;
      } else {
        per_subject.erase(*subject);
      }
    } else {
      global = setting;
    }
    return true;
  }

  if (*keytype == "DELETE_SUBJECT") {
    if (!subject || !value_json) return false;
    auto up_to = int_at(value_json->get_object(), "version");
    auto s = subjects_.find(*subject);
    if (s == subjects_.end()) return true;
    for (auto& [v, entry] : s->second.versions) {
      if (!up_to || v <= *up_to) entry.deleted = true;
    }
    return true;
  }

  if (*keytype == "CLEAR_SUBJECT") {
    if (!subject) return false;
    auto s = subjects_.find(*subject);
    if (s == subjects_.end()) return true;
    std::erase_if(s->second.versions, [](const auto& entry) { return entry.second.deleted; });
    if (s->second.versions.empty()) subjects_.erase(s);
    return true;
  }
  return false;
}

const stored_schema* schema_store::schema_by_id(int id) const {
  auto it = schemas_.find(id);
  if (it == schemas_.end()) return nullptr;
  // A schema whose every version was removed for good is gone too.
  return uses_of(id, true).empty() ? nullptr : &it->second;
}

std::optional<int> schema_store::id_of(schema_type type, std::string_view text,
                                       const std::vector<schema_reference>& references) const {
  auto it = ids_by_identity_.find(identity_key(type, text, references));
  if (it == ids_by_identity_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> schema_store::subjects(bool include_deleted,
                                                std::string_view prefix) const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : subjects_) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    bool live = std::any_of(entry.versions.begin(), entry.versions.end(),
                            [](const auto& v) { return !v.second.deleted; });
    if (live || include_deleted) out.push_back(name);
  }
  return out;
}

bool schema_store::subject_exists(const std::string& subject, bool include_deleted) const {
  return !versions(subject, include_deleted).empty();
}

std::vector<int> schema_store::versions(const std::string& subject, bool include_deleted) const {
  std::vector<int> out;
  auto s = subjects_.find(subject);
  if (s == subjects_.end()) return out;
  for (const auto& [v, entry] : s->second.versions) {
    if (!entry.deleted || include_deleted) out.push_back(v);
  }
  return out;
}

std::optional<subject_version> schema_store::version(const std::string& subject, int version,
                                                     bool include_deleted) const {
  auto s = subjects_.find(subject);
  if (s == subjects_.end()) return std::nullopt;
  const auto& versions = s->second.versions;
  if (version == -1) {
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      if (!it->second.deleted || include_deleted) {
        return subject_version{subject, it->first, it->second.id, it->second.deleted};
      }
    }
    return std::nullopt;
  }
  auto it = versions.find(version);
  if (it == versions.end() || (it->second.deleted && !include_deleted)) return std::nullopt;
  return subject_version{subject, it->first, it->second.id, it->second.deleted};
}

std::optional<subject_version> schema_store::find(const std::string& subject, schema_type type,
                                                  std::string_view text,
                                                  const std::vector<schema_reference>& references,
                                                  bool include_deleted) const {
  auto id = id_of(type, text, references);
  if (!id) return std::nullopt;
  auto s = subjects_.find(subject);
  if (s == subjects_.end()) return std::nullopt;
  // The newest version holding it, as Confluent answers a lookup.
  const auto& versions = s->second.versions;
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->second.id == *id && (!it->second.deleted || include_deleted)) {
      return subject_version{subject, it->first, it->second.id, it->second.deleted};
    }
  }
  return std::nullopt;
}

std::vector<subject_version> schema_store::uses_of(int id, bool include_deleted) const {
  std::vector<subject_version> out;
  for (const auto& [name, entry] : subjects_) {
    for (const auto& [v, e] : entry.versions) {
      if (e.id == id && (!e.deleted || include_deleted)) out.push_back({name, v, e.id, e.deleted});
    }
  }
  return out;
}

std::vector<int> schema_store::referenced_by(const std::string& subject, int version) const {
  std::set<int> ids;
  for (const auto& [name, entry] : subjects_) {
    for (const auto& [v, e] : entry.versions) {
      if (e.deleted) continue;
      const auto& s = schemas_.at(e.id);
      for (const auto& r : s.references) {
        if (r.subject == subject && r.version == version) ids.insert(e.id);
      }
    }
  }
  return {ids.begin(), ids.end()};
}

int schema_store::latest_version_number(const std::string& subject) const {
  auto s = subjects_.find(subject);
  if (s == subjects_.end() || s->second.versions.empty()) return 0;
  return s->second.versions.rbegin()->first;
}

std::optional<std::string> schema_store::compatibility(
    const std::optional<std::string>& subject) const {
  if (!subject) return global_compatibility_;
  auto it = subject_compatibility_.find(*subject);
  if (it == subject_compatibility_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> schema_store::mode(const std::optional<std::string>& subject) const {
  if (!subject) return global_mode_;
  auto it = subject_modes_.find(*subject);
  if (it == subject_modes_.end()) return std::nullopt;
  return it->second;
}

log_record schema_store::schema_record(const subject_version& version,
                                       const stored_schema& schema) {
  bj::object key{{"keytype", "SCHEMA"},
                 {"subject", version.subject},
                 {"version", version.version},
                 {"magic", 1}};
  bj::array refs;
  for (const auto& r : schema.references) {
    refs.push_back(bj::object{{"name", r.name}, {"subject", r.subject}, {"version", r.version}});
  }
  bj::object value{{"subject", version.subject}, {"version", version.version}, {"id", schema.id}};
  // Confluent leaves schemaType out for Avro, its default.
  if (schema.type != schema_type::avro) value["schemaType"] = to_string(schema.type);
  value["references"] = std::move(refs);
  value["schema"] = schema.text;
  value["deleted"] = version.deleted;
  return {bj::serialize(key), bj::serialize(value)};
}

log_record schema_store::schema_tombstone(const std::string& subject, int version) {
  bj::object key{{"keytype", "SCHEMA"}, {"subject", subject}, {"version", version}, {"magic", 1}};
  return {bj::serialize(key), std::nullopt};
}

log_record schema_store::config_record(const std::optional<std::string>& subject,
                                       const std::optional<std::string>& level) {
  bj::object key{{"keytype", "CONFIG"}, {"subject", subject_or_null(subject)}, {"magic", 0}};
  if (!level) return {bj::serialize(key), std::nullopt};
  return {bj::serialize(key), bj::serialize(bj::object{{"compatibilityLevel", *level}})};
}

log_record schema_store::mode_record(const std::optional<std::string>& subject,
                                     const std::optional<std::string>& mode) {
  bj::object key{{"keytype", "MODE"}, {"subject", subject_or_null(subject)}, {"magic", 0}};
  if (!mode) return {bj::serialize(key), std::nullopt};
  return {bj::serialize(key), bj::serialize(bj::object{{"mode", *mode}})};
}

log_record schema_store::delete_subject_record(const std::string& subject, int up_to_version) {
  bj::object key{{"keytype", "DELETE_SUBJECT"}, {"subject", subject}, {"magic", 0}};
  return {bj::serialize(key),
          bj::serialize(bj::object{{"subject", subject}, {"version", up_to_version}})};
}

log_record schema_store::clear_subject_record(const std::string& subject) {
  bj::object key{{"keytype", "CLEAR_SUBJECT"}, {"subject", subject}, {"magic", 0}};
  return {bj::serialize(key), bj::serialize(bj::object{{"subject", subject}})};
}

log_record schema_store::noop_record() {
  return {bj::serialize(bj::object{{"keytype", "NOOP"}, {"magic", 0}}), std::nullopt};
}

}  // namespace wharf::registry

#include "services/registry/schema_store.h"

#include <gtest/gtest.h>

namespace wharf::registry {
namespace {

void apply(schema_store& store, const log_record& r) {
  ASSERT_TRUE(
      store.apply(r.key, r.value ? std::optional<std::string_view>(*r.value) : std::nullopt))
      << r.key;
}

stored_schema avro(int id, std::string text) {
  return {id, schema_type::avro, std::move(text), {}};
}

TEST(SchemaStore, ReadsConfluentRecordsAsWrittenByConfluent) {
  schema_store store;
  // Exactly as a Confluent registry writes them (key order, magic, absent schemaType).
  ASSERT_TRUE(store.apply(
      R"({"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1})",
      R"({"subject":"orders-value","version":1,"id":7,"schema":"\"string\"","deleted":false})"));
  ASSERT_TRUE(store.apply(R"({"keytype":"CONFIG","subject":null,"magic":0})",
                          R"({"compatibilityLevel":"FULL"})"));
  ASSERT_TRUE(store.apply(R"({"keytype":"NOOP","magic":0})", std::nullopt));
  const auto* s = store.schema_by_id(7);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->type, schema_type::avro);
  EXPECT_EQ(s->text, R"("string")");
  EXPECT_EQ(store.compatibility(std::nullopt), "FULL");
  EXPECT_EQ(store.next_id(), 8);
  EXPECT_EQ(store.subjects(false), std::vector<std::string>{"orders-value"});
  // Other key types and junk are skipped, not fatal.
  EXPECT_FALSE(store.apply(R"({"keytype":"SOMETHING_NEW","magic":0})", "{}"));
  EXPECT_FALSE(store.apply("not json", "{}"));
}

TEST(SchemaStore, TheSameSchemaKeepsItsIdAcrossSubjectsAndFormatting) {
  schema_store store;
  apply(store, schema_store::schema_record({"a", 1, 1, false},
                                           avro(1, R"({"type":"record","name":"R","fields":[]})")));
  EXPECT_EQ(
      store.id_of(schema_type::avro, R"({ "fields": [], "name": "R", "type": "record" })", {}), 1);
  EXPECT_FALSE(store.id_of(schema_type::json, R"({"type":"record","name":"R","fields":[]})", {}));
  EXPECT_FALSE(store.id_of(schema_type::avro, R"({"type":"record","name":"R","fields":[]})",
                           {{"x", "other", 1}}));
  apply(store, schema_store::schema_record({"b", 1, 1, false},
                                           avro(1, R"({"type":"record","name":"R","fields":[]})")));
  auto uses = store.uses_of(1, false);
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].subject, "a");
  EXPECT_EQ(uses[1].subject, "b");
  auto found =
      store.find("b", schema_type::avro, R"({"type":"record","fields":[],"name":"R"})", {}, false);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->version, 1);
}

TEST(SchemaStore, SoftDeleteThenPermanentDelete) {
  schema_store store;
  apply(store, schema_store::schema_record({"s", 1, 1, false}, avro(1, R"("int")")));
  apply(store, schema_store::schema_record({"s", 2, 2, false}, avro(2, R"("long")")));
  apply(store, schema_store::schema_record({"s", 3, 3, false}, avro(3, R"("string")")));
  EXPECT_EQ(store.version("s", -1, false)->version, 3);

  // Soft-deleting version 3 alone: latest becomes 2.
  apply(store, schema_store::schema_record({"s", 3, 3, true}, avro(3, R"("string")")));
  EXPECT_EQ(store.version("s", -1, false)->version, 2);
  EXPECT_EQ(store.version("s", -1, true)->version, 3);
  EXPECT_EQ(store.versions("s", false), (std::vector<int>{1, 2}));
  EXPECT_EQ(store.versions("s", true), (std::vector<int>{1, 2, 3}));

  // Deleting the subject soft-deletes every version up to the one named.
  apply(store, schema_store::delete_subject_record("s", 3));
  EXPECT_TRUE(store.subjects(false).empty());
  EXPECT_EQ(store.subjects(true), std::vector<std::string>{"s"});
  EXPECT_NE(store.schema_by_id(1), nullptr);  // still readable by id

  // Permanent deletion: tombstones, then the subject is gone, ids stay used up.
  for (int v = 1; v <= 3; ++v) apply(store, schema_store::schema_tombstone("s", v));
  EXPECT_TRUE(store.subjects(true).empty());
  EXPECT_EQ(store.schema_by_id(1), nullptr);
  EXPECT_EQ(store.next_id(), 4);
  EXPECT_EQ(store.latest_version_number("s"), 0);
}

TEST(SchemaStore, ClearSubjectRemovesOnlySoftDeletedVersions) {
  schema_store store;
  apply(store, schema_store::schema_record({"s", 1, 1, true}, avro(1, R"("int")")));
  apply(store, schema_store::schema_record({"s", 2, 2, false}, avro(2, R"("long")")));
  apply(store, schema_store::clear_subject_record("s"));
  EXPECT_EQ(store.versions("s", true), std::vector<int>{2});
}

TEST(SchemaStore, ConfigsAndModesPerSubjectAndGlobal) {
  schema_store store;
  apply(store, schema_store::config_record(std::nullopt, "FORWARD"));
  apply(store, schema_store::config_record("s", "NONE"));
  apply(store, schema_store::mode_record(std::nullopt, "READONLY"));
  apply(store, schema_store::mode_record("s", "IMPORT"));
  EXPECT_EQ(store.compatibility(std::nullopt), "FORWARD");
  EXPECT_EQ(store.compatibility("s"), "NONE");
  EXPECT_EQ(store.compatibility("t"), std::nullopt);
  EXPECT_EQ(store.mode(std::nullopt), "READONLY");
  EXPECT_EQ(store.mode("s"), "IMPORT");
  // Deleting a subject's setting falls back to the global one.
  apply(store, schema_store::config_record("s", std::nullopt));
  apply(store, schema_store::mode_record("s", std::nullopt));
  EXPECT_EQ(store.compatibility("s"), std::nullopt);
  EXPECT_EQ(store.mode("s"), std::nullopt);
}

TEST(SchemaStore, ReferencesAreKeptAndReported) {
  schema_store store;
  apply(store,
        schema_store::schema_record({"address", 1, 1, false},
                                    avro(1, R"({"type":"record","name":"Address","fields":[]})")));
  stored_schema customer{
      2,
      schema_type::avro,
      R"({"type":"record","name":"Customer","fields":[{"name":"a","type":"Address"}]})",
      {{"Address", "address", 1}}};
  apply(store, schema_store::schema_record({"customer", 1, 2, false}, customer));
  EXPECT_EQ(store.schema_by_id(2)->references, customer.references);
  EXPECT_EQ(store.referenced_by("address", 1), std::vector<int>{2});
  EXPECT_TRUE(store.referenced_by("address", 2).empty());
}

TEST(SchemaStore, WrittenRecordsAreConfluentsLayout) {
  auto r = schema_store::schema_record({"s", 2, 5, false},
                                       {5, schema_type::protobuf, "syntax = \"proto3\";", {}});
  EXPECT_EQ(r.key, R"({"keytype":"SCHEMA","subject":"s","version":2,"magic":1})");
  EXPECT_EQ(*r.value,
            R"({"subject":"s","version":2,"id":5,"schemaType":"PROTOBUF","references":[],)"
            R"("schema":"syntax = \"proto3\";","deleted":false})");
  EXPECT_EQ(schema_store::config_record(std::nullopt, "FULL").key,
            R"({"keytype":"CONFIG","subject":null,"magic":0})");
}

}  // namespace
}  // namespace wharf::registry

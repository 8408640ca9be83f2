// The agreement versions a store keeps (migration 8): once kept, a version's text can be neither
// changed nor removed, since the journal and evidence of every key era are checked against it.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include "storage/sqlite_store.hpp"

namespace hotline::storage {
namespace {

int raw(store& s, const std::string& sql) {
  // The primary result code: the store turns on extended codes (SQLITE_CONSTRAINT_TRIGGER).
  return sqlite3_exec(static_cast<sqlite_store&>(s).handle(), sql.c_str(), nullptr, nullptr,
                      nullptr) & 0xff;
}

TEST(agreements_kept, a_kept_version_can_be_neither_changed_nor_removed) {
  auto s = open_sqlite(":memory:");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE((*s)->keep_agreement("config_loaded", "sha256:v1", "version one", "{}", 1));
  ASSERT_TRUE((*s)->keep_agreement("agreement_staged", "sha256:v2", "version two", "{}", 2));
  ASSERT_TRUE((*s)->keep_agreement("config_loaded", "sha256:v1", "version one", "{}", 3))
      << "loading the same version again keeps it once";
  EXPECT_EQ(raw(**s, "UPDATE agreements SET text = 'forged' WHERE hash = 'sha256:v1'"),
            SQLITE_CONSTRAINT);
  EXPECT_EQ(raw(**s, "DELETE FROM agreements WHERE hash = 'sha256:v2'"), SQLITE_CONSTRAINT);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(static_cast<sqlite_store&>(**s).handle(),
                               "SELECT COUNT(*), MIN(text) FROM agreements", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 2);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)), "version one");
  sqlite3_finalize(st);
}

}  // namespace
}  // namespace hotline::storage

// open_sqlite(): pragmas in force, schema migrations, file modes, and databases it must refuse.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

TEST(sqlite_store_open, a_file_database_uses_wal_and_full_sync) {
  temp_dir dir;
  auto s = open_ok(dir.file("station.db"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(sqlite_testing::pragma_value(*s, "journal_mode").value_or(""), "wal");
  EXPECT_EQ(sqlite_testing::pragma_value(*s, "synchronous").value_or(""), "2");  // FULL
  EXPECT_EQ(sqlite_testing::pragma_value(*s, "busy_timeout").value_or(""),
            std::to_string(sqlite_busy_timeout_ms));
  EXPECT_EQ(sqlite_testing::pragma_value(*s, "foreign_keys").value_or(""), "1");
}

TEST(sqlite_store_open, pragma_hook_takes_only_a_bare_name) {
  auto s = open_ok(":memory:");
  auto r = sqlite_testing::pragma_value(*s, "journal_mode=DELETE");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_argument);
}

TEST(sqlite_store_open, memory_stores_work_and_are_private) {
  auto a = open_ok(":memory:");
  auto b = open_ok(":memory:");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(sqlite_testing::pragma_value(*a, "synchronous").value_or(""), "2");
  commit_ok(*a, {posted("m-1", "navy")});
  auto in_a = a->get("m-1");
  auto in_b = b->get("m-1");
  ASSERT_TRUE(in_a && in_b);
  EXPECT_TRUE(in_a->has_value());
  EXPECT_FALSE(in_b->has_value());
}

TEST(sqlite_store_open, migrations_are_recorded_once) {
  temp_dir dir;
  const std::string path = dir.file("station.db");
  ASSERT_NE(open_ok(path), nullptr);
  ASSERT_NE(open_ok(path), nullptr);  // reopening applies nothing new
  EXPECT_EQ(query_raw_int(path, "SELECT MAX(version) FROM schema_migrations"),
            schema_version_latest());
  EXPECT_EQ(query_raw_int(path, "SELECT COUNT(*) FROM schema_migrations"), schema_version_latest());
  EXPECT_GT(query_raw_int(path, "SELECT MIN(applied_at_ms) FROM schema_migrations"), 0);
}

TEST(sqlite_store_open, migration_list_is_numbered_from_one_without_gaps) {
  auto all = schema_migrations();
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(all[i].sql.empty());
  }
  EXPECT_EQ(schema_version_latest(), static_cast<int>(all.size()));
}

TEST(sqlite_store_open, a_newer_schema_is_refused_untouched) {
  temp_dir dir;
  const std::string path = dir.file("station.db");
  {
    auto s = open_ok(path);
    ASSERT_NE(s, nullptr);
    commit_ok(*s, {posted("m-1", "navy")});
  }
  const int future = schema_version_latest() + 1;
  exec_raw(path, "INSERT INTO schema_migrations VALUES (" + std::to_string(future) + ", 1)");

  auto s = open_sqlite(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::conflict);
  const std::string want = "database schema version " + std::to_string(future) +
                           " is newer than this hotline build supports (" +
                           std::to_string(schema_version_latest()) + ")";
  EXPECT_NE(s.error().message.find(want), std::string::npos) << s.error().message;
  EXPECT_EQ(query_raw_int(path, "SELECT COUNT(*) FROM messages"), 1);
}

TEST(sqlite_store_open, an_edited_migration_history_is_corrupt) {
  temp_dir dir;
  const std::string path = dir.file("station.db");
  ASSERT_NE(open_ok(path), nullptr);
  // Version 1 vanishes and one beyond the newest appears: the history is no longer 1..N.
  exec_raw(path, "DELETE FROM schema_migrations WHERE version = 1");
  exec_raw(path, "INSERT INTO schema_migrations VALUES (" +
                     std::to_string(schema_version_latest() + 1) + ", 1)");
  auto s = open_sqlite(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::corrupt) << s.error().message;
}

TEST(sqlite_store_open, an_unusable_path_is_an_io_error) {
  temp_dir dir;
  auto s = open_sqlite(dir.file("no-such-dir/station.db"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::io);
  EXPECT_NE(s.error().message.find("no-such-dir"), std::string::npos) << s.error().message;
}

TEST(sqlite_store_open, a_file_that_is_not_a_database_is_refused) {
  temp_dir dir;
  const std::string path = dir.file("station.db");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("this is a watch log, not a database, and it is long enough to matter...", f);
    std::fclose(f);
  }
  auto s = open_sqlite(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::corrupt) << s.error().message;
}

unsigned file_mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777U;
}

// Sets the process umask for one test and puts the old one back.
class umask_guard {
 public:
  explicit umask_guard(mode_t mask) : old_(::umask(mask)) {}
  ~umask_guard() { ::umask(old_); }
  umask_guard(const umask_guard&) = delete;
  umask_guard& operator=(const umask_guard&) = delete;

 private:
  mode_t old_;
};

// The database holds messages, password hashes and the audit log.
TEST(sqlite_store_open, a_new_database_and_its_log_are_private_whatever_the_umask) {
  umask_guard mask(022);
  temp_dir dir;
  const std::string path = dir.file("station.db");
  auto s = open_sqlite(path);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  commit_ok(**s, {posted("m1", "navy")});  // the write-ahead log and its index now exist
  EXPECT_EQ(file_mode(path), 0600U);
  EXPECT_EQ(file_mode(path + "-wal"), 0600U);
  EXPECT_EQ(file_mode(path + "-shm"), 0600U);
}

TEST(sqlite_store_open, a_database_left_open_to_others_is_made_private) {
  umask_guard mask(022);
  temp_dir dir;
  const std::string path = dir.file("station.db");
  {
    auto s = open_sqlite(path);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    commit_ok(**s, {posted("m1", "navy")});
    // As an older build left them, while the store is still open.
    for (const char* suffix : {"", "-wal", "-shm"}) {
      ASSERT_EQ(::chmod((path + suffix).c_str(), 0644), 0) << suffix;
    }
    auto again = open_sqlite(path);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      EXPECT_EQ(file_mode(path + suffix), 0600U) << suffix;
    }
  }
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  auto reopened = open_sqlite(path);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  EXPECT_EQ(file_mode(path), 0600U);
  auto rec = (*reopened)->recover("navy");
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->queued.size(), 1u);
}

}  // namespace
}  // namespace hotline::storage

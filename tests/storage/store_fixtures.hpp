// Helpers shared by the storage tests: a fresh temporary directory, message and record
// builders, and direct SQL on a closed database file to damage it on purpose.
// Not thread-safe; each test owns its fixtures.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/message.hpp"
#include "core/records.hpp"
#include "storage/store.hpp"

namespace hotline::storage::fixtures {

// A directory made by mkdtemp and removed, with everything in it, on destruction.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "hotline-storage-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline message make_message(std::string id, std::string channel, std::uint64_t seq = 0,
                            std::string from = "rok-fleet") {
  message m;
  m.id = std::move(id);
  m.channel = std::move(channel);
  m.from = std::move(from);
  m.seq = seq;
  m.prec = precedence::immediate;
  m.created_at_ms = 1'700'000'000'000;
  m.body = "Exercise area ALPHA closed 0300-0600Z";
  m.signature = std::string("\x01\x00\x02\xff", 4);  // binary, with a NUL inside
  return m;
}

inline records::record posted(std::string id, std::string channel, std::uint64_t seq = 0) {
  return records::posted{make_message(std::move(id), std::move(channel), seq)};
}

inline records::record received(std::string id, std::string channel, std::uint64_t seq) {
  return records::received{make_message(std::move(id), std::move(channel), seq, "ru-pacific")};
}

inline records::record sequenced(std::string channel, std::string id, std::uint64_t seq) {
  return records::sequenced{std::move(channel), std::move(id), seq};
}

inline records::record delivered(std::string channel, std::uint64_t up_to_seq) {
  return records::delivered{std::move(channel), up_to_seq};
}

// Commits `recs` and fails the test (without stopping it) if the commit fails.
inline void commit_ok(store& s, std::vector<records::record> recs, std::int64_t now_ms = 1000) {
  auto r = s.commit(recs, now_ms);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
}

inline std::unique_ptr<store> open_ok(const std::string& path) {
  auto s = open_sqlite(path);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

// Runs `sql` on the database file at `path` through a separate connection. The store must be
// closed first, so the test is the only one touching the file.
inline void exec_raw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  EXPECT_EQ(rc, SQLITE_OK) << (msg != nullptr ? msg : "");
  sqlite3_free(msg);
  sqlite3_close(db);
}

// Reads one integer with `sql` from the database file at `path`.
inline std::int64_t query_raw_int(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::int64_t value = -1;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      value = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return value;
}

}  // namespace hotline::storage::fixtures

// Backups of a station database: one consistent snapshot, checked, compressed and read back
// before it is published; restored only where no database is, and refused when damaged.
#include "storage/backup.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

storage::snapshot_check accept_all() {
  return [](const std::string&) -> result<void> { return {}; };
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Files in `dir` besides the database's own (hotline.db and the -wal and -shm a reader makes).
std::size_t files_in(const temp_dir& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(dir.file("")))) {
    n += e.path().filename().string().starts_with("hotline.db") ? 0 : 1;
  }
  return n;
}

// Posts `n` more messages on "navy" to the store at `path`, with ids `prefix`-<i>.
void fill(const std::string& path, int n, const std::string& prefix = "m") {
  auto s = open_ok(path);
  ASSERT_NE(s, nullptr);
  for (int i = 0; i < n; ++i) commit_ok(*s, {posted(prefix + "-" + std::to_string(i), "navy")});
}

TEST(backup, a_backup_restores_to_the_same_database) {
  temp_dir dir;
  const std::string db = dir.file("hotline.db");
  fill(db, 200);
  auto written = write_backup(db, dir.file("b.zst"), accept_all());
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_GT(written->database_bytes, 0u);
  EXPECT_LT(written->compressed_bytes, written->database_bytes);
  EXPECT_EQ(written->compressed_bytes, std::filesystem::file_size(dir.file("b.zst")));
  // A plain zstd frame: its magic number first.
  EXPECT_EQ(read_bytes(dir.file("b.zst")).substr(0, 4), std::string("\x28\xB5\x2F\xFD", 4));

  const std::string restored = dir.file("restored/hotline.db");
  auto back = restore_backup(dir.file("b.zst"), restored, accept_all());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->database_sha256, written->database_sha256);
  EXPECT_EQ(back->database_bytes, written->database_bytes);
  EXPECT_EQ(query_raw_int(restored, "SELECT COUNT(*) FROM messages"), 200);
  EXPECT_TRUE(check_database_integrity(restored));
  EXPECT_FALSE(std::filesystem::exists(restored + "-wal"));
}

TEST(backup, the_snapshot_is_consistent_while_a_writer_commits) {
  temp_dir dir;
  const std::string db = dir.file("hotline.db");
  fill(db, 10);
  auto writer = open_ok(db);
  ASSERT_NE(writer, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> written_by_writer{0};
  std::thread t([&] {
    for (int i = 0; i < 2000 && !stop; ++i) {
      // One commit holds two messages: a consistent snapshot never holds an odd count.
      const std::vector<records::record> two{posted("w-" + std::to_string(i) + "a", "navy"),
                                             posted("w-" + std::to_string(i) + "b", "navy")};
      auto r = writer->commit(two, 1000);
      if (r) ++written_by_writer;
    }
  });
  std::vector<std::int64_t> counts;
  for (int k = 0; k < 3; ++k) {
    const std::string out = dir.file("b" + std::to_string(k) + ".zst");
    auto w = write_backup(db, out, [&](const std::string& copy) -> result<void> {
      counts.push_back(query_raw_int(copy, "SELECT COUNT(*) FROM messages"));
      return check_database_integrity(copy);
    });
    ASSERT_TRUE(w) << w.error().message;
  }
  stop = true;
  t.join();
  ASSERT_EQ(counts.size(), 3u);
  for (auto c : counts) EXPECT_EQ((c - 10) % 2, 0) << c;
  EXPECT_GT(written_by_writer.load(), 0);
}

TEST(backup, a_failed_check_publishes_nothing_and_leaves_no_temporary_file) {
  temp_dir dir;
  const std::string db = dir.file("hotline.db");
  fill(db, 5);
  ASSERT_EQ(files_in(dir), 0U);
  auto w = write_backup(db, dir.file("b.zst"), [](const std::string&) -> result<void> {
    return fail(errc::corrupt, "the journal does not verify");
  });
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, "the journal does not verify");
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.zst")));
  EXPECT_EQ(files_in(dir), 0U);
}

TEST(backup, a_missing_database_is_not_backed_up) {
  temp_dir dir;
  auto w = write_backup(dir.file("none.db"), dir.file("b.zst"), accept_all());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, errc::not_found);
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.db")));
}

TEST(backup, a_restore_never_replaces_a_database) {
  temp_dir dir;
  const std::string db = dir.file("hotline.db");
  fill(db, 3);
  ASSERT_TRUE(write_backup(db, dir.file("b.zst"), accept_all()));
  fill(db, 4, "later");  // the live database moves on
  const std::string before = read_bytes(db);
  auto r = restore_backup(dir.file("b.zst"), db, accept_all());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_EQ(read_bytes(db), before);
}

TEST(backup, a_damaged_or_truncated_backup_is_refused_and_nothing_is_restored) {
  temp_dir dir;
  const std::string db = dir.file("hotline.db");
  fill(db, 50);
  ASSERT_TRUE(write_backup(db, dir.file("b.zst"), accept_all()));
  const std::string good = read_bytes(dir.file("b.zst"));

  write_bytes(dir.file("truncated.zst"), good.substr(0, good.size() / 2));
  std::string flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x40);
  write_bytes(dir.file("flipped.zst"), flipped);
  write_bytes(dir.file("garbage.zst"), "not a backup at all");
  for (const char* name : {"truncated.zst", "flipped.zst", "garbage.zst"}) {
    const std::string target = dir.file(std::string("r-") + name + "/hotline.db");
    auto r = restore_backup(dir.file(name), target, accept_all());
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, errc::corrupt) << name << ": " << r.error().message;
    EXPECT_FALSE(std::filesystem::exists(target)) << name;
    EXPECT_TRUE(std::filesystem::is_empty(std::filesystem::path(target).parent_path())) << name;
  }
}

TEST(backup, a_restore_whose_check_fails_leaves_no_database) {
  temp_dir dir;
  const std::string db = dir.file("hotline.db");
  fill(db, 5);
  ASSERT_TRUE(write_backup(db, dir.file("b.zst"), accept_all()));
  const std::string target = dir.file("r/hotline.db");
  auto r = restore_backup(dir.file("b.zst"), target, [](const std::string&) -> result<void> {
    return fail(errc::invalid_argument, "the copy is the database of 'someone-else'");
  });
  ASSERT_FALSE(r);
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(backup, the_integrity_check_names_a_damaged_file) {
  temp_dir dir;
  write_bytes(dir.file("junk.db"), std::string(8192, 'x'));
  auto r = check_database_integrity(dir.file("junk.db"));
  ASSERT_FALSE(r);
}

}  // namespace
}  // namespace hotline::storage

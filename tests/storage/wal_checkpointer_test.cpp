// The WAL checkpointer: checkpoints happen on its thread, not in the writer's commits, and a store
// closed after them reopens with every committed message.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite_store.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

// Commits batches of outbound messages until the log has passed the checkpoint mark several
// times, then waits (bounded) for the thread to report a checkpoint. Returns the messages written.
std::uint64_t write_past_the_mark(store& s, wal_checkpointer::counts& seen) {
  std::uint64_t seq = 0;
  for (int batch = 0; batch < 400; ++batch) {
    std::vector<records::record> recs;
    for (int i = 0; i < 50; ++i, ++seq)
      recs.push_back(posted("m" + std::to_string(seq + 1), "c", seq + 1));
    commit_ok(s, recs);
  }
  for (int waited_ms = 0; waited_ms < 10'000; waited_ms += 20) {
    auto c = sqlite_testing::checkpoint_counts(s);
    EXPECT_TRUE(c.has_value());
    if (c) seen = *c;
    if (seen.background > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return seq;
}

TEST(wal_checkpointer, checkpoints_run_on_their_own_thread) {
  temp_dir dir;
  auto s = open_ok(dir.file("hotline.db"));
  ASSERT_NE(s, nullptr);
  wal_checkpointer::counts seen;
  write_past_the_mark(*s, seen);
  EXPECT_GE(seen.background, 1u) << "no checkpoint ran in the background";
  EXPECT_EQ(seen.failed, 0u);
  // A writer that never pauses keeps the background from finishing the log, so the log cannot
  // restart; past wal_inline_checkpoint_pages the writer finishes it. Either way it stays bounded.
  std::error_code ec;
  auto wal_bytes = std::filesystem::file_size(dir.file("hotline.db-wal"), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_LT(wal_bytes, 2u * wal_inline_checkpoint_pages * 4096u);
}

TEST(wal_checkpointer, a_store_closed_after_checkpoints_reopens_whole) {
  temp_dir dir;
  const std::string path = dir.file("hotline.db");
  std::uint64_t written = 0;
  {
    auto s = open_ok(path);
    ASSERT_NE(s, nullptr);
    wal_checkpointer::counts seen;
    written = write_past_the_mark(*s, seen);
    ASSERT_GE(seen.background, 1u);
  }
  EXPECT_EQ(query_raw_int(path, "SELECT COUNT(*) FROM messages"),
            static_cast<std::int64_t>(written));
  EXPECT_EQ(query_raw_int(path, "SELECT MAX(seq) FROM messages WHERE box = 'out'"),
            static_cast<std::int64_t>(written));
  auto again = open_ok(path);
  ASSERT_NE(again, nullptr);
  auto last = again->get("m" + std::to_string(written));
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->has_value());
}

TEST(wal_checkpointer, an_in_memory_store_has_none) {
  auto s = open_ok(":memory:");
  ASSERT_NE(s, nullptr);
  auto c = sqlite_testing::checkpoint_counts(*s);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, errc::invalid_argument);
}

}  // namespace
}  // namespace hotline::storage

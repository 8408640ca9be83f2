// WAL checkpoints off the writer's thread.
//
// In WAL mode every commit appends pages to the write-ahead log, and a checkpoint copies them back
// into the database file and fsyncs it. SQLite's default runs that checkpoint inside the commit
// that crosses 1,000 pages: a few milliseconds, every few dozen messages, on the station's one
// thread, so every message that arrives meanwhile waits. The checkpointer takes the work to a
// thread of its own with its own connection:
//
// - it replaces the writer's auto-checkpoint with a commit hook that wakes the thread once the log
//   holds `wal_checkpoint_pages` pages;
// - the thread runs a PASSIVE checkpoint, which never blocks the writer nor waits for it;
// - should the log still reach `wal_inline_checkpoint_pages` (the thread cannot keep up with a
//   writer that never pauses, so the log never restarts), the writer checkpoints inline, once, as
//   SQLite would have, and the log restarts at the next commit.
//
// Durability is unchanged: a commit is durable when its log frames are fsynced, and a checkpoint
// only copies durable frames. Destroying the checkpointer stops and joins the thread, closes its
// connection and restores SQLite's own auto-checkpoint on the writer. The writer connection must
// outlive it.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "core/error.hpp"
#include "storage/sqlite_db.hpp"

namespace hotline::storage {

inline constexpr int wal_checkpoint_pages = 1'000;
inline constexpr int wal_inline_checkpoint_pages = 4'000;

class wal_checkpointer {
 public:
  // Opens a second connection to `path` (a file in WAL mode that `writer` has open) and starts
  // the thread.
  static result<std::unique_ptr<wal_checkpointer>> start(sqlite3* writer, const std::string& path);
  ~wal_checkpointer();
  wal_checkpointer(const wal_checkpointer&) = delete;
  wal_checkpointer& operator=(const wal_checkpointer&) = delete;

  struct counts {
    std::uint64_t background = 0;  // checkpoints the thread completed
    std::uint64_t inline_ = 0;     // checkpoints the writer had to run itself
    std::uint64_t failed = 0;      // checkpoints that ended in an error other than SQLITE_BUSY
  };
  counts stats();

 private:
  wal_checkpointer(sqlite3* writer, sqlite::connection own)
      : writer_(writer), own_(std::move(own)) {}
  static int on_commit(void* self, sqlite3* db, const char* schema, int pages);
  void run();

  sqlite3* writer_;
  sqlite::connection own_;  // used by the thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  bool stopping_ = false;
  counts counts_;
  std::thread thread_;
};

}  // namespace hotline::storage

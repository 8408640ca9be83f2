#include "storage/wal_checkpointer.hpp"

namespace hotline::storage {

result<std::unique_ptr<wal_checkpointer>> wal_checkpointer::start(sqlite3* writer,
                                                                  const std::string& path) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  sqlite::connection own{raw};
  if (rc != SQLITE_OK) return std::unexpected(sqlite::make_error(raw, rc, "open for checkpoints"));
  // FULL: the checkpoint fsyncs the log before copying it and the database after.
  if (auto r = sqlite::exec(raw, "PRAGMA synchronous=FULL"); !r) return std::unexpected(r.error());
  std::unique_ptr<wal_checkpointer> c{new wal_checkpointer(writer, std::move(own))};
  c->thread_ = std::thread([p = c.get()] { p->run(); });
  sqlite3_wal_hook(writer, &wal_checkpointer::on_commit, c.get());
  return c;
}

wal_checkpointer::~wal_checkpointer() {
  sqlite3_wal_autocheckpoint(writer_, wal_checkpoint_pages);  // SQLite's own, as before
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

wal_checkpointer::counts wal_checkpointer::stats() {
  std::lock_guard lock{mutex_};
  return counts_;
}

// Runs on the writer's thread after each commit, with the number of pages in the log.
int wal_checkpointer::on_commit(void* self, sqlite3* db, const char* schema, int pages) {
  auto* c = static_cast<wal_checkpointer*>(self);
  if (pages >= wal_inline_checkpoint_pages) {
    int rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    std::lock_guard lock{c->mutex_};
    ++(rc == SQLITE_OK || rc == SQLITE_BUSY ? c->counts_.inline_ : c->counts_.failed);
    return SQLITE_OK;
  }
  if (pages >= wal_checkpoint_pages) {
    {
      std::lock_guard lock{c->mutex_};
      c->wanted_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void wal_checkpointer::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    wake_.wait(lock, [this] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    int rc =
        sqlite3_wal_checkpoint_v2(own_.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    // BUSY: another checkpoint was running; the next commit past the mark asks again.
    if (rc == SQLITE_OK)
      ++counts_.background;
    else if (rc != SQLITE_BUSY)
      ++counts_.failed;
  }
}

}  // namespace hotline::storage

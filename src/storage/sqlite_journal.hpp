// SQLite journal: appending to and reading the journal (journal.hpp) on a SQLite connection.
// Internal to src/storage.
//
// `journal_writer` appends inside a transaction its caller opened on the same connection; it
// reads the head from the database at begin(), so every writer on the connection (the message
// store, the accounts) extends one chain. Not thread-safe, like the connection.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/key_schedule.hpp"
#include "storage/journal.hpp"
#include "storage/sqlite_db.hpp"

namespace hotline::storage {

class journal_writer {
 public:
  // `key` signs each transaction's last entry, with the key in effect at its at_ms; without one
  // the chain is kept but unsigned. `enabled` false writes nothing at all (for measuring the
  // journal's cost only).
  journal_writer(sqlite3* db, signing::signer key, bool enabled);

  result<void> prepare();
  bool enabled() const { return enabled_; }
  const signing::signer& key() const { return key_; }

  // Call inside an open write transaction, in this order: begin, append..., seal.
  result<void> begin();
  result<void> append(journal_entry e);
  result<void> seal();
  // begin, append and seal for one entry, inside the caller's open transaction. Nothing when
  // the journal is off.
  result<void> record(journal_entry e);

 private:
  result<void> insert(const journal_entry& e);

  sqlite3* db_;
  signing::signer key_;
  bool enabled_;
  sqlite::statement head_, insert_;
  journal_chain chain_;
};

// Opens a station's database read-only, for checking it offline; errc::corrupt when it holds no
// journal (not a Hotline store, or one from before the journal).
result<sqlite::connection> open_journal_read_only(const std::string& path);

result<std::vector<journal_entry>> read_journal(sqlite3* db, const journal_query& q);
// Entries matching `where` (a WHERE clause with its ORDER BY and LIMIT), whose parameters
// `bind` binds.
result<std::vector<journal_entry>> read_journal_where(
    sqlite3* db, std::string_view where, const std::function<void(sqlite::query&)>& bind);
// Entries in ascending seq from `from_seq`, at most `limit`.
result<std::vector<journal_entry>> read_journal_range(sqlite3* db, std::int64_t from_seq,
                                                      std::size_t limit);

}  // namespace hotline::storage

// PostgreSQL journal: appending to and reading the journal (journal.hpp) on a PostgreSQL
// connection. Internal to src/storage.
//
// `pg_journal_writer` appends inside a write transaction its caller opened on the same connection
// and holds the writer lock in (pg_store.hpp): it reads the head at begin(), so every writer of
// the database extends one chain. It links and signs entries with journal_chain, the same code
// the SQLite writer uses, so the same records at the same times give the same hashes and
// signatures on either database. Not thread-safe, like the connection.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "storage/journal.hpp"
#include "storage/pg_db.hpp"

namespace hotline::storage {

class pg_journal_writer {
 public:
  // `key` signs each transaction's last entry; `enabled` false writes nothing (journal_options).
  pg_journal_writer(PGconn* c, signing::signer key, bool enabled)
      : c_(c), key_(std::move(key)), enabled_(enabled) {}

  // Prepares the writer's and the readers' statements on the connection.
  result<void> prepare();
  bool enabled() const { return enabled_; }

  // Call inside an open write transaction, in this order: begin, append..., seal.
  result<void> begin();
  result<void> append(journal_entry e);
  result<void> seal();

 private:
  result<void> insert(const journal_entry& e);

  PGconn* c_;
  signing::signer key_;
  bool enabled_;
  journal_chain chain_;
};

// The SELECT ... FROM journal that pg_read_entries() reads; append a WHERE clause.
inline constexpr const char* pg_journal_select =
    "SELECT seq, at_ms, kind, channel, message_id, msg_seq, detail, prev_hash, hash, signature"
    " FROM journal ";
// The entries the prepared statement `name`, a pg_journal_select, returns with `p`.
result<std::vector<journal_entry>> pg_read_entries(PGconn* c, const char* name,
                                                   const pg::params& p);
// The search journal_query describes: newest first.
result<std::vector<journal_entry>> pg_read_journal(PGconn* c, const journal_query& q);
// The peer's seals journaled on `channel` whose up_to_seq lies in [from_seq, to_seq], ascending.
result<std::vector<journal_entry>> pg_read_seals(PGconn* c, const std::string& channel,
                                                 std::int64_t from_seq, std::int64_t to_seq);
// Entries in ascending seq from `from_seq`, at most `limit`.
result<std::vector<journal_entry>> pg_read_journal_range(PGconn* c, std::int64_t from_seq,
                                                         std::size_t limit);

}  // namespace hotline::storage

// SQLite store: the production implementation of `store` (store.hpp), and its test hooks.
// Internal to src/storage and its tests; everyone else goes through open_sqlite().
//
// One connection in WAL mode with synchronous=FULL, so a successful commit is one fsync of the
// write-ahead log; checkpoints run on a thread of their own (wal_checkpointer.hpp). Every
// statement on the write and recovery paths is prepared once, when the store opens, and reused.
// The store is the only writer of its file: it assumes no other process writes the same database
// while it is open.
//
// Not thread-safe: one owning thread, as store.hpp says. The store owns its connection and
// statements; destroying the store closes the file.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "storage/sqlite_db.hpp"
#include "storage/sqlite_journal.hpp"
#include "storage/store.hpp"
#include "storage/wal_checkpointer.hpp"

namespace hotline::storage {

inline constexpr std::int64_t sqlite_cache_kib = 64 * 1024;
inline constexpr std::int64_t sqlite_mmap_bytes = 256LL * 1024 * 1024;

class sqlite_store;
namespace sqlite_testing {
result<wal_checkpointer::counts> checkpoint_counts(store& s);
result<std::int64_t> take_deliver_steps(store& s);
}

class sqlite_store final : public store {
 public:
  // Opens `path` (":memory:" for a private in-memory database), sets and verifies the pragmas,
  // applies pending migrations stamped with `now_ms`, and prepares the cached statements.
  static result<std::unique_ptr<sqlite_store>> create(const std::string& path, std::int64_t now_ms,
                                                      journal_options journal = {});

  result<void> commit(std::span<const records::record> recs, std::int64_t now_ms) override;
  result<records::channel_recovery> recover(const std::string& channel) override;
  result<std::vector<message>> queued_after(const std::string& channel, precedence prec,
                                            std::string_view after_id, std::size_t limit,
                                            std::size_t bytes_max) override;
  result<std::optional<stored_message>> get(std::string_view id) override;
  result<std::vector<stored_message>> list(const list_query& q) override;
  result<std::vector<stored_message>> inbound_range(const std::string& channel,
                                                    std::uint64_t from_seq,
                                                    std::uint64_t to_seq) override;
  result<std::vector<stored_message>> outbound_range(const std::string& channel,
                                                     std::uint64_t from_seq,
                                                     std::uint64_t to_seq) override;
  result<std::vector<stored_message>> awaiting_ack(std::int64_t after_cursor,
                                                   std::size_t limit) override;
  result<std::optional<stored_message>> last_sent(const std::string& channel,
                                                  std::string_view form) override;
  result<std::optional<stored_message>> last_acknowledged(const std::string& channel,
                                                          std::string_view form) override;

  result<records::range_rows> range_proofs(const std::string& channel, box direction,
                                           std::uint64_t from_seq, std::uint64_t to_seq) override;
  result<std::vector<journal_entry>> journal(const journal_query& q) override;
  result<void> keep_agreement(std::string_view kind, const std::string& hash,
                              const std::string& text, const std::string& detail,
                              std::int64_t now_ms) override;
  result<std::uint64_t> next_boot(std::int64_t now_ms) override;  // in sqlite_boots.cpp

  // The connection, for the accounts and the test hooks below. Owned by the store.
  sqlite3* handle() const { return db_.get(); }
  std::int64_t last_sync_us() const override { return last_sync_us_; }
  std::int64_t last_sync_pages() const override { return last_sync_pages_; }
  std::optional<std::int64_t> committed_cursor(std::string_view id) const override;
  // The database file's absolute path; empty for an in-memory store.
  std::string file() const;
  // The journal writer, for the accounts that share this connection.
  journal_writer& journal_log() { return journal_; }

 private:
  std::int64_t last_sync_us_ = -1;
  std::int64_t last_sync_pages_ = -1;
  // The cursors of the messages the commit under way (then the last successful one) inserted.
  std::map<std::string, std::int64_t, std::less<>> committed_cursors_;
  // One variant of the list statement per combination of filters: bit 0 channel, bit 1 box,
  // bit 2 after_cursor. Each is a separate statement so SQLite can pick the right index.
  static constexpr std::size_t list_variants = 8;

  struct statements {
    sqlite::statement begin, commit, rollback;
    sqlite::statement insert, sequence, deliver, keep_agreement;
    sqlite::statement acknowledge, escalate, flag;
    sqlite::statement awaiting_ack;
    sqlite::statement last_link_test_sent, last_link_test_acknowledged;
    sqlite::statement get;
    sqlite::statement seq_stats, highest_delivered, undelivered_below;
    sqlite::statement unacked, queued, queued_counts, queue_position, chain_at;
    sqlite::statement inbound_range, outbound_range;
    std::array<sqlite::statement, list_variants> list;
  };

  sqlite_store(sqlite::connection db, journal_options j)
      : db_(std::move(db)), journal_(db_.get(), std::move(j.key), j.enabled) {}

  result<void> prepare_statements();
  result<void> prepare_read_statements();  // in sqlite_store_reads.cpp, beside the reads
  result<void> apply(const records::record& rec, std::int64_t now_ms);
  result<void> apply_row(const records::record& rec, std::int64_t now_ms);
  result<void> insert(const message& m, box direction, std::optional<std::int64_t> received_at_ms,
                      std::optional<wire::hash256> chain);
  result<std::int64_t> assign_seq(const records::sequenced& rec);
  result<void> sequence(const records::sequenced& rec);
  result<void> reclaim(const records::reclaimed& rec, std::int64_t now_ms);
  result<std::vector<stored_message>> seq_range(sqlite::statement& st, const std::string& channel,
                                                std::uint64_t from_seq, std::uint64_t to_seq);
  result<void> deliver(const records::delivered& rec, std::int64_t now_ms);
  result<void> annotate(const records::record& rec, std::int64_t now_ms);
  result<std::optional<stored_message>> one(sqlite::statement& st, const std::string& channel,
                                            std::string_view form);
  void rollback_if_open();

  result<std::pair<std::uint64_t, std::uint64_t>> seq_count_and_max(const std::string& channel,
                                                                    box direction);
  result<std::uint64_t> out_delivered(const std::string& channel);
  result<std::vector<message>> load_unacked(const std::string& channel, std::uint64_t after_seq,
                                            std::uint64_t next_out_seq);
  result<std::vector<message>> load_queued(const std::string& channel,
                                           const records::channel_recovery& counted);
  result<std::array<std::uint64_t, precedence_count>> count_queued(const std::string& channel);
  result<std::vector<message>> read_queued(const std::string& channel, precedence prec,
                                           std::int64_t after_cursor, std::size_t limit,
                                           std::size_t bytes_max);
  result<wire::hash256> chain_at(const std::string& channel, box direction, std::uint64_t seq);

  // Declared first so it is destroyed last: statements must be finalized before the close.
  sqlite::connection db_;
  statements st_;
  journal_writer journal_;
  // Declared last so it stops first; null for an in-memory database, which has no log.
  std::unique_ptr<wal_checkpointer> checkpointer_;

  friend result<wal_checkpointer::counts> sqlite_testing::checkpoint_counts(store& s);
  friend result<std::int64_t> sqlite_testing::take_deliver_steps(store& s);
};

// Hooks for tests. They reach into a store made by open_sqlite() and fail with
// errc::invalid_argument for any other kind of store.
namespace sqlite_testing {

// Sets the connection's `PRAGMA max_page_count`, which makes SQLite answer SQLITE_FULL as a
// full disk would once the file would grow past `pages`. Returns the limit now in force.
result<std::int64_t> set_max_page_count(store& s, std::int64_t pages);

// Reads one pragma (`name` is a bare identifier such as "journal_mode") on the store's own
// connection, as text.
result<std::string> pragma_value(store& s, std::string_view name);

// How many WAL checkpoints the store's checkpointer has run, in the background and inline.
result<wal_checkpointer::counts> checkpoint_counts(store& s);

// The virtual-machine steps the statement that marks messages delivered has taken since the
// last call (SQLITE_STMTSTATUS_VM_STEP), and resets the count: a measure of the rows it visited.
result<std::int64_t> take_deliver_steps(store& s);

}  // namespace sqlite_testing

}  // namespace hotline::storage

// PostgreSQL store: an implementation of `store` (store.hpp) on a PostgreSQL database, through
// libpq. Internal to src/storage and its tests; everyone else goes through open_postgresql().
//
// Guarantees, the same as the SQLite store's:
// - Each commit() is one READ COMMITTED transaction (BEGIN ... COMMIT) holding every record and
//   its journal entries: all of it is applied or none. The connection runs with
//   synchronous_commit = on, checked when the store opens together with the server's fsync, so a
//   commit that returns success has been flushed to the primary's disk (and, with a synchronous
//   standby configured, to the standby's too).
// - Writers are serialised: every write transaction first locks the one row of `writer`
//   (SELECT ... FOR UPDATE) and holds it until it commits or rolls back. Cursors (an identity
//   column) and journal seqs are handed out only under that lock, so they increase strictly in
//   commit order even when several processes share the database. A rolled-back commit may leave
//   a gap in the cursors (identities are not transactional); cursors are positions, never counts.
// - Once the store has acquired the station's lease (lease.hpp; pg_lease.cpp), every write
//   transaction checks under the writer lock that this store still holds it, at the epoch it
//   acquired and unexpired by the database's clock, and otherwise writes nothing (errc::fenced).
//   This holds for commits, boots, agreements, accounts and translations alike.
// - The journal and the kept agreements are append-only in the schema itself (pg_migrations.hpp).
// - Every statement is prepared once per connection, with parameters; no value is ever spliced
//   into SQL. Bodies, signatures, hashes and chains are bytea.
// - Errors are values: a lost connection, a full disk or a refused statement comes back as
//   errc::io (or conflict, unavailable, corrupt by SQLSTATE, pg_db.hpp), never as an exception.
//   A commit whose COMMIT was lost with the connection may or may not have been applied; the
//   caller rebuilds its state from the store (recover) after any failed commit, which reads
//   whichever happened. A store whose connection was lost reconnects at its next call.
//
// Reads outside a commit run one statement at a time, each on its own snapshot, as the SQLite
// store's do. Not thread-safe: one owning thread, as store.hpp says. The store owns its
// connection; destroying the store closes it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "storage/pg_db.hpp"
#include "storage/pg_journal.hpp"
#include "storage/store.hpp"

namespace hotline::storage {

// How many queued messages one read of the queue fetches at most; the queue is read a page at a
// time so that memory stays within queued_after()'s bounds however long the queue is.
inline constexpr std::size_t pg_queue_page_rows = 64;

class pg_store final : public store {
 public:
  // Connects to `url`, sets and verifies the session settings durability depends on, applies
  // pending migrations stamped with `now_ms`, and prepares the statements.
  static result<std::unique_ptr<pg_store>> create(const std::string& url, std::int64_t now_ms,
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
  result<std::uint64_t> next_boot(std::int64_t now_ms) override;
  result<lease_state> acquire_lease(std::string_view node_id, std::int64_t ttl_ms) override;
  result<void> release_lease(std::string_view node_id) override;
  result<lease_state> read_lease() override;

  std::int64_t last_sync_us() const override { return last_sync_us_; }
  std::optional<std::int64_t> committed_cursor(std::string_view id) const override;

  // The connection, for tests and for the accounts and translations that share it. Owned by the
  // store.
  PGconn* handle() const { return c_.get(); }

  // For the accounts and translations on this connection (pg_accounts.cpp,
  // pg_translations.cpp). A statement named here is prepared now and again after every
  // reconnect; a name already added is kept as it was. Names must not clash with the store's.
  result<void> add_statements(std::span<const std::pair<const char*, const char*>> statements);
  // Runs a prepared statement on its own (autocommit, so durable when it returns), reconnecting
  // first when the connection was lost.
  result<pg::rows> run(const std::string& name, const pg::params& p);
  // Runs a prepared statement that writes, on its own: as run() while the store holds no lease,
  // and otherwise in a transaction of its own under the writer lock, fenced by the lease.
  result<pg::rows> write(const std::string& name, const pg::params& p);
  // Runs `body` in one write transaction holding the writer lock, between the journal's begin
  // and seal, as commit() does: inside it, statements go through pg::exec_prepared(handle(),
  // ...) and journal entries through journal_log().append(). Commits when `body` succeeds,
  // rolls back otherwise.
  result<void> transact(const std::function<result<void>()>& body);
  pg_journal_writer& journal_log() { return journal_; }

 private:
  pg_store(pg::connection c, journal_options j)
      : c_(std::move(c)), journal_(c_.get(), std::move(j.key), j.enabled) {}

  result<void> configure();
  result<void> prepare_statements();
  result<void> prepare_read_statements();  // in pg_store_reads.cpp, beside the reads
  result<void> reconnect_if_lost();
  result<void> prepare_lease_statements();  // in pg_lease.cpp, beside the lease
  // Inside an open transaction: takes the writer lock, then, when the store holds a lease,
  // checks it (pg_lease.cpp).
  result<void> lock_writer();
  result<lease_state> lease_from(const pg::rows& r) const;
  result<void> commit_transaction();
  void rollback_if_open();

  result<void> apply(const records::record& rec, std::int64_t now_ms);
  result<void> apply_row(const records::record& rec, std::int64_t now_ms);
  result<void> insert(const message& m, box direction, std::optional<std::int64_t> received_at_ms,
                      std::optional<wire::hash256> chain);
  result<std::int64_t> assign_seq(const records::sequenced& rec);
  result<void> sequence(const records::sequenced& rec);
  result<void> reclaim(const records::reclaimed& rec, std::int64_t now_ms);
  result<void> deliver(const records::delivered& rec, std::int64_t now_ms);
  result<void> annotate(const records::record& rec, std::int64_t now_ms);

  result<std::vector<stored_message>> read_messages(const std::string& name, const pg::params& p);
  result<std::optional<stored_message>> first_message(const std::string& name, const pg::params& p);
  result<std::vector<stored_message>> seq_range(const std::string& name, const std::string& channel,
                                                std::uint64_t from_seq, std::uint64_t to_seq);
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

  // The lease this store acquired last, which fences its every write from then on, released
  // or lost included; nullopt when it never acquired one (a single-node station).
  struct held_lease {
    std::string node_id;
    std::int64_t epoch = 0;
  };
  std::optional<held_lease> lease_;
  std::int64_t last_sync_us_ = -1;
  // The cursors of the messages the commit under way (then the last successful one) inserted.
  std::map<std::string, std::int64_t, std::less<>> committed_cursors_;
  // The statements add_statements() was given, by name, prepared again after a reconnect.
  std::map<std::string, std::string, std::less<>> added_statements_;
  pg::connection c_;
  pg_journal_writer journal_;
};

}  // namespace hotline::storage

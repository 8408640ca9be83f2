// Store: a station's durable state behind a small interface, on SQLite (the default) or PostgreSQL.
//
// `commit` writes a group of records atomically and durably: when it returns success every
// record is on disk (fsync), and when it fails none is. Records are applied in order. Reads see
// every committed write. One store is owned by one thread; it is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/message.hpp"
#include "core/records.hpp"
#include "core/key_schedule.hpp"
#include "core/signing.hpp"
#include "storage/journal.hpp"
#include "storage/lease.hpp"

namespace hotline::storage {

enum class box { in, out };
std::string_view to_string(box b);

// Where a message stands, from this station's point of view.
enum class delivery_status { queued, sent, delivered, acknowledged };
std::string_view to_string(delivery_status s);

struct stored_message {
  message msg;
  box direction = box::out;
  std::int64_t cursor = 0;  // local position, strictly increasing in commit order
  std::optional<std::int64_t> received_at_ms;   // inbound: when it reached this disk
  std::optional<std::int64_t> delivered_at_ms;  // outbound: when the peer confirmed its disk
  std::optional<std::int64_t> acknowledged_at_ms;  // when a person acknowledged it
  std::string acknowledged_by;
  std::string ack_answer;
  std::optional<std::int64_t> escalated_at_ms;  // when it passed its deadline unanswered
  std::string flag;  // why the receiver's validation failed; empty when it passed
  delivery_status status = delivery_status::queued;
};

struct list_query {
  std::string channel;             // empty: every channel
  std::optional<box> direction;    // nullopt: both boxes
  std::optional<std::int64_t> after_cursor;  // only messages after this cursor, oldest first
  std::size_t limit = 100;         // with no cursor: the newest `limit`, still oldest first
};

class store {
 public:
  virtual ~store() = default;

  // Applies `recs` in one transaction and syncs it. `now_ms` (UTC) stamps `received` and
  // `delivered` records. On failure (disk full, read-only, I/O error) nothing is applied and the
  // error says why (errc::io).
  virtual result<void> commit(std::span<const records::record> recs, std::int64_t now_ms) = 0;
  // How long the last successful commit spent making itself durable (for SQLite, the COMMIT
  // statement: the WAL write and its fsync), in microseconds; -1 when the store cannot tell.
  virtual std::int64_t last_sync_us() const { return -1; }
  // How many database pages the last successful commit wrote to its log (for SQLite, WAL frames:
  // a page of page_size bytes and a 24-byte header each), all of which its fsync made durable;
  // -1 when the store cannot tell.
  virtual std::int64_t last_sync_pages() const { return -1; }
  // The cursor the last successful commit gave message `id`, when that commit inserted it;
  // nullopt otherwise, or when the store cannot tell. Lets the driver answer and announce what it
  // has just committed without reading it back.
  virtual std::optional<std::int64_t> committed_cursor(std::string_view id) const {
    (void)id;
    return std::nullopt;
  }

  // What the core needs to resume `channel` exactly where it stopped. Of the queue it returns a
  // bounded prefix (records.hpp, channel_recovery::queued) and counts the rest; the core reads
  // the rest with queued_after() as the queue drains.
  virtual result<records::channel_recovery> recover(const std::string& channel) = 0;

  // Queued (posted, not sequenced) outbound messages of precedence `prec` on `channel`, in post
  // order, that were posted after message `after_id` (from the oldest when it is empty): at most
  // `limit`, and after the first no more than `bytes_max` bytes in all by message_weight_bytes().
  // The answer to the core's load action (core/engine.hpp). Fails with errc::invalid_argument
  // when `limit` is 0, and errc::corrupt when `after_id` names no outbound message on `channel`.
  virtual result<std::vector<message>> queued_after(const std::string& channel, precedence prec,
                                                    std::string_view after_id, std::size_t limit,
                                                    std::size_t bytes_max) = 0;

  virtual result<std::optional<stored_message>> get(std::string_view id) = 0;
  virtual result<std::vector<stored_message>> list(const list_query& q) = 0;

  // Messages still waiting for a person's acknowledgement and not yet escalated, oldest first,
  // after cursor `after_cursor` (0: from the first), at most `limit`: what the deadline watch
  // tracks after a restart, read a page at a time.
  virtual result<std::vector<stored_message>> awaiting_ack(std::int64_t after_cursor,
                                                           std::size_t limit) = 0;
  // The newest outbound message of `form` on `channel`, and the newest one acknowledged (by the
  // time of its acknowledgement, then the newest sent). The station tracks link tests this way
  // and nothing else: `form` must be core::form_link_test, else errc::invalid_argument.
  virtual result<std::optional<stored_message>> last_sent(const std::string& channel,
                                                          std::string_view form) = 0;
  virtual result<std::optional<stored_message>> last_acknowledged(const std::string& channel,
                                                                  std::string_view form) = 0;

  // Inbound messages on `channel`, ascending seq, with seq in [from_seq, to_seq]: for checks, and
  // to hand a restored peer back its own messages.
  virtual result<std::vector<stored_message>> inbound_range(const std::string& channel,
                                                            std::uint64_t from_seq,
                                                            std::uint64_t to_seq) = 0;
  // Sequenced outbound messages likewise: to send them again to a peer restored from a backup.
  virtual result<std::vector<stored_message>> outbound_range(const std::string& channel,
                                                             std::uint64_t from_seq,
                                                             std::uint64_t to_seq) = 0;

  // What a range load needs besides the messages (records::range_rows, without them): the chain
  // of `direction` on `channel` up to `to_seq`, and for box::in the peer's seals kept in the
  // journal whose up_to_seq lies in [from_seq, to_seq], ascending.
  virtual result<records::range_rows> range_proofs(const std::string& channel, box direction,
                                                   std::uint64_t from_seq,
                                                   std::uint64_t to_seq) = 0;

  // Numbers a start of the station, durable when it returns: one more than the last, or the
  // wall clock's seconds (now_ms / 1000) when that is more, so that a station restored from an
  // old backup still numbers its next start above those its peer has seen. The driver puts it in the high half of the hello's boot id, so that a peer can
  // tell the newer of two boots apart (core/engine_handshake.cpp). Journals nothing.
  virtual result<std::uint64_t> next_boot(std::int64_t now_ms) {
    (void)now_ms;
    return fail(errc::unavailable, "this store does not number the station's boots");
  }

  // The station's lease (lease.hpp), for stations whose nodes share this store. All three fail
  // with errc::unavailable on a store without leases (SQLite), and errc::invalid_argument for a
  // bad node id or ttl.
  //
  // Takes the lease for `node_id` for `ttl_ms` by the database's clock when no node holds it, its
  // holder's time is up, or its holder has `node_id` (a restarted process), giving it the next
  // epoch; renews it, keeping the epoch, when this store already holds it live. From then on
  // every write of this store is fenced by that epoch. Fails with errc::conflict when another
  // node holds it live, or errc::fenced when this store held it and another node has it now.
  virtual result<lease_state> acquire_lease(std::string_view node_id, std::int64_t ttl_ms) {
    (void)node_id;
    (void)ttl_ms;
    return fail(errc::unavailable, "this store has no leases");
  }
  // Gives the lease up at once, keeping its epoch, so that another node may take it without
  // waiting for it to expire; this store's writes are fenced from then on. Changes nothing and
  // fails with errc::conflict (errc::fenced when it lost the lease) unless this store holds the
  // lease under `node_id`.
  virtual result<void> release_lease(std::string_view node_id) {
    (void)node_id;
    return fail(errc::unavailable, "this store has no leases");
  }
  // The lease as it stands now.
  virtual result<lease_state> read_lease() {
    return fail(errc::unavailable, "this store has no leases");
  }

  // The journal, newest first (journal.hpp). Every commit appends to it in the same transaction.
  virtual result<std::vector<journal_entry>> journal(const journal_query& q) = 0;
  // Keeps the text of a version of the agreement the station runs under or will switch to, and
  // journals `kind` (`config_loaded`, `agreement_staged`) with `detail`, so that the journal can
  // be checked offline against the keys it pinned.
  virtual result<void> keep_agreement(std::string_view kind, const std::string& hash,
                                      const std::string& text, const std::string& detail,
                                      std::int64_t now_ms) = 0;
};

// The answer to a range load (core::range_load_action): this station's own messages
// (`outbound`) or the peer's on `channel`, seq from_seq..to_seq, ascending, with their proofs.
result<records::range_rows> sequenced_range(store& s, const std::string& channel, bool outbound,
                                            std::uint64_t from_seq, std::uint64_t to_seq);

// How the store keeps its journal. `key` signs the last entry of every transaction, with the key
// in effect at that entry's at_ms (without one the chain is kept, unsigned). `enabled` false
// keeps no journal: for measuring its cost only.
struct journal_options {
  signing::signer key;
  bool enabled = true;
};

// Opens (creating if needed) a SQLite store at `path` in WAL mode with synchronous=FULL, and
// runs any pending schema migrations. ":memory:" gives a private in-memory store for tests.
result<std::unique_ptr<store>> open_sqlite(const std::string& path, journal_options journal = {});

// Opens a PostgreSQL store at `url` (a libpq connection URI or key=value string), with
// synchronous_commit on (verified), and runs any pending schema migrations (pg_store.hpp).
// Fails with errc::io when the server cannot be reached or does not promise durable commits.
result<std::unique_ptr<store>> open_postgresql(const std::string& url,
                                               journal_options journal = {});

}  // namespace hotline::storage

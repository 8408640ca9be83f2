// Evidence gathering on a PostgreSQL database: the PostgreSQL side of evidence_reads.hpp, and
// gather_postgresql_evidence() for a URL. Every read runs inside one REPEATABLE READ, read-only
// transaction, so a bundle is one instant of a database other writers keep changing.
#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/evidence_reads.hpp"
#include "storage/pg_db.hpp"
#include "storage/pg_journal.hpp"
#include "storage/pg_store.hpp"
#include "storage/sqlite_db.hpp"
#include "storage/verify_source.hpp"

namespace hotline::storage {
namespace {

// The acknowledgements one statement fetches for judging; the search goes on, a page at a time,
// until one matches, so memory stays bounded however many a channel holds.
constexpr int ack_candidate_page_rows = 64;

// Judges acknowledgement bodies with SQLite's JSON functions (ack_reference_sql), in a scratch
// in-memory database, so that a body PostgreSQL's parser would read differently or refuse (not
// UTF-8, a NUL, duplicate keys) is matched or skipped exactly as the SQLite store does.
class sqlite_judge {
 public:
  // The index in `bodies` of the first that references `id`, or nullopt.
  result<std::optional<int>> first_match(const std::vector<std::string>& bodies,
                                         const std::string& id) {
    if (!db_) {
      if (auto r = open(); !r) return std::unexpected(std::move(r.error()));
    }
    if (auto r = sqlite::exec(db_.get(), "DELETE FROM bodies"); !r) {
      return std::unexpected(std::move(r.error()));
    }
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      sqlite::query q{insert_};
      q.bind_int(1, static_cast<std::int64_t>(i)).bind_blob(2, bodies[i]);
      if (auto r = q.run(); !r) return std::unexpected(std::move(r.error()));
    }
    sqlite::query q{match_};
    q.bind_text(2, id);
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return std::optional<int>{};
    return std::optional<int>{static_cast<int>(q.column_int(0))};
  }

 private:
  result<void> open() {
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    sqlite::connection db(raw);
    if (rc != SQLITE_OK) return std::unexpected(sqlite::make_error(raw, rc, "judging bodies"));
    // A column, not a bound value: SQLite evaluates a constant json_extract() once, before the
    // WHERE clause's AND could stop at an invalid body.
    const std::string create = "CREATE TABLE bodies (i INTEGER PRIMARY KEY, body BLOB NOT NULL)";
    if (auto r = sqlite::exec(db.get(), create); !r) return r;
    auto insert = sqlite::statement::prepare(db.get(), "INSERT INTO bodies VALUES (?1, ?2)");
    if (!insert) return std::unexpected(std::move(insert.error()));
    auto match =
        sqlite::statement::prepare(db.get(), std::string{"SELECT i FROM bodies WHERE "} +
                                                 ack_reference_sql + " ORDER BY i LIMIT 1");
    if (!match) return std::unexpected(std::move(match.error()));
    db_ = std::move(db);
    insert_ = std::move(*insert);
    match_ = std::move(*match);
    return {};
  }

  // Declared first, so destroyed after the statements prepared on it.
  sqlite::connection db_;
  sqlite::statement insert_, match_;
};

class pg_reads final : public evidence_reads {
 public:
  explicit pg_reads(PGconn* c) : c_(c) {}

  result<std::optional<message_row>> message(const std::string& id) override {
    pg::params p;
    p.add_text(id);
    return first_row("evidence_message", p);
  }

  result<std::optional<message_row>> message_at(const std::string& channel, bool outbound,
                                                std::uint64_t seq) override {
    pg::params p;
    p.add_text(channel).add_text(outbound ? "out" : "in").add_int(static_cast<std::int64_t>(seq));
    return first_row("evidence_message_at", p);
  }

  result<std::vector<message_row>> messages_between(const std::string& channel, bool outbound,
                                                    std::uint64_t after_seq,
                                                    std::uint64_t up_to_seq) override {
    pg::params p;
    p.add_text(channel)
        .add_text(outbound ? "out" : "in")
        .add_int(static_cast<std::int64_t>(after_seq))
        .add_int(static_cast<std::int64_t>(up_to_seq));
    auto r = pg::exec_prepared(c_, "evidence_messages_between", p);
    if (!r) return std::unexpected(std::move(r.error()));
    std::vector<message_row> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(read_message_row(*r, i));
    return out;
  }

  result<std::optional<message_row>> acknowledgement_of(const std::string& channel,
                                                        const std::string& id) override {
    std::int64_t after_cursor = 0;
    for (;;) {
      pg::params p;
      p.add_text(channel).add_int(after_cursor).add_bytea(id).add_int(ack_candidate_page_rows);
      auto r = pg::exec_prepared(c_, "evidence_ack_candidates", p);
      if (!r) return std::unexpected(std::move(r.error()));
      std::vector<std::string> bodies;
      for (int i = 0; i < r->size(); ++i) bodies.push_back(r->get_bytes(i, 7));
      auto match = judge_.first_match(bodies, id);
      if (!match) return std::unexpected(std::move(match.error()));
      if (*match) return std::optional<message_row>{read_message_row(*r, **match)};
      if (r->size() < ack_candidate_page_rows) return std::optional<message_row>{};
      // Invariant: cursors ascend in a page, so the next page starts past this one.
      after_cursor = r->get_int(r->size() - 1, 12);
    }
  }

  result<std::optional<journal_entry>> last_identity_entry() override {
    return first_entry("evidence_identity", {});
  }

  result<std::vector<journal_entry>> entries_of(const std::string& message_id) override {
    pg::params p;
    p.add_text(message_id);
    return pg_read_entries(c_, "evidence_entries_of", p);
  }

  result<std::optional<journal_entry>> first_covering(std::string_view kind,
                                                      const std::string& channel,
                                                      std::uint64_t msg_seq) override {
    pg::params p;
    p.add_text(kind).add_text(channel).add_int(static_cast<std::int64_t>(msg_seq));
    return first_entry("evidence_first_covering", p);
  }

  result<std::vector<journal_entry>> range(std::int64_t from_seq, std::size_t limit) override {
    return pg_read_journal_range(c_, from_seq, limit);
  }

 private:
  result<std::optional<message_row>> first_row(const char* name, const pg::params& p) {
    auto r = pg::exec_prepared(c_, name, p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->size() == 0) return std::optional<message_row>{};
    return std::optional<message_row>{read_message_row(*r, 0)};
  }

  result<std::optional<journal_entry>> first_entry(const char* name, const pg::params& p) {
    auto all = pg_read_entries(c_, name, p);
    if (!all) return std::unexpected(std::move(all.error()));
    if (all->empty()) return std::optional<journal_entry>{};
    return std::optional<journal_entry>{std::move(all->front())};
  }

  PGconn* c_;
  sqlite_judge judge_;
};

// The gathering on `c`, whose statements are prepared and where no transaction is open, in one
// REPEATABLE READ, read-only transaction that ends before it returns.
result<evidence_material> gather_in_snapshot(PGconn* c, const std::string& id) {
  // Invariant: the store opens no transaction it does not close before its call returns.
  assert(PQtransactionStatus(c) == PQTRANS_IDLE);
  if (auto r = pg::exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !r) {
    return std::unexpected(std::move(r.error()));
  }
  pg_reads reads(c);
  auto m = gather_evidence(reads, id);
  // Nothing was written: ending the transaction either way keeps what was read. A connection lost
  // meanwhile has failed the gathering already, and the store reconnects at its next call.
  (void)pg::exec(c, "ROLLBACK");
  return m;
}

}  // namespace

std::vector<std::pair<const char*, const char*>> pg_evidence_statements() {
  // The SQLite store's queries (evidence_source.cpp), in PostgreSQL's terms; the acknowledgement's
  // keeps only bodies that can match (holding the id's bytes, or an escape that could spell it),
  // for sqlite_judge to decide.
  static const std::string message = std::string{message_row_select} + "WHERE id = $1";
  static const std::string message_at =
      std::string{message_row_select} + "WHERE channel = $1 AND box = $2 AND seq = $3";
  static const std::string between = std::string{message_row_select} +
                                     "WHERE channel = $1 AND box = $2 AND seq > $3 AND seq <= $4"
                                     " ORDER BY seq";
  static const std::string candidates =
      "SELECT id, channel, box, sender, seq, precedence, form, body, signature, created_at_ms,"
      " chain, label, cursor FROM messages WHERE channel = $1 AND"
      " form IN ('ACK', 'LINK-TEST-REPLY') AND seq > 0 AND cursor > $2 AND"
      " (position($3::bytea IN body) > 0 OR position('\\x5c'::bytea IN body) > 0)"
      " ORDER BY cursor LIMIT $4";
  static const std::string identity =
      std::string{pg_journal_select} +
      "WHERE kind IN ('config_loaded', 'agreement_switched') AND seq > 0 ORDER BY seq DESC LIMIT 1";
  static const std::string entries_of =
      std::string{pg_journal_select} + "WHERE message_id = $1 AND seq > 0 ORDER BY seq";
  static const std::string covering =
      std::string{pg_journal_select} +
      "WHERE kind = $1 AND channel = $2 AND msg_seq >= $3 ORDER BY msg_seq, seq LIMIT 1";
  return {
      {"evidence_message", message.c_str()},
      {"evidence_message_at", message_at.c_str()},
      {"evidence_messages_between", between.c_str()},
      {"evidence_ack_candidates", candidates.c_str()},
      {"evidence_identity", identity.c_str()},
      {"evidence_entries_of", entries_of.c_str()},
      {"evidence_first_covering", covering.c_str()},
  };
}

result<evidence_material> gather_pg_evidence(pg_store& s, const std::string& id) {
  // add_statements() reconnects a lost connection first, and prepares these once per connection.
  if (auto r = s.add_statements(pg_evidence_statements()); !r) {
    return std::unexpected(std::move(r.error()));
  }
  return gather_in_snapshot(s.handle(), id);
}

result<evidence_material> gather_postgresql_evidence(const std::string& url,
                                                     const std::string& id) {
  auto c = pg_open_read_only(url);
  if (!c) return std::unexpected(std::move(c.error()));
  for (const auto& [name, sql] : pg_evidence_statements()) {
    if (auto r = pg::prepare(c->get(), name, sql); !r) return std::unexpected(std::move(r.error()));
  }
  // pg_open_read_only() left its snapshot's transaction open: this one reads inside it.
  pg_reads reads(c->get());
  return gather_evidence(reads, id);
}

}  // namespace hotline::storage

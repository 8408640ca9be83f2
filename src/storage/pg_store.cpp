// The PostgreSQL store's lifecycle and write path: connecting and checking the session,
// commit() and keep_agreement(). The read path is in pg_store_reads.cpp.
#include "storage/pg_store.hpp"

#include <cassert>
#include <chrono>
#include <limits>
#include <variant>

#include "core/limits.hpp"
#include "storage/pg_migrations.hpp"
#include "storage/store_checks.hpp"

namespace hotline::storage {

namespace {

constexpr auto seq_db_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

result<std::string> setting(PGconn* c, const char* name) {
  const char* values[] = {name};
  pg::rows r{
      PQexecParams(c, "SELECT current_setting($1)", 1, nullptr, values, nullptr, nullptr, 1)};
  if (PQresultStatus(r.raw()) != PGRES_TUPLES_OK || r.size() != 1) {
    return std::unexpected(pg::make_error(c, r.raw(), std::string{"reading "} + name));
  }
  return r.get_bytes(0, 0);
}

result<void> expect_setting(PGconn* c, const char* name, std::string_view want) {
  auto got = setting(c, name);
  if (!got) return std::unexpected(got.error());
  if (*got != want) {
    return fail(errc::io, std::string{"PostgreSQL setting "} + name + " is '" + *got + "', want '" +
                              std::string{want} + "'");
  }
  return {};
}

}  // namespace

result<std::unique_ptr<store>> open_postgresql(const std::string& url, journal_options journal) {
  auto s = pg_store::create(url, wall_clock_ms(), std::move(journal));
  if (!s) return std::unexpected(std::move(s.error()));
  return std::unique_ptr<store>(std::move(*s));
}

result<std::unique_ptr<pg_store>> pg_store::create(const std::string& url, std::int64_t now_ms,
                                                   journal_options journal) {
  auto c = pg::connect(url);
  if (!c) return std::unexpected(std::move(c.error()));
  std::unique_ptr<pg_store> s{new pg_store(std::move(*c), std::move(journal))};
  if (auto r = s->configure(); !r) return std::unexpected(std::move(r.error()));
  if (auto r = pg_migrate(s->handle(), now_ms); !r) return std::unexpected(std::move(r.error()));
  if (auto r = s->prepare_statements(); !r) return std::unexpected(std::move(r.error()));
  return s;
}

// Sets what durability and correctness depend on for this session, then reads back what the
// server will honour: a server running with fsync off cannot keep a commit through a crash.
result<void> pg_store::configure() {
  const std::string set =
      "SET synchronous_commit = on; SET client_encoding = 'UTF8'; SET statement_timeout = " +
      std::to_string(pg_statement_timeout_ms);
  if (auto r = pg::exec(c_.get(), set); !r) return r;
  if (auto r = expect_setting(c_.get(), "synchronous_commit", "on"); !r) return r;
  if (auto r = expect_setting(c_.get(), "fsync", "on"); !r) return r;
  // Text columns hold UTF-8 from the core; a database in another encoding would change it.
  return expect_setting(c_.get(), "server_encoding", "UTF8");
}

result<void> pg_store::prepare_statements() {
  const std::pair<const char*, const char*> writes[] = {
      {"insert",
       "INSERT INTO messages (id, channel, box, sender, seq, precedence, form, body, signature,"
       " created_at_ms, received_at_ms, chain, label)"
       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING cursor"},
      {"sequence",
       "UPDATE messages SET seq = $1,"
       " signature = COALESCE(NULLIF($4::bytea, ''::bytea), signature), chain = $5"
       " WHERE id = $2 AND channel = $3 AND box = 'out' AND seq = 0"},
      {"keep_agreement",
       "INSERT INTO agreements (hash, text, loaded_at_ms) VALUES ($1, $2, $3)"
       " ON CONFLICT (hash) DO NOTHING"},
      {"next_boot",
       "INSERT INTO boots (n, started_at_ms)"
       " SELECT GREATEST(COALESCE(MAX(n), 0) + 1, $1::bigint / 1000), $1 FROM boots RETURNING n"},
      {"deliver",
       "UPDATE messages SET delivered_at_ms = $1 WHERE channel = $2 AND box = 'out'"
       " AND seq > 0 AND seq <= $3 AND delivered_at_ms IS NULL"},
      // The first acknowledgement counts; a repeated one changes nothing.
      {"acknowledge",
       "UPDATE messages SET acknowledged_at_ms = $2, acknowledged_by = $3, ack_answer = $4"
       " WHERE id = $1 AND acknowledged_at_ms IS NULL"},
      {"escalate",
       "UPDATE messages SET escalated_at_ms = $2 WHERE id = $1 AND escalated_at_ms IS NULL"},
      {"flag", "UPDATE messages SET flag = $2 WHERE id = $1"},
  };
  for (const auto& [name, sql] : writes) {
    if (auto r = pg::prepare(c_.get(), name, sql); !r) return r;
  }
  if (auto r = journal_.prepare(); !r) return r;
  if (auto r = prepare_lease_statements(); !r) return r;
  return prepare_read_statements();
}

// A connection lost (a server restart, a failover) is opened again before the next statement,
// with its settings checked and its statements prepared anew; what was not committed is gone,
// which the caller learnt from the failure it was given at the time.
result<void> pg_store::reconnect_if_lost() {
  if (PQstatus(c_.get()) == CONNECTION_OK) return {};
  PQreset(c_.get());
  if (PQstatus(c_.get()) != CONNECTION_OK) {
    return std::unexpected(pg::make_error(c_.get(), nullptr, "reconnecting to PostgreSQL"));
  }
  if (auto r = configure(); !r) return r;
  if (auto r = prepare_statements(); !r) return r;
  for (const auto& [name, sql] : added_statements_) {
    if (auto r = pg::prepare(c_.get(), name, sql); !r) return r;
  }
  return {};
}

result<void> pg_store::add_statements(
    std::span<const std::pair<const char*, const char*>> statements) {
  if (auto r = reconnect_if_lost(); !r) return r;
  for (const auto& [name, sql] : statements) {
    if (added_statements_.contains(name)) continue;
    if (auto r = pg::prepare(c_.get(), name, sql); !r) return r;
    added_statements_.emplace(name, sql);
  }
  return {};
}

result<pg::rows> pg_store::run(const std::string& name, const pg::params& p) {
  if (auto r = reconnect_if_lost(); !r) return std::unexpected(std::move(r.error()));
  return pg::exec_prepared(c_.get(), name, p);
}

result<void> pg_store::commit(std::span<const records::record> recs, std::int64_t now_ms) {
  if (recs.empty()) return {};
  if (recs.size() > limits::group_commit_records_max) {
    return fail(errc::limit, "commit of " + std::to_string(recs.size()) +
                                 " records exceeds group_commit_records_max");
  }
  committed_cursors_.clear();
  return transact([&]() -> result<void> {
    for (std::size_t i = 0; i < recs.size(); ++i) {
      if (auto r = apply(recs[i], now_ms); !r) {
        error e = std::move(r.error());
        e.message =
            "record " + std::to_string(i) + " (" + describe_record(recs[i]) + "): " + e.message;
        return std::unexpected(std::move(e));
      }
    }
    return {};
  });
}

result<void> pg_store::transact(const std::function<result<void>()>& body) {
  if (auto r = reconnect_if_lost(); !r) return r;
  // Invariant: no transaction is open between calls; every path below closes the one it opens.
  assert(PQtransactionStatus(c_.get()) == PQTRANS_IDLE);
  if (auto r = pg::exec(c_.get(), "BEGIN ISOLATION LEVEL READ COMMITTED"); !r) return r;
  auto step = [&]() -> result<void> {
    if (auto r = lock_writer(); !r) return r;
    if (auto r = journal_.begin(); !r) return r;
    if (auto r = body(); !r) return r;
    return journal_.seal();
  };
  if (auto r = step(); !r) {
    rollback_if_open();
    return r;
  }
  const auto sync_started = std::chrono::steady_clock::now();
  if (auto r = commit_transaction(); !r) {
    rollback_if_open();
    return r;
  }
  last_sync_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - sync_started)
                      .count();
  return {};
}

// COMMIT answers with the tag ROLLBACK, and no error, when the transaction had already failed;
// anything but the tag COMMIT is a failure here.
result<void> pg_store::commit_transaction() {
  pg::rows r{PQexec(c_.get(), "COMMIT")};
  if (PQresultStatus(r.raw()) != PGRES_COMMAND_OK) {
    error e = pg::make_error(c_.get(), r.raw(), "COMMIT");
    if (PQstatus(c_.get()) != CONNECTION_OK) {
      e.message += " (the commit may or may not have been applied)";
    }
    return std::unexpected(std::move(e));
  }
  if (std::string_view{PQcmdStatus(r.raw())} != "COMMIT") {
    return fail(errc::io, std::string{"COMMIT answered '"} + PQcmdStatus(r.raw()) + "'");
  }
  return {};
}

void pg_store::rollback_if_open() {
  committed_cursors_.clear();  // nothing of a transaction rolled back was committed
  const auto st = PQtransactionStatus(c_.get());
  if (st == PQTRANS_INTRANS || st == PQTRANS_INERROR) (void)pg::exec(c_.get(), "ROLLBACK");
}

std::optional<std::int64_t> pg_store::committed_cursor(std::string_view id) const {
  auto it = committed_cursors_.find(id);
  if (it == committed_cursors_.end()) return std::nullopt;
  return it->second;
}

result<void> pg_store::apply(const records::record& rec, std::int64_t now_ms) {
  if (auto r = apply_row(rec, now_ms); !r) return r;
  if (!journal_.enabled()) return {};
  for (auto& e : journal_entries_for(rec, now_ms)) {
    if (auto r = journal_.append(std::move(e)); !r) return r;
  }
  return {};
}

result<void> pg_store::apply_row(const records::record& rec, std::int64_t now_ms) {
  if (const auto* p = std::get_if<records::posted>(&rec)) {
    return insert(p->msg, box::out, std::nullopt,
                  p->msg.seq > 0 ? std::optional(p->chain) : std::nullopt);
  }
  if (const auto* r = std::get_if<records::received>(&rec)) {
    if (r->msg.seq == 0) {
      return fail(errc::invalid_argument, "inbound message without a seq", "seq");
    }
    return insert(r->msg, box::in, now_ms, r->chain);
  }
  if (const auto* s = std::get_if<records::sequenced>(&rec)) return sequence(*s);
  if (const auto* c = std::get_if<records::reclaimed>(&rec)) return reclaim(*c, now_ms);
  if (const auto* d = std::get_if<records::delivered>(&rec)) return deliver(*d, now_ms);
  // Receipts, seals and notes live in the journal alone.
  if (std::holds_alternative<records::attested>(rec) ||
      std::holds_alternative<records::noted>(rec) || std::holds_alternative<records::sealed>(rec)) {
    return {};
  }
  return annotate(rec, now_ms);
}

result<std::vector<journal_entry>> pg_store::journal(const journal_query& q) {
  if (auto r = reconnect_if_lost(); !r) return std::unexpected(std::move(r.error()));
  return pg_read_journal(c_.get(), q);
}

// The agreement's text and its journal entry go in one transaction.
result<void> pg_store::keep_agreement(std::string_view kind, const std::string& hash,
                                      const std::string& text, const std::string& detail,
                                      std::int64_t now_ms) {
  committed_cursors_.clear();
  const records::record note = records::noted{std::string{kind}, {}, {}, detail};
  return transact([&]() -> result<void> {
    pg::params p;
    p.add_text(hash).add_text(text).add_int(now_ms);
    if (auto r = pg::exec_prepared(c_.get(), "keep_agreement", p); !r) {
      return std::unexpected(std::move(r.error()));
    }
    return apply(note, now_ms);
  });
}

// Numbered under the writer lock, so that nodes sharing the database never hand out one number
// twice.
result<std::uint64_t> pg_store::next_boot(std::int64_t now_ms) {
  std::int64_t n = 0;
  auto done = transact([&]() -> result<void> {
    pg::params p;
    p.add_int(now_ms);
    auto r = pg::exec_prepared(c_.get(), "next_boot", p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->size() != 1) return fail(errc::corrupt, "numbering a boot returned no row");
    n = r->get_int(0, 0);
    return {};
  });
  if (!done) return std::unexpected(done.error());
  return static_cast<std::uint64_t>(n);
}

// Acknowledgements, escalations and flags annotate a stored message; one that names no message
// here changes nothing, as in the SQLite store.
result<void> pg_store::annotate(const records::record& rec, std::int64_t now_ms) {
  pg::params p;
  const char* name = "flag";
  if (const auto* a = std::get_if<records::acknowledged>(&rec)) {
    name = "acknowledge";
    p.add_text(a->id)
        .add_int(a->at_ms != 0 ? a->at_ms : now_ms)
        .add_text(a->by)
        .add_text(a->answer);
  } else if (const auto* e = std::get_if<records::escalated>(&rec)) {
    name = "escalate";
    p.add_text(e->id).add_int(now_ms);
  } else {
    const auto& f = std::get<records::flagged>(rec);
    p.add_text(f.id).add_text(f.reason);
  }
  auto r = pg::exec_prepared(c_.get(), name, p);
  if (!r) return std::unexpected(std::move(r.error()));
  return {};
}

result<void> pg_store::insert(const message& m, box direction,
                              std::optional<std::int64_t> received_at_ms,
                              std::optional<wire::hash256> chain) {
  if (auto r = check_message(m); !r) return r;
  pg::params p;
  p.add_text(m.id)
      .add_text(m.channel)
      .add_text(to_string(direction))
      .add_text(m.from)
      .add_int(static_cast<std::int64_t>(m.seq))
      .add_int(static_cast<std::int64_t>(m.prec))
      .add_text(m.form)
      .add_bytea(m.body)
      .add_bytea(m.signature)
      .add_int(m.created_at_ms);
  if (received_at_ms) {
    p.add_int(*received_at_ms);
  } else {
    p.add_null();
  }
  if (chain) {
    p.add_hash(*chain);
  } else {
    p.add_null();
  }
  p.add_text(labels::to_text(m.label));
  // A duplicate id or (channel, box, seq) comes back as a unique violation: errc::conflict.
  auto r = pg::exec_prepared(c_.get(), "insert", p);
  if (!r) return std::unexpected(std::move(r.error()));
  // Invariant: INSERT ... RETURNING answers one row for the one row it inserted.
  assert(r->size() == 1);
  committed_cursors_.insert_or_assign(m.id, r->get_int(0, 0));
  return {};
}

result<std::int64_t> pg_store::assign_seq(const records::sequenced& rec) {
  if (rec.seq == 0 || rec.seq > seq_db_max) {
    return fail(errc::invalid_argument, "seq out of range", "seq");
  }
  pg::params p;
  p.add_int(static_cast<std::int64_t>(rec.seq))
      .add_text(rec.id)
      .add_text(rec.channel)
      .add_bytea(rec.signature)
      .add_hash(rec.chain);
  auto r = pg::exec_prepared(c_.get(), "sequence", p);
  if (!r) return std::unexpected(std::move(r.error()));
  return r->changed();
}

result<void> pg_store::sequence(const records::sequenced& rec) {
  auto changed = assign_seq(rec);
  if (!changed) {
    // The seq is already taken on this channel: the store and the core disagree.
    error e = std::move(changed.error());
    if (e.code == errc::conflict) e.code = errc::corrupt;
    return std::unexpected(std::move(e));
  }
  if (*changed != 1) {
    return fail(errc::corrupt,
                "no queued outbound message '" + rec.id + "' on channel '" + rec.channel + "'");
  }
  return {};
}

// A message of ours handed back by the peer: its queued post takes the seq it was sent with, or,
// when the post is not here at all, it is stored whole; either way it is on the peer's disk.
result<void> pg_store::reclaim(const records::reclaimed& rec, std::int64_t now_ms) {
  const message& m = rec.msg;
  auto changed = assign_seq({m.channel, m.id, m.seq, m.signature, rec.chain});
  if (!changed) return std::unexpected(changed.error());
  if (*changed == 0) {
    if (auto r = insert(m, box::out, std::nullopt, rec.chain); !r) return r;
  }
  return deliver({m.channel, m.seq}, now_ms);
}

result<void> pg_store::deliver(const records::delivered& rec, std::int64_t now_ms) {
  if (rec.up_to_seq > seq_db_max) {
    return fail(errc::invalid_argument, "up_to_seq out of range", "up_to_seq");
  }
  pg::params p;
  p.add_int(now_ms).add_text(rec.channel).add_int(static_cast<std::int64_t>(rec.up_to_seq));
  auto r = pg::exec_prepared(c_.get(), "deliver", p);
  if (!r) return std::unexpected(std::move(r.error()));
  return {};
}

}  // namespace hotline::storage

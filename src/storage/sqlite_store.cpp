// The SQLite store's lifecycle and write path: opening and configuring the connection, and
// commit(). The read path (recover, get, list, inbound_range) is in sqlite_store_reads.cpp.
#include "storage/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <type_traits>
#include <variant>

#include "core/limits.hpp"
#include "storage/migrations.hpp"
#include "storage/store_checks.hpp"

namespace hotline::storage {

namespace {

constexpr auto seq_db_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

result<std::string> pragma_text(sqlite3* db, const std::string& sql) {
  auto s = sqlite::statement::prepare(db, sql);
  if (!s) return std::unexpected(s.error());
  sqlite::query q{*s};
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(errc::io, sql + " returned nothing");
  return q.column_text(0);
}

result<void> expect_pragma(sqlite3* db, const std::string& sql, std::string_view want) {
  auto got = pragma_text(db, sql);
  if (!got) return std::unexpected(got.error());
  if (*got != want) {
    return fail(errc::io, sql + " is '" + *got + "', want '" + std::string{want} + "'");
  }
  return {};
}

// Sets the pragmas durability depends on, then reads each back: SQLite ignores a pragma it
// cannot honour (WAL on some file systems, for one) instead of failing.
result<void> configure(sqlite3* db) {
  if (int rc = sqlite3_busy_timeout(db, sqlite_busy_timeout_ms); rc != SQLITE_OK) {
    return std::unexpected(sqlite::make_error(db, rc, "busy_timeout"));
  }
  // An in-memory database has no file name and keeps its journal in memory; WAL needs a file.
  const char* file = sqlite3_db_filename(db, "main");
  const bool in_memory = file == nullptr || *file == '\0';
  if (auto r = expect_pragma(db, "PRAGMA journal_mode=WAL", in_memory ? "memory" : "wal"); !r) {
    return r;
  }
  if (auto r = sqlite::exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"); !r) return r;
  // Every insert touches the table and its indexes; with SQLite's default 2 MiB page cache a
  // busy station spends its time re-reading pages. A larger cache and memory-mapped reads keep
  // the working set in memory. Durability is unchanged: writes still go through the WAL.
  if (auto r = sqlite::exec(db, "PRAGMA cache_size=-" + std::to_string(sqlite_cache_kib) +
                                    "; PRAGMA mmap_size=" + std::to_string(sqlite_mmap_bytes));
      !r) {
    return r;
  }
  if (auto r = expect_pragma(db, "PRAGMA synchronous", "2"); !r) return r;  // 2 is FULL
  if (auto r = expect_pragma(db, "PRAGMA foreign_keys", "1"); !r) return r;
  return expect_pragma(db, "PRAGMA busy_timeout", std::to_string(sqlite_busy_timeout_ms));
}

// Narrows an existing file to its owner's permission bits. A file that is not there is fine.
result<void> narrow_mode(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(errc::io, "cannot examine " + file + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077U) == 0) return {};
  if (::chmod(file.c_str(), st.st_mode & 0700U) != 0) {
    return fail(errc::io, file + " is open to other users and cannot be made private (chmod 600 " +
                              file + "): " + std::strerror(errno));
  }
  return {};
}

// The database holds messages, password hashes and the audit log, so only the station's user may
// read it, whatever the umask. The file is created here with mode 0600 before SQLite opens it
// (SQLite itself would create it 0644 less the umask), and SQLite gives the -wal and -shm files
// it creates the database's own mode. A database left more open, by an older build or by hand, is
// narrowed to its owner's bits, and so are its -wal and -shm files.
result<void> make_private(const std::string& path) {
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) return {};
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    // The umask may have narrowed 0600 further; the store must still be able to write.
    const bool ok = ::fchmod(fd, 0600) == 0;
    ::close(fd);
    if (!ok) return fail(errc::io, "cannot set the mode of " + path + ": " + std::strerror(errno));
    return {};
  }
  if (errno != EEXIST) return fail(errc::io, "cannot create " + path + ": " + std::strerror(errno));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (auto r = narrow_mode(path + suffix); !r) return r;
  }
  return {};
}

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

result<std::unique_ptr<store>> open_sqlite(const std::string& path, journal_options journal) {
  auto s = sqlite_store::create(path, wall_clock_ms(), std::move(journal));
  if (!s) return std::unexpected(std::move(s.error()));
  return std::unique_ptr<store>(std::move(*s));
}

std::string sqlite_store::file() const {
  const char* name = sqlite3_db_filename(db_.get(), "main");
  return name == nullptr ? std::string{} : std::string{name};
}

result<std::unique_ptr<sqlite_store>> sqlite_store::create(const std::string& path,
                                                           std::int64_t now_ms,
                                                           journal_options journal) {
  if (auto r = make_private(path); !r) return std::unexpected(std::move(r.error()));
  sqlite3* raw = nullptr;
  // NOMUTEX: the store has one owning thread, so SQLite's own locking would only cost time.
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  sqlite::connection db{raw};
  if (rc != SQLITE_OK) return std::unexpected(sqlite::make_error(raw, rc, "open " + path));

  auto with_path = [&path](error e) {
    e.message = path + ": " + e.message;
    return std::unexpected(std::move(e));
  };
  if (auto r = configure(db.get()); !r) return with_path(r.error());
  if (auto r = migrate(db.get(), now_ms); !r) return with_path(r.error());
  std::unique_ptr<sqlite_store> s{new sqlite_store(std::move(db), std::move(journal))};
  if (auto r = s->prepare_statements(); !r) return with_path(r.error());
  const char* file = sqlite3_db_filename(s->handle(), "main");
  if (file != nullptr && *file != '\0') {
    auto c = wal_checkpointer::start(s->handle(), file);
    if (!c) return with_path(c.error());
    s->checkpointer_ = std::move(*c);
  }
  return s;
}

result<void> sqlite_store::prepare_statements() {
  const std::pair<sqlite::statement*, std::string_view> writes[] = {
      {&st_.begin, "BEGIN IMMEDIATE"},
      {&st_.commit, "COMMIT"},
      {&st_.rollback, "ROLLBACK"},
      {&st_.insert,
       "INSERT INTO messages (id, channel, box, sender, seq, precedence, form, body, signature,"
       " created_at_ms, received_at_ms, chain, label)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"},
      {&st_.sequence,
       "UPDATE messages SET seq = ?1, signature = COALESCE(NULLIF(?4, x''), signature), chain = ?5"
       " WHERE id = ?2 AND channel = ?3 AND box = 'out' AND seq = 0"},
      {&st_.keep_agreement,
       "INSERT INTO agreements (hash, text, loaded_at_ms) VALUES (?1, ?2, ?3)"
       " ON CONFLICT (hash) DO NOTHING"},
      // The literal `seq > 0` and `delivered_at_ms IS NULL` terms make the small partial index
      // messages_out_undelivered usable, and INDEXED BY makes SQLite use it: left to itself the
      // planner picks messages_channel_box_seq and walks every delivered row below ?3, so each
      // receipt cost time in proportion to the whole outbox.
      {&st_.deliver,
       "UPDATE messages INDEXED BY messages_out_undelivered SET delivered_at_ms = ?1"
       " WHERE channel = ?2 AND box = 'out'"
       " AND seq > 0 AND seq <= ?3 AND delivered_at_ms IS NULL"},
      // The first acknowledgement counts; a repeated one changes nothing.
      {&st_.acknowledge,
       "UPDATE messages SET acknowledged_at_ms = ?2, acknowledged_by = ?3, ack_answer = ?4"
       " WHERE id = ?1 AND acknowledged_at_ms IS NULL"},
      {&st_.escalate,
       "UPDATE messages SET escalated_at_ms = ?2 WHERE id = ?1 AND escalated_at_ms IS NULL"},
      {&st_.flag, "UPDATE messages SET flag = ?2 WHERE id = ?1"},
  };
  for (const auto& [target, sql] : writes) {
    auto s = sqlite::statement::prepare(db_.get(), sql);
    if (!s) return std::unexpected(s.error());
    *target = std::move(*s);
  }
  if (auto r = journal_.prepare(); !r) return r;
  return prepare_read_statements();
}

result<void> sqlite_store::commit(std::span<const records::record> recs, std::int64_t now_ms) {
  if (recs.empty()) return {};
  if (recs.size() > limits::group_commit_records_max) {
    return fail(errc::limit, "commit of " + std::to_string(recs.size()) +
                                 " records exceeds group_commit_records_max");
  }
  // Invariant: no transaction is open between calls; every path below closes the one it opens.
  assert(sqlite3_get_autocommit(db_.get()) != 0);
  int pages = 0;
  int unused = 0;
  // Counts from here: what this commit writes (SQLite counts per connection).
  (void)sqlite3_db_status(db_.get(), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused, 1);
  committed_cursors_.clear();
  if (auto r = sqlite::query{st_.begin}.run(); !r) return r;
  if (auto r = journal_.begin(); !r) {
    rollback_if_open();
    return r;
  }
  for (std::size_t i = 0; i < recs.size(); ++i) {
    if (auto r = apply(recs[i], now_ms); !r) {
      rollback_if_open();
      error e = std::move(r.error());
      e.message =
          "record " + std::to_string(i) + " (" + describe_record(recs[i]) + "): " + e.message;
      return std::unexpected(std::move(e));
    }
  }
  if (auto r = journal_.seal(); !r) {
    rollback_if_open();
    return r;
  }
  const auto sync_started = std::chrono::steady_clock::now();
  if (auto r = sqlite::query{st_.commit}.run(); !r) {
    rollback_if_open();
    return r;
  }
  last_sync_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - sync_started)
                      .count();
  last_sync_pages_ = sqlite3_db_status(db_.get(), SQLITE_DBSTATUS_CACHE_WRITE, &pages, &unused, 0) ==
                             SQLITE_OK
                         ? pages
                         : -1;
  return {};
}

std::optional<std::int64_t> sqlite_store::committed_cursor(std::string_view id) const {
  auto it = committed_cursors_.find(id);
  if (it == committed_cursors_.end()) return std::nullopt;
  return it->second;
}

void sqlite_store::rollback_if_open() {
  committed_cursors_.clear();  // nothing of a transaction rolled back was committed
  // After SQLITE_FULL or SQLITE_IOERR SQLite may have rolled back on its own already. If the
  // rollback itself fails the next BEGIN fails too, so the error still surfaces to the caller.
  if (sqlite3_get_autocommit(db_.get()) == 0) (void)sqlite::query{st_.rollback}.run();
}

result<void> sqlite_store::apply(const records::record& rec, std::int64_t now_ms) {
  if (auto r = apply_row(rec, now_ms); !r) return r;
  if (!journal_.enabled()) return {};
  for (auto& e : journal_entries_for(rec, now_ms)) {
    if (auto r = journal_.append(std::move(e)); !r) return r;
  }
  return {};
}

result<void> sqlite_store::apply_row(const records::record& rec, std::int64_t now_ms) {
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
  if (std::holds_alternative<records::attested>(rec) || std::holds_alternative<records::noted>(rec) ||
      std::holds_alternative<records::sealed>(rec)) {
    return {};
  }
  return annotate(rec, now_ms);
}

result<std::vector<journal_entry>> sqlite_store::journal(const journal_query& q) {
  return read_journal(db_.get(), q);
}

result<void> sqlite_store::keep_agreement(std::string_view kind, const std::string& hash,
                                          const std::string& text, const std::string& detail,
                                          std::int64_t now_ms) {
  sqlite::query q{st_.keep_agreement};
  q.bind_text(1, hash).bind_text(2, text).bind_int(3, now_ms);
  if (auto r = q.run(); !r) return r;
  const records::record note = records::noted{std::string{kind}, {}, {}, detail};
  return commit(std::span(&note, 1), now_ms);
}

// Acknowledgements, escalations and flags annotate a stored message. An acknowledgement may
// name a message this station never held (a peer's answer to something unknown): it is kept
// as a message of its own, and the annotation simply changes nothing.
result<void> sqlite_store::annotate(const records::record& rec, std::int64_t now_ms) {
  if (const auto* a = std::get_if<records::acknowledged>(&rec)) {
    sqlite::query q{st_.acknowledge};
    q.bind_text(1, a->id)
        .bind_int(2, a->at_ms != 0 ? a->at_ms : now_ms)
        .bind_text(3, a->by)
        .bind_text(4, a->answer);
    return q.run();
  }
  if (const auto* e = std::get_if<records::escalated>(&rec)) {
    sqlite::query q{st_.escalate};
    q.bind_text(1, e->id).bind_int(2, now_ms);
    return q.run();
  }
  const auto& f = std::get<records::flagged>(rec);
  sqlite::query q{st_.flag};
  q.bind_text(1, f.id).bind_text(2, f.reason);
  return q.run();
}

result<void> sqlite_store::insert(const message& m, box direction,
                                  std::optional<std::int64_t> received_at_ms,
                                  std::optional<wire::hash256> chain) {
  if (auto r = check_message(m); !r) return r;
  const std::string label_text = labels::to_text(m.label);  // bound without a copy
  sqlite::query q{st_.insert};
  q.bind_text(1, m.id)
      .bind_text(2, m.channel)
      .bind_text(3, to_string(direction))
      .bind_text(4, m.from)
      .bind_int(5, static_cast<std::int64_t>(m.seq))
      .bind_int(6, static_cast<std::int64_t>(m.prec))
      .bind_text(7, m.form)
      .bind_blob(8, m.body)
      .bind_blob(9, m.signature)
      .bind_int(10, m.created_at_ms)
      .bind_text(13, label_text);
  if (received_at_ms) {
    q.bind_int(11, *received_at_ms);
  } else {
    q.bind_null(11);
  }
  if (chain) {
    q.bind_hash(12, *chain);
  } else {
    q.bind_null(12);
  }
  // A duplicate id or (channel, box, seq) comes back as a constraint failure: errc::conflict.
  if (auto r = q.run(); !r) return r;
  committed_cursors_.insert_or_assign(m.id, sqlite3_last_insert_rowid(db_.get()));
  return {};
}

// Gives the queued outbound post `rec.id` its seq, signature and chain; the rows changed (0 when
// there is no such queued post).
result<std::int64_t> sqlite_store::assign_seq(const records::sequenced& rec) {
  if (rec.seq == 0 || rec.seq > seq_db_max) {
    return fail(errc::invalid_argument, "seq out of range", "seq");
  }
  sqlite::query q{st_.sequence};
  q.bind_int(1, static_cast<std::int64_t>(rec.seq))
      .bind_text(2, rec.id)
      .bind_text(3, rec.channel)
      .bind_blob(4, rec.signature)
      .bind_hash(5, rec.chain);
  if (auto r = q.run(); !r) return std::unexpected(r.error());
  return sqlite3_changes64(db_.get());
}

result<void> sqlite_store::sequence(const records::sequenced& rec) {
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
result<void> sqlite_store::reclaim(const records::reclaimed& rec, std::int64_t now_ms) {
  const message& m = rec.msg;
  auto changed = assign_seq({m.channel, m.id, m.seq, m.signature, rec.chain});
  if (!changed) return std::unexpected(changed.error());
  if (*changed == 0) {
    if (auto r = insert(m, box::out, std::nullopt, rec.chain); !r) return r;
  }
  return deliver({m.channel, m.seq}, now_ms);
}

result<void> sqlite_store::deliver(const records::delivered& rec, std::int64_t now_ms) {
  if (rec.up_to_seq > seq_db_max) {
    return fail(errc::invalid_argument, "up_to_seq out of range", "up_to_seq");
  }
  sqlite::query q{st_.deliver};
  q.bind_int(1, now_ms)
      .bind_text(2, rec.channel)
      .bind_int(3, static_cast<std::int64_t>(rec.up_to_seq));
  return q.run();
}

namespace sqlite_testing {

namespace {

result<sqlite_store*> as_sqlite(store& s) {
  auto* sq = dynamic_cast<sqlite_store*>(&s);
  if (sq == nullptr) return fail(errc::invalid_argument, "not a SQLite store", "store");
  return sq;
}

}  // namespace

result<std::int64_t> set_max_page_count(store& s, std::int64_t pages) {
  auto sq = as_sqlite(s);
  if (!sq) return std::unexpected(sq.error());
  auto got = pragma_text((*sq)->handle(), "PRAGMA max_page_count=" + std::to_string(pages));
  if (!got) return std::unexpected(got.error());
  std::int64_t limit = 0;
  const auto [end, ec] = std::from_chars(got->data(), got->data() + got->size(), limit);
  if (ec != std::errc{} || end != got->data() + got->size()) {
    return fail(errc::io, "PRAGMA max_page_count returned '" + *got + "'");
  }
  return limit;
}

result<std::string> pragma_value(store& s, std::string_view name) {
  auto sq = as_sqlite(s);
  if (!sq) return std::unexpected(sq.error());
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z'))) {
      return fail(errc::invalid_argument, "not a pragma name", "name");
    }
  }
  return pragma_text((*sq)->handle(), "PRAGMA " + std::string{name});
}

result<wal_checkpointer::counts> checkpoint_counts(store& s) {
  auto sq = as_sqlite(s);
  if (!sq) return std::unexpected(sq.error());
  if (!(*sq)->checkpointer_) return fail(errc::invalid_argument, "an in-memory store has no log");
  return (*sq)->checkpointer_->stats();
}

result<std::int64_t> take_deliver_steps(store& s) {
  auto sq = as_sqlite(s);
  if (!sq) return std::unexpected(sq.error());
  return sqlite3_stmt_status((*sq)->st_.deliver.get(), SQLITE_STMTSTATUS_VM_STEP, 1);
}

}  // namespace sqlite_testing

}  // namespace hotline::storage

// The SQLite implementation of `translations` (translations.hpp), sharing the message store's
// connection. Each write is one IMMEDIATE transaction, so the count it checks (or the row it
// reviews) cannot change between the check and the write, and it returns only once SQLite has
// synced it (synchronous=FULL). The rules and the journal entries are translation_checks.hpp's,
// shared with the PostgreSQL implementation.
#include <array>
#include <functional>

#include "storage/sqlite_store.hpp"
#include "storage/translation_checks.hpp"

namespace hotline::storage {

namespace {

constexpr std::string_view translation_columns =
    "id, message_id, lang, text, translator, created_at_ms, state, reviewer, reviewed_at_ms,"
    " review_note";

enum stmt : std::size_t {
  count_st,
  insert_st,
  find_st,
  review_st,
  of_message_st,
  begin_st,
  commit_st,
  rollback_st,
  statement_count
};

std::array<std::string, statement_count> statement_sql() {
  const std::string select = "SELECT " + std::string(translation_columns) + " FROM translations ";
  std::array<std::string, statement_count> sql;
  sql[count_st] = "SELECT COUNT(*) FROM translations WHERE message_id = ?1";
  sql[insert_st] =
      "INSERT INTO translations (message_id, lang, text, translator, created_at_ms)"
      " VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id";
  sql[find_st] = select + "WHERE id = ?1";
  sql[review_st] =
      "UPDATE translations SET state = ?2, reviewer = ?3, reviewed_at_ms = ?4, review_note = ?5"
      " WHERE id = ?1 AND state = 'pending'";
  sql[of_message_st] = select + "WHERE message_id = ?1 ORDER BY id";
  sql[begin_st] = "BEGIN IMMEDIATE";
  sql[commit_st] = "COMMIT";
  sql[rollback_st] = "ROLLBACK";
  return sql;
}

// Reads one row, checking what came off the disk against the rules it was written under.
result<translation> decode(const sqlite::query& q) {
  translation t;
  t.id = q.column_int(0);
  t.message_id = q.column_text(1);
  t.lang = q.column_text(2);
  t.text = q.column_text(3);
  t.translator = q.column_text(4);
  t.created_at_ms = q.column_int(5);
  if (!q.column_is_null(7)) t.reviewer = q.column_text(7);
  if (!q.column_is_null(8)) t.reviewed_at_ms = q.column_int(8);
  t.review_note = q.column_text(9);
  return checked_translation_row(std::move(t), q.column_text(6));
}

class sqlite_translations final : public translations {
 public:
  sqlite_translations(sqlite3* db, journal_writer& journal) : db_(db), journal_(journal) {}

  result<void> prepare() { return sqlite::prepare_all(db_, statement_sql(), st_); }

  result<translation> add(const translation& t) override {
    if (auto ok = check_new_translation(t); !ok) return std::unexpected(ok.error());
    translation out = as_pending(t);
    auto r = in_transaction([&]() -> result<void> {
      auto count = count_of(t.message_id);
      if (!count) return std::unexpected(count.error());
      if (auto room = check_room(*count); !room) return room;
      sqlite::query q{st_[insert_st]};
      q.bind_text(1, t.message_id)
          .bind_text(2, t.lang)
          .bind_text(3, t.text)
          .bind_text(4, t.translator)
          .bind_int(5, t.created_at_ms);
      auto row = q.step();
      if (!row) return std::unexpected(row.error());
      out.id = q.column_int(0);
      // Step to the end so the INSERT completes before the statement is reset.
      if (auto done = q.step(); !done) return std::unexpected(done.error());
      return journal_.record(translation_journal_entry(out));
    });
    if (!r) return std::unexpected(r.error());
    return out;
  }

  result<translation> apply(const review& r) override {
    if (auto ok = check_review(r); !ok) return std::unexpected(ok.error());
    translation out;
    auto done = in_transaction([&]() -> result<void> {
      auto found = find(r.translation_id);
      if (!found) return std::unexpected(found.error());
      auto verdict = reviewed(*found, r);
      if (!verdict) return std::unexpected(verdict.error());
      out = std::move(*verdict);
      sqlite::query q{st_[review_st]};
      q.bind_int(1, out.id)
          .bind_text(2, to_string(out.state))
          .bind_text(3, out.reviewer)
          .bind_int(4, r.at_ms)
          .bind_text(5, out.review_note);
      if (auto w = q.run(); !w) return w;
      return journal_.record(translation_journal_entry(out));
    });
    if (!done) return std::unexpected(done.error());
    return out;
  }

  result<std::vector<translation>> of_message(std::string_view message_id) override {
    sqlite::query q{st_[of_message_st]};
    q.bind_text(1, message_id);
    return sqlite::collect(q, decode);
  }

 private:
  result<std::int64_t> count_of(std::string_view message_id) {
    sqlite::query q{st_[count_st]};
    q.bind_text(1, message_id);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    return q.column_int(0);
  }

  result<std::optional<translation>> find(std::int64_t id) {
    sqlite::query q{st_[find_st]};
    q.bind_int(1, id);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<translation>{};
    auto t = decode(q);
    if (!t) return std::unexpected(t.error());
    return std::optional<translation>{std::move(*t)};
  }

  result<void> in_transaction(const std::function<result<void>()>& body) {
    if (auto r = sqlite::query{st_[begin_st]}.run(); !r) return r;
    auto r = body();
    if (r) r = sqlite::query{st_[commit_st]}.run();
    // After an I/O error SQLite may have rolled back already; only an open transaction needs it.
    if (!r && sqlite3_get_autocommit(db_) == 0) (void)sqlite::query{st_[rollback_st]}.run();
    return r;
  }

  sqlite3* db_;  // borrowed from the store, which outlives this object
  journal_writer& journal_;
  std::array<sqlite::statement, statement_count> st_;
};

}  // namespace

result<std::unique_ptr<translations>> open_sqlite_translations(sqlite_store& s) {
  auto t = std::make_unique<sqlite_translations>(s.handle(), s.journal_log());
  if (auto r = t->prepare(); !r) return std::unexpected(r.error());
  return std::unique_ptr<translations>(std::move(t));
}

}  // namespace hotline::storage

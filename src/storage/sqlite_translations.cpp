// The SQLite implementation of `translations` (translations.hpp), sharing the message store's
// connection. Each write is one IMMEDIATE transaction, so the count it checks (or the row it
// reviews) cannot change between the check and the write, and it returns only once SQLite has
// synced it (synchronous=FULL).
#include <array>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"
#include "storage/accounts.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/translations.hpp"

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

std::optional<translation_state> parse_state(std::string_view s) {
  for (auto st :
       {translation_state::pending, translation_state::certified, translation_state::rejected}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
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
  const auto state = parse_state(q.column_text(6));
  if (!q.column_is_null(7)) t.reviewer = q.column_text(7);
  if (!q.column_is_null(8)) t.reviewed_at_ms = q.column_int(8);
  t.review_note = q.column_text(9);
  const bool pending = state == translation_state::pending;
  if (!state || !valid_language(t.lang) || t.text.empty() ||
      t.text.size() > translation_text_bytes_max || pending != t.reviewer.empty() ||
      pending == t.reviewed_at_ms.has_value() || t.reviewer == t.translator) {
    return fail(errc::corrupt, "translation row " + std::to_string(t.id) + " breaks its rules");
  }
  t.state = *state;
  return t;
}

result<void> check_new(const translation& t) {
  if (!valid_language(t.lang))
    return fail(errc::invalid_argument, "lang must be ko, ru or en", "lang");
  if (t.text.empty()) return fail(errc::invalid_argument, "text must not be empty", "text");
  if (t.text.size() > translation_text_bytes_max) {
    return fail(errc::limit,
                "text is over " + std::to_string(translation_text_bytes_max) + " bytes", "text");
  }
  if (t.translator.empty()) {
    return fail(errc::invalid_argument, "a translation needs its translator", "translator");
  }
  if (t.message_id.empty()) return fail(errc::invalid_argument, "no message named", "id");
  return {};
}

result<void> check_review(const review& r) {
  if (r.reviewer.empty())
    return fail(errc::invalid_argument, "a review needs its reviewer", "reviewer");
  if (r.note.size() > review_note_bytes_max) {
    return fail(errc::invalid_argument,
                "note is over " + std::to_string(review_note_bytes_max) + " bytes", "note");
  }
  if (!r.approve && r.note.empty()) {
    return fail(errc::invalid_argument, "a rejection needs a note saying why", "note");
  }
  return {};
}

class sqlite_translations final : public translations {
 public:
  sqlite_translations(sqlite3* db, journal_writer& journal) : db_(db), journal_(journal) {}

  result<void> prepare() { return sqlite::prepare_all(db_, statement_sql(), st_); }

  result<translation> add(const translation& t) override {
    if (auto ok = check_new(t); !ok) return std::unexpected(ok.error());
    translation out = t;
    out.state = translation_state::pending;
    out.reviewer.clear();
    out.reviewed_at_ms.reset();
    out.review_note.clear();
    auto r = in_transaction([&]() -> result<void> {
      auto count = count_of(t.message_id);
      if (!count) return std::unexpected(count.error());
      if (*count >= static_cast<std::int64_t>(translations_per_message_max)) {
        return fail(errc::limit, "the message already has " +
                                     std::to_string(translations_per_message_max) +
                                     " translations");
      }
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
      return journal_.record(entry_of(out, "translation_attached"));
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
      if (!*found || (*found)->message_id != r.message_id) {
        return fail(errc::not_found,
                    "no translation " + std::to_string(r.translation_id) + " of this message",
                    "tid");
      }
      const translation& t = **found;
      if (t.translator == r.reviewer) {
        return fail(errc::refused, "a translation is reviewed by someone other than its translator",
                    "reviewer");
      }
      if (t.state != translation_state::pending) {
        return fail(errc::conflict, "translation " + std::to_string(t.id) + " was already " +
                                        std::string(to_string(t.state)) + " by " + t.reviewer);
      }
      out = t;
      out.state = r.approve ? translation_state::certified : translation_state::rejected;
      out.reviewer = r.reviewer;
      out.reviewed_at_ms = r.at_ms;
      out.review_note = r.note;
      sqlite::query q{st_[review_st]};
      q.bind_int(1, t.id)
          .bind_text(2, to_string(out.state))
          .bind_text(3, out.reviewer)
          .bind_int(4, r.at_ms)
          .bind_text(5, out.review_note);
      if (auto w = q.run(); !w) return w;
      return journal_.record(entry_of(out, out.state == translation_state::certified
                                               ? "translation_certified"
                                               : "translation_rejected"));
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
  // The journal holds who translated or reviewed what, and a digest of the text, not the text.
  static journal_entry entry_of(const translation& t, std::string kind) {
    journal_entry e;
    e.at_ms = t.reviewed_at_ms.value_or(t.created_at_ms);
    e.kind = std::move(kind);
    e.message_id = t.message_id;
    nlohmann::json d{{"translation", t.id},
                     {"lang", t.lang},
                     {"translator", t.translator},
                     {"text_sha256", signing::to_hex(signing::sha256(t.text))}};
    if (!t.reviewer.empty()) d["reviewer"] = t.reviewer;
    if (!t.review_note.empty()) d["note"] = t.review_note;
    e.detail = json_safe::dump(d);
    return e;
  }

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

std::string_view to_string(translation_state s) {
  switch (s) {
    case translation_state::pending:
      return "pending";
    case translation_state::certified:
      return "certified";
    case translation_state::rejected:
      return "rejected";
  }
  return "pending";
}

result<std::unique_ptr<translations>> open_translations(store& s) {
  auto* sqlite = dynamic_cast<sqlite_store*>(&s);
  if (sqlite == nullptr) {
    return fail(errc::invalid_argument, "translations need a store made by open_sqlite()");
  }
  auto t = std::make_unique<sqlite_translations>(sqlite->handle(), sqlite->journal_log());
  if (auto r = t->prepare(); !r) return std::unexpected(r.error());
  return std::unique_ptr<translations>(std::move(t));
}

}  // namespace hotline::storage

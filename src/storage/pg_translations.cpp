// The PostgreSQL implementation of `translations` (translations.hpp), sharing the PostgreSQL
// store's connection; its rules and journal entries are translation_checks.hpp's, the same as
// SQLite's. Each write is one transaction under the store's writer lock (pg_store::transact), so
// the count it checks, or the row it reviews, cannot change between the check and the write, and
// it returns only once committed with synchronous_commit on.
#include <array>
#include <utility>

#include "storage/pg_store.hpp"
#include "storage/translation_checks.hpp"

namespace hotline::storage {

namespace {

// Every statement, prefixed "tr_" so that no name clashes with the store's.
constexpr std::array<std::pair<const char*, const char*>, 5> statements{{
    {"tr_count", "SELECT COUNT(*) FROM translations WHERE message_id = $1"},
    {"tr_insert",
     "INSERT INTO translations (message_id, lang, text, translator, created_at_ms)"
     " VALUES ($1, $2, $3, $4, $5) RETURNING id"},
    {"tr_find",
     "SELECT id, message_id, lang, text, translator, created_at_ms, state, reviewer,"
     " reviewed_at_ms, review_note FROM translations WHERE id = $1"},
    {"tr_review",
     "UPDATE translations SET state = $2, reviewer = $3, reviewed_at_ms = $4, review_note = $5"
     " WHERE id = $1 AND state = 'pending'"},
    {"tr_of_message",
     "SELECT id, message_id, lang, text, translator, created_at_ms, state, reviewer,"
     " reviewed_at_ms, review_note FROM translations WHERE message_id = $1 ORDER BY id"},
}};

// Reads row `i`, checking what came off the disk against the rules it was written under.
result<translation> decode(const pg::rows& r, int i) {
  translation t;
  t.id = r.get_int(i, 0);
  t.message_id = r.get_bytes(i, 1);
  t.lang = r.get_bytes(i, 2);
  t.text = r.get_bytes(i, 3);
  t.translator = r.get_bytes(i, 4);
  t.created_at_ms = r.get_int(i, 5);
  if (!r.is_null(i, 7)) t.reviewer = r.get_bytes(i, 7);
  if (!r.is_null(i, 8)) t.reviewed_at_ms = r.get_int(i, 8);
  t.review_note = r.get_bytes(i, 9);
  return checked_translation_row(std::move(t), r.get_bytes(i, 6));
}

class pg_translations final : public translations {
 public:
  explicit pg_translations(pg_store& s) : s_(s) {}

  result<void> prepare() { return s_.add_statements(statements); }

  result<translation> add(const translation& t) override {
    if (auto ok = check_new_translation(t); !ok) return std::unexpected(ok.error());
    translation out = as_pending(t);
    auto r = s_.transact([&]() -> result<void> {
      pg::params which;
      which.add_text(t.message_id);
      auto count = exec("tr_count", which);
      if (!count) return std::unexpected(std::move(count.error()));
      if (auto room = check_room(count->get_int(0, 0)); !room) return room;
      pg::params p;
      p.add_text(t.message_id)
          .add_text(t.lang)
          .add_text(t.text)
          .add_text(t.translator)
          .add_int(t.created_at_ms);
      auto row = exec("tr_insert", p);
      if (!row) return std::unexpected(std::move(row.error()));
      out.id = row->get_int(0, 0);
      return s_.journal_log().append(translation_journal_entry(out));
    });
    if (!r) return std::unexpected(std::move(r.error()));
    return out;
  }

  result<translation> apply(const review& r) override {
    if (auto ok = check_review(r); !ok) return std::unexpected(ok.error());
    translation out;
    auto done = s_.transact([&]() -> result<void> {
      pg::params which;
      which.add_int(r.translation_id);
      auto rows = exec("tr_find", which);
      if (!rows) return std::unexpected(std::move(rows.error()));
      std::optional<translation> found;
      if (rows->size() > 0) {
        auto t = decode(*rows, 0);
        if (!t) return std::unexpected(std::move(t.error()));
        found = std::move(*t);
      }
      auto verdict = reviewed(found, r);
      if (!verdict) return std::unexpected(std::move(verdict.error()));
      out = std::move(*verdict);
      pg::params p;
      p.add_int(out.id)
          .add_text(to_string(out.state))
          .add_text(out.reviewer)
          .add_int(r.at_ms)
          .add_text(out.review_note);
      auto w = exec("tr_review", p);
      if (!w) return std::unexpected(std::move(w.error()));
      // Invariant: the row was pending under the writer lock, so the update found it.
      if (w->changed() != 1) return fail(errc::conflict, "the translation changed under review");
      return s_.journal_log().append(translation_journal_entry(out));
    });
    if (!done) return std::unexpected(std::move(done.error()));
    return out;
  }

  result<std::vector<translation>> of_message(std::string_view message_id) override {
    pg::params p;
    p.add_text(message_id);
    auto r = s_.run("tr_of_message", p);
    if (!r) return std::unexpected(std::move(r.error()));
    std::vector<translation> out;
    out.reserve(static_cast<std::size_t>(r->size()));
    for (int i = 0; i < r->size(); ++i) {
      auto t = decode(*r, i);
      if (!t) return std::unexpected(std::move(t.error()));
      out.push_back(std::move(*t));
    }
    return out;
  }

 private:
  // A statement inside the transaction transact() opened.
  result<pg::rows> exec(const std::string& name, const pg::params& p) {
    return pg::exec_prepared(s_.handle(), name, p);
  }

  pg_store& s_;  // borrowed; outlives this object
};

}  // namespace

result<std::unique_ptr<translations>> open_pg_translations(pg_store& s) {
  auto t = std::make_unique<pg_translations>(s);
  if (auto r = t->prepare(); !r) return std::unexpected(r.error());
  return std::unique_ptr<translations>(std::move(t));
}

}  // namespace hotline::storage

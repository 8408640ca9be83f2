// What every backend of `translations` shares: the rules (translation_checks.hpp) and
// open_translations(), which picks the backend of the store it is given.
#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"
#include "storage/accounts.hpp"
#include "storage/pg_store.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/translation_checks.hpp"

namespace hotline::storage {

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

std::optional<translation_state> parse_translation_state(std::string_view s) {
  for (auto st :
       {translation_state::pending, translation_state::certified, translation_state::rejected}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

result<void> check_new_translation(const translation& t) {
  if (!valid_language(t.lang)) {
    return fail(errc::invalid_argument, "lang must be ko, ru or en", "lang");
  }
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
  if (r.reviewer.empty()) {
    return fail(errc::invalid_argument, "a review needs its reviewer", "reviewer");
  }
  if (r.note.size() > review_note_bytes_max) {
    return fail(errc::invalid_argument,
                "note is over " + std::to_string(review_note_bytes_max) + " bytes", "note");
  }
  if (!r.approve && r.note.empty()) {
    return fail(errc::invalid_argument, "a rejection needs a note saying why", "note");
  }
  return {};
}

translation as_pending(const translation& t) {
  translation out = t;
  out.state = translation_state::pending;
  out.reviewer.clear();
  out.reviewed_at_ms.reset();
  out.review_note.clear();
  return out;
}

result<void> check_room(std::int64_t count) {
  if (count >= static_cast<std::int64_t>(translations_per_message_max)) {
    return fail(errc::limit, "the message already has " +
                                 std::to_string(translations_per_message_max) + " translations");
  }
  return {};
}

result<translation> reviewed(const std::optional<translation>& found, const review& r) {
  if (!found || found->message_id != r.message_id) {
    return fail(errc::not_found,
                "no translation " + std::to_string(r.translation_id) + " of this message", "tid");
  }
  const translation& t = *found;
  if (t.translator == r.reviewer) {
    return fail(errc::refused, "a translation is reviewed by someone other than its translator",
                "reviewer");
  }
  if (t.state != translation_state::pending) {
    return fail(errc::conflict, "translation " + std::to_string(t.id) + " was already " +
                                    std::string(to_string(t.state)) + " by " + t.reviewer);
  }
  translation out = t;
  out.state = r.approve ? translation_state::certified : translation_state::rejected;
  out.reviewer = r.reviewer;
  out.reviewed_at_ms = r.at_ms;
  out.review_note = r.note;
  return out;
}

result<translation> checked_translation_row(translation&& t, std::string_view state_text) {
  const auto state = parse_translation_state(state_text);
  const bool pending = state == translation_state::pending;
  if (!state || !valid_language(t.lang) || t.text.empty() ||
      t.text.size() > translation_text_bytes_max || pending != t.reviewer.empty() ||
      pending == t.reviewed_at_ms.has_value() || t.reviewer == t.translator) {
    return fail(errc::corrupt, "translation row " + std::to_string(t.id) + " breaks its rules");
  }
  t.state = *state;
  return std::move(t);
}

journal_entry translation_journal_entry(const translation& t) {
  journal_entry e;
  e.at_ms = t.reviewed_at_ms.value_or(t.created_at_ms);
  switch (t.state) {
    case translation_state::pending:
      e.kind = "translation_attached";
      break;
    case translation_state::certified:
      e.kind = "translation_certified";
      break;
    case translation_state::rejected:
      e.kind = "translation_rejected";
      break;
  }
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

result<std::unique_ptr<translations>> open_translations(store& s) {
  if (auto* sqlite = dynamic_cast<sqlite_store*>(&s)) return open_sqlite_translations(*sqlite);
  if (auto* pg = dynamic_cast<pg_store*>(&s)) return open_pg_translations(*pg);
  return fail(errc::invalid_argument,
              "translations need a store made by open_sqlite() or open_postgresql()");
}

}  // namespace hotline::storage

// Translation checks: the rules every backend of `translations` (translations.hpp) applies on
// both sides of the disk and inside its write transactions, so that SQLite and PostgreSQL accept,
// refuse, journal and report exactly the same; and the constructors open_translations()
// dispatches to. Internal to src/storage.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/translations.hpp"

namespace hotline::storage {

class sqlite_store;
class pg_store;

// Before a write: errc::invalid_argument or errc::limit naming the field (translations.hpp).
result<void> check_new_translation(const translation& t);
result<void> check_review(const review& r);

// `t` as add() stores it: pending, with no review.
translation as_pending(const translation& t);
// Inside add()'s transaction: errc::limit when a message holding `count` translations is full.
result<void> check_room(std::int64_t count);
// Inside apply()'s transaction, given the row `found` it read for r.translation_id: the
// translation as reviewed, or the refusal translations::apply() documents.
result<translation> reviewed(const std::optional<translation>& found, const review& r);

// "pending", "certified", "rejected"; nullopt for anything else.
std::optional<translation_state> parse_translation_state(std::string_view s);
// After a read: the row as read with its state's text, or errc::corrupt when it breaks its rules.
result<translation> checked_translation_row(translation&& t, std::string_view state_text);

// The journal entry an add (`translation_attached`) or a review (`translation_certified`,
// `translation_rejected`) writes in its transaction: who translated or reviewed what, and a
// digest of the text, not the text.
journal_entry translation_journal_entry(const translation& t);

// The backends' translations, on the connection of the store they are given, which must outlive
// them.
result<std::unique_ptr<translations>> open_sqlite_translations(sqlite_store& s);
result<std::unique_ptr<translations>> open_pg_translations(pg_store& s);

}  // namespace hotline::storage

// Translations: what the receiving watch team attaches to a received message so that its own
// side can read it, and the supervisor's review that certifies one. A small interface of its
// own, beside `store`, on the same database (like accounts.hpp).
//
// The original message is never touched: a translation is a separate row that names it. A
// translation starts pending; a review turns it certified (approved) or rejected (with a note),
// once. Invariant, checked here inside the review's transaction and by the schema: the reviewer
// is never the translator. Every write is one transaction, synced (synchronous=FULL), when it
// returns success (on PostgreSQL, committed with synchronous_commit on).
//
// Not thread-safe: one owning thread, like the store whose connection it shares. The schema is
// the "translations" migration in migrations.cpp and pg_migrations.cpp, and both backends apply
// the same rules (translation_checks.hpp); docs/translations.md describes the workflow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace hotline::storage {

// A translation's text, in bytes of UTF-8; a review's note likewise.
inline constexpr std::size_t translation_text_bytes_max = 16 * 1024;
inline constexpr std::size_t review_note_bytes_max = 1000;
// Translations kept per message, whatever their state: one per language, with room for
// corrected ones after rejections.
inline constexpr std::size_t translations_per_message_max = 12;

enum class translation_state { pending, certified, rejected };
std::string_view to_string(translation_state s);  // "pending" | "certified" | "rejected"

struct translation {
  std::int64_t id = 0;  // assigned by add, strictly increasing
  std::string message_id;
  std::string lang;  // "ko" | "ru" | "en"
  std::string text;
  std::string translator;  // a user name or an API token's name
  std::int64_t created_at_ms = 0;
  translation_state state = translation_state::pending;
  std::string reviewer;  // empty while pending
  std::optional<std::int64_t> reviewed_at_ms;
  std::string review_note;
};

// A supervisor's verdict on one translation.
struct review {
  std::int64_t translation_id = 0;
  std::string message_id;  // the translation must belong to this message
  std::string reviewer;
  bool approve = false;
  std::string note;  // required when rejecting
  std::int64_t at_ms = 0;
};

class translations {
 public:
  virtual ~translations() = default;

  // Stores `t` as pending (its id, state and review fields are ignored) and returns it with its
  // id. errc::invalid_argument (field lang, text or translator) when a value breaks its rule;
  // errc::limit (field text) when the text is over translation_text_bytes_max; errc::limit when
  // the message already has translations_per_message_max translations.
  virtual result<translation> add(const translation& t) = 0;

  // Applies `r`. errc::not_found (field tid) when no such translation belongs to the message;
  // errc::refused (field reviewer) when the reviewer is the translator; errc::conflict when it
  // was already reviewed; errc::invalid_argument (field note) when a rejection has no note or
  // the note is too long. Returns the translation as reviewed.
  virtual result<translation> apply(const review& r) = 0;

  // The message's translations, oldest first.
  virtual result<std::vector<translation>> of_message(std::string_view message_id) = 0;
};

// Translations on the same connection as `s`, which must come from open_sqlite() or
// open_postgresql() (else errc::invalid_argument) and must outlive the returned object.
result<std::unique_ptr<translations>> open_translations(store& s);

}  // namespace hotline::storage

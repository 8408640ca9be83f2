// Accounts: the people who use a station (duty officers, translators, supervisors, auditors,
// admins), their console sessions, and the append-only audit log of who signed in and what was
// changed. A small interface of its own, beside `store`, so that the API and the CLI can manage
// people without touching the message store's contract.
//
// Secrets never reach this interface in clear: a user carries only the Argon2id string from
// passwords.hpp, and a session only the SHA-256 of its secret. Every write is durable (one
// transaction, synced) when it returns success.
//
// Not thread-safe: one owning thread, like the store whose connection it shares. The schema is
// SQLite migration 2 (migrations.cpp) and PostgreSQL migration 5 (pg_migrations.cpp); both
// backends apply the same rules (account_checks.hpp). docs/api.md describes the behaviour built on
// it.
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

inline constexpr std::size_t user_name_bytes_min = 2;
inline constexpr std::size_t user_name_bytes_max = 32;
inline constexpr std::size_t audit_detail_bytes_max = 512;
inline constexpr std::size_t audit_page_entries_max = 1000;

// A user name: 2 to 32 characters from [a-z0-9._-].
bool valid_user_name(std::string_view name);
// "duty-officer", "translator", "supervisor", "auditor" or "admin".
bool valid_role(std::string_view role);
// "ko", "ru" or "en".
bool valid_language(std::string_view language);
// Empty (the lowest marking) or the shape of a marking id (shape::valid_agreement_id). Whether the
// agreement defines it is the caller's to check (labels::policy::valid_clearance).
bool valid_clearance_shape(std::string_view clearance);

struct user {
  std::string name;
  std::string role;
  std::string language = "en";
  std::string password_hash;  // crypto_pwhash_str output; never the password
  // The highest marking of the station's own scheme whose messages this user may read (and
  // acknowledge, translate, export, post); "" for the lowest (core/label.hpp, cleared_for).
  std::string clearance = {};
  bool disabled = false;
  std::int64_t created_at_ms = 0;
  // The former per-user lockout's columns. The station no longer sets them: its lockout is per
  // user and remote address (api/login_throttle.hpp), so that nobody can lock a user out from
  // another machine. A new password still clears them.
  std::int64_t failed_attempts = 0;
  std::int64_t locked_until_ms = 0;  // 0: not locked
};

struct session_record {
  std::string id_sha256;  // SHA-256 (hex) of the secret in the cookie; the secret is not kept
  std::string user;
  std::string csrf_token;  // sent back by the console in X-CSRF-Token; useless without the cookie
  std::int64_t created_at_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t expires_at_ms = 0;  // absolute end, whatever the activity
  std::int64_t idle_ms = 0;        // ends earlier when unused this long
};

// A session together with its user as they are now (role, disabled), read in one query.
struct session_view {
  session_record session;
  user owner;
};

struct audit_entry {
  std::int64_t id = 0;  // assigned by append_audit, strictly increasing
  std::int64_t at_ms = 0;
  std::string actor;   // a user name, an API token name, or "os:<login>" for the CLI
  std::string action;  // login, login_failed, logout, locked_out, user_added, ...
  std::string detail;  // free text for people; never a password or a session secret
};

// An API token made with `hotline token add`. Its name follows the user-name rule.
struct stored_token {
  std::int64_t id = 0;  // assigned by add_token
  std::string name;
  std::string role;
  std::string sha256_hex;  // SHA-256 (hex) of the secret; the secret is not kept
  std::int64_t created_at_ms = 0;
  std::string created_by;                    // "os:<login>" of whoever made it
  std::string clearance = {};                // as a user's; fixed when the token is made
  std::optional<std::int64_t> revoked_at_ms;  // nullopt while the token is accepted
};

class accounts {
 public:
  virtual ~accounts() = default;

  // Adds a user. errc::invalid_argument (field name, role, language, clearance or password_hash)
  // when a value breaks its rule; errc::conflict when the name is taken.
  virtual result<void> add_user(const user& u) = 0;
  virtual result<std::optional<user>> find_user(std::string_view name) = 0;
  virtual result<std::vector<user>> list_users() = 0;  // by name

  // The setters fail with errc::not_found for an unknown name. Disabling a user and changing a
  // password also end all of that user's sessions, and a new password clears any lockout.
  virtual result<void> set_disabled(std::string_view name, bool disabled) = 0;
  virtual result<void> set_password_hash(std::string_view name, std::string_view hash) = 0;
  virtual result<void> set_language(std::string_view name, std::string_view language) = 0;
  // Takes effect at the user's next request; an open event stream is ended (api/session_check).
  virtual result<void> set_clearance(std::string_view name, std::string_view clearance) = 0;

  // Stores a new session, first removing that user's oldest sessions so that at most
  // `per_user_max` remain, counting the new one.
  virtual result<void> create_session(const session_record& s, std::size_t per_user_max) = 0;
  // The session and its user, or nullopt. Expiry is the caller's to judge.
  virtual result<std::optional<session_view>> find_session(std::string_view id_sha256) = 0;
  virtual result<void> touch_session(std::string_view id_sha256, std::int64_t now_ms) = 0;
  virtual result<void> delete_session(std::string_view id_sha256) = 0;
  // Removes every session past its absolute or idle end at `now_ms`; returns how many.
  virtual result<std::int64_t> delete_expired_sessions(std::int64_t now_ms) = 0;

  // Stores a token (id and revoked_at_ms are ignored). errc::invalid_argument when the name, role
  // or hash breaks its rule; errc::conflict when a live token has the name or the hash.
  virtual result<void> add_token(const stored_token& t) = 0;
  // The live (not revoked) token whose secret hashes to `sha256_hex`, or nullopt.
  virtual result<std::optional<stored_token>> find_live_token(std::string_view sha256_hex) = 0;
  // Every token, revoked ones included, oldest first.
  virtual result<std::vector<stored_token>> list_tokens() = 0;
  // Revokes the live token called `name`; errc::not_found when there is none.
  virtual result<void> revoke_token(std::string_view name, std::int64_t at_ms) = 0;

  // Appends one entry (its id is ignored); the table refuses updates and deletes. Details over
  // audit_detail_bytes_max are cut, never refused: the event must be recorded.
  virtual result<void> append_audit(const audit_entry& e) = 0;
  // Entries with id > after_id, oldest first, at most `limit` (clamped to
  // audit_page_entries_max).
  virtual result<std::vector<audit_entry>> list_audit(std::int64_t after_id, std::size_t limit) = 0;
};

// Accounts on the same connection as `s`, which must come from open_sqlite() or open_postgresql()
// (else errc::invalid_argument) and must outlive the returned object. Statements are prepared here.
result<std::unique_ptr<accounts>> open_accounts(store& s);

}  // namespace hotline::storage

// What every backend of `accounts` shares: the rules (account_checks.hpp) and open_accounts(),
// which picks the backend of the store it is given.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"
#include "core/limits.hpp"
#include "core/shape.hpp"
#include "storage/account_checks.hpp"
#include "storage/pg_store.hpp"
#include "storage/sqlite_store.hpp"

namespace hotline::storage {

namespace {

bool all_of_chars(std::string_view s, std::string_view allowed) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return allowed.find(c) != std::string_view::npos; });
}

// The rules a user and an API token share: `what` ("user", "token") names which in the error.
result<void> check_name_and_role(std::string_view what, std::string_view name,
                                 std::string_view role) {
  if (!valid_user_name(name)) {
    return fail(errc::invalid_argument,
                "a " + std::string(what) +
                    " name is 2 to 32 characters from a-z, 0-9, '.', '_' and '-'",
                "name");
  }
  if (!valid_role(role)) {
    return fail(errc::invalid_argument,
                "role must be duty-officer, translator, supervisor, auditor or admin", "role");
  }
  return {};
}

}  // namespace

bool valid_user_name(std::string_view name) {
  return name.size() >= user_name_bytes_min && name.size() <= user_name_bytes_max &&
         all_of_chars(name, "abcdefghijklmnopqrstuvwxyz0123456789._-");
}

bool valid_role(std::string_view role) {
  return role == "duty-officer" || role == "translator" || role == "supervisor" ||
         role == "auditor" || role == "admin";
}

bool valid_language(std::string_view language) {
  return language == "ko" || language == "ru" || language == "en";
}

bool valid_clearance_shape(std::string_view clearance) {
  return clearance.empty() || shape::valid_agreement_id(clearance, limits::station_id_bytes_max);
}

bool valid_sha256_hex(std::string_view h) {
  return h.size() == 64 && all_of_chars(h, "0123456789abcdef");
}

result<void> check_password_hash(std::string_view hash) {
  if (!hash.starts_with("$argon2id$")) {
    return fail(errc::invalid_argument, "password_hash is not an Argon2id string",
                "password_hash");
  }
  return {};
}

result<void> check_language(std::string_view language) {
  if (!valid_language(language)) {
    return fail(errc::invalid_argument, "language must be ko, ru or en", "language");
  }
  return {};
}

result<void> check_clearance(std::string_view clearance) {
  if (!valid_clearance_shape(clearance)) {
    return fail(errc::invalid_argument, "clearance is not a marking id", "clearance");
  }
  return {};
}

result<void> check_user(const user& u) {
  if (auto ok = check_name_and_role("user", u.name, u.role); !ok) return ok;
  if (auto ok = check_language(u.language); !ok) return ok;
  if (auto ok = check_clearance(u.clearance); !ok) return ok;
  return check_password_hash(u.password_hash);
}

result<void> check_token(const stored_token& t) {
  if (auto ok = check_name_and_role("token", t.name, t.role); !ok) return ok;
  if (!valid_sha256_hex(t.sha256_hex)) {
    return fail(errc::invalid_argument, "sha256 is not 64 lowercase hex digits", "sha256");
  }
  return check_clearance(t.clearance);
}

result<void> check_session(const session_record& s, std::size_t per_user_max) {
  if (per_user_max == 0 || s.id_sha256.size() != 64 || s.idle_ms <= 0) {
    return fail(errc::invalid_argument, "a session needs a SHA-256 id, an idle limit and room");
  }
  return {};
}

result<user> checked_user_row(user&& u) {
  if (!valid_user_name(u.name) || !valid_role(u.role) || !valid_language(u.language) ||
      !valid_clearance_shape(u.clearance)) {
    return fail(errc::corrupt, "user row '" + u.name + "' breaks the schema's rules");
  }
  return std::move(u);
}

result<stored_token> checked_token_row(stored_token&& t) {
  if (!valid_user_name(t.name) || !valid_role(t.role) || !valid_sha256_hex(t.sha256_hex) ||
      !valid_clearance_shape(t.clearance)) {
    return fail(errc::corrupt, "API token row '" + t.name + "' breaks the schema's rules");
  }
  return std::move(t);
}

error user_exists(std::string_view name) {
  return {errc::conflict, "a user named " + std::string(name) + " already exists", "name"};
}

error token_exists(std::string_view name) {
  return {errc::conflict, "a live API token named " + std::string(name) + " already exists",
          "name"};
}

error no_user(std::string_view name) {
  return {errc::not_found, "no user named " + std::string(name), "name"};
}

error no_live_token(std::string_view name) {
  return {errc::not_found, "no live API token named " + std::string(name), "name"};
}

std::string_view audit_detail(const audit_entry& e) {
  return std::string_view(e.detail).substr(0, audit_detail_bytes_max);
}

journal_entry audit_journal_entry(const audit_entry& e) {
  journal_entry j;
  j.at_ms = e.at_ms;
  j.kind = e.action;
  j.detail = json_safe::dump(nlohmann::json{{"actor", e.actor}, {"detail", audit_detail(e)}});
  return j;
}

result<std::unique_ptr<accounts>> open_accounts(store& s) {
  if (auto* sqlite = dynamic_cast<sqlite_store*>(&s)) return open_sqlite_accounts(*sqlite);
  if (auto* pg = dynamic_cast<pg_store*>(&s)) return open_pg_accounts(*pg);
  return fail(errc::invalid_argument,
              "accounts need a store made by open_sqlite() or open_postgresql()");
}

}  // namespace hotline::storage

// Account checks: the rules every backend of `accounts` (accounts.hpp) applies on both sides of
// the disk, so that SQLite and PostgreSQL accept, refuse and report exactly the same: a user, a
// session or a token before it is written, and a row right after it is read. Also the journal
// entry an audit row goes with, and the constructors open_accounts() dispatches to. Internal to
// src/storage.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/accounts.hpp"

namespace hotline::storage {

class sqlite_store;
class pg_store;

// 64 lowercase hex digits: the SHA-256 of a session's or a token's secret.
bool valid_sha256_hex(std::string_view h);

// Before a write: errc::invalid_argument naming the field that breaks its rule.
result<void> check_user(const user& u);
result<void> check_token(const stored_token& t);
result<void> check_password_hash(std::string_view hash);
result<void> check_language(std::string_view language);
result<void> check_clearance(std::string_view clearance);
result<void> check_session(const session_record& s, std::size_t per_user_max);

// After a read: the row as read, or errc::corrupt when it breaks what the schema promised.
result<user> checked_user_row(user&& u);
result<stored_token> checked_token_row(stored_token&& t);

// The refusals both backends give, in the same words.
error user_exists(std::string_view name);
error token_exists(std::string_view name);
error no_user(std::string_view name);
error no_live_token(std::string_view name);

// The detail an audit row keeps: cut at audit_detail_bytes_max, never refused.
std::string_view audit_detail(const audit_entry& e);
// The journal entry written with audit row `e`, in the same transaction.
journal_entry audit_journal_entry(const audit_entry& e);

// The backends' accounts, on the connection of the store they are given, which must outlive them.
result<std::unique_ptr<accounts>> open_sqlite_accounts(sqlite_store& s);
result<std::unique_ptr<accounts>> open_pg_accounts(pg_store& s);

}  // namespace hotline::storage

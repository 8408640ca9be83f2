// A message row as the journal's readers see it: the signed fields of a sent or received message,
// its direction, and the chain stored with it. Journal verification and evidence gathering both
// read rows this way; the store's own reads decode and check more (sqlite_store_reads.cpp).
// Internal to src/storage.
#pragma once

#include "core/message.hpp"
#include "core/signing.hpp"
#include "storage/pg_db.hpp"
#include "storage/sqlite_db.hpp"

namespace hotline::storage {

struct message_row {
  message msg;
  bool outbound = false;
  signing::digest chain{};  // zeros when the row holds none (it predates the journal)
};

// The SELECT ... FROM messages that read_message_row() reads; append a WHERE clause.
inline constexpr const char* message_row_select =
    "SELECT id, channel, box, sender, seq, precedence, form, body, signature, created_at_ms,"
    " chain, label FROM messages ";

message_row read_message_row(const sqlite::query& q);
// Row `i` of a PostgreSQL message_row_select (pg_journal_verify.cpp).
message_row read_message_row(const pg::rows& r, int i);

}  // namespace hotline::storage

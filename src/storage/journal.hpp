// Journal: the station's append-only, hash-chained and signed record of everything that
// happened (docs/journal.md). It lives in the station's SQLite file, beside the messages.
//
// Entry n holds the hash of entry n-1 (`prev_hash`; zeros for entry 1), and its own `hash` is
// SHA-256 over its canonical bytes (journal_entry_hash), so changing, removing or reordering any
// entry breaks the chain. The last entry of every transaction carries the station's Ed25519
// signature over its hash, which covers everything before it. Entries are written in the same
// transaction as the change they record: a crash leaves both or neither.
//
// The writer and the reads are in sqlite_journal.hpp (internal to src/storage).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/records.hpp"
#include "core/signing.hpp"

namespace hotline::storage {

struct journal_entry {
  std::int64_t seq = 0;  // 1, 2, 3, ... with no gap
  std::int64_t at_ms = 0;
  std::string kind;        // see docs/journal.md for the kinds and their details
  std::string channel;     // empty when not about a channel
  std::string message_id;  // empty when not about one message
  std::uint64_t msg_seq = 0;  // the message's seq, or a receipt's up_to_seq; 0 when none
  std::string detail;         // a JSON object, or empty
  signing::digest prev_hash{};
  signing::digest hash{};
  std::string signature;  // on the last entry of each transaction; empty on the others
};

// SHA-256 over the canonical bytes of everything but `hash` and `signature`.
signing::digest journal_entry_hash(const journal_entry& e);
// The bytes a journal signature covers: a domain tag and the entry's hash.
wire::bytes journal_signed_bytes(const signing::digest& hash);

// The journal entries that describe `rec`, a record being committed at `now_ms`, without their
// seq and hashes. Messages and receipts carry their digests and chains in the detail.
std::vector<journal_entry> journal_entries_for(const records::record& rec, std::int64_t now_ms);

// The peer's receipt a `receipt` or `attestation_mismatch` entry holds; nullopt when its detail
// is malformed. Its signature is not checked here.
std::optional<wire::receipt> receipt_from_entry(const journal_entry& e);
// The peer's seal a `sealed` entry holds; nullopt when its detail is malformed. Its signature is
// not checked here.
std::optional<wire::seal_statement> seal_from_entry(const journal_entry& e);

// A search of the journal for display: newest first, before `before_seq` (0: from the head), of `kind`
// (empty: any) whose kind, channel, message id or detail contain `text` (empty: any).
struct journal_query {
  std::string kind;
  std::string text;
  std::int64_t before_seq = 0;
  std::size_t limit = 50;
};
}  // namespace hotline::storage

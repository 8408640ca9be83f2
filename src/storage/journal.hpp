// Journal: the station's append-only, hash-chained and signed record of everything that
// happened (docs/journal.md). It lives in the station's database (SQLite or PostgreSQL), beside
// the messages.
//
// Entry n holds the hash of entry n-1 (`prev_hash`; zeros for entry 1), and its own `hash` is
// SHA-256 over its canonical bytes (journal_entry_hash), so changing, removing or reordering any
// entry breaks the chain. The last entry of every transaction carries the station's Ed25519
// signature over its hash, which covers everything before it. Entries are written in the same
// transaction as the change they record: a crash leaves both or neither.
//
// The chain's arithmetic (journal_chain, below) is the same for every database; the writers that
// put entries into one are in sqlite_journal.hpp and pg_journal.hpp (internal to src/storage).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/key_schedule.hpp"
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

// The links of one transaction's entries, shared by every backend's writer so that the same
// records give the same chain and signatures whatever database holds them. The writer reads
// the head inside its write transaction, calls begin() with it, then append() for each entry and
// seal() once; it inserts every entry these hand back, in the order they come. The last entry is
// held back until seal() because only it carries the signature. Not thread-safe.
class journal_chain {
 public:
  // Starts a transaction after the head entry `head_seq` (0 for an empty journal) whose hash is
  // `head_hash` (zeros for an empty journal). Forgets any entry a previous transaction left.
  void begin(std::int64_t head_seq, const signing::digest& head_hash);
  // Numbers `e` and links it after the head. Returns the entry appended before it, complete and
  // unsigned, for the writer to insert; nullopt when `e` is the transaction's first.
  std::optional<journal_entry> append(journal_entry e);
  // The transaction's last entry, signed with `key`'s key in effect at its at_ms (unsigned when
  // there is none then); nullopt when nothing was appended since begin().
  std::optional<journal_entry> seal(const signing::signer& key);

 private:
  std::int64_t head_seq_ = 0;
  signing::digest head_hash_{};
  std::optional<journal_entry> last_;
};

// A search of the journal for display: newest first, before `before_seq` (0: from the head), of `kind`
// (empty: any) whose kind, channel, message id or detail contain `text` (empty: any).
struct journal_query {
  std::string kind;
  std::string text;
  std::int64_t before_seq = 0;
  std::size_t limit = 50;
};
}  // namespace hotline::storage

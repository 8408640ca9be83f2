// Evidence source: gathers from a station's store everything that proves what happened to one
// message (the material of an evidence bundle; see src/evidence/bundle.hpp, docs/journal.md).
//
// For a message this station sent: the message, the first receipt the peer signed that covers it
// with the digests linking it to that receipt's chain, and the peer's acknowledgement message
// with the peer's seal over it. For one it received: the message with the sender's first seal
// that covers it, and this station's own signed journal entries for its arrival and
// acknowledgement. In both cases, the journal entries that anchor each of these (this station's
// own messages are proven by its journal), from each anchor to the next signed entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/message.hpp"
#include "core/signing.hpp"
#include "core/wire.hpp"
#include "storage/journal.hpp"

namespace hotline::storage {

class store;

// The proof that a message this station received was sent by its sender (protocol 5): the
// sender's seal over its chain at a seq at or after the message, the chain up to the message's
// seq - 1, and the digests of the messages after it up to the seal's seq.
struct seal_proof {
  wire::seal_statement seal;
  signing::digest chain_before{};
  std::vector<signing::digest> links;
};

struct evidence_material {
  std::string station;         // whose store this is (from its config_loaded entry)
  std::string agreement_hash;  // the agreement version in effect at export, "sha256:..."
  message msg;
  bool outbound = false;
  signing::digest chain_before{};  // the chain up to msg.seq - 1
  std::optional<wire::receipt> receipt;
  std::vector<signing::digest> chain_links;  // digests of seq + 1 .. receipt up_to_seq
  std::optional<seal_proof> sealed;  // a received message without a signature of its own
  std::optional<message> acknowledgement;
  std::optional<seal_proof> acknowledgement_sealed;  // likewise, for an acknowledgement received
  std::vector<journal_entry> journal;  // ascending seq; segments, each ending signed
};

// errc::not_found when no message has `id`, errc::conflict when it has not been sent yet. From an
// open SQLite or PostgreSQL store, on its connection and thread: a PostgreSQL store's reads run in
// one REPEATABLE READ, read-only transaction (errc::invalid_argument for another kind of store).
result<evidence_material> gather_evidence(store& s, const std::string& id);
// From the SQLite file at `db_path`, through a read-only connection of its own.
result<evidence_material> gather_evidence(const std::string& db_path, const std::string& id);
// From the PostgreSQL database at `url` (a libpq URI or key=value string), through a read-only
// connection of its own in one REPEATABLE READ snapshot; errc::corrupt when it holds no journal.
// Messages never repeat the URL, which may hold a password.
result<evidence_material> gather_postgresql_evidence(const std::string& url,
                                                     const std::string& id);

}  // namespace hotline::storage

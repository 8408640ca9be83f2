// Evidence source: gathers from a station's store everything that proves what happened to one
// message (the material of an evidence bundle; see src/evidence/bundle.hpp, docs/journal.md).
//
// For a message this station sent: the message and its signature, the first receipt the peer
// signed that covers it with the digests linking it to that receipt's chain, and the peer's
// acknowledgement message. For one it received: the message, and this station's own signed
// journal entries for its arrival and acknowledgement. In both cases, the journal entries that
// anchor each of these, from each anchor to the next signed entry.
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

struct evidence_material {
  std::string station;         // whose store this is (from its config_loaded entry)
  std::string agreement_hash;  // the agreement version in effect at export, "sha256:..."
  message msg;
  bool outbound = false;
  signing::digest chain_before{};  // the chain up to msg.seq - 1
  std::optional<wire::receipt> receipt;
  std::vector<signing::digest> chain_links;  // digests of seq + 1 .. receipt up_to_seq
  std::optional<message> acknowledgement;
  std::vector<journal_entry> journal;  // ascending seq; segments, each ending signed
};

// errc::not_found when no message has `id`.
result<evidence_material> gather_evidence(store& s, const std::string& id);
result<evidence_material> gather_evidence(const std::string& db_path, const std::string& id);

}  // namespace hotline::storage

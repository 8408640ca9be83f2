// Journal verification: checks a station's whole journal, offline, against the public keys its
// agreement pins (docs/journal.md, "Verification").
//
// In one pass over the entries, in order: seq continuity, each entry's prev_hash and hash, every
// signature (the journal's own; every message's, by its sender's key; every receipt's, by the
// peer's), per-channel sequence continuity and hash chains in both directions, that every stored
// message is the one its entry describes, that every message has an entry, and that every
// checkpoint the peer signed agrees with this station's history. The first failure stops the
// pass and is reported with the entry it was found at. The database is opened read-only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/key_schedule.hpp"
#include "core/signing.hpp"

namespace hotline::storage {

// Every station's keys, by era (core/key_schedule.hpp): each signature is checked with the key
// its signer held at the time the signed entry, message or receipt carries.
struct journal_keys {
  std::string station;  // whose journal it is
  signing::key_schedule keys;  // this station's and every other's
};

struct verify_finding {
  std::int64_t seq = 0;  // the journal entry where it was found; 0 when it is about no one entry
  std::string what;
};

struct verify_report {
  std::int64_t entries = 0;
  std::int64_t messages = 0;
  std::int64_t checkpoints = 0;
  std::int64_t seals = 0;  // the peer's seals over the messages it sent
  std::int64_t signatures = 0;
  std::int64_t head_seq = 0;
  std::string head_hash;  // hex
  std::optional<verify_finding> first_bad;
  bool ok() const { return !first_bad; }
};

// Fails (errc::io, errc::corrupt) only when the file cannot be read as a Hotline store; what is
// wrong inside it is the report's first_bad. Reads through a read-only connection of its own, in
// one snapshot, so it may run on any thread while a station writes to the same file.
result<verify_report> verify_journal(const std::string& db_path, const journal_keys& keys);
// The same on a PostgreSQL database at `url` (a libpq URI or key=value string), through a
// read-only connection of its own in one REPEATABLE READ snapshot; errc::corrupt when it holds no
// journal. Messages never repeat the URL, which may hold a password.
result<verify_report> verify_postgresql_journal(const std::string& url, const journal_keys& keys);
// The same on an open store made by open_sqlite() or open_postgresql(), on its own connection and
// thread (errc::invalid_argument for another kind).
class store;
result<verify_report> verify_journal(store& s, const journal_keys& keys);

// Which station's store this is and the text of the agreement version last in effect, as its
// journal says (`config_loaded` or `agreement_switched`; empty when it never loaded one), and
// every agreement version it kept, oldest first.
struct stored_identity {
  std::string station;
  std::string agreement_text;
  std::vector<std::string> agreement_texts;
};
result<stored_identity> read_stored_identity(const std::string& db_path);
// The same for a PostgreSQL database at `url`, read-only.
result<stored_identity> read_postgresql_identity(const std::string& url);

}  // namespace hotline::storage

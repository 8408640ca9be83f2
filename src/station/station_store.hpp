// Station store: opens a station's store the way every command that writes to it must, with the
// station's signing keys, so that whatever it journals is signed (storage/journal.hpp).
#pragma once

#include <memory>
#include <optional>

#include "config/agreement.hpp"
#include "config/agreement_history.hpp"
#include "config/station_config.hpp"
#include "core/error.hpp"
#include "core/signing.hpp"
#include "station/keyring.hpp"
#include "storage/journal_verify.hpp"
#include "storage/store.hpp"

namespace hotline::station {

struct opened_store {
  std::unique_ptr<storage::store> store;
  // The agreement's versions (the earlier ones the store kept included) and the station's keys;
  // loaded for key_policy::required only.
  std::optional<keyring> keys;
};

// The keys `station`'s journal is checked with: its own and every other station's, in every
// version of the agreement, each from the instant its version took effect. Stations whose key
// does not parse are left out (the agreement parser refuses them).
storage::journal_keys journal_keys_for(const config::agreement_history& h, const std::string& station);
storage::journal_keys journal_keys_for(const config::agreement& a, const std::string& station);

// The agreement versions a store kept: the one last in effect, and those it descends from.
result<config::agreement_history> stored_history(const storage::stored_identity& id);

// What the station's store says of itself (storage::read_stored_identity), read through a
// connection of its own from the SQLite file or the PostgreSQL database [storage] names.
result<storage::stored_identity> read_identity(const config::station_config& cfg);

// Loads the keyring (station/keyring.hpp) and opens the store [storage] names: the SQLite file
// `cfg.database` (creating its directory), or the PostgreSQL database at `cfg.database_url`.
// The station requires its keys, TLS keys included: it does not write an unsigned journal.
// Offline commands (`hotline user`) sign what they journal when the key file is there, with the
// keys of the agreement's versions when the agreement can be read, and else with the key file
// alone; without it their entries stay unsigned until the station's next signed entry covers
// them.
enum class key_policy { required, if_present };
result<opened_store> open_station_store(const config::station_config& cfg,
                                        key_policy policy = key_policy::required);

}  // namespace hotline::station

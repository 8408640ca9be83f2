// Station store: opens a station's store the way every command that writes to it must, with the
// station's signing key, so that whatever it journals is signed (storage/journal.hpp).
#pragma once

#include <memory>

#include "config/agreement.hpp"
#include "config/station_config.hpp"
#include "core/error.hpp"
#include "core/signing.hpp"
#include "storage/journal_verify.hpp"
#include "storage/store.hpp"

namespace hotline::station {

struct opened_store {
  std::unique_ptr<storage::store> store;
  signing::secret_key key;
};

// The keys `station`'s journal is checked with: its own and every other station's in the
// agreement. Stations whose key does not parse are left out (the agreement parser refuses them).
storage::journal_keys journal_keys_for(const config::agreement& a, const std::string& station);

// Loads `cfg.signing_key` and opens `cfg.database` (creating its directory). The station
// requires its key: it does not write an unsigned journal. Offline commands (`hotline user`)
// sign what they journal when the key file is there; without it their entries stay unsigned
// until the station's next signed entry covers them.
enum class key_policy { required, if_present };
result<opened_store> open_station_store(const config::station_config& cfg,
                                        key_policy policy = key_policy::required);

}  // namespace hotline::station

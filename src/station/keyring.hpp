// Keyring: the versions of the agreement a station follows over time, and the keys it holds for
// each (config/agreement_history.hpp; docs/operations.md, "Rotating keys").
//
// The station config names the agreement in effect (`agreement`, [tls], [journal]) and, while a
// rotation is planned, the next version and this station's new key files ([rotation]). The
// keyring checks that every key those versions pin for this station is one it holds, and says
// which TLS key to present and which signing key to sign with at any instant. Older versions
// kept in the store (add_ancestors) only check old signatures: their secret keys are not needed.
//
// Immutable once built; safe to share read-only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/agreement_history.hpp"
#include "config/station_config.hpp"
#include "core/error.hpp"
#include "core/key_schedule.hpp"

namespace hotline::station {

struct tls_key_files {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  std::string fingerprint;  // "sha256:<hex>" of the certificate's public key
};

struct keyring {
  std::string station;
  config::agreement_history history;
  signing::signer signer;          // this station's secret signing keys, by era; empty: unsigned
  std::vector<tls_key_files> tls;  // this station's TLS keys, one per distinct key held

  // The TLS key this station presents at `ms`: the one the version then in effect pins.
  const tls_key_files* tls_at(std::int64_t ms) const;
};

// What load_keyring needs of the key files. Offline commands sign what they journal when the
// signing key is there (if_present) and never present a TLS key.
struct keyring_needs {
  bool signing_required = true;
  bool tls = true;
};

// Loads the agreement `cfg` names and, with [rotation], the next version (which must follow it:
// config::check_successor), this station's signing keys and TLS keys, and checks that each
// version's pins for this station are keys it holds. A failure names the file or the field.
result<keyring> load_keyring(const config::station_config& cfg, keyring_needs needs = {});

// Puts in front of the history the versions the store kept (their texts) that its oldest
// version descends from, so that signatures made under them still verify. Texts that do not
// parse, or are not ancestors, are left out.
void add_ancestors(keyring& k, const std::vector<std::string>& stored_texts);

}  // namespace hotline::station

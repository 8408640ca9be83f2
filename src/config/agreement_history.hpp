// Agreement history: the versions of one agreement a station has run under, and the one it will
// switch to, oldest first (docs/agreement.md, "Key rotation").
//
// Each later version names the hash of the one before it (`supersedes`) and the instant both
// sides agreed it takes effect (`effective_at`). It may change the stations' keys (TLS
// fingerprint and signing key) and its title and nothing else: channels, paths, addresses,
// deadlines and forms stay as they are, so that a running station can switch without a restart.
//
// Version i is in effect from its effective_at until the next one's. For `overlap_minutes` (the
// later version's) either side of a switch both versions are accepted: both versions' TLS keys
// are pinned and a peer's hello may name either, so two stations whose clocks differ by less
// than the overlap switch without refusing each other. Signatures need no overlap: each is
// checked with the key in effect at the time it carries (core/key_schedule.hpp).
//
// Immutable after building; safe to share read-only across threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/agreement.hpp"
#include "core/error.hpp"
#include "core/key_schedule.hpp"

namespace hotline::config {

// Whether `next` may follow `prev`: it names prev's hash, has a higher version, takes effect
// after prev did, and changes only keys and the title. Errors name the field that differs.
result<void> check_successor(const agreement& prev, const agreement& next);

class agreement_history {
 public:
  // Orders `versions` by succession. Exactly one of them names no other as its predecessor (the
  // oldest given; an older version need not be present), and each of the others follows one
  // of them (check_successor). Duplicates (the same hash twice) count once. Fails on an empty
  // list, a break, or a fork.
  static result<agreement_history> build(std::vector<agreement> versions);
  // One version on its own.
  explicit agreement_history(agreement only);
  // The versions in the files given, in any order (build).
  static result<agreement_history> load(const std::vector<std::filesystem::path>& files);
  // This history with the versions among `texts` that its oldest version descends from put in
  // front, so that what was signed under them still verifies. Texts that do not parse, and
  // versions that are not ancestors, are left out.
  agreement_history with_ancestors(const std::vector<std::string>& texts) const;

  const std::vector<agreement>& versions() const { return versions_; }
  const agreement& latest() const { return versions_.back(); }
  const agreement& in_effect_at(std::int64_t ms) const;
  const agreement* find(const wire::hash256& hash) const;
  // The versions a peer's hello may name at `ms` besides the one in effect: a neighbour within
  // the overlap of its switch.
  std::vector<wire::hash256> also_accepted_at(std::int64_t ms) const;
  // TLS key fingerprint -> station, for every key accepted at `ms` (the version in effect and a
  // neighbour within the overlap).
  std::map<std::string, std::string> pins_at(std::int64_t ms) const;
  // Every station's signing keys, each from the instant its version took effect.
  signing::key_schedule signing_keys() const;

 private:
  agreement_history() = default;
  std::int64_t starts_ms(std::size_t i) const;  // when version i takes effect
  bool accepted_at(std::size_t i, std::int64_t ms) const;
  std::vector<agreement> versions_;
};

}  // namespace hotline::config

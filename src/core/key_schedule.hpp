// Key schedule: which Ed25519 key each station signs with, and from when.
//
// A station's signing key changes only with a new version of the agreement, which takes effect
// at an agreed instant (docs/agreement.md, "Key rotation"). Everything signed carries its
// signer's wall-clock time: a message its created_at_ms, a receipt its at_ms, a journal entry
// its at_ms. The signer signs with the key in effect at that time and a verifier checks with the
// key in effect at that same time, so both pick the same key whatever their clocks did. Before
// any rotation a station has one key "since always" (era_start_ms_min).
//
// Plain values: safe to share read-only across threads.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/signing.hpp"

namespace hotline::signing {

inline constexpr std::int64_t era_start_ms_min = std::numeric_limits<std::int64_t>::min();

template <class Key>
struct key_era {
  std::int64_t from_ms = era_start_ms_min;  // in effect from here until the next era's from_ms
  Key key{};
};

// Every station's public keys, by era.
class key_schedule {
 public:
  // One key for all time: a station whose key never changed.
  void pin(const std::string& station, const public_key& key);
  // A key in effect from `from_ms`. Eras are added oldest first; one that does not start after
  // the station's last era replaces it when it starts at the same instant and is ignored otherwise.
  void add(const std::string& station, std::int64_t from_ms, const public_key& key);
  // The key `station` signed with at `at_ms`; null for a station with no key then.
  const public_key* at(std::string_view station, std::int64_t at_ms) const;
  bool knows(std::string_view station) const { return eras_.find(station) != eras_.end(); }
  // Every key `station` has held, oldest first (empty for a station it does not know).
  std::vector<key_era<public_key>> eras(std::string_view station) const;

 private:
  std::map<std::string, std::vector<key_era<public_key>>, std::less<>> eras_;
};

// This station's own secret keys, by era. Empty: the station signs nothing.
class signer {
 public:
  signer() = default;
  signer(secret_key key);  // NOLINT: one key for all time reads naturally as the key itself
  void add(std::int64_t from_ms, secret_key key);  // as key_schedule::add
  // The key in effect at `at_ms`; an empty key when there is none then.
  const secret_key& at(std::int64_t at_ms) const;
  bool empty() const { return eras_.empty(); }
  std::size_t size() const { return eras_.size(); }

 private:
  std::vector<key_era<secret_key>> eras_;
};

}  // namespace hotline::signing

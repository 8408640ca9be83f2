// Agreement: the machine form of the memorandum two sides sign, loaded from TOML.
//
// It names the stations (each with its TLS key fingerprint and the address it can be reached at
// on each path) and the hotlines ("channels") between pairs of them. Both stations load the same
// file; `hash` is the SHA-256 of the file's bytes and is compared at every handshake. The format
// is written up in docs/agreement.md. Immutable after loading; safe to share across threads.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/label.hpp"
#include "core/wire.hpp"

namespace hotline::config {

struct endpoint {
  std::string host;  // IPv4 or IPv6 literal, or a host name
  std::uint16_t port = 0;
  std::string to_string() const;  // "host:port", "[v6]:port"
};
result<endpoint> parse_endpoint(std::string_view text);

struct station_entry {
  std::string id;        // [a-z0-9-], 1..64 bytes
  std::string name;      // human name, any language
  std::string language;  // "ko" | "ru" | "en"
  std::string timezone;  // IANA name, e.g. "Asia/Seoul"
  std::string tls_fingerprint;  // "sha256:<64 hex>" of the DER SubjectPublicKeyInfo
  std::string signing_key;      // "ed25519:<base64>": signs messages, receipts and the journal
  std::map<std::string, endpoint> addresses;  // path id -> where this station listens on it
};

struct channel_entry {
  std::string id;     // [a-z0-9-], e.g. "navy"
  std::string title;
  std::array<std::string, 2> stations;
  std::vector<std::string> paths;  // preference order, best first
};

// Minutes a person has to acknowledge a message, by precedence (flash, immediate, priority,
// routine). The defaults are the allied handling times.
struct deadline_entry {
  std::array<std::int64_t, 4> minutes{10, 30, 180, 360};
  std::int64_t urgent_words_max = 200;  // free text at flash and immediate
};

// When link tests are sent, and how long the other side has to answer one.
struct link_test_entry {
  std::vector<std::string> times;  // "HH:MM" local times in `timezone`
  std::string timezone = "UTC";
  std::int64_t every_minutes = 0;  // or a fixed interval
  std::int64_t answer_within_minutes = 10;
  bool enabled() const { return !times.empty() || every_minutes > 0; }
};

// The form catalog both stations must use.
struct forms_entry {
  std::string catalog = "hotline-forms";
  std::string version;  // empty: any version
  std::string sha256;   // empty: not pinned; else the catalog's hash must match
};

struct agreement {
  std::string id;
  std::string title;
  std::int64_t version = 1;
  // Succession (docs/agreement.md, "Key rotation"). A first version has none of these. A later
  // version names the hash of the one it replaces and the instant it takes effect, and for
  // `overlap_minutes` either side of that instant a station accepts both versions' keys.
  std::optional<wire::hash256> supersedes;
  std::int64_t effective_at_ms = 0;  // UTC ms since the epoch; set only with `supersedes`
  std::int64_t overlap_minutes = 0;  // with `supersedes`: 1..1440, default 10
  std::vector<station_entry> stations;
  std::vector<channel_entry> channels;
  std::int64_t heartbeat_interval_ms = 250;
  std::int64_t heartbeat_misses_max = 3;
  deadline_entry deadlines;
  link_test_entry link_tests;
  forms_entry forms;
  labels::policy labels;  // [labels]: empty when the agreement defines no handling labels
  wire::hash256 hash{};  // SHA-256 of the file bytes
  std::string text;      // the file bytes, as hashed

  const station_entry* find_station(std::string_view id) const;
  const channel_entry* find_channel(std::string_view id) const;
  // Channels this station is part of, and the peer on each.
  std::map<std::string, std::string> channel_peers(std::string_view station) const;
  std::string hash_hex() const;  // "sha256:<64 hex>"
};

// Parses and checks an agreement: unique ids, valid ids, both stations of every channel known,
// every channel path given an address by both its stations, fingerprints well formed, limits
// within bounds. Errors name the offending key (`field`, e.g. "stations[1].tls_fingerprint").
result<agreement> parse_agreement(std::string_view toml_text);
result<agreement> load_agreement(const std::filesystem::path& file);

}  // namespace hotline::config

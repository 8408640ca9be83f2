// Evidence bundle: one self-contained JSON file that proves, to anyone holding the agreement,
// what happened to one message: who sent what, when it reached the other side's disk, and who
// acknowledged it and when (format in docs/journal.md, "Evidence bundles").
//
// `make_bundle` writes what a station's store holds (storage/evidence_source.hpp).
// `verify_bundle` checks a bundle offline with only the agreement's public keys (of every version
// its signatures were made under, after a key rotation): every
// signature, the receipt's hash chain through the message, the acknowledgement's reference, and
// the journal entries that anchor them. It says in plain words what is proven and what the
// bundle does not show; any check that fails makes the whole bundle fail, with the reason.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/agreement.hpp"
#include "config/agreement_history.hpp"
#include "storage/evidence_source.hpp"

namespace hotline::evidence {

// Version 2 (protocol 5) adds the senders' seals; a version 1 bundle, whose messages are each
// signed, still verifies.
inline constexpr std::string_view bundle_format = "hotline-evidence/2";
inline constexpr std::string_view bundle_format_v1 = "hotline-evidence/1";
inline constexpr std::size_t bundle_bytes_max = 64 * 1024 * 1024;

nlohmann::json make_bundle(const storage::evidence_material& m, std::int64_t exported_at_ms);

struct verdict {
  bool ok = false;
  std::vector<std::string> proven;      // each a sentence
  std::vector<std::string> not_shown;   // what the bundle does not prove, each a sentence
  std::string failure;                  // why it failed, when !ok
};

// `versions`: the agreement versions the bundle's signatures were made under, the one it was
// exported under among them. Each signature is checked with the key in effect at its time.
verdict verify_bundle(const nlohmann::json& bundle, const config::agreement_history& versions);
verdict verify_bundle(const nlohmann::json& bundle, const config::agreement& agreement);

}  // namespace hotline::evidence

// Signing: the station's Ed25519 keys, SHA-256 digests and the hash chains built from them.
//
// One library does all of it (libsodium). A station signs its messages, the receipts it gives
// and its journal with one secret key; the public halves are pinned in the agreement. Digests
// and chains are pure functions: the sender and the receiver compute the same chain over the
// messages of one direction of a channel, so a signed receipt naming (seq, chain) commits the
// receiver to every message up to seq, byte for byte.
//
// chain(0) is 32 zero bytes; chain(n) = SHA-256(chain(n-1) || digest(message n)), where
// digest(m) = SHA-256(canonical_message_bytes(m) || signature). All functions are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/message.hpp"
#include "core/wire.hpp"

namespace hotline::signing {

inline constexpr std::size_t public_key_bytes = 32;
inline constexpr std::size_t secret_key_bytes = 64;
inline constexpr std::size_t seed_bytes = 32;
inline constexpr std::size_t signature_bytes = 64;

using digest = wire::hash256;
using public_key = std::array<std::uint8_t, public_key_bytes>;

// A secret key. Zeroed on destruction; never logged.
class secret_key {
 public:
  secret_key() = default;
  ~secret_key();
  secret_key(const secret_key&) = default;
  secret_key& operator=(const secret_key&) = default;

  static secret_key from_seed(std::span<const std::uint8_t, seed_bytes> seed);
  static secret_key generate();

  const public_key& public_half() const { return public_; }
  // Ed25519 signature over `bytes`: 64 bytes, as a string (the form messages carry).
  std::string sign(std::span<const std::uint8_t> bytes) const;
  std::array<std::uint8_t, seed_bytes> seed() const;
  bool empty() const { return empty_; }

 private:
  std::array<std::uint8_t, secret_key_bytes> secret_{};
  public_key public_{};
  bool empty_ = true;
};

bool verify(const public_key& key, std::span<const std::uint8_t> bytes, std::string_view sig);

digest sha256(std::span<const std::uint8_t> bytes);
digest sha256(std::string_view text);

// The message's digest and the chain step (see the contract above).
digest message_digest(const message& m);
digest chain_next(const digest& prev, const digest& message_digest);

// Signs `m` in place (its canonical bytes) and returns its digest.
digest seal(const secret_key& key, message& m);
bool verify_message(const public_key& key, const message& m);

// Text forms: "ed25519:" + base64 for keys; lowercase hex for digests.
std::string encode_public_key(const public_key& key);
std::optional<public_key> parse_public_key(std::string_view text);
std::string to_hex(std::span<const std::uint8_t> bytes);
std::optional<digest> digest_from_hex(std::string_view hex);
std::string to_base64(std::span<const std::uint8_t> bytes);
std::optional<std::string> from_base64(std::string_view text);

}  // namespace hotline::signing

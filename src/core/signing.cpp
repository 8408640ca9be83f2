#include "core/signing.hpp"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace hotline::signing {
namespace {

void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; it fails only without a random source.
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

}  // namespace

secret_key::~secret_key() { sodium_memzero(secret_.data(), secret_.size()); }

secret_key secret_key::from_seed(std::span<const std::uint8_t, seed_bytes> seed) {
  ensure_sodium();
  secret_key k;
  crypto_sign_seed_keypair(k.public_.data(), k.secret_.data(), seed.data());
  k.empty_ = false;
  return k;
}

secret_key secret_key::generate() {
  ensure_sodium();
  std::array<std::uint8_t, seed_bytes> seed{};
  randombytes_buf(seed.data(), seed.size());
  secret_key k = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return k;
}

std::array<std::uint8_t, seed_bytes> secret_key::seed() const {
  std::array<std::uint8_t, seed_bytes> out{};
  crypto_sign_ed25519_sk_to_seed(out.data(), secret_.data());
  return out;
}

std::string secret_key::sign(std::span<const std::uint8_t> bytes) const {
  std::string sig(signature_bytes, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, bytes.data(),
                       bytes.size(), secret_.data());
  return sig;
}

bool verify(const public_key& key, std::span<const std::uint8_t> bytes, std::string_view sig) {
  ensure_sodium();
  if (sig.size() != signature_bytes) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                     bytes.data(), bytes.size(), key.data()) == 0;
}

digest sha256(std::span<const std::uint8_t> bytes) {
  digest d{};
  crypto_hash_sha256(d.data(), bytes.data(), bytes.size());
  return d;
}

digest sha256(std::string_view text) {
  return sha256(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

digest message_digest(const message& m) {
  wire::bytes b = wire::canonical_message_bytes(m);
  b.insert(b.end(), m.signature.begin(), m.signature.end());
  return sha256(b);
}

digest chain_next(const digest& prev, const digest& message_digest) {
  std::array<std::uint8_t, 64> both{};
  std::memcpy(both.data(), prev.data(), 32);
  std::memcpy(both.data() + 32, message_digest.data(), 32);
  return sha256(both);
}

digest seal(const secret_key& key, message& m) {
  m.signature = key.sign(wire::canonical_message_bytes(m));
  return message_digest(m);
}

bool verify_message(const public_key& key, const message& m) {
  return verify(key, wire::canonical_message_bytes(m), m.signature);
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::optional<digest> digest_from_hex(std::string_view hex) {
  digest d{};
  if (hex.size() != 64) return std::nullopt;
  std::size_t bin_len = 0;
  if (sodium_hex2bin(d.data(), d.size(), hex.data(), hex.size(), nullptr, &bin_len, nullptr) != 0 ||
      bin_len != d.size()) {
    return std::nullopt;
  }
  return d;
}

std::string to_base64(std::span<const std::uint8_t> bytes) {
  const std::size_t n = sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(n, '\0');
  sodium_bin2base64(out.data(), n, bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(n - 1);  // drop the terminating NUL
  return out;
}

std::optional<std::string> from_base64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string encode_public_key(const public_key& key) { return "ed25519:" + to_base64(key); }

std::optional<public_key> parse_public_key(std::string_view text) {
  constexpr std::string_view prefix = "ed25519:";
  if (!text.starts_with(prefix)) return std::nullopt;
  auto raw = from_base64(text.substr(prefix.size()));
  if (!raw || raw->size() != public_key_bytes) return std::nullopt;
  public_key k{};
  std::memcpy(k.data(), raw->data(), k.size());
  return k;
}

}  // namespace hotline::signing

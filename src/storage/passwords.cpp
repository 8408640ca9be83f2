#include "storage/passwords.hpp"

#include <sodium.h>

#include <cassert>

namespace hotline::storage {
namespace {

// sodium_init() is safe to call repeatedly, but only the first call does work; a function-local
// static makes that one call thread-safe.
bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

result<void> check_new_password(std::string_view password) {
  if (password.size() < password_bytes_min) {
    return fail(
        errc::invalid_argument,
        "the password must be at least " + std::to_string(password_bytes_min) + " characters long",
        "password");
  }
  if (password.size() > password_bytes_max) {
    return fail(errc::invalid_argument,
                "the password must be at most " + std::to_string(password_bytes_max) + " bytes",
                "password");
  }
  for (const char c : password) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail(errc::invalid_argument, "the password must not contain control characters",
                  "password");
    }
  }
  return {};
}

result<std::string> hash_password(std::string_view password) {
  if (!sodium_ready()) return fail(errc::unavailable, "libsodium could not initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return fail(errc::unavailable, "not enough memory to hash the password");
  }
  return std::string(out);
}

bool verify_password(std::string_view hash, std::string_view password) {
  if (!sodium_ready() || hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  // crypto_pwhash_str_verify wants a NUL-terminated string.
  char stored[crypto_pwhash_STRBYTES] = {};
  hash.copy(stored, hash.size());
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

std::string random_password(std::size_t length) {
  constexpr std::string_view alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bool ready = sodium_ready();
  assert(ready);  // randombytes works without init, but a failed init means a broken system
  (void)ready;
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    out.push_back(alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))]);
  }
  return out;
}

}  // namespace hotline::storage

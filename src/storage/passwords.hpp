// Passwords: Argon2id hashing and verification (libsodium's crypto_pwhash_str), and the rules a
// new password must meet.
//
// Cost: OPSLIMIT_INTERACTIVE and MEMLIMIT_INTERACTIVE (2 passes over 64 MiB). Measured on a
// two-core station machine under load, one hash or verification takes about 90-100 ms; MODERATE
// (3 passes over 256 MiB) took about 650 ms. A station verifies logins one at a time on a worker
// thread, so MODERATE would make ten queued logins wait six seconds and hold 256 MiB while
// doing it, for little gain: the station's database is what an attacker would need to steal
// first, and 64 MiB per guess already makes offline guessing expensive. The parameters are in
// each stored string, so raising them later needs no migration: old hashes still verify.
//
// Thread-safe: these functions hold no state beyond libsodium's one-time initialisation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace hotline::storage {

inline constexpr std::size_t password_bytes_min = 12;
// Long enough for any passphrase; bounded so that a request cannot make hashing expensive.
inline constexpr std::size_t password_bytes_max = 1024;

// errc::invalid_argument (field "password") when `password` is shorter than password_bytes_min
// or longer than password_bytes_max bytes, or contains a control character.
result<void> check_new_password(std::string_view password);

// The Argon2id string ("$argon2id$v=19$m=65536,t=2,p=1$...") for `password`. errc::unavailable
// when libsodium cannot initialise or allocate the memory the hash needs.
result<std::string> hash_password(std::string_view password);

// True when `password` matches `hash`. False for a wrong password and for a malformed hash.
bool verify_password(std::string_view hash, std::string_view password);

// A random password of `length` characters from an alphabet without look-alikes (no 0/O, 1/l/I).
std::string random_password(std::size_t length);

}  // namespace hotline::storage

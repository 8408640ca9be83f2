// Keys: a station's TLS identity (an Ed25519 key and a self-signed certificate), fingerprints,
// and API token secrets. OpenSSL 3 does the cryptography.
//
// A fingerprint pins a key, not a certificate: "sha256:" + hex of SHA-256 over the DER-encoded
// SubjectPublicKeyInfo. Re-issuing a certificate for the same key keeps its fingerprint.
// Functions are thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/signing.hpp"

namespace hotline::config {

struct tls_identity {
  std::filesystem::path private_key;  // PEM, mode 0600
  std::filesystem::path certificate;  // PEM, self-signed, CN = station id
  std::string fingerprint;            // "sha256:<64 hex>"
};

// Generates a fresh Ed25519 key and a self-signed certificate (valid 10 years) for `station`,
// writing `<dir>/tls.key` and `<dir>/tls.crt`. Refuses to overwrite an existing key.
result<tls_identity> generate_tls_identity(const std::filesystem::path& dir,
                                           std::string_view station);

// The station's signing key: "ed25519-seed:<base64 of 32 bytes>" in `<dir>/signing.key`, mode
// 0600. generate_signing_key refuses to overwrite one, and returns it; its public half goes in
// the agreement (signing::encode_public_key).
result<signing::secret_key> generate_signing_key(const std::filesystem::path& dir);
// Refuses, as check_private_key_mode() does, a key file others may read or write.
result<signing::secret_key> load_signing_key(const std::filesystem::path& file);

// A private key must be readable and writable by its owner only, as OpenSSH requires of its
// keys: a key file with any group or other permission bit set is refused (errc::refused) with a
// message naming the file, its mode and the fix ("chmod 600 FILE"). Fails with errc::not_found
// when there is no such file, and errc::io when it cannot be examined.
result<void> check_private_key_mode(const std::filesystem::path& file);

// Fingerprint of the public key in a PEM certificate file, or of a DER SubjectPublicKeyInfo.
result<std::string> certificate_fingerprint(const std::filesystem::path& certificate_pem);
std::string spki_fingerprint(std::string_view spki_der);

std::string sha256_hex(std::string_view data);
void sha256(std::string_view data, unsigned char out[32]);

// A new API token secret: "hl_" + 43 base64url characters (256 random bits).
std::string new_token_secret();

// Constant-time comparison, for secrets and their hashes.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace hotline::config

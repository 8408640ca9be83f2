#include "config/keys.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <system_error>

#include "config/toml_util.hpp"
#include "core/limits.hpp"

namespace hotline::config {

namespace {

// A certificate outlives any plausible key rotation; the pinned fingerprint, not the validity
// period, is what the other station checks.
constexpr long certificate_validity_seconds = 3653L * 24 * 60 * 60;  // ten years
constexpr std::size_t serial_bytes = 16;
constexpr std::size_t token_random_bytes = 32;
constexpr std::size_t certificate_file_bytes_max = 64 * 1024;

struct openssl_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using owned = std::unique_ptr<T, openssl_free>;

// Failure of the system's random generator leaves nothing safe to do: a predictable key or
// token must never be handed out.
void require_random(unsigned char* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    std::fputs("hotline: the random number generator failed\n", stderr);
    std::abort();
  }
}

result<std::string> pkey_fingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  if (size <= 0) {
    return fail(errc::invalid_argument, "the public key cannot be encoded");
  }
  std::string fp = spki_fingerprint(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size)));
  OPENSSL_free(der);
  return fp;
}

bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  owned<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

bool set_random_serial(X509* cert) {
  std::array<unsigned char, serial_bytes> bytes{};
  require_random(bytes.data(), bytes.size());
  bytes[0] &= 0x7f;  // A serial number must be positive.
  bytes[0] |= 0x01;  // And non-zero, whatever the other bits drew.
  owned<BIGNUM> bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  return bn != nullptr && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

result<owned<X509>> self_signed_certificate(EVP_PKEY* key, std::string_view station) {
  owned<X509> cert(X509_new());
  const std::string cn(station);
  X509_NAME* name = cert ? X509_get_subject_name(cert.get()) : nullptr;
  const bool ok =
      cert && X509_set_version(cert.get(), 2) == 1 && set_random_serial(cert.get()) &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), certificate_validity_seconds) != nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), key) == 1 &&
      add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
      add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") &&
      add_extension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") &&
      add_extension(cert.get(), NID_subject_key_identifier, "hash") &&
      // Ed25519 signs the message itself, so no separate digest is named.
      X509_sign(cert.get(), key, nullptr) > 0;
  if (!ok) {
    return fail(errc::io, "the certificate could not be built");
  }
  return cert;
}

template <class Write>
result<std::string> to_pem(Write write) {
  owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) {
    return fail(errc::io, "PEM encoding failed");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

result<void> write_all_and_sync(int fd, std::string_view bytes, const std::filesystem::path& p) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(errc::io, "cannot write " + p.string() + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) {
    return fail(errc::io, "cannot sync " + p.string() + ": " + std::strerror(errno));
  }
  return {};
}

// Writes `bytes` to a fresh temporary file beside `target` with `mode`, synced. The caller
// publishes it under its final name.
result<std::filesystem::path> write_temp(const std::filesystem::path& target,
                                         std::string_view bytes, mode_t mode) {
  std::array<unsigned char, 8> tag{};
  require_random(tag.data(), tag.size());
  std::filesystem::path temp = target;
  temp += ".tmp-" + signing::to_hex(tag);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return fail(errc::io, "cannot create " + temp.string() + ": " + std::strerror(errno));
  // The umask may have narrowed `mode`; a certificate must stay readable by the station's peers.
  result<void> written = fail(errc::io, "cannot set the mode of " + temp.string());
  if (::fchmod(fd, mode) == 0) written = write_all_and_sync(fd, bytes, temp);
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return std::unexpected(written.error());
  }
  return temp;
}

result<void> sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return fail(errc::io, "cannot sync directory " + dir.string());
  }
  ::close(fd);
  return {};
}

// Publishes the key with link(2), which fails rather than replace an existing file: a key
// appears whole or not at all, and an existing key is never overwritten.
result<void> publish_key(const std::filesystem::path& key_file, std::string_view pem) {
  auto temp = write_temp(key_file, pem, 0600);
  if (!temp) return std::unexpected(temp.error());
  const int linked = ::link(temp->c_str(), key_file.c_str());
  const int link_errno = errno;
  ::unlink(temp->c_str());
  if (linked != 0 && link_errno == EEXIST) {
    return fail(errc::conflict, key_file.string() + " already exists; refusing to replace a key");
  }
  if (linked != 0) {
    return fail(errc::io, "cannot create " + key_file.string() + ": " + std::strerror(link_errno));
  }
  return {};
}

result<void> publish_certificate(const std::filesystem::path& cert_file, std::string_view pem) {
  auto temp = write_temp(cert_file, pem, 0644);
  if (!temp) return std::unexpected(temp.error());
  if (::rename(temp->c_str(), cert_file.c_str()) != 0) {
    ::unlink(temp->c_str());
    return fail(errc::io, "cannot create " + cert_file.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

namespace {
constexpr std::string_view signing_key_prefix = "ed25519-seed:";
}  // namespace

result<signing::secret_key> generate_signing_key(const std::filesystem::path& dir) {
  signing::secret_key key = signing::secret_key::generate();
  const auto seed = key.seed();
  std::string text = std::string{signing_key_prefix} + signing::to_base64(seed) + "\n";
  auto published = publish_key(dir / "signing.key", text);
  std::fill(text.begin(), text.end(), '\0');
  if (!published) return std::unexpected(published.error());
  if (auto r = sync_directory(dir); !r) return std::unexpected(r.error());
  return key;
}

result<void> check_private_key_mode(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return fail(errc::not_found, "no such file: " + file.string());
    return fail(errc::io, "cannot read " + file.string() + ": " + std::strerror(errno));
  }
  const unsigned mode = st.st_mode & 07777U;
  if ((mode & 077U) != 0) {
    std::array<char, 8> octal{};
    std::snprintf(octal.data(), octal.size(), "%04o", mode);
    return fail(errc::refused, "private key " + file.string() + " is open to other users (mode " +
                                   octal.data() + "); only its owner may read it: chmod 600 " +
                                   file.string());
  }
  return {};
}

result<signing::secret_key> load_signing_key(const std::filesystem::path& file) {
  if (auto ok = check_private_key_mode(file); !ok) return std::unexpected(ok.error());
  auto text = detail::read_file(file);
  if (!text) return std::unexpected(text.error());
  std::string_view t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.remove_suffix(1);
  std::optional<std::string> seed;
  if (t.starts_with(signing_key_prefix)) seed = signing::from_base64(t.substr(signing_key_prefix.size()));
  if (!seed || seed->size() != signing::seed_bytes) {
    return fail(errc::invalid_argument,
                file.string() + " is not a signing key (\"ed25519-seed:\" and 32 bytes in base64)",
                "signing_key");
  }
  std::array<std::uint8_t, signing::seed_bytes> raw{};
  std::copy(seed->begin(), seed->end(), raw.begin());
  std::fill(seed->begin(), seed->end(), '\0');
  auto key = signing::secret_key::from_seed(raw);
  std::fill(raw.begin(), raw.end(), 0);
  return key;
}

result<tls_identity> generate_tls_identity(const std::filesystem::path& dir,
                                           std::string_view station) {
  if (!detail::valid_id(station, limits::station_id_bytes_max)) {
    return fail(errc::invalid_argument, "station id must be 1 to 64 characters from [a-z0-9-]",
                "station");
  }
  tls_identity id{dir / "tls.key", dir / "tls.crt", {}};
  std::error_code ec;
  // Checked first so a refused run costs nothing; publish_key checks again atomically.
  if (std::filesystem::exists(id.private_key, ec)) {
    return fail(errc::conflict,
                id.private_key.string() + " already exists; refusing to replace a key");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(errc::io, "cannot create " + dir.string() + ": " + ec.message());

  owned<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return fail(errc::io, "Ed25519 key generation failed");
  auto cert = self_signed_certificate(key.get(), station);
  if (!cert) return std::unexpected(cert.error());
  auto key_pem = to_pem([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!key_pem) return std::unexpected(key_pem.error());
  auto cert_pem = to_pem([&](BIO* b) { return PEM_write_bio_X509(b, cert->get()); });
  if (!cert_pem) return std::unexpected(cert_pem.error());
  auto fp = pkey_fingerprint(key.get());
  if (!fp) return std::unexpected(fp.error());

  if (auto ok = publish_key(id.private_key, *key_pem); !ok) return std::unexpected(ok.error());
  auto published = publish_certificate(id.certificate, *cert_pem);
  if (published) published = sync_directory(dir);
  if (!published) {
    // Without its certificate the key is of no use, and leaving it would block a retry.
    ::unlink(id.private_key.c_str());
    return std::unexpected(published.error());
  }
  OPENSSL_cleanse(key_pem->data(), key_pem->size());
  id.fingerprint = std::move(*fp);
  return id;
}

result<std::string> certificate_fingerprint(const std::filesystem::path& certificate_pem) {
  auto text = detail::read_file(certificate_pem);
  if (!text) return std::unexpected(text.error());
  if (text->size() > certificate_file_bytes_max) {
    return fail(errc::limit, certificate_pem.string() + " is too large for a certificate");
  }
  owned<BIO> bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  owned<X509> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    return fail(errc::invalid_argument, certificate_pem.string() + " holds no PEM certificate");
  }
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr) {
    return fail(errc::invalid_argument, certificate_pem.string() + " has an unreadable public key");
  }
  return pkey_fingerprint(key);
}

std::string spki_fingerprint(std::string_view spki_der) { return "sha256:" + sha256_hex(spki_der); }

std::string sha256_hex(std::string_view data) {
  unsigned char digest[32];
  sha256(data, digest);
  return signing::to_hex(digest);
}

void sha256(std::string_view data, unsigned char out[32]) {
  if (EVP_Digest(data.data(), data.size(), out, nullptr, EVP_sha256(), nullptr) != 1) {
    // SHA-256 over memory cannot fail unless OpenSSL itself is broken.
    std::fputs("hotline: SHA-256 failed\n", stderr);
    std::abort();
  }
}

std::string new_token_secret() {
  std::array<unsigned char, token_random_bytes> bytes{};
  require_random(bytes.data(), bytes.size());
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::array<char, sodium_base64_ENCODED_LEN(token_random_bytes, variant)> text{};
  sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), variant);
  sodium_memzero(bytes.data(), bytes.size());
  return "hl_" + std::string(text.data());
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  // Only the lengths may show in the timing: the content is compared over the whole length
  // whether or not the lengths match.
  const bool same_size = a.size() == b.size();
  const std::string_view other = same_size ? b : a;
  const int diff = a.empty() ? 0 : CRYPTO_memcmp(a.data(), other.data(), a.size());
  return same_size && diff == 0;
}

}  // namespace hotline::config

#include "config/keys.hpp"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include "temp_dir.hpp"

namespace hotline::config {
namespace {

using testing::read_text;
using testing::temp_dir;

unsigned file_mode(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

std::unique_ptr<X509, x509_free> read_certificate(const std::filesystem::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (f == nullptr) return nullptr;
  std::unique_ptr<X509, x509_free> cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return cert;
}

std::unique_ptr<EVP_PKEY, x509_free> read_private_key(const std::filesystem::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (f == nullptr) return nullptr;
  std::unique_ptr<EVP_PKEY, x509_free> key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return key;
}

std::string public_key_fingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  EXPECT_GT(size, 0);
  std::string fp =
      spki_fingerprint(std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(size)));
  OPENSSL_free(der);
  return fp;
}

bool well_formed_fingerprint(const std::string& fp) {
  if (fp.size() != 71 || !fp.starts_with("sha256:")) return false;
  return fp.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
}

TEST(keys, keygen_writes_a_private_key_0600_and_a_matching_certificate) {
  temp_dir dir;
  auto id = generate_tls_identity(dir.path(), "rok-fleet-command");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->private_key, dir.path() / "tls.key");
  EXPECT_EQ(id->certificate, dir.path() / "tls.crt");
  EXPECT_EQ(file_mode(id->private_key), 0600u);
  EXPECT_EQ(file_mode(id->certificate), 0644u);
  EXPECT_TRUE(well_formed_fingerprint(id->fingerprint)) << id->fingerprint;

  auto from_file = certificate_fingerprint(id->certificate);
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(*from_file, id->fingerprint);

  // The key on disk is the one the certificate carries.
  auto key = read_private_key(id->private_key);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_id(key.get()), EVP_PKEY_ED25519);
  EXPECT_EQ(public_key_fingerprint(key.get()), id->fingerprint);

  // No temporary files are left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 2u);
}

TEST(keys, certificate_is_self_signed_for_the_station_and_valid_ten_years) {
  temp_dir dir;
  auto id = generate_tls_identity(dir.path(), "ru-pacific-fleet");
  ASSERT_TRUE(id) << id.error().message;
  auto cert = read_certificate(id->certificate);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_get_version(cert.get()), 2);  // v3
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);

  char cn[128] = {};
  ASSERT_GT(
      X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn),
      0);
  EXPECT_STREQ(cn, "ru-pacific-fleet");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);

  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                           X509_get0_notAfter(cert.get())),
            1);
  EXPECT_GE(days, 3650);
  EXPECT_LE(days, 3653);
}

TEST(keys, keygen_refuses_to_overwrite_an_existing_key) {
  temp_dir dir;
  auto first = generate_tls_identity(dir.path(), "rokaf-mcrc");
  ASSERT_TRUE(first) << first.error().message;
  const std::string key_before = read_text(first->private_key);
  const std::string cert_before = read_text(first->certificate);

  auto second = generate_tls_identity(dir.path(), "rokaf-mcrc");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::conflict);
  EXPECT_EQ(read_text(first->private_key), key_before);
  EXPECT_EQ(read_text(first->certificate), cert_before);
}

TEST(keys, keygen_creates_the_directory_and_rejects_bad_station_ids) {
  temp_dir dir;
  auto id = generate_tls_identity(dir.path() / "a" / "b", "ru-11-aadf-army");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "a" / "b" / "tls.key"));

  auto bad = generate_tls_identity(dir.path() / "c", "Bad Station");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_argument);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "c" / "tls.key"));
}

TEST(keys, two_keygens_give_different_fingerprints) {
  temp_dir a;
  temp_dir b;
  auto first = generate_tls_identity(a.path(), "rok-fleet-command");
  auto second = generate_tls_identity(b.path(), "rok-fleet-command");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->fingerprint, second->fingerprint);
  EXPECT_NE(read_text(first->private_key), read_text(second->private_key));
}

TEST(keys, certificate_fingerprint_rejects_missing_and_non_certificate_files) {
  temp_dir dir;
  auto missing = certificate_fingerprint(dir.path() / "absent.crt");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);

  auto garbage = certificate_fingerprint(dir.write("garbage.crt", "not a certificate\n"));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, errc::invalid_argument);
}

TEST(keys, sha256_matches_known_vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(spki_fingerprint("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  unsigned char raw[32];
  sha256("abc", raw);
  EXPECT_EQ(raw[0], 0xba);
  EXPECT_EQ(raw[31], 0xad);
}

TEST(keys, token_secrets_are_hl_plus_43_base64url_characters_and_unique) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string secret = new_token_secret();
    ASSERT_EQ(secret.size(), 46u) << secret;
    ASSERT_TRUE(secret.starts_with("hl_")) << secret;
    const std::string body = secret.substr(3);
    EXPECT_EQ(
        body.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << secret;
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(keys, equal_constant_time_compares_content_and_length) {
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_TRUE(equal_constant_time("secret-hash", "secret-hash"));
  EXPECT_FALSE(equal_constant_time("secret-hash", "secret-hasi"));
  EXPECT_FALSE(equal_constant_time("secret-hash", "tecret-hash"));
  EXPECT_FALSE(equal_constant_time("secret-hash", "secret-has"));
  EXPECT_FALSE(equal_constant_time("secret-has", "secret-hash"));
  EXPECT_FALSE(equal_constant_time("", "x"));
  EXPECT_FALSE(equal_constant_time("x", ""));
  const std::string a(64, 'a');
  std::string b = a;
  b[63] = 'b';
  EXPECT_FALSE(equal_constant_time(a, b));
  EXPECT_TRUE(equal_constant_time(a, std::string(64, 'a')));
}

TEST(keys, a_signing_key_others_can_read_is_refused_with_the_fix) {
  temp_dir dir;
  auto made = generate_signing_key(dir.path());
  ASSERT_TRUE(made) << made.error().message;
  const auto file = dir.path() / "signing.key";
  EXPECT_EQ(file_mode(file), 0600U);
  ASSERT_TRUE(load_signing_key(file)) << "0600 is accepted";
  for (unsigned mode : {0644U, 0640U, 0604U, 0620U, 0602U}) {
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    auto loaded = load_signing_key(file);
    ASSERT_FALSE(loaded) << std::oct << mode;
    EXPECT_EQ(loaded.error().code, errc::refused);
    EXPECT_NE(loaded.error().message.find(file.string()), std::string::npos);
    EXPECT_NE(loaded.error().message.find("chmod 600 " + file.string()), std::string::npos)
        << loaded.error().message;
  }
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  EXPECT_NE(load_signing_key(file).error().message.find("mode 0644"), std::string::npos);
  ASSERT_EQ(::chmod(file.c_str(), 0400), 0);
  EXPECT_TRUE(load_signing_key(file)) << "owner read-only is accepted";
}

TEST(keys, a_tls_key_others_can_read_is_refused_with_the_fix) {
  temp_dir dir;
  auto id = generate_tls_identity(dir.path(), "rok-fleet");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_TRUE(check_private_key_mode(id->private_key));
  ASSERT_EQ(::chmod(id->private_key.c_str(), 0644), 0);
  auto refused = check_private_key_mode(id->private_key);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::refused);
  EXPECT_NE(refused.error().message.find("chmod 600 " + id->private_key.string()),
            std::string::npos)
      << refused.error().message;
  auto missing = check_private_key_mode(dir.path() / "absent.key");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
}

}  // namespace
}  // namespace hotline::config

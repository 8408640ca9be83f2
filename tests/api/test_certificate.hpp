// A throwaway TLS identity for tests of the API over HTTPS: an ECDSA P-256 key and a self-signed
// certificate for 127.0.0.1 and localhost, made with OpenSSL in the test (no files in the tree),
// written as PEM into a fresh temporary directory that is removed with the object.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "api/server.hpp"
#include "api/tls_context.hpp"

namespace hotline::testing {

class test_certificate {
 public:
  test_certificate() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "hotline-api-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    dir_ = pattern;
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* cert = X509_new();
    const bool made = key != nullptr && cert != nullptr && build(cert, key);
    EXPECT_TRUE(made) << "cannot make a test certificate";
    if (made) {
      write(certificate(), [&](FILE* f) { return PEM_write_X509(f, cert); });
      write(private_key(), [&](FILE* f) {
        return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
      });
    }
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~test_certificate() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  test_certificate(const test_certificate&) = delete;
  test_certificate& operator=(const test_certificate&) = delete;

  std::filesystem::path certificate() const { return dir_ / "api.crt"; }
  std::filesystem::path private_key() const { return dir_ / "api.key"; }

 private:
  static bool extend(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value);
    const bool ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
  }

  static bool build(X509* cert, EVP_PKEY* key) {
    X509_NAME* name = X509_get_subject_name(cert);
    return X509_set_version(cert, 2) == 1 &&
           ASN1_INTEGER_set(X509_get_serialNumber(cert), 1) == 1 &&
           X509_gmtime_adj(X509_getm_notBefore(cert), -60) &&
           X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600) &&
           X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                                      0) == 1 &&
           X509_set_issuer_name(cert, name) == 1 && X509_set_pubkey(cert, key) == 1 &&
           extend(cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") &&
           extend(cert, NID_ext_key_usage, "serverAuth") && X509_sign(cert, key, EVP_sha256()) > 0;
  }

  template <class Write>
  static void write(const std::filesystem::path& path, Write&& fn) {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    EXPECT_EQ(fn(f), 1) << path;
    std::fclose(f);
  }

  std::filesystem::path dir_;
};

// Server options that serve the API over HTTPS with `cert`.
inline api::server_options https_options(const test_certificate& cert) {
  auto ctx = api::make_api_tls_context(cert.certificate(), cert.private_key());
  EXPECT_TRUE(ctx) << ctx.error().message;
  api::server_options o;
  if (ctx) o.tls = std::move(*ctx);
  return o;
}

}  // namespace hotline::testing

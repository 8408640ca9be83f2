// The station's DTLS-SRTP endpoint against a real in-process OpenSSL DTLS client: the handshake
// completes by shuttling datagrams, both ends export the same SRTP keys and protect each other's
// packets, the offer's fingerprint decides (a mismatch is refused), hostile datagrams are refused
// without harm, and a lost flight is recovered through the retransmission timer.
#include "voice/dtls_endpoint.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <string>
#include <thread>

#include "dtls_client.hpp"
#include "voice/rtp.hpp"

namespace hotline::voice {
namespace {

std::shared_ptr<const dtls_identity> identity() {
  static auto id = dtls_identity::generate();
  EXPECT_TRUE(id.has_value()) << id.error().message;
  return *id;
}

struct run_result {
  std::optional<dtls_srtp_keys> keys;
  std::optional<error> failure;
  std::size_t first_client_flight_bytes = 0;
};

// Shuttles datagrams until both ends are done, something fails, or nothing moves. When
// `drop_server_flight` is set, the endpoint's first flight is lost, and the endpoint's timer
// (waited out for real) must bring it back.
std::size_t total_bytes(const std::vector<bytes>& datagrams) {
  std::size_t n = 0;
  for (const auto& d : datagrams) {
    EXPECT_LE(d.size(), dtls_mtu_bytes);
    n += d.size();
  }
  return n;
}

run_result shuttle(test::dtls_client& client, dtls_endpoint& server,
                   bool drop_server_flight = false) {
  run_result r;
  std::vector<bytes> to_server = client.step();
  for (const auto& d : to_server) r.first_client_flight_bytes += d.size();
  for (int round = 0; round < 16 && !(client.done() && server.established()); ++round) {
    std::vector<bytes> to_client;
    for (const auto& d : to_server) {
      auto out = server.feed(d);
      if (!out) {
        r.failure = out.error();
        return r;
      }
      if (out->keys) r.keys = out->keys;
      to_client.insert(to_client.end(), out->datagrams.begin(), out->datagrams.end());
    }
    if (drop_server_flight && !to_client.empty()) {
      drop_server_flight = false;
      const auto wait = server.next_timeout();
      EXPECT_TRUE(wait.has_value());
      if (!wait) return r;
      EXPECT_LE(*wait, dtls_initial_retransmit_ms);
      std::this_thread::sleep_for(*wait + std::chrono::milliseconds(20));
      auto again = server.handle_timeout();
      EXPECT_TRUE(again.has_value());
      // The same records again (OpenSSL may pack them into datagrams differently).
      EXPECT_EQ(total_bytes(again->datagrams), total_bytes(to_client));
      to_client = again->datagrams;
    }
    to_server.clear();
    for (const auto& d : to_client) {
      auto more = client.receive(d);
      to_server.insert(to_server.end(), more.begin(), more.end());
    }
  }
  return r;
}

dtls_endpoint endpoint_for(const test::dtls_client& client) {
  auto e = dtls_endpoint::create(identity(), client.fingerprint());
  EXPECT_TRUE(e.has_value());
  return std::move(*e);
}

bytes rtp(std::uint16_t seq) {
  rtp_header h;
  h.payload_type = 111;
  h.seq = seq;
  h.timestamp = 960u * seq;
  h.ssrc = 0xabcdef01;
  return *serialize_rtp(h, bytes(60, static_cast<std::uint8_t>(seq)));
}

TEST(dtls_endpoint, completes_a_handshake_and_both_ends_export_the_same_keys) {
  test::dtls_client client;
  dtls_endpoint server = endpoint_for(client);
  EXPECT_FALSE(server.established());
  const run_result r = shuttle(client, server);
  ASSERT_FALSE(r.failure) << r.failure->message;
  ASSERT_TRUE(client.done());
  ASSERT_TRUE(server.established());
  ASSERT_TRUE(r.keys.has_value());
  // The client listed AES-128-GCM first; the station's preference wins.
  EXPECT_EQ(r.keys->profile, srtp_profile::aead_aes_256_gcm);
  const dtls_srtp_keys theirs = client.keys(r.keys->profile);
  EXPECT_EQ(r.keys->client, theirs.client);
  EXPECT_EQ(r.keys->server, theirs.server);
  EXPECT_EQ(r.keys->client.size(), 44u);
  EXPECT_NE(r.keys->client, r.keys->server);
  EXPECT_FALSE(server.next_timeout().has_value());
}

TEST(dtls_endpoint, srtp_keyed_from_the_handshake_works_both_ways) {
  test::dtls_client client;
  dtls_endpoint server = endpoint_for(client);
  const run_result r = shuttle(client, server);
  ASSERT_TRUE(r.keys.has_value());
  auto station = srtp_session::create(r.keys->for_server());
  auto browser = srtp_session::create(client.keys(r.keys->profile).for_client());
  ASSERT_TRUE(station.has_value() && browser.has_value()) << station.error().message;
  const bytes up = rtp(1);
  auto sealed = browser->protect(up);
  ASSERT_TRUE(sealed.has_value());
  auto opened = station->unprotect(*sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(*opened, up);
  const bytes down = rtp(2);
  auto back = browser->unprotect(*station->protect(down));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, down);
  // The station's own send key does not open what it sent: the directions differ.
  EXPECT_FALSE(station->unprotect(*station->protect(rtp(3))).has_value());
}

TEST(dtls_endpoint, takes_the_other_profiles_only_when_the_browser_insists) {
  for (const auto& [offered, expected] :
       {std::pair{"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", srtp_profile::aead_aes_128_gcm},
        std::pair{"SRTP_AES128_CM_SHA1_80", srtp_profile::aes128_cm_sha1_80}}) {
    test::dtls_client client(offered);
    dtls_endpoint server = endpoint_for(client);
    const run_result r = shuttle(client, server);
    ASSERT_TRUE(r.keys.has_value()) << offered;
    EXPECT_EQ(r.keys->profile, expected);
    auto station = srtp_session::create(r.keys->for_server());
    auto browser = srtp_session::create(client.keys(expected).for_client());
    ASSERT_TRUE(station.has_value() && browser.has_value());
    EXPECT_EQ(*station->unprotect(*browser->protect(rtp(9))), rtp(9));
  }
}

TEST(dtls_endpoint, a_certificate_that_does_not_match_the_offer_is_refused) {
  test::dtls_client client;
  test::dtls_client someone_else;
  auto server = dtls_endpoint::create(identity(), someone_else.fingerprint());
  ASSERT_TRUE(server.has_value());
  const run_result r = shuttle(client, *server);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->code, errc::refused);
  EXPECT_NE(r.failure->message.find("fingerprint"), std::string::npos) << r.failure->message;
  EXPECT_FALSE(r.keys.has_value());
  EXPECT_TRUE(server->failed());
  EXPECT_FALSE(server->established());
  EXPECT_EQ(server->feed(bytes{22, 254, 253}).error().code, errc::conflict);
}

TEST(dtls_endpoint, a_client_without_use_srtp_is_refused) {
  test::dtls_client client("");
  dtls_endpoint server = endpoint_for(client);
  const run_result r = shuttle(client, server);
  ASSERT_TRUE(r.failure.has_value());
  EXPECT_EQ(r.failure->code, errc::refused);
  EXPECT_FALSE(server.established());
}

TEST(dtls_endpoint, garbage_and_truncated_datagrams_are_refused_without_harm) {
  test::dtls_client client;
  dtls_endpoint server = endpoint_for(client);
  const std::vector<bytes> hello = client.step();
  ASSERT_FALSE(hello.empty());
  // Records that DTLS drops silently: an empty datagram, a truncated record, a wrong version,
  // and a record header promising more than the datagram holds.
  bytes truncated(hello[0].begin(), hello[0].begin() + static_cast<long>(hello[0].size() / 2));
  bytes bad_version = hello[0];
  bad_version[1] = 0x03;
  for (const bytes& d : {bytes{}, bytes{22}, truncated, bad_version, bytes(13, 22)}) {
    auto out = server.feed(d);
    if (out) {
      EXPECT_TRUE(out->datagrams.empty());
    }
  }
  EXPECT_EQ(server.feed(bytes(dtls_datagram_bytes_max + 1, 22)).error().code, errc::limit);
  // The endpoint may have failed on a record it could parse but not accept; if it did not, the
  // real handshake still completes.
  if (!server.failed()) {
    std::vector<bytes> to_client;
    for (const auto& d : hello) {
      auto out = server.feed(d);
      ASSERT_TRUE(out.has_value()) << out.error().message;
      to_client.insert(to_client.end(), out->datagrams.begin(), out->datagrams.end());
    }
    EXPECT_FALSE(to_client.empty());
  }
}

TEST(dtls_endpoint, the_handshake_byte_limit_holds_at_its_edge) {
  test::dtls_client client;
  dtls_endpoint server = endpoint_for(client);
  const bytes junk(1000, 0x17);  // application data in epoch 0: dropped by DTLS
  std::size_t fed = 0;
  while (fed + junk.size() <= dtls_handshake_bytes_max) {
    ASSERT_TRUE(server.feed(junk).has_value());
    fed += junk.size();
  }
  auto over = server.feed(junk);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code, errc::limit);
  EXPECT_TRUE(server.failed());
}

TEST(dtls_endpoint, a_lost_flight_is_recovered_through_the_timer) {
  test::dtls_client client;
  dtls_endpoint server = endpoint_for(client);
  EXPECT_FALSE(server.next_timeout().has_value());
  const run_result r = shuttle(client, server, /*drop_server_flight=*/true);
  ASSERT_FALSE(r.failure) << r.failure->message;
  ASSERT_TRUE(r.keys.has_value());
  EXPECT_EQ(r.keys->server, client.keys(r.keys->profile).server);
}

TEST(dtls_endpoint, a_timeout_before_it_is_due_sends_nothing) {
  test::dtls_client client;
  dtls_endpoint server = endpoint_for(client);
  for (const auto& d : client.step()) ASSERT_TRUE(server.feed(d).has_value());
  ASSERT_TRUE(server.next_timeout().has_value());
  auto early = server.handle_timeout();
  ASSERT_TRUE(early.has_value());
  EXPECT_TRUE(early->datagrams.empty());
}

std::string to_pem(int (*write)(BIO*, void*), void* object) {
  BIO* b = BIO_new(BIO_s_mem());
  write(b, object);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return pem;
}

TEST(dtls_identity, a_kept_certificate_loads_and_garbage_does_not) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = test::dtls_client::make_cert(key);
  const std::string cert_pem =
      to_pem([](BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }, cert);
  const std::string key_pem = to_pem(
      [](BIO* b, void* k) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      key);
  sha256_fingerprint expected{};
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), expected.data(), &n);
  X509_free(cert);
  EVP_PKEY_free(key);
  auto id = dtls_identity::from_pem(cert_pem, key_pem);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  EXPECT_EQ((*id)->fingerprint(), expected);
  EXPECT_NE((*id)->fingerprint(), identity()->fingerprint());
  EXPECT_EQ(dtls_identity::from_pem("not a certificate", key_pem).error().code,
            errc::invalid_argument);
  // A certificate with a key that is not its own is refused.
  EVP_PKEY* stranger = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  const std::string stranger_pem = to_pem(
      [](BIO* b, void* k) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(k), nullptr, nullptr, 0, nullptr,
                                        nullptr);
      },
      stranger);
  EVP_PKEY_free(stranger);
  EXPECT_FALSE(dtls_identity::from_pem(cert_pem, stranger_pem).has_value());
}

}  // namespace
}  // namespace hotline::voice

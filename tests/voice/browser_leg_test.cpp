// The browser leg, attacks first: unauthenticated STUN, early DTLS and SRTP, other sources and
// floods are all dropped without changing anything; then a real DTLS client nominates, shakes
// hands through the leg and exchanges SRTP with it.
#include "voice/browser_leg.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "dtls_client.hpp"
#include "stun_request.hpp"
#include "voice/rtp.hpp"

namespace hotline::voice {
namespace {

const ice_credentials station_ice{"StAt", "stationPassword0123456789"};
const std::string browser_ufrag = "BrWs";

std::shared_ptr<const dtls_identity> identity() {
  static auto id = dtls_identity::generate();
  return *id;
}

transport_address address(std::uint8_t last, std::uint16_t port) {
  transport_address a;
  a.ip = {192, 0, 2, last};
  a.port = port;
  return a;
}

const transport_address browser = address(10, 50000);
const transport_address intruder = address(66, 50000);

bytes binding(bool nominate, const std::string& password = station_ice.pwd,
              const std::string& username = station_ice.ufrag + ":" + browser_ufrag) {
  request_builder b;
  b.username(username).priority().add(0x802a, bytes(8, 1));
  if (nominate) b.add(0x0025, {});
  return b.integrity(password).fingerprint().m;
}

browser_leg make_leg(const test::dtls_client& client) {
  sdp_offer offer;
  offer.ice = {browser_ufrag, "browserPassword0123456789"};
  offer.fingerprint = client.fingerprint();
  offer.opus_payload_type = 111;
  auto leg = browser_leg::create(offer, station_ice, identity());
  EXPECT_TRUE(leg.has_value());
  return std::move(*leg);
}

bytes rtp(std::uint16_t seq) {
  rtp_header h;
  h.payload_type = 111;
  h.seq = seq;
  h.timestamp = 960u * seq;
  h.ssrc = 0x5eed;
  return *serialize_rtp(h, bytes(40, 0x42));
}

bytes rtcp_receiver_report() { return bytes{0x80, 201, 0x00, 0x01, 0x00, 0x00, 0x5e, 0xed}; }

// Runs the DTLS handshake through the leg from `from`; true if both ends finished.
bool handshake(browser_leg& leg, test::dtls_client& client, const transport_address& from) {
  std::vector<bytes> to_leg = client.step();
  for (int round = 0; round < 16 && !(client.done() && leg.connected()); ++round) {
    std::vector<bytes> to_client;
    for (const auto& d : to_leg) {
      auto out = leg.receive(from, d);
      if (!out) return false;
      for (auto& o : out->send) {
        EXPECT_EQ(o.to, from);
        to_client.push_back(o.data);
      }
    }
    to_leg.clear();
    for (const auto& d : to_client) {
      auto more = client.receive(d);
      to_leg.insert(to_leg.end(), more.begin(), more.end());
    }
  }
  return client.done() && leg.connected();
}

void nominate(browser_leg& leg) {
  auto out = leg.receive(browser, binding(true));
  ASSERT_TRUE(out.has_value()) << out.error().message;
  ASSERT_EQ(leg.peer(), browser);
}

TEST(browser_leg_attacks, unauthenticated_stun_gets_no_answer_and_no_lock) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  const std::vector<std::pair<bytes, errc>> attacks = {
      {binding(true, "wrong-password-0123456789"), errc::refused},
      {binding(true, station_ice.pwd, "Other:" + browser_ufrag), errc::refused},
      {binding(true, station_ice.pwd, station_ice.ufrag + ":Someone"), errc::refused},
      {request_builder{}
           .username(station_ice.ufrag + ":" + browser_ufrag)
           .priority()
           .fingerprint()
           .m,
       errc::protocol},  // no MESSAGE-INTEGRITY
      {bytes{0x00, 0x01, 0x00}, errc::protocol},
  };
  for (const auto& [attack, code] : attacks) {
    auto out = leg.receive(browser, attack);
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code, code) << out.error().message;
  }
  EXPECT_FALSE(leg.peer().has_value());
}

TEST(browser_leg_attacks, a_controlled_peer_is_refused) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  request_builder b;
  b.username(station_ice.ufrag + ":" + browser_ufrag).priority().add(0x8029, bytes(8, 1));
  auto out = leg.receive(browser, b.add(0x0025, {}).integrity(station_ice.pwd).fingerprint().m);
  ASSERT_FALSE(out.has_value());
  EXPECT_FALSE(leg.peer().has_value());
}

TEST(browser_leg_attacks, dtls_and_srtp_before_their_time_are_dropped) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  const std::vector<bytes> hello = client.step();
  EXPECT_EQ(leg.receive(browser, hello[0]).error().code, errc::conflict);  // not nominated yet
  EXPECT_EQ(leg.receive(browser, rtp(1)).error().code, errc::conflict);
  EXPECT_EQ(leg.receive(browser, rtcp_receiver_report()).error().code, errc::conflict);
  nominate(leg);
  EXPECT_EQ(leg.receive(browser, rtp(2)).error().code, errc::conflict);  // no keys yet
  EXPECT_EQ(leg.protect_rtp(rtp(3)).error().code, errc::conflict);
  EXPECT_FALSE(leg.connected());
}

TEST(browser_leg_attacks, other_sources_are_ignored_once_locked) {
  test::dtls_client client;
  test::dtls_client impostor;
  browser_leg leg = make_leg(client);
  nominate(leg);
  // Even a correctly authenticated nomination from elsewhere does not move the lock.
  EXPECT_EQ(leg.receive(intruder, binding(true)).error().code, errc::refused);
  for (const auto& d : impostor.step()) {
    EXPECT_EQ(leg.receive(intruder, d).error().code, errc::refused);
  }
  EXPECT_EQ(leg.peer(), browser);
  ASSERT_TRUE(handshake(leg, client, browser));
  auto sealed = srtp_session::create(client.keys(*leg.profile()).for_client())->protect(rtp(5));
  EXPECT_EQ(leg.receive(intruder, *sealed).error().code, errc::refused);
  EXPECT_TRUE(leg.receive(browser, *sealed).has_value());
}

TEST(browser_leg_attacks, floods_are_bounded_and_change_nothing) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  const bytes forged = binding(true, "wrong-password-0123456789");
  const bytes oversize(rtp_datagram_bytes_max + 1, 0x80);
  for (int i = 0; i < 5000; ++i) {
    EXPECT_FALSE(leg.receive(intruder, forged).has_value());
    EXPECT_FALSE(leg.receive(intruder, rtp(static_cast<std::uint16_t>(i))).has_value());
    EXPECT_EQ(leg.receive(browser, oversize).error().code, errc::limit);
  }
  EXPECT_FALSE(leg.peer().has_value());
  nominate(leg);
  ASSERT_TRUE(handshake(leg, client, browser));
  // SRTP garbage from the locked address is refused, and a real packet still passes after it.
  bytes junk = rtp(9);
  junk.resize(80, 0xee);
  for (int i = 0; i < 5000; ++i) EXPECT_FALSE(leg.receive(browser, junk).has_value());
  auto sender = srtp_session::create(client.keys(*leg.profile()).for_client());
  auto out = leg.receive(browser, *sender->protect(rtp(10)));
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(out->rtp.at(0), rtp(10));
}

TEST(browser_leg_attacks, a_dtls_flood_from_the_peer_hits_the_handshake_limit) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  nominate(leg);
  const bytes junk(1000, 0x17);
  std::optional<error> last;
  for (std::size_t i = 0; i <= dtls_handshake_bytes_max / junk.size() && !last; ++i) {
    auto out = leg.receive(browser, junk);
    if (!out) last = out.error();
  }
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->code, errc::limit);
  EXPECT_TRUE(leg.failed());
  EXPECT_EQ(leg.receive(browser, binding(true)).error().code, errc::conflict);
}

TEST(browser_leg_attacks, a_browser_whose_certificate_is_not_the_offers_is_refused) {
  test::dtls_client client;
  test::dtls_client other;
  browser_leg leg = make_leg(other);  // the offer named the other certificate
  nominate(leg);
  EXPECT_FALSE(handshake(leg, client, browser));
  EXPECT_TRUE(leg.failed());
  EXPECT_FALSE(leg.connected());
}

TEST(browser_leg, answers_authenticated_checks_and_locks_on_nomination) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  auto check = leg.receive(intruder, binding(false));  // a check without nomination: answered
  ASSERT_TRUE(check.has_value()) << check.error().message;
  ASSERT_EQ(check->send.size(), 1u);
  EXPECT_EQ(check->send[0].to, intruder);
  EXPECT_FALSE(leg.peer().has_value());
  const bytes request = binding(true);
  auto out = leg.receive(browser, request);
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->send.size(), 1u);
  const bytes& response = out->send[0].data;
  EXPECT_EQ(out->send[0].to, browser);
  EXPECT_EQ(load_be16(response, 0), 0x0101);  // Binding success
  EXPECT_TRUE(std::equal(request.begin() + 8, request.begin() + 20, response.begin() + 8));
  // The same XOR-MAPPED-ADDRESS, integrity and fingerprint stun.hpp builds for the source.
  stun_transaction_id txid{};
  std::copy(request.begin() + 8, request.begin() + 20, txid.begin());
  EXPECT_EQ(response, *build_binding_success(txid, browser, station_ice.pwd));
  EXPECT_EQ(leg.peer(), browser);
}

TEST(browser_leg, a_lost_flight_is_resent_to_the_peer_through_the_timer) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  EXPECT_TRUE(leg.handle_timeout()->send.empty());  // nothing pending before the handshake
  nominate(leg);
  std::size_t first_flight = 0;
  for (const auto& d : client.step()) {
    auto out = leg.receive(browser, d);
    ASSERT_TRUE(out.has_value());
    first_flight += out->send.size();  // lost on the way to the browser
  }
  ASSERT_GT(first_flight, 0u);
  const auto wait = leg.next_timeout();
  ASSERT_TRUE(wait.has_value());
  std::this_thread::sleep_for(*wait + std::chrono::milliseconds(20));
  auto again = leg.handle_timeout();
  ASSERT_TRUE(again.has_value());
  ASSERT_FALSE(again->send.empty());
  std::vector<bytes> to_leg;
  for (const auto& o : again->send) {
    EXPECT_EQ(o.to, browser);
    auto more = client.receive(o.data);
    to_leg.insert(to_leg.end(), more.begin(), more.end());
  }
  for (const auto& d : to_leg) {
    auto out = leg.receive(browser, d);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    for (const auto& o : out->send) client.receive(o.data);
  }
  EXPECT_TRUE(leg.connected());
  EXPECT_TRUE(client.done());
}

TEST(browser_leg, a_nominated_browser_shakes_hands_and_exchanges_srtp) {
  test::dtls_client client;
  browser_leg leg = make_leg(client);
  nominate(leg);
  ASSERT_TRUE(handshake(leg, client, browser));
  ASSERT_EQ(leg.profile(), srtp_profile::aead_aes_256_gcm);
  auto browser_srtp = srtp_session::create(client.keys(*leg.profile()).for_client());
  ASSERT_TRUE(browser_srtp.has_value());

  auto up = leg.receive(browser, *browser_srtp->protect(rtp(1)));
  ASSERT_TRUE(up.has_value()) << up.error().message;
  ASSERT_EQ(up->rtp.size(), 1u);
  EXPECT_EQ(up->rtp[0], rtp(1));
  auto report = leg.receive(browser, *browser_srtp->protect_rtcp(rtcp_receiver_report()));
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->rtcp.at(0), rtcp_receiver_report());

  auto down = leg.protect_rtp(rtp(7));
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(*browser_srtp->unprotect(*down), rtp(7));

  bytes tampered = *browser_srtp->protect(rtp(2));
  tampered.back() ^= 1;
  EXPECT_EQ(leg.receive(browser, tampered).error().code, errc::refused);
  const bytes again = *browser_srtp->protect(rtp(3));
  EXPECT_TRUE(leg.receive(browser, again).has_value());
  EXPECT_TRUE(is_replay(leg.receive(browser, again).error()));
  // Consent checks keep being answered after the handshake.
  EXPECT_EQ(leg.receive(browser, binding(false))->send.size(), 1u);
}

}  // namespace
}  // namespace hotline::voice

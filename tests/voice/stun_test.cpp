// STUN for ICE-lite: RFC 5769's published vectors, and every way a hostile request is refused.
#include "voice/stun.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "stun_request.hpp"

namespace hotline::voice {
namespace {

// RFC 5769 2.1: sample request (short-term credentials).
const bytes rfc5769_request{
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

// RFC 5769 2.2: sample IPv4 response (192.0.2.1 port 32853).
const bytes rfc5769_response_v4{
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

// RFC 5769 2.3: sample IPv6 response (2001:db8:1234:5678:11:2233:4455:6677 port 32853).
const bytes rfc5769_response_v6{
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

constexpr const char* rfc5769_password = "VOkJxbRl1RmTxUk/WvJxBt";

stun_transaction_id rfc5769_txid() {
  return {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
}

bytes good_request() { return request_builder{}.ice().integrity("secret").fingerprint().m; }

errc parse_error(const bytes& m) {
  auto r = parse_binding_request(m);
  EXPECT_FALSE(r.has_value());
  return r ? errc::io : r.error().code;
}

TEST(stun_rfc5769, the_sample_request_parses_and_authenticates) {
  auto r = parse_binding_request(rfc5769_request);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->transaction_id, rfc5769_txid());
  EXPECT_EQ(*r->username, "evtj:h6vY");
  EXPECT_EQ(*r->priority, 0x6e0001ffu);
  EXPECT_EQ(*r->ice_controlled, 0x932ff9b151263b36ull);
  EXPECT_FALSE(r->ice_controlling);
  EXPECT_FALSE(r->use_candidate);
  EXPECT_TRUE(r->fingerprint);
  auto ok = authenticate_binding_request(rfc5769_request, *r, "evtj", rfc5769_password);
  EXPECT_TRUE(ok.has_value()) << ok.error().message;
}

TEST(stun_rfc5769, the_wrong_password_or_ufrag_is_refused) {
  auto r = parse_binding_request(rfc5769_request);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(authenticate_binding_request(rfc5769_request, *r, "evtj", "VOkJxbRl1RmTxUk/WvJxBu")
                .error()
                .code,
            errc::refused);
  EXPECT_EQ(authenticate_binding_request(rfc5769_request, *r, "evt", rfc5769_password).error().code,
            errc::refused);
  EXPECT_EQ(
      authenticate_binding_request(rfc5769_request, *r, "h6vY", rfc5769_password).error().code,
      errc::refused);
}

TEST(stun_rfc5769, the_responses_are_built_byte_for_byte) {
  transport_address v4;
  v4.ip = {192, 0, 2, 1};
  v4.port = 32853;
  auto built = build_binding_success(rfc5769_txid(), v4, rfc5769_password, "test vector");
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ(*built, rfc5769_response_v4);

  transport_address v6;
  v6.v6 = true;
  v6.ip = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
           0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  v6.port = 32853;
  built = build_binding_success(rfc5769_txid(), v6, rfc5769_password, "test vector");
  ASSERT_TRUE(built.has_value());
  EXPECT_EQ(*built, rfc5769_response_v6);
}

TEST(stun_build, a_response_without_software_carries_the_mapped_address) {
  transport_address a;
  a.ip = {10, 1, 2, 3};
  a.port = 5004;
  auto m = build_binding_success(rfc5769_txid(), a, "pw");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 20u + 12 + 24 + 8);
  EXPECT_EQ(load_be16(*m, 0), 0x0101);
  EXPECT_EQ(load_be16(*m, 2), m->size() - 20);
  EXPECT_EQ(load_be16(*m, 20), 0x0020);
  EXPECT_EQ(load_be16(*m, 26), 5004 ^ 0x2112);
  EXPECT_EQ(load_be32(*m, 28), 0x0a010203u ^ stun_magic_cookie);
  EXPECT_EQ(build_binding_success(rfc5769_txid(), a, "pw", std::string(764, 'x')).error().code,
            errc::invalid_argument);
}

TEST(stun_attack, every_truncation_of_the_sample_is_refused) {
  for (std::size_t n = 0; n < rfc5769_request.size(); ++n) {
    bytes cut(rfc5769_request.begin(), rfc5769_request.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(parse_binding_request(cut).has_value()) << n;
    // With the length field made to agree, a cut at an attribute boundary is a well-formed
    // shorter request; it must still never authenticate.
    if (n >= 20) {
      set_be16(cut, 2, static_cast<std::uint16_t>(n - 20));
      auto r = parse_binding_request(cut);
      if (r) {
        EXPECT_FALSE(authenticate_binding_request(cut, *r, "evtj", rfc5769_password)) << n;
      }
    }
  }
}

TEST(stun_attack, header_faults_are_refused) {
  bytes m = good_request();
  ASSERT_TRUE(parse_binding_request(m).has_value());
  bytes cookie = m;
  cookie[4] ^= 1;
  EXPECT_EQ(parse_error(cookie), errc::protocol);
  bytes top_bits = m;
  top_bits[0] |= 0x80;
  EXPECT_EQ(parse_error(top_bits), errc::protocol);
  bytes indication = m;
  indication[1] = 0x11;
  EXPECT_EQ(parse_error(indication), errc::protocol);
  bytes long_length = m;
  set_be16(long_length, 2, static_cast<std::uint16_t>(m.size() - 20 + 4));
  EXPECT_EQ(parse_error(long_length), errc::protocol);
  bytes odd_length = m;
  odd_length.push_back(0);
  set_be16(odd_length, 2, static_cast<std::uint16_t>(odd_length.size() - 20));
  EXPECT_EQ(parse_error(odd_length), errc::protocol);
}

TEST(stun_attack, an_attribute_that_overruns_is_refused) {
  bytes m = request_builder{}.username("lite:full").m;
  set_be16(m, 22, 200);  // USERNAME says 200 bytes
  EXPECT_EQ(parse_error(m), errc::protocol);
  set_be16(m, 22, 10);  // 10 bytes pad to 12, but only 12 remain: fits
  EXPECT_TRUE(parse_binding_request(m).has_value());
  set_be16(m, 22, 13);  // pads to 16: overruns
  EXPECT_EQ(parse_error(m), errc::protocol);
}

TEST(stun_attack, limits_on_size_attributes_and_username) {
  request_builder many;
  for (std::size_t i = 0; i < stun_attributes_max; ++i) many.add(0x8050, {});
  EXPECT_TRUE(parse_binding_request(many.m).has_value());
  many.add(0x8050, {});
  EXPECT_EQ(parse_error(many.m), errc::limit);

  EXPECT_TRUE(
      parse_binding_request(request_builder{}.username(std::string(512, 'u')).m).has_value());
  EXPECT_EQ(parse_error(request_builder{}.username(std::string(513, 'u')).m), errc::limit);

  bytes big = request_builder{}.add(0x8050, bytes(stun_message_bytes_max - 24, 0)).m;
  ASSERT_EQ(big.size(), stun_message_bytes_max);
  EXPECT_TRUE(parse_binding_request(big).has_value());
  big = request_builder{}.add(0x8050, bytes(stun_message_bytes_max - 20, 0)).m;
  EXPECT_EQ(parse_error(big), errc::limit);
}

TEST(stun_attack, a_bad_fingerprint_is_refused) {
  bytes m = good_request();
  m[m.size() - 1] ^= 1;
  EXPECT_EQ(parse_error(m), errc::protocol);
  bytes body = good_request();
  body[26] ^= 1;  // inside USERNAME: the fingerprint no longer matches
  EXPECT_EQ(parse_error(body), errc::protocol);
  bytes short_fp = request_builder{}.ice().add(0x8028, bytes{1, 2}).m;
  EXPECT_EQ(parse_error(short_fp), errc::protocol);
}

TEST(stun_attack, bad_integrity_is_refused_even_with_a_valid_fingerprint) {
  // A request signed with the wrong password but fingerprinted correctly.
  bytes m = request_builder{}.ice().integrity("guess").fingerprint().m;
  auto r = parse_binding_request(m);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  auto auth = authenticate_binding_request(m, *r, "lite", "secret");
  ASSERT_FALSE(auth.has_value());
  EXPECT_EQ(auth.error().code, errc::refused);
  // The right password passes: the check above failed on the password, nothing else.
  bytes good = good_request();
  EXPECT_TRUE(authenticate_binding_request(good, *parse_binding_request(good), "lite", "secret"));
}

TEST(stun_attack, empty_local_credentials_are_a_caller_error) {
  bytes m = good_request();
  auto r = parse_binding_request(m);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(authenticate_binding_request(m, *r, "lite", "").error().code, errc::invalid_argument);
  EXPECT_EQ(authenticate_binding_request(m, *r, "", "secret").error().code, errc::invalid_argument);
  EXPECT_EQ(build_binding_success(r->transaction_id, transport_address{}, "").error().code,
            errc::invalid_argument);
}

TEST(stun_attack, missing_ice_attributes_are_refused) {
  bytes no_integrity = request_builder{}.ice().fingerprint().m;
  auto a = parse_binding_request(no_integrity);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(authenticate_binding_request(no_integrity, *a, "lite", "secret").error().code,
            errc::protocol);
  bytes no_fp = request_builder{}.ice().integrity("secret").m;
  auto b = parse_binding_request(no_fp);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(authenticate_binding_request(no_fp, *b, "lite", "secret").error().code, errc::protocol);
  bytes no_priority = request_builder{}.username("lite:full").integrity("secret").fingerprint().m;
  auto c = parse_binding_request(no_priority);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(authenticate_binding_request(no_priority, *c, "lite", "secret").error().code,
            errc::protocol);
}

TEST(stun_attack, attribute_order_and_duplicates_are_enforced) {
  bytes after_integrity = request_builder{}.ice().integrity("secret").priority().m;
  EXPECT_EQ(parse_error(after_integrity), errc::protocol);
  bytes after_fp = request_builder{}.ice().fingerprint().add(0x8050, {}).m;
  EXPECT_EQ(parse_error(after_fp), errc::protocol);
  bytes dup_user = request_builder{}.username("a:b").username("lite:x").m;
  EXPECT_EQ(parse_error(dup_user), errc::protocol);
  bytes unknown = request_builder{}.add(0x0003, bytes{0, 0, 0, 0}).m;  // CHANGE-REQUEST
  EXPECT_EQ(parse_error(unknown), errc::protocol);
  bytes optional = request_builder{}.add(0xc057, bytes{0, 1, 0, 0}).m;  // GOOG-NETWORK-INFO
  EXPECT_TRUE(parse_binding_request(optional).has_value());
  bytes bad_priority = request_builder{}.add(0x0024, bytes{1, 2, 3}).m;
  EXPECT_EQ(parse_error(bad_priority), errc::protocol);
  bytes bad_use = request_builder{}.add(0x0025, bytes{1, 0, 0, 0}).m;
  EXPECT_EQ(parse_error(bad_use), errc::protocol);
  bytes both = request_builder{}.add(0x0025, {}).add(0x802a, bytes(8, 1)).m;
  auto r = parse_binding_request(both);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->use_candidate);
  EXPECT_EQ(*r->ice_controlling, 0x0101010101010101ull);
}

}  // namespace
}  // namespace hotline::voice

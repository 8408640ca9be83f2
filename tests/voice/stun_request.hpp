// A test-only STUN Binding request builder, so that each hostile variant is otherwise well
// formed (tests/voice: the STUN parser's tests and the browser leg's).
#pragma once

#include <openssl/evp.h>
#include <zlib.h>

#include <cstdint>
#include <string>

#include "voice/byte_order.hpp"
#include "voice/stun.hpp"

namespace hotline::voice {

struct request_builder {
  bytes m{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

  request_builder& add(std::uint16_t type, const bytes& value) {
    put_be16(m, type);
    put_be16(m, static_cast<std::uint16_t>(value.size()));
    m.insert(m.end(), value.begin(), value.end());
    while (m.size() % 4) m.push_back(0);
    set_be16(m, 2, static_cast<std::uint16_t>(m.size() - 20));
    return *this;
  }
  request_builder& username(const std::string& u) { return add(0x0006, bytes(u.begin(), u.end())); }
  request_builder& priority() { return add(0x0024, bytes{0x6e, 0, 1, 0xff}); }
  request_builder& integrity(const std::string& password) {
    set_be16(m, 2, static_cast<std::uint16_t>(m.size() + 24 - 20));
    unsigned char mac[20];
    std::size_t n = 0;
    EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, password.data(), password.size(), m.data(),
              m.size(), mac, sizeof mac, &n);
    return add(0x0008, bytes(mac, mac + 20));
  }
  request_builder& fingerprint() {
    set_be16(m, 2, static_cast<std::uint16_t>(m.size() + 8 - 20));
    const auto crc = static_cast<std::uint32_t>(crc32(0L, m.data(), static_cast<uInt>(m.size()))) ^
                     stun_fingerprint_xor;
    bytes v;
    put_be32(v, crc);
    return add(0x8028, v);
  }
  request_builder& ice() { return username("lite:full").priority(); }
};

}  // namespace hotline::voice

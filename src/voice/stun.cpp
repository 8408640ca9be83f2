#include "voice/stun.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cassert>

namespace hotline::voice {
namespace {

constexpr std::uint16_t binding_request = 0x0001;
constexpr std::uint16_t binding_success = 0x0101;

namespace attr {
constexpr std::uint16_t username = 0x0006;
constexpr std::uint16_t message_integrity = 0x0008;
constexpr std::uint16_t xor_mapped_address = 0x0020;
constexpr std::uint16_t priority = 0x0024;
constexpr std::uint16_t use_candidate = 0x0025;
constexpr std::uint16_t software = 0x8022;
constexpr std::uint16_t fingerprint = 0x8028;
constexpr std::uint16_t ice_controlled = 0x8029;
constexpr std::uint16_t ice_controlling = 0x802a;
}  // namespace attr

constexpr std::size_t software_bytes_max = 763;  // RFC 8489 14.14
constexpr std::uint8_t padding_byte = 0x20;

std::size_t padded(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

std::uint32_t stun_crc(std::span<const std::uint8_t> in) {
  // zlib takes a uInt length; a STUN message is at most stun_message_bytes_max.
  assert(in.size() <= stun_message_bytes_max);
  const uLong crc = crc32(0L, in.data(), static_cast<uInt>(in.size()));
  return static_cast<std::uint32_t>(crc) ^ stun_fingerprint_xor;
}

using hmac_sha1 = std::array<std::uint8_t, stun_integrity_bytes>;

// HMAC-SHA1 over the message up to `integrity_offset`, with the header's length field set as if
// the message ended right after the MESSAGE-INTEGRITY attribute (RFC 8489 14.5).
result<hmac_sha1> integrity_over(std::span<const std::uint8_t> message,
                                 std::size_t integrity_offset, std::string_view password) {
  assert(integrity_offset >= stun_header_bytes && integrity_offset <= message.size());
  bytes covered(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(integrity_offset));
  set_be16(
      covered, 2,
      static_cast<std::uint16_t>(integrity_offset + 4 + stun_integrity_bytes - stun_header_bytes));
  assert(!password.empty());
  hmac_sha1 mac{};
  std::size_t mac_len = 0;
  const auto* key = reinterpret_cast<const unsigned char*>(password.data());
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key, password.size(), covered.data(),
                 covered.size(), mac.data(), mac.size(), &mac_len) ||
      mac_len != mac.size()) {
    return fail(errc::io, "HMAC-SHA1 failed");
  }
  return mac;
}

struct attribute {
  std::uint16_t type = 0;
  std::size_t offset = 0;  // of the attribute's header
  std::span<const std::uint8_t> value;
};

result<void> check_header(std::span<const std::uint8_t> m) {
  if (m.size() > stun_message_bytes_max) return fail(errc::limit, "STUN message too large");
  if (m.size() < stun_header_bytes) return fail(errc::protocol, "STUN header is truncated");
  if ((m[0] & 0xc0) != 0) return fail(errc::protocol, "STUN message type has top bits set");
  if (load_be32(m, 4) != stun_magic_cookie) return fail(errc::protocol, "wrong STUN magic cookie");
  const std::size_t length = load_be16(m, 2);
  if (length % 4 != 0) return fail(errc::protocol, "STUN length is not a multiple of 4");
  if (length != m.size() - stun_header_bytes) {
    return fail(errc::protocol, "STUN length disagrees with the datagram");
  }
  if (load_be16(m, 0) != binding_request) return fail(errc::protocol, "not a Binding request");
  return {};
}

result<std::vector<attribute>> split_attributes(std::span<const std::uint8_t> m) {
  std::vector<attribute> out;
  std::size_t at = stun_header_bytes;
  while (at < m.size()) {
    if (out.size() == stun_attributes_max) return fail(errc::limit, "too many STUN attributes");
    if (m.size() - at < 4) return fail(errc::protocol, "STUN attribute header is truncated");
    const std::size_t length = load_be16(m, at + 2);
    if (m.size() - at - 4 < padded(length)) {
      return fail(errc::protocol, "STUN attribute overruns the message");
    }
    out.push_back({load_be16(m, at), at, m.subspan(at + 4, length)});
    at += 4 + padded(length);
  }
  return out;
}

result<void> expect_length(const attribute& a, std::size_t bytes_expected, const char* name) {
  if (a.value.size() != bytes_expected) {
    return fail(errc::protocol, std::string("malformed STUN ") + name);
  }
  return {};
}

template <class T>
result<void> set_once(std::optional<T>& slot, T value, const char* name) {
  if (slot) return fail(errc::protocol, std::string("duplicate STUN ") + name);
  slot = std::move(value);
  return {};
}

result<void> read_username(const attribute& a, stun_binding_request& r) {
  if (a.value.size() > stun_username_bytes_max) return fail(errc::limit, "STUN USERNAME too long");
  return set_once(r.username, std::string(a.value.begin(), a.value.end()), "USERNAME");
}

result<void> read_fingerprint(std::span<const std::uint8_t> m, const attribute& a,
                              stun_binding_request& r) {
  if (auto ok = expect_length(a, 4, "FINGERPRINT"); !ok) return ok;
  if (load_be32(a.value, 0) != stun_crc(m.first(a.offset))) {
    return fail(errc::protocol, "STUN FINGERPRINT does not match");
  }
  r.fingerprint = true;
  return {};
}

result<void> read_integrity(const attribute& a, stun_binding_request& r) {
  if (auto ok = expect_length(a, stun_integrity_bytes, "MESSAGE-INTEGRITY"); !ok) return ok;
  hmac_sha1 mac{};
  std::copy(a.value.begin(), a.value.end(), mac.begin());
  r.integrity = mac;
  r.integrity_offset = a.offset;
  return {};
}

// Reads one attribute that precedes MESSAGE-INTEGRITY.
result<void> read_attribute(const attribute& a, stun_binding_request& r) {
  switch (a.type) {
    case attr::username:
      return read_username(a, r);
    case attr::priority:
      if (auto ok = expect_length(a, 4, "PRIORITY"); !ok) return ok;
      return set_once(r.priority, load_be32(a.value, 0), "PRIORITY");
    case attr::use_candidate:
      if (auto ok = expect_length(a, 0, "USE-CANDIDATE"); !ok) return ok;
      if (r.use_candidate) return fail(errc::protocol, "duplicate STUN USE-CANDIDATE");
      r.use_candidate = true;
      return {};
    case attr::ice_controlling:
      if (auto ok = expect_length(a, 8, "ICE-CONTROLLING"); !ok) return ok;
      return set_once(r.ice_controlling, load_be64(a.value, 0), "ICE-CONTROLLING");
    case attr::ice_controlled:
      if (auto ok = expect_length(a, 8, "ICE-CONTROLLED"); !ok) return ok;
      return set_once(r.ice_controlled, load_be64(a.value, 0), "ICE-CONTROLLED");
    default:
      if (a.type < 0x8000) {
        return fail(errc::protocol,
                    "unknown comprehension-required STUN attribute " + std::to_string(a.type));
      }
      return {};  // comprehension-optional: ignored (RFC 8489 15)
  }
}

result<void> read_attributes(std::span<const std::uint8_t> m, const std::vector<attribute>& attrs,
                             stun_binding_request& r) {
  for (const attribute& a : attrs) {
    if (r.fingerprint) return fail(errc::protocol, "STUN attribute after FINGERPRINT");
    if (a.type == attr::fingerprint) {
      if (auto ok = read_fingerprint(m, a, r); !ok) return ok;
    } else if (r.integrity) {
      return fail(errc::protocol, "STUN attribute after MESSAGE-INTEGRITY");
    } else if (a.type == attr::message_integrity) {
      if (auto ok = read_integrity(a, r); !ok) return ok;
    } else if (auto ok = read_attribute(a, r); !ok) {
      return ok;
    }
  }
  return {};
}

void put_attribute(bytes& out, std::uint16_t type, std::span<const std::uint8_t> value) {
  put_be16(out, type);
  put_be16(out, static_cast<std::uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  out.insert(out.end(), padded(value.size()) - value.size(), padding_byte);
}

bytes xor_mapped_value(const stun_transaction_id& txid, const transport_address& a) {
  bytes v{0x00, static_cast<std::uint8_t>(a.v6 ? 0x02 : 0x01)};
  put_be16(v, static_cast<std::uint16_t>(a.port ^ (stun_magic_cookie >> 16)));
  bytes mask;
  put_be32(mask, stun_magic_cookie);
  mask.insert(mask.end(), txid.begin(), txid.end());
  const std::size_t n = a.v6 ? 16 : 4;
  for (std::size_t i = 0; i < n; ++i) v.push_back(a.ip[i] ^ mask[i]);
  return v;
}

void set_length(bytes& m, std::size_t total_bytes) {
  set_be16(m, 2, static_cast<std::uint16_t>(total_bytes - stun_header_bytes));
}

}  // namespace

result<stun_binding_request> parse_binding_request(std::span<const std::uint8_t> message) {
  if (auto ok = check_header(message); !ok) return std::unexpected(ok.error());
  auto attrs = split_attributes(message);
  if (!attrs) return std::unexpected(attrs.error());
  stun_binding_request r;
  std::copy(message.begin() + 8, message.begin() + 20, r.transaction_id.begin());
  if (auto ok = read_attributes(message, *attrs, r); !ok) return std::unexpected(ok.error());
  return r;
}

result<void> authenticate_binding_request(std::span<const std::uint8_t> message,
                                          const stun_binding_request& request,
                                          std::string_view local_ufrag,
                                          std::string_view local_password) {
  if (local_ufrag.empty() || local_password.empty()) {
    return fail(errc::invalid_argument, "ICE credentials must not be empty", "local_password");
  }
  if (!request.username) return fail(errc::protocol, "Binding request has no USERNAME");
  if (!request.integrity) return fail(errc::protocol, "Binding request has no MESSAGE-INTEGRITY");
  if (!request.fingerprint) return fail(errc::protocol, "Binding request has no FINGERPRINT");
  if (!request.priority) return fail(errc::protocol, "Binding request has no PRIORITY");
  const std::string& user = *request.username;
  if (user.size() <= local_ufrag.size() || !user.starts_with(local_ufrag) ||
      user[local_ufrag.size()] != ':') {
    return fail(errc::refused, "Binding request is for another ICE username");
  }
  if (request.integrity_offset < stun_header_bytes ||
      request.integrity_offset + 4 + stun_integrity_bytes > message.size()) {
    return fail(errc::invalid_argument, "request was not parsed from this message");
  }
  auto mac = integrity_over(message, request.integrity_offset, local_password);
  if (!mac) return std::unexpected(mac.error());
  if (CRYPTO_memcmp(mac->data(), request.integrity->data(), mac->size()) != 0) {
    return fail(errc::refused, "STUN MESSAGE-INTEGRITY does not match");
  }
  return {};
}

result<bytes> build_binding_success(const stun_transaction_id& transaction_id,
                                    const transport_address& mapped, std::string_view password,
                                    std::string_view software) {
  if (password.empty()) {
    return fail(errc::invalid_argument, "ICE password must not be empty", "password");
  }
  if (software.size() > software_bytes_max) {
    return fail(errc::invalid_argument, "SOFTWARE too long", "software");
  }
  bytes m;
  put_be16(m, binding_success);
  put_be16(m, 0);
  put_be32(m, stun_magic_cookie);
  m.insert(m.end(), transaction_id.begin(), transaction_id.end());
  if (!software.empty()) {
    put_attribute(m, attr::software,
                  {reinterpret_cast<const std::uint8_t*>(software.data()), software.size()});
  }
  put_attribute(m, attr::xor_mapped_address, xor_mapped_value(transaction_id, mapped));
  const std::size_t integrity_offset = m.size();
  auto mac = integrity_over(m, integrity_offset, password);
  if (!mac) return std::unexpected(mac.error());
  put_attribute(m, attr::message_integrity, *mac);
  set_length(m, m.size() + 8);  // FINGERPRINT covers a header that counts itself
  bytes crc;
  put_be32(crc, stun_crc(m));
  put_attribute(m, attr::fingerprint, crc);
  assert(m.size() <= stun_message_bytes_max);
  return m;
}

}  // namespace hotline::voice

// STUN for an ICE-lite agent (RFC 8489, RFC 8445): parse the browser's Binding requests, check
// them with the local ICE password, and answer with a Binding success response.
//
// The station is ICE-lite with one host candidate: it never sends requests, it only answers.
// parse_binding_request faces the network. It reads only inside the span it is given, never
// throws, and refuses (errc::protocol) anything that is not a well-formed Binding request:
// a wrong magic cookie, a length that disagrees with the datagram, an attribute that overruns,
// an attribute after MESSAGE-INTEGRITY other than FINGERPRINT, anything after FINGERPRINT, a
// duplicate or malformed known attribute, an unknown comprehension-required attribute, or a
// FINGERPRINT that does not match. It refuses (errc::limit) a message over
// stun_message_bytes_max, more than stun_attributes_max attributes, or a USERNAME over
// stun_username_bytes_max. MESSAGE-INTEGRITY needs the password, so it is checked separately by
// authenticate_binding_request (errc::refused when it fails; compared in constant time).
//
// All functions are pure and thread-safe. Parsed values own their bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "voice/byte_order.hpp"

namespace hotline::voice {

inline constexpr std::size_t stun_header_bytes = 20;
// The smallest MTU IPv6 guarantees. A browser's Binding request is about 100 bytes.
inline constexpr std::size_t stun_message_bytes_max = 1280;
inline constexpr std::size_t stun_attributes_max = 32;
inline constexpr std::size_t stun_username_bytes_max = 512;  // RFC 8489 14.3: under 513 bytes
inline constexpr std::size_t stun_integrity_bytes = 20;      // HMAC-SHA1
inline constexpr std::uint32_t stun_magic_cookie = 0x2112a442;
inline constexpr std::uint32_t stun_fingerprint_xor = 0x5354554e;

using stun_transaction_id = std::array<std::uint8_t, 12>;

struct stun_binding_request {
  stun_transaction_id transaction_id{};
  std::optional<std::string> username;  // "<receiver's ufrag>:<sender's ufrag>"
  std::optional<std::uint32_t> priority;
  bool use_candidate = false;
  std::optional<std::uint64_t> ice_controlling;  // the tie-breaker
  std::optional<std::uint64_t> ice_controlled;
  std::optional<std::array<std::uint8_t, stun_integrity_bytes>> integrity;
  std::size_t integrity_offset = 0;  // where the MESSAGE-INTEGRITY attribute starts
  bool fingerprint = false;          // present (and then always verified)
};

// Parses a Binding request. See the contract above for what is refused.
result<stun_binding_request> parse_binding_request(std::span<const std::uint8_t> message);

// Checks a parsed request the way an ICE-lite agent must before it answers (RFC 8445 7.3):
// USERNAME present and starting with "<local_ufrag>:", PRIORITY and FINGERPRINT present, and
// MESSAGE-INTEGRITY present and correct under local_password. `message` must be the bytes
// `request` was parsed from. Fails with errc::refused on wrong credentials or integrity,
// errc::protocol on a missing attribute, and errc::invalid_argument on empty local credentials.
result<void> authenticate_binding_request(std::span<const std::uint8_t> message,
                                          const stun_binding_request& request,
                                          std::string_view local_ufrag,
                                          std::string_view local_password);

// An IP address and port: IPv4 in the first 4 bytes of `ip` when !v6.
struct transport_address {
  std::array<std::uint8_t, 16> ip{};
  bool v6 = false;
  std::uint16_t port = 0;
  bool operator==(const transport_address&) const = default;
};

// A Binding success response (RFC 8489 7.3.1) for `transaction_id`: [SOFTWARE], then
// XOR-MAPPED-ADDRESS holding `mapped` (the request's source), MESSAGE-INTEGRITY under `password`
// and FINGERPRINT. Padding bytes are spaces, as in RFC 5769, so that its vectors come out byte
// for byte. Fails (invalid_argument) on an empty password or a `software` over 763 bytes.
result<bytes> build_binding_success(const stun_transaction_id& transaction_id,
                                    const transport_address& mapped, std::string_view password,
                                    std::string_view software = {});

}  // namespace hotline::voice

#include "voice/srtp_keys.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cassert>
#include <string>

namespace hotline::voice {
namespace {

constexpr std::size_t master_bytes = srtp_master_key_bytes + srtp_master_salt_bytes;

srtp_master master_from(std::span<const std::uint8_t> block) {
  assert(block.size() == master_bytes);
  srtp_master m;
  std::copy_n(block.begin(), srtp_master_key_bytes, m.key.begin());
  std::copy_n(block.begin() + srtp_master_key_bytes, srtp_master_salt_bytes, m.salt.begin());
  return m;
}

}  // namespace

srtp_master::~srtp_master() {
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(salt.data(), salt.size());
}

result<call_srtp_keys> derive_call_keys(const keying_exporter& exporter, std::string_view call_id,
                                        std::string_view self_station,
                                        std::string_view peer_station) {
  if (call_id.empty() || call_id.size() > call_id_bytes_max) {
    return fail(errc::invalid_argument, "call id must be 1 to 64 bytes", "call_id");
  }
  if (self_station.empty() || peer_station.empty() || self_station == peer_station) {
    return fail(errc::invalid_argument, "a call needs two distinct stations", "station");
  }
  if (!exporter) return fail(errc::invalid_argument, "no keying exporter", "exporter");
  std::array<std::uint8_t, 2 * master_bytes> material{};
  const std::span<const std::uint8_t> context(reinterpret_cast<const std::uint8_t*>(call_id.data()),
                                              call_id.size());
  if (auto ok = exporter(srtp_exporter_label, context, material); !ok) {
    OPENSSL_cleanse(material.data(), material.size());
    return std::unexpected(ok.error());
  }
  const std::span<const std::uint8_t> all(material);
  srtp_master first_to_second = master_from(all.first(master_bytes));
  srtp_master second_to_first = master_from(all.subspan(master_bytes));
  OPENSSL_cleanse(material.data(), material.size());
  // Invariant: the two directions never share a key (the exporter output is pseudorandom).
  assert(!(first_to_second == second_to_first));
  const bool self_first = self_station < peer_station;
  call_srtp_keys keys;
  keys.send = self_first ? first_to_second : second_to_first;
  keys.receive = self_first ? second_to_first : first_to_second;
  return keys;
}

keying_exporter tls_exporter(ssl_st* ssl) {
  return [ssl](std::string_view label, std::span<const std::uint8_t> context,
               std::span<std::uint8_t> out) -> result<void> {
    if (ssl == nullptr || !SSL_is_init_finished(ssl) || SSL_version(ssl) != TLS1_3_VERSION) {
      return fail(errc::unavailable, "no established TLS 1.3 session to export keys from");
    }
    const std::string label_text(label);
    if (SSL_export_keying_material(ssl, out.data(), out.size(), label_text.c_str(),
                                   label_text.size(), context.data(), context.size(), 1) != 1) {
      return fail(errc::io, "TLS keying material export failed");
    }
    return {};
  };
}

}  // namespace hotline::voice

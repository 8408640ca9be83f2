#include "station/ids.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/signing.hpp"

namespace hotline::station {

namespace {

std::string uuid_text(std::array<std::uint8_t, 16> b, std::uint8_t version) {
  b[6] = static_cast<std::uint8_t>((version << 4) | (b[6] & 0x0F));
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));  // RFC 9562 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

}  // namespace

std::string uuid_v7(std::int64_t unix_ms, const std::array<std::uint8_t, 10>& r) {
  std::array<std::uint8_t, 16> b{};
  auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  for (std::size_t i = 0; i < 10; ++i) b[6 + i] = r[i];
  return uuid_text(b, 7);
}

std::string keyed_message_id(std::string_view station, std::string_view principal,
                             std::string_view key) {
  std::string input = "hotline-idempotency-key-v1";
  for (std::string_view part : {station, principal, key}) {
    input.push_back('\0');
    input.append(part);
  }
  const signing::digest d = signing::sha256(input);
  std::array<std::uint8_t, 16> b{};
  std::copy_n(d.begin(), b.size(), b.begin());
  return uuid_text(b, 8);
}

std::string new_message_id() {
  std::array<std::uint8_t, 10> r{};
  if (RAND_bytes(r.data(), static_cast<int>(r.size())) != 1) std::abort();  // no entropy: unsafe to go on
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return uuid_v7(std::chrono::duration_cast<std::chrono::milliseconds>(now).count(), r);
}

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) std::abort();
  return v;
}

}  // namespace hotline::station

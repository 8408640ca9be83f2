#include "station/ids.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace hotline::station {

std::string uuid_v7(std::int64_t unix_ms, const std::array<std::uint8_t, 10>& r) {
  std::array<std::uint8_t, 16> b{};
  auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  for (std::size_t i = 0; i < 10; ++i) b[6 + i] = r[i];
  b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));  // RFC 9562 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
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

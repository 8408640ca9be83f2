// Auth: checks an HTTP `Authorization: Bearer <secret>` header against the station's API tokens.
//
// The configuration holds only the SHA-256 of each secret. A presented secret is hashed and its
// hash compared with every configured hash in constant time, and the loop never stops early, so
// the time taken does not reveal which token, or how much of one, matched. Immutable after
// construction; safe to share across threads.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "config/station_config.hpp"

namespace hotline::api {

class authenticator {
 public:
  explicit authenticator(std::vector<config::api_token> tokens);

  // The token the header proves, or nullopt when the header is absent, not a Bearer header, or
  // carries a secret that matches no configured token.
  std::optional<config::api_token> check(std::string_view authorization_header) const;

 private:
  std::vector<config::api_token> tokens_;
};

// The secret in "Bearer <secret>" (scheme case-insensitive, as RFC 7235 says), or nullopt.
std::optional<std::string_view> bearer_secret(std::string_view authorization_header);

}  // namespace hotline::api

#include "api/auth.hpp"

#include <cctype>

#include "config/keys.hpp"

namespace hotline::api {

authenticator::authenticator(std::vector<config::api_token> tokens) : tokens_(std::move(tokens)) {}

std::optional<config::api_token> authenticator::check(std::string_view header) const {
  const auto secret = bearer_secret(header);
  if (!secret || secret->empty()) return std::nullopt;
  const std::string presented = config::sha256_hex(*secret);
  std::optional<config::api_token> found;
  for (const config::api_token& t : tokens_) {
    // Every hash is compared even after a match; see the contract in auth.hpp.
    if (config::equal_constant_time(presented, t.sha256_hex) && !found) found = t;
  }
  return found;
}

std::optional<std::string_view> bearer_secret(std::string_view header) {
  constexpr std::string_view scheme = "bearer";
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) return std::nullopt;
  }
  std::string_view secret = header.substr(scheme.size() + 1);
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
  return secret;
}

}  // namespace hotline::api

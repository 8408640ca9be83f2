#include "api/session_check.hpp"

#include <spdlog/spdlog.h>

#include "api/access.hpp"
#include "api/auth.hpp"
#include "config/keys.hpp"

namespace hotline::api {

bool session_live(const storage::session_view& s, std::int64_t now_ms) {
  const storage::session_record& session = s.session;
  return now_ms < session.expires_at_ms && now_ms - session.last_seen_ms < session.idle_ms &&
         !s.owner.disabled && parse_role(s.owner.role).has_value();
}

result<std::optional<storage::session_view>> find_live_session(storage::accounts& accounts,
                                                               std::string_view id_sha256,
                                                               std::int64_t now_ms) {
  auto found = accounts.find_session(id_sha256);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<storage::session_view>{};
  if (session_live(**found, now_ms)) return found;
  if (auto gone = accounts.delete_session(id_sha256); !gone) {
    spdlog::warn("api: cannot remove an ended session: {}", gone.error().message);
  }
  return std::optional<storage::session_view>{};
}

std::optional<std::string> presented_session_id(const http_request& req) {
  if (!req[http::field::authorization].empty()) return std::nullopt;
  for (auto it = req.find(http::field::cookie);
       it != req.end() && it->name() == http::field::cookie; ++it) {
    if (auto v = cookie_value(it->value(), session_cookie_name); v && !v->empty()) {
      return config::sha256_hex(*v);
    }
  }
  return std::nullopt;
}

std::optional<revocable_credential> presented_revocable_credential(const server_state& state,
                                                                   const http_request& req) {
  if (state.options.accounts == nullptr) return std::nullopt;
  if (auto session = presented_session_id(req)) {
    return revocable_credential{revocable_credential::kind::session, std::move(*session)};
  }
  const auto authorization = req[http::field::authorization];
  const auto secret = bearer_secret(authorization);
  if (!secret || secret->empty() || state.auth.check(authorization)) return std::nullopt;
  return revocable_credential{revocable_credential::kind::stored_token,
                              config::sha256_hex(*secret)};
}

result<bool> credential_live(storage::accounts& accounts, const revocable_credential& c,
                             std::int64_t now_ms) {
  if (c.what == revocable_credential::kind::session) {
    auto live = find_live_session(accounts, c.sha256_hex, now_ms);
    if (!live) return std::unexpected(live.error());
    return live->has_value() && (*live)->owner.clearance == c.clearance;
  }
  auto live = accounts.find_live_token(c.sha256_hex);
  if (!live) return std::unexpected(live.error());
  return live->has_value();
}

}  // namespace hotline::api

// Access: who a request acts as. Roles, the principal (an API token or a signed-in person),
// the CSRF rule for unsafe methods, the session cookie, and the named limits on sessions and
// logins.
//
// Which role may call which route is not decided here: the route table in router.hpp is the one
// place that says so, keyed by route, with no default for paths it does not list.
//
// Pure and thread-safe.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hotline::api {

// Sessions end after this long without a request, and in any case this long after sign-in.
inline constexpr std::int64_t session_idle_timeout_ms = 15 * 60 * 1000;
inline constexpr std::int64_t session_lifetime_ms = 12 * 60 * 60 * 1000;
// A session's last-seen time is written at most this often, so that a console's reads do not
// each cost a synced write. Idle expiry is therefore exact to within this interval.
inline constexpr std::int64_t session_touch_interval_ms = 60 * 1000;
// Signing in again beyond this many open sessions ends the user's oldest one.
inline constexpr std::size_t sessions_per_user_max = 16;

// At most this many login attempts per remote address in each window.
inline constexpr std::size_t login_attempts_per_window_max = 10;
inline constexpr std::int64_t login_window_ms = 60 * 1000;
// Remote addresses tracked at once; beyond this, new addresses wait for old windows to end.
inline constexpr std::size_t login_addresses_tracked_max = 4096;
// This many wrong passwords in a row lock the account for login_lockout_ms.
inline constexpr std::int64_t login_failures_max = 5;
inline constexpr std::int64_t login_lockout_ms = 15 * 60 * 1000;
// Password checks waiting for the hashing thread; more are answered 503 at once.
inline constexpr std::size_t login_checks_pending_max = 32;

inline constexpr std::string_view session_cookie_name = "hotline_session";
inline constexpr std::string_view csrf_header_name = "X-CSRF-Token";

enum class role : std::uint8_t { duty_officer, translator, supervisor, auditor, admin };

// "duty-officer", "translator", "supervisor", "auditor", "admin"; the station config and the
// users table use the same spellings.
std::optional<role> parse_role(std::string_view text);
std::string_view to_string(role r);

// Who a request acts as.
struct principal {
  enum class via { token, session };
  via kind = via::token;
  std::string name;  // the token's name or the user's name
  role who = role::auditor;
  // The highest marking of the station's scheme whose content it may read; "" for the lowest
  // (labels::policy::cleared_for). A session's is read from its user at every request.
  std::string clearance = {};
  std::string language;            // sessions only: "ko", "ru" or "en"
  std::string session_id_sha256;   // sessions only
  std::string csrf_token;          // sessions only
  std::int64_t expires_at_ms = 0;  // sessions only: the absolute end
};

// GET, HEAD and OPTIONS change nothing and need no CSRF token.
bool is_safe_method(boost::beast::http::verb method);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

// The Set-Cookie value that stores `secret` (HttpOnly, SameSite=Strict, Path=/, and Secure
// when `secure`), or, for an empty secret, the one that removes the cookie.
std::string session_cookie(std::string_view secret, bool secure);

}  // namespace hotline::api

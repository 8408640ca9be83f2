#include "api/login_throttle.hpp"

#include <algorithm>
#include <cassert>
#include <functional>

#include "api/access.hpp"
#include "core/limits.hpp"

namespace hotline::api {

void login_throttle::make_room(std::int64_t now_ms) {
  std::erase_if(windows_, [now_ms](const auto& entry) {
    return now_ms - entry.second.start_ms >= login_window_ms;
  });
  if (windows_.size() < login_addresses_tracked_max) return;
  const auto oldest = std::min_element(
      windows_.begin(), windows_.end(),
      [](const auto& a, const auto& b) { return a.second.start_ms < b.second.start_ms; });
  windows_.erase(oldest);
}

login_throttle::verdict login_throttle::admit(const std::string& address, std::int64_t now_ms) {
  auto it = windows_.find(address);
  if (it != windows_.end() && now_ms - it->second.start_ms >= login_window_ms) {
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    if (windows_.size() >= login_addresses_tracked_max) make_room(now_ms);
    it = windows_.emplace(address, window{now_ms, 0, false}).first;
  }
  assert(windows_.size() <= login_addresses_tracked_max);
  window& w = it->second;
  if (w.attempts >= login_attempts_per_window_max) {
    const bool first = !w.refused;
    w.refused = true;
    return {false, std::max<std::int64_t>(1, w.start_ms + login_window_ms - now_ms), first};
  }
  ++w.attempts;
  return {};
}

std::string login_lockouts::key(std::string_view user, std::string_view address) {
  // A user name has no spaces (storage::valid_user_name), so the key is unambiguous.
  std::string k(user);
  k += ' ';
  k += address;
  return k;
}

bool login_lockouts::ended(const pair_state& p, std::int64_t now_ms) {
  if (p.locked_until_ms != 0) return now_ms >= p.locked_until_ms;
  return now_ms - p.last_failure_ms >= login_lockout_ms;
}

void login_lockouts::make_room(std::int64_t now_ms) {
  std::erase_if(pairs_, [now_ms](const auto& entry) { return ended(entry.second, now_ms); });
  if (pairs_.size() < limits::login_lockout_pairs_tracked_max) return;
  // Unlocked pairs go first, oldest failure first; then locked ones, earliest end first.
  const auto victim =
      std::min_element(pairs_.begin(), pairs_.end(), [](const auto& a, const auto& b) {
        const pair_state& x = a.second;
        const pair_state& y = b.second;
        if ((x.locked_until_ms != 0) != (y.locked_until_ms != 0)) return x.locked_until_ms == 0;
        return x.locked_until_ms != 0 ? x.locked_until_ms < y.locked_until_ms
                                      : x.last_failure_ms < y.last_failure_ms;
      });
  pairs_.erase(victim);
}

bool login_lockouts::locked(std::string_view user, std::string_view address,
                            std::string_view password_hash, std::int64_t now_ms) {
  const auto it = pairs_.find(key(user, address));
  if (it == pairs_.end()) return false;
  if (ended(it->second, now_ms) ||
      it->second.password != std::hash<std::string_view>{}(password_hash)) {
    pairs_.erase(it);
    return false;
  }
  return it->second.locked_until_ms != 0;
}

login_lockouts::failure login_lockouts::note_failure(std::string_view user,
                                                     std::string_view address,
                                                     std::string_view password_hash,
                                                     std::int64_t now_ms) {
  const std::size_t password = std::hash<std::string_view>{}(password_hash);
  auto it = pairs_.find(key(user, address));
  if (it != pairs_.end() && (ended(it->second, now_ms) || it->second.password != password)) {
    pairs_.erase(it);
    it = pairs_.end();
  }
  if (it == pairs_.end()) {
    if (pairs_.size() >= limits::login_lockout_pairs_tracked_max) make_room(now_ms);
    it = pairs_.emplace(key(user, address), pair_state{password, 0, now_ms, 0}).first;
  }
  assert(pairs_.size() <= limits::login_lockout_pairs_tracked_max);
  pair_state& p = it->second;
  // Already locked (a caller that did not ask first): the lock runs its course unchanged.
  if (p.locked_until_ms != 0) return {login_failures_max, false};
  p.last_failure_ms = now_ms;
  if (++p.failures < login_failures_max) return {p.failures, false};
  p.failures = 0;
  p.locked_until_ms = now_ms + login_lockout_ms;
  return {login_failures_max, true};
}

void login_lockouts::note_success(std::string_view user, std::string_view address) {
  if (const auto it = pairs_.find(key(user, address)); it != pairs_.end()) pairs_.erase(it);
}

}  // namespace hotline::api

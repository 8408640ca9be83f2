#include "api/login_throttle.hpp"

#include <algorithm>

#include "api/access.hpp"

namespace hotline::api {

void login_throttle::forget_ended(std::int64_t now_ms) {
  std::erase_if(windows_, [now_ms](const auto& entry) {
    return now_ms - entry.second.start_ms >= login_window_ms;
  });
}

login_throttle::verdict login_throttle::admit(const std::string& address, std::int64_t now_ms) {
  auto it = windows_.find(address);
  if (it != windows_.end() && now_ms - it->second.start_ms >= login_window_ms) {
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    if (windows_.size() >= login_addresses_tracked_max) forget_ended(now_ms);
    if (windows_.size() >= login_addresses_tracked_max) {
      // Every tracked window is still open; the oldest ends first.
      std::int64_t oldest = now_ms;
      for (const auto& [addr, w] : windows_) oldest = std::min(oldest, w.start_ms);
      return {false, std::max<std::int64_t>(1, oldest + login_window_ms - now_ms), false};
    }
    it = windows_.emplace(address, window{now_ms, 0, false}).first;
  }
  window& w = it->second;
  if (w.attempts >= login_attempts_per_window_max) {
    const bool first = !w.refused;
    w.refused = true;
    return {false, std::max<std::int64_t>(1, w.start_ms + login_window_ms - now_ms), first};
  }
  ++w.attempts;
  return {};
}

}  // namespace hotline::api

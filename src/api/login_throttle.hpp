// Login throttle: at most login_attempts_per_window_max sign-in attempts per remote address in
// each login_window_ms window (access.hpp), so that guessing passwords from one machine is slow
// even across many user names.
//
// A window opens at an address's first attempt and lasts login_window_ms. At most
// login_addresses_tracked_max addresses are tracked; when that many have open windows, an
// address not yet tracked is refused until one ends, which bounds memory at the cost of
// slowing logins during a flood from many addresses.
//
// Not thread-safe: used on the server's io_context thread. Time comes in as an argument.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace hotline::api {

class login_throttle {
 public:
  struct verdict {
    bool allowed = true;
    std::int64_t retry_after_ms = 0;  // when refused: until the window ends
    bool first_refusal = false;       // the first refusal in this window, worth recording once
  };

  // Counts an attempt from `address` at `now_ms` and says whether it may go ahead.
  verdict admit(const std::string& address, std::int64_t now_ms);

  std::size_t tracked() const { return windows_.size(); }

 private:
  struct window {
    std::int64_t start_ms = 0;
    std::size_t attempts = 0;
    bool refused = false;
  };

  void forget_ended(std::int64_t now_ms);

  std::map<std::string, window, std::less<>> windows_;
};

}  // namespace hotline::api

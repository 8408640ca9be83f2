// Login throttle: what slows down guessing passwords through POST /api/v1/session.
//
// `login_throttle` allows at most login_attempts_per_window_max sign-in attempts per remote
// address in each login_window_ms window (access.hpp), so that guessing from one machine is slow
// even across many user names. A window opens at an address's first attempt and lasts
// login_window_ms.
//
// `login_lockouts` refuses one user's sign-ins *from one address* for login_lockout_ms after
// login_failures_max wrong passwords in a row from there (each within login_lockout_ms of the
// one before). The lock is per (user, address) rather than per user because a lock per user
// hands anyone who can reach the API the power to lock the duty officer out of the station, from
// another machine, with five guesses; on a hotline that is the worse failure. Guessing from many
// addresses at once is still bounded for the whole station, whatever the user: passwords are
// checked one at a time on one thread at about 100 ms each (password_worker.hpp), with at most
// login_checks_pending_max waiting. A lock taken under a password is void once the password
// changes. Refusals of a locked pair look exactly like a wrong password (session_routes.cpp).
//
// Bounded memory: at most login_addresses_tracked_max windows and
// limits::login_lockout_pairs_tracked_max pairs. When a table is full, entries that have ended
// are forgotten first; if none has, the oldest is evicted (for lockouts, the oldest pair not
// locked, before any locked one), so that a newcomer is never refused for want of room. The cost
// is that a flood from many addresses can make the tables forget an old entry early.
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

  // Makes room for one more window: forgets ended ones, or failing that the oldest.
  void make_room(std::int64_t now_ms);

  std::map<std::string, window, std::less<>> windows_;
};

class login_lockouts {
 public:
  // True when `user` may not sign in from `address` at `now_ms`. `password_hash` is the user's
  // stored hash now: a lock taken while it was another is void.
  bool locked(std::string_view user, std::string_view address, std::string_view password_hash,
              std::int64_t now_ms);

  struct failure {
    std::int64_t in_a_row = 0;  // wrong passwords in a row from the address, this one included
    bool locks = false;         // this one locked the pair: the moment worth recording
  };

  // Counts a wrong password for `user` from `address`, which is not locked (see `locked`).
  failure note_failure(std::string_view user, std::string_view address,
                       std::string_view password_hash, std::int64_t now_ms);

  // A right password for `user` from `address`: its count starts again.
  void note_success(std::string_view user, std::string_view address);

  std::size_t tracked() const { return pairs_.size(); }

 private:
  struct pair_state {
    std::size_t password = 0;  // std::hash of the stored password hash the failures were against
    std::int64_t failures = 0;
    std::int64_t last_failure_ms = 0;
    std::int64_t locked_until_ms = 0;  // 0: not locked
  };

  static std::string key(std::string_view user, std::string_view address);
  static bool ended(const pair_state& p, std::int64_t now_ms);
  // Makes room for one more pair: forgets ended ones, or failing that the oldest unlocked one,
  // or failing that the one whose lock ends first.
  void make_room(std::int64_t now_ms);

  std::map<std::string, pair_state, std::less<>> pairs_;
};

}  // namespace hotline::api

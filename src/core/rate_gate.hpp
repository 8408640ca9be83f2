// Rate gate: lets at most `events_max` events through per window of `window_us`, and counts the
// ones it turns away, so that whatever is let through next can say how many were left out.
//
// Used wherever something the peer or the load can trigger costs a disk write or a process: a
// refusal written to the journal, an alarm, an escalation hook. Time is given by the caller
// (monotonic microseconds), so the gate is deterministic under the simulator. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace hotline::core {

class rate_gate {
 public:
  rate_gate(std::size_t events_max, std::int64_t window_us)
      : events_max_(events_max), window_us_(window_us) {}

  // nullopt: turned away (and counted). Otherwise let through, with how many were turned away
  // since the last one let through.
  std::optional<std::size_t> admit(std::int64_t now_us) {
    if (passed_ == 0 || now_us - window_start_us_ >= window_us_) {
      window_start_us_ = now_us;
      passed_ = 0;
    }
    if (passed_ >= events_max_) {
      ++turned_away_;
      return std::nullopt;
    }
    ++passed_;
    return std::exchange(turned_away_, 0);
  }

 private:
  std::size_t events_max_;
  std::int64_t window_us_;
  std::int64_t window_start_us_ = 0;
  std::size_t passed_ = 0;
  std::size_t turned_away_ = 0;
};

}  // namespace hotline::core

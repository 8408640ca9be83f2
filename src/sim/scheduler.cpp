#include "sim/scheduler.hpp"

#include <algorithm>

namespace hotline::sim {

void scheduler::at(std::int64_t when_us, task t) {
  queue_.push(item{std::max(when_us, now_us_), next_order_++, std::move(t)});
}

bool scheduler::step(std::int64_t until_us) {
  if (queue_.empty() || queue_.top().when_us > until_us) {
    now_us_ = std::max(now_us_, until_us);
    return false;
  }
  // Copy out before popping: the task may schedule more events.
  item next = queue_.top();
  queue_.pop();
  now_us_ = next.when_us;
  ++events_run_;
  next.run();
  return true;
}

}  // namespace hotline::sim

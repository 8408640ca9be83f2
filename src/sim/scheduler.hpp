// Scheduler: simulated time and the queue of everything that will happen in it.
//
// Events run in order of (time, insertion counter), so two events at the same microsecond run
// in the order they were scheduled and a run never depends on how a heap breaks ties. Time only
// moves when an event runs. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace hotline::sim {

class scheduler {
 public:
  using task = std::function<void()>;

  std::int64_t now_us() const { return now_us_; }
  std::uint64_t events_run() const { return events_run_; }
  bool empty() const { return queue_.empty(); }

  // Schedules `t` at `when_us`; a time in the past runs at the current time.
  void at(std::int64_t when_us, task t);
  void after(std::int64_t delay_us, task t) { at(now_us_ + delay_us, std::move(t)); }

  // Runs the next event if it is due at or before `until_us` and returns true; otherwise moves
  // time to `until_us` and returns false.
  bool step(std::int64_t until_us);

 private:
  struct item {
    std::int64_t when_us;
    std::uint64_t order;
    task run;
  };
  struct later {
    bool operator()(const item& a, const item& b) const {
      return a.when_us != b.when_us ? a.when_us > b.when_us : a.order > b.order;
    }
  };
  std::priority_queue<item, std::vector<item>, later> queue_;
  std::int64_t now_us_ = 0;
  std::uint64_t next_order_ = 0;
  std::uint64_t events_run_ = 0;
};

}  // namespace hotline::sim

#include "sim/disk.hpp"

namespace hotline::sim {

disk::disk(scheduler& sched, rng& random, std::unique_ptr<storage::store> store)
    : sched_(sched), rng_(random), store_(std::move(store)) {}

void disk::set_latency_us(std::int64_t min_us, std::int64_t max_us) {
  latency_us_min_ = min_us;
  latency_us_max_ = max_us;
}

void disk::submit(core::persist_action action, done_fn done) {
  queue_.push_back({std::move(action), std::move(done)});
  if (!busy_) schedule_next();
}

void disk::read(core::load_action action, read_fn done) {
  const std::uint64_t gen = generation_;
  sched_.after(rng_.between(latency_us_min_, latency_us_max_),
               [this, gen, action = std::move(action), done = std::move(done)] {
                 if (gen != generation_) return;
                 result<std::vector<message>> rows = fail(errc::io, "simulated read error");
                 if (!rng_.chance(failure_chance_)) {
                   rows = store_->queued_after(action.channel, action.prec, action.after_id,
                                               action.messages_max, action.bytes_max);
                   // A real store refusing a read the engine asked for means the engine asked
                   // for something that is not there.
                   if (!rows && store_error_.empty()) store_error_ = rows.error().message;
                 }
                 ++reads_;
                 done(action, std::move(rows));
               });
}

void disk::crash() {
  queue_.clear();
  busy_ = false;
  ++generation_;
}

void disk::schedule_next() {
  busy_ = true;
  std::uint64_t gen = generation_;
  sched_.after(rng_.between(latency_us_min_, latency_us_max_), [this, gen] {
    if (gen == generation_) commit_front();
  });
}

void disk::commit_front() {
  queued q = std::move(queue_.front());
  queue_.pop_front();
  bool ok = !rng_.chance(failure_chance_);
  if (ok) {
    auto r = store_->commit(q.action.records, epoch_ms + sched_.now_us() / 1000);
    if (!r) {
      ok = false;
      if (store_error_.empty()) store_error_ = r.error().message;
    }
  }
  if (ok) {
    ++commits_;
  } else {
    ++failures_;
  }
  std::uint64_t gen = generation_;
  q.done(q.action, ok);
  // The callback may have crashed the station, which already emptied the queue.
  if (gen != generation_) return;
  if (queue_.empty()) {
    busy_ = false;
  } else {
    schedule_next();
  }
}

}  // namespace hotline::sim

#include "sim/disk.hpp"

#include "storage/backup.hpp"

namespace hotline::sim {

disk::disk(scheduler& sched, rng& random, std::unique_ptr<storage::store> store)
    : sched_(sched), rng_(random), store_(std::move(store)) {}

void disk::set_latency_us(std::int64_t min_us, std::int64_t max_us) {
  latency_us_min_ = min_us;
  latency_us_max_ = max_us;
}

// The engine's tokens are unique within one incarnation, and a crash forgets every one queued.
void disk::submit(core::persist_action action, done_fn done) {
  done_[action.token] = std::move(done);
  group_.enqueue(std::move(action), generation_);
  if (!busy_) schedule_next();
}

void disk::read(core::load_action action, read_fn done) {
  delayed_read<std::vector<message>>(
      [this, action] {
        return store_->queued_after(action.channel, action.prec, action.after_id,
                                    action.messages_max, action.bytes_max);
      },
      [action, done = std::move(done)](result<std::vector<message>> rows) {
        done(action, std::move(rows));
      });
}

void disk::read_range(core::range_load_action action, range_fn done) {
  delayed_read<records::range_rows>(
      [this, action] {
        return storage::sequenced_range(*store_, action.channel, action.outbound,
                                        action.from_seq, action.to_seq);
      },
      [action, done = std::move(done)](result<records::range_rows> rows) {
        done(action, std::move(rows));
      });
}

template <class T>
void disk::delayed_read(std::function<result<T>()> query, std::function<void(result<T>)> done) {
  const std::uint64_t gen = generation_;
  sched_.after(rng_.between(latency_us_min_, latency_us_max_),
               [this, gen, query = std::move(query), done = std::move(done)] {
                 if (gen != generation_) return;
                 result<T> rows = fail(errc::io, "simulated read error");
                 if (!rng_.chance(failure_chance_)) {
                   rows = query();
                   // A real store refusing a read the engine asked for means the engine asked
                   // for something that is not there.
                   if (!rows && store_error_.empty()) store_error_ = rows.error().message;
                 }
                 ++reads_;
                 done(std::move(rows));
               });
}

result<void> disk::take_snapshot() {
  auto copy = storage::open_sqlite(":memory:");
  if (!copy) return std::unexpected(copy.error());
  if (auto r = storage::copy_store(*store_, **copy); !r) return r;
  snapshot_ = std::move(*copy);
  return {};
}

result<void> disk::restore_snapshot() {
  if (!snapshot_) return fail(errc::not_found, "no snapshot taken");
  if (!group_.empty()) return fail(errc::conflict, "writes are pending: the station is up");
  return storage::copy_store(*snapshot_, *store_);
}

void disk::crash() {
  group_.clear();
  done_.clear();
  busy_ = false;
  ++generation_;
}

void disk::schedule_next() {
  busy_ = true;
  std::uint64_t gen = generation_;
  sched_.after(rng_.between(latency_us_min_, latency_us_max_), [this, gen] {
    if (gen == generation_) commit_batch();
  });
}

void disk::commit_batch() {
  storage::group_commit::batch b = group_.take(generation_);
  bool ok = !rng_.chance(failure_chance_);
  if (ok) {
    auto r = group_.commit(b, epoch_ms + sched_.now_us() / 1000);
    if (!r) {
      ok = false;
      if (store_error_.empty()) store_error_ = r.error().message;
    }
  }
  if (ok) {
    ++commits_;
    actions_committed_ += b.actions.size();
  } else {
    ++failures_;
  }
  const std::uint64_t gen = generation_;
  for (const auto& action : b.actions) {
    auto done = done_.extract(action.token);
    if (!done.empty()) done.mapped()(action, ok);
    // A callback may have crashed the station: the rest of the batch is on disk (or not, if it
    // failed), and the engine that would hear of it is gone.
    if (gen != generation_) return;
  }
  if (group_.empty()) {
    busy_ = false;
  } else {
    schedule_next();
  }
}

}  // namespace hotline::sim

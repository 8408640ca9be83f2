// Disk: a station's simulated storage, a real store behind simulated latency and faults.
//
// The store (SQLite in memory) is the station's disk: it survives crashes. Persist actions are
// committed through the station's own group commit (storage/group_commit.hpp): after a random
// latency, every action queued by then (up to the batch limit) commits as one transaction, in the
// order submitted, and the callbacks run in that order. A crash discards every action not yet
// committed. With probability `failure_chance` a commit fails instead: the batch is not applied
// and each of its callbacks hears `false`, as after a disk error. Reads of queued
// messages (the engine's load actions) take a random latency too, and fail with the same
// chance. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <string>

#include "core/engine.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "storage/group_commit.hpp"
#include "storage/store.hpp"

namespace hotline::sim {

// Simulated wall clock (UTC ms) at simulated time 0, for the store's timestamps.
inline constexpr std::int64_t epoch_ms = 1'700'000'000'000;

class disk {
 public:
  // Called once the action is committed (`ok`) or refused. The action is passed back so a
  // caller can decide to crash right after a particular commit, before acknowledging it.
  using done_fn = std::function<void(const core::persist_action& action, bool ok)>;

  disk(scheduler& sched, rng& random, std::unique_ptr<storage::store> store);

  storage::store& store() { return *store_; }
  void set_failure_chance(double p) { failure_chance_ = p; }
  void set_latency_us(std::int64_t min_us, std::int64_t max_us);

  void submit(core::persist_action action, done_fn done);

  // Answers a load action (reading queued messages back) after a random latency, apart from the
  // commit queue: a read may see commits submitted after it. It fails with the same chance as a
  // commit. A crash forgets reads in flight; their callbacks never run.
  using read_fn =
      std::function<void(const core::load_action& action, result<std::vector<message>> rows)>;
  void read(core::load_action action, read_fn done);
  std::uint64_t reads() const { return reads_; }
  // Answers a range load (messages by seq: store::inbound_range / outbound_range) the same way.
  using range_fn = std::function<void(const core::range_load_action& action,
                                      result<records::range_rows> rows)>;
  void read_range(core::range_load_action action, range_fn done);

  // Keeps a copy of everything committed so far, as a backup would.
  result<void> take_snapshot();
  bool has_snapshot() const { return snapshot_ != nullptr; }
  // Puts the last snapshot back in place of the store's content, as a restore from that backup
  // would; whatever was committed since is gone. Only while the station is down.
  result<void> restore_snapshot();
  // Forgets every action not yet committed; their callbacks never run.
  void crash();
  bool idle() const { return group_.empty(); }
  // Transactions committed, and the actions they held (more actions than commits: batching).
  std::uint64_t commits() const { return commits_; }
  std::uint64_t actions_committed() const { return actions_committed_; }
  std::uint64_t failures() const { return failures_; }
  // The first error the store itself returned, empty if none. A real store refusing a batch the
  // engine produced means the engine asked for something inconsistent.
  const std::string& store_error() const { return store_error_; }

 private:
  void schedule_next();
  void commit_batch();
  // Runs `query` after a random latency (or fails it with the failure chance) and hands the
  // rows to `done`; forgotten by a crash.
  template <class T>
  void delayed_read(std::function<result<T>()> query, std::function<void(result<T>)> done);

  scheduler& sched_;
  rng& rng_;
  std::unique_ptr<storage::store> store_;
  storage::group_commit group_{*store_};
  std::map<std::uint64_t, done_fn> done_;  // by action token, for what group_ holds
  bool busy_ = false;
  std::uint64_t generation_ = 0;  // bumped by crash(): stale commit events find it changed
  double failure_chance_ = 0;
  std::int64_t latency_us_min_ = 50;
  std::int64_t latency_us_max_ = 5'000;
  std::uint64_t commits_ = 0;
  std::uint64_t actions_committed_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t reads_ = 0;
  std::string store_error_;
  std::unique_ptr<storage::store> snapshot_;
};

}  // namespace hotline::sim

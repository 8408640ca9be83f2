// Group commit: the persist actions an engine issues, committed many to one transaction.
//
// The driver queues each persist action with the generation of the engine that issued it (an
// engine rebuilt from the store starts a new generation), and may attach records of its own to
// an action (an acknowledgement's annotation goes with the answer that carries it). `take` then
// gathers the oldest actions of the current generation, up to `records_max` records, and drops
// actions of older generations, which were never committed and must never be acknowledged.
// `commit` writes a taken batch as one transaction, after `annotate` has had its say (the
// station adds flags and acknowledgements for inbound messages), so a batch commits whole or
// not at all. The station's runtime and the simulator's disk both drive this same code.
//
// Some actions need not be durable at once: a delivered mark, and the peer's receipt that goes
// with it, are handed again by the peer's receipts at every reconnect and checkpoint, and nothing
// waits on their commit. `urgent` says whether anything else is queued, so that a driver may let
// those ride on the next commit, within a bound of its own, instead of paying an fsync for them.
//
// Not thread-safe: one driver thread owns it. The store must outlive it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "core/engine.hpp"
#include "core/limits.hpp"
#include "core/records.hpp"
#include "storage/store.hpp"

namespace hotline::storage {

class group_commit {
 public:
  struct batch {
    std::vector<core::persist_action> actions;  // committed together, or failed together
    std::vector<core::persist_action> stale;    // issued by an older engine: dropped
    std::vector<records::record> records;       // what `commit` writes, in order
  };
  using annotator = std::function<void(std::vector<records::record>&)>;

  // Half the store's limit by default: annotations may add up to one record per record.
  explicit group_commit(store& s,
                        std::size_t records_max = limits::group_commit_records_max / 2);

  void enqueue(core::persist_action action, std::uint64_t generation);
  // Records to commit with the action of `token`, whenever it is taken.
  void attach(std::uint64_t token, std::vector<records::record> records);
  bool empty() const { return queue_.empty(); }
  // Whether any queued action is one that must not wait (see may_wait).
  bool urgent() const { return urgent_ > 0; }
  std::size_t queued() const { return queue_.size(); }

  // The next batch of `generation`'s actions (at least one when any is queued), and every stale
  // action ahead of or among them.
  batch take(std::uint64_t generation);

  // Lets `annotate` add to the batch's records, then commits them as one transaction.
  result<void> commit(batch& b, std::int64_t now_ms, const annotator& annotate = {});

  // Forgets everything queued (a crash): nothing of it was committed.
  void clear();

 private:
  struct queued_action {
    core::persist_action action;
    std::uint64_t generation = 0;
    bool may_wait = false;
  };
  void pop_front();
  store& store_;
  std::size_t records_max_;
  std::deque<queued_action> queue_;
  std::map<std::uint64_t, std::vector<records::record>> attached_;  // by action token
  std::size_t urgent_ = 0;  // queued actions that may not wait
};

// True for an action of delivered marks and matching receipts only: the peer states them again,
// so a crash before their commit loses nothing that is not recovered at the next hello.
bool may_wait(const core::persist_action& action);

}  // namespace hotline::storage

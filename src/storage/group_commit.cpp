#include "storage/group_commit.hpp"

#include <cassert>

namespace hotline::storage {

group_commit::group_commit(store& s, std::size_t records_max)
    : store_(s), records_max_(records_max) {
  assert(records_max_ > 0);
}

bool may_wait(const core::persist_action& action) {
  if (action.records.empty()) return false;
  for (const auto& r : action.records) {
    if (std::holds_alternative<records::delivered>(r)) continue;
    const auto* a = std::get_if<records::attested>(&r);
    if (a == nullptr || !a->mismatch.empty()) return false;  // a mismatch is an alarm: at once
  }
  return true;
}

void group_commit::enqueue(core::persist_action action, std::uint64_t generation) {
  const bool wait = may_wait(action);
  if (!wait) ++urgent_;
  queue_.push_back({std::move(action), generation, wait});
}

void group_commit::pop_front() {
  if (!queue_.front().may_wait) --urgent_;
  queue_.pop_front();
}

void group_commit::attach(std::uint64_t token, std::vector<records::record> records) {
  auto& slot = attached_[token];
  for (auto& r : records) slot.push_back(std::move(r));
}

group_commit::batch group_commit::take(std::uint64_t generation) {
  batch b;
  while (!queue_.empty()) {
    queued_action& q = queue_.front();
    if (q.generation != generation) {
      attached_.erase(q.action.token);
      b.stale.push_back(std::move(q.action));
      pop_front();
      continue;
    }
    const std::size_t extra = attached_.contains(q.action.token)
                                  ? attached_.at(q.action.token).size()
                                  : 0;
    // One action alone may exceed the bound (the engine caps its own batches); more may not.
    if (!b.actions.empty() &&
        b.records.size() + q.action.records.size() + extra > records_max_) {
      break;
    }
    for (const auto& r : q.action.records) b.records.push_back(r);
    if (auto node = attached_.extract(q.action.token); !node.empty()) {
      for (auto& r : node.mapped()) b.records.push_back(std::move(r));
    }
    b.actions.push_back(std::move(q.action));
    pop_front();
  }
  return b;
}

result<void> group_commit::commit(batch& b, std::int64_t now_ms, const annotator& annotate) {
  assert(!b.actions.empty());
  if (annotate) annotate(b.records);
  return store_.commit(b.records, now_ms);
}

void group_commit::clear() {
  queue_.clear();
  attached_.clear();
  urgent_ = 0;
}

}  // namespace hotline::storage

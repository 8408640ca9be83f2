#include "core/watch.hpp"

#include <algorithm>
#include <climits>

namespace hotline::core {
namespace {
constexpr std::int64_t day_ms = 86'400'000;
}

bool form_needs_ack(std::string_view form) {
  return form != form_ack && form != form_link_test_reply;
}

watch::watch(deadline_policy deadlines, std::map<std::string, link_test_policy> link_tests)
    : deadlines_(deadlines), link_tests_(std::move(link_tests)) {}

void watch::track(const tracked& m) {
  if (form_needs_ack(m.form)) pending_[m.id] = m;
}

void watch::acknowledged(const std::string& id) { pending_.erase(id); }

void watch::escalated(const std::string& id) { pending_.erase(id); }

void watch::link_test_sent(const std::string& channel, std::int64_t at_ms) {
  auto& last = last_link_test_[channel];
  last = std::max(last, at_ms);
  next_link_test_.erase(channel);
}

std::int64_t watch::deadline_of(const tracked& m) const {
  // A link test is answered by a person within the agreement's window, not by precedence.
  if (m.form == form_link_test) {
    auto it = link_tests_.find(m.channel);
    if (it != link_tests_.end()) return m.created_at_ms + it->second.answer_within_ms;
  }
  return m.created_at_ms + deadlines_.ack_within_ms[static_cast<std::size_t>(m.prec)];
}

std::int64_t watch::next_slot_after(const link_test_policy& p, std::int64_t after_ms) const {
  std::int64_t best = LLONG_MAX;
  if (p.every_ms > 0) best = (after_ms / p.every_ms + 1) * p.every_ms;
  std::int64_t day = after_ms / day_ms * day_ms;
  for (int minutes : p.at_minutes_utc) {
    std::int64_t slot = day + std::int64_t{minutes} * 60'000;
    if (slot <= after_ms) slot += day_ms;
    best = std::min(best, slot);
  }
  return best;
}

std::optional<std::int64_t> watch::next_link_test_ms(const std::string& channel) const {
  auto it = next_link_test_.find(channel);
  if (it != next_link_test_.end()) return it->second;
  return std::nullopt;
}

watch_due watch::tick(std::int64_t now_ms) {
  watch_due due;
  for (auto it = pending_.begin(); it != pending_.end();) {
    std::int64_t deadline = deadline_of(it->second);
    if (deadline > now_ms) {
      ++it;
      continue;
    }
    bool missed = it->second.form == form_link_test && it->second.outbound;
    due.escalations.push_back({it->second, deadline, missed});
    it = pending_.erase(it);
  }
  for (const auto& [channel, policy] : link_tests_) {
    if (policy.every_ms <= 0 && policy.at_minutes_utc.empty()) continue;
    auto next = next_link_test_.find(channel);
    if (next == next_link_test_.end()) {
      // The first slot after the last test sent, or after now on a fresh station: a station
      // that was down during a slot does not send a late test for it.
      auto last = last_link_test_.find(channel);
      std::int64_t from = last == last_link_test_.end() ? now_ms : std::max(last->second, now_ms - 1);
      next = next_link_test_.emplace(channel, next_slot_after(policy, from)).first;
    }
    if (next->second <= now_ms) {
      due.link_tests_to_send.push_back(channel);
      last_link_test_[channel] = now_ms;
      next->second = next_slot_after(policy, now_ms);
    }
  }
  return due;
}

std::int64_t watch::next_wakeup_ms() const {
  std::int64_t t = LLONG_MAX;
  for (const auto& [id, m] : pending_) t = std::min(t, deadline_of(m));
  for (const auto& [channel, at] : next_link_test_) t = std::min(t, at);
  return t;
}

}  // namespace hotline::core

#include "sim/checker.hpp"

#include <array>
#include <set>

#include "core/limits.hpp"
#include "storage/journal_verify.hpp"

namespace hotline::sim {
namespace {

constexpr std::uint64_t seq_check_max = 1'000'000'000;

result<void> broken(std::string what) { return fail(errc::corrupt, std::move(what)); }

const core::channel_status* find_status(const std::vector<core::channel_status>& all,
                                        const std::string& channel) {
  for (const auto& s : all) {
    if (s.channel == channel) return &s;
  }
  return nullptr;
}

// The receiver's inbox on `channel`: contiguous from seq 1, each message posted by the sender
// exactly as it left, at the seq the sender gave it, and messages of one precedence in the order
// they were posted (flash may overtake routine, never one routine message another).
result<void> check_inbox(station& from, station& to, const std::string& channel,
                         const std::vector<storage::stored_message>& inbox) {
  std::set<std::string> seen;
  std::array<std::uint64_t, precedence_count> last_posted{};  // by precedence: post order
  for (std::size_t i = 0; i < inbox.size(); ++i) {
    const message& m = inbox[i].msg;
    std::string where = to.id() + " inbox " + channel + " seq " + std::to_string(m.seq);
    if (m.seq != i + 1) return broken(where + ": expected seq " + std::to_string(i + 1));
    if (!seen.insert(m.id).second) return broken(where + ": duplicate of " + m.id);
    auto posted = from.posted().find(m.id);
    if (posted == from.posted().end()) return broken(where + ": " + m.id + " was never posted");
    const message& p = posted->second;
    if (m.channel != channel || m.from != from.id() || m.body != p.body || m.prec != p.prec ||
        m.created_at_ms != p.created_at_ms) {
      return broken(where + ": " + m.id + " differs from what was posted");
    }
    const std::uint64_t order = from.post_order().at(m.id);
    std::uint64_t& last = last_posted[static_cast<std::size_t>(m.prec)];
    if (order < last) {
      return broken(where + ": " + m.id + " overtook an earlier " + std::string(to_string(m.prec)) +
                    " post");
    }
    last = order;
    auto out = from.storage().store().get(m.id);
    if (!out) return broken("get(" + m.id + ") at " + from.id() + ": " + out.error().message);
    if (!*out || (*out)->direction != storage::box::out || (*out)->msg.seq != m.seq) {
      return broken(where + ": " + m.id + " has another seq in " + from.id() + "'s outbox");
    }
  }
  for (const auto& id : from.acknowledged()) {
    if (from.posted().at(id).channel == channel && !seen.count(id)) {
      return broken("acknowledged post " + id + " never reached " + to.id());
    }
  }
  return {};
}

result<void> check_outbox(station& from, const std::string& channel, std::size_t delivered) {
  storage::list_query q;
  q.channel = channel;
  q.direction = storage::box::out;
  q.limit = limits::list_limit_max;
  auto out = from.storage().store().list(q);
  if (!out) return broken("list at " + from.id() + ": " + out.error().message);
  if (out->size() >= limits::list_limit_max) return broken("too many messages to check");
  if (out->size() != delivered) {
    return broken(from.id() + " outbox " + channel + " holds " + std::to_string(out->size()) +
                  " messages, the peer " + std::to_string(delivered));
  }
  for (const auto& m : *out) {
    if (m.status != storage::delivery_status::delivered) {
      return broken(from.id() + " outbox: " + m.msg.id + " not marked delivered");
    }
  }
  return {};
}

result<void> check_status(station& from, station& to, const std::string& channel, std::size_t n) {
  const auto* se = from.engine();
  const auto* re = to.engine();
  if (!se || !re) return broken("a station is down after healing");
  auto sender = se->status(0);
  auto receiver = re->status(0);
  const auto* s = find_status(sender, channel);
  const auto* r = find_status(receiver, channel);
  if (!s || !r) return broken("channel " + channel + " missing from an engine's status");
  if (s->queued != 0 || s->unacked != 0 || s->out_acked != n || s->out_next_seq != n + 1) {
    return broken(from.id() + " status for " + channel + " (acked " + std::to_string(s->out_acked) +
                  ", next " + std::to_string(s->out_next_seq) +
                  ") disagrees with the peer's disk (" + std::to_string(n) + " messages)");
  }
  if (r->in_next_expected != n + 1) {
    return broken(to.id() + " expects seq " + std::to_string(r->in_next_expected) + " on " +
                  channel + " but holds " + std::to_string(n));
  }
  return {};
}

}  // namespace

result<void> check_direction(station& from, station& to) {
  for (const auto& channel : from.setup().channels) {
    auto inbox = to.storage().store().inbound_range(channel, 1, seq_check_max);
    if (!inbox) return broken("inbound_range at " + to.id() + ": " + inbox.error().message);
    if (auto r = check_inbox(from, to, channel, *inbox); !r) return r;
    if (auto r = check_outbox(from, channel, inbox->size()); !r) return r;
    if (auto r = check_status(from, to, channel, inbox->size()); !r) return r;
  }
  return {};
}

result<void> check_journal(station& s) {
  storage::journal_keys keys = s.setup().journal_keys();
  auto report = storage::verify_journal(s.storage().store(), keys);
  if (!report) return broken(s.id() + "'s journal cannot be read: " + report.error().message);
  if (!report->ok()) {
    return broken(s.id() + "'s journal fails verification at entry #" +
                  std::to_string(report->first_bad->seq) + ": " + report->first_bad->what);
  }
  if (report->messages == 0 && report->entries == 0) return broken(s.id() + " has an empty journal");
  return {};
}

bool station_quiet(station& s) {
  const auto* e = s.engine();
  if (!e || !s.storage().idle()) return false;
  for (const auto& c : e->status(0)) {
    if (c.queued != 0 || c.unacked != 0 || c.reclaiming || c.refilling) return false;
  }
  return true;
}

}  // namespace hotline::sim

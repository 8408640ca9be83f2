// Watch: deadlines and link tests, the part of a hotline that is about people answering.
//
// Every message that needs a person's acknowledgement (both what this station sent and what it
// received) is tracked with the deadline of its precedence. A message not acknowledged by its
// deadline escalates once. Link tests are sent on the agreement's schedule; a test not answered
// within its window is a missed test, which escalates too.
//
// Sans-I/O: time (UTC ms) comes in with each call; `tick` returns what is due. The station
// persists escalations and sends link tests; after a restart it tracks again what the store
// holds. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace hotline::core {

// Forms that are themselves answers and need no acknowledgement.
inline constexpr std::string_view form_ack = "ACK";
inline constexpr std::string_view form_link_test = "LINK-TEST";
inline constexpr std::string_view form_link_test_reply = "LINK-TEST-REPLY";
bool form_needs_ack(std::string_view form);

struct deadline_policy {
  // Allied handling times (ACP 121): flash 10 min, immediate 30 min, priority 3 h, routine 6 h.
  std::array<std::int64_t, precedence_count> ack_within_ms{10 * 60'000, 30 * 60'000,
                                                           3 * 3'600'000, 6 * 3'600'000};
};

struct link_test_policy {
  // Times of day, in minutes after midnight UTC; e.g. 09:00 and 16:00 Asia/Seoul are 0 and 420.
  std::vector<int> at_minutes_utc;
  std::int64_t every_ms = 0;  // or a fixed interval (0: none)
  std::int64_t answer_within_ms = 10 * 60'000;
};

struct tracked {
  std::string id;
  std::string channel;
  bool outbound = true;
  precedence prec = precedence::routine;
  std::string form;
  std::int64_t created_at_ms = 0;
};

struct escalation {
  tracked msg;
  std::int64_t deadline_ms = 0;
  bool missed_link_test = false;
};

struct watch_due {
  std::vector<escalation> escalations;
  std::vector<std::string> link_tests_to_send;  // channels
};

class watch {
 public:
  watch(deadline_policy deadlines, std::map<std::string, link_test_policy> link_tests);

  // Starts tracking a message that needs acknowledging (ignored for forms that do not).
  void track(const tracked& m);
  void acknowledged(const std::string& id);
  // Forgets a message that already escalated (restored from the store after a restart).
  void escalated(const std::string& id);
  // The last link test sent on `channel`, so a restart does not send a second one for a slot.
  void link_test_sent(const std::string& channel, std::int64_t at_ms);

  watch_due tick(std::int64_t now_ms);
  std::int64_t next_wakeup_ms() const;
  std::int64_t deadline_of(const tracked& m) const;
  std::optional<std::int64_t> next_link_test_ms(const std::string& channel) const;
  std::size_t pending() const { return pending_.size(); }
  // Messages awaiting an answer (and not yet escalated), by channel: sent ones when `outbound`,
  // received ones otherwise.
  std::map<std::string, std::size_t> pending_by_channel(bool outbound) const {
    std::map<std::string, std::size_t> out;
    for (const auto& [id, m] : pending_) {
      if (m.outbound == outbound) ++out[m.channel];
    }
    return out;
  }

 private:
  std::int64_t next_slot_after(const link_test_policy& p, std::int64_t after_ms) const;

  deadline_policy deadlines_;
  std::map<std::string, link_test_policy> link_tests_;
  std::map<std::string, tracked> pending_;               // id -> message awaiting an answer
  std::map<std::string, std::int64_t> last_link_test_;   // channel -> last sent (UTC ms)
  std::map<std::string, std::int64_t> next_link_test_;   // channel -> next due (UTC ms)
};

}  // namespace hotline::core

// Engine pair: two engines wired back to back for the engine tests.
//
// Bytes move instantly and in order, persists commit at once into a plain vector ("the disk"),
// loads (reads of queued messages) are answered at once from it, and time moves only when a test
// says so. A test can mute one direction, hold persists or loads, or fail them, to reach the
// branches it is about. Single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/engine.hpp"

namespace hotline::test {

inline constexpr const char* station_a = "rok-fleet";
inline constexpr const char* station_b = "ru-pacific";
inline constexpr const char* path_fibre = "fibre";
inline constexpr const char* path_satcom = "satcom";

inline core::engine_config pair_config(const std::string& self, const std::string& peer,
                                       std::uint64_t boot_id) {
  core::engine_config c;
  c.station = self;
  c.agreement_hash.fill(0x42);
  c.boot_id = boot_id;
  c.seed = boot_id * 31 + 7;
  c.channel_peer = {{"navy", peer}};
  c.peers = {{peer, {path_fibre}}};
  c.dial = false;  // the tests connect by hand
  return c;
}

struct side {
  std::unique_ptr<core::engine> eng;
  std::vector<records::record> disk;
  std::vector<core::event> events;
  std::vector<core::close_action> closes;
  std::vector<core::dial_action> dials;
  std::vector<std::uint64_t> ok_tokens;
  bool hold_persists = false;
  std::vector<core::persist_action> held;
  bool muted = false;  // bytes this side sends are lost
  bool hold_loads = false;
  bool fail_loads = false;
  std::vector<core::load_action> held_loads;
  std::size_t loads = 0;  // load actions answered

  // What the store's queued_after() would answer: queued (posted, not sequenced) messages of
  // `l.prec` on `l.channel`, in post order, after message `l.after_id`.
  std::vector<message> queued_after(const core::load_action& l) const {
    std::vector<message> posts;  // in post order
    std::set<std::string> sequenced;
    for (const auto& r : disk) {
      if (const auto* p = std::get_if<records::posted>(&r); p && p->msg.seq == 0) {
        posts.push_back(p->msg);
      } else if (const auto* q = std::get_if<records::sequenced>(&r)) {
        sequenced.insert(q->id);
      }
    }
    std::size_t start = 0;
    for (std::size_t i = 0; i < posts.size() && !l.after_id.empty(); ++i) {
      if (posts[i].id == l.after_id) start = i + 1;
    }
    std::vector<message> out;
    std::size_t bytes = 0;
    for (std::size_t i = start; i < posts.size() && out.size() < l.messages_max; ++i) {
      const message& m = posts[i];
      if (m.channel != l.channel || m.prec != l.prec || sequenced.contains(m.id)) continue;
      if (!out.empty() && bytes + message_weight_bytes(m) > l.bytes_max) break;
      bytes += message_weight_bytes(m);
      out.push_back(m);
    }
    return out;
  }

  std::vector<message> inbox() const {
    std::vector<message> out;
    for (const auto& r : disk) {
      if (const auto* rec = std::get_if<records::received>(&r)) out.push_back(rec->msg);
    }
    return out;
  }
  std::size_t count_events(core::event_kind k) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == k;
    return n;
  }
};

class engine_pair {
 public:
  engine_pair()
      : engine_pair(pair_config(station_a, station_b, 1), pair_config(station_b, station_a, 2)) {}
  engine_pair(core::engine_config a, core::engine_config b) {
    sides_[0].eng = std::make_unique<core::engine>(std::move(a));
    sides_[1].eng = std::make_unique<core::engine>(std::move(b));
  }

  side& a() { return sides_[0]; }
  side& b() { return sides_[1]; }
  std::int64_t now_us() const { return now_us_; }

  // Opens a connection dialed by side `dialer` (0 = A, 1 = B); returns the wire's index.
  std::size_t connect(int dialer, const std::string& path = path_fibre) {
    side& d = sides_[dialer];
    side& l = sides_[1 - dialer];
    core::conn_id dc = d.eng->on_connected(now_us_, core::direction::outbound,
                                           l.eng->config().station, path);
    core::conn_id lc =
        l.eng->on_connected(now_us_, core::direction::inbound, d.eng->config().station, "");
    wires_.push_back({{dc, lc}, dialer, true});
    settle();
    return wires_.size() - 1;
  }

  std::size_t open_wires() const {
    std::size_t n = 0;
    for (const auto& w : wires_) n += w.open;
    return n;
  }
  bool wire_open(std::size_t i) const { return wires_.at(i).open; }
  // The connection id side `s` (0 = A, 1 = B) knows wire `i` by.
  core::conn_id conn_of(int s, std::size_t i) const { return conn_at(wires_.at(i), s); }

  // Cuts every open wire, as a broken cable would: both ends hear a disconnect.
  void cut() {
    for (std::size_t i = 0; i < wires_.size(); ++i) cut(i);
  }
  // Cuts one wire.
  void cut(std::size_t i) {
    auto& w = wires_.at(i);
    if (!w.open) return;
    w.open = false;
    for (int s = 0; s < 2; ++s) sides_[s].eng->on_disconnected(now_us_, conn_at(w, s), "cut");
    settle();
  }

  // Delivers every output until both engines are quiet.
  void settle() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      for (int s = 0; s < 2; ++s) moved = route(s) || moved;
      if (!moved) return;
    }
    ADD_FAILURE() << "engines never went quiet";
  }

  // Moves time forward to `until_us`, ticking each engine whenever it asks to be woken.
  void run_until(std::int64_t until_us) {
    while (true) {
      std::int64_t wake = std::min(a().eng->next_wakeup_us(), b().eng->next_wakeup_us());
      if (wake > until_us) break;
      now_us_ = std::max(now_us_, wake);
      for (auto& s : sides_) {
        if (s.eng->next_wakeup_us() <= now_us_) s.eng->on_tick(now_us_);
      }
      settle();
      ASSERT_GT(std::min(a().eng->next_wakeup_us(), b().eng->next_wakeup_us()), now_us_)
          << "an engine asks to be woken in the past after a tick";
    }
    now_us_ = until_us;
  }

  // Answers every held load of side `s`, or fails them.
  void complete_held_loads(int s, bool ok = true) {
    side& sd = sides_[s];
    auto held = std::move(sd.held_loads);
    sd.held_loads.clear();
    for (auto& l : held) answer(sd, l, ok);
    settle();
  }

  void complete_held(int s, bool ok) {
    side& sd = sides_[s];
    auto held = std::move(sd.held);
    sd.held.clear();
    for (auto& p : held) commit(sd, p, ok);
    settle();
  }

 private:
  struct wire_state {
    std::array<core::conn_id, 2> conn;  // by dialer-relative index: [dialer, listener]
    int dialer = 0;
    bool open = true;
  };
  static core::conn_id conn_at(const wire_state& w, int s) {
    return s == w.dialer ? w.conn[0] : w.conn[1];
  }
  wire_state* find_wire(int s, core::conn_id c) {
    for (auto& w : wires_) {
      if (w.open && conn_at(w, s) == c) return &w;
    }
    return nullptr;
  }

  void answer(side& sd, const core::load_action& l, bool ok) {
    ++sd.loads;
    if (!ok) {
      sd.eng->on_loaded(now_us_, l.token, fail(errc::io, "read failed"));
      return;
    }
    sd.eng->on_loaded(now_us_, l.token, sd.queued_after(l));
  }

  void commit(side& sd, const core::persist_action& p, bool ok) {
    if (ok) {
      sd.disk.insert(sd.disk.end(), p.records.begin(), p.records.end());
      sd.ok_tokens.push_back(p.token);
    }
    sd.eng->on_persisted(now_us_, p.token, ok);
  }

  bool route(int s) {
    side& sd = sides_[s];
    side& other = sides_[1 - s];
    core::effects e = sd.eng->take();
    if (e.empty()) return false;
    for (auto& send : e.sends) {
      wire_state* w = find_wire(s, send.conn);
      if (w && !sd.muted) other.eng->on_bytes(now_us_, conn_at(*w, 1 - s), send.bytes);
    }
    for (auto& c : e.closes) {
      sd.closes.push_back(c);
      if (wire_state* w = find_wire(s, c.conn)) {
        w->open = false;
        other.eng->on_disconnected(now_us_, conn_at(*w, 1 - s), "closed by peer");
      }
    }
    sd.dials.insert(sd.dials.end(), e.dials.begin(), e.dials.end());
    sd.events.insert(sd.events.end(), e.events.begin(), e.events.end());
    for (auto& p : e.persists) {
      if (sd.hold_persists) {
        sd.held.push_back(std::move(p));
      } else {
        commit(sd, p, true);
      }
    }
    for (auto& l : e.loads) {
      if (sd.hold_loads) {
        sd.held_loads.push_back(std::move(l));
      } else {
        answer(sd, l, !sd.fail_loads);
      }
    }
    return true;
  }

  std::array<side, 2> sides_;
  std::vector<wire_state> wires_;
  std::int64_t now_us_ = 1'000'000;
};

}  // namespace hotline::test

// Network: the simulated links between the two stations.
//
// A connection is a pair of ends, one per station. Bytes sent on an end are cut into frames (the
// wire's 4-byte length prefix) and each frame arrives at the other end after a random delay, in
// order unless a fault says otherwise. Faults are drawn per frame: loss, duplication and
// reordering, all harsher than TCP. A partition fails every dial and drops every frame; a reset
// breaks one connection and tells both ends. Which station is up, and which engine incarnation
// owns an end, is asked of the station, so nothing reaches an engine that has since crashed.
// Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/engine.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

namespace hotline::sim {

class station;

struct link_faults {
  double loss = 0;
  double duplicate = 0;
  double reorder = 0;
  std::int64_t delay_us_min = 200;
  std::int64_t delay_us_max = 300'000;
};

class network {
 public:
  network(scheduler& sched, rng& random, trace& tr);

  // Stations by index (0 = A, 1 = B). They must outlive the network's events.
  void attach(station& a, station& b);
  void set_faults(const link_faults& f) { faults_ = f; }
  void set_partitioned(bool p) { partitioned_ = p; }
  bool partitioned() const { return partitioned_; }

  // Requests from the engine incarnation now running at station `from`.
  void dial(int from, const core::dial_action& d);
  void send(int from, core::conn_id conn, const wire::bytes& bytes);
  void close(int from, core::conn_id conn);

  // Station `s` crashed: its ends vanish and the peer hears a disconnect.
  void station_crashed(int s);
  // Breaks one open connection chosen at random; both ends hear a disconnect.
  void reset_random();
  std::size_t open_connections() const;
  std::uint64_t frames_sent() const { return frames_sent_; }

 private:
  struct end_state {
    core::conn_id conn = 0;
    std::uint64_t incarnation = 0;
    bool open = true;
    std::int64_t last_arrival_us = 0;  // in-order delivery: nothing arrives before this
  };
  struct connection {
    std::array<end_state, 2> ends;  // by station index
    bool broken = false;            // reset: nothing more is delivered either way
  };

  std::size_t find(int s, core::conn_id conn) const;  // index in conns_, or npos
  bool end_alive(const connection& c, int s) const;
  void connect(int from, const core::dial_action& d);
  void send_frame(std::size_t ci, int to, wire::bytes frame);
  void deliver(std::size_t ci, int to, const wire::bytes& frame);
  void notify_disconnect(std::size_t ci, int s, std::int64_t when_us, const std::string& why);
  std::int64_t delay_us();

  scheduler& sched_;
  rng& rng_;
  trace& trace_;
  std::array<station*, 2> stations_{};
  std::vector<connection> conns_;
  std::map<std::tuple<int, std::uint64_t, core::conn_id>, std::size_t> index_;  // end -> conns_
  link_faults faults_;
  bool partitioned_ = false;
  std::uint64_t frames_sent_ = 0;
};

}  // namespace hotline::sim

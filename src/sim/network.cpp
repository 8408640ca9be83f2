#include "sim/network.hpp"

#include <algorithm>
#include <cassert>

#include "sim/station.hpp"

namespace hotline::sim {

namespace {
constexpr std::size_t npos = static_cast<std::size_t>(-1);
}

network::network(scheduler& sched, rng& random, trace& tr)
    : sched_(sched), rng_(random), trace_(tr) {}

void network::attach(station& a, station& b) { stations_ = {&a, &b}; }

std::int64_t network::delay_us() {
  return rng_.between(faults_.delay_us_min, faults_.delay_us_max);
}

std::size_t network::find(int s, core::conn_id conn) const {
  auto it = index_.find({s, stations_[s]->incarnation(), conn});
  if (it == index_.end() || !conns_[it->second].ends[s].open) return npos;
  return it->second;
}

bool network::end_alive(const connection& c, int s) const {
  const end_state& e = c.ends[s];
  return e.open && stations_[s]->up() && stations_[s]->incarnation() == e.incarnation;
}

void network::dial(int from, const core::dial_action& d) {
  std::uint64_t inc = stations_[from]->incarnation();
  sched_.after(rng_.between(1'000, 30'000), [this, from, d, inc] {
    station& dialer = *stations_[from];
    // A dial made by an engine that has since crashed has no one left to answer to.
    if (!dialer.up() || dialer.incarnation() != inc) return;
    int to = 1 - from;
    if (partitioned_ || !stations_[to]->up()) {
      trace_.mix(std::string_view("dial failed"));
      dialer.dial_failed(d.peer, d.path);
      return;
    }
    connect(from, d);
  });
}

void network::connect(int from, const core::dial_action& d) {
  int to = 1 - from;
  station& dialer = *stations_[from];
  station& listener = *stations_[to];
  assert(d.peer == listener.id());
  connection c;
  c.ends[from] = {dialer.open_conn(core::direction::outbound, d.peer, d.path), dialer.incarnation(),
                  true, 0};
  c.ends[to] = {listener.open_conn(core::direction::inbound, dialer.id(), ""),
                listener.incarnation(), true, 0};
  std::size_t ci = conns_.size();
  conns_.push_back(c);
  for (int s : {from, to}) index_[{s, c.ends[s].incarnation, c.ends[s].conn}] = ci;
  trace_.mix(std::string_view("connected"));
  trace_.mix(ci);
  // Both ends are registered before either engine's hello goes out.
  dialer.drain();
  listener.drain();
}

void network::send(int from, core::conn_id conn, const wire::bytes& bytes) {
  std::size_t ci = find(from, conn);
  if (ci == npos) return;
  // The engine hands over whole frames; cut them apart so faults strike frame by frame.
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    assert(bytes.size() - pos >= 4);
    std::size_t length = (std::size_t{bytes[pos]} << 24) | (std::size_t{bytes[pos + 1]} << 16) |
                         (std::size_t{bytes[pos + 2]} << 8) | std::size_t{bytes[pos + 3]};
    assert(bytes.size() - pos >= 4 + length);
    auto first = bytes.begin() + static_cast<std::ptrdiff_t>(pos);
    send_frame(ci, 1 - from, wire::bytes(first, first + static_cast<std::ptrdiff_t>(4 + length)));
    pos += 4 + length;
  }
}

void network::send_frame(std::size_t ci, int to, wire::bytes frame) {
  ++frames_sent_;
  if (partitioned_ || rng_.chance(faults_.loss)) return;
  int copies = rng_.chance(faults_.duplicate) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    end_state& dest = conns_[ci].ends[to];
    std::int64_t arrival = sched_.now_us() + delay_us();
    // A reordered frame keeps its own random arrival time and may pass frames sent before it.
    if (!rng_.chance(faults_.reorder)) {
      arrival = std::max(arrival, dest.last_arrival_us);
      dest.last_arrival_us = arrival;
    }
    sched_.at(arrival, [this, ci, to, frame] { deliver(ci, to, frame); });
  }
}

void network::deliver(std::size_t ci, int to, const wire::bytes& frame) {
  const connection& c = conns_[ci];
  if (c.broken || partitioned_ || !end_alive(c, to)) return;
  trace_.mix(sched_.now_us());
  trace_.mix(frame);
  stations_[to]->bytes_arrived(c.ends[to].conn, frame);
}

void network::close(int from, core::conn_id conn) {
  std::size_t ci = find(from, conn);
  if (ci == npos) return;
  connection& c = conns_[ci];
  c.ends[from].open = false;
  int other = 1 - from;
  // The peer hears the close after every frame sent before it, as with a TCP FIN.
  std::int64_t when = std::max(sched_.now_us() + delay_us(), c.ends[other].last_arrival_us) + 1;
  notify_disconnect(ci, other, when, "closed by peer");
}

void network::notify_disconnect(std::size_t ci, int s, std::int64_t when_us,
                                const std::string& why) {
  sched_.at(when_us, [this, ci, s, why] {
    connection& c = conns_[ci];
    if (!end_alive(c, s)) return;
    c.ends[s].open = false;
    trace_.mix(why);
    stations_[s]->disconnected(c.ends[s].conn, why);
  });
}

void network::station_crashed(int s) {
  for (std::size_t ci = 0; ci < conns_.size(); ++ci) {
    connection& c = conns_[ci];
    if (!c.ends[s].open || c.ends[s].incarnation != stations_[s]->incarnation()) continue;
    c.ends[s].open = false;
    c.broken = true;
    notify_disconnect(ci, 1 - s, sched_.now_us() + delay_us(), "peer crashed");
  }
}

void network::reset_random() {
  std::vector<std::size_t> candidates;
  for (std::size_t ci = 0; ci < conns_.size(); ++ci) {
    const connection& c = conns_[ci];
    if (!c.broken && (end_alive(c, 0) || end_alive(c, 1))) candidates.push_back(ci);
  }
  if (candidates.empty()) return;
  std::size_t ci = candidates[rng_.below(candidates.size())];
  conns_[ci].broken = true;
  for (int s : {0, 1}) notify_disconnect(ci, s, sched_.now_us() + rng_.between(0, 5'000), "reset");
}

std::size_t network::open_connections() const {
  return static_cast<std::size_t>(std::count_if(conns_.begin(), conns_.end(), [&](const auto& c) {
    return !c.broken && end_alive(c, 0) && end_alive(c, 1);
  }));
}

}  // namespace hotline::sim

#include "core/send_queue.hpp"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace hotline::core {

send_queue::send_queue(std::string channel, queue_memory bounds)
    : channel_(std::move(channel)), bounds_(bounds) {
  assert(bounds_.messages_max >= 1);
}

void send_queue::restore(const std::vector<message>& held,
                         const std::array<std::uint64_t, precedence_count>& on_disk_total) {
  for (auto& q : held_) q.clear();
  held_bytes_.fill(0);
  on_disk_.fill(0);
  frontier_.fill({});
  popped_last_.fill({});
  load_in_flight_ = 0;
  for (const auto& m : held) {
    // Invariant: the store hands back queued messages of this channel only.
    assert(m.seq == 0 && m.channel == channel_);
    hold(m);
  }
  for (std::size_t p = 0; p < precedence_count; ++p) {
    // Invariant: the store counted the messages it returned.
    assert(on_disk_total[p] >= held_[p].size());
    const auto total = static_cast<std::size_t>(on_disk_total[p]);
    on_disk_[p] = total > held_[p].size() ? total - held_[p].size() : 0;
  }
  trim();
}

std::size_t send_queue::size() const {
  return held() + std::accumulate(on_disk_.begin(), on_disk_.end(), std::size_t{0});
}

std::size_t send_queue::held() const {
  std::size_t n = 0;
  for (const auto& q : held_) n += q.size();
  return n;
}

std::size_t send_queue::held_bytes() const {
  return std::accumulate(held_bytes_.begin(), held_bytes_.end(), std::size_t{0});
}

bool send_queue::would_hold(precedence p) const {
  if (on_disk_[index(p)] > 0) return false;
  std::size_t urgent = 0;
  for (std::size_t k = 0; k <= index(p); ++k) urgent += held_[k].size();
  return urgent < bounds_.messages_max;
}

void send_queue::hold(message m) {
  const std::size_t p = index(m.prec);
  held_bytes_[p] += message_weight_bytes(m);
  frontier_[p] = m.id;
  held_[p].push_back(std::move(m));
}

void send_queue::push(message m) {
  assert(m.seq == 0 && m.channel == channel_);
  const std::size_t p = index(m.prec);
  // Behind messages already on disk it must wait on disk too, or it would leave before them.
  if (on_disk_[p] > 0) {
    ++on_disk_[p];
    return;
  }
  hold(std::move(m));
  trim();
}

void send_queue::push_on_disk(precedence p) { ++on_disk_[index(p)]; }

// Drops the least urgent messages back to disk, newest first, until memory is within its bound.
// The one message left is kept whatever its size.
void send_queue::trim() {
  while (held() > bounds_.messages_max || (held_bytes() > bounds_.bytes_max && held() > 1)) {
    std::size_t p = precedence_count - 1;
    while (held_[p].empty()) --p;  // held() > 0, so some precedence holds a message
    drop_back(p);
  }
  assert(held() <= bounds_.messages_max);
}

void send_queue::drop_back(std::size_t p) {
  auto& q = held_[p];
  assert(!q.empty());
  held_bytes_[p] -= message_weight_bytes(q.back());
  q.pop_back();
  ++on_disk_[p];
  frontier_[p] = q.empty() ? popped_last_[p] : q.back().id;
  // A load in flight for this precedence would continue after a message no longer held.
  if (load_in_flight_ != 0 && load_prec_ == p) load_in_flight_ = 0;
}

std::optional<message> send_queue::pop() {
  for (std::size_t p = 0; p < precedence_count; ++p) {
    auto& q = held_[p];
    if (!q.empty()) {
      message m = std::move(q.front());
      q.pop_front();
      held_bytes_[p] -= message_weight_bytes(m);
      popped_last_[p] = m.id;
      return m;
    }
    // Flash first: nothing less urgent leaves while messages of this precedence are on disk.
    if (on_disk_[p] > 0) return std::nullopt;
  }
  return std::nullopt;
}

std::optional<load_request> send_queue::next_load() {
  if (load_in_flight_ != 0) return std::nullopt;
  for (std::size_t p = 0; p < precedence_count; ++p) {
    if (on_disk_[p] == 0) continue;
    // Only the most urgent precedence on disk is read: less urgent messages could not leave
    // before it anyway, and would only be dropped back to make room for it.
    std::size_t urgent = 0;
    std::size_t urgent_bytes = 0;
    for (std::size_t k = 0; k <= p; ++k) {
      urgent += held_[k].size();
      urgent_bytes += held_bytes_[k];
    }
    if (urgent >= bounds_.messages_max) return std::nullopt;
    const std::size_t room = bounds_.messages_max - urgent;
    const std::size_t room_bytes =
        urgent_bytes < bounds_.bytes_max ? bounds_.bytes_max - urgent_bytes : 0;
    // Starved: nothing can be numbered until this load returns, and its first message is kept
    // whatever its size. Otherwise wait for half the bound to be free, so that a draining queue
    // is read in large batches, not one by one, and for room for the heaviest message: the first
    // one comes whatever its size, and it must not be dropped straight back to disk (the load
    // would repeat forever).
    const bool starved = urgent == 0;
    const std::size_t room_bytes_min = std::max(bounds_.bytes_max / 2, message_weight_bytes_max);
    if (!starved && (room < (bounds_.messages_max + 1) / 2 || room_bytes < room_bytes_min)) {
      return std::nullopt;
    }
    load_request r{++load_serial_, static_cast<precedence>(p), frontier_[p],
                   std::min(room, on_disk_[p]), room_bytes};
    load_in_flight_ = r.serial;
    load_prec_ = p;
    load_messages_max_ = r.messages_max;
    return r;
  }
  return std::nullopt;
}

result<void> send_queue::on_loaded(std::uint64_t serial, std::vector<message> loaded) {
  if (serial == 0 || serial != load_in_flight_) return {};
  const std::size_t p = load_prec_;
  if (loaded.empty() || loaded.size() > load_messages_max_) {
    return fail(errc::corrupt, "the store returned " + std::to_string(loaded.size()) +
                                   " queued messages of " + channel_ + " for a load of at most " +
                                   std::to_string(load_messages_max_));
  }
  for (const auto& m : loaded) {
    if (m.seq != 0 || m.channel != channel_ || index(m.prec) != p || m.id == frontier_[p]) {
      return fail(errc::corrupt, "the store returned message '" + m.id + "' for a load of " +
                                     std::string(to_string(static_cast<precedence>(p))) +
                                     " messages queued on " + channel_);
    }
  }
  load_in_flight_ = 0;
  // Invariant: a load asks for no more than are on disk, and only a load takes them off it.
  assert(loaded.size() <= on_disk_[p]);
  on_disk_[p] -= loaded.size();
  for (auto& m : loaded) hold(std::move(m));
  trim();
  return {};
}

}  // namespace hotline::core

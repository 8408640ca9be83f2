#include "core/outbox.hpp"

#include <cassert>

namespace hotline::core {

outbox::outbox(std::string channel, std::size_t window_messages_max,
               std::size_t window_bytes_max)
    : channel_(std::move(channel)),
      window_messages_max_(window_messages_max),
      window_bytes_max_(window_bytes_max) {}

void outbox::restore(const records::channel_recovery& r) {
  window_.clear();
  for (auto& q : queue_) q.clear();
  window_bytes_ = 0;
  acked_ = r.unacked.empty() ? r.next_out_seq - 1 : r.unacked.front().seq - 1;
  next_seq_ = r.next_out_seq;
  for (const auto& m : r.unacked) {
    // Invariant: the store returns unacked messages contiguous and ending at next_out_seq - 1.
    assert(m.seq == acked_ + 1 + window_.size());
    window_bytes_ += message_weight_bytes(m);
    window_.push_back({m, true});
  }
  assert(acked_ + 1 + window_.size() == next_seq_);
  for (const auto& m : r.queued) queue_[static_cast<std::size_t>(m.prec)].push_back(m);
  send_next_ = acked_ + 1;
}

std::size_t outbox::queued() const {
  std::size_t n = 0;
  for (const auto& q : queue_) n += q.size();
  return n;
}

bool outbox::window_full() const {
  return window_.size() >= window_messages_max_ || window_bytes_ >= window_bytes_max_;
}

bool outbox::try_sequence_now(message& m) {
  if (queued() > 0 || window_full()) return false;
  m.seq = next_seq_++;
  window_bytes_ += message_weight_bytes(m);
  window_.push_back({m, false});
  return true;
}

void outbox::enqueue(message m) {
  assert(m.seq == 0);
  queue_[static_cast<std::size_t>(m.prec)].push_back(std::move(m));
}

std::vector<records::sequenced> outbox::sequence_queued() {
  std::vector<records::sequenced> out;
  for (auto& q : queue_) {
    while (!q.empty() && !window_full()) {
      message m = std::move(q.front());
      q.pop_front();
      m.seq = next_seq_++;
      out.push_back({channel_, m.id, m.seq});
      window_bytes_ += message_weight_bytes(m);
      window_.push_back({std::move(m), false});
    }
  }
  return out;
}

void outbox::mark_durable(std::uint64_t up_to_seq) {
  for (auto& e : window_) {
    if (e.msg.seq > up_to_seq) break;
    e.durable = true;
  }
}

result<bool> outbox::on_ack(std::uint64_t up_to_seq) {
  if (up_to_seq >= next_seq_) {
    return fail(errc::protocol, "ack for " + channel_ + " seq " + std::to_string(up_to_seq) +
                                    " beyond last sent " + std::to_string(next_seq_ - 1));
  }
  if (up_to_seq <= acked_) return false;
  while (!window_.empty() && window_.front().msg.seq <= up_to_seq) {
    // A peer can only hold what we sent, and we send only what is durable.
    if (!window_.front().durable) return fail(errc::protocol, "ack for a message not yet sent");
    window_bytes_ -= message_weight_bytes(window_.front().msg);
    window_.pop_front();
  }
  acked_ = up_to_seq;
  if (send_next_ <= acked_) send_next_ = acked_ + 1;
  return true;
}

const message* outbox::peek_sendable() const {
  if (send_next_ >= next_seq_) return nullptr;
  const entry& e = window_[static_cast<std::size_t>(send_next_ - acked_ - 1)];
  assert(e.msg.seq == send_next_);
  return e.durable ? &e.msg : nullptr;
}

}  // namespace hotline::core

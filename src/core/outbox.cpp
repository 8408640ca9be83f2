#include "core/outbox.hpp"

#include <cassert>

namespace hotline::core {

outbox::outbox(std::string channel, std::size_t window_messages_max, std::size_t window_bytes_max,
               queue_memory memory, bool pipelined)
    : channel_(std::move(channel)),
      pipelined_(pipelined),
      window_messages_max_(window_messages_max),
      window_bytes_max_(window_bytes_max),
      queue_(channel_, memory) {}

void outbox::restore(const records::channel_recovery& r) {
  window_.clear();
  window_bytes_ = 0;
  acked_ = r.unacked.empty() ? r.next_out_seq - 1 : r.unacked.front().seq - 1;
  ack_waiting_ = acked_;
  next_seq_ = r.next_out_seq;
  acked_chain_ = chain_ = r.out_chain_base;
  for (const auto& m : r.unacked) {
    // Invariant: the store returns unacked messages contiguous and ending at next_out_seq - 1.
    assert(m.seq == acked_ + 1 + window_.size());
    window_bytes_ += message_weight_bytes(m);
    chain_ = signing::chain_next(chain_, signing::message_digest(m));
    window_.push_back({m, true, chain_});
  }
  assert(acked_ + 1 + window_.size() == next_seq_);
  queue_.restore(r.queued, r.queued_total);
  send_next_ = acked_ + 1;
  // Every restored message was durable before the restart and may have reached the peer.
  sent_max_ = next_seq_ - 1;
}

bool outbox::window_full() const {
  return window_.size() >= window_messages_max_ || window_bytes_ >= window_bytes_max_;
}

signing::digest outbox::admit(message m) {
  const signing::digest digest = signing::message_digest(m);
  chain_ = signing::chain_next(chain_, digest);
  window_bytes_ += message_weight_bytes(m);
  window_.push_back({std::move(m), false, chain_});
  return digest;
}

bool outbox::try_sequence_now(message& m) {
  if (queued() > 0 || window_full()) return false;
  m.seq = next_seq_++;
  admit(m);
  return true;
}

std::optional<signing::digest> outbox::chain_at(std::uint64_t seq) const {
  if (seq == acked_) return acked_chain_;
  if (seq < acked_ || seq >= next_seq_) return std::nullopt;
  return window_[static_cast<std::size_t>(seq - acked_ - 1)].chain;
}

std::vector<records::sequenced> outbox::sequence_queued() {
  std::vector<records::sequenced> out;
  while (!window_full()) {
    std::optional<message> m = queue_.pop();
    if (!m) break;  // nothing queued, or the next message is still on disk
    m->seq = next_seq_++;
    const std::string id = m->id;
    const signing::digest digest = admit(std::move(*m));
    out.push_back({channel_, id, window_.back().msg.seq, {}, chain_, digest});
  }
  return out;
}

bool outbox::mark_durable(std::uint64_t up_to_seq) {
  for (auto& e : window_) {
    if (e.msg.seq > up_to_seq) break;
    e.durable = true;
  }
  return take_acked();
}

result<bool> outbox::on_ack(std::uint64_t up_to_seq) {
  // Checked before anything changes: a refused acknowledgement leaves the outbox as it was.
  if (up_to_seq > sent_max_) {
    return fail(errc::protocol, "ack for " + channel_ + " seq " + std::to_string(up_to_seq) +
                                    " beyond last sent " + std::to_string(sent_max_));
  }
  if (up_to_seq <= ack_waiting_) return false;
  ack_waiting_ = up_to_seq;
  const bool moved = take_acked();
  // Invariant: without pipelining only durable messages are sent, so an ack takes effect whole.
  assert(pipelined_ || acked_ == ack_waiting_);
  return moved;
}

bool outbox::take_acked() {
  const std::uint64_t before = acked_;
  while (!window_.empty() && window_.front().msg.seq <= ack_waiting_ && window_.front().durable) {
    window_bytes_ -= message_weight_bytes(window_.front().msg);
    acked_chain_ = window_.front().chain;
    acked_ = window_.front().msg.seq;
    window_.pop_front();
  }
  if (send_next_ <= acked_) send_next_ = acked_ + 1;
  return acked_ > before;
}

void outbox::skip_to(std::uint64_t next_expected) {
  if (next_expected > send_next_ && next_expected <= sent_max_ + 1) send_next_ = next_expected;
}

const message* outbox::peek_sendable() const {
  if (send_next_ >= next_seq_) return nullptr;
  const entry& e = window_[static_cast<std::size_t>(send_next_ - acked_ - 1)];
  assert(e.msg.seq == send_next_);
  return e.durable || pipelined_ ? &e.msg : nullptr;
}

}  // namespace hotline::core

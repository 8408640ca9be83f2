// Outbox: the sender's side of one direction of one channel.
//
// Posted messages wait in a queue ordered by precedence (flash first), then post order. When the
// link is up they are given the next sequence number and enter the window, which holds at most
// `window_messages_max` unacknowledged messages. A sequenced message may go on the wire only once
// its sequence number is on disk ("durable"). Acknowledgements are cumulative.
//
// Each message is sealed (signed) by the `sealer` the moment it gets its sequence number, and the
// outbox extends the channel's hash chain with it (core/signing.hpp), so that a receipt naming
// (seq, chain) can be checked against what was really sent.
//
// Invariants: window seqs are contiguous, from acked()+1 to next_seq()-1; durable ones form a
// prefix; acked() < send_next() <= next_seq(). Pure state, no I/O. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/message.hpp"
#include "core/records.hpp"
#include "core/signing.hpp"

namespace hotline::core {

class outbox {
 public:
  // Signs `m` (which has its seq) in place and returns its digest.
  using sealer = std::function<signing::digest(message& m)>;

  // Without a sealer messages go unsigned (their digests still chain).
  outbox(std::string channel, std::size_t window_messages_max, std::size_t window_bytes_max,
         sealer seal = {});

  void restore(const records::channel_recovery& r);

  const std::string& channel() const { return channel_; }
  std::uint64_t acked() const { return acked_; }
  std::uint64_t next_seq() const { return next_seq_; }
  std::uint64_t send_next() const { return send_next_; }
  std::size_t queued() const;
  std::size_t in_window() const { return window_.size(); }
  bool window_full() const;

  // Fast path for a fresh post: if nothing waits ahead of it and the window has room, gives
  // `m` its sequence number, seals it and puts it in the window (not yet durable). Returns false
  // otherwise. After success, last_chain() is the chain up to `m`.
  bool try_sequence_now(message& m);
  const signing::digest& last_chain() const { return chain_; }
  // The chain up to `seq`, when the outbox still knows it (seq == acked() or seq in the window).
  std::optional<signing::digest> chain_at(std::uint64_t seq) const;
  // Adds a message whose post is durable to the queue.
  void enqueue(message m);
  // Moves queued messages into the window while it has room; returns what to persist.
  std::vector<records::sequenced> sequence_queued();
  // Sequence numbers up to `up_to_seq` are now on disk.
  void mark_durable(std::uint64_t up_to_seq);

  // Applies a cumulative acknowledgement. Returns true when it acknowledged something new, and
  // errc::protocol when it acknowledges a sequence number never sent.
  result<bool> on_ack(std::uint64_t up_to_seq);

  // Go-back-N: the next transmission restarts at the first unacknowledged message.
  void rewind() { send_next_ = acked_ + 1; }
  // The next message that may be transmitted, or nullptr. `advance()` marks it sent.
  const message* peek_sendable() const;
  void advance() { ++send_next_; }
  bool has_unacked_sent() const { return send_next_ > acked_ + 1; }

 private:
  struct entry {
    message msg;
    bool durable = false;
    signing::digest chain{};
  };
  void admit(message m);
  std::string channel_;
  std::size_t window_messages_max_;
  std::size_t window_bytes_max_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t acked_ = 0;
  std::uint64_t send_next_ = 1;
  std::size_t window_bytes_ = 0;
  sealer seal_;
  signing::digest chain_{};        // up to next_seq_ - 1
  signing::digest acked_chain_{};  // up to acked_
  std::deque<entry> window_;
  std::array<std::deque<message>, precedence_count> queue_;
};

}  // namespace hotline::core

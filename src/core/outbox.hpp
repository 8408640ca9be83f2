// Outbox: the sender's side of one direction of one channel.
//
// Posted messages wait in a queue ordered by precedence (flash first), then post order, of which
// only a bounded part is in memory (core/send_queue.hpp). When the link is up they are given the
// next sequence number and enter the window, which holds at most `window_messages_max`
// unacknowledged messages. Acknowledgements are cumulative.
//
// Durability and the wire. Without pipelining a sequenced message goes on the wire only once its
// sequence number is on disk ("durable"). With pipelining it may go while its commit is still
// running, so that the peer's fsync overlaps this station's: if this station then crashes, or
// the commit fails, the peer holds a message this disk does not, which the engine recovers
// through the peer (a reclaim, as after a restore from a backup). Either way an acknowledgement
// takes effect only for what is durable here: one that arrives ahead of the local commit waits
// for mark_durable(), so whatever is acknowledged (and so numbered for good) is on both disks.
//
// The moment a message gets its sequence number, the outbox extends the channel's hash chain with
// its digest (core/signing.hpp), so that a receipt naming (seq, chain) can be checked against what
// was really sent, and the engine can seal what it puts on the wire (a signature over the chain
// at a seq, docs/protocol.md). Messages themselves are not signed.
//
// What the peer may claim is bounded by what this station did: an acknowledgement can cover only
// messages that may have gone on the wire (`sent_max()`: transmitted since start, or restored
// from the store, where they may have been sent before a restart). Anything beyond is refused
// before any state changes.
//
// Invariants: window seqs are contiguous, from acked()+1 to next_seq()-1; durable ones form a
// prefix; acked() <= sent_max() < next_seq(); acked() < send_next() <= next_seq(); everything up
// to acked() is durable. Pure state, no I/O. Not thread-safe.
#pragma once

#include <algorithm>
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
#include "core/send_queue.hpp"
#include "core/signing.hpp"

namespace hotline::core {

class outbox {
 public:
  outbox(std::string channel, std::size_t window_messages_max, std::size_t window_bytes_max,
         queue_memory memory = {}, bool pipelined = false);

  void restore(const records::channel_recovery& r);

  const std::string& channel() const { return channel_; }
  std::uint64_t acked() const { return acked_; }
  std::uint64_t next_seq() const { return next_seq_; }
  std::uint64_t send_next() const { return send_next_; }
  std::uint64_t sent_max() const { return sent_max_; }
  std::size_t queued() const { return queue_.size(); }  // in memory or on disk
  // The queue, for what the outbox does not forward: loads and posts kept on disk only.
  send_queue& queue() { return queue_; }
  const send_queue& queue() const { return queue_; }
  std::size_t in_window() const { return window_.size(); }
  bool window_full() const;

  // Fast path for a fresh post: if nothing waits ahead of it and the window has room, gives
  // `m` its sequence number, chains it and puts it in the window (not yet durable). Returns false
  // otherwise. After success, last_chain() is the chain up to `m`.
  bool try_sequence_now(message& m);
  const signing::digest& last_chain() const { return chain_; }
  // The chain up to `seq`, when the outbox still knows it (seq == acked() or seq in the window).
  std::optional<signing::digest> chain_at(std::uint64_t seq) const;
  // Adds a message whose post is durable to the queue.
  void enqueue(message m) { queue_.push(std::move(m)); }
  // Moves queued messages into the window while it has room and the next one is in memory;
  // returns what to persist.
  std::vector<records::sequenced> sequence_queued();
  // Sequence numbers up to `up_to_seq` are now on disk. Returns true when that let an
  // acknowledgement that was waiting for it take effect (acked() moved).
  bool mark_durable(std::uint64_t up_to_seq);

  // Applies a cumulative acknowledgement, as far as what is durable here; the rest waits for
  // mark_durable(). Returns true when acked() moved, and errc::protocol, changing nothing, when
  // it covers a sequence number never sent.
  result<bool> on_ack(std::uint64_t up_to_seq);

  // Go-back-N: the next transmission restarts at the first unacknowledged message.
  void rewind() { send_next_ = acked_ + 1; }
  // The peer says (unsigned, in its hello) that it holds everything before `next_expected`:
  // transmission may skip ahead to there, within what was sent. Nothing is marked delivered;
  // only a signed receipt does that, and the retransmission timer rewinds if the hint was false.
  void skip_to(std::uint64_t next_expected);
  // The next message that may be transmitted, or nullptr. `advance()` marks it sent.
  const message* peek_sendable() const;
  void advance() {
    sent_max_ = std::max(sent_max_, send_next_);
    ++send_next_;
  }
  bool has_unacked_sent() const { return send_next_ > acked_ + 1; }

 private:
  struct entry {
    message msg;
    bool durable = false;
    signing::digest chain{};
  };
  signing::digest admit(message m);  // returns its digest
  bool take_acked();                 // acknowledges what ack_waiting_ covers and is durable
  std::string channel_;
  bool pipelined_ = false;
  std::uint64_t ack_waiting_ = 0;  // the highest acknowledgement received
  std::size_t window_messages_max_;
  std::size_t window_bytes_max_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t acked_ = 0;
  std::uint64_t send_next_ = 1;
  std::uint64_t sent_max_ = 0;
  std::size_t window_bytes_ = 0;
  signing::digest chain_{};        // up to next_seq_ - 1
  signing::digest acked_chain_{};  // up to acked_
  std::deque<entry> window_;
  send_queue queue_;
};

}  // namespace hotline::core

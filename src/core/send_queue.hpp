// Send queue: the posted, not yet sequenced messages of one outbound channel, of which only a
// bounded part is kept in memory.
//
// The queue is ordered by precedence (flash first), then post order. Every queued post is already
// in the store (its `posted` record commits before it enters the queue), so the queue holds in
// memory only the oldest messages of each precedence, at most `queue_memory::messages_max`
// messages and `queue_memory::bytes_max` bytes (message_weight_bytes) in all, and counts the rest
// as being on disk. When a precedence's messages in memory run out while more of it wait on disk,
// the queue asks for them (`next_load()`), and the driver reads them from the store and hands
// them back (`on_loaded()`). A million queued messages thus cost a counter, not a million bodies.
//
// Order is exact. For each precedence the messages in memory are a prefix, in post order, of
// that precedence's queue, and those on disk are the rest; a new post of a precedence that has
// any on disk goes to disk too. A load asks for the messages that follow, in post order, the
// newest one of that precedence the queue has held (`after_id`), and never for more than are
// counted on disk: a post whose commit is not yet reported, which the store may already hold, is
// never among them. When memory is over its bound the least urgent messages are dropped from
// the tail of their precedence back to disk, so a flash post always finds room; a load whose
// precedence lost messages that way while it was in flight is stale, and its answer is ignored.
// At least one message is always kept, however large, so the queue always makes progress.
//
// Nothing of a less urgent precedence is handed out while a more urgent one waits on disk:
// `pop()` returns nothing until the load arrives, and flash stays first.
//
// Invariants: held() <= messages_max; held_bytes() <= bytes_max unless held() == 1; at most one
// load is in flight. Pure state, no I/O. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/message.hpp"

namespace hotline::core {

// A request to read queued messages back from the store. The answer holds, in post order, the
// queued (not sequenced) messages of `prec` on the channel that follow message `after_id` (from
// the oldest when it is empty): at least one, at most `messages_max`, and after the first no
// more than `bytes_max` bytes in all.
struct load_request {
  std::uint64_t serial = 0;  // names this request in on_loaded()
  precedence prec = precedence::routine;
  std::string after_id;
  std::size_t messages_max = 0;
  std::size_t bytes_max = 0;
};

// How much of a queue is kept in memory. `messages_max` must be at least 1.
struct queue_memory {
  std::size_t messages_max = limits::queue_memory_messages_max;
  std::size_t bytes_max = limits::queue_memory_bytes_max;
};

class send_queue {
 public:
  explicit send_queue(std::string channel, queue_memory bounds = {});

  // Starts over from the store: `held` is, for each precedence, the oldest queued messages in
  // post order (recover()'s prefix); `on_disk_total` counts every queued message of each
  // precedence, those in `held` included. Whatever is over the bound is left on disk.
  void restore(const std::vector<message>& held,
               const std::array<std::uint64_t, precedence_count>& on_disk_total);

  // Every queued message, in memory or not.
  std::size_t size() const;
  std::size_t held() const;
  std::size_t held_bytes() const;
  std::size_t on_disk(precedence p) const { return on_disk_[index(p)]; }

  // Whether a post of `p` made now would be kept in memory. A caller that holds a post until
  // its commit may drop its copy when not (and then report it with push_on_disk()).
  bool would_hold(precedence p) const;
  // A post whose commit was reported: kept in memory if it fits, else counted on disk.
  void push(message m);
  // A post whose commit was reported and whose copy the caller did not keep.
  void push_on_disk(precedence p);

  // Takes the next message to number: the oldest of the most urgent precedence. Returns nothing
  // when the queue is empty, or when the next message is on disk (see next_load()).
  std::optional<message> pop();

  // What to read from the store now, if anything; the request is then in flight. Messages are
  // read for the most urgent precedence that has any on disk, in batches: when nothing of that
  // precedence or a more urgent one is held, or when half the bound, and room for the heaviest
  // message (message_weight_bytes_max), is free.
  std::optional<load_request> next_load();
  // The store's answer to request `serial`. An answer to a stale or unknown request changes
  // nothing. Fails with errc::corrupt, changing nothing, when the answer cannot be the one asked
  // for (empty, too long, or holding a message of another channel or precedence, or sequenced).
  result<void> on_loaded(std::uint64_t serial, std::vector<message> loaded);

 private:
  static std::size_t index(precedence p) { return static_cast<std::size_t>(p); }
  void hold(message m);
  void trim();
  void drop_back(std::size_t p);

  std::string channel_;
  queue_memory bounds_;
  std::array<std::deque<message>, precedence_count> held_{};
  std::array<std::size_t, precedence_count> held_bytes_{};
  std::array<std::size_t, precedence_count> on_disk_{};
  // Per precedence: the newest message held now or before (loads continue after it), and the
  // last one popped (where loads continue once every held one is dropped back to disk).
  std::array<std::string, precedence_count> frontier_{};
  std::array<std::string, precedence_count> popped_last_{};
  std::uint64_t load_serial_ = 0;
  std::uint64_t load_in_flight_ = 0;  // serial of the request in flight, 0 when none
  std::size_t load_prec_ = 0;
  std::size_t load_messages_max_ = 0;
};

}  // namespace hotline::core

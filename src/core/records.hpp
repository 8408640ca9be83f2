// Records: what the core asks the driver to persist, and what it needs back after a restart.
//
// The core never touches the disk. It hands out `persist` actions holding records; the driver
// commits each action atomically and durably (fsync), in the order issued, then reports back.
// After a restart the driver reads `channel_recovery` from the store and gives it to the core.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/message.hpp"
#include "core/wire.hpp"

namespace hotline::records {

// An outbound message was posted here. `msg.seq` is 0 when it waits in the queue; otherwise it
// is sequenced and signed already, and `chain` is the channel's chain up to it.
struct posted {
  message msg;
  wire::hash256 chain{};
};

// A queued outbound message was given its sequence number and chained. `digest` is its
// message digest, journaled with it.
struct sequenced {
  std::string channel;
  std::string id;
  std::uint64_t seq = 0;
  std::string signature{};
  wire::hash256 chain{};
  wire::hash256 digest{};
};

// An inbound message arrived, covered by the peer's seal (or, from before protocol 5, its own
// signature); the driver stamps the arrival time. `chain` is the inbound chain up to it.
struct received {
  message msg;
  wire::hash256 chain{};
};

// The peer confirmed every outbound message on `channel` up to `up_to_seq` is on its disk.
// The driver stamps the delivery time on those not yet stamped.
struct delivered {
  std::string channel;
  std::uint64_t up_to_seq = 0;
};

// A person acknowledged message `id`: the peer's officer for one we sent (learned from their
// acknowledgement message), or ours for one we received. `at_ms` 0 means "now".
struct acknowledged {
  std::string id;
  std::string by;
  std::string answer;
  std::int64_t at_ms = 0;
};

// Message `id` passed its deadline unanswered; a missed link test is one kind of this.
struct escalated {
  std::string id;
  std::int64_t deadline_ms = 0;
  bool missed_link_test = false;
};

// The receiver's own validation of message `id` failed. The message is kept, flagged.
struct flagged {
  std::string id;
  std::string reason;
};

// The peer's signed receipt for our messages on a channel (a checkpoint of our traffic). When
// its chain contradicts ours, `mismatch` says how: a loud alarm, kept as evidence.
struct attested {
  wire::receipt receipt;
  std::string mismatch{};
};

// The peer's seal over its messages on a channel up to a seq (protocol 5), checked: committed
// with the messages it covers, after them, as the proof that the peer sent them.
struct sealed {
  wire::seal_statement seal;
};

// Something that happened at the station and belongs in its journal only: a link up or down, a
// refused frame, a sign-in, the configuration loaded. `detail` is a JSON object, or empty.
struct noted {
  std::string kind;
  std::string channel;
  std::string message_id;
  std::string detail;
};

// One of this station's own messages, lost in a restore from a backup and handed back by the
// peer, which holds it (its signature checked with this station's own key). The driver stores
// it as sent and delivered: as a sequenced message if its post is still queued here (the backup
// was taken before it was numbered), as a new outbound row otherwise. `chain` is the outbound
// chain up to it.
struct reclaimed {
  message msg;
  wire::hash256 chain{};
};

using record = std::variant<posted, sequenced, received, delivered, acknowledged, escalated,
                            flagged, attested, noted, reclaimed, sealed>;

// The answer to a range load (core::range_load_action): the messages, ascending seq; the chain
// up to the last seq asked for; and, for the peer's messages, the peer's seals the store holds
// whose up_to_seq lies in the range, ascending.
struct range_rows {
  std::vector<message> messages;
  wire::hash256 chain{};
  std::vector<wire::seal_statement> seals;
};

// Everything the core needs to resume one channel exactly where it stopped.
struct channel_recovery {
  std::string channel;
  std::uint64_t next_out_seq = 1;  // next sequence number to assign
  std::uint64_t out_delivered = 0; // highest seq the store knows was delivered
  std::vector<message> unacked;    // sequenced, not known delivered; ascending seq
  // Posted, not sequenced: the oldest of each precedence in post order, flash first, and in all
  // at most about limits::queue_memory_messages_max / _bytes_max (the rest stays on disk).
  std::vector<message> queued;
  // How many queued messages of each precedence the store holds, those in `queued` included.
  std::array<std::uint64_t, precedence_count> queued_total{};
  std::uint64_t in_next_expected = 1;  // next inbound seq not on disk
  // The outbound chain up to the last message known delivered (unacked.front().seq - 1, or
  // next_out_seq - 1 when nothing is unacked), and the inbound chain up to in_next_expected - 1.
  wire::hash256 out_chain_base{};
  wire::hash256 in_chain{};
};

}  // namespace hotline::records

// Wire: the frames two stations exchange inside their TLS link, and their codec.
//
// A frame is `u32 length | u8 type | body`, big-endian, where `length` counts the type byte and
// the body and never exceeds limits::frame_bytes_max. Strings are `u16 length | UTF-8 bytes`,
// blobs `u32 length | bytes`. The format is written up in docs/protocol.md.
//
// `encode` cannot fail for values within the limits (it asserts them). `frame_decoder` accepts
// bytes in any chunking and yields whole frames; a malformed or oversized frame is an error
// value, after which the decoder stays failed (the connection must close). Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/message.hpp"

namespace hotline::wire {

using bytes = std::vector<std::uint8_t>;
using hash256 = std::array<std::uint8_t, 32>;

enum class frame_type : std::uint8_t {
  hello = 1,
  data = 2,
  ack = 3,
  ping = 4,
  pong = 5,
  close = 6,
  fetch = 7,
  returned = 8,
  seal = 9,
  returned_seal = 10,
};

// Per-channel resume point: the next sequence number this station expects from the peer on the
// channel, counting only what is on its disk.
struct resume_point {
  std::string channel;
  std::uint64_t next_expected = 1;
  bool operator==(const resume_point&) const = default;
};

struct hello {
  std::uint16_t version = limits_protocol_version();
  std::string station;
  hash256 agreement_hash{};
  std::uint64_t boot_id = 0;  // random per process start: tells a restarted peer from a stale link
  std::string path;           // the path this connection runs on, named by the dialer
  std::vector<resume_point> resume;
  bool operator==(const hello&) const = default;

  static std::uint16_t limits_protocol_version();
};

struct data {
  message msg;
  bool operator==(const data&) const = default;
};

// Cumulative: every message on `channel` up to and including `up_to_seq` is on the receiver's disk.
// It is also the receiver's signed receipt: `chain` is the hash chain over those messages (see
// core/signing.hpp), `at_ms` the receiver's UTC clock when it signed, `signature` its Ed25519
// signature over canonical_receipt_bytes (the receiver and the sender are the link's stations).
struct ack {
  std::string channel;
  std::uint64_t up_to_seq = 0;
  hash256 chain{};
  std::int64_t at_ms = 0;
  std::string signature{};
  bool operator==(const ack&) const = default;
};

// A receipt as a statement anyone can check: station `by` holds the messages of station `from`
// on `channel` from seq 1 to `up_to_seq`, whose chain is `chain`, as of `at_ms`.
struct receipt {
  std::string channel;
  std::string from;
  std::string by;
  std::uint64_t up_to_seq = 0;
  hash256 chain{};
  std::int64_t at_ms = 0;
  std::string signature{};
  bool operator==(const receipt&) const = default;
};

// The sender's seal over the messages it has put on the link (protocol 5): its Ed25519 signature
// over canonical_seal_bytes, stating that it sent the messages on `channel` from seq 1 to
// `up_to_seq`, whose chain is `chain`, as of its UTC clock `at_ms`. Messages carry no signature
// of their own; the chain proves each one a seal covers. The sender is the link's peer.
struct seal {
  std::string channel;
  std::uint64_t up_to_seq = 0;
  hash256 chain{};
  std::int64_t at_ms = 0;
  std::string signature{};
  bool operator==(const seal&) const = default;
};

// A seal as a statement anyone can check: station `from` sent its messages on `channel` from
// seq 1 to `up_to_seq`, whose chain is `chain`, as of `at_ms`.
struct seal_statement {
  std::string channel;
  std::string from;
  std::uint64_t up_to_seq = 0;
  hash256 chain{};
  std::int64_t at_ms = 0;
  std::string signature{};
  bool operator==(const seal_statement&) const = default;
};

struct ping {
  std::uint64_t nonce = 0;
  bool operator==(const ping&) const = default;
};

struct pong {
  std::uint64_t nonce = 0;
  bool operator==(const pong&) const = default;
};

struct close {
  std::string reason;
  bool operator==(const close&) const = default;
};

// Asks the peer to hand back this station's own messages on `channel`, seq `from_seq` to
// `from_seq + count - 1`, which the peer holds and this station has lost (it was restored from a
// backup). 1 <= count <= limits::fetch_messages_max.
struct fetch {
  std::string channel;
  std::uint64_t from_seq = 1;
  std::uint32_t count = 1;
  bool operator==(const fetch&) const = default;
};

// One of the receiving station's own messages, handed back as the sender of this frame stored
// it, in answer to a fetch. The receiving station's own seal (returned_seal), or for a message
// from before protocol 5 its own signature, proves it.
struct returned {
  message msg;
  bool operator==(const returned&) const = default;
};

// One of the receiving station's own seals, which the sender of this frame stored when it
// received the messages it covers, handed back with them in answer to a fetch.
struct returned_seal {
  seal s;
  bool operator==(const returned_seal&) const = default;
};

using frame = std::variant<hello, data, ack, ping, pong, close, fetch, returned, seal, returned_seal>;

// Appends the encoded frame to `out`.
void encode(const frame& f, bytes& out);
bytes encode(const frame& f);

// Canonical bytes of a message, the part a signature covers: everything but the signature.
bytes canonical_message_bytes(const message& m);
// Canonical bytes of a receipt, the part its signature covers: everything but the signature.
bytes canonical_receipt_bytes(const receipt& r);
// Canonical bytes of a seal, the part its signature covers: everything but the signature.
bytes canonical_seal_bytes(const seal_statement& s);

class frame_decoder {
 public:
  // Appends bytes. Fails if the decoder already failed.
  void feed(std::span<const std::uint8_t> chunk);

  // The next whole frame, nullopt if more bytes are needed, or an error (errc::protocol or
  // errc::limit) if the stream is malformed. After an error every call returns that error.
  result<std::optional<frame>> next();

  std::size_t buffered_bytes() const { return buffer_.size() - offset_; }

 private:
  bytes buffer_;
  std::size_t offset_ = 0;
  std::optional<error> failed_;
};

// Decodes exactly one frame body (without the length prefix). Exposed for the fuzzer and tests.
result<frame> decode_body(std::span<const std::uint8_t> type_and_body);

}  // namespace hotline::wire

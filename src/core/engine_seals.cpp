// Engine: seals (protocol 5; docs/protocol.md, "Seals").
//
// A sender does not sign each message. It notes every data frame it puts on a link, and seals
// the run with one signature over the channel's hash chain at its last message: at take(), so
// that everything sent in one step (under load, a group commit's worth) shares one seal, or at
// once when a run reaches limits::seal_interval_messages_max. A receiver holds the messages it
// receives until a seal covers them (engine.cpp, handle_data), checks the seal's chain and
// signature here, and then accepts them and keeps the seal, committed after them, as its proof
// of who sent them.
#include "core/engine.hpp"
#include "core/engine_link.hpp"

#include <algorithm>
#include <iterator>

namespace hotline::core {

// The peer's seal over the messages held unsealed up to its seq: one signature proves them all,
// through the chain. They join the batch being written, the seal after them. A seal over
// messages already accepted (a retransmission) or not received (a gap) changes nothing; one
// whose chain or signature is wrong refuses the link, and what it would have covered is dropped
// with it.
void engine::handle_seal(link& l, const wire::seal& s) {
  auto peer = cfg_.channel_peer.find(s.channel);
  if (peer == cfg_.channel_peer.end() || peer->second != l.peer) {
    return close_link(now_us_, l.id, "seal for channel '" + s.channel + "' not on this link");
  }
  auto& ib = inboxes_[s.channel];
  if (cfg_.signing_key.empty() || s.up_to_seq < ib.accept_next ||
      s.up_to_seq >= ib.next_expected()) {
    return;
  }
  const std::size_t count = static_cast<std::size_t>(s.up_to_seq - ib.accept_next) + 1;
  const wire::seal_statement st{s.channel, l.peer, s.up_to_seq, s.chain, s.at_ms, s.signature};
  const auto* key = cfg_.peer_keys.at(l.peer, s.at_ms);
  std::string why;
  if (key == nullptr || !signing::verify(*key, wire::canonical_seal_bytes(st), s.signature)) {
    why = "its signature is not valid for " + l.peer + "'s key";
  } else if (s.chain != ib.unsealed[count - 1].chain) {
    why = "its chain is not the chain of the messages received";
  }
  if (!why.empty()) {
    return refuse(l, s.channel, "bad seal on " + s.channel + " up to seq " +
                                    std::to_string(s.up_to_seq) + " from " + l.peer + ": " + why);
  }
  const auto covered = ib.unsealed.begin() + static_cast<std::ptrdiff_t>(count);
  std::move(ib.unsealed.begin(), covered, std::back_inserter(inbound_batch_));
  ib.unsealed.erase(ib.unsealed.begin(), covered);
  ib.accept_next += count;
  ib.accept_chain = s.chain;
  inbound_batch_.push_back(records::sealed{st});
  inbound_batch_up_to_[s.channel] = s.up_to_seq;
  inbound_batch_chain_[s.channel] = s.chain;
  inbound_batch_conn_[s.channel] = l.id;
}

// A link is gone: what arrived on it unsealed is forgotten (its ids freed); the peer sends it
// again, sealed, on the next link.
void engine::drop_unsealed(conn_id conn) {
  for (auto& [channel, ib] : inboxes_) {
    if (ib.unsealed.empty() || ib.unsealed_conn != conn) continue;
    for (const auto& r : ib.unsealed) ids_in_flight_.erase(r.msg.id);
    ib.unsealed.clear();
  }
  for (auto it = seals_due_.begin(); it != seals_due_.end();) {
    it = it->first.first == conn ? seals_due_.erase(it) : std::next(it);
  }
}

wire::seal engine::make_seal(const std::string& channel, std::uint64_t up_to_seq,
                             const signing::digest& chain) {
  wire::seal s{channel, up_to_seq, chain, cfg_.wall_ms(), {}};
  s.signature = cfg_.signing_key.at(s.at_ms).sign(wire::canonical_seal_bytes(
      {channel, cfg_.station, up_to_seq, chain, s.at_ms, {}}));
  return s;
}

void engine::note_sent(conn_id conn, const std::string& channel, std::uint64_t seq,
                       const signing::digest& chain) {
  if (cfg_.signing_key.empty()) return;
  seal_due& due = seals_due_[{conn, channel}];
  due.up_to_seq = seq;
  due.chain = chain;
  due.messages++;
  if (due.messages >= limits::seal_interval_messages_max) {
    send_frame(conn, make_seal(channel, seq, chain));
    seals_due_.erase({conn, channel});
  }
}

// One signature for everything put on each link since the last take(): under load, a whole
// group commit's worth of messages.
void engine::send_seals() {
  for (const auto& [key, due] : seals_due_) {
    if (find_link(key.first)) send_frame(key.first, make_seal(key.second, due.up_to_seq, due.chain));
  }
  seals_due_.clear();
}

}  // namespace hotline::core

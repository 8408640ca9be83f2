// Engine: recovery after a restore (docs/protocol.md, "Recovery after a restore").
//
// A station restored from an old backup has forgotten the tail of both directions of each
// channel. Its peer still holds all of it, signed, and the two hellos show the gap:
//
// - The peer's hello resumes a channel beyond anything the restored station remembers sending.
//   The restored station then numbers nothing more on that channel (a sequence number it had
//   used must never name another message) and fetches its own lost messages back (`fetch`,
//   answered with `returned`), checks its own signature on each, and stores them as sent and
//   delivered. Once they are on disk it asks its driver to rebuild it from the store, so that
//   the queue, the window and the numbering all resume from the recovered history.
// - The restored station's hello resumes the other direction below what it had acknowledged
//   with a signed receipt. The peer then sends those messages again from its store, in chunks,
//   each once the previous one is acknowledged, before anything new.
//
// Both steps are journaled (peer_ahead, reclaimed, peer_behind, returning), and whatever the
// peer sends is checked before it is believed: it can hand back only messages this station
// signed, in order, and it can fetch only messages this station holds.
#include <algorithm>
#include <cassert>

#include <nlohmann/json.hpp>

#include "core/engine.hpp"
#include "core/engine_link.hpp"
#include "core/json_safe.hpp"

namespace hotline::core {

void engine::note_limited(const std::string& peer, std::string kind, const std::string& channel,
                          nlohmann::json detail) {
  const bool refusal = kind == "refused";
  auto& gates = refusal ? refusal_notes_ : recovery_notes_;
  auto gate =
      gates.try_emplace(peer, limits::refusal_notes_per_minute_max, limits::minute_us).first;
  auto left_out = gate->second.admit(now_us_);
  if (!left_out) return;
  if (*left_out > 0) detail[refusal ? "refusals_not_journaled" : "notes_not_journaled"] = *left_out;
  note(std::move(kind), channel, json_safe::dump(detail));
}

// Called for an established link's hello: starts or resumes recovery for each channel it names.
void engine::resume_recovery(link& l, const wire::hello& h) {
  for (const auto& r : h.resume) {
    const outbox& ob = outboxes_.at(r.channel);
    refills_.erase(r.channel);  // this hello says afresh where the peer stands
    if (r.next_expected > ob.sent_max() + 1) {
      start_reclaim(l, r.channel, r.next_expected);
    } else if (r.next_expected <= ob.acked()) {
      start_refill(l, r.channel, r.next_expected);
    }
  }
}

// --- The restored station: fetching its own messages back --------------------------------------

void engine::start_reclaim(link& l, const std::string& channel, std::uint64_t peer_next) {
  const outbox& ob = outboxes_.at(channel);
  auto [it, fresh] = reclaims_.try_emplace(channel);
  reclaim_state& rc = it->second;
  if (fresh) {
    rc.first = rc.next = ob.sent_max() + 1;
    // Invariant: the outbox knows the chain at sent_max (it is acked() or in the window).
    rc.chain = ob.chain_at(ob.sent_max()).value_or(signing::digest{});
    const std::string why = l.peer + " holds " + channel + " up to seq " +
                            std::to_string(peer_next - 1) +
                            ", beyond the last this station remembers sending (" +
                            std::to_string(ob.sent_max()) +
                            "): restored from a backup? Fetching them back; nothing new is "
                            "numbered on " + channel + " until then";
    out_.events.push_back({event_kind::recovery, l.peer, l.path, channel, peer_next, why});
    note_limited(l.peer, "peer_ahead", channel,
                 {{"peer", l.peer},
                  {"peer_holds_up_to", peer_next - 1},
                  {"sent_up_to", ob.sent_max()}});
  }
  rc.conn = l.id;
  rc.until = std::max(rc.until, peer_next - 1);
  forget_unsealed(rc);
  rc.asked_to = rc.next - 1;  // on a new link, ask again for whatever is not proven yet
  ask_fetch(channel);
}

// Asks for the next chunk once everything asked for so far is back.
void engine::ask_fetch(const std::string& channel) {
  reclaim_state& rc = reclaims_.at(channel);
  link* l = find_link(rc.conn);
  if (!l || !l->established || rc.expected() <= rc.asked_to || rc.asked_to >= rc.until) return;
  const std::uint64_t count = std::min<std::uint64_t>(limits::fetch_messages_max, rc.until - rc.asked_to);
  send_frame(l->id, wire::fetch{channel, rc.asked_to + 1, static_cast<std::uint32_t>(count)});
  rc.asked_to += count;
}

void engine::handle_returned(link& l, wire::returned&& r) {
  const message& m = r.msg;
  auto it = reclaims_.find(m.channel);
  if (it == reclaims_.end() || it->second.conn != l.id) {
    return refuse(l, m.channel, "message " + m.id + " on " + m.channel +
                                    " handed back unasked by " + l.peer);
  }
  reclaim_state& rc = it->second;
  if (m.from != cfg_.station) {
    return refuse(l, m.channel, "message " + m.id + " handed back by " + l.peer +
                                    " is not this station's own (from '" + m.from + "')");
  }
  if (m.seq != rc.expected() || m.seq > rc.asked_to) {
    return refuse(l, m.channel, "message handed back by " + l.peer + " on " + m.channel +
                                    " has seq " + std::to_string(m.seq) + ", expected " +
                                    std::to_string(rc.expected()));
  }
  if (ids_in_flight_.contains(m.id)) {
    return refuse(l, m.channel, "message id " + m.id + " handed back by " + l.peer +
                                    " is already being written");
  }
  if (rc.unsealed.size() >= limits::seal_interval_messages_max) {
    return refuse(l, m.channel, l.peer + " handed back more than " +
                                    std::to_string(rc.unsealed.size()) + " messages on " +
                                    m.channel + " without this station's seal");
  }
  const signing::digest before = rc.unsealed.empty() ? rc.chain : rc.unsealed.back().chain;
  const signing::digest chain = signing::chain_next(before, signing::message_digest(m));
  ids_in_flight_.insert(m.id);
  rc.unsealed.push_back(records::reclaimed{std::move(r.msg), chain});
  // A message from before seals (protocol 4) carries this station's own signature, and proves
  // itself once everything before it is proven.
  const message& back = rc.unsealed.back().msg;
  if (rc.unsealed.size() == 1 && !back.signature.empty()) {
    const signing::secret_key& own = cfg_.signing_key.at(back.created_at_ms);
    if (own.empty() || !signing::verify_message(own.public_half(), back)) {
      return refuse(l, back.channel, "message " + back.id + " handed back by " + l.peer + " on " +
                                         back.channel + " seq " + std::to_string(back.seq) +
                                         " does not carry this station's signature");
    }
    accept_returned(rc, 1);
  }
  ask_fetch(it->first);
}

// One of this station's own seals, which the peer kept with the messages it covers: the
// messages handed back up to its seq are proven this station's own.
void engine::handle_returned_seal(link& l, const wire::seal& s) {
  auto it = reclaims_.find(s.channel);
  if (it == reclaims_.end() || it->second.conn != l.id) {
    return refuse(l, s.channel, "seal on " + s.channel + " handed back unasked by " + l.peer);
  }
  reclaim_state& rc = it->second;
  if (s.up_to_seq < rc.next || s.up_to_seq >= rc.expected()) return;  // covers nothing held
  const std::size_t count = static_cast<std::size_t>(s.up_to_seq - rc.next) + 1;
  const wire::seal_statement st{s.channel, cfg_.station, s.up_to_seq, s.chain, s.at_ms, s.signature};
  const signing::secret_key& own = cfg_.signing_key.at(s.at_ms);
  if (own.empty() || s.chain != rc.unsealed[count - 1].chain ||
      !signing::verify(own.public_half(), wire::canonical_seal_bytes(st), s.signature)) {
    return refuse(l, s.channel, "seal on " + s.channel + " up to seq " +
                                    std::to_string(s.up_to_seq) + " handed back by " + l.peer +
                                    " is not this station's seal over the messages handed back");
  }
  accept_returned(rc, count);
}

// The first `count` messages handed back are proven: they join the batch being written.
void engine::accept_returned(reclaim_state& rc, std::size_t count) {
  const std::string channel = rc.unsealed.front().msg.channel;
  for (std::size_t i = 0; i < count; ++i) {
    rc.chain = rc.unsealed[i].chain;
    rc.next++;
    reclaim_batch_up_to_[channel] = rc.unsealed[i].msg.seq;
    reclaim_batch_.push_back(std::move(rc.unsealed[i]));
  }
  rc.unsealed.erase(rc.unsealed.begin(), rc.unsealed.begin() + static_cast<std::ptrdiff_t>(count));
}

// Messages handed back but not proven yet are forgotten when the link they came on is: they are
// asked for again.
void engine::forget_unsealed(reclaim_state& rc) {
  for (const auto& u : rc.unsealed) ids_in_flight_.erase(u.msg.id);
  rc.unsealed.clear();
}

// One persist for what came back in one read, like received messages (flush_inbound). The batch
// that completes a channel also journals the whole recovery.
void engine::flush_reclaimed() {
  if (reclaim_batch_.empty()) return;
  pending p;
  p.kind = token_kind::reclaim;
  for (const auto& r : reclaim_batch_) p.ids.push_back(std::get<records::reclaimed>(r).msg.id);
  for (const auto& [channel, seq] : reclaim_batch_up_to_) {
    const reclaim_state& rc = reclaims_.at(channel);
    if (seq < rc.until) continue;
    reclaim_batch_.push_back(records::noted{
        "reclaimed", channel, {},
        json_safe::dump(nlohmann::json{{"peer", cfg_.channel_peer.at(channel)},
                                       {"from_seq", rc.first},
                                       {"to_seq", rc.until}})});
  }
  p.inbound_up_to = std::move(reclaim_batch_up_to_);
  persist(std::move(reclaim_batch_), std::move(p));
  reclaim_batch_.clear();
  reclaim_batch_up_to_.clear();
}

// Messages handed back are on disk up to the given seqs. When a channel's whole lost tail is,
// the engine asks to be rebuilt from the store: its queue may still hold posts that were sent
// before the restore, and only the store now knows their numbers.
void engine::reclaim_durable(const std::map<std::string, std::uint64_t>& up_to) {
  for (const auto& [channel, seq] : up_to) {
    auto it = reclaims_.find(channel);
    if (it == reclaims_.end() || seq < it->second.until) continue;
    const std::string why = "recovered " + channel + " up to seq " + std::to_string(seq) +
                            " from " + cfg_.channel_peer.at(channel) +
                            "; rebuilding link state from the store";
    out_.events.push_back({event_kind::recovery, cfg_.channel_peer.at(channel), {}, channel, seq, why});
    failed_ = true;
    std::vector<conn_id> ids;
    for (const auto& [id, l] : links_) ids.push_back(id);
    for (conn_id id : ids) close_link(now_us_, id, "recovered what a restore lost; restarting");
    return;
  }
}

// --- The peer of a restored station ---------------------------------------------------------------

void engine::handle_fetch(link& l, const wire::fetch& f) {
  auto peer = cfg_.channel_peer.find(f.channel);
  if (peer == cfg_.channel_peer.end() || peer->second != l.peer) {
    return close_link(now_us_, l.id, "fetch for channel '" + f.channel + "' not on this link");
  }
  const std::uint64_t to = f.from_seq + f.count - 1;
  const std::uint64_t held = inboxes_[f.channel].durable_next - 1;
  if (to > held) {
    return refuse(l, f.channel, l.peer + " fetched " + f.channel + " seq " +
                                    std::to_string(f.from_seq) + " to " + std::to_string(to) +
                                    ", but this station holds only up to " + std::to_string(held));
  }
  if (!fetches_answering_.insert({l.id, f.channel}).second) {
    return refuse(l, f.channel, l.peer + " fetched " + f.channel + " again before the last fetch "
                                         "was answered");
  }
  note_limited(l.peer, "returning", f.channel,
               {{"peer", l.peer}, {"from_seq", f.from_seq}, {"to_seq", to}});
  request_range({false, f.channel, l.id, f.from_seq, to}, false);
}

// Each message handed back is followed by the restored station's own seal that ends at it, if
// this station kept one.
void engine::answer_fetch(const range_request& r, records::range_rows rows) {
  fetches_answering_.erase({r.conn, r.channel});
  link* l = find_link(r.conn);
  if (!l) return;
  auto seal = rows.seals.begin();
  for (message& m : rows.messages) {
    const std::uint64_t seq = m.seq;
    send_frame(l->id, wire::returned{std::move(m)});
    while (seal != rows.seals.end() && seal->up_to_seq <= seq) {
      if (seal->up_to_seq == seq) {
        send_frame(l->id, wire::returned_seal{
                              {seal->channel, seal->up_to_seq, seal->chain, seal->at_ms, seal->signature}});
      }
      ++seal;
    }
  }
}

void engine::start_refill(link& l, const std::string& channel, std::uint64_t peer_next) {
  const outbox& ob = outboxes_.at(channel);
  const std::string why = l.peer + " resumes " + channel + " at seq " + std::to_string(peer_next) +
                          " after acknowledging up to " + std::to_string(ob.acked()) +
                          " (restored from a backup?): sending them again";
  out_.events.push_back({event_kind::recovery, l.peer, l.path, channel, peer_next, why});
  note_limited(l.peer, "peer_behind", channel,
               {{"peer", l.peer}, {"resumes_at", peer_next}, {"acknowledged_up_to", ob.acked()}});
  refills_[channel] = refill_state{l.id, peer_next, ob.acked(), peer_next - 1, peer_next - 1, false};
  continue_refill(channel);
}

// The link recovery ran on is gone. With another link to the peer it goes on there at once: a
// refill from what the peer has acknowledged since, a reclaim from what has come back. Without
// one, a refill waits for the peer's next hello, and a reclaim for the next link.
void engine::move_recovery(conn_id lost, const std::string& peer) {
  link* other = best_link(peer);
  std::vector<std::string> refilled;
  for (auto it = refills_.begin(); it != refills_.end();) {
    if (it->second.conn != lost) {
      ++it;
    } else if (!other) {
      it = refills_.erase(it);
    } else {
      refill_state& rf = it->second;
      rf.conn = other->id;
      rf.next = rf.peer_acked + 1;
      rf.sent_to = rf.peer_acked;
      rf.loading = false;  // a read still under way answers for the lost link, and is ignored
      refilled.push_back(it->first);
      ++it;
    }
  }
  for (const auto& channel : refilled) continue_refill(channel);
  if (!other) return;
  for (auto& [channel, rc] : reclaims_) {
    if (rc.conn != lost) continue;
    rc.conn = other->id;
    forget_unsealed(rc);
    rc.asked_to = rc.next - 1;
    ask_fetch(channel);
  }
}

// Reads the next chunk once the peer has acknowledged the last one; when all is resent, new
// traffic flows again from the first unacknowledged message.
void engine::continue_refill(const std::string& channel) {
  auto it = refills_.find(channel);
  if (it == refills_.end() || it->second.loading) return;
  refill_state& rf = it->second;
  if (!find_link(rf.conn)) {
    refills_.erase(it);  // the peer's next hello starts again from what it holds
    return;
  }
  if (rf.next > rf.until) {
    refills_.erase(it);
    outbox& ob = outboxes_.at(channel);
    ob.rewind();
    transmit(ob);
    return;
  }
  const std::uint64_t to = std::min(rf.until, rf.next + limits::fetch_messages_max - 1);
  rf.loading = true;
  request_range({true, channel, rf.conn, rf.next, to}, true);
}

void engine::send_refill(const range_request& r, records::range_rows rows) {
  auto it = refills_.find(r.channel);
  if (it == refills_.end() || it->second.conn != r.conn) return;  // superseded meanwhile
  refill_state& rf = it->second;
  rf.loading = false;
  link* l = find_link(r.conn);
  if (!l) {
    refills_.erase(it);
    return;
  }
  for (message& m : rows.messages) send_frame(l->id, wire::data{std::move(m)});
  if (!cfg_.signing_key.empty()) send_frame(l->id, make_seal(r.channel, r.to_seq, rows.chain));
  rf.sent_to = r.to_seq;
  rf.next = r.to_seq + 1;
}

// --- Reads by seq -------------------------------------------------------------------------------

void engine::request_range(range_request r, bool outbound) {
  const std::uint64_t token = next_token_++;
  out_.range_loads.push_back({token, r.channel, outbound, r.from_seq, r.to_seq});
  range_requests_.emplace(token, std::move(r));
}

void engine::on_range_loaded(std::int64_t now_us, std::uint64_t token,
                             result<records::range_rows> loaded) {
  now_us_ = now_us;
  auto it = range_requests_.find(token);
  if (it == range_requests_.end() || failed_) return;
  const range_request r = std::move(it->second);
  range_requests_.erase(it);
  if (!loaded) return fail_storage(now_us, r.channel, "read failed: " + loaded.error().message);
  // What the store holds is contiguous up to what was acknowledged or received: anything else
  // is a store that disagrees with the engine.
  const std::vector<message>& rows = loaded->messages;
  bool whole = rows.size() == r.to_seq - r.from_seq + 1;
  for (std::size_t i = 0; whole && i < rows.size(); ++i) {
    whole = rows[i].seq == r.from_seq + i && rows[i].channel == r.channel;
  }
  if (!whole) {
    return fail_storage(now_us, r.channel, "the store does not hold " + r.channel + " seq " +
                                               std::to_string(r.from_seq) + " to " +
                                               std::to_string(r.to_seq) + " whole");
  }
  if (r.refill) return send_refill(r, std::move(*loaded));
  answer_fetch(r, std::move(*loaded));
}

}  // namespace hotline::core

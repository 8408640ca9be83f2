#include "core/engine.hpp"
#include "core/engine_link.hpp"

#include <algorithm>
#include <cassert>
#include <climits>
#include <deque>

#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"

namespace hotline::core {


engine::engine(engine_config cfg) : cfg_(std::move(cfg)), rng_state_(cfg_.seed ^ 0x9E3779B97F4A7C15ULL) {
  if (!cfg_.wall_ms) cfg_.wall_ms = [] { return std::int64_t{0}; };
  for (const auto& [channel, peer] : cfg_.channel_peer) {
    const queue_memory memory{cfg_.queue_memory_messages_max, cfg_.queue_memory_bytes_max};
    outboxes_.emplace(channel, outbox(channel, cfg_.window_messages_max, cfg_.window_bytes_max,
                                      memory, cfg_.pipelined));
    inboxes_.emplace(channel, inbox_state{});
  }
  for (const auto& p : cfg_.peers) {
    for (const auto& path : p.paths) dials_[{p.station, path}] = dial_state{};
  }
}

void engine::follow_agreement(const wire::hash256& current,
                              std::vector<wire::hash256> also_accepted) {
  cfg_.agreement_hash = current;
  cfg_.agreements_also_accepted = std::move(also_accepted);
}

engine::~engine() = default;

void engine::restore(const std::vector<records::channel_recovery>& channels) {
  for (const auto& r : channels) {
    auto ob = outboxes_.find(r.channel);
    if (ob == outboxes_.end()) continue;
    ob->second.restore(r);
    auto& ib = inboxes_[r.channel];
    ib.durable_next = ib.accept_next = r.in_next_expected;
    ib.durable_chain = ib.accept_chain = r.in_chain;
  }
}

std::uint64_t engine::random() {
  // splitmix64: small, seedable, good enough for jitter.
  std::uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::int64_t engine::backoff_us(int attempts) {
  std::int64_t base = limits::reconnect_backoff_us_min << std::min(attempts, 16);
  base = std::min(base, limits::reconnect_backoff_us_max);
  // Jitter over the upper half keeps two stations that lost the link together from redialling
  // in lockstep, while never waiting less than half the step.
  return base / 2 + static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(base / 2 + 1));
}

int engine::path_rank(const std::string& peer, const std::string& path) const {
  for (const auto& p : cfg_.peers) {
    if (p.station != peer) continue;
    for (std::size_t i = 0; i < p.paths.size(); ++i) {
      if (p.paths[i] == path) return static_cast<int>(i);
    }
  }
  return -1;
}

engine::link* engine::find_link(conn_id conn) {
  auto it = links_.find(conn);
  return it == links_.end() ? nullptr : it->second.get();
}

engine::link* engine::best_link(const std::string& peer) const {
  link* best = nullptr;
  for (auto& [id, l] : links_) {
    if (!l->established || l->peer != peer) continue;
    if (!best || path_rank(peer, l->path) < path_rank(peer, best->path)) best = l.get();
  }
  return best;
}

// The link data goes out on. Losing it moves traffic to the best remaining link at once; a
// better path that comes back takes over only once it has been up for path_return_us(), so a
// flapping path cannot make traffic thrash. When the link changes, every channel to that peer
// starts again from its first unacknowledged message: the old link may have swallowed frames.
engine::link* engine::active_link(const std::string& peer) {
  link* best = best_link(peer);
  if (!best) {
    active_.erase(peer);
    return nullptr;
  }
  auto it = active_.find(peer);
  link* current = it == active_.end() ? nullptr : find_link(it->second);
  if (current && current->established && current != best &&
      now_us_ - best->established_us < path_return_us()) {
    return current;
  }
  if (current != best) {
    active_[peer] = best->id;
    for (auto& [channel, ob] : outboxes_) {
      if (cfg_.channel_peer.at(channel) == peer) ob.rewind();
    }
  }
  return best;
}

std::int64_t engine::path_return_us() const {
  return std::max(limits::path_return_us_min,
                  cfg_.heartbeat_interval_us * limits::path_return_heartbeats);
}

void engine::send_frame(conn_id conn, const wire::frame& f) {
  auto [it, inserted] = send_index_.try_emplace(conn, out_.sends.size());
  if (inserted) out_.sends.push_back({conn, {}});
  wire::encode(f, out_.sends[it->second].bytes);
}

std::uint64_t engine::persist(std::vector<records::record> recs, pending p) {
  std::uint64_t token = next_token_++;
  pending_.emplace(token, std::move(p));
  out_.persists.push_back({token, std::move(recs)});
  return token;
}

conn_id engine::on_connected(std::int64_t now_us, direction dir, const std::string& peer,
                             const std::string& path) {
  now_us_ = now_us;
  conn_id id = next_conn_++;
  auto l = std::make_unique<link>();
  l->id = id;
  l->dir = dir;
  l->peer = peer;
  l->path = dir == direction::outbound ? path : std::string{};
  l->opened_us = l->last_rx_us = l->last_ping_us = now_us;
  if (dir == direction::outbound) dials_[{peer, path}].in_progress = false;

  links_.emplace(id, std::move(l));
  if (failed_) {
    close_link(now_us, id, "station storage failed; restarting");
    return id;
  }
  send_hello_when_ready(*find_link(id));
  return id;
}

void engine::on_dial_failed(std::int64_t now_us, const std::string& peer, const std::string& path,
                            const std::string& /*reason*/) {
  now_us_ = now_us;
  auto& ds = dials_[{peer, path}];
  ds.in_progress = false;
  ds.attempts++;
  ds.next_at_us = now_us + backoff_us(ds.attempts);
}

void engine::on_bytes(std::int64_t now_us, conn_id conn, std::span<const std::uint8_t> bytes) {
  now_us_ = now_us;
  link* l = find_link(conn);
  if (!l || failed_) return;
  l->last_rx_us = now_us;
  l->decoder.feed(bytes);
  if (frozen(*l)) {
    if (l->decoder.buffered_bytes() > limits::frozen_link_bytes_max) {
      refuse(*l, {}, l->peer + " sent more than " + std::to_string(limits::frozen_link_bytes_max) +
                         " bytes on a link held while another link's hello was awaited");
    }
    return;
  }
  decode(now_us, *l);
  flush_inbound();
}

// Handles every whole frame buffered on `l`, until one closes it.
void engine::decode(std::int64_t now_us, link& l) {
  const conn_id conn = l.id;
  while (true) {
    auto next = l.decoder.next();
    if (!next) {
      refuse(l, {}, "malformed frame from " + l.peer + ": " + next.error().message);
      break;
    }
    if (!*next) break;
    handle_frame(now_us, l, std::move(**next));
    if (!find_link(conn)) break;  // the frame closed the link
  }
}

void engine::handle_frame(std::int64_t now_us, link& l, wire::frame&& f) {
  if (auto* h = std::get_if<wire::hello>(&f)) {
    if (!l.hello_sent) {
      if (l.peer_hello) return close_link(now_us, l.id, "second hello before this station's");
      l.peer_hello = std::move(*h);  // handled once this station's own hello is out
      return;
    }
    return handle_hello(now_us, l, std::move(*h));
  }
  if (auto* c = std::get_if<wire::close>(&f)) {
    out_.closes.push_back({l.id, "peer closed: " + c->reason});
    return drop_link(now_us, l.id, "peer closed the link: " + c->reason);
  }
  if (!l.established) return close_link(now_us, l.id, "frame before hello");
  if (auto* d = std::get_if<wire::data>(&f)) return handle_data(l, std::move(*d));
  if (auto* a = std::get_if<wire::ack>(&f)) return handle_ack(l, *a);
  if (auto* q = std::get_if<wire::fetch>(&f)) return handle_fetch(l, *q);
  if (auto* r = std::get_if<wire::returned>(&f)) return handle_returned(l, std::move(*r));
  if (auto* s = std::get_if<wire::seal>(&f)) return handle_seal(l, *s);
  if (auto* r = std::get_if<wire::returned_seal>(&f)) return handle_returned_seal(l, r->s);
  if (auto* p = std::get_if<wire::ping>(&f)) return send_frame(l.id, wire::pong{p->nonce});
  if (auto* p = std::get_if<wire::pong>(&f)) {
    auto ping = std::find(l.pings_unanswered.begin(), l.pings_unanswered.end(), p->nonce);
    if (ping == l.pings_unanswered.end()) return;  // answers no ping of ours: ignored
    l.pings_unanswered.erase(l.pings_unanswered.begin(), ping + 1);
    // Invariant: a nonce is the monotonic time its ping was sent, so it is not in the future.
    assert(static_cast<std::int64_t>(p->nonce) <= now_us);
    std::int64_t sample =
        std::min(now_us - static_cast<std::int64_t>(p->nonce), limits::rtt_us_max);
    auto [it, first] = path_rtt_us_.try_emplace({l.peer, l.path}, sample);
    if (!first) it->second = (7 * it->second + sample) / 8;
  }
}

void engine::handle_data(link& l, wire::data&& d) {
  const message& m = d.msg;
  auto peer = cfg_.channel_peer.find(m.channel);
  if (peer == cfg_.channel_peer.end() || peer->second != l.peer || m.from != l.peer) {
    return close_link(now_us_, l.id, "message for channel '" + m.channel + "' from '" + m.from +
                                         "' does not match this link");
  }
  // While this station fetches back its own messages on the channel, it takes in nothing else
  // on it: the peer's answers to those messages must find them here. The peer sends again after
  // the next hello.
  if (reclaims_.contains(m.channel)) return;
  auto& ib = inboxes_[m.channel];
  if (m.seq == ib.next_expected()) {
    if (ids_in_flight_.contains(m.id) || (cfg_.id_taken && cfg_.id_taken(m.id))) {
      return refuse(l, m.channel,
                    "message id " + m.id + " on " + m.channel + " seq " + std::to_string(m.seq) +
                        " from " + l.peer + " is already taken");
    }
    if (auto ok = labels::check(cfg_.labels, l.peer, m.label); !ok) {
      return refuse(l, m.channel,
                    "label '" + labels::to_text(m.label) + "' on " + m.channel + " seq " +
                        std::to_string(m.seq) + " from " + l.peer + " (message " + m.id +
                        ") refused: " + ok.error().message);
    }
    const signing::digest chain = signing::chain_next(ib.chain(), signing::message_digest(m));
    ids_in_flight_.insert(m.id);
    if (cfg_.signing_key.empty()) {  // nothing is sealed: accepted as it comes
      ib.accept_next++;
      ib.accept_chain = chain;
      inbound_batch_up_to_[m.channel] = m.seq;
      inbound_batch_chain_[m.channel] = chain;
      inbound_batch_conn_[m.channel] = l.id;
      inbound_batch_.push_back(records::received{std::move(d.msg), chain});
      return;
    }
    // Held until the peer's seal covers it. A peer that never seals cannot make this grow
    // beyond the seal interval.
    if (ib.unsealed.size() >= limits::seal_interval_messages_max) {
      return refuse(l, m.channel,
                    l.peer + " sent more than " + std::to_string(ib.unsealed.size()) +
                        " messages on " + m.channel + " without a seal");
    }
    ib.unsealed_conn = l.id;
    ib.unsealed.push_back(records::received{std::move(d.msg), chain});
    return;
  }
  // A duplicate (already held) or a gap (an earlier frame was lost): either way the sender needs
  // to hear where we are. Acks for messages still being written go out when the write completes.
  if (m.seq < ib.durable_next || m.seq > ib.next_expected()) ack_due_[m.channel] = l.id;
}

void engine::flush_inbound() {
  if (!inbound_batch_.empty()) {
    pending p;
    p.kind = token_kind::inbound;
    p.inbound_up_to = std::move(inbound_batch_up_to_);
    p.inbound_chain = std::move(inbound_batch_chain_);
    for (const auto& r : inbound_batch_) {
      if (const auto* in = std::get_if<records::received>(&r)) p.ids.push_back(in->msg.id);
    }
    for (const auto& [channel, conn] : inbound_batch_conn_) inboxes_[channel].ack_conn = conn;
    persist(std::move(inbound_batch_), std::move(p));
    inbound_batch_.clear();
    inbound_batch_up_to_.clear();
    inbound_batch_chain_.clear();
    inbound_batch_conn_.clear();
  }
  flush_reclaimed();
  for (const auto& [channel, conn] : ack_due_) send_ack(channel, conn);
  ack_due_.clear();
}

// An ack is this station's signed receipt: it holds the peer's messages up to the seq, with the
// chain that commits it to their exact bytes.
void engine::send_ack(const std::string& channel, conn_id preferred) {
  auto& ib = inboxes_[channel];
  const std::string& peer = cfg_.channel_peer.at(channel);
  link* l = find_link(preferred);
  if (!l || !l->established) l = best_link(peer);
  if (!l) return;
  wire::ack a{channel, ib.durable_next - 1, ib.durable_chain, cfg_.wall_ms(), {}};
  if (!cfg_.signing_key.empty()) {
    a.signature = cfg_.signing_key.at(a.at_ms).sign(wire::canonical_receipt_bytes(
        {channel, peer, cfg_.station, a.up_to_seq, a.chain, a.at_ms, {}}));
  }
  ib.receipt_sent_us = now_us_;
  send_frame(l->id, a);
}

void engine::handle_ack(link& l, const wire::ack& a) {
  auto peer = cfg_.channel_peer.find(a.channel);
  if (peer == cfg_.channel_peer.end() || peer->second != l.peer) {
    return close_link(now_us_, l.id, "ack for channel '" + a.channel + "' not on this link");
  }
  outbox& ob = outboxes_.at(a.channel);
  if (!check_receipt(l, a, ob)) return;
  // While this station fetches back what a restore lost, the peer's receipts cover messages it
  // does not hold yet; once they are back, the receipt after the next hello covers them.
  if (reclaims_.contains(a.channel) && a.up_to_seq > ob.sent_max()) return;
  if (!apply_ack(l, ob, a.up_to_seq)) return;
  if (auto rf = refills_.find(a.channel); rf != refills_.end()) {
    rf->second.peer_acked = std::max(rf->second.peer_acked, a.up_to_seq);
    if (a.up_to_seq >= rf->second.sent_to) continue_refill(a.channel);
  }
}

// Checks the receipt's signature (a bad one closes the link: refused), then its chain against
// what this station sent. A contradiction raises the alarm and is kept as evidence; traffic goes
// on, since the peer does hold messages up to that seq. Keeps the receipt when it covers new
// messages, is the first on a link, or the last one kept is a checkpoint interval old.
bool engine::check_receipt(link& l, const wire::ack& a, outbox& ob) {
  wire::receipt rc{a.channel, cfg_.station, l.peer, a.up_to_seq, a.chain, a.at_ms, a.signature};
  if (!cfg_.signing_key.empty()) {
    const auto* key = cfg_.peer_keys.at(l.peer, a.at_ms);
    if (key == nullptr ||
        !signing::verify(*key, wire::canonical_receipt_bytes(rc), a.signature)) {
      refuse(l, a.channel, "bad signature on " + l.peer + "'s receipt for " + a.channel +
                               " up to seq " + std::to_string(a.up_to_seq));
      return false;
    }
  }
  if (a.up_to_seq == 0) return true;
  const std::optional<signing::digest> ours = ob.chain_at(a.up_to_seq);
  if (!ours) return true;  // older than what this station still holds in memory: nothing new
  auto& at = attest_[a.channel];
  std::string mismatch;
  if (*ours != a.chain) {
    mismatch = l.peer + " holds a different history of " + a.channel + " up to seq " +
               std::to_string(a.up_to_seq) + ": its chain " + signing::to_hex(a.chain) +
               ", ours " + signing::to_hex(*ours);
  }
  const bool keep = mismatch.empty()
                        ? (a.up_to_seq > ob.acked() || at.stored_us < 0 || at.mismatch ||
                           now_us_ - at.stored_us >= cfg_.checkpoint_interval_us)
                        : !at.mismatch;
  if (!mismatch.empty() && !at.mismatch) {
    out_.events.push_back(
        {event_kind::attestation_mismatch, l.peer, l.path, a.channel, a.up_to_seq, mismatch});
  }
  at.mismatch = !mismatch.empty();
  if (keep) {
    at.stored_us = now_us_;
    persist({records::attested{std::move(rc), std::move(mismatch)}}, pending{});
  }
  return true;
}

void engine::note(std::string kind, std::string channel, std::string detail) {
  persist({records::noted{std::move(kind), std::move(channel), {}, std::move(detail)}}, pending{});
}

// `path` is empty before an inbound link's hello.
void engine::refuse(link& l, const std::string& channel, const std::string& why) {
  out_.events.push_back({event_kind::refused, l.peer, l.path, channel, 0, why});
  note_limited(l.peer, "refused", channel, {{"peer", l.peer}, {"path", l.path}, {"reason", why}});
  close_link(now_us_, l.id, why);
}

// Now and then, besides every delivery and reconnect, each inbound channel's receipt goes out
// again, so that the peer holds a fresh signed statement of where this station stands.
void engine::send_checkpoints(std::int64_t now_us) {
  for (auto& [channel, ib] : inboxes_) {
    if (ib.durable_next <= 1) continue;
    if (ib.receipt_sent_us >= 0 && now_us - ib.receipt_sent_us < cfg_.checkpoint_interval_us) {
      continue;
    }
    if (best_link(cfg_.channel_peer.at(channel))) send_ack(channel, 0);
  }
}

bool engine::apply_ack(link& l, outbox& ob, std::uint64_t up_to_seq) {
  auto r = ob.on_ack(up_to_seq);
  if (!r) {
    refuse(l, ob.channel(), r.error().message);
    return false;
  }
  if (*r) note_delivered(ob, l.peer, l.path);
  return true;
}

// The outbox's acknowledged point moved: on the peer's receipt, or, for a receipt that came
// ahead of this station's own commit (pipelined), when that commit completed.
void engine::note_delivered(outbox& ob, const std::string& peer, const std::string& path) {
  progress_us_[ob.channel()] = now_us_;
  persist({records::delivered{ob.channel(), ob.acked()}}, pending{});
  out_.events.push_back({event_kind::delivered, peer, path, ob.channel(), ob.acked(), {}});
  pump(peer);
}

void engine::pump(const std::string& peer) {
  if (failed_ || !best_link(peer)) return;
  for (auto& [channel, ob] : outboxes_) {
    if (cfg_.channel_peer.at(channel) != peer) continue;
    if (reclaims_.contains(channel)) continue;  // nothing is numbered until the lost tail is back
    auto seqs = ob.sequence_queued();
    if (!seqs.empty()) {
      pending p;
      p.kind = token_kind::sequence;
      p.channel = channel;
      p.up_to_seq = seqs.back().seq;
      std::vector<records::record> recs(seqs.begin(), seqs.end());
      persist(std::move(recs), std::move(p));
    }
    transmit(ob);
    request_load(ob);
  }
}

// Asks the driver for queued messages kept on disk only, when the queue wants them. Only while a
// link is up (pump()): without one nothing is numbered, so nothing needs to be in memory.
void engine::request_load(outbox& ob) {
  std::optional<load_request> r = ob.queue().next_load();
  if (!r) return;
  // Invariant: a load asks for at least one message.
  assert(r->messages_max >= 1);
  const std::uint64_t token = next_token_++;
  loads_.emplace(token, std::pair{ob.channel(), r->serial});
  out_.loads.push_back(
      {token, ob.channel(), r->prec, std::move(r->after_id), r->messages_max, r->bytes_max});
}

void engine::on_loaded(std::int64_t now_us, std::uint64_t token,
                       result<std::vector<message>> loaded) {
  now_us_ = now_us;
  auto it = loads_.find(token);
  if (it == loads_.end() || failed_) return;
  const auto [channel, serial] = std::move(it->second);
  loads_.erase(it);
  if (!loaded) return fail_storage(now_us, channel, "read failed: " + loaded.error().message);
  outbox& ob = outboxes_.at(channel);
  if (auto r = ob.queue().on_loaded(serial, std::move(*loaded)); !r) {
    return fail_storage(now_us, channel, r.error().message);
  }
  pump(cfg_.channel_peer.at(channel));
}

// The store refused a write or a read. What was in memory may now be ahead of the disk, so the
// engine stops and the driver rebuilds it from the store, exactly as after a crash.
void engine::fail_storage(std::int64_t now_us, const std::string& channel, const std::string& why) {
  failed_ = true;
  out_.events.push_back({event_kind::storage_failed, {}, {}, channel, 0, why});
  std::vector<conn_id> ids;
  for (const auto& [id, l] : links_) ids.push_back(id);
  for (conn_id id : ids) close_link(now_us, id, "station storage failed; restarting");
}

void engine::transmit(outbox& ob) {
  // A peer being refilled hears the old messages first; one being reclaimed from hears nothing.
  if (refills_.contains(ob.channel()) || reclaims_.contains(ob.channel())) return;
  link* l = active_link(cfg_.channel_peer.at(ob.channel()));
  if (!l) return;
  while (const message* m = ob.peek_sendable()) {
    if (!ob.has_unacked_sent()) progress_us_[ob.channel()] = now_us_;
    send_frame(l->id, wire::data{*m});
    // Invariant: a sendable message is in the window, whose chains the outbox keeps.
    note_sent(l->id, ob.channel(), m->seq, *ob.chain_at(m->seq));
    ob.advance();
  }
}

result<std::uint64_t> engine::post(std::int64_t now_us, message m) {
  now_us_ = now_us;
  if (failed_) return fail(errc::unavailable, "station storage failed; restarting");
  auto it = outboxes_.find(m.channel);
  if (it == outboxes_.end()) {
    return fail(errc::invalid_argument, "unknown channel '" + m.channel + "'", "channel");
  }
  if (m.body.size() > limits::message_body_bytes_max) {
    return fail(errc::limit,
                "message longer than " + std::to_string(limits::message_body_bytes_max) + " bytes",
                "text");
  }
  if (m.id.empty() || m.id.size() > limits::message_id_bytes_max) {
    return fail(errc::invalid_argument, "bad message id", "id");
  }
  outbox& ob = it->second;
  if (ob.queued() + queued_pending_[m.channel] >= limits::queue_messages_max) {
    return fail(errc::unavailable, "outbound queue for '" + m.channel + "' is full");
  }
  m.from = cfg_.station;
  m.seq = 0;
  const std::string& peer = cfg_.channel_peer.at(m.channel);
  pending p;
  p.channel = m.channel;
  if (queued_pending_[m.channel] == 0 && best_link(peer) && !reclaims_.contains(m.channel) &&
      ob.try_sequence_now(m)) {
    p.kind = token_kind::post_fast;
    p.up_to_seq = m.seq;
  } else {
    p.kind = token_kind::post_queued;
    p.prec = m.prec;
    // A post that will wait on disk is not copied: the persist action carries it to the store,
    // and the queue reads it back from there when its turn comes.
    if (ob.queue().would_hold(m.prec)) p.msg = m;
    queued_pending_[m.channel]++;
  }
  const bool fast = p.kind == token_kind::post_fast;
  const signing::digest chain = fast ? ob.last_chain() : signing::digest{};
  ids_in_flight_.insert(m.id);
  p.ids.push_back(m.id);
  const std::uint64_t token = persist({records::posted{std::move(m), chain}}, std::move(p));
  // Pipelined: on the wire now, while its commit runs (core/outbox.hpp).
  if (fast && cfg_.pipelined) transmit(ob);
  return token;
}

void engine::on_persisted(std::int64_t now_us, std::uint64_t token, bool ok) {
  now_us_ = now_us;
  auto it = pending_.find(token);
  if (it == pending_.end() || failed_) return;
  pending p = std::move(it->second);
  pending_.erase(it);
  for (const auto& id : p.ids) ids_in_flight_.erase(id);
  if (!ok) return fail_storage(now_us, p.channel, "commit failed");
  switch (p.kind) {
    case token_kind::post_fast:
    case token_kind::sequence: {
      outbox& ob = outboxes_.at(p.channel);
      if (ob.mark_durable(p.up_to_seq)) {
        const std::string& peer = cfg_.channel_peer.at(p.channel);
        const link* l = active_link(peer);
        note_delivered(ob, peer, l ? l->path : std::string{});
      }
      transmit(ob);
      break;
    }
    case token_kind::post_queued: {
      queued_pending_[p.channel]--;
      send_queue& q = outboxes_.at(p.channel).queue();
      if (p.msg) {
        q.push(std::move(*p.msg));
      } else {
        q.push_on_disk(p.prec);
      }
      pump(cfg_.channel_peer.at(p.channel));
      break;
    }
    case token_kind::inbound:
      for (const auto& [channel, seq] : p.inbound_up_to) {
        auto& ib = inboxes_[channel];
        if (seq + 1 > ib.durable_next) {
          ib.durable_next = seq + 1;
          ib.durable_chain = p.inbound_chain.at(channel);
        }
        send_ack(channel, ib.ack_conn);
      }
      send_due_hellos();
      break;
    case token_kind::reclaim:
      reclaim_durable(p.inbound_up_to);
      break;
    case token_kind::other:
      break;
  }
}

void engine::close_link(std::int64_t now_us, conn_id conn, const std::string& reason) {
  if (!find_link(conn)) return;
  send_frame(conn, wire::close{reason});
  out_.closes.push_back({conn, reason});
  drop_link(now_us, conn, reason);
}

void engine::on_disconnected(std::int64_t now_us, conn_id conn, const std::string& reason) {
  now_us_ = now_us;
  drop_link(now_us, conn, reason);
}

void engine::drop_link(std::int64_t now_us, conn_id conn, const std::string& reason) {
  auto it = links_.find(conn);
  if (it == links_.end()) return;
  std::unique_ptr<link> l = std::move(it->second);
  links_.erase(it);
  if (path_rank(l->peer, l->path) >= 0) {
    auto& ds = dials_[{l->peer, l->path}];
    ds.attempts = l->established ? 0 : ds.attempts + 1;
    ds.next_at_us = now_us + backoff_us(ds.attempts);
  }
  out_.events.push_back({l->established ? event_kind::link_down : event_kind::refused, l->peer,
                         l->path, {}, 0, reason});
  if (l->established) {
    note("link_down", {},
         json_safe::dump(nlohmann::json{{"peer", l->peer}, {"path", l->path}, {"reason", reason}}));
  }
  if (auto a = active_.find(l->peer); a != active_.end() && a->second == conn) {
    active_.erase(a);
  }
  drop_unsealed(conn);
  move_recovery(conn, l->peer);
  if (l->established) {
    if (auto pb = peer_boots_.find(l->peer);
        pb != peer_boots_.end() && pb->second.newest == l->peer_boot_id) {
      pb->second.seen_us = now_us;
    }
    return pump(l->peer);
  }
  release_held(*l, reason);
}

std::int64_t engine::retransmit_timeout_us(const std::string& peer) const {
  link* l = best_link(peer);
  std::int64_t srtt = l ? rtt_us(*l) : -1;
  std::int64_t rto = srtt > 0 ? 4 * srtt + 2 * cfg_.heartbeat_interval_us
                              : limits::retransmit_timeout_us_min;
  return std::clamp(rto, limits::retransmit_timeout_us_min, limits::retransmit_timeout_us_max);
}

// The smoothed round trip of the link's path, or -1 before its first pong.
std::int64_t engine::rtt_us(const link& l) const {
  auto it = path_rtt_us_.find({l.peer, l.path});
  return it == path_rtt_us_.end() ? -1 : it->second;
}

// How long a link may stay silent before it is declared dead: the agreement's misses of
// heartbeats, plus four round trips. On a 600 ms satellite path a lost TCP segment holds up
// every frame behind it for a round trip, and a burst of losses until TCP's retransmission
// timer (about two round trips, then doubling) fires; without the allowance such a path would be
// declared dead over and over. A new link on that path starts with the path's last round trip,
// so it is not declared dead before its first pong. A fibre path's round trip is tiny, so its
// failover stays at about heartbeat_interval x misses.
std::int64_t engine::silence_max_us(const link& l) const {
  return cfg_.heartbeat_interval_us * cfg_.heartbeat_misses_max +
         4 * std::clamp<std::int64_t>(rtt_us(l), 0, limits::rtt_us_max);
}

void engine::check_links(std::int64_t now_us) {
  std::vector<std::pair<conn_id, std::string>> to_close;
  for (auto& [id, l] : links_) {
    const std::int64_t silence_max = silence_max_us(*l);
    if (!l->established) {
      if (now_us - l->opened_us >= limits::handshake_timeout_us) {
        to_close.emplace_back(id, "no hello within " +
                                      std::to_string(limits::handshake_timeout_us / 1000) + " ms");
      }
      continue;
    }
    if (now_us - l->last_rx_us >= silence_max) {
      to_close.emplace_back(id, "peer silent for " +
                                    std::to_string((now_us - l->last_rx_us) / 1000) + " ms");
      continue;
    }
    if (now_us - l->last_ping_us >= cfg_.heartbeat_interval_us) {
      l->last_ping_us = now_us;
      if (l->pings_unanswered.size() >= limits::pings_unanswered_max) {
        l->pings_unanswered.pop_front();
      }
      l->pings_unanswered.push_back(static_cast<std::uint64_t>(now_us));
      send_frame(id, wire::ping{static_cast<std::uint64_t>(now_us)});
    }
  }
  for (const auto& [id, reason] : to_close) close_link(now_us, id, reason);
}

void engine::check_retransmits(std::int64_t now_us) {
  for (auto& [channel, ob] : outboxes_) {
    if (!ob.has_unacked_sent()) continue;
    const std::string& peer = cfg_.channel_peer.at(channel);
    if (now_us - progress_us_[channel] < retransmit_timeout_us(peer)) continue;
    ob.rewind();
    progress_us_[channel] = now_us;
    transmit(ob);
  }
}

void engine::schedule_dials(std::int64_t now_us) {
  if (!cfg_.dial || failed_) return;
  for (auto& [key, ds] : dials_) {
    if (ds.in_progress || now_us < ds.next_at_us) continue;
    if (dial_covered(key.first, key.second)) continue;
    ds.in_progress = true;
    out_.dials.push_back({key.first, key.second});
  }
}

bool engine::dial_covered(const std::string& peer, const std::string& path) const {
  return std::any_of(links_.begin(), links_.end(), [&](const auto& kv) {
    return kv.second->peer == peer && kv.second->path == path;
  });
}

void engine::on_tick(std::int64_t now_us) {
  now_us_ = now_us;
  check_links(now_us);
  if (failed_) return;
  check_retransmits(now_us);
  send_checkpoints(now_us);
  schedule_dials(now_us);
  for (const auto& p : cfg_.peers) pump(p.station);
}

std::int64_t engine::next_wakeup_us() const {
  std::int64_t t = LLONG_MAX;
  for (const auto& [id, l] : links_) {
    if (!l->established) {
      t = std::min(t, l->opened_us + limits::handshake_timeout_us);
      continue;
    }
    t = std::min(t, l->last_ping_us + cfg_.heartbeat_interval_us);
    if (now_us_ - l->established_us < path_return_us()) {
      t = std::min(t, l->established_us + path_return_us());
    }
    t = std::min(t, l->last_rx_us + silence_max_us(*l));
  }
  if (cfg_.dial && !failed_) {
    for (const auto& [key, ds] : dials_) {
      // A path with a link on it is not dialed, so its old dial time must not wake the driver.
      if (!ds.in_progress && !dial_covered(key.first, key.second)) t = std::min(t, ds.next_at_us);
    }
  }
  for (const auto& [channel, ob] : outboxes_) {
    if (!ob.has_unacked_sent()) continue;
    auto p = progress_us_.find(channel);
    // The same timeout check_retransmits() applies, or the driver wakes early and spins.
    if (p != progress_us_.end()) {
      t = std::min(t, p->second + retransmit_timeout_us(cfg_.channel_peer.at(channel)));
    }
  }
  return t;
}

effects engine::take() {
  send_seals();
  effects e = std::move(out_);
  out_ = effects{};
  send_index_.clear();
  return e;
}

std::vector<channel_status> engine::status(std::int64_t now_us) const {
  (void)now_us;
  std::vector<channel_status> out;
  for (const auto& [channel, peer] : cfg_.channel_peer) {
    channel_status s;
    s.channel = channel;
    s.peer = peer;
    const outbox& ob = outboxes_.at(channel);
    s.queued = ob.queued();
    s.unacked = ob.in_window();
    s.out_acked = ob.acked();
    s.out_next_seq = ob.next_seq();
    s.in_next_expected = inboxes_.at(channel).durable_next;
    s.reclaiming = reclaims_.contains(channel);
    s.refilling = refills_.contains(channel);
    auto active = active_.find(peer);
    for (const auto& pc : cfg_.peers) {
      if (pc.station != peer) continue;
      for (const auto& path : pc.paths) {
        path_status ps;
        ps.path = path;
        for (const auto& [id, l] : links_) {
          if (!l->established || l->peer != peer || l->path != path) continue;
          ps.up = true;
          ps.rtt_us = rtt_us(*l);
          ps.last_heard_us = l->last_rx_us;
          ps.active = active != active_.end() && active->second == id;
          if (ps.active) {
            s.link_up = true;
            s.active_path = path;
            s.rtt_us = rtt_us(*l);
          }
          s.last_heard_us = std::max(s.last_heard_us, l->last_rx_us);
        }
        s.link_up = s.link_up || ps.up;
        s.paths.push_back(ps);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace hotline::core

// Engine: the handshake (docs/protocol.md, "Hello").
//
// Each end of a new link sends a hello naming, for every channel it shares with the peer, the
// next seq it expects: where the peer resumes sending. A restarted sender that put messages on
// the wire before its own commit (pipelined durability) learns from that resume point what it
// lost and takes it back (engine_recovery.cpp), so the resume point must be final when it is
// sent. Two rules make it so:
//
// - a station sends its hello only once everything it accepted from the peer is on its disk,
//   and handles the peer's hello only after sending its own;
// - while any link to a peer awaits that peer's hello, the station reads nothing from its other
//   links to the peer (the bytes wait, bounded by limits::frozen_link_bytes_max). The hello then
//   shows the peer's boot: links of an earlier boot are closed unread, and the others resume.
//
// So nothing from an earlier boot of the peer is accepted after a hello that the new boot acts on.
// Which boot is newer the boot ids say (engine::make_boot_id: the high half numbers a station's
// starts), not the order hellos arrive in: a hello a dead boot sent on a slow path may arrive
// after its successor's, and is refused (limits::earlier_boot_refused_us).
#include <algorithm>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/engine.hpp"
#include "core/engine_link.hpp"
#include "core/json_safe.hpp"

namespace hotline::core {

namespace {

std::string hex_prefix(const wire::hash256& h) { return signing::to_hex(std::span(h).first(8)); }

}  // namespace

void engine::send_hello_when_ready(link& l) {
  if (l.hello_sent) return;
  wire::hello h;
  h.station = cfg_.station;
  h.agreement_hash = cfg_.agreement_hash;
  h.boot_id = cfg_.boot_id;
  h.path = l.path;
  for (const auto& [channel, p] : cfg_.channel_peer) {
    if (p != l.peer) continue;
    const inbox_state& ib = inboxes_[channel];
    if (ib.accept_next != ib.durable_next) return;  // on_persisted() calls again
    h.resume.push_back({channel, ib.durable_next});
  }
  send_frame(l.id, h);
  l.hello_sent = true;
  if (l.peer_hello) {
    wire::hello theirs = std::move(*l.peer_hello);
    l.peer_hello.reset();
    handle_hello(now_us_, l, std::move(theirs));
  }
}

void engine::send_due_hellos() {
  std::vector<conn_id> due;
  for (const auto& [id, l] : links_) {
    if (!l->hello_sent) due.push_back(id);
  }
  for (conn_id id : due) {
    if (link* l = find_link(id)) send_hello_when_ready(*l);
  }
}

bool engine::frozen(const link& l) const {
  if (!l.established) return false;
  return std::any_of(links_.begin(), links_.end(), [&](const auto& other) {
    return other.second->peer == l.peer && !other.second->established;
  });
}

// A link closed before both hellos were through. If this station's hello went out on it, the
// peer may have acted on it: links of an earlier boot than the one its hello named (of every
// boot, when none arrived) may carry frames that hello contradicts, and start again. The rest
// resume.
void engine::release_held(const link& gone, const std::string& reason) {
  if (gone.hello_sent) {
    std::vector<conn_id> stale;
    for (const auto& [id, other] : links_) {
      if (other->peer != gone.peer || !other->established) continue;
      if (!gone.peer_boot_known || other->peer_boot_id < gone.peer_boot_id) stale.push_back(id);
    }
    for (conn_id id : stale) {
      close_link(now_us_, id,
                 gone.peer_boot_known
                     ? std::string{"peer restarted"}
                     : "a hello went out on a link to " + gone.peer + " that then failed (" +
                           reason + "); links held behind it start again");
    }
  }
  thaw(gone.peer, 0);
}

// True when `boot` is earlier than the newest boot of `peer` a hello has named, while that one
// may still be alive: a link of it is up, or closed less than earlier_boot_refused_us ago.
bool engine::earlier_boot(const std::string& peer, std::uint64_t boot) const {
  auto it = peer_boots_.find(peer);
  if (it == peer_boots_.end() || boot >= it->second.newest) return false;
  const std::uint64_t newest = it->second.newest;
  const bool newest_up = std::any_of(links_.begin(), links_.end(), [&](const auto& other) {
    return other.second->peer == peer && other.second->established &&
           other.second->peer_boot_id == newest;
  });
  return newest_up || now_us_ - it->second.seen_us < limits::earlier_boot_refused_us;
}

void engine::thaw(const std::string& peer, conn_id except) {
  std::vector<conn_id> held;
  for (const auto& [id, l] : links_) {
    if (l->peer != peer) continue;
    if (!l->established) return;  // still awaiting a hello
    if (id != except && l->decoder.buffered_bytes() > 0) held.push_back(id);
  }
  for (conn_id id : held) {
    if (link* l = find_link(id)) decode(now_us_, *l);
  }
  if (!held.empty()) flush_inbound();
}

void engine::handle_hello(std::int64_t now_us, link& l, wire::hello&& h) {
  if (l.established) return close_link(now_us, l.id, "second hello on an established link");
  if (h.version != limits::protocol_version) {
    // Both stations of a hotline upgrade together; until then nothing passes, and the journal
    // says why.
    return refuse(l, {}, "protocol version " + std::to_string(h.version) +
                             ", this station speaks " + std::to_string(limits::protocol_version));
  }
  if (h.station != l.peer) {
    return close_link(now_us, l.id,
                      "hello names station '" + h.station + "' but the key is " + l.peer + "'s");
  }
  l.peer_boot_id = h.boot_id;
  l.peer_boot_known = true;
  if (earlier_boot(l.peer, h.boot_id)) {
    return close_link(now_us, l.id,
                      "hello from an earlier boot of " + l.peer + " than one already seen");
  }
  peer_boot& pb = peer_boots_[l.peer];
  pb.newest = h.boot_id;
  pb.seen_us = now_us;
  if (h.agreement_hash != cfg_.agreement_hash &&
      std::find(cfg_.agreements_also_accepted.begin(), cfg_.agreements_also_accepted.end(),
                h.agreement_hash) == cfg_.agreements_also_accepted.end()) {
    out_.events.push_back({event_kind::refused, l.peer, h.path, {}, 0,
                           "agreement mismatch: ours sha256:" + hex_prefix(cfg_.agreement_hash) +
                               "..., " + l.peer + "'s sha256:" + hex_prefix(h.agreement_hash) +
                               "..."});
    return close_link(now_us, l.id, "agreement mismatch: the stations follow different agreements");
  }
  // The dialer names the path. The listener sends its hello before it has heard the dialer's,
  // so a hello arriving on an outbound link names no path, and that is expected.
  if (l.dir == direction::inbound) l.path = h.path;
  bool path_mismatch = !h.path.empty() && h.path != l.path;
  if (path_mismatch || path_rank(l.peer, l.path) < 0) {
    return close_link(now_us, l.id, "unknown path '" + h.path + "'");
  }
  std::set<std::string> resumed;
  for (const auto& r : h.resume) {
    auto it = cfg_.channel_peer.find(r.channel);
    if (it == cfg_.channel_peer.end() || it->second != l.peer) {
      return close_link(now_us, l.id, "hello resumes channel '" + r.channel + "' not shared");
    }
    if (!resumed.insert(r.channel).second) {
      return refuse(l, r.channel, "hello names channel '" + r.channel + "' twice");
    }
    // The peer cannot hold what this station never sent, unless this station forgot it (a
    // restore from a backup): then it fetches back what the peer holds, checking its own
    // signature on each (resume_recovery). Unsigned, it could not tell its own from forgeries.
    const outbox& ob = outboxes_.at(r.channel);
    if (r.next_expected > ob.sent_max() + 1 && cfg_.signing_key.empty()) {
      return refuse(l, r.channel,
                    "hello resumes " + r.channel + " at seq " + std::to_string(r.next_expected) +
                        ", beyond the last this station sent (" + std::to_string(ob.sent_max()) +
                        ")");
    }
  }
  // A hello from a newer boot means every link of the old one is stale: what still arrives on
  // them must not be accepted after this station's hello told the new boot where to resume. Of
  // two live links on one path, both stations keep the one dialed by the station whose id sorts
  // first.
  std::vector<std::pair<conn_id, std::string>> stale;
  for (auto& [id, other] : links_) {
    if (id == l.id || !other->established || other->peer != l.peer) continue;
    if (other->peer_boot_id < h.boot_id) {
      stale.emplace_back(id, "peer restarted");
    } else if (other->path == l.path) {
      if ((l.dir == direction::outbound) != (cfg_.station < l.peer)) {
        return close_link(now_us, l.id, "duplicate connection");
      }
      stale.emplace_back(id, "duplicate connection");
    }
  }
  for (const auto& [id, why] : stale) close_link(now_us, id, why);
  l.established = true;
  l.established_us = now_us;
  dials_[{l.peer, l.path}].attempts = 0;
  out_.events.push_back({event_kind::link_up, l.peer, l.path, {}, 0, {}});
  note("link_up", {}, json_safe::dump(nlohmann::json{{"peer", l.peer}, {"path", l.path}}));
  // A resume point is unsigned: it only tells transmission where to restart on this link.
  // Messages are marked delivered by the peer's signed receipt, which follows every hello.
  active_link(l.peer);
  for (const auto& r : h.resume) outboxes_.at(r.channel).skip_to(r.next_expected);
  resume_recovery(l, h);
  // Cross-attestation at every reconnect: each side signs where it stands on the other's
  // traffic, and each keeps the first such receipt it gets on the new link.
  for (const auto& [channel, peer] : cfg_.channel_peer) {
    if (peer != l.peer) continue;
    attest_[channel].stored_us = -1;
    if (inboxes_[channel].durable_next > 1) send_ack(channel, l.id);
  }
  pump(l.peer);
  thaw(l.peer, l.id);
}

}  // namespace hotline::core

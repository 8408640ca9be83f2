#include "station/runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <set>

#include "core/limits.hpp"
#include "station/ids.hpp"

namespace hotline::station {
namespace asio = boost::asio;

namespace {

core::engine_config make_engine_config(const config::station_config& cfg,
                                       const config::agreement& agreement) {
  core::engine_config e;
  e.station = cfg.station;
  e.agreement_hash = agreement.hash;
  e.channel_peer = agreement.channel_peers(cfg.station);
  e.heartbeat_interval_us = agreement.heartbeat_interval_ms * 1000;
  e.heartbeat_misses_max = agreement.heartbeat_misses_max;
  // A peer's paths, in the preference order of the first channel that names them.
  for (const auto& ch : agreement.channels) {
    auto it = e.channel_peer.find(ch.id);
    if (it == e.channel_peer.end()) continue;
    auto pc = std::find_if(e.peers.begin(), e.peers.end(),
                           [&](const auto& p) { return p.station == it->second; });
    if (pc == e.peers.end()) pc = e.peers.insert(e.peers.end(), core::peer_config{it->second, {}});
    for (const auto& path : ch.paths) {
      if (std::find(pc->paths.begin(), pc->paths.end(), path) == pc->paths.end()) {
        pc->paths.push_back(path);
      }
    }
  }
  return e;
}

net::tls_settings make_tls_settings(const config::station_config& cfg,
                                    const config::agreement& agreement,
                                    const core::engine_config& e) {
  net::tls_settings t;
  t.certificate = cfg.tls_certificate;
  t.private_key = cfg.tls_private_key;
  // Least privilege: only stations that share a hotline with this one may connect.
  for (const auto& p : e.peers) {
    if (const auto* s = agreement.find_station(p.station)) t.pins[s->tls_fingerprint] = s->id;
  }
  return t;
}

std::vector<config::endpoint> listen_endpoints(const config::station_config& cfg,
                                               const config::agreement& agreement) {
  if (!cfg.peer_listen.empty()) return cfg.peer_listen;
  std::vector<config::endpoint> out;
  std::set<std::string> seen;
  if (const auto* s = agreement.find_station(cfg.station)) {
    for (const auto& [path, ep] : s->addresses) {
      if (seen.insert(ep.to_string()).second) out.push_back(ep);
    }
  }
  return out;
}

storage::stored_message stored_from(const message& m, storage::box b) {
  storage::stored_message s;
  s.msg = m;
  s.direction = b;
  s.status = b == storage::box::in ? storage::delivery_status::delivered
             : m.seq == 0          ? storage::delivery_status::queued
                                   : storage::delivery_status::sent;
  return s;
}

}  // namespace

runtime::runtime(asio::io_context& io, const config::station_config& cfg,
                 const config::agreement& agreement, storage::store& store)
    : io_(io),
      cfg_(cfg),
      agreement_(agreement),
      store_(store),
      engine_cfg_(make_engine_config(cfg, agreement)),
      timer_(io) {}

runtime::~runtime() { stop(); }

result<std::unique_ptr<runtime>> runtime::create(asio::io_context& io,
                                                 const config::station_config& cfg,
                                                 const config::agreement& agreement,
                                                 storage::store& store) {
  std::unique_ptr<runtime> rt(new runtime(io, cfg, agreement, store));
  if (rt->engine_cfg_.channel_peer.empty()) {
    return fail(errc::invalid_argument,
                "station '" + cfg.station + "' is on no hotline in the agreement", "station");
  }
  auto t = net::peer_transport::create(io, make_tls_settings(cfg, agreement, rt->engine_cfg_),
                                       listen_endpoints(cfg, agreement), *rt);
  if (!t) return std::unexpected(t.error());
  rt->transport_ = std::move(*t);
  if (auto r = rt->rebuild_engine(); !r) return std::unexpected(r.error());
  return rt;
}

result<void> runtime::rebuild_engine() {
  for (auto& [id, c] : conns_) c->close();
  conns_.clear();
  core::engine_config e = engine_cfg_;
  e.boot_id = random_u64();
  e.seed = random_u64();
  auto fresh = std::make_unique<core::engine>(std::move(e));
  std::vector<records::channel_recovery> recovered;
  for (const auto& [channel, peer] : engine_cfg_.channel_peer) {
    auto r = store_.recover(channel);
    if (!r) return std::unexpected(r.error());
    recovered.push_back(std::move(*r));
  }
  fresh->restore(recovered);
  engine_ = std::move(fresh);
  ++engine_generation_;
  return {};
}

void runtime::start() {
  started_at_ms_ = wall_ms();
  engine_->on_tick(now_us());
  drive();
}

void runtime::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (transport_) transport_->stop();
  while (!commit_queue_.empty()) flush();
  for (auto& [id, c] : conns_) c->close();
  conns_.clear();
  timer_.cancel();
}

std::int64_t runtime::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               epoch_)
      .count();
}

std::int64_t runtime::wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void runtime::drive() {
  apply(engine_->take());
  arm_timer();
}

void runtime::apply(core::effects e) {
  for (auto& s : e.sends) {
    if (auto it = conns_.find(s.conn); it != conns_.end()) it->second->send(std::move(s.bytes));
  }
  for (const auto& c : e.closes) {
    if (auto it = conns_.find(c.conn); it != conns_.end()) {
      it->second->close();
      conns_.erase(it);
    }
  }
  for (const auto& d : e.dials) {
    const auto* s = agreement_.find_station(d.peer);
    auto ep = s ? s->addresses.find(d.path) : decltype(s->addresses.end()){};
    if (!s || ep == s->addresses.end()) {
      engine_->on_dial_failed(now_us(), d.peer, d.path, "no address for this path");
      continue;
    }
    transport_->dial(d.peer, d.path, ep->second);
  }
  for (auto& p : e.persists) commit_queue_.push_back({std::move(p), engine_generation_});
  if (!commit_queue_.empty()) schedule_flush();
  bool status_changed = false;
  for (const auto& ev : e.events) {
    log_event(ev);
    status_changed = status_changed || ev.kind != core::event_kind::storage_failed;
  }
  if (status_changed) publish({service_event::kind::status, std::nullopt});
}

void runtime::arm_timer() {
  if (stopped_) return;
  std::int64_t now = now_us();
  std::int64_t at = std::clamp(engine_->next_wakeup_us(), now, now + 1'000'000);
  timer_.expires_at(epoch_ + std::chrono::microseconds(at));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    engine_->on_tick(now_us());
    drive();
  });
}

void runtime::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  // Posting lets every request and frame already read join this commit: group commit.
  asio::post(io_, [this] { flush(); });
}

void runtime::flush() {
  flush_scheduled_ = false;
  std::vector<queued_persist> batch;
  std::vector<records::record> recs;
  while (!commit_queue_.empty()) {
    auto& q = commit_queue_.front();
    if (!batch.empty() && recs.size() + q.action.records.size() > limits::group_commit_records_max) {
      break;
    }
    if (q.engine_generation == engine_generation_) {
      for (const auto& r : q.action.records) recs.push_back(r);
      batch.push_back(std::move(q));
    } else if (auto cb = post_callbacks_.extract(q.action.token); !cb.empty()) {
      cb.mapped()(fail(errc::unavailable, "the station restarted its link state; post again"));
    }
    commit_queue_.pop_front();
  }
  if (batch.empty()) return;
  auto committed = store_.commit(recs, wall_ms());
  if (!committed) spdlog::error("store commit failed: {}", committed.error().message);
  std::int64_t now = now_us();
  for (const auto& q : batch) {
    engine_->on_persisted(now, q.action.token, committed.has_value());
    auto cb = post_callbacks_.extract(q.action.token);
    if (cb.empty()) continue;
    if (!committed) {
      cb.mapped()(fail(errc::io, "the station could not store the message: " +
                                     committed.error().message));
      continue;
    }
    const auto& posted = std::get<records::posted>(q.action.records.front());
    auto stored = store_.get(posted.msg.id);
    if (stored && *stored) {
      cb.mapped()(**stored);
      publish({service_event::kind::message, **stored});
    } else {
      cb.mapped()(stored_from(posted.msg, storage::box::out));
    }
  }
  if (committed && !subscribers_.empty()) {
    for (const auto& r : recs) {
      if (const auto* rec = std::get_if<records::received>(&r)) {
        auto stored = store_.get(rec->msg.id);
        if (stored && *stored) publish({service_event::kind::message, **stored});
      }
    }
  }
  if (engine_->failed()) {
    spdlog::error("rebuilding link state from the store after a failed commit");
    if (auto r = rebuild_engine(); !r) {
      spdlog::critical("cannot read the store back: {}", r.error().message);
    }
    engine_->on_tick(now_us());
  }
  if (!stopped_) drive();
  if (!commit_queue_.empty()) schedule_flush();
}

void runtime::on_connected(std::shared_ptr<net::peer_connection> conn, core::direction dir,
                           const std::string& peer, const std::string& path) {
  if (stopped_) return conn->close();
  core::conn_id id = engine_->on_connected(now_us(), dir, peer, path);
  spdlog::debug("{} TLS link with {} ({}) ready", dir == core::direction::inbound ? "inbound" : "outbound",
                peer, conn->remote());
  conns_[id] = conn;
  conn->start(this, id);
  if (dir == core::direction::outbound) last_dial_error_.erase({peer, path});
  drive();
}

void runtime::on_dial_failed(const std::string& peer, const std::string& path,
                             const std::string& reason) {
  if (stopped_) return;
  // Say it once per change, not at every backoff step.
  auto& last = last_dial_error_[{peer, path}];
  if (last != reason) {
    spdlog::warn("cannot reach {} on path {}: {}", peer, path, reason);
    last = reason;
  }
  engine_->on_dial_failed(now_us(), peer, path, reason);
  drive();
}

void runtime::on_bytes(std::uint64_t id, std::span<const std::uint8_t> bytes) {
  engine_->on_bytes(now_us(), id, bytes);
  drive();
}

void runtime::on_closed(std::uint64_t id, const std::string& reason) {
  conns_.erase(id);
  engine_->on_disconnected(now_us(), id, reason);
  drive();
}

void runtime::log_event(const core::event& e) {
  switch (e.kind) {
    case core::event_kind::link_up:
      spdlog::info("link to {} up on path {}", e.peer, e.path);
      break;
    case core::event_kind::link_down:
      spdlog::warn("link to {} on path {} down: {}", e.peer, e.path, e.detail);
      break;
    case core::event_kind::refused:
      spdlog::warn("link with {} refused: {}", e.peer, e.detail);
      break;
    case core::event_kind::storage_failed:
      spdlog::error("storage failed: {}", e.detail);
      break;
    case core::event_kind::delivered:
      spdlog::trace("{} delivered up to seq {}", e.channel, e.seq);
      break;
  }
}

void runtime::publish(const service_event& e) {
  if (subscribers_.empty()) return;
  // A subscriber may unsubscribe from inside its callback.
  auto copy = subscribers_;
  for (auto& [id, cb] : copy) cb(e);
}

void runtime::post(post_request req, post_callback done) {
  if (stopped_) return done(fail(errc::unavailable, "the station is shutting down"));
  message m;
  m.id = new_message_id();
  m.channel = std::move(req.channel);
  m.prec = req.prec;
  m.created_at_ms = wall_ms();
  m.form = std::move(req.form);
  m.body = std::move(req.body);
  auto token = engine_->post(now_us(), std::move(m));
  if (!token) return done(std::unexpected(token.error()));
  post_callbacks_[*token] = std::move(done);
  drive();
}

result<std::vector<storage::stored_message>> runtime::list(const storage::list_query& q) {
  return store_.list(q);
}

result<std::optional<storage::stored_message>> runtime::get(const std::string& id) {
  return store_.get(id);
}

status_snapshot runtime::status() {
  status_snapshot s;
  s.station = cfg_.station;
  if (const auto* st = agreement_.find_station(cfg_.station)) s.station_name = st->name;
  s.agreement_hash = agreement_.hash_hex();
  s.started_at_ms = started_at_ms_;
  std::int64_t now = now_us();
  for (auto& c : engine_->status(now)) {
    channel_view v;
    v.last_heard_ms_ago = c.last_heard_us < 0 ? -1 : (now - c.last_heard_us) / 1000;
    v.core = std::move(c);
    s.channels.push_back(std::move(v));
  }
  return s;
}

std::uint64_t runtime::subscribe(event_callback cb) {
  std::uint64_t id = next_subscriber_++;
  subscribers_[id] = std::move(cb);
  return id;
}

void runtime::unsubscribe(std::uint64_t id) { subscribers_.erase(id); }

}  // namespace hotline::station

#include "sim/station.hpp"

#include <climits>

namespace hotline::sim {

signing::signer station_setup::signer() const {
  signing::signer out(key);
  if (rotate_at_ms != 0) out.add(rotate_at_ms, rotated_key);
  return out;
}

signing::key_schedule station_setup::peer_schedule() const {
  signing::key_schedule out;
  for (const auto& [station, public_key] : peer_keys) {
    out.pin(station, public_key);
    if (rotate_at_ms != 0) out.add(station, rotate_at_ms, peer_rotated_key);
  }
  return out;
}

storage::journal_keys station_setup::journal_keys() const {
  storage::journal_keys out{id, peer_schedule()};
  out.keys.pin(id, key.public_half());
  if (rotate_at_ms != 0) out.keys.add(id, rotate_at_ms, rotated_key.public_half());
  return out;
}

station::station(station_setup setup, scheduler& sched, rng& random, trace& tr, network& net,
                 std::unique_ptr<storage::store> store)
    : setup_(std::move(setup)),
      sched_(sched),
      rng_(random),
      trace_(tr),
      net_(net),
      disk_(sched, random, std::move(store)) {}

void station::note_fault(std::string what) {
  if (fault_.empty()) fault_ = setup_.id + ": " + std::move(what);
}

void station::start() {
  if (up()) return;
  ++incarnation_;
  core::engine_config cfg;
  cfg.station = setup_.id;
  cfg.agreement_hash = setup_.agreement;
  // What a station's store numbers (storage::store::next_boot): its starts, in order.
  cfg.boot_id = core::engine::make_boot_id(incarnation_, 0, rng_.next());
  cfg.seed = rng_.next();
  for (const auto& c : setup_.channels) cfg.channel_peer[c] = setup_.peer;
  cfg.peers = {{setup_.peer, setup_.paths}};
  cfg.signing_key = setup_.signer();
  cfg.peer_keys = setup_.peer_schedule();
  cfg.queue_memory_messages_max = setup_.queue_memory_messages_max;
  cfg.queue_memory_bytes_max = setup_.queue_memory_bytes_max;
  cfg.pipelined = setup_.pipelined;
  cfg.wall_ms = [this] { return epoch_ms + sched_.now_us() / 1000; };
  // As the station's runtime does: a message id already on disk is refused before it is accepted.
  cfg.id_taken = [this](const std::string& id) {
    auto found = disk_.store().get(id);
    return !found || found->has_value();
  };
  std::vector<records::channel_recovery> recovered;
  for (const auto& c : setup_.channels) {
    auto r = disk_.store().recover(c);
    if (!r) return note_fault("recover(" + c + ") failed: " + r.error().message);
    recovered.push_back(std::move(*r));
  }
  engine_ = std::make_unique<core::engine>(std::move(cfg));
  engine_->restore(recovered);
  tick_at_us_ = -1;
  trace_.mix(std::string_view("start"));
  trace_.mix(incarnation_);
  schedule_tick();
}

void station::crash() {
  if (!up()) return;
  trace_.mix(std::string_view("crash"));
  net_.station_crashed(setup_.index);
  disk_.crash();
  engine_.reset();
  post_tokens_.clear();
  tick_at_us_ = -1;
}

std::string station::post(const std::string& channel, precedence p) {
  if (!up()) return {};
  message m;
  m.id = setup_.id + "-" + std::to_string(next_post_++);
  m.channel = channel;
  m.prec = p;
  m.created_at_ms = epoch_ms + sched_.now_us() / 1000;
  m.body = std::string(rng_.below(200), static_cast<char>('a' + rng_.below(26)));
  auto token = engine_->post(sched_.now_us(), m);
  trace_.mix(m.id);
  if (!token) return {};
  m.from = setup_.id;
  posted_[m.id] = m;
  post_order_[m.id] = next_post_ - 1;
  post_tokens_[*token] = m.id;
  drain();
  return m.id;
}

core::conn_id station::open_conn(core::direction dir, const std::string& peer,
                                 const std::string& path) {
  return engine_->on_connected(sched_.now_us(), dir, peer, path);
}

void station::dial_failed(const std::string& peer, const std::string& path) {
  engine_->on_dial_failed(sched_.now_us(), peer, path, "unreachable");
  drain();
}

void station::bytes_arrived(core::conn_id conn, std::span<const std::uint8_t> bytes) {
  engine_->on_bytes(sched_.now_us(), conn, bytes);
  drain();
}

void station::disconnected(core::conn_id conn, const std::string& why) {
  engine_->on_disconnected(sched_.now_us(), conn, why);
  drain();
}

void station::drain() {
  if (!up()) return;
  for (core::effects e = engine_->take(); !e.empty(); e = engine_->take()) {
    for (const auto& s : e.sends) net_.send(setup_.index, s.conn, s.bytes);
    for (const auto& c : e.closes) net_.close(setup_.index, c.conn);
    for (const auto& d : e.dials) net_.dial(setup_.index, d);
    for (auto& p : e.persists) {
      trace_.mix(p.token);
      std::uint64_t inc = incarnation_;
      disk_.submit(std::move(p), [this, inc](const core::persist_action& a, bool ok) {
        if (inc == incarnation_) persisted(a, ok);
      });
    }
    for (auto& l : e.loads) {
      trace_.mix(l.token);
      std::uint64_t inc = incarnation_;
      disk_.read(std::move(l),
                 [this, inc](const core::load_action& a, result<std::vector<message>> rows) {
                   if (inc == incarnation_ && up()) loaded(a, std::move(rows));
                 });
    }
    for (auto& r : e.range_loads) {
      trace_.mix(r.token);
      std::uint64_t inc = incarnation_;
      disk_.read_range(std::move(r), [this, inc](const core::range_load_action& a,
                                                 result<records::range_rows> rows) {
        if (inc != incarnation_ || !up()) return;
        trace_.mix(rows ? rows->messages.size() : 0);
        engine_->on_range_loaded(sched_.now_us(), a.token, std::move(rows));
        drain();
        rebuild_if_failed();
      });
    }
    for (const auto& ev : e.events) {
      trace_.mix(static_cast<std::uint64_t>(ev.kind));
      trace_.mix(ev.detail);
    }
  }
  schedule_tick();
}

void station::persisted(const core::persist_action& action, bool ok) {
  if (ok && crash_after_commit_ && crash_after_commit_(action)) return crash();
  auto post = post_tokens_.find(action.token);
  if (post != post_tokens_.end()) {
    if (ok) acknowledged_.insert(post->second);
    post_tokens_.erase(post);
  }
  engine_->on_persisted(sched_.now_us(), action.token, ok);
  drain();
  rebuild_if_failed();
}

void station::loaded(const core::load_action& action, result<std::vector<message>> rows) {
  trace_.mix(rows ? rows->size() : 0);
  engine_->on_loaded(sched_.now_us(), action.token, std::move(rows));
  drain();
  rebuild_if_failed();
}

void station::rebuild_if_failed() {
  if (!up() || !engine_->failed()) return;
  // The driver contract: a failed commit or read means the engine is rebuilt from the store.
  trace_.mix(std::string_view("rebuild"));
  crash();
  start();
}

void station::schedule_tick() {
  if (!up()) return;
  std::int64_t now = sched_.now_us();
  std::int64_t wake = engine_->next_wakeup_us();
  if (wake == LLONG_MAX) return;
  if (in_tick_ && wake <= now) {
    // A driver told to wake in the past right after a tick would spin without end.
    return note_fault("engine asks to be woken at " + std::to_string(wake) +
                      " us right after a tick at " + std::to_string(now) + " us");
  }
  wake = std::max(wake, now);
  if (wake == tick_at_us_) return;
  tick_at_us_ = wake;
  std::uint64_t inc = incarnation_;
  sched_.at(wake, [this, inc, wake] {
    if (inc == incarnation_ && up() && tick_at_us_ == wake) tick(wake);
  });
}

void station::tick(std::int64_t at_us) {
  tick_at_us_ = -1;
  in_tick_ = true;
  engine_->on_tick(at_us);
  drain();
  in_tick_ = false;
}

}  // namespace hotline::sim

#include "station/runtime.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>

#include "core/json_safe.hpp"
#include "core/limits.hpp"
#include "core/shape.hpp"
#include "forms/label_text.hpp"
#include "forms/utc_time.hpp"
#include "forms/validate.hpp"
#include "station/ids.hpp"
#include "station/station_store.hpp"
#include "storage/sqlite_store.hpp"

namespace hotline::station {
namespace asio = boost::asio;

namespace {

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::engine_config make_engine_config(const config::station_config& cfg,
                                       const config::agreement& agreement) {
  core::engine_config e;
  e.station = cfg.station;
  e.wall_ms = system_ms;
  e.agreement_hash = agreement.hash;
  e.channel_peer = agreement.channel_peers(cfg.station);
  e.heartbeat_interval_us = agreement.heartbeat_interval_ms * 1000;
  e.heartbeat_misses_max = agreement.heartbeat_misses_max;
  e.labels = agreement.labels;
  e.pipelined = cfg.pipelined;
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

// The TLS key this station presents at `ms` and the peers' keys it accepts then: the version in
// effect, and its neighbour during the overlap of a key rotation.
net::tls_settings make_tls_settings(const keyring& keys, const core::engine_config& e,
                                    std::int64_t ms) {
  net::tls_settings t;
  if (const auto* own = keys.tls_at(ms)) {
    t.certificate = own->certificate;
    t.private_key = own->private_key;
  }
  // Least privilege: only stations that share a hotline with this one may connect.
  for (const auto& [fingerprint, station] : keys.history.pins_at(ms)) {
    const bool peer = std::any_of(e.peers.begin(), e.peers.end(),
                                  [&](const core::peer_config& p) { return p.station == station; });
    if (peer) t.pins[fingerprint] = station;
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

core::watch make_watch(const config::agreement& a, const std::map<std::string, std::string>& channels) {
  core::deadline_policy d;
  for (std::size_t i = 0; i < d.ack_within_ms.size(); ++i) d.ack_within_ms[i] = a.deadlines.minutes[i] * 60'000;
  std::map<std::string, core::link_test_policy> tests;
  if (a.link_tests.enabled()) {
    core::link_test_policy p;
    p.every_ms = a.link_tests.every_minutes * 60'000;
    p.answer_within_ms = a.link_tests.answer_within_minutes * 60'000;
    const auto* zone = forms::find_reader_zone(a.link_tests.timezone);
    int offset = zone ? zone->offset_minutes : 0;
    for (const auto& t : a.link_tests.times) {
      int local = std::stoi(t.substr(0, 2)) * 60 + std::stoi(t.substr(3, 2));
      p.at_minutes_utc.push_back(((local - offset) % 1440 + 1440) % 1440);
    }
    for (const auto& [channel, peer] : channels) tests[channel] = p;
  }
  return core::watch(d, std::move(tests));
}

core::tracked tracked_of(const message& m, bool outbound) {
  return {m.id, m.channel, outbound, m.prec, m.form, m.created_at_ms};
}

bool is_answer(std::string_view form) { return !core::form_needs_ack(form); }

storage::stored_message stored_from(const message& m, storage::box b) {
  storage::stored_message s;
  s.msg = m;
  s.direction = b;
  s.status = b == storage::box::in ? storage::delivery_status::delivered
             : m.seq == 0          ? storage::delivery_status::queued
                                   : storage::delivery_status::sent;
  return s;
}

// The rows a commit has just written, as a read would return them, without the read: a message
// inserted by the commit is its record, the cursor the store gave it, and for an inbound one the
// commit's time. A message the same commit also flagged, acknowledged or escalated is read back.
class committed_rows {
 public:
  committed_rows(storage::store& store, const std::vector<records::record>& recs,
                 std::int64_t committed_at_ms)
      : store_(store), committed_at_ms_(committed_at_ms) {
    for (const auto& r : recs) {
      if (const auto* f = std::get_if<records::flagged>(&r)) changed_.insert(f->id);
      if (const auto* a = std::get_if<records::acknowledged>(&r)) changed_.insert(a->id);
      if (const auto* e = std::get_if<records::escalated>(&r)) changed_.insert(e->id);
    }
  }

  std::optional<storage::stored_message> row(const message& m, storage::box b) const {
    const std::optional<std::int64_t> cursor = store_.committed_cursor(m.id);
    if (!cursor || changed_.contains(m.id)) {
      auto stored = store_.get(m.id);
      if (stored && *stored) return std::move(**stored);
      return std::nullopt;
    }
    storage::stored_message s = stored_from(m, b);
    s.cursor = *cursor;
    if (b == storage::box::in) s.received_at_ms = committed_at_ms_;
    return s;
  }

 private:
  storage::store& store_;
  std::int64_t committed_at_ms_;
  std::set<std::string, std::less<>> changed_;
};

}  // namespace

runtime::runtime(asio::io_context& io, const config::station_config& cfg, const keyring& keys,
                 storage::store& store)
    : io_(io),
      cfg_(cfg),
      keys_(keys),
      agreement_(keys.history.latest()),
      store_(store),
      engine_cfg_(make_engine_config(cfg, agreement_)),
      commits_(store),
      watch_(make_watch(agreement_, engine_cfg_.channel_peer)),
      watch_timer_(io),
      timer_(io),
      commit_wait_timer_(io) {}

runtime::~runtime() { stop(); }

result<std::unique_ptr<runtime>> runtime::create(asio::io_context& io,
                                                 const config::station_config& cfg,
                                                 const keyring& keys, storage::store& store,
                                                 const forms::catalog* catalog) {
  std::unique_ptr<runtime> rt(new runtime(io, cfg, keys, store));
  const config::agreement& agreement = rt->agreement_;
  rt->catalog_ = catalog;
  rt->engine_cfg_.signing_key = keys.signer;
  rt->engine_cfg_.peer_keys = keys.history.signing_keys();
  for (const auto& [channel, peer] : rt->engine_cfg_.channel_peer) {
    if (!rt->engine_cfg_.peer_keys.knows(peer)) {
      return fail(errc::invalid_argument, "no signing key for station '" + peer + "'");
    }
  }
  const std::int64_t now = wall_ms();
  rt->followed_ = keys.history.in_effect_at(now).hash;
  rt->engine_cfg_.agreement_hash = rt->followed_;
  rt->engine_cfg_.agreements_also_accepted = keys.history.also_accepted_at(now);
  // An id the store cannot look up counts as taken: the peer resends, and nothing is lost.
  rt->engine_cfg_.id_taken = [rt = rt.get()](const std::string& id) {
    auto found = rt->store_.get(id);
    return !found || found->has_value();
  };
  if (auto r = rt->keep_agreement(); !r) return std::unexpected(r.error());
  if (catalog && !agreement.forms.sha256.empty() && catalog->hash() != agreement.forms.sha256) {
    return fail(errc::refused, "the form catalog (sha256 " + catalog->hash() +
                                   ") is not the one the agreement names (" +
                                   agreement.forms.sha256 + ")");
  }
  if (!agreement.link_tests.times.empty() && !forms::find_reader_zone(agreement.link_tests.timezone)) {
    return fail(errc::invalid_argument, "unknown time zone '" + agreement.link_tests.timezone + "'",
                "link_tests.timezone");
  }
  if (rt->engine_cfg_.channel_peer.empty()) {
    return fail(errc::invalid_argument,
                "station '" + cfg.station + "' is on no hotline in the agreement", "station");
  }
  rt->tls_ = make_tls_settings(keys, rt->engine_cfg_, now);
  auto t = net::peer_transport::create(io, rt->tls_, listen_endpoints(cfg, agreement), *rt);
  if (!t) return std::unexpected(t.error());
  rt->transport_ = std::move(*t);
  if (auto tr = storage::open_translations(store)) {
    rt->translations_ = std::move(*tr);
  } else if (tr.error().code != errc::invalid_argument) {
    return std::unexpected(tr.error());
  }
  if (auto r = rt->rebuild_engine(); !r) return std::unexpected(r.error());
  if (auto r = rt->restore_watch(); !r) return std::unexpected(r.error());
  return rt;
}

// The journal records which agreement (and so which keys) the station runs under, and the next
// version it will switch to, and keeps their texts, so that the journal can be verified offline
// from the store alone.
result<void> runtime::keep_agreement() {
  const std::int64_t now = wall_ms();
  const config::agreement& current = keys_.history.in_effect_at(now);
  for (const auto& a : keys_.history.versions()) {
    const bool later = a.supersedes && a.effective_at_ms > now;
    if (a.hash != current.hash && !later) continue;
    nlohmann::json detail{{"station", cfg_.station},
                          {"agreement", a.id},
                          {"agreement_hash", a.hash_hex()},
                          {"version", a.version},
                          {"journal_signed", !engine_cfg_.signing_key.empty()}};
    if (later) {
      detail["effective_at"] = forms::format_rfc3339(a.effective_at_ms);
      spdlog::info("key rotation: agreement version {} ({}) takes effect at {}; for {} minutes "
                   "either side of it both versions are accepted",
                   a.version, a.hash_hex(), forms::format_rfc3339(a.effective_at_ms),
                   a.overlap_minutes);
    }
    auto r = store_.keep_agreement(later ? "agreement_staged" : "config_loaded", a.hash_hex(),
                                   a.text, detail.dump(), now);
    if (!r) return r;
  }
  return {};
}

// Once a second: follows the key rotation the agreement history plans. The hello names the
// version in effect, a peer may name its neighbour during the overlap, new links present the
// key of the version in effect and accept the keys pinned now, and links made with a key no
// longer pinned are closed (they come back at once under the current keys).
void runtime::follow_rotation() {
  const std::int64_t now = wall_ms();
  const config::agreement& current = keys_.history.in_effect_at(now);
  auto also = keys_.history.also_accepted_at(now);
  if (current.hash != followed_ || also != engine_cfg_.agreements_also_accepted) {
    if (current.hash != followed_) switched_to(current);
    engine_cfg_.agreement_hash = current.hash;
    engine_cfg_.agreements_also_accepted = also;
    engine_->follow_agreement(current.hash, std::move(also));
  }
  net::tls_settings tls = make_tls_settings(keys_, engine_cfg_, now);
  if (tls.certificate == tls_.certificate && tls.pins == tls_.pins) return;
  if (auto r = transport_->rekey(tls); !r) {
    spdlog::error("key rotation: cannot load the TLS key {}: {}", tls.certificate.string(),
                  r.error().message);
    return;
  }
  tls_ = std::move(tls);
  std::vector<core::conn_id> retired;
  for (const auto& [id, conn] : conns_) {
    if (!tls_.pins.contains(conn->peer_fingerprint())) retired.push_back(id);
  }
  for (auto id : retired) {
    spdlog::info("key rotation: closing a link made with a key no longer pinned");
    conns_.at(id)->close();
    conns_.erase(id);
    engine_->on_disconnected(now_us(), id, "its TLS key is no longer pinned");
  }
  if (!retired.empty()) drive();
}

void runtime::switched_to(const config::agreement& current) {
  const auto* before = keys_.history.find(followed_);
  spdlog::info("key rotation: agreement version {} ({}) in effect, after version {}",
               current.version, current.hash_hex(), before ? before->version : 0);
  nlohmann::json detail{{"station", cfg_.station},
                        {"agreement_hash", current.hash_hex()},
                        {"version", current.version},
                        {"superseded", before ? before->hash_hex() : std::string{}},
                        {"effective_at", forms::format_rfc3339(current.effective_at_ms)}};
  const records::record note = records::noted{"agreement_switched", {}, {}, detail.dump()};
  if (auto r = store_.commit(std::span(&note, 1), wall_ms()); !r) {
    spdlog::error("cannot journal the switch of agreement version: {}", r.error().message);
  }
  followed_ = current.hash;
}

result<void> runtime::restore_watch() {
  // A page at a time: a station restarted with a long queue must not read every body at once.
  for (std::int64_t after = 0;;) {
    auto page = store_.awaiting_ack(after, limits::list_limit_max);
    if (!page) return std::unexpected(page.error());
    for (const auto& m : *page) watch_.track(tracked_of(m.msg, m.direction == storage::box::out));
    if (page->size() < limits::list_limit_max) break;
    after = page->back().cursor;
  }
  for (const auto& [channel, peer] : engine_cfg_.channel_peer) {
    auto last = store_.last_sent(channel, core::form_link_test);
    if (!last) return std::unexpected(last.error());
    if (*last) watch_.link_test_sent(channel, (*last)->msg.created_at_ms);
    if (*last) note_link_test(**last);
    auto answered = store_.last_acknowledged(channel, core::form_link_test);
    if (!answered) return std::unexpected(answered.error());
    if (*answered) note_link_test(**answered);
  }
  return {};
}

// Keeps status()'s view of the channel's link tests: the newest sent, and the newest answered.
void runtime::note_link_test(const storage::stored_message& m) {
  if (m.msg.form != core::form_link_test || m.direction != storage::box::out) return;
  link_test_view& v = link_tests_[m.msg.channel];
  if (!v.sent_at_ms || m.msg.created_at_ms >= *v.sent_at_ms) v.sent_at_ms = m.msg.created_at_ms;
  if (m.acknowledged_at_ms && (!v.answered_at_ms || *m.acknowledged_at_ms >= *v.answered_at_ms)) {
    v.answered_at_ms = m.acknowledged_at_ms;
    v.answered_by = m.acknowledged_by;
  }
}

result<void> runtime::rebuild_engine() {
  for (auto& [id, c] : conns_) c->close();
  conns_.clear();
  core::engine_config e = engine_cfg_;
  // The process's start is numbered once, by the store; a rebuild, which must not need a write
  // (the disk may be full), counts itself.
  if (boot_number_ == 0) {
    auto boot = store_.next_boot(wall_ms());
    if (!boot) return std::unexpected(boot.error());
    boot_number_ = *boot;
  }
  e.boot_id = core::engine::make_boot_id(boot_number_, rebuilds_++, random_u64());
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
  watch_tick();
}

void runtime::watch_tick() {
  if (stopped_) return;
  follow_rotation();
  auto due = watch_.tick(wall_ms());
  for (const auto& e : due.escalations) escalate(e);
  for (const auto& channel : due.link_tests_to_send) send_link_test(channel);
  // Deadlines are minutes long; a one-second tick keeps escalation prompt without a timer each.
  watch_timer_.expires_after(std::chrono::seconds(1));
  watch_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) guarded("the watch", std::nullopt, [this] { watch_tick(); });
  });
}

void runtime::send_link_test(const std::string& channel) {
  std::int64_t now = wall_ms();
  std::string stamp = forms::format_rfc3339(now);
  nlohmann::json fields{{"test_id", "LT-" + stamp.substr(0, 16)}, {"scheduled_at", stamp}};
  post_request req{channel, precedence::priority, std::string(core::form_link_test), fields.dump(), "en"};
  post(std::move(req), [channel](result<storage::stored_message> r) {
    if (r) {
      spdlog::info("link test {} sent on {}", r->msg.id, channel);
    } else {
      spdlog::error("cannot send the link test on {}: {}", channel, r.error().message);
    }
  });
}

void runtime::escalate(const core::escalation& e) {
  ++counters_.escalations_by_channel[e.msg.channel];
  if (e.missed_link_test) ++counters_.missed_link_tests_by_channel[e.msg.channel];
  std::vector<records::record> rec{records::escalated{e.msg.id, e.deadline_ms, e.missed_link_test}};
  if (auto r = store_.commit(rec, wall_ms()); !r) {
    spdlog::error("cannot record the escalation of {}: {}", e.msg.id, r.error().message);
  }
  spdlog::warn("ESCALATION: {} {} on {} ({}, {}) was not {} by its deadline", e.msg.outbound ? "sent" : "received",
               e.missed_link_test ? "link test" : "message", e.msg.channel, e.msg.id,
               to_string(e.msg.prec), e.missed_link_test ? "answered" : "acknowledged");
  service_event ev{service_event::kind::escalation, std::nullopt, e.missed_link_test, e.deadline_ms};
  if (auto m = store_.get(e.msg.id); m && *m) ev.msg = **m;
  publish(ev);
  run_hook(e);
}

// The peer's signed checkpoint contradicts this station's history: one of the two was
// rewritten. Every console hears it, and the supervisor's hook is called, as for an escalation.
void runtime::raise_alarm(const core::event& e) {
  ++counters_.alarms;
  // The peer decides when its receipts match and when not; alternating them must not flood
  // the consoles or start a process each time. The receipts themselves are all journaled.
  auto gate = alarm_gates_.try_emplace(e.channel, limits::alarms_per_minute_max, limits::minute_us)
                  .first;
  if (!gate->second.admit(now_us())) {
    spdlog::warn("attestation mismatch with {} on {} again; alarm already raised this minute",
                 e.peer, e.channel);
    return;
  }
  spdlog::critical("ALARM: attestation mismatch with {} on {}: {}", e.peer, e.channel, e.detail);
  service_event ev{service_event::kind::alarm, std::nullopt};
  ev.detail = e.detail;
  publish(ev);
  spawn_hook({"HOTLINE_EVENT=alarm", "HOTLINE_KIND=attestation_mismatch",
              "HOTLINE_STATION=" + cfg_.station, "HOTLINE_CHANNEL=" + e.channel,
              "HOTLINE_PEER=" + e.peer});
}

void runtime::run_hook(const core::escalation& e) {
  spawn_hook({"HOTLINE_EVENT=escalation",
              "HOTLINE_KIND=" + std::string(e.missed_link_test ? "missed_link_test" : "overdue"),
              "HOTLINE_STATION=" + cfg_.station, "HOTLINE_CHANNEL=" + e.msg.channel,
              "HOTLINE_MESSAGE_ID=" + e.msg.id,
              "HOTLINE_PRECEDENCE=" + std::string(to_string(e.msg.prec)),
              "HOTLINE_DIRECTION=" + std::string(e.msg.outbound ? "out" : "in"),
              "HOTLINE_DEADLINE=" + forms::format_rfc3339(e.deadline_ms)});
}

void runtime::spawn_hook(std::vector<std::string> vars) {
  if (cfg_.escalation_hook.empty()) return;
  // A burst of escalations (a flood of flash traffic nobody answers) must not become a burst of
  // processes. The next hook that runs is told how many were skipped.
  const auto skipped = hook_gate_.admit(now_us());
  if (!skipped) {
    spdlog::warn("escalation hook not run: more than {} this minute", limits::hooks_per_minute_max);
    return;
  }
  vars.push_back("HOTLINE_HOOKS_SKIPPED=" + std::to_string(*skipped));
  // The hook runs without a shell, with what it needs in its environment; the station does not
  // wait for it (SIGCHLD is ignored, so it is reaped by the kernel).
  std::vector<std::string> env_strings;
  for (char** p = environ; p && *p; ++p) env_strings.emplace_back(*p);
  for (auto& v : vars) env_strings.push_back(std::move(v));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string path = cfg_.escalation_hook.string();
  std::array<char*, 2> argv{path.data(), nullptr};
  pid_t pid = 0;
  if (int rc = posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv.data(), envp.data()); rc != 0) {
    spdlog::error("cannot run the escalation hook {}: {}", path, std::strerror(rc));
  }
}

void runtime::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (transport_) transport_->stop();
  while (!commits_.empty()) flush();
  for (auto& [id, c] : conns_) c->close();
  conns_.clear();
  timer_.cancel();
  commit_wait_timer_.cancel();
}

std::int64_t runtime::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               epoch_)
      .count();
}

std::int64_t runtime::wall_ms() { return system_ms(); }

void runtime::drive() {
  // Answering a load gives the engine more to do (number what was read, send it), so effects
  // are applied until it has none left.
  for (core::effects e = engine_->take(); !e.empty(); e = engine_->take()) apply(std::move(e));
  arm_timer();
}

// Reads the queued messages the engine asked for back from the store, on this thread, which owns
// the store. A failed read stops the engine, which is then rebuilt from the store as after a
// failed commit.
void runtime::answer_loads(const std::vector<core::load_action>& loads,
                           const std::vector<core::range_load_action>& range_loads) {
  const std::uint64_t generation = engine_generation_;
  for (const auto& l : loads) {
    if (engine_generation_ != generation) return;  // asked by an engine since rebuilt
    auto rows = store_.queued_after(l.channel, l.prec, l.after_id, l.messages_max, l.bytes_max);
    if (!rows) {
      spdlog::error("cannot read the queue of {} back from the store: {}", l.channel,
                    rows.error().message);
    }
    engine_->on_loaded(now_us(), l.token, std::move(rows));
    rebuild_if_failed();
  }
  for (const auto& l : range_loads) {
    if (engine_generation_ != generation) return;
    auto rows = storage::sequenced_range(store_, l.channel, l.outbound, l.from_seq, l.to_seq);
    if (!rows) {
      spdlog::error("cannot read {} seq {} to {} from the store: {}", l.channel, l.from_seq,
                    l.to_seq, rows.error().message);
    }
    engine_->on_range_loaded(now_us(), l.token, std::move(rows));
    rebuild_if_failed();
  }
}

// The engine stops after a failed read or commit, and after recovering what a restore lost; in
// each case the driver rebuilds it from the store (the event logged says why).
void runtime::rebuild_if_failed() {
  if (!engine_->failed()) return;
  spdlog::warn("rebuilding link state from the store");
  if (auto r = rebuild_engine(); !r) {
    spdlog::critical("cannot read the store back: {}", r.error().message);
  }
  engine_->on_tick(now_us());
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
  for (auto& p : e.persists) commits_.enqueue(std::move(p), engine_generation_);
  if (!commits_.empty()) schedule_flush();
  bool status_changed = false;
  for (const auto& ev : e.events) {
    log_event(ev);
    status_changed = status_changed || ev.kind != core::event_kind::storage_failed;
  }
  if (status_changed) publish({service_event::kind::status, std::nullopt});
  answer_loads(e.loads, e.range_loads);
}

void runtime::arm_timer() {
  if (stopped_) return;
  std::int64_t now = now_us();
  std::int64_t at = std::clamp(engine_->next_wakeup_us(), now, now + 1'000'000);
  timer_.expires_at(epoch_ + std::chrono::microseconds(at));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    guarded("a timer", std::nullopt, [this] {
      engine_->on_tick(now_us());
      drive();
    });
  });
}

void runtime::schedule_flush() {
  if (flush_scheduled_) return;
  if (!commits_.urgent()) return wait_for_commit();
  flush_scheduled_ = true;
  // Posting lets every request and frame already read join this commit: group commit.
  asio::post(io_, [this] { guarded("a commit", std::nullopt, [this] { flush(); }); });
}

// Only delivered marks and receipts are queued: they ride on the next commit, or go on their own
// once they have waited commit_wait_us_max.
void runtime::wait_for_commit() {
  if (commit_waiting_ || stopped_) return;
  commit_waiting_ = true;
  commit_wait_timer_.expires_after(std::chrono::microseconds(limits::commit_wait_us_max));
  commit_wait_timer_.async_wait([this](boost::system::error_code ec) {
    commit_waiting_ = false;
    if (ec || stopped_ || flush_scheduled_ || commits_.empty()) return;
    guarded("a commit", std::nullopt, [this] { flush(); });
  });
}

void runtime::flush() {
  flush_scheduled_ = false;
  storage::group_commit::batch batch = commits_.take(engine_generation_);
  for (const auto& a : batch.stale) {
    // Issued by an engine that has since been rebuilt: never committed, never acknowledged.
    if (auto cb = post_callbacks_.extract(a.token); !cb.empty()) {
      cb.mapped()(fail(errc::unavailable, "the station restarted its link state; post again"));
    }
  }
  if (batch.actions.empty()) return;
  const auto commit_started = std::chrono::steady_clock::now();
  const std::int64_t committed_at_ms = wall_ms();
  auto committed = commits_.commit(batch, committed_at_ms,
                                   [this](std::vector<records::record>& recs) { annotate_inbound(recs); });
  count_commit(committed.has_value(), commit_started, batch.records.size());
  const auto& recs = batch.records;
  if (committed) after_commit(recs);
  if (!committed) spdlog::error("store commit failed: {}", committed.error().message);
  const committed_rows rows{store_, recs, committed_at_ms};
  // Consumers hear of a received message before the engine signs its receipt.
  if (committed && !subscribers_.empty()) {
    for (const auto& r : recs) {
      if (const auto* rec = std::get_if<records::received>(&r)) {
        if (auto stored = rows.row(rec->msg, storage::box::in)) {
          publish({service_event::kind::message, std::move(*stored)});
        }
      }
    }
  }
  std::int64_t now = now_us();
  for (const auto& action : batch.actions) {
    engine_->on_persisted(now, action.token, committed.has_value());
    auto cb = post_callbacks_.extract(action.token);
    if (cb.empty()) continue;
    if (!committed) {
      cb.mapped()(fail(errc::io, "the station could not store the message: " +
                                     committed.error().message));
      continue;
    }
    const auto& posted = std::get<records::posted>(action.records.front());
    if (auto stored = rows.row(posted.msg, storage::box::out)) {
      cb.mapped()(*stored);
      publish({service_event::kind::message, std::move(*stored)});
    } else {
      cb.mapped()(stored_from(posted.msg, storage::box::out));
    }
  }
  rebuild_if_failed();
  if (!stopped_) drive();
  if (!commits_.empty()) schedule_flush();
}

void runtime::on_connected(std::shared_ptr<net::peer_connection> conn, core::direction dir,
                           const std::string& peer, const std::string& path) {
  if (stopped_) return conn->close();
  guarded("a new link", std::nullopt, [&] { connected(std::move(conn), dir, peer, path); });
}

void runtime::connected(std::shared_ptr<net::peer_connection> conn, core::direction dir,
                        const std::string& peer, const std::string& path) {
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
  guarded("a frame from the peer", id, [&] {
    engine_->on_bytes(now_us(), id, bytes);
    drive();
  });
}

void runtime::on_closed(std::uint64_t id, const std::string& reason) {
  guarded("a closed link", id, [&] {
    conns_.erase(id);
    engine_->on_disconnected(now_us(), id, reason);
    drive();
  });
}

// A handler that throws is a bug, or input the edge failed to refuse. Either way the station
// goes on serving: the connection the input came on is closed, and the link state is rebuilt
// from the store, exactly as after a failed commit, so that nothing half-applied survives.
template <class F>
void runtime::guarded(const char* what, std::optional<core::conn_id> conn, F&& f) {
  try {
    f();
    return;
  } catch (const std::exception& e) {
    spdlog::error("handling {} failed: {}; closing the link and rebuilding from the store", what,
                  e.what());
  } catch (...) {
    spdlog::error("handling {} failed; closing the link and rebuilding from the store", what);
  }
  ++handler_failures_;
  try {
    if (conn) {
      if (auto it = conns_.find(*conn); it != conns_.end()) it->second->close();
      conns_.erase(*conn);
    }
    if (auto r = rebuild_engine(); !r) {
      spdlog::critical("cannot read the store back: {}", r.error().message);
    }
    if (!stopped_) drive();
  } catch (const std::exception& e) {
    spdlog::critical("cannot recover from a failed handler: {}", e.what());
  }
}

void runtime::count_commit(bool ok, std::chrono::steady_clock::time_point started,
                           std::size_t records) {
  if (!ok) {
    ++counters_.commit_failures;
    return;
  }
  counters_.commit_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (const std::int64_t sync_us = store_.last_sync_us(); sync_us >= 0) {
    counters_.commit_sync_seconds.observe(static_cast<double>(sync_us) / 1e6);
  }
  counters_.batch_records.observe(static_cast<double>(records));
  if (const std::int64_t pages = store_.last_sync_pages(); pages >= 0) {
    counters_.commit_pages.observe(static_cast<double>(pages));
  }
}

result<metrics_snapshot> runtime::metrics() {
  metrics_snapshot m;
  m.counters = counters_;
  m.counters.handler_failures = handler_failures_;
  m.awaiting_our_answer = watch_.pending_by_channel(false);
  m.awaiting_their_answer = watch_.pending_by_channel(true);
  auto head = store_.journal({{}, {}, 0, 1});
  if (!head) return std::unexpected(head.error());
  m.journal_entries = head->empty() ? 0 : head->front().seq;
  if (const auto* sq = dynamic_cast<const storage::sqlite_store*>(&store_); sq && !sq->file().empty()) {
    std::error_code ec;
    m.database_bytes = 0;
    for (const std::string suffix : {"", "-wal"}) {
      const auto size = std::filesystem::file_size(sq->file() + suffix, ec);
      if (!ec) m.database_bytes += static_cast<std::int64_t>(size);
    }
  }
  return m;
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
      ++counters_.refused_by_peer[e.peer];
      spdlog::warn("link with {} refused: {}", e.peer, e.detail);
      break;
    case core::event_kind::storage_failed:
      spdlog::error("storage failed: {}", e.detail);
      break;
    case core::event_kind::delivered:
      spdlog::trace("{} delivered up to seq {}", e.channel, e.seq);
      break;
    case core::event_kind::attestation_mismatch:
      raise_alarm(e);
      break;
    case core::event_kind::recovery:
      spdlog::warn("recovery after a restore: {}", e.detail);
      break;
  }
}

void runtime::publish(const service_event& e) {
  if (subscribers_.empty()) return;
  // A subscriber may unsubscribe from inside its callback.
  auto copy = subscribers_;
  for (auto& [id, cb] : copy) cb(e);
}

result<message> runtime::prepare(post_request& req) {
  if (is_answer(req.form)) {
    return fail(errc::invalid_argument, "acknowledgements are sent with the acknowledge call", "form");
  }
  message m;
  m.channel = std::move(req.channel);
  m.prec = req.prec;
  m.created_at_ms = wall_ms();
  m.form = std::move(req.form);
  m.body = std::move(req.body);
  if (!catalog_) {
    if (m.form != form_free_text) return fail(errc::invalid_argument, "no form catalog is loaded", "form");
    return label_post(std::move(m), req.label);
  }
  const forms::form* f = catalog_->find(m.form);
  if (!f) return fail(errc::invalid_argument, "unknown form '" + m.form + "'", "form");
  bool free_text = m.form == form_free_text;
  nlohmann::json fields = free_text ? nlohmann::json{{"text", m.body}}
                                    : nlohmann::json::parse(m.body, nullptr, false);
  if (fields.is_discarded() || !fields.is_object()) {
    return fail(errc::invalid_argument, "fields must be a JSON object", "fields");
  }
  forms::validation_context ctx{m.created_at_ms, m.prec, forms::parse_lang(req.lang).value_or(forms::lang::en),
                                static_cast<std::size_t>(agreement_.deadlines.urgent_words_max)};
  auto normalized = forms::validate(*f, fields, ctx);
  if (!normalized) return std::unexpected(normalized.error());
  if (!free_text) m.body = normalized->dump();
  return label_post(std::move(m), req.label);
}

result<message> runtime::label_post(message m, const std::optional<labels::label>& asked) const {
  m.label = asked ? *asked : agreement_.labels.default_for(cfg_.station, m.form);
  if (auto ok = labels::check(agreement_.labels, cfg_.station, m.label); !ok) {
    return std::unexpected(ok.error());
  }
  return m;
}

void runtime::post(post_request req, post_callback done) {
  if (stopped_) return done(fail(errc::unavailable, "the station is shutting down"));
  auto m = prepare(req);
  if (!m) return done(std::unexpected(m.error()));
  if (req.idempotency_key.empty()) return submit(std::move(*m), {}, std::move(done));
  // The key names the message: a retry finds what the first post stored, in the store itself,
  // so that the answer is the same after a restart too.
  m->id = keyed_message_id(cfg_.station, req.principal, req.idempotency_key);
  if (keyed_in_flight_.contains(m->id)) {
    return done(fail(errc::conflict,
                     "a post with this Idempotency-Key is still being stored; retry in a moment",
                     "Idempotency-Key"));
  }
  auto first = store_.get(m->id);
  if (!first) return done(std::unexpected(first.error()));
  if (*first) {
    const message& had = (*first)->msg;
    // The peer chooses its own ids, and may have taken this one (a key a script made up is easy
    // to guess): its message is never answered as this post.
    if ((*first)->direction != storage::box::out) {
      return done(fail(errc::conflict,
                       "the message id this Idempotency-Key names is taken by a message from " +
                           had.from + "; post with another key",
                       "Idempotency-Key"));
    }
    if (had.channel != m->channel || had.prec != m->prec || had.form != m->form ||
        had.body != m->body || had.label != m->label) {
      return done(fail(errc::conflict,
                       "this Idempotency-Key was used for another message (" + had.id + ")",
                       "Idempotency-Key"));
    }
    return done(std::move(**first));
  }
  keyed_in_flight_.insert(m->id);
  submit(std::move(*m), {},
         [this, id = m->id, done = std::move(done)](result<storage::stored_message> r) {
           keyed_in_flight_.erase(id);
           done(std::move(r));
         });
}

void runtime::submit(message m, std::vector<records::record> extra, post_callback done) {
  if (m.id.empty()) m.id = new_message_id();
  // What the station writes by itself (link tests) carries its form's default.
  if (m.label.empty()) m.label = agreement_.labels.default_for(cfg_.station, m.form);
  auto token = engine_->post(now_us(), std::move(m));
  if (!token) return done(std::unexpected(token.error()));
  post_callbacks_[*token] = std::move(done);
  if (!extra.empty()) commits_.attach(*token, std::move(extra));
  drive();
}

void runtime::acknowledge(ack_request req, post_callback done) {
  if (stopped_) return done(fail(errc::unavailable, "the station is shutting down"));
  auto found = store_.get(req.id);
  if (!found) return done(std::unexpected(found.error()));
  if (!*found) return done(fail(errc::not_found, "no message '" + req.id + "'", "id"));
  const storage::stored_message& m = **found;
  if (m.direction != storage::box::in) {
    return done(fail(errc::invalid_argument, "only received messages are acknowledged here", "id"));
  }
  if (is_answer(m.msg.form)) {
    return done(fail(errc::invalid_argument, "an acknowledgement needs no acknowledgement", "id"));
  }
  if (m.acknowledged_at_ms) {
    return done(fail(errc::conflict, "already acknowledged by " + m.acknowledged_by, "id"));
  }
  // Two officers pressing Acknowledge at once: the first one's answer is on its way and the
  // store has not recorded it yet; the second must not send another.
  if (!acks_in_flight_.insert(m.msg.id).second) {
    return done(fail(errc::conflict, "an acknowledgement of this message is already being sent", "id"));
  }
  nlohmann::json body{{"reference", m.msg.id}, {"answered_by", req.by}};
  bool link_test = m.msg.form == core::form_link_test;
  if (!link_test && !req.answer.empty()) body["answer"] = req.answer;
  message ack;
  ack.channel = m.msg.channel;
  ack.prec = m.msg.prec;  // the answer travels as urgently as the question
  ack.created_at_ms = wall_ms();
  ack.form = std::string(link_test ? core::form_link_test_reply : core::form_ack);
  ack.body = body.dump();
  // The answer is handled as the question was: the acknowledged message's marking, in this
  // station's terms.
  if (std::string marking = agreement_.labels.local_marking(cfg_.station, m.msg.label.marking);
      !marking.empty()) {
    ack.label.marking = std::move(marking);
  }
  std::string id = m.msg.id;
  submit(std::move(ack), {records::acknowledged{id, req.by, req.answer, 0}},
         [this, id, done = std::move(done)](result<storage::stored_message> r) {
           acks_in_flight_.erase(id);
           if (!r) return done(std::move(r));
           auto acked = store_.get(id);
           if (acked && *acked) return done(**acked);
           done(fail(errc::not_found, "no message '" + id + "'"));
         });
}

// Inbound answers annotate the message they answer; other inbound messages are validated again
// here, and one that fails is kept and flagged, never dropped.
void runtime::annotate_inbound(std::vector<records::record>& recs) {
  std::set<std::string> answered;  // ids this batch already acknowledges
  std::size_t n = recs.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (const auto* own = std::get_if<records::reclaimed>(&recs[i])) {
      restore_answer(own->msg, recs);
      continue;
    }
    const auto* r = std::get_if<records::received>(&recs[i]);
    if (!r) continue;
    const message& m = r->msg;
    if (auto recovered = recovered_answers_.extract(m.id)) {
      recs.push_back(std::move(recovered.mapped()));
    }
    if (is_answer(m.form)) {
      recs.push_back(answer_record(m, answered));
      continue;
    }
    if (!catalog_) continue;
    post_request req{m.channel, m.prec, m.form, m.body, "en"};
    const forms::form* f = catalog_->find(m.form);
    if (!f) {
      recs.push_back(records::flagged{m.id, "unknown form '" + m.form + "'"});
      continue;
    }
    nlohmann::json fields = m.form == form_free_text ? nlohmann::json{{"text", m.body}}
                                                      : nlohmann::json::parse(m.body, nullptr, false);
    // Judged at the time the sender wrote it: a notice is late or not by its own clock.
    forms::validation_context ctx{m.created_at_ms, m.prec, forms::lang::en,
                                  static_cast<std::size_t>(agreement_.deadlines.urgent_words_max)};
    auto ok = fields.is_object() ? forms::validate(*f, fields, ctx)
                                 : result<nlohmann::json>(fail(errc::invalid_argument, "fields are not a JSON object", "fields"));
    if (!ok) recs.push_back(records::flagged{m.id, ok.error().field + ": " + ok.error().message});
  }
}

// After a restore, this station's own answers come back from the peer (records::reclaimed). An
// officer here gave each; the message it answers is marked acknowledged again, now if it is on
// disk, or when the peer sends it again.
void runtime::restore_answer(const message& own, std::vector<records::record>& recs) {
  if (!is_answer(own.form)) return;
  const auto body = nlohmann::json::parse(own.body, nullptr, false);
  const auto reference = json_safe::text(body, "reference");
  const auto by = json_safe::text(body, "answered_by");
  if (!reference || !by) return;
  const auto answer = body.contains("answer") ? json_safe::text(body, "answer") : std::string{};
  records::acknowledged ack{*reference, *by, answer.value_or(""), own.created_at_ms};
  auto target = store_.get(*reference);
  if (target && *target) {
    if ((*target)->direction == storage::box::in && !(*target)->acknowledged_at_ms) {
      recs.push_back(std::move(ack));
    }
    return;
  }
  recovered_answers_.insert_or_assign(*reference, std::move(ack));
}

// The peer's answer may acknowledge only a message this station sent it, on the same channel,
// that asks for an answer of that kind and has none yet. Anything else is the peer claiming
// something about this station's state that is not so: the answer is kept, flagged with why,
// and changes nothing.
records::record runtime::answer_record(const message& m, std::set<std::string>& answered) {
  const auto refused = [&m](const std::string& why) {
    return records::flagged{m.id, "acknowledgement refused: " + why};
  };
  const auto body = nlohmann::json::parse(m.body, nullptr, false);
  const auto reference = json_safe::text(body, "reference");
  if (!reference || !shape::valid_message_id(*reference)) return refused("no valid reference");
  const auto by = json_safe::text(body, "answered_by");
  if (!by || by->empty() || by->size() > limits::answered_by_bytes_max) {
    return refused("answered_by must name who answered (1 to " +
                   std::to_string(limits::answered_by_bytes_max) + " bytes)");
  }
  const auto answer = body.contains("answer") ? json_safe::text(body, "answer") : std::string{};
  if (!answer) return refused("answer must be text");
  auto target = store_.get(*reference);
  if (!target || !*target) return refused("it answers " + *reference + ", which this station never sent");
  const storage::stored_message& t = **target;
  if (t.direction != storage::box::out || t.msg.channel != m.channel) {
    return refused("it answers " + *reference + ", which this station did not send on " + m.channel);
  }
  const bool link_test = t.msg.form == core::form_link_test;
  if (is_answer(t.msg.form) || link_test != (m.form == core::form_link_test_reply)) {
    return refused("a " + m.form + " cannot answer a " + t.msg.form);
  }
  if (t.acknowledged_at_ms || !answered.insert(*reference).second) {
    return refused(*reference + " is already acknowledged");
  }
  return records::acknowledged{*reference, *by, *answer, m.created_at_ms};
}

void runtime::after_commit(const std::vector<records::record>& recs) {
  for (const auto& r : recs) {
    if (const auto* p = std::get_if<records::posted>(&r)) {
      watch_.track(tracked_of(p->msg, true));
      note_link_test(stored_from(p->msg, storage::box::out));
    } else if (const auto* in = std::get_if<records::received>(&r)) {
      watch_.track(tracked_of(in->msg, false));
    } else if (const auto* a = std::get_if<records::acknowledged>(&r)) {
      watch_.acknowledged(a->id);
      if (auto m = store_.get(a->id); m && *m) {
        note_link_test(**m);
        publish({service_event::kind::message, **m});
      }
    }
  }
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
  s.agreement_hash = signing::to_hex(followed_);
  s.agreement_hash.insert(0, "sha256:");
  s.started_at_ms = started_at_ms_;
  std::int64_t now = now_us();
  for (auto& c : engine_->status(now)) {
    channel_view v;
    v.last_heard_ms_ago = c.last_heard_us < 0 ? -1 : (now - c.last_heard_us) / 1000;
    if (auto lt = link_tests_.find(c.channel); lt != link_tests_.end()) {
      v.link_test_sent_at_ms = lt->second.sent_at_ms;
      v.link_test_answered_at_ms = lt->second.answered_at_ms;
      v.link_test_answered_by = lt->second.answered_by;
    }
    v.next_link_test_at_ms = watch_.next_link_test_ms(c.channel);
    v.core = std::move(c);
    s.channels.push_back(std::move(v));
  }
  return s;
}

result<std::vector<storage::journal_entry>> runtime::journal(const storage::journal_query& q) {
  return store_.journal(q);
}

// A journal of a few hundred thousand entries takes seconds to verify, longer than a link's
// silence limit, so a file store is verified on a thread of its own through a read-only
// connection, one at a time, while this thread keeps the links and the consoles served (a
// PostgreSQL store through a read-only connection of its own, the same way). An
// in-memory store has no file another connection could open, and is small: it is verified here.
void runtime::verify_journal(verify_callback done) {
  auto keys = journal_keys_for(keys_.history, cfg_.station);
  const auto* sq = dynamic_cast<const storage::sqlite_store*>(&store_);
  // A PostgreSQL store is verified likewise, through a read-only connection of its own.
  const bool on_postgresql = cfg_.backend == config::storage_backend::postgresql;
  std::string where = on_postgresql ? cfg_.database_url
                                    : (sq != nullptr ? sq->file() : std::string{});
  if (where.empty()) return done(storage::verify_journal(store_, keys));
  if (*verifying_) return done(fail(errc::conflict, "a journal verification is already running"));
  *verifying_ = true;
  boost::asio::post(verify_pool_, [where = std::move(where), on_postgresql, keys = std::move(keys),
                                   done = std::move(done), flag = verifying_,
                                   work = boost::asio::make_work_guard(io_)]() mutable {
    result<storage::verify_report> report = fail(errc::io, "journal verification failed");
    try {
      report = on_postgresql ? storage::verify_postgresql_journal(where, keys)
                             : storage::verify_journal(where, keys);
    } catch (const std::exception& x) {  // out of memory, most likely; the station must not end
      report = fail(errc::io, std::string{"journal verification failed: "} + x.what());
    }
    boost::asio::post(work.get_executor(), [flag, done = std::move(done),
                                            report = std::move(report)]() mutable {
      *flag = false;
      done(std::move(report));
    });
  });
}

result<storage::evidence_material> runtime::evidence(const std::string& id) {
  auto m = storage::gather_evidence(store_, id);
  if (!m) return m;
  // An embargo's caveat holds the message back from release, and a bundle is a release.
  if (auto ok = forms::check_release(agreement_.labels, m->msg.label, wall_ms(), id); !ok) {
    return std::unexpected(ok.error());
  }
  return m;
}

std::uint64_t runtime::subscribe(event_callback cb) {
  std::uint64_t id = next_subscriber_++;
  subscribers_[id] = std::move(cb);
  return id;
}

void runtime::unsubscribe(std::uint64_t id) { subscribers_.erase(id); }

}  // namespace hotline::station

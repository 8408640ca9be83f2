// Structure-aware fuzz target for the engine: station A's engine against a counterpart whose
// every frame the fuzzer writes.
//
// Two real engines, A and B, with real signing keys, are joined by one wire. The input is a
// script: posts at either station, time passing, cuts and reconnects, and frames injected into
// A's side of the wire as if B had sent them, built field by field from the input (channels,
// seqs near the real ones or anywhere, ids fresh or reused, bodies of any bytes, and labelled
// with B's markings, A's, one above the ceiling, one the agreement lacks, or none, with caveats
// defined or not), seals over what was injected or over any chain, signed with B's real key,
// A's, or none, and the recovery frames: fetches of any range, and messages and seals "handed
// back" that are A's own as B really holds them (replays) or forgeries. After every step A's
// invariants must hold:
//
//   - A's disk holds, per channel, received seqs 1..n with no gap, each covered by a seal that
//     B's key signed over the chain of exactly those messages, and each with a label the
//     agreement allows B;
//   - no message id is on A's disk twice;
//   - A marks nothing delivered that B's disk does not hold, unless A raised the attestation
//     alarm for that channel (a lying receipt is detected, never silently believed);
//   - A's engine never fails (nothing the peer sends makes a commit fail), and nothing throws.
//
// A broken invariant aborts, so libFuzzer and the corpus replay both report it.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/label.hpp"
#include "core/signing.hpp"
#include "core/wire.hpp"

namespace {

using namespace hotline;

constexpr const char* a_id = "rok-fleet";
constexpr const char* b_id = "ru-pacific";
constexpr std::array<const char*, 2> channels{"navy", "air"};
constexpr std::size_t steps_max = 64;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_engine: %s\n", what);
  std::abort();
}

// Each side's markings, low and high under the ceiling and one above it, paired, and the three
// kinds of caveat.
labels::policy fuzz_policy() {
  labels::policy p;
  p.schemes = {{"a", "ko", {a_id}, {"a-low", "a-high", "a-top"}, "a-high", "a-low", {}},
               {"b", "ru", {b_id}, {"b-low", "b-high", "b-top"}, "b-high", "b-low", {}}};
  for (const char* side : {"a", "b"}) {
    int rank = 0;
    for (const char* level : {"-low", "-high", "-top"}) {
      const std::string id = std::string(side) + level;
      p.markings.push_back({id, side, rank++, {{"en", id}}});
    }
  }
  p.equivalences = {{"a-low", "b-low"}, {"a-high", "b-high"}};
  p.caveats = {{"embargo", labels::caveat_kind::embargo, {{"en", "embargo"}}},
               {"releasable-to", labels::caveat_kind::releasable_to, {{"en", "releasable"}}},
               {"no-forward", labels::caveat_kind::no_forward, {{"en", "no forward"}}}};
  p.organisations = {{"org-a", {{"en", "A"}}}, {"org-b", {{"en", "B"}}}};
  return p;
}

signing::secret_key key_for(std::uint8_t tag) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(tag);
  return signing::secret_key::from_seed(seed);
}

// Reads the script; past the end every read is zero, so every input is a valid script.
class script {
 public:
  explicit script(std::span<const std::uint8_t> in) : in_(in) {}
  bool done() const { return pos_ >= in_.size(); }
  std::uint8_t u8() { return pos_ < in_.size() ? in_[pos_++] : 0; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return v;
  }
  std::string bytes(std::size_t max) {
    std::size_t n = u8() % (max + 1);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(u8()));
    return s;
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

struct side {
  std::unique_ptr<core::engine> eng;
  std::vector<records::record> disk;
  std::set<std::string> alarmed;  // channels with an attestation alarm raised
};

// True when a message with `id` is on the side's disk, either direction: what the station's
// runtime answers from its store (engine_config::id_taken).
bool on_disk(const side& s, const std::string& id) {
  for (const auto& r : s.disk) {
    if (const auto* p = std::get_if<records::posted>(&r); p && p->msg.id == id) return true;
    if (const auto* in = std::get_if<records::received>(&r); in && in->msg.id == id) return true;
  }
  return false;
}

core::engine_config config_for(const char* self, const char* peer, std::uint64_t boot,
                               const side& own) {
  core::engine_config c;
  c.id_taken = [&own](const std::string& id) { return on_disk(own, id); };
  c.station = self;
  c.agreement_hash.fill(0x42);
  c.boot_id = boot;
  c.seed = boot;
  for (const char* ch : channels) c.channel_peer[ch] = peer;
  c.peers = {{peer, {"fibre"}}};
  c.dial = false;
  c.signing_key = key_for(self == std::string(a_id) ? 1 : 2);
  c.peer_keys.pin(peer, key_for(self == std::string(a_id) ? 2 : 1).public_half());
  c.wall_ms = [] { return std::int64_t{1'700'000'000'000}; };
  c.labels = fuzz_policy();
  return c;
}

class world {
 public:
  world() {
    a_.eng = std::make_unique<core::engine>(config_for(a_id, b_id, 1, a_));
    b_.eng = std::make_unique<core::engine>(config_for(b_id, a_id, 2, b_));
    a_.eng->restore({});
    b_.eng->restore({});
  }

  void run(script& s) {
    connect();
    for (std::size_t step = 0; step < steps_max && !s.done(); ++step) {
      this->step(s);
      settle();
      check();
    }
  }

 private:
  void step(script& s) {
    switch (s.u8() % 14) {
      case 0: post(a_, s); break;
      case 1: post(b_, s); break;
      case 2: advance(static_cast<std::int64_t>(s.u8()) * 50'000); break;
      case 3: cut(); break;
      case 4: connect(); break;
      case 5: {
        const message m = hostile_message(s);
        track(m);
        inject(wire::data{m});
        break;
      }
      case 6: inject(hostile_receipt(s)); break;
      case 7: inject(hostile_hello(s)); break;
      case 8: inject(s.u8() % 2 ? wire::frame{wire::ping{s.u64()}} : wire::frame{wire::pong{s.u64()}}); break;
      case 9: inject(hostile_fetch(s)); break;
      case 10: inject(wire::returned{handed_back(s)}); break;
      case 11: inject(hostile_seal(s)); break;
      case 12: inject(wire::returned_seal{handed_back_seal(s)}); break;
      default: inject_raw(s); break;
    }
  }

  const char* channel(script& s) {
    const std::uint8_t c = s.u8() % 4;
    return c < 2 ? channels[c] : c == 2 ? "bogus" : "NAVY";
  }

  void post(side& sd, script& s) {
    message m;
    m.id = "p" + std::to_string(next_id_++);
    m.channel = channels[s.u8() % 2];
    m.prec = static_cast<precedence>(s.u8() % 4);
    m.created_at_ms = 1'700'000'000'000;
    m.body = "post " + m.id;
    m.label = {&sd == &a_ ? "a-low" : "b-high", {}};
    (void)sd.eng->post(now_us_, std::move(m));
  }

  // A seal "from B": over the messages injected since A's last durable one (the chain an honest
  // B would sign) or any chain, up to the last of them or any seq, signed by B's key, A's, or
  // none.
  wire::seal hostile_seal(script& s) {
    wire::seal seal;
    seal.channel = channel(s);
    auto& run = injected_[seal.channel];
    seal.up_to_seq = run.empty() || s.u8() % 4 == 0 ? s.u64() % (in_next(seal.channel) + 3)
                                                    : run.back().first;
    if (s.u8() % 4 != 0 && !run.empty()) {
      seal.chain = run.back().second;
    } else {
      for (auto& byte : seal.chain) byte = s.u8();
    }
    seal.at_ms = 1'700'000'000'000;
    const std::uint8_t signer = s.u8() % 4;
    const wire::bytes signed_bytes = wire::canonical_seal_bytes(
        {seal.channel, b_id, seal.up_to_seq, seal.chain, seal.at_ms, {}});
    if (signer < 2) seal.signature = key_for(2).sign(signed_bytes);
    if (signer == 2) seal.signature = key_for(1).sign(signed_bytes);
    return seal;
  }

  // Remembers an injected message that continues the run A would seal next: at A's next
  // expected seq, or right after the last one injected.
  void track(const message& m) {
    if (m.channel != channels[0] && m.channel != channels[1]) return;
    auto& run = injected_[m.channel];
    const std::uint64_t durable_next = in_next(m.channel);
    if (!run.empty() && run.front().first < durable_next) run.clear();  // sealed or dropped since
    const std::uint64_t next = run.empty() ? durable_next : run.back().first + 1;
    if (m.seq != next) return;
    signing::digest before = run.empty() ? durable_chain(m.channel) : run.back().second;
    run.emplace_back(m.seq, signing::chain_next(before, signing::message_digest(m)));
  }

  signing::digest durable_chain(const std::string& channel) const {
    signing::digest c{};
    for (const auto& r : a_.disk) {
      if (const auto* in = std::get_if<records::received>(&r); in && in->msg.channel == channel) {
        c = in->chain;
      }
    }
    return c;
  }

  // One of A's own seals as B holds it, or a forgery.
  wire::seal handed_back_seal(script& s) {
    std::vector<wire::seal_statement> genuine;
    for (const auto& r : b_.disk) {
      if (const auto* sl = std::get_if<records::sealed>(&r)) genuine.push_back(sl->seal);
    }
    if (!genuine.empty() && s.u8() % 2 == 0) {
      const auto& g = genuine[s.u8() % genuine.size()];
      return {g.channel, g.up_to_seq, g.chain, g.at_ms, g.signature};
    }
    wire::seal forged = hostile_seal(s);
    return forged;
  }

  // A message "from B": a seq near what A expects or anywhere, an id fresh, reused or of any
  // bytes, any form and body, signed (as before seals) by B's key, A's, or none.
  message hostile_message(script& s) {
    message m;
    m.channel = channel(s);
    m.from = s.u8() % 8 == 0 ? a_id : b_id;
    const std::uint64_t expected = in_next(m.channel);
    switch (s.u8() % 4) {
      case 0: m.seq = expected; break;
      case 1: m.seq = expected + 1; break;
      case 2: m.seq = expected > 1 ? expected - 1 : 1; break;
      default: m.seq = s.u64(); break;
    }
    switch (s.u8() % 3) {
      case 0: m.id = "h" + std::to_string(next_id_++); break;
      // An id already issued to a post at either side: taken, or in flight. (Not one a post may
      // take later: a station's own ids are random, the peer cannot claim one in advance.)
      case 1:
        m.id = next_id_ == 0 ? "h" + std::to_string(next_id_++)
                             : "p" + std::to_string(s.u8() % next_id_);
        break;
      default: m.id = s.bytes(8); break;
    }
    m.prec = static_cast<precedence>(s.u8() % 4);
    m.created_at_ms = static_cast<std::int64_t>(s.u64());
    m.form = s.u8() % 2 ? "FREE-TEXT" : s.bytes(6);
    m.body = s.bytes(40);
    m.label = hostile_label(s);
    const std::uint8_t signer = s.u8() % 8;
    if (signer == 0) signing::seal(key_for(2), m);
    if (signer == 1) signing::seal(key_for(1), m);
    return m;
  }

  // B's markings, A's, one above the ceiling, none, or any bytes; caveats defined or not, with
  // values well formed or of any bytes.
  labels::label hostile_label(script& s) {
    static constexpr std::array<const char*, 5> markings{"b-low", "b-high", "b-top", "a-high", ""};
    labels::label l;
    const std::uint8_t pick = s.u8() % 6;
    l.marking = pick < markings.size() ? markings[pick] : s.bytes(8);
    const std::size_t n = s.u8() % 4;
    for (std::size_t i = 0; i < n; ++i) {
      static constexpr std::array<const char*, 4> ids{"embargo", "releasable-to", "no-forward",
                                                      "forward-to-all"};
      static constexpr std::array<const char*, 5> values{"", "1700000000000", "org-a",
                                                         "org-a,org-b", "org-b,org-a"};
      const std::uint8_t v = s.u8() % 6;
      l.caveats.push_back({ids[s.u8() % ids.size()], v < values.size() ? values[v] : s.bytes(12)});
    }
    return l;
  }

  wire::frame hostile_receipt(script& s) {
    wire::ack a;
    a.channel = channel(s);
    const auto st = status_of(a.channel);
    switch (s.u8() % 4) {
      case 0: a.up_to_seq = st ? st->out_acked : 0; break;
      case 1: a.up_to_seq = st ? st->out_next_seq - 1 : 1; break;
      case 2: a.up_to_seq = st ? st->out_next_seq : 2; break;
      default: a.up_to_seq = s.u64(); break;
    }
    for (auto& byte : a.chain) byte = s.u8();
    a.at_ms = static_cast<std::int64_t>(s.u64());
    if (s.u8() % 4 != 0) {
      a.signature = key_for(2).sign(wire::canonical_receipt_bytes(
          {a.channel, a_id, b_id, a.up_to_seq, a.chain, a.at_ms, {}}));
    }
    return a;
  }

  wire::frame hostile_fetch(script& s) {
    wire::fetch f;
    f.channel = channel(s);
    f.from_seq = 1 + s.u64() % (in_next(f.channel) + 2);
    f.count = 1 + static_cast<std::uint32_t>(s.u8() % 8);
    return f;
  }

  // One of A's own messages as B holds it (a replay of what A really sent), or a forgery.
  message handed_back(script& s) {
    std::vector<message> genuine;
    for (const auto& r : b_.disk) {
      if (const auto* in = std::get_if<records::received>(&r)) genuine.push_back(in->msg);
    }
    if (!genuine.empty() && s.u8() % 2 == 0) return genuine[s.u8() % genuine.size()];
    message m = hostile_message(s);
    m.from = a_id;
    return m;
  }

  wire::frame hostile_hello(script& s) {
    wire::hello h;
    h.station = s.u8() % 8 == 0 ? a_id : b_id;
    h.agreement_hash.fill(s.u8() % 8 == 0 ? 0x41 : 0x42);
    h.boot_id = s.u64();
    h.path = s.u8() % 4 == 0 ? "satcom" : "fibre";
    const std::size_t n = s.u8() % 4;
    for (std::size_t i = 0; i < n; ++i) {
      const char* ch = channel(s);
      const auto st = status_of(ch);
      const std::uint64_t next = st ? st->out_next_seq : 1;
      h.resume.push_back({ch, s.u8() % 2 ? next : 1 + s.u64() % (next + 4)});
    }
    return h;
  }

  void inject(const wire::frame& f) {
    if (!open_) return;
    a_.eng->on_bytes(now_us_, a_conn_, wire::encode(f));
  }

  void inject_raw(script& s) {
    if (!open_) return;
    const std::string raw = s.bytes(64);
    a_.eng->on_bytes(now_us_, a_conn_,
                     std::span(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()));
  }

  std::uint64_t in_next(const std::string& ch) const {
    const auto st = status_of(ch);
    return st ? st->in_next_expected : 1;
  }
  std::optional<core::channel_status> status_of(const std::string& ch) const {
    for (auto& c : a_.eng->status(now_us_)) {
      if (c.channel == ch) return c;
    }
    return std::nullopt;
  }

  void connect() {
    if (open_) return;
    b_conn_ = b_.eng->on_connected(now_us_, core::direction::outbound, a_id, "fibre");
    a_conn_ = a_.eng->on_connected(now_us_, core::direction::inbound, b_id, "");
    open_ = true;
  }

  void cut() {
    if (!open_) return;
    open_ = false;
    a_.eng->on_disconnected(now_us_, a_conn_, "cut");
    b_.eng->on_disconnected(now_us_, b_conn_, "cut");
  }

  void advance(std::int64_t dt_us) {
    now_us_ += dt_us;
    a_.eng->on_tick(now_us_);
    b_.eng->on_tick(now_us_);
  }

  // Moves every output until both engines are quiet; persists commit at once.
  void settle() {
    for (int round = 0; round < 200; ++round) {
      bool moved = route(a_, b_, a_conn_, b_conn_);
      moved = route(b_, a_, b_conn_, a_conn_) || moved;
      if (!moved) return;
    }
  }

  bool route(side& from, side& to, core::conn_id from_conn, core::conn_id to_conn) {
    core::effects e = from.eng->take();
    if (e.empty()) return false;
    for (auto& s : e.sends) {
      if (open_ && s.conn == from_conn) to.eng->on_bytes(now_us_, to_conn, s.bytes);
    }
    for (auto& c : e.closes) {
      if (open_ && c.conn == from_conn) {
        open_ = false;
        to.eng->on_disconnected(now_us_, to_conn, "closed by peer");
      }
    }
    for (auto& ev : e.events) {
      if (ev.kind == core::event_kind::attestation_mismatch) from.alarmed.insert(ev.channel);
    }
    for (auto& p : e.persists) {
      from.disk.insert(from.disk.end(), p.records.begin(), p.records.end());
      from.eng->on_persisted(now_us_, p.token, true);
    }
    return true;
  }

  void check() {
    require(!a_.eng->failed(), "A's engine failed on what the peer sent");
    std::set<std::string> ids;
    std::map<std::string, std::uint64_t> last_in;
    std::map<std::string, signing::digest> last_chain;
    std::map<std::string, std::uint64_t> sealed_to;
    std::map<std::string, std::uint64_t> delivered;
    const auto b_key = key_for(2).public_half();
    for (const auto& r : a_.disk) {
      if (const auto* p = std::get_if<records::posted>(&r)) {
        require(ids.insert(p->msg.id).second, "an id is on A's disk twice");
      } else if (const auto* sl = std::get_if<records::sealed>(&r)) {
        const auto& st = sl->seal;
        require(st.from == b_id && signing::verify(b_key, wire::canonical_seal_bytes(st), st.signature),
                "A stored a seal B did not sign");
        require(st.up_to_seq == last_in[st.channel] && st.chain == last_chain[st.channel],
                "A stored a seal that does not end at the messages it covers");
        sealed_to[st.channel] = st.up_to_seq;
      } else if (const auto* in = std::get_if<records::received>(&r)) {
        require(ids.insert(in->msg.id).second, "an id is on A's disk twice");
        require(in->msg.from == b_id, "A stored a message not from B");
        last_chain[in->msg.channel] = in->chain;
        require(labels::check(fuzz_policy(), b_id, in->msg.label).has_value(),
                "A stored a message whose label the agreement does not allow B");
        auto& last = last_in[in->msg.channel];
        require(in->msg.seq == last + 1, "A's inbox has a gap or a repeat");
        last = in->msg.seq;
      } else if (const auto* d = std::get_if<records::delivered>(&r)) {
        delivered[d->channel] = std::max(delivered[d->channel], d->up_to_seq);
      }
    }
    for (const auto& [ch, seq] : last_in) {
      require(sealed_to[ch] == seq, "A stored messages no seal of B covers");
    }
    std::map<std::string, std::uint64_t> b_holds;
    for (const auto& r : b_.disk) {
      if (const auto* in = std::get_if<records::received>(&r)) {
        b_holds[in->msg.channel] = std::max(b_holds[in->msg.channel], in->msg.seq);
      }
    }
    for (const auto& [ch, seq] : delivered) {
      require(seq <= b_holds[ch] || a_.alarmed.contains(ch),
              "A marked delivered what B does not hold, and raised no alarm");
    }
    for (const auto& st : a_.eng->status(now_us_)) {
      require(st.out_acked < st.out_next_seq, "A acknowledged beyond what it sequenced");
    }
  }

  side a_, b_;
  std::int64_t now_us_ = 1'000'000;
  core::conn_id a_conn_ = 0;
  core::conn_id b_conn_ = 0;
  bool open_ = false;
  std::uint64_t next_id_ = 1;
  // Per channel: the messages injected in a run A would seal next (seq, chain up to it).
  std::map<std::string, std::vector<std::pair<std::uint64_t, signing::digest>>> injected_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  script s(std::span(data, size));
  world w;
  w.run(s);
  return 0;
}

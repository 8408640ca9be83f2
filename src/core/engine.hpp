// Engine: one station's sans-I/O protocol core. Links, heartbeats, dialing and delivery.
//
// The engine takes inputs (a connection opened or lost, bytes received, a timer tick, a post, a
// persist completed) and accumulates outputs (bytes to send, connections to close or dial,
// records to persist, events to report) that the driver collects with `take()`. It touches no
// socket, clock or disk: the same engine runs under Asio in production and under the seeded
// simulator in tests. Time is a monotonic count of microseconds given with each input.
//
// Durability contract with the driver: every `persist` action must be committed atomically and
// durably, in the order issued, and reported with `on_persisted`. If any commit fails the engine
// stops (`failed()` turns true) and the driver must rebuild it from the store, as after a crash.
// The engine keeps only a bounded part of each channel's queue in memory; it asks for the rest
// with `load` actions, which the driver answers from the store with `on_loaded` (a failed read
// also stops the engine). After one station was restored from a backup, the two stations put
// its lost tail back (docs/protocol.md, "Recovery after a restore"; engine_recovery.cpp): the
// engine reads stored messages by seq with `range_load` actions (`on_range_loaded`), and once
// the restored station holds its own lost messages again it asks to be rebuilt from the store,
// as after a failed commit (`failed()` turns true).
//
// What the engine puts on a link it seals once per take() (engine_seals.cpp), and what it
// receives it holds until the peer's seal covers it: one signature per batch each way.
//
// Not thread-safe: one driver thread (or strand) owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.hpp"
#include "core/label.hpp"
#include "core/limits.hpp"
#include "core/message.hpp"
#include "core/outbox.hpp"
#include "core/rate_gate.hpp"
#include "core/records.hpp"
#include "core/key_schedule.hpp"
#include "core/signing.hpp"
#include "core/wire.hpp"

namespace hotline::core {

using conn_id = std::uint64_t;
enum class direction { inbound, outbound };

struct peer_config {
  std::string station;
  std::vector<std::string> paths;  // preference order, best first
};

struct engine_config {
  std::string station;
  wire::hash256 agreement_hash{};  // the version in effect: sent in every hello
  // Other versions a peer's hello may name: during a key rotation, the one before or after the
  // version in effect, for the agreed overlap (config::agreement_history::hashes_accepted_at).
  std::vector<wire::hash256> agreements_also_accepted;
  // This start of the station, sent in every hello: make_boot_id(the store's next_boot() for the
  // process, the engines it rebuilt since, a random number). A peer takes the higher of two boots
  // for the newer (engine_handshake.cpp).
  std::uint64_t boot_id = 0;
  std::uint64_t seed = 0;  // for reconnect jitter
  std::map<std::string, std::string> channel_peer;  // channel -> peer station
  std::vector<peer_config> peers;
  bool dial = true;
  std::int64_t heartbeat_interval_us = limits::heartbeat_interval_us_default;
  std::int64_t heartbeat_misses_max = limits::heartbeat_misses_max_default;
  // Pipelined durability: a fresh post goes on the wire while its own commit still runs, so
  // that the two stations' fsyncs overlap. Its poster is still answered only once it is on this
  // disk; if this station crashes or the commit fails first, the peer may hold it, and hands it
  // back after the next hello (a reclaim, as after a restore), which is why a hello waits for
  // what was accepted (engine_handshake.cpp). On in every station; off, a message is sent once
  // it is durable (for tests and for measuring what pipelining saves).
  bool pipelined = true;
  std::size_t window_messages_max = limits::window_messages_max;
  std::size_t window_bytes_max = limits::window_bytes_max;
  // How much of each channel's queue is kept in memory (core/send_queue.hpp); the rest is read
  // back from the store through load actions.
  std::size_t queue_memory_messages_max = limits::queue_memory_messages_max;
  std::size_t queue_memory_bytes_max = limits::queue_memory_bytes_max;
  // This station's signing keys, and its peers' public keys, each by era (core/key_schedule.hpp):
  // a seal or receipt is signed and checked with the key in effect at its at_ms. Everything
  // sent is sealed, every receipt signed, and every one received is checked. No key turns
  // signing off on both counts: for measuring its cost only; such a station refuses nothing and
  // proves nothing.
  signing::signer signing_key;
  signing::key_schedule peer_keys;
  // UTC wall clock in ms, stamped on receipts. The simulator gives its own.
  std::function<std::int64_t()> wall_ms;
  // True when a message with this id is already on this station's disk (either direction). A
  // peer that reuses an id is refused before the message is accepted, so that one hostile frame
  // cannot make a commit fail. Empty: only ids still in flight inside the engine are checked.
  std::function<bool(const std::string& id)> id_taken;
  std::int64_t checkpoint_interval_us = limits::checkpoint_interval_us;
  // The agreement's handling labels (core/label.hpp). A message whose label the agreement does
  // not allow its sender is refused like a bad signature: nothing is stored.
  labels::policy labels{};
};

struct send_action {
  conn_id conn = 0;
  wire::bytes bytes;
};
struct close_action {
  conn_id conn = 0;
  std::string reason;
};
struct dial_action {
  std::string peer;
  std::string path;
};
struct persist_action {
  std::uint64_t token = 0;
  std::vector<records::record> records;
};
// A read of queued messages kept on disk only (core/send_queue.hpp, load_request). The driver
// answers with on_loaded(token, ...): from the store, in post order, the queued (not sequenced)
// messages of `prec` on `channel` that follow message `after_id` (from the oldest when it is
// empty), at least one, at most `messages_max`, and after the first at most `bytes_max` bytes by
// message_weight_bytes(). storage::store::queued_after() is that query. Loads may be answered
// in any order relative to persists, but only to the engine that asked for them.
struct load_action {
  std::uint64_t token = 0;
  std::string channel;
  precedence prec = precedence::routine;
  std::string after_id;
  std::size_t messages_max = 0;
  std::size_t bytes_max = 0;
};

// A read of sequenced messages by seq (docs/protocol.md, "Recovery after a restore"). The driver
// answers with on_range_loaded(token, ...): from the store, ascending seq, the messages of
// `channel` with seq in [from_seq, to_seq], this station's own (`outbound`: store::
// outbound_range) or the peer's (store::inbound_range), with the chain up to to_seq and, for
// the peer's, the peer's seals the store holds within the range (records::range_rows;
// storage::sequenced_range is that read).
struct range_load_action {
  std::uint64_t token = 0;
  std::string channel;
  bool outbound = false;
  std::uint64_t from_seq = 0;
  std::uint64_t to_seq = 0;
};

// `attestation_mismatch`: the peer's signed receipt contradicts what this station sent. One of
// the two histories was rewritten; the driver must raise an alarm, not just log it.
// `recovery`: a step of the recovery after a restore, for the log.
enum class event_kind {
  link_up,
  link_down,
  delivered,
  storage_failed,
  refused,
  attestation_mismatch,
  recovery
};
struct event {
  event_kind kind = event_kind::link_up;
  std::string peer;
  std::string path;
  std::string channel;
  std::uint64_t seq = 0;
  std::string detail;
};

struct effects {
  std::vector<send_action> sends;  // at most one per connection, in first-touched order
  std::vector<close_action> closes;  // after the sends to the same connection
  std::vector<dial_action> dials;
  std::vector<persist_action> persists;
  std::vector<load_action> loads;
  std::vector<range_load_action> range_loads;
  std::vector<event> events;
  bool empty() const {
    return sends.empty() && closes.empty() && dials.empty() && persists.empty() &&
           loads.empty() && range_loads.empty() && events.empty();
  }
};

struct path_status {
  std::string path;
  bool up = false;
  bool active = false;
  std::int64_t rtt_us = -1;
  std::int64_t last_heard_us = -1;  // monotonic time of the last frame from the peer
};

struct channel_status {
  std::string channel;
  std::string peer;
  bool link_up = false;
  std::string active_path;
  std::int64_t rtt_us = -1;
  std::int64_t last_heard_us = -1;
  std::size_t queued = 0;   // posted, not sequenced
  std::size_t unacked = 0;  // sequenced, not confirmed on the peer's disk
  std::uint64_t out_acked = 0;
  std::uint64_t out_next_seq = 1;
  std::uint64_t in_next_expected = 1;
  // Recovery after a restore (docs/protocol.md): fetching this station's own lost messages back
  // from the peer, or sending the peer again what it lost.
  bool reclaiming = false;
  bool refilling = false;
  std::vector<path_status> paths;
};

class engine {
 public:
  explicit engine(engine_config cfg);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // Loads what the store holds. Call once, before anything else.
  void restore(const std::vector<records::channel_recovery>& channels);

  // A transport connection is open (TLS done; `peer` is the station its pinned key belongs to).
  // For an outbound connection `path` is the path dialed; inbound ones learn it from the hello.
  conn_id on_connected(std::int64_t now_us, direction dir, const std::string& peer,
                       const std::string& path);
  void on_dial_failed(std::int64_t now_us, const std::string& peer, const std::string& path,
                      const std::string& reason);
  void on_bytes(std::int64_t now_us, conn_id conn, std::span<const std::uint8_t> bytes);
  void on_disconnected(std::int64_t now_us, conn_id conn, const std::string& reason);
  void on_tick(std::int64_t now_us);
  void on_persisted(std::int64_t now_us, std::uint64_t token, bool ok);
  // The answer to load action `token`. A failed read stops the engine as a failed commit does
  // (`failed()`), and so does an answer that cannot be the one asked for. An unknown token (a
  // load the engine no longer waits for) changes nothing.
  void on_loaded(std::int64_t now_us, std::uint64_t token, result<std::vector<message>> loaded);
  // The answer to range load action `token`; a failed read, or one that is not what was asked
  // for, stops the engine. An unknown token changes nothing.
  void on_range_loaded(std::int64_t now_us, std::uint64_t token,
                       result<records::range_rows> loaded);

  // Posts a message from this station. `m.id`, `m.channel`, `m.prec`, `m.created_at_ms`,
  // `m.form` and `m.body` must be set; `from` and `seq` are filled in. Returns the token of the
  // persist action that makes it durable; the post is durable once that token is reported.
  result<std::uint64_t> post(std::int64_t now_us, message m);

  // A key rotation (config::agreement_history): from now on hellos name `current`, and a peer's
  // hello may name `current` or one of `also_accepted`. Links already up stay up.
  void follow_agreement(const wire::hash256& current, std::vector<wire::hash256> also_accepted);

  // A boot id orders boots: the process start's number in the high 32 bits, then how many
  // engines the process rebuilt after a storage failure before this one (16 bits; each rebuilt
  // engine may have lost what it sent, so it is a boot of its own), then 16 random bits, which
  // tell apart two starts that reuse a number (a store replaced by an older copy).
  static std::uint64_t make_boot_id(std::uint64_t number, std::uint64_t rebuilds,
                                    std::uint64_t random) {
    return (number << 32) | ((rebuilds & 0xffffULL) << 16) | (random & 0xffffULL);
  }

  effects take();
  std::int64_t next_wakeup_us() const;
  bool failed() const { return failed_; }
  std::vector<channel_status> status(std::int64_t now_us) const;
  const engine_config& config() const { return cfg_; }

 private:
  struct link;
  struct inbox_state {
    std::uint64_t durable_next = 1;
    std::uint64_t accept_next = 1;  // the next seq to accept: what is sealed and being written
    conn_id ack_conn = 0;
    signing::digest durable_chain{};
    signing::digest accept_chain{};
    std::int64_t receipt_sent_us = -1;
    // Messages from accept_next on, checked but not yet covered by a seal of the peer, and the
    // chain up to each; they are stored once the seal arrives, dropped with the link otherwise.
    std::vector<records::received> unsealed;
    conn_id unsealed_conn = 0;
    std::uint64_t next_expected() const { return accept_next + unsealed.size(); }
    const signing::digest& chain() const {
      return unsealed.empty() ? accept_chain : unsealed.back().chain;
    }
  };
  // Messages put on a link and not yet sealed there: the seal goes out at take(), or at once
  // when the run reaches the seal interval.
  struct seal_due {
    std::uint64_t up_to_seq = 0;
    signing::digest chain{};
    std::size_t messages = 0;
  };
  struct attest_state {
    std::int64_t stored_us = -1;  // when a receipt was last kept
    bool mismatch = false;        // an alarm is raised and not yet cleared by a match
  };
  struct dial_state {
    bool in_progress = false;
    int attempts = 0;
    std::int64_t next_at_us = 0;
  };
  enum class token_kind { post_fast, post_queued, sequence, inbound, reclaim, other };
  struct pending {
    token_kind kind = token_kind::other;
    std::string channel;
    std::uint64_t up_to_seq = 0;
    std::optional<message> msg;  // a queued post the queue will hold; empty if it stays on disk
    precedence prec = precedence::routine;  // a queued post's
    std::map<std::string, std::uint64_t> inbound_up_to;  // channel -> highest seq in batch
    std::map<std::string, signing::digest> inbound_chain;  // channel -> chain at that seq
    std::vector<std::string> ids;  // message ids the persist writes (received or posted)
  };

  void handle_frame(std::int64_t now_us, link& l, wire::frame&& f);
  // The handshake (engine_handshake.cpp).
  void send_hello_when_ready(link& l);
  void send_due_hellos();
  bool frozen(const link& l) const;
  void release_held(const link& gone, const std::string& reason);
  bool earlier_boot(const std::string& peer, std::uint64_t boot) const;
  void thaw(const std::string& peer, conn_id except);
  void decode(std::int64_t now_us, link& l);
  void handle_hello(std::int64_t now_us, link& l, wire::hello&& h);
  void handle_data(link& l, wire::data&& d);
  void handle_ack(link& l, const wire::ack& a);
  void handle_seal(link& l, const wire::seal& s);
  // Seals (protocol 5): the sender notes each data frame it puts on a link, and seals the run.
  void note_sent(conn_id conn, const std::string& channel, std::uint64_t seq,
                 const signing::digest& chain);
  wire::seal make_seal(const std::string& channel, std::uint64_t up_to_seq,
                       const signing::digest& chain);
  void send_seals();
  void drop_unsealed(conn_id conn);
  // Recovery after a restore (engine_recovery.cpp).
  struct reclaim_state {  // fetching back this station's own messages that the peer holds
    conn_id conn = 0;
    std::uint64_t first = 0;     // the first seq fetched back, for the journal
    std::uint64_t next = 0;      // the next seq expected back
    std::uint64_t asked_to = 0;  // the last seq asked for so far
    std::uint64_t until = 0;     // the last seq the peer holds
    signing::digest chain{};     // the outbound chain up to next - 1
    // Handed back from `next` on, not yet covered by one of this station's own seals.
    std::vector<records::reclaimed> unsealed;
    std::uint64_t expected() const { return next + unsealed.size(); }
  };
  struct refill_state {  // sending again what a restored peer had acknowledged and lost
    conn_id conn = 0;
    std::uint64_t next = 0;     // the next seq to send
    std::uint64_t until = 0;    // the last: what the peer had acknowledged
    std::uint64_t sent_to = 0;  // the last seq sent so far
    std::uint64_t peer_acked = 0;  // the peer's receipts since: what it holds again
    bool loading = false;
  };
  struct range_request {
    bool refill = false;  // else the answer to the peer's fetch
    std::string channel;
    conn_id conn = 0;
    std::uint64_t from_seq = 0;
    std::uint64_t to_seq = 0;
  };
  void resume_recovery(link& l, const wire::hello& h);
  void start_reclaim(link& l, const std::string& channel, std::uint64_t peer_next);
  void ask_fetch(const std::string& channel);
  void handle_fetch(link& l, const wire::fetch& f);
  void handle_returned(link& l, wire::returned&& r);
  void handle_returned_seal(link& l, const wire::seal& s);
  void accept_returned(reclaim_state& rc, std::size_t count);
  void forget_unsealed(reclaim_state& rc);
  void start_refill(link& l, const std::string& channel, std::uint64_t peer_next);
  void continue_refill(const std::string& channel);
  void move_recovery(conn_id lost, const std::string& peer);
  void answer_fetch(const range_request& r, records::range_rows rows);
  void send_refill(const range_request& r, records::range_rows rows);
  void flush_reclaimed();
  void reclaim_durable(const std::map<std::string, std::uint64_t>& up_to);
  void request_range(range_request r, bool outbound);
  // Journals `kind` for `peer`, at most limits::refusal_notes_per_minute_max times a minute.
  void note_limited(const std::string& peer, std::string kind, const std::string& channel,
                    nlohmann::json detail);
  bool check_receipt(link& l, const wire::ack& a, outbox& ob);
  void note(std::string kind, std::string channel, std::string detail);
  void refuse(link& l, const std::string& channel, const std::string& why);
  void send_checkpoints(std::int64_t now_us);
  bool apply_ack(link& l, outbox& ob, std::uint64_t up_to_seq);
  void note_delivered(outbox& ob, const std::string& peer, const std::string& path);
  void send_ack(const std::string& channel, conn_id preferred);
  void close_link(std::int64_t now_us, conn_id conn, const std::string& reason);
  void drop_link(std::int64_t now_us, conn_id conn, const std::string& reason);
  void send_frame(conn_id conn, const wire::frame& f);
  link* best_link(const std::string& peer) const;
  link* active_link(const std::string& peer);
  std::int64_t path_return_us() const;
  std::int64_t silence_max_us(const link& l) const;
  std::int64_t rtt_us(const link& l) const;
  link* find_link(conn_id conn);
  void pump(const std::string& peer);
  void request_load(outbox& ob);
  void fail_storage(std::int64_t now_us, const std::string& channel, const std::string& why);
  void transmit(outbox& ob);
  void flush_inbound();
  std::uint64_t persist(std::vector<records::record> recs, pending p);
  std::int64_t backoff_us(int attempts);
  std::int64_t retransmit_timeout_us(const std::string& peer) const;
  bool dial_covered(const std::string& peer, const std::string& path) const;
  void schedule_dials(std::int64_t now_us);
  void check_links(std::int64_t now_us);
  void check_retransmits(std::int64_t now_us);
  std::uint64_t random();
  int path_rank(const std::string& peer, const std::string& path) const;

  engine_config cfg_;
  std::map<std::string, outbox> outboxes_;       // by channel
  std::map<std::string, inbox_state> inboxes_;   // by channel
  std::map<std::string, std::int64_t> progress_us_;  // by channel: last ack progress or first send
  std::map<conn_id, std::unique_ptr<link>> links_;
  std::map<std::pair<std::string, std::string>, dial_state> dials_;  // (peer, path)
  // (peer, path) -> its smoothed round trip, kept across links: a new link on a slow path starts
  // with the path's known round trip, not none.
  std::map<std::pair<std::string, std::string>, std::int64_t> path_rtt_us_;
  std::map<std::string, conn_id> active_;  // peer -> link data is sent on
  // The newest boot of each peer a hello has named, and when a link of it was last up.
  struct peer_boot {
    std::uint64_t newest = 0;
    std::int64_t seen_us = 0;
  };
  std::map<std::string, peer_boot> peer_boots_;
  std::map<std::uint64_t, pending> pending_;
  // Load actions not yet answered: token -> (channel, the queue's serial for the request).
  std::map<std::uint64_t, std::pair<std::string, std::uint64_t>> loads_;
  std::vector<records::record> inbound_batch_;
  std::map<std::string, std::uint64_t> inbound_batch_up_to_;
  std::map<std::string, signing::digest> inbound_batch_chain_;
  std::map<std::string, attest_state> attest_;  // by channel
  std::map<std::string, conn_id> inbound_batch_conn_;
  std::map<std::pair<conn_id, std::string>, seal_due> seals_due_;  // (link, channel)
  effects out_;
  std::map<conn_id, std::size_t> send_index_;  // conn -> index in out_.sends
  conn_id next_conn_ = 1;
  std::uint64_t next_token_ = 1;
  std::map<std::string, std::size_t> queued_pending_;  // by channel: queued posts not yet durable
  std::map<std::string, conn_id> ack_due_;  // channel -> link to send a cumulative ack on
  // Ids of messages accepted (received, or posted here) but not yet on disk, so that a peer's
  // message reusing one is refused before its batch commits, not by the store's unique index
  // during the commit, which would fail the honest post or message committed with it.
  std::set<std::string> ids_in_flight_;
  // Journaled refusals by peer. A peer that reconnects only to be refused must not be able to
  // fill the journal.
  std::map<std::string, rate_gate> refusal_notes_;
  std::map<std::string, rate_gate> recovery_notes_;  // by peer, likewise
  std::map<std::string, reclaim_state> reclaims_;    // by channel
  std::map<std::string, refill_state> refills_;      // by channel
  std::map<std::uint64_t, range_request> range_requests_;  // by range load token
  std::set<std::pair<conn_id, std::string>> fetches_answering_;  // (link, channel)
  std::vector<records::record> reclaim_batch_;
  std::map<std::string, std::uint64_t> reclaim_batch_up_to_;  // channel -> highest seq in batch
  std::uint64_t rng_state_;
  std::int64_t now_us_ = 0;
  bool failed_ = false;
};

}  // namespace hotline::core

// Station: one simulated station, its engine driven the way the real driver drives it.
//
// The station owns the disk (a real store that survives crashes) and, while up, one engine
// incarnation restored from that disk. It routes the engine's effects: bytes, closes and dials
// to the network, persists and loads (reads of queued messages) to the disk, and wakes the
// engine when it asks. A crash drops the engine, its connections and every write not yet
// committed; a restart builds a new engine (new boot id) from the store. A failed commit or read
// rebuilds the engine at once, as the driver contract requires. The station also keeps the
// officer's view: what was posted, in what order, and which posts were acknowledged (their
// persist reported ok). Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/signing.hpp"
#include "sim/disk.hpp"
#include "sim/network.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "storage/journal_verify.hpp"

namespace hotline::sim {

struct station_setup {
  int index = 0;  // 0 = A, 1 = B: the station's end of every network connection
  std::string id;
  std::string peer;
  std::vector<std::string> channels;
  std::vector<std::string> paths;
  wire::hash256 agreement{};
  signing::secret_key key;  // signs this station's messages, receipts and journal
  std::map<std::string, signing::public_key> peer_keys;
  // This station's keys as its engine and journal sign with them, the peers' keys as the engine
  // checks them, and every station's (this one's too) as the journal verifier does.
  signing::signer signer() const;
  signing::key_schedule peer_schedule() const;
  storage::journal_keys journal_keys() const;
  // How much of each queue the engine keeps in memory; small values make it read from disk often.
  std::size_t queue_memory_messages_max = limits::queue_memory_messages_max;
  std::size_t queue_memory_bytes_max = limits::queue_memory_bytes_max;
  bool pipelined = true;  // core::engine_config::pipelined
  // A key rotation (docs/agreement.md, "Key rotation"): from `rotate_at_ms` on the simulated
  // wall clock this station signs with `rotated_key` and its peer with `peer_rotated_key`.
  // 0: the keys never change.
  std::int64_t rotate_at_ms = 0;
  signing::secret_key rotated_key;
  signing::public_key peer_rotated_key{};
};

class station {
 public:
  station(station_setup setup, scheduler& sched, rng& random, trace& tr, network& net,
          std::unique_ptr<storage::store> store);

  // Boots a new engine incarnation from the store.
  void start();
  void crash();
  bool up() const { return engine_ != nullptr; }
  std::uint64_t incarnation() const { return incarnation_; }
  const std::string& id() const { return setup_.id; }
  const station_setup& setup() const { return setup_; }

  // Posts a message as a duty officer would; returns its id, or empty if the engine refused.
  std::string post(const std::string& channel, precedence p);

  // Called by the network.
  core::conn_id open_conn(core::direction dir, const std::string& peer, const std::string& path);
  void dial_failed(const std::string& peer, const std::string& path);
  void bytes_arrived(core::conn_id conn, std::span<const std::uint8_t> bytes);
  void disconnected(core::conn_id conn, const std::string& why);
  // Routes every pending effect of the engine.
  void drain();

  disk& storage() { return disk_; }
  const core::engine* engine() const { return engine_.get(); }
  const std::map<std::string, message>& posted() const { return posted_; }
  // Each post's place in the order the officer made them (1, 2, 3, ...), by message id.
  const std::map<std::string, std::uint64_t>& post_order() const { return post_order_; }
  const std::set<std::string>& acknowledged() const { return acknowledged_; }
  // The first broken rule seen while driving the engine, empty if none.
  const std::string& fault() const { return fault_; }
  std::uint64_t restarts() const { return incarnation_; }

  // Test hook: asked after each successful commit; returning true crashes the station before
  // the engine hears of the commit (the write is on disk, its acknowledgement never leaves).
  void set_crash_after_commit(std::function<bool(const core::persist_action&)> hook) {
    crash_after_commit_ = std::move(hook);
  }

 private:
  void persisted(const core::persist_action& action, bool ok);
  void loaded(const core::load_action& action, result<std::vector<message>> rows);
  void rebuild_if_failed();
  void schedule_tick();
  void tick(std::int64_t at_us);
  void note_fault(std::string what);

  station_setup setup_;
  scheduler& sched_;
  rng& rng_;
  trace& trace_;
  network& net_;
  disk disk_;
  std::unique_ptr<core::engine> engine_;
  std::uint64_t incarnation_ = 0;
  std::int64_t tick_at_us_ = -1;  // the one live tick event, -1 if none
  bool in_tick_ = false;
  std::map<std::uint64_t, std::string> post_tokens_;  // persist token -> message id
  std::map<std::string, message> posted_;
  std::map<std::string, std::uint64_t> post_order_;
  std::set<std::string> acknowledged_;
  std::uint64_t next_post_ = 1;
  std::function<bool(const core::persist_action&)> crash_after_commit_;
  std::string fault_;
};

}  // namespace hotline::sim

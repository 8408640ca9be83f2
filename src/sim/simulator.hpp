// Simulator: two real engines, stations A and B, run in simulated time against a faulty network
// and faulty disks, all decided by one seed.
//
// A seeded run (`run_seed`) has three phases. Chaos: random posts at both stations in both
// directions, with frame loss, duplication and reordering, connection resets, partitions, disk
// errors and station crashes. Heal: every fault stops and crashed stations restart. Settle: the
// run goes on until both stations are quiet, which must happen within `delivery_deadline_us`;
// then the checker's invariants must hold. The same seed gives the same run, step for step,
// down to the trace hash. Scenario tests drive a `simulator` by hand through the same pieces.
// Not thread-safe; separate simulators share nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sim/network.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "sim/station.hpp"

namespace hotline::sim {

inline constexpr const char* station_a_id = "rok-fleet";
inline constexpr const char* station_b_id = "ru-pacific";

struct sim_config {
  std::uint64_t seed = 1;
  std::vector<std::string> channels{"navy"};
  std::vector<std::string> paths{"fibre"};
  std::int64_t chaos_us = 20'000'000;
  int posts_per_station = 20;
  link_faults chaos_faults;
  double disk_failure_chance = 0;
  int crashes_per_station = 0;
  int resets = 0;
  int partitions = 0;
  std::int64_t partition_us_max = 8'000'000;
  std::int64_t delivery_deadline_us = 60'000'000;
  // How much of each queue the engines keep in memory (core/send_queue.hpp).
  std::size_t queue_memory_messages_max = limits::queue_memory_messages_max;
  std::size_t queue_memory_bytes_max = limits::queue_memory_bytes_max;
  // Both stations' signing keys change at this instant of the simulated wall clock (epoch_ms
  // plus simulated time); 0: never.
  std::int64_t rotate_keys_at_ms = 0;
  // Both engines put posts on the wire while their commits run (core::engine_config::pipelined),
  // as stations do.
  bool pipelined = true;
};

// The signing key a simulated station uses, derived from its id (runs are reproducible).
signing::secret_key sim_signing_key(std::string_view station);

// A config whose every knob is drawn from `seed`.
sim_config random_config(std::uint64_t seed);

class simulator {
 public:
  static result<std::unique_ptr<simulator>> create(sim_config cfg);
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  station& at(int i) { return *stations_[static_cast<std::size_t>(i)]; }
  station& a() { return at(0); }
  station& b() { return at(1); }
  network& net() { return net_; }
  scheduler& sched() { return sched_; }
  rng& random() { return rng_; }
  const sim_config& config() const { return cfg_; }
  std::uint64_t trace_hash() const { return trace_.hash(); }

  // Boots both stations.
  void start();
  // Runs events up to `until_us`. Stops early and returns the reason if a rule broke.
  result<void> run_until(std::int64_t until_us);
  result<void> run_for(std::int64_t duration_us) {
    return run_until(sched_.now_us() + duration_us);
  }
  // Runs until `done()` holds (checked every 10 ms), or fails at `deadline_us`.
  result<void> run_until_true(const std::function<bool()>& done, std::int64_t deadline_us,
                              const std::string& what);
  // Schedules the random workload and faults of the chaos phase over the next `duration_us`.
  void schedule_chaos(std::int64_t duration_us);
  // Stops every fault and restarts any crashed station.
  void heal();
  // Runs until both stations are quiet, within the config's delivery deadline.
  result<void> settle();
  // The end-of-run invariants, both directions.
  result<void> check();

 private:
  explicit simulator(sim_config cfg);
  result<void> first_fault();
  void schedule_posts(int s, std::int64_t start_us, std::int64_t duration_us);
  void schedule_crashes(int s, std::int64_t start_us, std::int64_t duration_us);
  void schedule_partitions(std::int64_t start_us, std::int64_t duration_us);

  sim_config cfg_;
  scheduler sched_;
  rng rng_;
  trace trace_;
  network net_;
  std::vector<std::unique_ptr<station>> stations_;
};

struct seed_outcome {
  bool ok = false;
  std::string reason;
  std::uint64_t trace_hash = 0;
  std::int64_t settle_us = 0;  // from healing until quiet
  // What the run went through, so tests can tell a run that did something from one that idled.
  std::uint64_t events = 0;
  std::uint64_t frames = 0;
  std::size_t acknowledged = 0;  // posts acknowledged to officers, both stations
  std::uint64_t restarts = 0;    // engine incarnations beyond the first, both stations
  std::uint64_t disk_failures = 0;
  std::uint64_t disk_reads = 0;  // queued messages read back from the store (load actions)
};

// One whole seeded run: chaos, heal, settle, check.
seed_outcome run_seed(std::uint64_t seed);

}  // namespace hotline::sim

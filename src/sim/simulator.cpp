#include "sim/simulator.hpp"

#include "sim/checker.hpp"

namespace hotline::sim {

sim_config random_config(std::uint64_t seed) {
  rng r(seed * 0x2545F4914F6CDD1DULL + 1);
  sim_config c;
  c.seed = seed;
  if (r.chance(0.3)) c.channels.push_back("air");
  if (r.chance(0.3)) c.paths.push_back("satellite");
  c.chaos_us = r.between(20'000'000, 40'000'000);
  c.posts_per_station = static_cast<int>(r.between(5, 100));
  c.chaos_faults.loss = r.chance(0.2) ? 0 : static_cast<double>(r.below(50)) / 1000;
  c.chaos_faults.duplicate = r.chance(0.3) ? 0 : static_cast<double>(r.below(30)) / 1000;
  c.chaos_faults.reorder = r.chance(0.3) ? 0 : static_cast<double>(r.below(50)) / 1000;
  c.chaos_faults.delay_us_max = r.between(5'000, 300'000);
  c.disk_failure_chance = r.chance(0.5) ? 0 : static_cast<double>(r.below(20)) / 1000;
  c.crashes_per_station = static_cast<int>(r.below(5));
  c.resets = static_cast<int>(r.below(6));
  c.partitions = static_cast<int>(r.below(4));
  // Half the seeds keep only a few queued messages in memory, so that the queue spills to the
  // store and is read back under the same faults. Drawn from a generator of its own, so that
  // adding it changed none of the draws above.
  rng q(seed * 0x9E3779B97F4A7C15ULL + 3);
  if (q.chance(0.5)) {
    c.queue_memory_messages_max = static_cast<std::size_t>(q.between(1, 8));
    c.queue_memory_bytes_max = static_cast<std::size_t>(q.between(1, 2'000));
  }
  // A fifth of the seeds send each message only once it is durable, as stations did before
  // pipelining; drawn from a generator of its own, like the queue's memory above.
  rng p(seed * 0xD1B54A32D192ED03ULL + 5);
  c.pipelined = !p.chance(0.2);
  return c;
}

signing::secret_key sim_signing_key(std::string_view station) {
  const signing::digest seed = signing::sha256("hotline-sim-key:" + std::string{station});
  return signing::secret_key::from_seed(seed);
}

simulator::simulator(sim_config cfg)
    : cfg_(std::move(cfg)), rng_(cfg_.seed), net_(sched_, rng_, trace_) {}

result<std::unique_ptr<simulator>> simulator::create(sim_config cfg) {
  std::unique_ptr<simulator> s(new simulator(std::move(cfg)));
  wire::hash256 agreement;
  agreement.fill(0x5a);
  const char* ids[2] = {station_a_id, station_b_id};
  signing::secret_key keys[2];
  for (int i = 0; i < 2; ++i) keys[i] = sim_signing_key(ids[i]);
  for (int i = 0; i < 2; ++i) {
    station_setup setup;
    setup.index = i;
    setup.id = ids[i];
    setup.peer = ids[1 - i];
    setup.channels = s->cfg_.channels;
    setup.paths = s->cfg_.paths;
    setup.agreement = agreement;
    setup.key = keys[i];
    setup.peer_keys = {{ids[1 - i], keys[1 - i].public_half()}};
    setup.queue_memory_messages_max = s->cfg_.queue_memory_messages_max;
    setup.pipelined = s->cfg_.pipelined;
    setup.queue_memory_bytes_max = s->cfg_.queue_memory_bytes_max;
    if (s->cfg_.rotate_keys_at_ms != 0) {
      setup.rotate_at_ms = s->cfg_.rotate_keys_at_ms;
      setup.rotated_key = sim_signing_key(std::string{ids[i]} + "-rotated");
      setup.peer_rotated_key = sim_signing_key(std::string{ids[1 - i]} + "-rotated").public_half();
    }
    auto store = storage::open_sqlite(":memory:", storage::journal_options{setup.signer(), true});
    if (!store) return std::unexpected(store.error());
    s->stations_.push_back(std::make_unique<station>(std::move(setup), s->sched_, s->rng_,
                                                     s->trace_, s->net_, std::move(*store)));
  }
  s->net_.attach(s->a(), s->b());
  return s;
}

void simulator::start() {
  for (auto& st : stations_) st->start();
}

result<void> simulator::first_fault() {
  for (auto& st : stations_) {
    if (!st->fault().empty()) return fail(errc::corrupt, st->fault());
    if (!st->storage().store_error().empty()) {
      return fail(errc::corrupt,
                  st->id() + "'s store refused a commit: " + st->storage().store_error());
    }
  }
  return {};
}

result<void> simulator::run_until(std::int64_t until_us) {
  while (sched_.step(until_us)) {
    if (auto f = first_fault(); !f) return f;
  }
  return first_fault();
}

result<void> simulator::run_until_true(const std::function<bool()>& done, std::int64_t deadline_us,
                                       const std::string& what) {
  while (!done()) {
    if (sched_.now_us() >= deadline_us) {
      return fail(errc::unavailable,
                  what + " not reached by " + std::to_string(deadline_us / 1000) + " ms");
    }
    if (auto r = run_until(std::min(deadline_us, sched_.now_us() + 10'000)); !r) return r;
  }
  return {};
}

void simulator::schedule_posts(int s, std::int64_t start_us, std::int64_t duration_us) {
  for (int i = 0; i < cfg_.posts_per_station; ++i) {
    std::int64_t when = start_us + rng_.between(0, duration_us - 1);
    std::string channel = cfg_.channels[rng_.below(cfg_.channels.size())];
    auto prec = static_cast<precedence>(rng_.below(precedence_count));
    sched_.at(when, [this, s, channel, prec] { at(s).post(channel, prec); });
  }
}

void simulator::schedule_crashes(int s, std::int64_t start_us, std::int64_t duration_us) {
  for (int i = 0; i < cfg_.crashes_per_station; ++i) {
    std::int64_t when = start_us + rng_.between(0, duration_us - 1);
    std::int64_t down_us = rng_.between(1'000, 5'000'000);
    sched_.at(when, [this, s, down_us] {
      at(s).crash();
      sched_.after(down_us, [this, s] { at(s).start(); });
    });
  }
}

void simulator::schedule_partitions(std::int64_t start_us, std::int64_t duration_us) {
  for (int i = 0; i < cfg_.partitions; ++i) {
    std::int64_t begin = start_us + rng_.between(0, duration_us - 1);
    std::int64_t end =
        std::min(start_us + duration_us - 1, begin + rng_.between(100'000, cfg_.partition_us_max));
    sched_.at(begin, [this] { net_.set_partitioned(true); });
    sched_.at(end, [this] { net_.set_partitioned(false); });
  }
}

void simulator::schedule_chaos(std::int64_t duration_us) {
  std::int64_t now = sched_.now_us();
  net_.set_faults(cfg_.chaos_faults);
  for (auto& st : stations_) st->storage().set_failure_chance(cfg_.disk_failure_chance);
  for (int s = 0; s < 2; ++s) {
    schedule_posts(s, now, duration_us);
    schedule_crashes(s, now, duration_us);
  }
  for (int i = 0; i < cfg_.resets; ++i) {
    sched_.at(now + rng_.between(0, duration_us - 1), [this] { net_.reset_random(); });
  }
  schedule_partitions(now, duration_us);
}

void simulator::heal() {
  link_faults clean;
  clean.delay_us_max = cfg_.chaos_faults.delay_us_max;
  net_.set_faults(clean);
  net_.set_partitioned(false);
  for (auto& st : stations_) {
    st->storage().set_failure_chance(0);
    st->start();
  }
}

result<void> simulator::settle() {
  return run_until_true([this] { return station_quiet(a()) && station_quiet(b()); },
                        sched_.now_us() + cfg_.delivery_deadline_us,
                        "delivery of everything after healing");
}

result<void> simulator::check() {
  if (auto r = check_direction(a(), b()); !r) return r;
  if (auto r = check_direction(b(), a()); !r) return r;
  if (auto r = check_journal(a()); !r) return r;
  return check_journal(b());
}

seed_outcome run_seed(std::uint64_t seed) {
  seed_outcome out;
  sim_config cfg = random_config(seed);
  auto sim = simulator::create(cfg);
  if (!sim) {
    out.reason = "cannot create the simulator: " + sim.error().message;
    return out;
  }
  simulator& s = **sim;
  s.start();
  s.schedule_chaos(cfg.chaos_us);
  auto r = s.run_until(cfg.chaos_us);
  std::int64_t healed_at = s.sched().now_us();
  if (r) {
    s.heal();
    r = s.settle();
  }
  out.settle_us = s.sched().now_us() - healed_at;
  if (r) r = s.check();
  out.ok = r.has_value();
  if (!r) out.reason = r.error().message;
  out.trace_hash = s.trace_hash();
  out.events = s.sched().events_run();
  out.frames = s.net().frames_sent();
  for (int i = 0; i < 2; ++i) {
    out.acknowledged += s.at(i).acknowledged().size();
    out.restarts += s.at(i).restarts() - 1;
    out.disk_failures += s.at(i).storage().failures();
    out.disk_reads += s.at(i).storage().reads();
  }
  return out;
}

}  // namespace hotline::sim

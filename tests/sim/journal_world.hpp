// A journal world: two simulated stations that exchanged a few messages both ways on a clean
// network and went quiet, so that each holds a real journal with the peer's checkpoints. The
// tamper tests then rewrite one station's database the way someone with its disk would.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/simulator.hpp"
#include "storage/journal_verify.hpp"
#include "storage/sqlite_store.hpp"

namespace hotline::test {

class journal_world {
 public:
  journal_world() {
    sim::sim_config cfg;
    cfg.seed = 77;
    cfg.chaos_faults.delay_us_max = 5'000;
    auto s = sim::simulator::create(cfg);
    EXPECT_TRUE(s.has_value());
    sim_ = std::move(*s);
    sim_->net().set_faults(cfg.chaos_faults);
    sim_->start();
    EXPECT_TRUE(sim_->run_for(2'000'000).has_value());
    for (int i = 0; i < 6; ++i) sent_by_a.push_back(sim_->a().post("navy", precedence::priority));
    for (int i = 0; i < 4; ++i) sent_by_b.push_back(sim_->b().post("navy", precedence::routine));
    // Long enough for a periodic checkpoint as well as the delivery receipts.
    EXPECT_TRUE(sim_->run_for(70'000'000).has_value());
    sim_->heal();
    EXPECT_TRUE(sim_->settle().has_value());
  }

  sim::simulator& sim() { return *sim_; }
  storage::store& store(int i) { return sim_->at(i).storage().store(); }
  sqlite3* db(int i) { return dynamic_cast<storage::sqlite_store&>(store(i)).handle(); }

  storage::journal_keys keys(int i) {
    return sim_->at(i).setup().journal_keys();
  }
  storage::verify_report verify(int i) {
    auto r = storage::verify_journal(store(i), keys(i));
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? *r : storage::verify_report{};
  }
  // Runs SQL as an intruder would: the append-only triggers dropped first.
  void tamper(int i, const std::string& sql) {
    const std::string all = "DROP TRIGGER IF EXISTS journal_no_update;"
                            "DROP TRIGGER IF EXISTS journal_no_delete;" + sql;
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db(i), all.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }

  std::vector<std::string> sent_by_a, sent_by_b;

 private:
  std::unique_ptr<sim::simulator> sim_;
};

}  // namespace hotline::test

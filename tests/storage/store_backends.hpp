// The store's contract tests run on every backend: a test written once as TEST_P on a fixture
// derived from backend_test runs on SQLite and on PostgreSQL (pg_cluster.hpp), and
// HOTLINE_STORE_BACKENDS(fixture) instantiates it for both. The PostgreSQL runs fail with the
// reason when the cluster cannot start, and are skipped, saying so, with HOTLINE_PG_TESTS=off.
// Not thread-safe; each test owns its stores.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "storage/pg_cluster.hpp"
#include "storage/store.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage::fixtures {

enum class backend { sqlite, postgresql };

inline void PrintTo(backend b, std::ostream* os) {
  *os << (b == backend::sqlite ? "sqlite" : "postgresql");
}

inline std::string backend_name(const ::testing::TestParamInfo<backend>& info) {
  return info.param == backend::sqlite ? "sqlite" : "postgresql";
}

class backend_test : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() != backend::postgresql) return;
    if (auto why = pg_cluster::skip_reason()) GTEST_SKIP() << *why;
    const std::string failure = pg_cluster::instance().start();
    ASSERT_TRUE(failure.empty()) << "the PostgreSQL cluster for the store's tests cannot start "
                                    "(HOTLINE_PG_TESTS=off skips these tests): "
                                 << failure;
  }

  bool postgresql() const { return GetParam() == backend::postgresql; }

  // A fresh, empty store of its own: in memory for SQLite, a new database for PostgreSQL.
  std::unique_ptr<store> open_store(journal_options j = {}) {
    const std::string where = postgresql() ? pg_cluster::instance().new_database() : ":memory:";
    return open_at(where, std::move(j));
  }

  // The test's one lasting store, which the test may close and open again: a file for SQLite,
  // one database for PostgreSQL.
  std::unique_ptr<store> open_persistent(journal_options j = {}) {
    if (location_.empty()) {
      location_ = postgresql() ? pg_cluster::instance().new_database() : dir_.file("station.db");
    }
    return open_at(location_, std::move(j));
  }

  // Runs `sql` on the lasting store's database behind the store's back (the SQLite store must be
  // closed first).
  void exec_persistent(const std::string& sql) {
    ASSERT_FALSE(location_.empty()) << "open_persistent() first";
    if (postgresql()) {
      const std::string e = pg_cluster::exec(location_, sql);
      EXPECT_TRUE(e.empty()) << e;
    } else {
      exec_raw(location_, sql);
    }
  }

  std::unique_ptr<store> open_at(const std::string& where, journal_options j) {
    auto s = postgresql() ? open_postgresql(where, std::move(j)) : open_sqlite(where, std::move(j));
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
  }

  const std::string& location() const { return location_; }

 private:
  temp_dir dir_;
  std::string location_;
};

}  // namespace hotline::storage::fixtures

#define HOTLINE_STORE_BACKENDS(fixture)                                                          \
  INSTANTIATE_TEST_SUITE_P(backends, fixture,                                                    \
                           ::testing::Values(::hotline::storage::fixtures::backend::sqlite,      \
                                             ::hotline::storage::fixtures::backend::postgresql), \
                           ::hotline::storage::fixtures::backend_name)

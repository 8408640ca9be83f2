// The SQLite store's query plans: every read the store makes is served by an index or by a walk
// in the order it asks for, which a LIMIT stops; no read sorts a whole table; and every index on
// `messages` serves at least one read or enforces a uniqueness, so that no commit pays a page
// write for an index that nothing uses.
//
// The test records the SQL of every statement the store runs (sqlite3_trace_v2) while it drives
// each read of the store interface, then asks SQLite for the plan of each (EXPLAIN QUERY PLAN).
// The plans are those of a fresh station's database, which carries no ANALYZE statistics.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/watch.hpp"
#include "storage/sqlite_store.hpp"
#include "store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

int record_statement(unsigned type, void* context, void* stmt, void* /*sql*/) {
  if (type != SQLITE_TRACE_STMT) return 0;
  const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(stmt));
  if (sql != nullptr) static_cast<std::set<std::string>*>(context)->insert(sql);
  return 0;
}

// The plan's lines (EXPLAIN QUERY PLAN's `detail` column) for `sql` on `db`.
std::vector<std::string> plan_of(sqlite3* db, const std::string& sql) {
  std::vector<std::string> lines;
  sqlite3_stmt* st = nullptr;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  if (sqlite3_prepare_v2(db, explain.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot explain: " << sql << ": " << sqlite3_errmsg(db);
    return lines;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 3)));
  }
  sqlite3_finalize(st);
  return lines;
}

std::vector<std::pair<std::string, bool>> indexes_of(sqlite3* db, const std::string& table) {
  std::vector<std::pair<std::string, bool>> out;  // name, unique
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT name, \"unique\" FROM pragma_index_list('" + table + "')";
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                     sqlite3_column_int(st, 1) != 0);
  }
  sqlite3_finalize(st);
  return out;
}

bool reads(const std::string& sql) {
  const bool tables = sql.find(" messages") != std::string::npos ||
                      sql.find(" journal") != std::string::npos;
  return tables && (sql.starts_with("SELECT") || sql.starts_with("UPDATE"));
}

class query_plan_test : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_ok(dir_.file("station.db"));
    ASSERT_NE(store_, nullptr);
    db_ = dynamic_cast<sqlite_store&>(*store_).handle();
    // A channel with history in both boxes, a queue, deliveries, acknowledgements and seals, so
    // that every read below has rows to find.
    std::vector<records::record> recs;
    for (std::uint64_t seq = 1; seq <= 20; ++seq) {
      recs.push_back(posted("out-" + std::to_string(seq), "navy", seq));
      recs.push_back(received("in-" + std::to_string(seq), "navy", seq));
    }
    for (int i = 0; i < 5; ++i) recs.push_back(posted("queued-" + std::to_string(i), "navy"));
    commit_ok(*store_, recs);
    commit_ok(*store_, {delivered("navy", 10), records::acknowledged{"in-3", "kim", "", 0}});
    ASSERT_EQ(sqlite3_trace_v2(db_, SQLITE_TRACE_STMT, record_statement, &statements_),
              SQLITE_OK);
  }
  void TearDown() override {
    if (db_ != nullptr) sqlite3_trace_v2(db_, 0, nullptr, nullptr);
  }

  // Every read of the store interface, with every filter the API and the core use.
  void run_every_read() {
    for (int channel = 0; channel < 2; ++channel) {
      for (int direction = 0; direction < 3; ++direction) {
        for (int after = 0; after < 2; ++after) {
          list_query q;
          if (channel == 1) q.channel = "navy";
          if (direction == 1) q.direction = box::in;
          if (direction == 2) q.direction = box::out;
          if (after == 1) q.after_cursor = 3;
          q.limit = 5;
          ASSERT_TRUE(store_->list(q).has_value());
        }
      }
    }
    ASSERT_TRUE(store_->recover("navy").has_value());
    ASSERT_TRUE(store_->queued_after("navy", precedence::immediate, "", 2, 1 << 20).has_value());
    ASSERT_TRUE(
        store_->queued_after("navy", precedence::immediate, "queued-1", 2, 1 << 20).has_value());
    ASSERT_TRUE(store_->get("out-4").has_value());
    ASSERT_TRUE(store_->awaiting_ack(0, 10).has_value());
    // Only link tests are tracked this way; any other form is refused before any read.
    ASSERT_FALSE(store_->last_sent("navy", "NOTICE").has_value());
    ASSERT_FALSE(store_->last_acknowledged("navy", "NOTICE").has_value());
    ASSERT_TRUE(store_->last_sent("navy", core::form_link_test).has_value());
    ASSERT_TRUE(store_->last_acknowledged("navy", core::form_link_test).has_value());
    ASSERT_TRUE(store_->inbound_range("navy", 2, 6).has_value());
    ASSERT_TRUE(store_->outbound_range("navy", 2, 6).has_value());
    ASSERT_TRUE(store_->range_proofs("navy", box::in, 2, 6).has_value());
    ASSERT_TRUE(store_->range_proofs("navy", box::out, 2, 6).has_value());
    ASSERT_TRUE(store_->journal({}).has_value());
    ASSERT_TRUE(store_->journal({"received", "", 0, 10}).has_value());
    ASSERT_TRUE(store_->journal({"", "navy", 30, 10}).has_value());
    // Writes that find their rows: a delivered mark and an acknowledgement.
    commit_ok(*store_, {delivered("navy", 12), records::acknowledged{"out-12", "ivanov", "", 0}});
  }

  temp_dir dir_;
  std::unique_ptr<store> store_;
  sqlite3* db_ = nullptr;
  std::set<std::string> statements_;
};

TEST_F(query_plan_test, no_read_sorts_or_scans_a_whole_table) {
  run_every_read();
  std::size_t explained = 0;
  for (const auto& sql : statements_) {
    if (!reads(sql)) continue;
    ++explained;
    const bool limited = sql.find("LIMIT") != std::string::npos;
    for (const auto& line : plan_of(db_, sql)) {
      // A sort of everything the filter matched, to hand back the first few.
      if (limited) {
        EXPECT_EQ(line.find("TEMP B-TREE FOR ORDER BY"), std::string::npos) << sql;
      }
      // A walk of the whole table with no index: allowed only where the walk is in the order
      // asked for and a LIMIT stops it (the newest page of the console's views).
      const bool bare_scan = (line == "SCAN messages" || line == "SCAN journal");
      if (bare_scan) {
        EXPECT_TRUE(limited && sql.find("ORDER BY") != std::string::npos)
            << "a full scan: " << sql;
      }
    }
  }
  // The trace saw the store's reads: the list variants alone are a dozen statements.
  EXPECT_GE(explained, 20U);
}

TEST_F(query_plan_test, every_index_on_messages_serves_a_read_or_a_constraint) {
  run_every_read();
  std::map<std::string, std::size_t> used;
  for (const auto& sql : statements_) {
    if (!reads(sql)) continue;
    for (const auto& line : plan_of(db_, sql)) {
      for (const auto& [name, unique] : indexes_of(db_, "messages")) {
        if (line.find("INDEX " + name + " ") != std::string::npos ||
            line.ends_with("INDEX " + name)) {
          ++used[name];
        }
      }
    }
  }
  const auto indexes = indexes_of(db_, "messages");
  ASSERT_FALSE(indexes.empty());
  for (const auto& [name, unique] : indexes) {
    if (unique) continue;  // enforces a rule (one row per id, one per seq) even when unread
    EXPECT_GT(used[name], 0U) << "index " << name
                              << " serves no read of the store: every commit pays for it";
  }
}

}  // namespace
}  // namespace hotline::storage

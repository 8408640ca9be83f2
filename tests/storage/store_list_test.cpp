// list(), get() and inbound_range() on every backend: paging by cursor, filters, limits and
// ordering.
#include <gtest/gtest.h>

#include <limits>
#include <map>

#include "core/limits.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

std::vector<std::string> ids(const std::vector<stored_message>& msgs) {
  std::vector<std::string> out;
  for (const auto& m : msgs) out.push_back(m.msg.id);
  return out;
}

class list_test : public backend_test {
 protected:
  // Commit order, which is also cursor order: n-out-1, n-in-1, a-out-1, n-out-2, a-in-1, n-out-3.
  void SetUp() override {
    backend_test::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
    commit_ok(*store_, {posted("n-out-1", "navy", 1), received("n-in-1", "navy", 1)});
    commit_ok(*store_, {posted("a-out-1", "air", 1), posted("n-out-2", "navy")});
    commit_ok(*store_, {received("a-in-1", "air", 1), posted("n-out-3", "navy")});
  }

  std::vector<std::string> list_ids(const list_query& q) {
    auto r = store_->list(q);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? ids(*r) : std::vector<std::string>{};
  }

  std::int64_t cursor_of(std::string_view id) {
    auto m = store_->get(id);
    return m && *m ? (*m)->cursor : -1;
  }

  std::unique_ptr<store> store_;
};

TEST_P(list_test, without_a_cursor_returns_the_newest_oldest_first) {
  list_query q;
  q.limit = 2;
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"a-in-1", "n-out-3"}));
  q.limit = 100;
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"n-out-1", "n-in-1", "a-out-1", "n-out-2",
                                                   "a-in-1", "n-out-3"}));
}

TEST_P(list_test, after_a_cursor_returns_the_next_oldest_first) {
  list_query q;
  q.after_cursor = cursor_of("n-in-1");
  q.limit = 2;
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"a-out-1", "n-out-2"}));
  q.after_cursor = cursor_of("n-out-3");
  EXPECT_TRUE(list_ids(q).empty());
  q.after_cursor = 0;
  q.limit = 1;
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"n-out-1"}));
}

TEST_P(list_test, paging_by_cursor_visits_every_message_once) {
  list_query q;
  q.after_cursor = 0;
  q.limit = 4;
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto r = store_->list(q);
    ASSERT_TRUE(r) << r.error().message;
    if (r->empty()) break;
    for (const auto& m : *r) seen.push_back(m.msg.id);
    q.after_cursor = r->back().cursor;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"n-out-1", "n-in-1", "a-out-1", "n-out-2", "a-in-1",
                                            "n-out-3"}));
}

TEST_P(list_test, filters_by_channel_and_box) {
  list_query q;
  q.channel = "navy";
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"n-out-1", "n-in-1", "n-out-2", "n-out-3"}));
  q.direction = box::in;
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"n-in-1"}));
  q.channel.clear();
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"n-in-1", "a-in-1"}));
  q.direction = box::out;
  q.after_cursor = cursor_of("a-out-1");
  EXPECT_EQ(list_ids(q), (std::vector<std::string>{"n-out-2", "n-out-3"}));
  q.channel = "air";
  EXPECT_TRUE(list_ids(q).empty());
}

TEST_P(list_test, reports_status_per_message) {
  commit_ok(*store_, {delivered("navy", 1)});
  auto r = store_->list(list_query{});
  ASSERT_TRUE(r) << r.error().message;
  std::map<std::string, delivery_status> status;
  for (const auto& m : *r) status[m.msg.id] = m.status;
  EXPECT_EQ(status["n-out-1"], delivery_status::delivered);
  EXPECT_EQ(status["a-out-1"], delivery_status::sent);
  EXPECT_EQ(status["n-out-2"], delivery_status::queued);
  EXPECT_EQ(status["n-in-1"], delivery_status::delivered);
}

TEST_P(list_test, limit_is_bounded_on_both_sides) {
  list_query q;
  q.limit = 0;
  auto zero = store_->list(q);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, errc::invalid_argument);
  EXPECT_EQ(zero.error().field, "limit");

  q.limit = limits::list_limit_max + 1;
  auto over = store_->list(q);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, errc::limit);

  q.limit = limits::list_limit_max;
  EXPECT_EQ(list_ids(q).size(), 6u);
}

TEST_P(list_test, get_of_an_unknown_id_is_empty_not_an_error) {
  auto m = store_->get("no-such-id");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m->has_value());
}

class store_inbound_range : public backend_test {};

TEST_P(store_inbound_range, returns_inbound_in_seq_order_within_bounds) {
  auto s = open_store();
  // Committed out of seq order on purpose: the range is ordered by seq, not by cursor.
  commit_ok(*s,
            {received("in-2", "navy", 2), received("in-1", "navy", 1), received("in-3", "navy", 3),
             received("in-4", "navy", 4), received("air-2", "air", 2), posted("out-2", "navy", 2)});
  auto mid = s->inbound_range("navy", 2, 3);
  ASSERT_TRUE(mid) << mid.error().message;
  EXPECT_EQ(ids(*mid), (std::vector<std::string>{"in-2", "in-3"}));

  auto all = s->inbound_range("navy", 0, std::numeric_limits<std::uint64_t>::max());
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(ids(*all), (std::vector<std::string>{"in-1", "in-2", "in-3", "in-4"}));

  auto backwards = s->inbound_range("navy", 3, 2);
  ASSERT_TRUE(backwards);
  EXPECT_TRUE(backwards->empty());
}

TEST(store_names, boxes_and_statuses_have_stable_names) {
  EXPECT_EQ(to_string(box::in), "in");
  EXPECT_EQ(to_string(box::out), "out");
  EXPECT_EQ(to_string(delivery_status::queued), "queued");
  EXPECT_EQ(to_string(delivery_status::sent), "sent");
  EXPECT_EQ(to_string(delivery_status::delivered), "delivered");
}

HOTLINE_STORE_BACKENDS(list_test);
HOTLINE_STORE_BACKENDS(store_inbound_range);

}  // namespace
}  // namespace hotline::storage

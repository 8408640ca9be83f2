// The /api/v1/events WebSocket: auth on the upgrade, pushed events, unsubscribe on close, the
// session re-checked while open, the queue limits, events rendered once, and stop.
#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>
#include <chrono>
#include <future>
#include <map>

#include "accounts_fixture.hpp"
#include "core/limits.hpp"
#include "server_fixture.hpp"
#include "ws_client.hpp"

namespace hotline::testing {
namespace {

using namespace std::chrono_literals;
namespace websocket = beast::websocket;
using websocket_test = server_test;

// Expects the stream to end without another event, and the server to have said why when
// `reason` is given.
void expect_closed(ws_client& ws, std::optional<std::string> reason = std::nullopt) {
  const auto r = ws.read_for();
  ASSERT_FALSE(r.timed_out) << "the server did not close the stream";
  EXPECT_FALSE(r.event) << "an event arrived: " << r.event->dump();
  if (reason) {
    EXPECT_EQ(r.error, websocket::error::closed) << r.error.message();
    EXPECT_EQ(r.close.code, websocket::close_code::policy_error);
    EXPECT_EQ(std::string(r.close.reason.data(), r.close.reason.size()), *reason);
  }
}

std::size_t subscribers_after_settling(fake_service& service) {
  // The server unsubscribes a few handler turns after the close handshake; look until it has,
  // with a bound so a leak fails rather than hangs.
  for (int i = 0; i < 1000; ++i) {
    if (service.on_io([&] { return service.subscriber_count(); }) == 0) return 0;
  }
  return service.on_io([&] { return service.subscriber_count(); });
}

TEST_F(websocket_test, upgrade_without_a_valid_token_is_401) {
  for (const std::optional<std::string>& token :
       {std::optional<std::string>{}, std::optional<std::string>{"hl_wrong"}}) {
    ws_client ws(port(), token);
    websocket::response_type res;
    EXPECT_TRUE(ws.handshake(res, "/api/v1/events"));
    EXPECT_EQ(res.result(), http::status::unauthorized);
  }
  EXPECT_EQ(service_.on_io([this] { return service_.subscriber_count(); }), 0u);
}

TEST_F(websocket_test, upgrade_elsewhere_is_404) {
  ws_client ws(port(), test_token);
  websocket::response_type res;
  EXPECT_TRUE(ws.handshake(res, "/api/v1/messages"));
  EXPECT_EQ(res.result(), http::status::not_found);
}

TEST_F(websocket_test, a_post_is_pushed_as_a_message_event_and_close_unsubscribes) {
  ws_client ws(port(), test_token);
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  ASSERT_EQ(service_.on_io([this] { return service_.subscriber_count(); }), 1u);

  client http_client(port());
  const auto posted = http_client.request(
      http::verb::post, "/api/v1/messages",
      R"({"channel":"navy","precedence":"flash","text":"Aircraft entering KADIZ"})");
  ASSERT_EQ(posted.result(), http::status::created);

  const auto event = ws.read_event();
  EXPECT_EQ(event["type"], "message");
  EXPECT_EQ(event["message"]["id"], body_json(posted)["id"]);
  EXPECT_EQ(event["message"]["text"], "Aircraft entering KADIZ");

  service_.on_io([this] {
    service_.receive("navy", "Acknowledged");
    return 0;
  });
  const auto inbound = ws.read_event();
  EXPECT_EQ(inbound["message"]["box"], "in");
  EXPECT_EQ(inbound["message"]["text"], "Acknowledged");

  ws.close();
  EXPECT_EQ(subscribers_after_settling(service_), 0u);
}

TEST_F(websocket_test, a_status_event_carries_the_status) {
  ws_client ws(port(), test_token);
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  service_.on_io([this] {
    service_.publish_status();
    return 0;
  });
  const auto event = ws.read_event();
  EXPECT_EQ(event["type"], "status");
  EXPECT_EQ(event["status"]["station"], "rok-fleet-command");
  EXPECT_EQ(event["status"]["channels"][0]["peer"], "ru-pacific-fleet");
}

TEST_F(websocket_test, stop_disconnects_subscribers) {
  ws_client ws(port(), test_token);
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  // stop() belongs to the io_context's thread, as in the station's signal handler.
  service_.on_io([&] {
    server_->stop();
    return 0;
  });
  expect_closed(ws);
  // Once every session has ended the io_context runs out of work and its thread returns, so
  // nothing may be posted to it any more: the join is the check that the subscriber ended, and
  // only after it may this thread read the service.
  io_thread_.join();
  EXPECT_EQ(service_.subscriber_count(), 0u);
}

// Regression: a station that stops its io_context right after api::server::stop() and then
// destroys its service must not have sessions touch that service when their coroutines are
// destroyed with the io_context.
TEST(websocket_shutdown, stop_then_io_stop_leaves_the_service_untouched_afterwards) {
  asio::io_context ioc;
  auto service = std::make_unique<fake_service>(ioc);
  auto server = std::make_unique<api::server>(
      ioc, *service, config::endpoint{"127.0.0.1", 0},
      std::vector<config::api_token>{{"watch-1", "duty-officer", config::sha256_hex(test_token)}});
  ASSERT_TRUE(server->start());
  std::thread io_thread([&ioc] { ioc.run(); });
  ws_client ws(server->port(), test_token);
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  ASSERT_EQ(service->on_io([&] { return service->subscriber_count(); }), 1u);
  asio::post(ioc, [&] {
    server->stop();
    EXPECT_EQ(service->subscriber_count(), 0u);
    ioc.stop();
  });
  io_thread.join();
  service.reset();  // sanitizers catch any later use
  server.reset();
}

// A WebSocket opened with a session cookie, from the station's own page.
class websocket_session_test : public accounts_server_test {
 protected:
  header_map cookie_headers(const browser_session& s) {
    return {{"Cookie", s.cookie}, {"Origin", "http://127.0.0.1"}};
  }

  std::unique_ptr<ws_client> open_events(const browser_session& s) {
    auto ws = std::make_unique<ws_client>(port(), std::nullopt, cookie_headers(s));
    websocket::response_type res;
    EXPECT_FALSE(ws->handshake(res, "/api/v1/events"));
    EXPECT_EQ(res.result(), http::status::switching_protocols);
    return ws;
  }

  void publish_status() {
    on_io([this] {
      service_.publish_status();
      return 0;
    });
  }
};

TEST_F(websocket_session_test, signing_out_closes_the_stream_before_the_next_event) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  auto ws = open_events(s);
  publish_status();
  ASSERT_EQ(ws->read_for().event.value_or(api::json())["type"], "status");
  ASSERT_EQ(send(c, http::verb::delete_, "/api/v1/session", {}, with_session(s)).result(),
            http::status::no_content);
  publish_status();
  expect_closed(*ws, "session ended");
  EXPECT_EQ(subscribers_after_settling(service_), 0u);
}

TEST_F(websocket_session_test, revoking_a_stored_token_closes_its_stream_before_the_next_event) {
  const std::string secret = "hl_a-token-made-by-the-cli";
  ASSERT_TRUE(on_io([&] {
    storage::stored_token t{0, "feeder", "duty-officer", config::sha256_hex(secret),
                            clock_start_ms, "os:root", "", std::nullopt};
    return accounts_->add_token(t).has_value();
  }));
  ws_client ws(port(), secret);
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  publish_status();
  ASSERT_EQ(ws.read_for().event.value_or(api::json())["type"], "status");
  ASSERT_TRUE(on_io([this] { return accounts_->revoke_token("feeder", clock_start_ms).has_value(); }));
  publish_status();
  expect_closed(ws, "token revoked");
}

TEST_F(websocket_session_test, a_config_token_stream_is_not_checked_against_the_store) {
  // A config token has no row to look up: its stream must not be closed as if revoked.
  ws_client ws(port(), test_token);
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  publish_status();
  EXPECT_EQ(ws.read_for().event.value_or(api::json())["type"], "status");
  publish_status();
  EXPECT_EQ(ws.read_for().event.value_or(api::json())["type"], "status");
}

TEST_F(websocket_session_test, disabling_the_user_closes_the_stream_before_the_next_event) {
  client c(port());
  auto ws = open_events(sign_in(c, "officer-kim"));
  ASSERT_TRUE(on_io([this] { return accounts_->set_disabled("officer-kim", true).has_value(); }));
  publish_status();
  expect_closed(*ws, "session ended");
}

TEST_F(websocket_session_test, the_stream_ends_with_the_idle_limit_and_does_not_extend_it) {
  client c(port());
  auto ws = open_events(sign_in(c, "officer-kim"));
  // Just inside the idle limit the session is live; events do not count as activity.
  advance_ms(api::session_idle_timeout_ms - 1);
  publish_status();
  ASSERT_EQ(ws->read_for().event.value_or(api::json())["type"], "status");
  advance_ms(1);
  publish_status();
  expect_closed(*ws, "session ended");
}

TEST_F(websocket_session_test, the_stream_ends_with_the_session_lifetime) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  auto ws = open_events(s);
  // Kept busy by requests, the session still ends at its absolute limit, not idle.
  constexpr std::int64_t step_ms = 10 * 60'000;
  static_assert(step_ms < api::session_idle_timeout_ms);
  std::int64_t elapsed_ms = 0;
  for (; elapsed_ms + step_ms < api::session_lifetime_ms; elapsed_ms += step_ms) {
    advance_ms(step_ms);
    ASSERT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
              http::status::ok);
  }
  advance_ms(api::session_lifetime_ms - elapsed_ms - 1);
  publish_status();
  ASSERT_EQ(ws->read_for().event.value_or(api::json())["type"], "status");
  advance_ms(1);
  publish_status();
  expect_closed(*ws, "session ended");
}

TEST_F(websocket_session_test, a_token_stream_is_not_checked_against_sessions) {
  client c(port());
  sign_in(c, "officer-kim");
  ws_client ws(port(), test_token);
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  advance_ms(api::session_lifetime_ms);
  publish_status();
  EXPECT_EQ(ws.read_for().event.value_or(api::json())["type"], "status");
}

// The periodic check, on a quiet station: no event comes to trigger the per-event one.
class websocket_session_timer_test : public websocket_session_test {
 protected:
  api::server_options extra_options() override {
    api::server_options o;
    o.websocket_session_check_interval = 20ms;
    return o;
  }
};

TEST_F(websocket_session_timer_test, an_ended_session_closes_its_stream_without_any_event) {
  client c(port());
  auto ws = open_events(sign_in(c, "officer-kim"));
  advance_ms(api::session_idle_timeout_ms);
  expect_closed(*ws, "session ended");
}

// A service whose events the test makes up: alarms whose size it chooses, and a count of the
// status queries that rendering costs.
class event_source final : public station::service {
 public:
  void post(station::post_request, post_callback) override {}
  void acknowledge(station::ack_request, post_callback) override {}
  result<std::vector<storage::stored_message>> list(const storage::list_query&) override {
    return std::vector<storage::stored_message>{};
  }
  result<std::optional<storage::stored_message>> get(const std::string&) override {
    return std::optional<storage::stored_message>{};
  }
  station::status_snapshot status() override {
    ++status_calls;
    return {};
  }
  std::uint64_t subscribe(event_callback cb) override {
    subscribers_.emplace(next_, std::move(cb));
    return next_++;
  }
  void unsubscribe(std::uint64_t id) override { subscribers_.erase(id); }

  void publish(const station::service_event& e) {
    const auto subscribers = subscribers_;  // a subscriber may leave while hearing it
    for (const auto& [id, cb] : subscribers) cb(e);
  }
  void alarm(std::size_t detail_bytes) {
    station::service_event e;
    e.type = station::service_event::kind::alarm;
    e.detail = std::string(detail_bytes, 'x');
    publish(e);
  }

  std::size_t subscriber_count() const { return subscribers_.size(); }
  std::size_t status_calls = 0;

 private:
  std::map<std::uint64_t, event_callback> subscribers_;
  std::uint64_t next_ = 1;
};

class websocket_queue_test : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<api::server>(
        ioc_, service_, config::endpoint{"127.0.0.1", 0},
        std::vector<config::api_token>{
            {"watch-1", "duty-officer", config::sha256_hex(test_token)}});
    ASSERT_TRUE(server_->start());
    io_thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    server_->stop();
    io_thread_.join();
  }

  template <class F>
  auto on_io(F fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto done = task.get_future();
    asio::post(ioc_, [&task] { task(); });
    return done.get();
  }

  std::unique_ptr<ws_client> subscribe() {
    auto ws = std::make_unique<ws_client>(server_->port(), test_token);
    websocket::response_type res;
    EXPECT_FALSE(ws->handshake(res, "/api/v1/events"));
    return ws;
  }

  // The bytes of an alarm frame beyond its detail, learnt from the server itself.
  std::size_t alarm_overhead_bytes() {
    auto probe = subscribe();
    on_io([this] {
      service_.alarm(0);
      return 0;
    });
    return probe->read_for().bytes;
  }

  // Sends `details` as alarms all in one turn of the io thread, so that the server cannot write
  // any of them out meanwhile and its queue holds them all at once.
  void burst(const std::vector<std::size_t>& details) {
    on_io([&] {
      for (const std::size_t d : details) service_.alarm(d);
      return 0;
    });
  }

  std::size_t subscribers() {
    return on_io([this] { return service_.subscriber_count(); });
  }

  asio::io_context ioc_;
  event_source service_;
  std::unique_ptr<api::server> server_;
  std::thread io_thread_;
};

TEST_F(websocket_queue_test, a_subscriber_may_fall_behind_by_the_count_limit_but_not_one_more) {
  const std::vector<std::size_t> at_limit(limits::websocket_queue_messages_max, 0);
  auto patient = subscribe();
  burst(at_limit);
  for (std::size_t i = 0; i < at_limit.size(); ++i) {
    ASSERT_TRUE(patient->read_for().event) << "event " << i;
  }
  patient.reset();

  auto slow = subscribe();
  std::vector<std::size_t> over = at_limit;
  over.push_back(0);
  burst(over);
  expect_closed(*slow);
}

TEST_F(websocket_queue_test, a_subscriber_may_fall_behind_by_the_bytes_limit_but_not_one_more) {
  const std::size_t overhead = alarm_overhead_bytes();
  ASSERT_GT(overhead, 0u);
  // Four frames of exactly a quarter of the limit each: the queue holds exactly the limit.
  constexpr std::size_t frames = 4;
  static_assert(limits::websocket_queue_bytes_max % frames == 0);
  static_assert(frames < limits::websocket_queue_messages_max);
  std::vector<std::size_t> at_limit(frames, limits::websocket_queue_bytes_max / frames - overhead);
  auto patient = subscribe();
  burst(at_limit);
  for (std::size_t i = 0; i < frames; ++i) {
    const auto r = patient->read_for();
    ASSERT_TRUE(r.event) << "event " << i << ": " << r.error.message();
    EXPECT_EQ(r.bytes, limits::websocket_queue_bytes_max / frames);
  }
  patient.reset();

  auto slow = subscribe();
  std::vector<std::size_t> over = at_limit;
  ++over.back();
  burst(over);
  expect_closed(*slow);
  // Whoever is left still hears events.
  auto next = subscribe();
  burst({0});
  EXPECT_TRUE(next->read_for().event);
}

TEST_F(websocket_queue_test, a_status_event_is_rendered_once_for_every_subscriber) {
  std::vector<std::unique_ptr<ws_client>> consoles;
  for (int i = 0; i < 3; ++i) consoles.push_back(subscribe());
  ASSERT_EQ(subscribers(), 1u);  // the server listens once, for all of them
  on_io([this] {
    station::service_event e;
    e.type = station::service_event::kind::status;
    service_.publish(e);
    return 0;
  });
  for (auto& ws : consoles) {
    EXPECT_EQ(ws->read_for().event.value_or(api::json())["type"], "status");
  }
  EXPECT_EQ(on_io([this] { return service_.status_calls; }), 1u);
  for (auto& ws : consoles) ws->close();
  consoles.clear();
  const auto deadline = std::chrono::steady_clock::now() + wait_bound;
  while (subscribers() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(subscribers(), 0u);  // and stops listening when the last one leaves
}

}  // namespace
}  // namespace hotline::testing

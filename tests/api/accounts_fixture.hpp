// A running api::server with accounts: an in-memory SQLite store holding users, a simulated
// clock, tokens for every role, and helpers to sign in and to send requests with a session
// cookie and CSRF token. The store is touched only on the io thread once the server runs; tests
// reach it through `on_io`.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "api/access.hpp"
#include "server_fixture.hpp"
#include "storage/accounts.hpp"
#include "storage/passwords.hpp"

namespace hotline::testing {

inline constexpr const char* officer_password = "watch-officer-passphrase";
inline constexpr std::int64_t clock_start_ms = 1'800'000'000'000;

// A signed-in session as a browser holds it.
struct browser_session {
  std::string cookie;  // "hotline_session=<secret>"
  std::string csrf;
};

using header_map = std::map<std::string, std::string>;

// One request with arbitrary headers and no Authorization unless given.
inline response send(client& c, http::verb verb, const std::string& target,
                     const std::string& body = {}, const header_map& headers = {}) {
  auto req = client::make(verb, target, body, std::nullopt, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  c.write(req);
  return c.read();
}

inline header_map with_session(const browser_session& s, bool csrf = true) {
  header_map h{{"Cookie", s.cookie}};
  if (csrf) h["X-CSRF-Token"] = s.csrf;
  return h;
}

inline std::string login_body(const std::string& user, const std::string& password) {
  return api::dump({{"username", user}, {"password", password}});
}

class accounts_server_test : public ::testing::Test {
 protected:
  // Tokens for roles other than the duty officer's in server_fixture.hpp.
  static constexpr const char* auditor_token = "hl_auditor-secret";
  static constexpr const char* admin_token = "hl_admin-secret";
  static constexpr const char* translator_token = "hl_translator-secret";
  static constexpr const char* supervisor_token = "hl_supervisor-secret";

  virtual api::server_options extra_options() { return {}; }

  void SetUp() override {
    auto s = storage::open_sqlite(":memory:");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    auto a = storage::open_accounts(*store_);
    ASSERT_TRUE(a) << a.error().message;
    accounts_ = std::move(*a);
    add_user("officer-kim", "duty-officer", "ko");
    add_user("auditor-rok", "auditor", "en");
    std::vector<config::api_token> tokens = {
        {"watch-1", "duty-officer", config::sha256_hex(test_token)},
        {"audit", "auditor", config::sha256_hex(auditor_token)},
        {"ops", "admin", config::sha256_hex(admin_token)},
        {"translate", "translator", config::sha256_hex(translator_token)},
        {"watch-lead", "supervisor", config::sha256_hex(supervisor_token)}};
    api::server_options options = extra_options();
    options.accounts = accounts_.get();
    options.clock_ms = [this] { return now_ms_.load(); };
    server_ = std::make_unique<api::server>(ioc_, service_, config::endpoint{"127.0.0.1", 0},
                                            std::move(tokens), std::move(options));
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error().message;
    io_thread_ = std::thread([this] { ioc_.run(); });
  }

  void TearDown() override {
    server_->stop();
    io_thread_.join();
    server_.reset();
  }

  // Before the server runs only (SetUp); later, through on_io.
  void add_user(const std::string& name, const std::string& role, const std::string& language) {
    static const std::string hash = storage::hash_password(officer_password).value();
    storage::user u;
    u.name = name;
    u.role = role;
    u.language = language;
    u.password_hash = hash;
    u.created_at_ms = clock_start_ms;
    ASSERT_TRUE(accounts_->add_user(u));
  }

  template <class F>
  auto on_io(F fn) {
    return service_.on_io(std::move(fn));
  }

  std::vector<storage::audit_entry> audit() {
    return on_io([this] { return accounts_->list_audit(0, 1000).value(); });
  }

  std::size_t audit_count(const std::string& action) {
    std::size_t n = 0;
    for (const auto& e : audit()) n += e.action == action ? 1 : 0;
    return n;
  }

  // Signs in and returns the cookie and CSRF token; fails the test if it cannot.
  browser_session sign_in(client& c, const std::string& user,
                          const std::string& password = officer_password) {
    const auto res = send(c, http::verb::post, "/api/v1/session", login_body(user, password));
    EXPECT_EQ(res.result(), http::status::ok) << res.body();
    const std::string set_cookie(res[http::field::set_cookie]);
    browser_session s;
    s.cookie = set_cookie.substr(0, set_cookie.find(';'));
    s.csrf = body_json(res).value("csrf_token", "");
    return s;
  }

  void advance_ms(std::int64_t ms) { now_ms_ += ms; }

  std::uint16_t port() const { return server_->port(); }

  std::atomic<std::int64_t> now_ms_{clock_start_ms};
  asio::io_context ioc_;
  fake_service service_{ioc_};
  std::unique_ptr<storage::store> store_;
  std::unique_ptr<storage::accounts> accounts_;
  std::unique_ptr<api::server> server_;
  std::thread io_thread_;
};

}  // namespace hotline::testing

// The route matrix: the Roles table in docs/api.md against the route table and a running
// station. Every route pattern, with every method, for every role, by API token and by session
// cookie (with and without the CSRF header), must answer as the docs say: an allowed cell reaches
// the route's own code, a "no" cell is 403 forbidden, a method the path does not have is 405 with
// Allow, and a cookie request that changes something without its CSRF token is 403 csrf. The
// table is read from the markdown when the test runs, so docs and code cannot drift apart.
//
// Also the red-team paths that the old prefix-and-suffix router let through.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "accounts_fixture.hpp"
#include "api/router.hpp"
#include "forms/catalog.hpp"

namespace hotline::testing {
namespace {

using api::role;

constexpr role every_role[] = {role::duty_officer, role::translator, role::supervisor,
                               role::auditor, role::admin};
constexpr http::verb every_method[] = {http::verb::get,    http::verb::head,  http::verb::post,
                                       http::verb::put,    http::verb::patch, http::verb::delete_,
                                       http::verb::options};

std::filesystem::path repo_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

// One row of the docs' Roles table.
struct documented_route {
  http::verb method = http::verb::unknown;
  std::string pattern;
  std::set<role> roles;
};

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// "| a | b |" -> {"a", "b"}
std::vector<std::string> table_cells(std::string_view line) {
  std::vector<std::string> out;
  line.remove_prefix(1);
  while (!line.empty()) {
    const auto bar = line.find('|');
    if (bar == std::string_view::npos) break;
    out.push_back(trim(line.substr(0, bar)));
    line.remove_prefix(bar + 1);
  }
  return out;
}

// A body row: "`METHOD /path` (a note)" and one "yes" or "no" per role column.
documented_route parse_row(const std::vector<std::string>& cells,
                           const std::vector<role>& columns) {
  documented_route d;
  const std::string& route = cells.at(0);
  const auto open = route.find('`');
  const auto close = route.find('`', open + 1);
  EXPECT_TRUE(open != std::string::npos && close != std::string::npos) << route;
  if (open == std::string::npos || close == std::string::npos) return d;
  const std::string text = route.substr(open + 1, close - open - 1);
  const auto space = text.find(' ');
  d.method = http::string_to_verb(text.substr(0, space));
  d.pattern = space == std::string::npos ? std::string{} : text.substr(space + 1);
  EXPECT_NE(d.method, http::verb::unknown) << route;
  EXPECT_EQ(cells.size(), columns.size() + 1) << route;
  for (std::size_t i = 0; i < columns.size() && i + 1 < cells.size(); ++i) {
    EXPECT_TRUE(cells[i + 1] == "yes" || cells[i + 1] == "no") << route << ": " << cells[i + 1];
    if (cells[i + 1] == "yes") d.roles.insert(columns[i]);
  }
  return d;
}

// The first table after "### Roles" in docs/api.md, whose header names the role of each column.
std::vector<documented_route> documented_routes() {
  const auto file = repo_dir() / "docs" / "api.md";
  std::ifstream in(file);
  EXPECT_TRUE(in.is_open()) << file;
  std::string line;
  while (std::getline(in, line) && line != "### Roles") {
  }
  std::vector<role> columns;
  std::vector<documented_route> out;
  while (std::getline(in, line)) {
    if (!line.starts_with("|")) {
      if (columns.empty()) continue;  // the prose before the table
      break;
    }
    const auto cells = table_cells(line);
    if (columns.empty()) {
      EXPECT_EQ(cells.at(0), "route");
      for (std::size_t i = 1; i < cells.size(); ++i) {
        const auto r = api::parse_role(cells[i]);
        EXPECT_TRUE(r) << "column " << cells[i];
        if (r) columns.push_back(*r);
      }
    } else if (!cells.at(0).starts_with("---")) {
      out.push_back(parse_row(cells, columns));
    }
  }
  EXPECT_EQ(columns.size(), std::size(every_role));
  return out;
}

TEST(route_matrix_docs, the_roles_table_is_the_route_table_row_for_row) {
  const auto documented = documented_routes();
  EXPECT_EQ(documented.size(), api::route_count);
  std::set<std::pair<http::verb, std::string>> seen;
  for (const documented_route& d : documented) {
    EXPECT_TRUE(seen.emplace(d.method, d.pattern).second)
        << "documented twice: " << http::to_string(d.method) << " " << d.pattern;
  }
  for (const api::route_spec& spec : api::route_table()) {
    const auto row = std::find_if(documented.begin(), documented.end(), [&](const auto& d) {
      return d.method == spec.method && d.pattern == spec.pattern;
    });
    ASSERT_NE(row, documented.end())
        << "not in docs/api.md: " << http::to_string(spec.method) << " " << spec.pattern;
    for (const role r : every_role) {
      EXPECT_EQ(api::allowed(spec.id, r), row->roles.contains(r))
          << http::to_string(spec.method) << " " << spec.pattern << " for " << api::to_string(r);
    }
  }
}

enum class via { token, session, session_without_csrf };

std::string_view to_string(via v) {
  switch (v) {
    case via::token:
      return "token";
    case via::session:
      return "session";
    case via::session_without_csrf:
      return "session without CSRF";
  }
  return "?";
}

// The error code and message of an error answer; empty for anything else.
std::pair<std::string, std::string> error_of(const response& res) {
  const auto j = body_json(res);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return {};
  return {j["error"].value("code", ""), j["error"].value("message", "")};
}

// True when the answer is a refusal by the gate or the route table, which an allowed cell must
// never get. The route's own answers (200, 201, 400 for a body it refuses, 409, 426, 503 for a
// station without a journal) all pass.
bool refused_before_the_route(const response& res) {
  const auto [code, message] = error_of(res);
  switch (res.result()) {
    case http::status::unauthorized:
    case http::status::not_found:
    case http::status::method_not_allowed:
      return true;
    case http::status::forbidden:
      return code == "forbidden" || code == "csrf";
    default:
      return false;
  }
}

class route_matrix_test : public accounts_server_test {
 protected:
  void SetUp() override {
    auto loaded = forms::catalog::load(repo_dir() / "catalog");
    ASSERT_TRUE(loaded) << loaded.error().message;
    catalog_ = std::make_unique<forms::catalog>(std::move(*loaded));
    accounts_server_test::SetUp();
    if (HasFatalFailure()) return;
    const std::string hash = storage::hash_password(officer_password).value();
    inbound_id_ = on_io([this, &hash] {
      for (const auto& [name, r] : {std::pair{"translator-lee", "translator"},
                                    {"supervisor-park", "supervisor"},
                                    {"admin-choi", "admin"}}) {
        storage::user u;
        u.name = name;
        u.role = r;
        u.language = "en";
        u.password_hash = hash;
        u.created_at_ms = clock_start_ms;
        EXPECT_TRUE(accounts_->add_user(u)) << name;
      }
      service_.catalog = catalog_.get();
      return service_.receive("navy", "Exercise MERIDIAN begins 0600Z").msg.id;
    });
  }

  void TearDown() override {
    accounts_server_test::TearDown();
    catalog_.reset();
  }

  static const char* user_of(role r) {
    switch (r) {
      case role::duty_officer:
        return "officer-kim";
      case role::translator:
        return "translator-lee";
      case role::supervisor:
        return "supervisor-park";
      case role::auditor:
        return "auditor-rok";
      case role::admin:
        return "admin-choi";
    }
    return "";
  }

  static const char* token_of(role r) {
    switch (r) {
      case role::duty_officer:
        return test_token;
      case role::translator:
        return translator_token;
      case role::supervisor:
        return supervisor_token;
      case role::auditor:
        return auditor_token;
      case role::admin:
        return admin_token;
    }
    return "";
  }

  // Signs `r`'s user in. The simulated clock moves a login window on first, so that however
  // many sign-ins a walk needs, none is throttled.
  void sign_in_as(client& c, role r) {
    advance_ms(api::login_window_ms);
    sessions_[r] = sign_in(c, user_of(r));
  }

  // The pattern with its placeholders filled by ids the station knows.
  std::string concrete(std::string_view pattern) const {
    const std::pair<std::string, std::string> values[] = {
        {"{id}", inbound_id_}, {"{tid}", "1"}, {"{form}", "AIR-FLIGHT-NOTICE"}};
    std::string out(pattern);
    for (const auto& [name, value] : values) {
      for (auto at = out.find(name); at != std::string::npos; at = out.find(name)) {
        out.replace(at, name.size(), value);
      }
    }
    return out;
  }

  // A body that the route of `method` on `pattern` can act on, so that an allowed cell gets
  // past parsing into the route's work.
  static std::string body_for(http::verb method, std::string_view pattern) {
    const std::map<std::string, std::string> bodies = {
        {"POST /api/v1/messages",
         api::dump({{"channel", "navy"}, {"precedence", "routine"}, {"text", "Matrix check"}})},
        {"POST /api/v1/messages/{id}/ack", R"({"answer": "Noted"})"},
        {"POST /api/v1/messages/{id}/translations", R"({"lang": "en", "text": "Exercise"})"},
        {"POST /api/v1/messages/{id}/translations/{tid}/review", R"({"approve": true})"},
        {"POST /api/v1/forms/{form}/preview", R"({"fields": {}, "lang": "en"})"},
        {"POST /api/v1/session", "{}"},
        {"PATCH /api/v1/me", R"({"language": "en"})"},
    };
    const auto it = bodies.find(std::string(http::to_string(method)) + " " + std::string(pattern));
    return it == bodies.end() ? std::string{} : it->second;
  }

  http::request<http::string_body> request_for(http::verb method, const std::string& target,
                                               const std::string& body, role r, via v) {
    auto req =
        client::make(method, target, body,
                     v == via::token ? std::optional<std::string>(token_of(r)) : std::nullopt,
                     "application/json");
    if (v != via::token) req.set(http::field::cookie, sessions_.at(r).cookie);
    if (v == via::session) req.set(api::csrf_header_name, sessions_.at(r).csrf);
    return req;
  }

  // Sends `req` on `c`, except a HEAD: its answer's body, if the server sends one, is not read
  // by a client, so it goes on a connection of its own that is closed after the headers.
  response exchange(client& c, http::request<http::string_body>& req) {
    if (req.method() != http::verb::head) {
      c.write(req);
      return c.read();
    }
    client once(port());
    once.write(req);
    http::response_parser<http::string_body> parser;
    parser.skip(true);
    beast::flat_buffer buffer;
    http::read(once.stream(), buffer, parser);
    return parser.release();
  }

  std::unique_ptr<forms::catalog> catalog_;
  std::string inbound_id_;
  std::map<role, browser_session> sessions_;
};

// What the docs' table says a cell must answer.
enum class verdict { answered, forbidden, csrf, wrong_method };

verdict expected(const documented_route* row, role r, via v, http::verb method) {
  // Signing in needs no credentials, so neither the cookie nor its CSRF token matters.
  if (row != nullptr && row->method == http::verb::post && row->pattern == "/api/v1/session") {
    return verdict::answered;
  }
  if (v == via::session_without_csrf && !api::is_safe_method(method)) return verdict::csrf;
  if (row == nullptr) return verdict::wrong_method;
  return row->roles.contains(r) ? verdict::answered : verdict::forbidden;
}

std::set<std::string> split_allow(std::string_view allow) {
  std::set<std::string> out;
  while (!allow.empty()) {
    const auto comma = allow.find(',');
    out.insert(trim(allow.substr(0, comma)));
    allow = comma == std::string_view::npos ? std::string_view{} : allow.substr(comma + 1);
  }
  return out;
}

void check_cell(const response& res, verdict want, const std::set<std::string>& allow,
                const std::string& cell) {
  const auto [code, message] = error_of(res);
  switch (want) {
    case verdict::answered:
      EXPECT_FALSE(refused_before_the_route(res))
          << cell << ": " << res.result_int() << " " << res.body();
      break;
    case verdict::forbidden:
      EXPECT_EQ(res.result(), http::status::forbidden) << cell << ": " << res.body();
      EXPECT_EQ(code, "forbidden") << cell;
      break;
    case verdict::csrf:
      EXPECT_EQ(res.result(), http::status::forbidden) << cell << ": " << res.body();
      EXPECT_EQ(code, "csrf") << cell;
      break;
    case verdict::wrong_method:
      EXPECT_EQ(res.result(), http::status::method_not_allowed) << cell << ": " << res.body();
      EXPECT_EQ(split_allow(res[http::field::allow]), allow) << cell;
      // A HEAD answer's body is not read (see exchange).
      if (!res.body().empty()) {
        EXPECT_EQ(code, "method_not_allowed") << cell;
      }
      break;
  }
}

TEST_F(route_matrix_test, every_route_method_and_role_answers_as_the_docs_say) {
  const auto documented = documented_routes();
  ASSERT_EQ(documented.size(), api::route_count);
  std::map<std::string, std::set<std::string>> methods_of;  // pattern -> its documented methods
  for (const auto& d : documented)
    methods_of[d.pattern].insert(std::string(http::to_string(d.method)));
  client c(port());
  for (const role r : every_role) sign_in_as(c, r);
  std::map<verdict, std::size_t> cells;
  for (const auto& [pattern, allow] : methods_of) {
    const std::string target = concrete(pattern);
    for (const http::verb method : every_method) {
      const auto row = std::find_if(documented.begin(), documented.end(), [&](const auto& d) {
        return d.pattern == pattern && d.method == method;
      });
      const documented_route* found = row == documented.end() ? nullptr : &*row;
      const std::string body = body_for(method, pattern);
      for (const role r : every_role) {
        for (const via v : {via::token, via::session, via::session_without_csrf}) {
          const verdict want = expected(found, r, v, method);
          auto req = request_for(method, target, body, r, v);
          const auto res = exchange(c, req);
          check_cell(res, want, allow,
                     std::string(http::to_string(method)) + " " + pattern + " as " +
                         std::string(api::to_string(r)) + " by " + std::string(to_string(v)));
          ++cells[want];
          // Signing out ends the session the rest of the walk uses.
          if (want == verdict::answered && v != via::token && method == http::verb::delete_ &&
              pattern == "/api/v1/session") {
            EXPECT_EQ(res.result(), http::status::no_content) << res.body();
            sign_in_as(c, r);
          }
        }
      }
    }
  }
  // Every kind of cell was walked: the table has allowed, forbidden and missing methods.
  const std::size_t walked =
      methods_of.size() * std::size(every_method) * std::size(every_role) * 3;
  EXPECT_EQ(cells[verdict::answered] + cells[verdict::forbidden] + cells[verdict::csrf] +
                cells[verdict::wrong_method],
            walked);
  for (const verdict v :
       {verdict::answered, verdict::forbidden, verdict::csrf, verdict::wrong_method}) {
    EXPECT_GT(cells[v], 0u);
  }
}

TEST_F(route_matrix_test, a_path_outside_the_table_is_404_for_every_method_and_role) {
  client c(port());
  for (const role r : every_role) sign_in_as(c, r);
  for (const char* target :
       {"/api/v1/nowhere", "/api/v1/messages/x/hide", "/api/v1/", "/api/v2/status",
        "/api/v1/status/", "/api/v1//status", "/api/v1/messagesX1/ack"}) {
    for (const http::verb method : every_method) {
      for (const role r : every_role) {
        for (const via v : {via::token, via::session, via::session_without_csrf}) {
          auto req = request_for(method, target, "{}", r, v);
          const auto res = exchange(c, req);
          const std::string cell = std::string(http::to_string(method)) + " " + target + " as " +
                                   std::string(api::to_string(r)) + " by " +
                                   std::string(to_string(v));
          if (v == via::session_without_csrf && !api::is_safe_method(method)) {
            EXPECT_EQ(res.result(), http::status::forbidden) << cell;
            continue;
          }
          EXPECT_EQ(res.result(), http::status::not_found) << cell << ": " << res.body();
          if (method != http::verb::head) {
            EXPECT_EQ(error_of(res).first, "not_found") << cell;
            EXPECT_TRUE(error_of(res).second.starts_with("no such route")) << cell;
          }
        }
      }
    }
  }
  EXPECT_EQ(on_io([this] { return service_.acknowledge_calls + service_.evidence_calls; }), 0u);
}

// The red team's first finding: an auditor's GET on a look-alike of the ack path, with no CSRF
// token, sent a signed acknowledgement to the peer in the auditor's name.
TEST_F(route_matrix_test, get_on_ack_path_sends_nothing) {
  client c(port());
  sign_in_as(c, role::auditor);
  sign_in_as(c, role::duty_officer);
  const auto get = [&](const std::string& target, role r, via v) {
    auto req = request_for(http::verb::get, target, {}, r, v);
    return exchange(c, req);
  };
  for (const via v : {via::token, via::session_without_csrf}) {
    for (const role r : {role::auditor, role::duty_officer}) {
      const auto mangled = get("/api/v1/messagesX" + inbound_id_ + "/ack", r, v);
      EXPECT_EQ(mangled.result(), http::status::not_found) << mangled.body();
      EXPECT_TRUE(error_of(mangled).second.starts_with("no such route")) << mangled.body();
      // The real ack path takes POST only: a GET changes nothing, whoever sends it.
      const auto real = get("/api/v1/messages/" + inbound_id_ + "/ack", r, v);
      EXPECT_EQ(real.result(), http::status::method_not_allowed) << real.body();
      EXPECT_EQ(real[http::field::allow], "POST");
      // An encoded slash does not make the ack path either.
      const auto encoded = get("/api/v1/messages/" + inbound_id_ + "%2Fack", r, v);
      EXPECT_EQ(encoded.result(), http::status::not_found) << encoded.body();
      EXPECT_EQ(body_json(encoded)["error"].value("field", ""), "id");
    }
  }
  // And an auditor's POST to the real path is refused by role.
  auto post = request_for(http::verb::post, "/api/v1/messages/" + inbound_id_ + "/ack", "{}",
                          role::auditor, via::session);
  const auto refused = exchange(c, post);
  EXPECT_EQ(refused.result(), http::status::forbidden);
  EXPECT_EQ(error_of(refused).first, "forbidden");
  const auto [calls, acked] = on_io([this] {
    const auto m = service_.get(inbound_id_).value();
    return std::pair{service_.acknowledge_calls, m && m->acknowledged_at_ms.has_value()};
  });
  EXPECT_EQ(calls, 0u);
  EXPECT_FALSE(acked);
}

// The red team's second finding: a duty officer read evidence, which the proper path refuses
// them, by asking for it under a path with the same prefix and suffix.
TEST_F(route_matrix_test, evidence_under_a_mangled_path_is_refused) {
  client c(port());
  sign_in_as(c, role::duty_officer);
  const auto get = [&](const std::string& target, role r, via v) {
    auto req = request_for(http::verb::get, target, {}, r, v);
    return exchange(c, req);
  };
  for (const via v : {via::token, via::session}) {
    for (const std::string& target : {"/api/v1/messages_" + inbound_id_ + "/evidence",
                                      "/api/v1/messages/x/../" + inbound_id_ + "/evidence",
                                      "/api/v1/messages%2F" + inbound_id_ + "/evidence"}) {
      const auto res = get(target, role::duty_officer, v);
      EXPECT_EQ(res.result(), http::status::not_found) << target << ": " << res.body();
    }
    const auto proper = get("/api/v1/messages/" + inbound_id_ + "/evidence", role::duty_officer, v);
    EXPECT_EQ(proper.result(), http::status::forbidden) << proper.body();
    EXPECT_EQ(error_of(proper).first, "forbidden");
    // With an encoded slash the path is the evidence route with an id no message can have: the
    // role is refused first, as on the proper path.
    const auto encoded =
        get("/api/v1/messages/x%2F..%2F" + inbound_id_ + "/evidence", role::duty_officer, v);
    EXPECT_EQ(encoded.result(), http::status::forbidden) << encoded.body();
  }
  EXPECT_EQ(on_io([this] { return service_.evidence_calls; }), 0u);
  // The counter does count: an auditor on the proper path reaches the service.
  auto req = request_for(http::verb::get, "/api/v1/messages/" + inbound_id_ + "/evidence", {},
                         role::auditor, via::token);
  const auto audited = exchange(c, req);
  EXPECT_FALSE(refused_before_the_route(audited)) << audited.body();
  EXPECT_EQ(on_io([this] { return service_.evidence_calls; }), 1u);
}

}  // namespace
}  // namespace hotline::testing

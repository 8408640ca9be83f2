// API tokens made with `hotline token add`: kept in the accounts store as a hash, accepted with
// their role, and refused from the moment they are revoked, without a restart.
#include <gtest/gtest.h>

#include "accounts_fixture.hpp"

namespace hotline::testing {
namespace {

constexpr const char* feeder_secret = "hl_feeder-secret-made-by-the-cli";

class stored_token_test : public accounts_server_test {
 protected:
  void add_token(const std::string& name, const std::string& role, const std::string& secret) {
    ASSERT_TRUE(on_io([&] {
      storage::stored_token t;
      t.name = name;
      t.role = role;
      t.sha256_hex = config::sha256_hex(secret);
      t.created_at_ms = clock_start_ms;
      t.created_by = "os:root";
      return accounts_->add_token(t).has_value();
    }));
  }

  void revoke(const std::string& name) {
    ASSERT_TRUE(on_io([&] { return accounts_->revoke_token(name, clock_start_ms).has_value(); }));
  }
};

TEST_F(stored_token_test, a_stored_token_is_accepted_with_its_role) {
  add_token("grafana", "auditor", feeder_secret);
  client c(port());
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/audit?after=0&limit=10", {}, feeder_secret)
                .result(),
            http::status::ok);
  // The auditor's role, not more: posting is refused.
  const auto posted = c.request(http::verb::post, "/api/v1/messages",
                                R"({"channel":"navy","precedence":"flash","text":"x"})",
                                feeder_secret);
  EXPECT_EQ(posted.result(), http::status::forbidden) << posted.body();
}

TEST_F(stored_token_test, a_revoked_token_is_refused_at_once) {
  add_token("feeder", "duty-officer", feeder_secret);
  client c(port());
  ASSERT_EQ(c.request(http::verb::get, "/api/v1/status", {}, feeder_secret).result(),
            http::status::ok);
  revoke("feeder");
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/status", {}, feeder_secret).result(),
            http::status::unauthorized);
  // A new token under the same name has a new secret; the old one stays refused.
  add_token("feeder", "duty-officer", "hl_the-feeder-s-second-secret");
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/status", {}, feeder_secret).result(),
            http::status::unauthorized);
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/status", {}, "hl_the-feeder-s-second-secret")
                .result(),
            http::status::ok);
}

TEST_F(stored_token_test, config_tokens_still_work_and_unknown_secrets_are_refused) {
  add_token("grafana", "auditor", feeder_secret);
  client c(port());
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/status", {}, test_token).result(),
            http::status::ok);
  for (const char* wrong : {"hl_nobody", "hl_feeder-secret-made-by-the-cl", " ", ""}) {
    EXPECT_EQ(c.request(http::verb::get, "/api/v1/status", {}, std::string(wrong)).result(),
              http::status::unauthorized)
        << "'" << wrong << "'";
  }
}

}  // namespace
}  // namespace hotline::testing

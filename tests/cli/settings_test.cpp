// Where client commands find the station and their token: flags over environment.
#include "cli/settings.hpp"

#include <gtest/gtest.h>

#include <map>

namespace hotline::cli {
namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(settings, environment_is_used_when_no_flag_is_given) {
  auto s = resolve_client_settings(
      std::nullopt, std::nullopt,
      env_of({{"HOTLINE_ADDR", "http://127.0.0.1:7402"}, {"HOTLINE_TOKEN", "hl_env"}}));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->addr.host, "127.0.0.1");
  EXPECT_EQ(s->addr.port, 7402);
  EXPECT_EQ(s->token, "hl_env");
}

TEST(settings, flags_override_the_environment) {
  auto s = resolve_client_settings(
      "http://10.0.0.2:9000", "hl_flag",
      env_of({{"HOTLINE_ADDR", "http://127.0.0.1:7402"}, {"HOTLINE_TOKEN", "hl_env"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->addr.url, "http://10.0.0.2:9000");
  EXPECT_EQ(s->token, "hl_flag");
  // Each flag overrides only its own variable.
  auto mixed = resolve_client_settings(
      std::nullopt, "hl_flag",
      env_of({{"HOTLINE_ADDR", "http://127.0.0.1:7402"}, {"HOTLINE_TOKEN", "hl_env"}}));
  ASSERT_TRUE(mixed);
  EXPECT_EQ(mixed->addr.port, 7402);
  EXPECT_EQ(mixed->token, "hl_flag");
}

TEST(settings, a_missing_address_says_what_to_set) {
  auto s = resolve_client_settings(std::nullopt, "hl_x", env_of({{"HOTLINE_ADDR", ""}}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "no station address: set HOTLINE_ADDR or pass --addr");
  EXPECT_EQ(s.error().field, "addr");
}

TEST(settings, a_missing_token_says_what_to_set) {
  auto s = resolve_client_settings("http://127.0.0.1:1", std::nullopt, env_of({}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "no API token: set HOTLINE_TOKEN or pass --token");
  EXPECT_EQ(s.error().field, "token");
}

TEST(settings, addresses_in_the_accepted_forms) {
  EXPECT_EQ(parse_station_address("http://127.0.0.1:7402/")->url, "http://127.0.0.1:7402");
  EXPECT_EQ(parse_station_address("127.0.0.1:7402")->port, 7402);
  EXPECT_EQ(parse_station_address("http://station.local")->port, 80);
  const auto v6 = parse_station_address("http://[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->url, "http://[::1]:8080");
}

TEST(settings, bad_addresses_are_refused) {
  for (const char* bad :
       {"ftp://127.0.0.1:7402", "http://127.0.0.1:0", "http://127.0.0.1:70000",
        "http://127.0.0.1:", "http://127.0.0.1:7402/api", "http://", "", "http://[::1"}) {
    auto r = parse_station_address(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().field, "addr");
    }
  }
}

}  // namespace
}  // namespace hotline::cli

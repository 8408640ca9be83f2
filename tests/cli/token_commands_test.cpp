// `hotline token add|list|revoke` against a real station database.
#include "cli/token_commands.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "config/keys.hpp"
#include "station_cli_fixture.hpp"

namespace hotline::cli {
namespace {

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

// A station whose config also holds one API token, "watch-1".
class token_commands_test : public station_cli_test {
 protected:
  void SetUp() override {
    make_station("\n[[api.tokens]]\nname = \"watch-1\"\nrole = \"duty-officer\"\nsha256 = \"" +
                 config::sha256_hex("hl_config-secret") + "\"\n");
  }

  cli_result run(std::vector<std::string> args) {
    args.insert(args.begin(), {"hotline", "token"});
    args.insert(args.end(), {"--config", config_.string()});
    return run_cli(args);
  }

  std::vector<storage::stored_token> tokens() {
    auto db = open_station_accounts(config_);
    EXPECT_TRUE(db) << db.error().message;
    return db->accounts->list_tokens().value();
  }
};

TEST_F(token_commands_test, add_prints_the_secret_last_and_stores_only_its_hash) {
  const auto r = run({"add", "grafana", "--role", "auditor"});
  ASSERT_EQ(r.code, exit_ok) << r.err;
  const std::string secret = last_line(r.out);
  EXPECT_TRUE(secret.starts_with("hl_")) << r.out;
  EXPECT_GE(secret.size(), 40u);
  const auto stored = tokens();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].name, "grafana");
  EXPECT_EQ(stored[0].role, "auditor");
  EXPECT_EQ(stored[0].sha256_hex, config::sha256_hex(secret));
  EXPECT_TRUE(stored[0].created_by.starts_with("os:"));
  // The secret is nowhere in the database file.
  std::ifstream db(dir_ / "data" / "hotline.db", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(db)), {});
  EXPECT_EQ(bytes.find(secret.substr(3)), std::string::npos);
  ASSERT_FALSE(audit().empty());
  EXPECT_EQ(audit().back().action, "token_added");
  // Two tokens never share a secret.
  const auto second = run({"add", "feeder", "--role", "duty-officer"});
  ASSERT_EQ(second.code, exit_ok);
  EXPECT_NE(last_line(second.out), secret);
}

TEST_F(token_commands_test, a_token_is_made_with_a_clearance_of_the_stations_scheme) {
  const auto example = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                       "examples" / "memorandum-2021" / "agreement.toml";
  std::filesystem::copy_file(example, dir_ / "agreement.toml");
  const auto foreign = run({"add", "feeder", "--role", "duty-officer", "--clearance", "ru-dsp"});
  EXPECT_EQ(foreign.code, exit_usage);
  EXPECT_NE(foreign.err.find("not a marking of rok-fleet-command's scheme"), std::string::npos)
      << foreign.err;
  EXPECT_TRUE(tokens().empty());
  const auto r = run({"add", "feeder", "--role", "duty-officer", "--clearance", "rok-restricted"});
  ASSERT_EQ(r.code, exit_ok) << r.err;
  EXPECT_NE(r.out.find("cleared to rok-restricted"), std::string::npos) << r.out;
  ASSERT_EQ(tokens().size(), 1u);
  EXPECT_EQ(tokens()[0].clearance, "rok-restricted");
  const auto list = run({"list"});
  EXPECT_NE(list.out.find("CLEARANCE"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("rok-unclassified (lowest)"), std::string::npos) << list.out;  // watch-1
}

TEST_F(token_commands_test, add_refuses_bad_names_roles_and_names_taken) {
  EXPECT_EQ(run({"add", "Bad Name", "--role", "auditor"}).code, exit_usage);
  EXPECT_EQ(run({"add", "grafana", "--role", "root"}).code, exit_usage);
  EXPECT_EQ(run({"add", "grafana"}).code, exit_usage);
  const auto config_name = run({"add", "watch-1", "--role", "auditor"});
  EXPECT_EQ(config_name.code, exit_station_error);
  EXPECT_NE(config_name.err.find("station config"), std::string::npos) << config_name.err;
  ASSERT_EQ(run({"add", "grafana", "--role", "auditor"}).code, exit_ok);
  const auto again = run({"add", "grafana", "--role", "auditor"});
  EXPECT_EQ(again.code, exit_station_error);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(tokens().size(), 1u);
}

TEST_F(token_commands_test, list_shows_config_and_stored_tokens_and_revocations) {
  ASSERT_EQ(run({"add", "grafana", "--role", "auditor"}).code, exit_ok);
  ASSERT_EQ(run({"add", "feeder", "--role", "duty-officer"}).code, exit_ok);
  const auto revoked = run({"revoke", "feeder"});
  ASSERT_EQ(revoked.code, exit_ok) << revoked.err;
  const auto list = run({"list"});
  ASSERT_EQ(list.code, exit_ok) << list.err;
  EXPECT_NE(list.out.find("watch-1"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("config"), std::string::npos);
  EXPECT_NE(list.out.find("grafana"), std::string::npos);
  EXPECT_NE(list.out.find("revoked 20"), std::string::npos) << list.out;
  const auto stored = tokens();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_FALSE(stored[0].revoked_at_ms);
  EXPECT_TRUE(stored[1].revoked_at_ms);
  EXPECT_EQ(audit().back().action, "token_revoked");
}

TEST_F(token_commands_test, revoke_explains_what_it_cannot_do) {
  const auto unknown = run({"revoke", "nobody"});
  EXPECT_EQ(unknown.code, exit_station_error);
  EXPECT_NE(unknown.err.find("no live API token"), std::string::npos) << unknown.err;
  const auto config_token = run({"revoke", "watch-1"});
  EXPECT_EQ(config_token.code, exit_usage);
  EXPECT_NE(config_token.err.find("[[api.tokens]]"), std::string::npos) << config_token.err;
  ASSERT_EQ(run({"add", "grafana", "--role", "auditor"}).code, exit_ok);
  ASSERT_EQ(run({"revoke", "grafana"}).code, exit_ok);
  EXPECT_EQ(run({"revoke", "grafana"}).code, exit_station_error);  // only once
}

}  // namespace
}  // namespace hotline::cli

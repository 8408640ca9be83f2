// `hotline user add|list|disable|enable|passwd|clearance` against a real station database.
#include "cli/user_commands.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cli/cli.hpp"
#include "station_cli_fixture.hpp"
#include "storage/passwords.hpp"

namespace hotline::cli {
namespace {

class user_commands_test : public station_cli_test {
 protected:
  // Runs `hotline user ...` with `input` as its (non-terminal) standard input.
  cli_result run(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {"hotline", "user"});
    return run_cli(args, input);
  }

  std::optional<storage::user> find(const std::string& name) {
    auto db = open_station_accounts(config_);
    EXPECT_TRUE(db) << db.error().message;
    return db->accounts->find_user(name).value();
  }
};

TEST_F(user_commands_test, add_reads_the_password_from_standard_input_and_stores_its_hash) {
  const auto r = run({"add", "officer-kim", "--role", "duty-officer", "--lang", "ko", "--config",
                      config_.string()},
                     "twelve-chars-or-more\n");
  ASSERT_EQ(r.code, exit_ok) << r.err;
  EXPECT_NE(r.out.find("Added officer-kim"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "hotline.db"));
  const auto u = find("officer-kim");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->role, "duty-officer");
  EXPECT_EQ(u->language, "ko");
  EXPECT_TRUE(storage::verify_password(u->password_hash, "twelve-chars-or-more"));
  EXPECT_EQ(u->password_hash.find("twelve"), std::string::npos);
  const auto entries = audit();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action, "user_added");
  EXPECT_TRUE(entries[0].actor.starts_with("os:")) << entries[0].actor;
}

TEST_F(user_commands_test, add_refuses_short_passwords_bad_names_roles_and_duplicates) {
  const std::string cfg = config_.string();
  EXPECT_EQ(
      run({"add", "officer-kim", "--role", "duty-officer", "--config", cfg}, "elevenchars\n").code,
      exit_usage);
  EXPECT_FALSE(find("officer-kim"));
  EXPECT_EQ(run({"add", "officer-kim", "--role", "duty-officer", "--config", cfg}, "").code,
            exit_usage);  // no password at all
  EXPECT_EQ(
      run({"add", "Officer Kim", "--role", "duty-officer", "--config", cfg}, "a-good-passphrase\n")
          .code,
      exit_usage);
  EXPECT_EQ(
      run({"add", "officer-kim", "--role", "root", "--config", cfg}, "a-good-passphrase\n").code,
      exit_usage);
  EXPECT_EQ(
      run({"add", "officer-kim", "--role", "auditor", "--config", cfg}, "twelve-chars\n").code,
      exit_ok);
  const auto again =
      run({"add", "officer-kim", "--role", "auditor", "--config", cfg}, "twelve-chars\n");
  EXPECT_EQ(again.code, exit_station_error);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
}

TEST_F(user_commands_test, list_disable_enable_and_passwd) {
  const std::string cfg = config_.string();
  ASSERT_EQ(
      run({"add", "auditor-rok", "--role", "auditor", "--config", cfg}, "first-passphrase\n").code,
      exit_ok);
  ASSERT_EQ(run({"disable", "auditor-rok", "--config", cfg}).code, exit_ok);
  EXPECT_TRUE(find("auditor-rok")->disabled);
  auto list = run({"list", "--config", cfg});
  ASSERT_EQ(list.code, exit_ok);
  EXPECT_NE(list.out.find("auditor-rok"), std::string::npos);
  EXPECT_NE(list.out.find("disabled"), std::string::npos) << list.out;
  ASSERT_EQ(run({"enable", "auditor-rok", "--config", cfg}).code, exit_ok);
  EXPECT_FALSE(find("auditor-rok")->disabled);

  ASSERT_EQ(run({"passwd", "auditor-rok", "--config", cfg}, "second-passphrase\r\n").code, exit_ok);
  const auto u = find("auditor-rok");
  EXPECT_TRUE(storage::verify_password(u->password_hash, "second-passphrase"));
  EXPECT_FALSE(storage::verify_password(u->password_hash, "first-passphrase"));
  std::vector<std::string> actions;
  for (const auto& e : audit()) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"user_added", "user_disabled", "user_enabled",
                                               "password_changed"}));
  EXPECT_EQ(run({"disable", "nobody", "--config", cfg}).code, exit_station_error);
  EXPECT_EQ(run({"passwd", "nobody", "--config", cfg}, "third-passphrase\n").code,
            exit_station_error);
}

// The example agreement of the 2021 memorandum, whose ROK scheme is 일반 < 대외비 (ceiling) < 비밀.
void use_example_agreement(const std::filesystem::path& dir) {
  const auto example = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() /
                       "examples" / "memorandum-2021" / "agreement.toml";
  std::filesystem::copy_file(example, dir / "agreement.toml",
                             std::filesystem::copy_options::overwrite_existing);
}

TEST_F(user_commands_test, clearance_is_a_marking_of_the_stations_own_scheme) {
  use_example_agreement(dir_);
  const std::string cfg = config_.string();
  // Unset, a new user holds the lowest marking, and the list says so.
  ASSERT_EQ(run({"add", "reader", "--role", "duty-officer", "--config", cfg}, "a-good-passphrase\n")
                .code,
            exit_ok);
  EXPECT_EQ(find("reader")->clearance, "");
  auto list = run({"list", "--config", cfg});
  EXPECT_NE(list.out.find("rok-unclassified (lowest)"), std::string::npos) << list.out;
  // The other side's marking, or one the agreement lacks, is refused and names the choices.
  for (const char* bad : {"ru-dsp", "top-secret"}) {
    const auto r = run({"clearance", "reader", bad, "--config", cfg});
    EXPECT_EQ(r.code, exit_usage) << bad;
    EXPECT_NE(r.err.find("rok-unclassified, rok-restricted"), std::string::npos) << r.err;
    EXPECT_EQ(find("reader")->clearance, "");
    EXPECT_EQ(run({"add", "other", "--role", "auditor", "--clearance", bad, "--config", cfg},
                  "a-good-passphrase\n")
                  .code,
              exit_usage);
    EXPECT_FALSE(find("other"));
  }
  const auto raised = run({"clearance", "reader", "rok-restricted", "--config", cfg});
  ASSERT_EQ(raised.code, exit_ok) << raised.err;
  EXPECT_EQ(find("reader")->clearance, "rok-restricted");
  EXPECT_EQ(run({"clearance", "nobody", "rok-restricted", "--config", cfg}).code,
            exit_station_error);
  ASSERT_EQ(run({"add", "lead", "--role", "supervisor", "--clearance", "rok-restricted", "--config",
                 cfg},
                "a-good-passphrase\n")
                .code,
            exit_ok);
  EXPECT_EQ(find("lead")->clearance, "rok-restricted");
  const auto entries = audit();
  ASSERT_FALSE(entries.empty());
  const auto changed = std::find_if(entries.begin(), entries.end(),
                                    [](const auto& e) { return e.action == "clearance_changed"; });
  ASSERT_NE(changed, entries.end());
  EXPECT_EQ(changed->detail, "reader: rok-unclassified (lowest) -> rok-restricted");
}

TEST_F(user_commands_test, without_a_readable_agreement_no_clearance_can_be_given) {
  const std::string cfg = config_.string();  // names agreement.toml, which does not exist
  const auto r = run({"add", "reader", "--role", "auditor", "--clearance", "rok-restricted",
                      "--config", cfg},
                     "a-good-passphrase\n");
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_NE(r.err.find("cannot check clearance"), std::string::npos) << r.err;
  EXPECT_FALSE(find("reader"));
}

}  // namespace
}  // namespace hotline::cli

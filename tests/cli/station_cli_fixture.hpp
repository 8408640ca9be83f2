// A station config in a fresh temporary directory, and `hotline` run in-process against it,
// for the commands that work on a station's database directly (user, token). Removed after
// each test.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "cli/user_commands.hpp"

namespace hotline::cli {

struct cli_result {
  int code = -1;
  std::string out;
  std::string err;
};

class station_cli_test : public ::testing::Test {
 protected:
  // `extra_config` is appended to the minimal station config.
  void make_station(const std::string& extra_config = {}) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hotline-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_ = dir_ / "station.toml";
    std::ofstream(config_) << "station = \"rok-fleet-command\"\nagreement = \"agreement.toml\"\n"
                              "data_dir = \"data\"\n"
                           << extra_config;
  }
  void SetUp() override { make_station(); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs `hotline ARGS` with `input` as its (non-terminal) standard input.
  cli_result run_cli(const std::vector<std::string>& args, const std::string& input = {}) {
    std::ostringstream out, err;
    std::istringstream in(input);
    context ctx;
    ctx.getenv = [](const char*) { return std::optional<std::string>{}; };
    ctx.out = &out;
    ctx.err = &err;
    ctx.in = &in;
    ctx.in_is_terminal = false;
    ctx.run_station = [](const std::filesystem::path&) { return 0; };
    ctx.run_demo = [](const station::demo_options&) { return 0; };
    const int code = cli::run(args, ctx);
    return {code, out.str(), err.str()};
  }

  std::vector<storage::audit_entry> audit() {
    auto db = open_station_accounts(config_);
    EXPECT_TRUE(db) << db.error().message;
    return db ? db->accounts->list_audit(0, 1000).value() : std::vector<storage::audit_entry>{};
  }

  std::filesystem::path dir_;
  std::filesystem::path config_;
};

}  // namespace hotline::cli

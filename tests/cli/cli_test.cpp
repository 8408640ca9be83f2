// The command line end to end: parsing, exit codes, and client commands against a real API
// server over a fake station.
#include "cli/cli.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "api/server_fixture.hpp"
#include "config/keys.hpp"

namespace hotline::cli {
namespace {

namespace t = hotline::testing;

struct cli_result {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs the CLI with `vars` as its whole environment; station and demo are recorded, not run.
class cli_runner {
 public:
  std::map<std::string, std::string> vars;
  std::optional<std::filesystem::path> station_config;
  std::optional<station::demo_options> demo;

  cli_result run(std::vector<std::string> args) {
    args.insert(args.begin(), "hotline");
    std::ostringstream out, err;
    context ctx;
    ctx.getenv = [this](const char* name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    ctx.out = &out;
    ctx.err = &err;
    ctx.run_station = [this](const std::filesystem::path& p) {
      station_config = p;
      return 0;
    };
    ctx.run_demo = [this](const station::demo_options& o) {
      demo = o;
      return 0;
    };
    ctx.self_exe = "/opt/hotline/bin/hotline";
    const int code = cli::run(args, ctx);
    return {code, out.str(), err.str()};
  }
};

// A port nothing listens on: bound, then released.
std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  t::tcp::acceptor acceptor(ioc, t::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

TEST(cli, help_reads_well_and_exits_0) {
  cli_runner r;
  const auto res = r.run({"--help"});
  EXPECT_EQ(res.code, exit_ok);
  for (const char* word : {"send", "inbox", "status", "keygen", "station", "demo", "HOTLINE_ADDR",
                           "HOTLINE_TOKEN", "Exit codes"}) {
    EXPECT_NE(res.out.find(word), std::string::npos) << word;
  }
  const auto send_help = r.run({"send", "--help"});
  EXPECT_EQ(send_help.code, exit_ok);
  EXPECT_NE(send_help.out.find("--precedence"), std::string::npos);
}

TEST(cli, usage_errors_exit_2) {
  cli_runner r;
  r.vars = {{"HOTLINE_ADDR", "http://127.0.0.1:1"}, {"HOTLINE_TOKEN", "hl_x"}};
  EXPECT_EQ(r.run({}).code, exit_usage);
  EXPECT_EQ(r.run({"transmit"}).code, exit_usage);
  EXPECT_EQ(r.run({"send", "hello"}).code, exit_usage);              // no --channel
  EXPECT_EQ(r.run({"send", "--channel", "navy"}).code, exit_usage);  // no text
  EXPECT_EQ(r.run({"send", "-c", "navy", "-p", "urgent", "hello"}).code, exit_usage);
  EXPECT_EQ(r.run({"inbox", "--limit", "0"}).code, exit_usage);
  EXPECT_EQ(r.run({"keygen", "--dir", "/tmp"}).code, exit_usage);  // no --station
}

TEST(cli, no_address_is_a_usage_error_that_says_what_to_set) {
  cli_runner r;
  const auto res = r.run({"--token", "hl_x", "status"});
  EXPECT_EQ(res.code, exit_usage);
  EXPECT_EQ(res.err, "hotline: no station address: set HOTLINE_ADDR or pass --addr\n");
}

TEST(cli, an_unreachable_station_exits_3) {
  cli_runner r;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  r.vars = {{"HOTLINE_ADDR", url}, {"HOTLINE_TOKEN", "hl_x"}};
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"status"}, {"inbox"}, {"send", "-c", "navy", "hello"}}) {
    const auto res = r.run(args);
    EXPECT_EQ(res.code, exit_unreachable) << args[0];
    EXPECT_EQ(res.err, "hotline: cannot reach station at " + url + ": connection refused\n");
  }
}

TEST(cli, flags_override_the_environment_for_the_address) {
  cli_runner r;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  r.vars = {{"HOTLINE_ADDR", "http://127.0.0.1:1"}, {"HOTLINE_TOKEN", "hl_x"}};
  const auto res = r.run({"--addr", url, "status"});
  EXPECT_NE(res.err.find(url), std::string::npos) << res.err;
  // The global options work after the subcommand too.
  EXPECT_NE(r.run({"status", "--addr", url}).err.find(url), std::string::npos);
}

TEST(cli, station_and_demo_hand_their_options_to_the_entry_points) {
  cli_runner r;
  const auto config = std::filesystem::path(::testing::TempDir()) / "cli_test_station.toml";
  std::ofstream(config) << "station = \"x\"\n";
  EXPECT_EQ(r.run({"station", "--config", config.string()}).code, exit_ok);
  EXPECT_EQ(r.station_config, config);
  EXPECT_EQ(r.run({"station", "--config", "/nonexistent/station.toml"}).code, exit_usage);

  EXPECT_EQ(r.run({"demo", "--dir", "/tmp/demo", "--port-base", "9100", "--setup-only"}).code,
            exit_ok);
  ASSERT_TRUE(r.demo);
  EXPECT_EQ(r.demo->dir, "/tmp/demo");
  EXPECT_EQ(r.demo->port_base, 9100);
  EXPECT_TRUE(r.demo->setup_only);
  EXPECT_EQ(r.demo->self_exe, "/opt/hotline/bin/hotline");
  EXPECT_EQ(r.run({"demo", "--dir", "/tmp/demo", "--port-base", "70000"}).code, exit_usage);
}

TEST(cli, keygen_prints_the_fingerprint_line_and_refuses_to_overwrite) {
  cli_runner r;
  const auto dir = std::filesystem::path(::testing::TempDir()) / "cli_test_keygen";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto res = r.run({"keygen", "--dir", dir.string(), "--station", "rok-fleet-command"});
  ASSERT_EQ(res.code, exit_ok) << res.err;
  const auto line = res.out.find("tls_fingerprint = \"sha256:");
  ASSERT_NE(line, std::string::npos) << res.out;
  const auto fp_end = res.out.find('\n', line);
  EXPECT_EQ(fp_end - line, std::string("tls_fingerprint = \"sha256:\"").size() + 64);
  // The public signing key follows, and is the one signing.key holds.
  const auto key_line = res.out.find("signing_key = \"ed25519:", fp_end);
  ASSERT_NE(key_line, std::string::npos) << res.out;
  const auto key = config::load_signing_key(dir / "signing.key");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(res.out.substr(key_line),
            "signing_key = \"" + signing::encode_public_key(key->public_half()) + "\"\n");
  EXPECT_TRUE(std::filesystem::exists(dir / "tls.key"));
  const auto again = r.run({"keygen", "--dir", dir.string(), "--station", "rok-fleet-command"});
  EXPECT_EQ(again.code, exit_station_error);
  EXPECT_FALSE(again.err.empty());
}

class cli_station_test : public t::server_test {
 protected:
  cli_runner runner() {
    cli_runner r;
    r.vars = {{"HOTLINE_ADDR", "http://127.0.0.1:" + std::to_string(port())},
              {"HOTLINE_TOKEN", t::test_token}};
    return r;
  }
};

TEST_F(cli_station_test, send_posts_the_joined_words_and_prints_id_and_status) {
  auto r = runner();
  const auto res = r.run({"send", "-c", "navy", "-p", "flash", "Aircraft", "entering", "KADIZ"});
  ASSERT_EQ(res.code, exit_ok) << res.err;
  EXPECT_EQ(res.out, "msg-1 queued\n");
  const auto stored = service_.on_io([this] { return service_.get("msg-1").value(); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->msg.body, "Aircraft entering KADIZ");
  EXPECT_EQ(stored->msg.prec, precedence::flash);
}

TEST_F(cli_station_test, send_defaults_to_routine) {
  auto r = runner();
  ASSERT_EQ(r.run({"send", "-c", "navy", "Weather report"}).code, exit_ok);
  EXPECT_EQ(service_.on_io([this] { return service_.get("msg-1").value()->msg.prec; }),
            precedence::routine);
}

TEST_F(cli_station_test, a_refusal_prints_the_station_message_and_field_and_exits_1) {
  auto r = runner();
  const auto res = r.run({"send", "-c", "army", "hello"});
  EXPECT_EQ(res.code, exit_station_error);
  EXPECT_EQ(res.err, "hotline: no hotline named army (field: channel)\n");
  r.vars["HOTLINE_TOKEN"] = "hl_wrong";
  const auto denied = r.run({"status"});
  EXPECT_EQ(denied.code, exit_station_error);
  EXPECT_NE(denied.err.find("a valid API token is required"), std::string::npos) << denied.err;
}

TEST_F(cli_station_test, inbox_lists_inbound_messages_only) {
  service_.on_io([this] {
    service_.receive("navy", "Your notification received");
    return 0;
  });
  auto r = runner();
  ASSERT_EQ(r.run({"send", "-c", "navy", "outbound only"}).code, exit_ok);
  const auto res = r.run({"inbox"});
  ASSERT_EQ(res.code, exit_ok) << res.err;
  EXPECT_NE(res.out.find("Your notification received"), std::string::npos) << res.out;
  EXPECT_EQ(res.out.find("outbound only"), std::string::npos) << res.out;
  const auto as_json = r.run({"inbox", "--json", "--channel", "navy"});
  ASSERT_EQ(as_json.code, exit_ok);
  const auto j = nlohmann::json::parse(as_json.out);
  ASSERT_EQ(j["messages"].size(), 1u);
  EXPECT_EQ(j["next_after"], j["messages"][0]["cursor"]);
  const auto after = r.run({"inbox", "--after", std::to_string(j["next_after"].get<int>())});
  EXPECT_EQ(after.out, "CURSOR  TIME (UTC)  CHANNEL  PREC  LABEL  FROM  STATUS  TEXT\n(no messages)\n");
}

TEST_F(cli_station_test, status_is_readable_and_json_on_request) {
  auto r = runner();
  const auto res = r.run({"status"});
  ASSERT_EQ(res.code, exit_ok) << res.err;
  EXPECT_NE(res.out.find("rok-fleet-command"), std::string::npos);
  EXPECT_NE(res.out.find("navy     ru-pacific-fleet  up    satellite  42 ms"), std::string::npos)
      << res.out;
  const auto as_json = r.run({"status", "--json"});
  EXPECT_EQ(nlohmann::json::parse(as_json.out)["channels"][0]["queued"], 3);
}

}  // namespace
}  // namespace hotline::cli

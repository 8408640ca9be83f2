// The CLI against a station whose API speaks HTTPS: --cacert / HOTLINE_CACERT trust, refusal of
// an untrusted certificate, and the address forms.
#include <gtest/gtest.h>

#include <sstream>

#include "api/server_fixture.hpp"
#include "api/test_certificate.hpp"
#include "api/tls_context.hpp"
#include "cli/cli.hpp"
#include "cli/settings.hpp"

namespace hotline::cli {
namespace {

namespace t = hotline::testing;

class https_station_test : public t::server_test {
 protected:
  api::server_options extra_options() override { return t::https_options(cert_); }

  // Runs the CLI with `vars` as its whole environment.
  std::pair<int, std::string> run(std::vector<std::string> args,
                                  std::map<std::string, std::string> vars) {
    args.insert(args.begin(), "hotline");
    std::ostringstream out, err;
    context ctx;
    ctx.getenv = [&vars](const char* name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    ctx.out = &out;
    ctx.err = &err;
    const int code = cli::run(args, ctx);
    return {code, out.str() + err.str()};
  }

  std::map<std::string, std::string> env() const {
    return {{"HOTLINE_ADDR", "https://127.0.0.1:" + std::to_string(port())},
            {"HOTLINE_TOKEN", t::test_token}};
  }

  t::test_certificate cert_;
};

TEST_F(https_station_test, status_over_https_with_the_station_certificate_pinned) {
  const auto [code, text] =
      run({"status", "--json", "--cacert", cert_.certificate().string()}, env());
  EXPECT_EQ(code, exit_ok) << text;
  auto vars = env();
  vars["HOTLINE_CACERT"] = cert_.certificate().string();
  const auto [env_code, env_text] = run({"status", "--json"}, vars);
  EXPECT_EQ(env_code, exit_ok) << env_text;
}

TEST_F(https_station_test, an_untrusted_certificate_is_refused_and_says_why) {
  // No --cacert: the system's authorities do not know a self-signed test certificate.
  const auto [code, text] = run({"status"}, env());
  EXPECT_EQ(code, exit_station_error) << text;
  EXPECT_NE(text.find("certificate verify failed"), std::string::npos) << text;
  EXPECT_NE(text.find("cannot trust the station at https://127.0.0.1:"), std::string::npos) << text;
}

TEST_F(https_station_test, another_certificate_is_not_trusted) {
  t::test_certificate other;  // a valid certificate, but not the one the station presents
  const auto [code, text] = run({"status", "--cacert", other.certificate().string()}, env());
  EXPECT_EQ(code, exit_station_error) << text;
  EXPECT_NE(text.find("cannot trust the station"), std::string::npos) << text;
}

TEST_F(https_station_test, a_dns_name_in_the_certificate_is_matched_too) {
  auto vars = env();
  vars["HOTLINE_ADDR"] = "https://localhost:" + std::to_string(port());
  vars["HOTLINE_CACERT"] = cert_.certificate().string();
  const auto [code, text] = run({"status"}, vars);
  EXPECT_EQ(code, exit_ok) << text;
}

TEST_F(https_station_test, plain_http_to_the_https_port_is_told_to_use_https) {
  auto vars = env();
  vars["HOTLINE_ADDR"] = "http://127.0.0.1:" + std::to_string(port());
  const auto [code, text] = run({"status"}, vars);
  EXPECT_NE(code, exit_ok);
  EXPECT_NE(text.find("https://"), std::string::npos) << text;
}

TEST(https_settings, https_addresses_and_their_ca_file) {
  const auto a = parse_station_address("https://watch.example");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->url, "https://watch.example:443");
  EXPECT_FALSE(parse_station_address("http://watch.example")->tls);
  const auto env = [](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "HOTLINE_TOKEN") return "hl_x";
    if (std::string_view(name) == "HOTLINE_CACERT") return "/etc/hotline/ca.pem";
    return std::nullopt;
  };
  const auto s = resolve_client_settings("https://10.0.0.2:7402", std::nullopt, env);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->addr.ca_file, "/etc/hotline/ca.pem");
  const auto flag = resolve_client_settings("https://10.0.0.2:7402", std::nullopt, env, "/a.pem");
  EXPECT_EQ(flag->addr.ca_file, "/a.pem");
  // A CA file with plain HTTP would protect nothing; it is refused rather than ignored.
  const auto plain = resolve_client_settings("http://10.0.0.2:7402", std::nullopt, env);
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().field, "cacert");
}

}  // namespace
}  // namespace hotline::cli

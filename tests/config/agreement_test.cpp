#include "config/agreement.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/keys.hpp"
#include "temp_dir.hpp"

namespace hotline::config {
namespace {

using testing::examples_dir;
using testing::read_text;
using testing::temp_dir;

const std::string fp_a = "sha256:" + std::string(64, 'a');
const std::string fp_b = "sha256:" + std::string(64, 'b');

// A small valid agreement; each rejection test changes one thing in it.
const std::string valid_text = R"([agreement]
id = "test-agreement"
title = "Test"
version = 1

[[stations]]
id = "alpha"
name = "Alpha"
language = "ko"
timezone = "Asia/Seoul"
tls_fingerprint = ")" + fp_a + R"("
signing_key = "ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
[stations.addresses]
primary = "127.0.0.1:7401"
backup = "127.0.0.1:7403"

[[stations]]
id = "bravo"
name = "Bravo"
language = "ru"
timezone = "Asia/Vladivostok"
tls_fingerprint = ")" + fp_b + R"("
signing_key = "ed25519:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
[stations.addresses]
primary = "127.0.0.1:7411"

[[channels]]
id = "navy"
title = "Navy"
stations = ["alpha", "bravo"]
)";

std::string replaced(const std::string& from, const std::string& to) {
  std::string text = valid_text;
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test text lacks: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(agreement, small_valid_text_parses_with_defaults) {
  auto a = parse_agreement(valid_text);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->id, "test-agreement");
  EXPECT_EQ(a->heartbeat_interval_ms, 250);
  EXPECT_EQ(a->heartbeat_misses_max, 3);
  ASSERT_EQ(a->channels.size(), 1u);
  EXPECT_EQ(a->channels[0].paths, std::vector<std::string>{"primary"});
  ASSERT_NE(a->find_station("alpha"), nullptr);
  EXPECT_EQ(a->find_station("alpha")->addresses.at("backup").port, 7403);
  EXPECT_EQ(a->find_station("charlie"), nullptr);
  EXPECT_EQ(a->find_channel("air"), nullptr);
}

TEST(agreement, example_memorandum_loads) {
  auto a = load_agreement(examples_dir() / "memorandum-2021" / "agreement.toml");
  ASSERT_TRUE(a) << a.error().message << " [" << a.error().field << "]";
  EXPECT_EQ(a->id, "rok-ru-military-hotlines-2021");
  ASSERT_EQ(a->stations.size(), 4u);
  ASSERT_EQ(a->channels.size(), 2u);

  const channel_entry* navy = a->find_channel("navy");
  ASSERT_NE(navy, nullptr);
  EXPECT_EQ(navy->stations[0], "rok-fleet-command");
  EXPECT_EQ(navy->stations[1], "ru-pacific-fleet");
  EXPECT_EQ(navy->paths, (std::vector<std::string>{"primary", "backup"}));
  const channel_entry* air = a->find_channel("air");
  ASSERT_NE(air, nullptr);
  EXPECT_EQ(air->stations[0], "rokaf-mcrc");
  EXPECT_EQ(air->stations[1], "ru-11-aadf-army");

  const station_entry* fleet = a->find_station("ru-pacific-fleet");
  ASSERT_NE(fleet, nullptr);
  EXPECT_EQ(fleet->language, "ru");
  EXPECT_EQ(fleet->timezone, "Asia/Vladivostok");
  EXPECT_EQ(fleet->addresses.at("primary").to_string(), "127.0.0.1:7411");
  EXPECT_EQ(a->find_station("rok-fleet-command")->language, "ko");
  EXPECT_EQ(a->find_station("rokaf-mcrc")->addresses.at("primary").port, 7421);
  EXPECT_EQ(a->find_station("ru-11-aadf-army")->addresses.at("primary").port, 7431);
}

TEST(agreement, channel_peers_names_the_other_station_of_each_channel) {
  auto a = load_agreement(examples_dir() / "memorandum-2021" / "agreement.toml");
  ASSERT_TRUE(a) << a.error().message;
  using peers = std::map<std::string, std::string>;
  EXPECT_EQ(a->channel_peers("rok-fleet-command"), (peers{{"navy", "ru-pacific-fleet"}}));
  EXPECT_EQ(a->channel_peers("ru-pacific-fleet"), (peers{{"navy", "rok-fleet-command"}}));
  EXPECT_EQ(a->channel_peers("ru-11-aadf-army"), (peers{{"air", "rokaf-mcrc"}}));
  EXPECT_TRUE(a->channel_peers("nobody").empty());
}

TEST(agreement, hash_is_sha256_of_the_exact_file_bytes) {
  const auto file = examples_dir() / "memorandum-2021" / "agreement.toml";
  auto a = load_agreement(file);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->hash_hex(), "sha256:" + sha256_hex(read_text(file)));
}

TEST(agreement, hash_changes_when_one_byte_changes) {
  auto a = parse_agreement(valid_text);
  // Only the title's last letter differs: the values barely change, the hash must.
  auto b = parse_agreement(replaced("title = \"Test\"", "title = \"Tesu\""));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->hash, b->hash);
  // A change in a comment or in whitespace counts too: the file is compared, not its values.
  auto c = parse_agreement(valid_text + "# signed off\n");
  ASSERT_TRUE(c);
  EXPECT_NE(a->hash, c->hash);
  EXPECT_EQ(a->hash, parse_agreement(valid_text)->hash);
}

TEST(agreement, link_values_at_their_bounds_are_accepted) {
  for (const char* link : {"heartbeat_interval_ms = 50\nheartbeat_misses_max = 2",
                           "heartbeat_interval_ms = 60000\nheartbeat_misses_max = 20"}) {
    auto a = parse_agreement(valid_text + "[link]\n" + link + "\n");
    ASSERT_TRUE(a) << link << ": " << a.error().message;
  }
  auto a = parse_agreement(valid_text + "[link]\nheartbeat_interval_ms = 1000\n");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->heartbeat_interval_ms, 1000);
  EXPECT_EQ(a->heartbeat_misses_max, 3);
}

TEST(agreement, ids_at_their_length_limits_are_accepted) {
  const std::string station64(64, 's');
  const std::string path32(32, 'p');
  std::string text = replaced("id = \"alpha\"", "id = \"" + station64 + "\"");
  text.replace(text.find("[\"alpha\""), 8, "[\"" + station64 + "\"");
  text.replace(text.find("backup = "), 6, path32);
  auto a = parse_agreement(text);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->find_station(station64)->addresses.contains(path32));
}

struct rejection {
  std::string what;
  std::string text;
  std::string field;
};

std::vector<rejection> rejections() {
  const std::string long_path(33, 'p');
  return {
      {"unknown top-level key", replaced("[agreement]", "colour = 1\n[agreement]"), "colour"},
      {"unknown top-level table", valid_text + "[extra]\nx = 1\n", "extra"},
      {"misspelt station key", replaced("language = \"ko\"", "langauge = \"ko\""),
       "stations[0].langauge"},
      {"unknown agreement key", replaced("version = 1", "verison = 1"), "agreement.verison"},
      {"missing agreement table", replaced("[agreement]", "[agreemnt]"), "agreemnt"},
      {"agreement id with capitals", replaced("test-agreement", "Test-Agreement"), "agreement.id"},
      {"version as string", replaced("version = 1", "version = \"1\""), "agreement.version"},
      {"version zero", replaced("version = 1", "version = 0"), "agreement.version"},
      {"station id with underscore", replaced("id = \"alpha\"", "id = \"al_pha\""),
       "stations[0].id"},
      {"station id too long", replaced("id = \"alpha\"", "id = \"" + std::string(65, 'a') + "\""),
       "stations[0].id"},
      {"duplicate station id", replaced("id = \"bravo\"", "id = \"alpha\""), "stations[1].id"},
      {"missing station name", replaced("name = \"Bravo\"\n", ""), "stations[1].name"},
      {"language not ko/ru/en", replaced("language = \"ko\"", "language = \"fr\""),
       "stations[0].language"},
      {"timezone with ..", replaced("Asia/Seoul", "Asia/../etc"), "stations[0].timezone"},
      {"fingerprint without prefix", replaced(fp_b, std::string(64, 'b')),
       "stations[1].tls_fingerprint"},
      {"fingerprint in capitals", replaced(fp_b, "sha256:" + std::string(64, 'B')),
       "stations[1].tls_fingerprint"},
      {"fingerprint too short", replaced(fp_b, "sha256:" + std::string(63, 'b')),
       "stations[1].tls_fingerprint"},
      {"fingerprint shared by two stations", replaced(fp_b, fp_a), "stations[1].tls_fingerprint"},
      {"missing fingerprint", replaced("tls_fingerprint = \"" + fp_a + "\"\n", ""),
       "stations[0].tls_fingerprint"},
      {"missing signing key",
       replaced("signing_key = \"ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"\n", ""),
       "stations[0].signing_key"},
      {"signing key not ed25519", replaced("ed25519:AgIC", "rsa:AgIC"), "stations[1].signing_key"},
      {"signing key too short", replaced("AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=", "AgIC"),
       "stations[1].signing_key"},
      {"signing key shared by two stations", replaced("AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
                                                       "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="),
       "stations[1].signing_key"},
      {"address without port", replaced("127.0.0.1:7411", "127.0.0.1"),
       "stations[1].addresses.primary"},
      {"address port out of range", replaced("127.0.0.1:7411", "127.0.0.1:70000"),
       "stations[1].addresses.primary"},
      {"path id too long", replaced("backup = ", long_path + " = "),
       "stations[0].addresses." + long_path},
      {"station without addresses", replaced("primary = \"127.0.0.1:7411\"\n", ""),
       "stations[1].addresses"},
      {"one station only",
       valid_text.substr(0, valid_text.rfind("[[stations]]")) +
           valid_text.substr(valid_text.find("[[channels]]")),
       "stations"},
      {"unknown table inside a station",
       replaced("[stations.addresses]\nprimary = \"127.0.0.1:7411\"",
                "[stations.addresses]\nprimary = \"127.0.0.1:7411\"\n[stations.x]"),
       "stations[1].x"},
      {"channel station unknown", replaced("[\"alpha\", \"bravo\"]", "[\"alpha\", \"charlie\"]"),
       "channels[0].stations[1]"},
      {"channel stations equal", replaced("[\"alpha\", \"bravo\"]", "[\"alpha\", \"alpha\"]"),
       "channels[0].stations"},
      {"channel with one station", replaced("[\"alpha\", \"bravo\"]", "[\"alpha\"]"),
       "channels[0].stations"},
      {"channel path lacks an address at one station",
       valid_text + "paths = [\"primary\", \"backup\"]\n", "channels[0].paths[1]"},
      {"channel with no paths", valid_text + "paths = []\n", "channels[0].paths"},
      {"channel path repeated", valid_text + "paths = [\"primary\", \"primary\"]\n",
       "channels[0].paths[1]"},
      {"duplicate channel id",
       valid_text + "[[channels]]\nid = \"navy\"\ntitle = \"Again\"\nstations = [\"bravo\", "
                    "\"alpha\"]\n",
       "channels[1].id"},
      {"unknown channel key", valid_text + "path = [\"primary\"]\n", "channels[0].path"},
      {"no channels", valid_text.substr(0, valid_text.find("[[channels]]")), "channels"},
      {"heartbeat interval below 50", valid_text + "[link]\nheartbeat_interval_ms = 49\n",
       "link.heartbeat_interval_ms"},
      {"heartbeat interval above 60000", valid_text + "[link]\nheartbeat_interval_ms = 60001\n",
       "link.heartbeat_interval_ms"},
      {"heartbeat misses below 2", valid_text + "[link]\nheartbeat_misses_max = 1\n",
       "link.heartbeat_misses_max"},
      {"heartbeat misses above 20", valid_text + "[link]\nheartbeat_misses_max = 21\n",
       "link.heartbeat_misses_max"},
      {"unknown link key", valid_text + "[link]\nheartbeat_ms = 100\n", "link.heartbeat_ms"},
  };
}

TEST(agreement, every_rule_rejects_with_the_offending_field) {
  for (const rejection& r : rejections()) {
    SCOPED_TRACE(r.what);
    auto a = parse_agreement(r.text);
    ASSERT_FALSE(a) << "accepted";
    EXPECT_EQ(a.error().code, errc::invalid_argument);
    EXPECT_EQ(a.error().field, r.field) << a.error().message;
  }
}

TEST(agreement, syntax_error_reports_line_and_column) {
  auto a = parse_agreement("[agreement]\nid = \"x\"\ntitle = \n");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, errc::invalid_argument);
  EXPECT_NE(a.error().message.find("line 3"), std::string::npos) << a.error().message;
  EXPECT_NE(a.error().message.find("column"), std::string::npos) << a.error().message;
}

TEST(agreement, load_reports_a_missing_file_as_not_found) {
  temp_dir dir;
  auto a = load_agreement(dir.path() / "absent.toml");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, errc::not_found);
}

TEST(agreement, load_names_the_file_in_errors) {
  temp_dir dir;
  const auto file = dir.write("agreement.toml", replaced("language = \"ko\"", "language = \"xx\""));
  auto a = load_agreement(file);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().field, "stations[0].language");
  EXPECT_NE(a.error().message.find(file.string()), std::string::npos);
}

// The docs quote the example files in full; a change to one must be made to the other.
TEST(agreement, docs_quote_the_example_files_exactly) {
  const auto root = examples_dir().parent_path();
  const std::string agreement_doc = read_text(root / "docs" / "agreement.md");
  const std::string config_doc = read_text(root / "docs" / "config.md");
  const auto dir = examples_dir() / "memorandum-2021";
  EXPECT_NE(agreement_doc.find("```toml\n" + read_text(dir / "agreement.toml") + "```"),
            std::string::npos);
  EXPECT_NE(config_doc.find("```toml\n" + read_text(dir / "rok-fleet-command.toml") + "```"),
            std::string::npos);
}

TEST(endpoint, accepts_ipv4_ipv6_and_host_names) {
  auto v4 = parse_endpoint("127.0.0.1:7401");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 7401);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:7401");

  auto v6 = parse_endpoint("[::1]:7401");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7401);
  EXPECT_EQ(v6->to_string(), "[::1]:7401");

  auto name = parse_endpoint("host.example:7401");
  ASSERT_TRUE(name) << name.error().message;
  EXPECT_EQ(name->host, "host.example");

  auto top = parse_endpoint("localhost:65535");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->port, 65535);
}

TEST(endpoint, rejects_missing_or_invalid_ports_and_hosts) {
  for (const char* text : {"127.0.0.1",
                           "127.0.0.1:",
                           "127.0.0.1:0",
                           "127.0.0.1:65536",
                           "127.0.0.1:74a1",
                           "127.0.0.1:+80",
                           "127.0.0.1:-1",
                           "127.0.0.1:123456",
                           ":7401",
                           "::1:7401",
                           "[::1]7401",
                           "[::1]:",
                           "[::1",
                           "[zz]:7401",
                           "999.1.1.1:80",
                           "-bad.example:80",
                           "bad-.example:80",
                           "a..b:80",
                           "host name:80",
                           ""}) {
    SCOPED_TRACE(text);
    auto ep = parse_endpoint(text);
    EXPECT_FALSE(ep);
    if (!ep) {
      EXPECT_EQ(ep.error().code, errc::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace hotline::config

namespace hotline::config {
namespace {

std::string with_policies(const std::string& extra) {
  std::string base =
      "[agreement]\nid = \"t\"\ntitle = \"t\"\n"
      "[[stations]]\nid = \"a\"\nname = \"A\"\nlanguage = \"ko\"\ntimezone = \"Asia/Seoul\"\n"
      "tls_fingerprint = \"sha256:" + std::string(64, 'a') + "\"\nsigning_key = \"ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"\n[stations.addresses]\nprimary = \"127.0.0.1:7001\"\n"
      "[[stations]]\nid = \"b\"\nname = \"B\"\nlanguage = \"ru\"\ntimezone = \"Asia/Vladivostok\"\n"
      "tls_fingerprint = \"sha256:" + std::string(64, 'b') + "\"\nsigning_key = \"ed25519:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\"\n[stations.addresses]\nprimary = \"127.0.0.1:7002\"\n"
      "[[channels]]\nid = \"navy\"\ntitle = \"n\"\nstations = [\"a\", \"b\"]\n";
  return base + extra;
}

TEST(agreement_policies, defaults_are_the_allied_deadlines) {
  auto a = parse_agreement(with_policies(""));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->deadlines.minutes, (std::array<std::int64_t, 4>{10, 30, 180, 360}));
  EXPECT_EQ(a->deadlines.urgent_words_max, 200);
  EXPECT_FALSE(a->link_tests.enabled());
}

TEST(agreement_policies, deadlines_link_tests_and_forms_are_read) {
  auto a = parse_agreement(with_policies(
      "[deadlines]\nflash_minutes = 5\nurgent_words_max = 120\n"
      "[link_tests]\ntimes = [\"09:00\", \"16:00\"]\ntimezone = \"Asia/Seoul\"\n"
      "answer_within_minutes = 15\n"
      "[forms]\ncatalog = \"hotline-forms\"\nversion = \"2026.1\"\n"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->deadlines.minutes[0], 5);
  EXPECT_EQ(a->deadlines.minutes[1], 30);
  EXPECT_EQ(a->deadlines.urgent_words_max, 120);
  EXPECT_EQ(a->link_tests.times, (std::vector<std::string>{"09:00", "16:00"}));
  EXPECT_EQ(a->link_tests.timezone, "Asia/Seoul");
  EXPECT_EQ(a->link_tests.answer_within_minutes, 15);
  EXPECT_EQ(a->forms.version, "2026.1");
}

TEST(agreement_policies, bad_policy_values_name_their_key) {
  struct bad_case { std::string text; std::string field; };
  for (const auto& c : std::vector<bad_case>{
           {"[deadlines]\nflash_minutes = 0\n", "deadlines.flash_minutes"},
           {"[deadlines]\nflush_minutes = 5\n", "deadlines.flush_minutes"},
           {"[link_tests]\ntimes = [\"25:00\"]\n", "link_tests.times"},
           {"[link_tests]\nanswer_within_minutes = 0\n", "link_tests.answer_within_minutes"},
           {"[forms]\nsha256 = \"xyz\"\n", "forms.sha256"}}) {
    auto a = parse_agreement(with_policies(c.text));
    ASSERT_FALSE(a) << c.text;
    EXPECT_EQ(a.error().field, c.field) << c.text;
  }
}

}  // namespace
}  // namespace hotline::config

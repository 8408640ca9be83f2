// Rendering the API's answers for a terminal.
#include "cli/format.hpp"

#include <gtest/gtest.h>

namespace hotline::cli {
namespace {

using json = nlohmann::json;

TEST(format, clip_never_splits_a_character) {
  EXPECT_EQ(clip_utf8("해군함대", 2), "해군…");
  EXPECT_EQ(clip_utf8("navy", 4), "navy");
  EXPECT_EQ(clip_utf8("navy!", 4), "navy…");
}

TEST(format, message_table_aligns_columns_and_shows_the_first_line) {
  const json messages = json::array({{{"cursor", 7},
                                      {"box", "in"},
                                      {"received_at", "2026-11-21T03:12:00.000Z"},
                                      {"channel", "navy"},
                                      {"precedence", "flash"},
                                      {"from", "ru-pacific-fleet"},
                                      {"status", "delivered"},
                                      {"label",
                                       {{"marking", "ru-dsp"},
                                        {"local_marking", "rok-restricted"},
                                        {"name", "대외비"},
                                        {"caveats",
                                         json::array({{{"id", "embargo"},
                                                       {"name", "공개 금지 시한"},
                                                       {"until", "2026-12-10T00:00:00Z"}}})}}},
                                      {"text", "Exercise at 0300\nsecond line"}},
                                     {{"cursor", 12},
                                      {"box", "in"},
                                      {"received_at", "2026-11-21T03:14:00.000Z"},
                                      {"channel", "air"},
                                      {"precedence", "routine"},
                                      {"from", "ru-11th-army"},
                                      {"status", "delivered"},
                                      {"text", "ok"}}});
  const std::string table = format_message_table(messages, true);
  EXPECT_EQ(table,
            "CURSOR  TIME (UTC)            CHANNEL  PREC     LABEL                                "
            "FROM              STATUS     TEXT\n"
            "7       2026-11-21 03:12:00Z  navy     FLASH    대외비 · 공개 금지 시한 2026-12-10T00:00:00Z  "
            "ru-pacific-fleet  delivered  Exercise at 0300 …\n"
            "12      2026-11-21 03:14:00Z  air      ROUTINE  -                                    "
            "ru-11th-army      delivered  ok\n");
}

TEST(format, a_message_above_the_readers_clearance_says_it_is_withheld) {
  const json m = {{"cursor", 9},       {"box", "in"},          {"channel", "navy"},
                  {"precedence", "flash"}, {"from", "ru-pacific-fleet"}, {"status", "delivered"},
                  {"received_at", "2026-11-21T03:12:00.000Z"},
                  {"redacted", true}};
  const std::string table = format_message_table(json::array({m}), true);
  EXPECT_NE(table.find("(withheld: above your clearance)"), std::string::npos) << table;
}

TEST(format, status_shows_links_paths_and_queues) {
  const json status = {
      {"station", "rok-fleet-command"},
      {"station_name", "ROK Fleet Command"},
      {"agreement", "sha256:ab"},
      {"started_at", "2026-11-21T00:00:00.000Z"},
      {"channels",
       {{{"channel", "navy"},
         {"peer", "ru-pacific-fleet"},
         {"link_up", false},
         {"active_path", nullptr},
         {"rtt_ms", nullptr},
         {"last_heard_ms_ago", 4200},
         {"queued", 3},
         {"unacked", 1},
         {"paths",
          {{{"path", "satellite"}, {"up", false}, {"active", false}, {"rtt_ms", nullptr}}}}}}}};
  const std::string text = format_status(status);
  EXPECT_NE(text.find("Station    rok-fleet-command (ROK Fleet Command)"), std::string::npos);
  EXPECT_NE(text.find("navy     ru-pacific-fleet  DOWN  -     -    4 s ago     3       1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("navy paths: satellite down"), std::string::npos) << text;
}

TEST(format, station_errors_show_message_and_field) {
  EXPECT_EQ(format_station_error(
                400, R"({"error":{"code":"invalid_argument","message":"bad","field":"text"}})"),
            "bad (field: text)");
  EXPECT_EQ(format_station_error(502, "<html>gateway</html>"),
            "the station answered HTTP 502: <html>gateway</html>");
}

}  // namespace
}  // namespace hotline::cli

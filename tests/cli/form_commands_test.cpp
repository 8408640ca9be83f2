// `hotline forms`, `send --form` and `ack`: the --field parsing and catalog table (pure), and
// the commands against a real API server over a fake station.
#include "cli/form_commands.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "api/server_fixture.hpp"
#include "cli/cli.hpp"
#include "cli/format.hpp"

namespace hotline::cli {
namespace {

namespace t = hotline::testing;
using json = nlohmann::json;

TEST(field_arg, structured_values_and_numbers_are_json_and_the_rest_is_text) {
  const auto area = parse_field_arg(R"(area={"circle":{"centre":"37N 131E","radius_nm":20}})");
  ASSERT_TRUE(area) << area.error().message;
  EXPECT_EQ(area->first, "area");
  EXPECT_EQ(area->second["circle"]["radius_nm"], 20);
  EXPECT_EQ(parse_field_arg("route=[1,2]")->second, json::array({1, 2}));
  EXPECT_EQ(parse_field_arg("aircraft_count=2")->second, 2);
  EXPECT_EQ(parse_field_arg("speed=450.5")->second, 450.5);
  EXPECT_EQ(parse_field_arg("callsign=RFF7701")->second, "RFF7701");
  // A bare word JSON would read as a boolean, null or string stays what was typed.
  EXPECT_EQ(parse_field_arg("remarks=true")->second, "true");
  EXPECT_EQ(parse_field_arg("remarks=null")->second, "null");
  EXPECT_EQ(parse_field_arg(R"(remarks="quoted")")->second, R"("quoted")");
  EXPECT_EQ(parse_field_arg("remarks=")->second, "");
  EXPECT_EQ(parse_field_arg("remarks=a=b")->second, "a=b");  // split at the first '='
  EXPECT_EQ(parse_field_arg("purpose=Учения")->second, "Учения");
  EXPECT_EQ(parse_field_arg("{broken=1")->first, "{broken");
  EXPECT_FALSE(parse_field_arg("no-equals-sign"));
  EXPECT_FALSE(parse_field_arg("=value"));
}

TEST(field_arg, the_body_carries_channel_precedence_form_and_fields) {
  send_options o;
  o.form = "AIR-FLIGHT-NOTICE";
  o.precedence = "immediate";
  o.fields = {"callsign=RFF7701", "aircraft_count=2"};
  const auto body = form_message_body(o, "air");
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, json::parse(R"({"channel": "air", "precedence": "immediate",
      "form": "AIR-FLIGHT-NOTICE", "fields": {"callsign": "RFF7701", "aircraft_count": 2}})"));
  o.fields.push_back("callsign=RFF7702");
  const auto twice = form_message_body(o, "air");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("callsign"), std::string::npos);
}

TEST(forms_table, lists_id_title_precedence_and_required_fields) {
  const auto catalog = json::parse(R"({"forms": [
      {"id": "AIR-FLIGHT-NOTICE", "title": "Prior notice of military flight",
       "fields": [{"name": "callsign", "required": true}, {"name": "remarks", "required": false},
                  {"name": "entry_time", "required": true}]},
      {"id": "LINK-TEST", "title": "Link test", "precedence": "priority", "fields": []}]})");
  EXPECT_EQ(format_forms_table(catalog),
            "ID                 TITLE                            PRECEDENCE  REQUIRED FIELDS\n"
            "AIR-FLIGHT-NOTICE  Prior notice of military flight  -           callsign, entry_time\n"
            "LINK-TEST          Link test                        priority    -\n");
}

struct cli_result {
  int code = -1;
  std::string out;
  std::string err;
};

class form_commands_test : public t::server_test {
 protected:
  cli_result run(std::vector<std::string> args) {
    args.insert(args.begin(), "hotline");
    std::ostringstream out, err;
    context ctx;
    const std::string addr = "http://127.0.0.1:" + std::to_string(port());
    ctx.getenv = [addr](const char* name) -> std::optional<std::string> {
      if (std::string_view(name) == "HOTLINE_ADDR") return addr;
      if (std::string_view(name) == "HOTLINE_TOKEN") return t::test_token;
      return std::nullopt;
    };
    ctx.out = &out;
    ctx.err = &err;
    const int code = cli::run(args, ctx);
    return {code, out.str(), err.str()};
  }
};

TEST_F(form_commands_test, send_form_posts_typed_fields_on_the_only_hotline) {
  const auto res = run({"send", "--form", "AIR-FLIGHT-NOTICE", "--precedence", "immediate",
                        "--field", "callsign=RFF7701", "--field", "aircraft_count=2", "--field",
                        R"(route=[{"lat":37.5,"lon":131.9}])"});
  ASSERT_EQ(res.code, exit_ok) << res.err;
  EXPECT_EQ(res.out, "msg-1 queued\n");
  const auto stored = service_.on_io([this] { return service_.get("msg-1").value(); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->msg.channel, "navy");  // the fake station's status lists only navy
  EXPECT_EQ(stored->msg.form, "AIR-FLIGHT-NOTICE");
  EXPECT_EQ(stored->msg.prec, precedence::immediate);
  const auto fields = json::parse(stored->msg.body);
  EXPECT_EQ(fields["callsign"], "RFF7701");
  EXPECT_EQ(fields["aircraft_count"], 2);
  EXPECT_EQ(fields["route"][0]["lat"], 37.5);
}

TEST_F(form_commands_test, send_form_mistakes_are_usage_errors_before_anything_is_sent) {
  EXPECT_EQ(run({"send", "--form", "AIR-FLIGHT-NOTICE", "some", "text"}).code, exit_usage);
  EXPECT_EQ(run({"send", "-c", "navy", "--field", "callsign=RFF7701"}).code, exit_usage);
  const auto bad = run({"send", "--form", "AIR-FLIGHT-NOTICE", "--field", "callsign"});
  EXPECT_EQ(bad.code, exit_usage);
  EXPECT_NE(bad.err.find("name=value"), std::string::npos) << bad.err;
  EXPECT_EQ(run({"send", "hello"}).code, exit_usage);  // free text still needs --channel
  EXPECT_EQ(service_.on_io([this] { return service_.list({}).value().size(); }), 0u);
}

TEST_F(form_commands_test, a_refused_field_is_printed_with_its_name_and_exits_1) {
  const auto res = run({"send", "--form", "AIR-FLIGHT-NOTICE", "-c", "army", "--field", "a=1"});
  EXPECT_EQ(res.code, exit_station_error);
  EXPECT_EQ(res.err, "hotline: no hotline named army (field: channel)\n");
}

TEST_F(form_commands_test, ack_acknowledges_with_the_answer) {
  const std::string id = service_.on_io([this] { return service_.receive("navy", "Q?").msg.id; });
  const auto res = run({"ack", id, "--answer", "Принято"});
  ASSERT_EQ(res.code, exit_ok) << res.err;
  EXPECT_EQ(res.out, id + " acknowledged by watch-1\n");
  const auto m = service_.on_io([this, id] { return service_.get(id).value(); });
  EXPECT_EQ(m->ack_answer, "Принято");
  const auto again = run({"ack", id});
  EXPECT_EQ(again.code, exit_station_error);
  EXPECT_NE(again.err.find("already acknowledged"), std::string::npos) << again.err;
  EXPECT_EQ(run({"ack"}).code, exit_usage);
}

TEST_F(form_commands_test, forms_reports_a_station_without_a_catalog) {
  const auto res = run({"forms", "--lang", "ru"});
  EXPECT_EQ(res.code, exit_station_error);
  EXPECT_NE(res.err.find("no form catalog"), std::string::npos) << res.err;
  EXPECT_EQ(run({"forms", "--lang", "de"}).code, exit_usage);
}

}  // namespace
}  // namespace hotline::cli

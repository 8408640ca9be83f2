// The pure pieces of the API: JSON spelling, request-body validation, targets, bearer headers.
#include "api/json.hpp"

#include <gtest/gtest.h>

#include "api/auth.hpp"
#include "api/target.hpp"
#include "core/limits.hpp"

namespace hotline::api {
namespace {

TEST(json, rfc3339_has_milliseconds_and_utc_suffix) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  // 2026-11-21T03:12:00.007Z
  EXPECT_EQ(format_rfc3339_ms(1'795'230'720'007), "2026-11-21T03:12:00.007Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
}

TEST(json, utf8_validation_refuses_overlongs_surrogates_and_truncation) {
  EXPECT_TRUE(valid_utf8("Тихоокеанский флот 해군 ok"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(json, message_json_has_every_field) {
  storage::stored_message m;
  m.msg.id = "m1";
  m.msg.channel = "navy";
  m.msg.from = "rok-fleet-command";
  m.msg.prec = precedence::flash;
  m.msg.body = "Exercise at 0300";
  m.msg.created_at_ms = 1'795'230'720'000;
  m.direction = storage::box::out;
  m.cursor = 17;
  m.status = storage::delivery_status::delivered;
  m.delivered_at_ms = 1'795'230'721'000;
  const json j = to_json(m);
  EXPECT_EQ(j["id"], "m1");
  EXPECT_TRUE(j["seq"].is_null());  // seq 0: not yet sequenced
  EXPECT_EQ(j["box"], "out");
  EXPECT_EQ(j["precedence"], "flash");
  EXPECT_EQ(j["form"], "FREE-TEXT");
  EXPECT_EQ(j["text"], "Exercise at 0300");
  EXPECT_EQ(j["created_at"], "2026-11-21T03:12:00.000Z");
  EXPECT_EQ(j["status"], "delivered");
  EXPECT_EQ(j["delivered_at"], "2026-11-21T03:12:01.000Z");
  EXPECT_TRUE(j["received_at"].is_null());
  EXPECT_EQ(j["cursor"], 17);
  m.msg.seq = 5;
  EXPECT_EQ(to_json(m)["seq"], 5);
}

TEST(json, dump_replaces_invalid_utf8_instead_of_throwing) {
  storage::stored_message m;
  m.msg.body = "bad \xFF byte";
  EXPECT_NE(dump(to_json(m)).find("bad \xEF\xBF\xBD byte"), std::string::npos);
}

TEST(json, post_request_parses_all_three_fields) {
  auto r = parse_post_request(R"({"channel":"navy","precedence":"immediate","text":"Hello"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->channel, "navy");
  EXPECT_EQ(r->prec, precedence::immediate);
  EXPECT_EQ(r->body, "Hello");
  EXPECT_EQ(r->form, form_free_text);
}

struct bad_post {
  const char* body;
  errc code;
  const char* field;
};

class post_request_errors : public ::testing::TestWithParam<bad_post> {};

TEST_P(post_request_errors, name_the_field) {
  auto r = parse_post_request(GetParam().body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, GetParam().code);
  EXPECT_EQ(r.error().field, GetParam().field) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    json, post_request_errors,
    ::testing::Values(
        bad_post{R"({"precedence":"flash","text":"x"})", errc::invalid_argument, "channel"},
        bad_post{R"({"channel":"","precedence":"flash","text":"x"})", errc::invalid_argument,
                 "channel"},
        bad_post{R"({"channel":"navy","precedence":"urgent","text":"x"})", errc::invalid_argument,
                 "precedence"},
        bad_post{R"({"channel":"navy","text":"x"})", errc::invalid_argument, "precedence"},
        bad_post{R"({"channel":"navy","precedence":"flash","text":""})", errc::invalid_argument,
                 "text"},
        bad_post{R"({"channel":"navy","precedence":"flash","text":7})", errc::invalid_argument,
                 "text"},
        bad_post{R"({"channel":"navy","precedence":"flash","text":"x","to":"y"})",
                 errc::invalid_argument, "to"},
        bad_post{R"({"channel":"navy",)", errc::invalid_argument, ""},
        bad_post{R"(["navy"])", errc::invalid_argument, ""}));

TEST(json, post_text_at_the_limit_passes_and_one_byte_over_fails) {
  const auto body = [](std::size_t n) {
    return R"({"channel":"navy","precedence":"routine","text":")" + std::string(n, 'a') + "\"}";
  };
  EXPECT_TRUE(parse_post_request(body(limits::message_body_bytes_max)));
  auto over = parse_post_request(body(limits::message_body_bytes_max + 1));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, errc::limit);
  EXPECT_EQ(over.error().field, "text");
}

TEST(json, malformed_json_reports_the_byte_position) {
  auto r = parse_post_request(R"({"channel": nav})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("at byte 14"), std::string::npos) << r.error().message;
}

TEST(target, splits_path_and_decodes_parameters) {
  auto t = parse_target("/api/v1/messages?channel=na%76y&box=in&after=3&x=a+b");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/messages");
  EXPECT_EQ(t->params.at("channel"), "navy");
  EXPECT_EQ(t->params.at("x"), "a b");
  EXPECT_EQ(t->params.size(), 4u);
}

TEST(target, refuses_bad_escapes_and_repeated_parameters) {
  EXPECT_FALSE(parse_target("/a?x=%4"));
  EXPECT_FALSE(parse_target("/a?x=%zz"));
  auto twice = parse_target("/a?limit=1&limit=2");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().field, "limit");
  EXPECT_FALSE(parse_target("http://example.org/"));
}

TEST(target, percent_encode_round_trips) {
  const std::string text = "navy & air/해군?";
  EXPECT_EQ(percent_decode(percent_encode(text), false), text);
  EXPECT_EQ(percent_encode("a b"), "a%20b");
}

TEST(auth, bearer_scheme_is_case_insensitive_and_needs_a_secret) {
  EXPECT_EQ(bearer_secret("Bearer abc"), "abc");
  EXPECT_EQ(bearer_secret("bearer  abc "), "abc");
  EXPECT_FALSE(bearer_secret("Basic abc"));
  EXPECT_FALSE(bearer_secret("Bearer"));
  EXPECT_FALSE(bearer_secret("Bearerabc"));
}

}  // namespace
}  // namespace hotline::api

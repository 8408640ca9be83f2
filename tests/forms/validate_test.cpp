// Whole-form validation against the repository's catalog: examples, required and unknown
// fields, minimum notice, the FLASH/IMMEDIATE word limit, and messages in every language.
#include "forms/validate.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "forms/example.hpp"
#include "forms/messages.hpp"
#include "forms/render.hpp"
#include "forms/utc_time.hpp"
#include "forms_test_support.hpp"

namespace hotline::forms {
namespace {

using nlohmann::json;
using testing::fixed_now_ms;
using testing::repo_catalog;

constexpr std::int64_t ms_per_hour = 3'600'000;

validation_context at_fixed_now(lang l = lang::en) {
  validation_context ctx;
  ctx.now_ms = fixed_now_ms;
  ctx.lang = l;
  return ctx;
}

const form& form_named(std::string_view id) {
  const form* f = repo_catalog().find(id);
  EXPECT_NE(f, nullptr) << id;
  return *f;
}

TEST(ValidateTest, EveryFormsExampleIsValid) {
  // Also at another moment: examples are relative to now, so they never go stale.
  for (std::int64_t now_ms : {fixed_now_ms, fixed_now_ms + 12'345'678'901}) {
    for (const form& f : repo_catalog().forms()) {
      validation_context ctx = at_fixed_now();
      ctx.now_ms = now_ms;
      const json fields = example(f, now_ms);
      auto out = validate(f, fields, ctx);
      EXPECT_TRUE(out.has_value())
          << f.id << ": " << out.error().field << ": " << out.error().message;
      if (out) {
        EXPECT_EQ(out->size(), f.fields.size()) << f.id << " example leaves a field out";
        auto again = validate(f, *out, ctx);
        ASSERT_TRUE(again) << f.id << ": " << again.error().message;
        EXPECT_EQ(*again, *out) << f.id << " is not stable once normalized";
      }
    }
  }
}

TEST(ValidateTest, UnknownFieldIsRejected) {
  const form& f = form_named("LINK-TEST");
  json fields = example(f, fixed_now_ms);
  fields["priority"] = "high";
  auto out = validate(f, fields, at_fixed_now());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, errc::invalid_argument);
  EXPECT_EQ(out.error().field, "fields.priority");
  EXPECT_EQ(out.error().message, "unknown field: priority");
}

TEST(ValidateTest, MissingRequiredFieldIsRejected) {
  const form& f = form_named("AIR-FLIGHT-NOTICE");
  json fields = example(f, fixed_now_ms);
  fields.erase("entry_time");
  auto out = validate(f, fields, at_fixed_now());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().field, "fields.entry_time");
  EXPECT_EQ(out.error().message, "ADIZ entry time: required field is missing");
  fields["entry_time"] = nullptr;
  EXPECT_EQ(validate(f, fields, at_fixed_now()).error().field, "fields.entry_time");
}

TEST(ValidateTest, OptionalFieldMayBeLeftOut) {
  const form& f = form_named("AIR-FLIGHT-NOTICE");
  json fields = example(f, fixed_now_ms);
  fields.erase("remarks");
  auto out = validate(f, fields, at_fixed_now());
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_FALSE(out->contains("remarks"));
}

TEST(ValidateTest, FieldsMustBeAnObject) {
  auto out = validate(form_named("FREE-TEXT"), json::array(), at_fixed_now());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().field, "fields");
}

TEST(ValidateTest, WrongTypeIsRejected) {
  const form& f = form_named("AIR-FLIGHT-NOTICE");
  json fields = example(f, fixed_now_ms);
  fields["aircraft_count"] = "two";
  auto out = validate(f, fields, at_fixed_now());
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().field, "fields.aircraft_count");
  EXPECT_EQ(out.error().message, "Number of aircraft: must be a whole number from 1 to 50");
}

// A hazard notice must reach the other side 72 hours before the activity starts.
TEST(ValidateTest, HazardNoticeLaterThan72HoursBeforeIsRejected) {
  const form& f = form_named("SEA-HAZARD-NOTICE");
  ASSERT_EQ(f.min_notice_hours, 72);
  json fields = example(f, fixed_now_ms);
  const auto window_at = [&](std::int64_t start_ms) {
    fields["window"] = {{"start", format_rfc3339(start_ms)},
                        {"end", format_rfc3339(start_ms + 6 * ms_per_hour)}};
    return validate(f, fields, at_fixed_now());
  };
  EXPECT_TRUE(window_at(fixed_now_ms + 72 * ms_per_hour));
  auto late = window_at(fixed_now_ms + 72 * ms_per_hour - 1000);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().field, "fields.window.start");
  EXPECT_EQ(late.error().message, "Time: notice must be given at least 72 hours before the event");
  EXPECT_FALSE(window_at(fixed_now_ms - 1 * ms_per_hour));  // already started
}

TEST(ValidateTest, MissileLaunchNoticeNeeds24Hours) {
  const form& f = form_named("MISSILE-LAUNCH-NOTICE");
  ASSERT_EQ(f.min_notice_hours, 24);
  json fields = example(f, fixed_now_ms);
  fields["launch_window"]["start"] = format_rfc3339(fixed_now_ms + 23 * ms_per_hour);
  auto out = validate(f, fields, at_fixed_now(lang::ru));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().field, "fields.launch_window.start");
  EXPECT_EQ(out.error().message,
            "Время пуска: уведомление должно быть направлено не менее чем за 24 ч до события");
}

TEST(ValidateTest, FlashAndImmediateTextIsLimitedInWords) {
  const form& f = form_named("FREE-TEXT");
  std::string text;
  for (int i = 0; i < 201; ++i) {
    text += "слово ";
  }
  const json fields{{"text", text}};
  validation_context ctx = at_fixed_now();
  EXPECT_TRUE(validate(f, fields, ctx));  // routine: no word limit
  for (auto urgent : {precedence::flash, precedence::immediate}) {
    ctx.precedence = urgent;
    auto out = validate(f, fields, ctx);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().field, "fields.text");
    EXPECT_EQ(out.error().message,
              "Text: FLASH and IMMEDIATE text is limited to 200 words (this has 201)");
  }
  ctx.urgent_words_max = 201;
  EXPECT_TRUE(validate(f, fields, ctx));
  ctx.precedence = precedence::priority;
  ctx.urgent_words_max = 1;
  EXPECT_TRUE(validate(f, fields, ctx));
}

TEST(ValidateTest, LatitudeErrorInEveryLanguage) {
  const form& f = form_named("AIR-IDENTIFY-REQUEST");
  json fields = example(f, fixed_now_ms);
  fields["position"] = "95°00'N 129°10'E";
  const auto message = [&](lang l) {
    auto out = validate(f, fields, at_fixed_now(l));
    EXPECT_FALSE(out);
    EXPECT_EQ(out.error().field, "fields.position");
    return out ? std::string() : out.error().message;
  };
  EXPECT_EQ(message(lang::en), "Position: latitude must be between -90 and 90");
  EXPECT_EQ(message(lang::ko), "위치: 위도는 -90과 90 사이여야 합니다");
  EXPECT_EQ(message(lang::ru), "Местоположение: широта должна быть от -90 до 90");
}

// Whatever a client posts, validation answers with a value and rendering with text: nothing
// throws out of the forms layer.
TEST(ValidateTest, OddValuesNeverThrow) {
  const json odd[] = {nullptr,
                      true,
                      -1,
                      18446744073709551615u,
                      1e308,
                      "",
                      "\xFF\xFE",
                      json::array(),
                      json::object(),
                      {{"lat", "a"}, {"lon", 1}},
                      {{"points", 5}},
                      {{"centre", nullptr}, {"radius_nm", "x"}},
                      {{"start", 1}, {"end", 2}},
                      {{"feet", "x"}},
                      {{"feet", 100}, {"flight_level", 2}},
                      json::array({json::array()})};
  for (const form& f : repo_catalog().forms()) {
    for (const field& spec : f.fields) {
      for (const json& value : odd) {
        json fields = example(f, fixed_now_ms);
        fields[spec.name] = value;
        EXPECT_NO_THROW((void)validate(f, fields, at_fixed_now())) << f.id << "." << spec.name;
        EXPECT_NO_THROW((void)render(f, fields, {lang::ru, "Asia/Vladivostok"}))
            << f.id << "." << spec.name << " = "
            << value.dump(-1, ' ', false, json::error_handler_t::replace);
        EXPECT_NO_THROW((void)summary(f, fields, lang::ko)) << f.id << "." << spec.name;
      }
    }
  }
}

TEST(MessagesTest, EveryRuleHasADistinctMessageInEveryLanguage) {
  for (std::size_t i = 0; i < rule_count; ++i) {
    const auto r = static_cast<rule>(i);
    std::set<std::string> texts;
    for (lang l : all_langs) {
      const std::string text = rule_message(r, l, {"1", "2"});
      EXPECT_FALSE(text.empty()) << i << " " << to_string(l);
      EXPECT_EQ(text.find("{0}"), std::string::npos) << i;
      texts.insert(text);
    }
    EXPECT_EQ(texts.size(), 3u) << "rule " << i << " is not translated";
  }
}

TEST(MessagesTest, KoreanAndRussianMessagesAreInTheirScripts) {
  // Hangul syllables start with 0xEA..0xED in UTF-8; Cyrillic letters with 0xD0 or 0xD1.
  for (std::size_t i = 0; i < rule_count; ++i) {
    const std::string ko = rule_message(static_cast<rule>(i), lang::ko);
    const std::string ru = rule_message(static_cast<rule>(i), lang::ru);
    EXPECT_TRUE(ko.find_first_of("\xEA\xEB\xEC\xED") != std::string::npos) << ko;
    EXPECT_TRUE(ru.find_first_of("\xD0\xD1") != std::string::npos) << ru;
  }
}

}  // namespace
}  // namespace hotline::forms

// Each field type's rules, good and bad, through `validate` on a one-field form.
#include <gtest/gtest.h>

#include <string>

#include "forms/form_limits.hpp"
#include "forms/validate.hpp"
#include "forms_test_support.hpp"

namespace hotline::forms {
namespace {

using nlohmann::json;
using testing::fixed_now_ms;
using testing::one_field_form;

result<json> check(field_type type, const json& value) {
  const form f = one_field_form(type);
  validation_context ctx;
  ctx.now_ms = fixed_now_ms;
  return validate(f, json{{"value", value}}, ctx);
}

json normalized(field_type type, const json& value) {
  auto out = check(type, value);
  EXPECT_TRUE(out.has_value()) << value.dump() << ": " << out.error().message;
  return out ? (*out)["value"] : json();
}

// The error for a bad value, checked to be an invalid_argument.
error rejected(field_type type, const json& value) {
  auto out = check(type, value);
  EXPECT_FALSE(out.has_value()) << value.dump() << " was accepted";
  if (out) {
    return {};
  }
  EXPECT_EQ(out.error().code, errc::invalid_argument);
  return out.error();
}

TEST(DatetimeTest, AcceptsUtcAndNormalizesOffsets) {
  EXPECT_EQ(normalized(field_type::datetime, "2026-11-21T03:12:00Z"), "2026-11-21T03:12:00Z");
  EXPECT_EQ(normalized(field_type::datetime, "2026-11-21t03:12:00.250z"), "2026-11-21T03:12:00Z");
  EXPECT_EQ(normalized(field_type::datetime, "2026-11-21T12:12:00+09:00"), "2026-11-21T03:12:00Z");
}

TEST(DatetimeTest, RejectsOtherShapes) {
  for (const char* bad : {"2026-11-21 03:12:00Z", "2026-11-21T03:12:00", "2026-02-30T00:00:00Z",
                          "2026-11-21T24:00:00Z", "2026-11-21T03:12Z", "tomorrow", ""}) {
    EXPECT_NE(rejected(field_type::datetime, bad).message.find("RFC 3339"), std::string::npos)
        << bad;
  }
  EXPECT_EQ(rejected(field_type::datetime, 1795219200).field, "fields.value");
}

TEST(TimeWindowTest, EndMustFollowStart) {
  const json good{{"start", "2026-11-22T03:00:00Z"}, {"end", "2026-11-22T07:00:00Z"}};
  EXPECT_EQ(normalized(field_type::time_window, good), good);
  const error e = rejected(field_type::time_window,
                           {{"start", "2026-11-22T07:00:00Z"}, {"end", "2026-11-22T03:00:00Z"}});
  EXPECT_EQ(e.field, "fields.value.end");
  EXPECT_NE(e.message.find("the end must be after the start"), std::string::npos);
  EXPECT_EQ(rejected(field_type::time_window,
                     {{"start", "2026-11-22T03:00:00Z"}, {"end", "2026-11-22T03:00:00Z"}})
                .field,
            "fields.value.end");
}

TEST(TimeWindowTest, NamesTheBrokenPart) {
  EXPECT_EQ(rejected(field_type::time_window, {{"start", "2026-11-22T03:00:00Z"}}).field,
            "fields.value.end");
  EXPECT_EQ(
      rejected(field_type::time_window, {{"start", "soon"}, {"end", "2026-11-22T03:00:00Z"}}).field,
      "fields.value.start");
  EXPECT_EQ(
      rejected(field_type::time_window,
               {{"start", "2026-11-22T03:00:00Z"}, {"end", "2026-11-22T04:00:00Z"}, {"length", 1}})
          .field,
      "fields.value.length");
}

TEST(AreaTest, PolygonOfThreeToSixtyFourPoints) {
  const json triangle{{"points", {"3700N 13000E", "3730N 13030E", "3700N 13100E"}}};
  const json out = normalized(field_type::area, triangle);
  ASSERT_EQ(out["points"].size(), 3u);
  EXPECT_DOUBLE_EQ(out["points"][1]["lat"].get<double>(), 37.5);
  EXPECT_NE(rejected(field_type::area, {{"points", {"3700N 13000E", "3730N 13030E"}}})
                .message.find("a polygon needs 3 to 64 points"),
            std::string::npos);
  json many = json::array();
  for (std::size_t i = 0; i <= limits::polygon_points_max; ++i) {
    many.push_back(json{{"lat", 37.0 + static_cast<double>(i) / 100}, {"lon", 130.0}});
  }
  EXPECT_FALSE(check(field_type::area, {{"points", many}}));
  many.erase(many.end() - 1);
  EXPECT_TRUE(check(field_type::area, {{"points", many}}));
}

TEST(AreaTest, ABadCornerIsNamedByIndex) {
  const error e =
      rejected(field_type::area,
               {{"points", {"3700N 13000E", "3730N 13030E", "3700N 13100E", "9500N 13000E"}}});
  EXPECT_EQ(e.field, "fields.value.points[3]");
  EXPECT_NE(e.message.find("latitude must be between -90 and 90"), std::string::npos);
}

TEST(AreaTest, CircleNeedsCentreAndRadius) {
  const json out =
      normalized(field_type::area, {{"centre", "37°30'N 129°10'E"}, {"radius_nm", 20}});
  EXPECT_DOUBLE_EQ(out["centre"]["lat"].get<double>(), 37.5);
  EXPECT_EQ(out["radius_nm"], 20);
  EXPECT_EQ(rejected(field_type::area, {{"centre", "3730N 12910E"}, {"radius_nm", 0}}).field,
            "fields.value.radius_nm");
  EXPECT_FALSE(check(field_type::area, {{"centre", "3730N 12910E"}, {"radius_nm", 1000.5}}));
  EXPECT_TRUE(check(field_type::area, {{"centre", "3730N 12910E"}, {"radius_nm", 1000}}));
  EXPECT_EQ(rejected(field_type::area, {{"centre", "3730N 12910E"}}).field, "fields.value");
  EXPECT_EQ(rejected(field_type::area, "3730N 12910E").field, "fields.value");
}

TEST(RouteTest, TwoToSixtyFourPoints) {
  EXPECT_EQ(normalized(field_type::route, {"3730N 12910E", "3800N 13000E"}).size(), 2u);
  EXPECT_NE(rejected(field_type::route, {"3730N 12910E"}).message.find("a route needs 2 to 64"),
            std::string::npos);
  EXPECT_EQ(rejected(field_type::route, {"3730N 12910E", "3730N 18100E"}).field, "fields.value[1]");
}

TEST(AltitudeTest, FeetAndFlightLevels) {
  EXPECT_EQ(normalized(field_type::altitude, "FL250"),
            (json{{"feet", 25000}, {"flight_level", 250}}));
  EXPECT_EQ(normalized(field_type::altitude, "fl 050"),
            (json{{"feet", 5000}, {"flight_level", 50}}));
  EXPECT_EQ(normalized(field_type::altitude, 25000), (json{{"feet", 25000}}));
  EXPECT_EQ(normalized(field_type::altitude, "25,000 ft"), (json{{"feet", 25000}}));
  EXPECT_EQ(normalized(field_type::altitude, "1,500ft"), (json{{"feet", 1500}}));
  for (const char* bad : {"FL", "FL2500", "25,00 ft", "2,5000", "high", "25000 m", ",500"}) {
    EXPECT_NE(rejected(field_type::altitude, bad).message.find("flight level"), std::string::npos)
        << bad;
  }
  EXPECT_FALSE(check(field_type::altitude, 100'001));
  EXPECT_TRUE(check(field_type::altitude, 100'000));
}

TEST(HeadingTest, WholeDegreesZeroTo359) {
  EXPECT_EQ(normalized(field_type::heading, "045"), 45);
  EXPECT_EQ(normalized(field_type::heading, 359), 359);
  EXPECT_EQ(normalized(field_type::heading, 0), 0);
  for (const json& bad : {json(360), json(-1), json(45.5), json("45°"), json("0450")}) {
    EXPECT_NE(rejected(field_type::heading, bad).message.find("0 to 359"), std::string::npos)
        << bad;
  }
}

TEST(SpeedTest, KnotsZeroTo2000) {
  EXPECT_EQ(normalized(field_type::speed, 12.5), 12.5);
  EXPECT_TRUE(check(field_type::speed, 2000));
  EXPECT_NE(rejected(field_type::speed, 2000.5).message.find("between 0 and 2000 knots"),
            std::string::npos);
  EXPECT_FALSE(check(field_type::speed, -1));
  EXPECT_FALSE(check(field_type::speed, "450"));
}

TEST(CallsignTest, LettersAndDigitsTwoToTwelve) {
  EXPECT_EQ(normalized(field_type::callsign, "rff7701"), "RFF7701");
  EXPECT_TRUE(check(field_type::callsign, "AB"));
  EXPECT_TRUE(check(field_type::callsign, "ABCDEF123456"));
  for (const char* bad : {"A", "ABCDEF1234567", "RFF 7701", "RFF-7701", "ПВО12"}) {
    EXPECT_NE(rejected(field_type::callsign, bad).message.find("call sign"), std::string::npos)
        << bad;
  }
}

TEST(TextTest, Utf8WithinItsLength) {
  EXPECT_EQ(normalized(field_type::text, "Привет"), "Привет");   // 6 code points, 12 bytes
  EXPECT_TRUE(check(field_type::text, "가나다라마바사아자차"));  // exactly 10
  EXPECT_NE(rejected(field_type::text, "가나다라마바사아자차카").message.find("at most 10"),
            std::string::npos);
  EXPECT_NE(rejected(field_type::text, std::string("ab\xC0\xAF")).message.find("UTF-8"),
            std::string::npos);
  EXPECT_NE(rejected(field_type::text,
                     "a\x01"
                     "b")
                .message.find("control"),
            std::string::npos);
  EXPECT_TRUE(check(field_type::text, "line\nnext"));
}

TEST(CountTest, WholeNumberWithinBounds) {
  EXPECT_EQ(normalized(field_type::count, 5), 5);
  EXPECT_TRUE(check(field_type::count, 1));
  for (const json& bad : {json(0), json(6), json(2.5), json("3")}) {
    EXPECT_NE(rejected(field_type::count, bad).message.find("from 1 to 5"), std::string::npos)
        << bad;
  }
}

TEST(EnumTest, OneOfTheListedValues) {
  EXPECT_EQ(normalized(field_type::enumeration, "yes"), "yes");
  EXPECT_NE(rejected(field_type::enumeration, "maybe").message.find("one of: yes, no"),
            std::string::npos);
  EXPECT_FALSE(check(field_type::enumeration, "Yes"));
}

TEST(ReferenceTest, AMessageId) {
  EXPECT_TRUE(check(field_type::reference, "0b6f4c1e-5d2a-4f7e-9c31-2a8e7d9b4f10"));
  EXPECT_TRUE(check(field_type::reference, std::string(64, 'a')));
  EXPECT_FALSE(check(field_type::reference, std::string(65, 'a')));
  EXPECT_FALSE(check(field_type::reference, ""));
  EXPECT_FALSE(check(field_type::reference, "id with spaces"));
}

}  // namespace
}  // namespace hotline::forms

// Positions in the forms aviators and mariners write them, and the limits of the globe.
#include <gtest/gtest.h>

#include <string>

#include "forms/geo.hpp"
#include "forms/validate.hpp"
#include "forms_test_support.hpp"

namespace hotline::forms {
namespace {

using nlohmann::json;

position parsed(const json& value) {
  auto p = parse_position(value);
  EXPECT_TRUE(p.has_value()) << value.dump();
  return p.value_or(position{});
}

constexpr double k_tolerance = 1e-9;

TEST(PositionTest, DegreesAndMinutesWithMarks) {
  for (const char* text : {"37°30'N 129°10'E", "37°30′N 129°10′E", "37° 30' N 129° 10' E",
                           "N37°30' E129°10'", "37°30'N/129°10'E", "37º30'N 129º10'E"}) {
    const position p = parsed(text);
    EXPECT_NEAR(p.lat, 37.5, k_tolerance) << text;
    EXPECT_NEAR(p.lon, 129.0 + 10.0 / 60, k_tolerance) << text;
  }
}

TEST(PositionTest, SecondsAndDecimalMinutes) {
  EXPECT_NEAR(parsed("37°30'36\"N 129°10'E").lat, 37.51, k_tolerance);
  EXPECT_NEAR(parsed("37°30′36″N 129°10′E").lat, 37.51, k_tolerance);
  EXPECT_NEAR(parsed("37°30.6'N 129°10'E").lat, 37.51, k_tolerance);
  EXPECT_NEAR(parsed("37.51°N 129.5°E").lon, 129.5, k_tolerance);
}

TEST(PositionTest, IcaoCompactForms) {
  const position p = parsed("3730N 12910E");
  EXPECT_NEAR(p.lat, 37.5, k_tolerance);
  EXPECT_NEAR(p.lon, 129.0 + 10.0 / 60, k_tolerance);
  EXPECT_NEAR(parsed("3730N12910E").lat, 37.5, k_tolerance);
  EXPECT_NEAR(parsed("373036N 1291000E").lat, 37.51, k_tolerance);
  EXPECT_NEAR(parsed("3730.6N 12910E").lat, 37.51, k_tolerance);
  EXPECT_NEAR(parsed("37.5N 129.5E").lat, 37.5, k_tolerance);
}

TEST(PositionTest, SouthAndWestAreNegative) {
  const position p = parsed("3345S 07040W");
  EXPECT_NEAR(p.lat, -33.75, k_tolerance);
  EXPECT_NEAR(p.lon, -(70.0 + 40.0 / 60), k_tolerance);
}

TEST(PositionTest, DecimalObject) {
  const position p = parsed(json{{"lat", 37.5}, {"lon", 129.1667}});
  EXPECT_DOUBLE_EQ(p.lat, 37.5);
  EXPECT_DOUBLE_EQ(p.lon, 129.1667);
  EXPECT_EQ(parse_position(json{{"lat", "37.5"}, {"lon", 129}}).error(), rule::expect_number);
  EXPECT_EQ(parse_position(json{{"lat", 37.5}}).error(), rule::position_format);
  EXPECT_EQ(parse_position(json{{"lat", 37.5}, {"lon", 129}, {"alt", 0}}).error(),
            rule::position_format);
}

TEST(PositionTest, LatitudeOf95DegreesFails) {
  for (const json& bad : {json("95°00'N 129°10'E"), json("9500N 12910E"), json("95N 129E"),
                          json{{"lat", 95}, {"lon", 129}}, json{{"lat", -90.5}, {"lon", 0}}}) {
    EXPECT_EQ(parse_position(bad).error(), rule::latitude_range) << bad;
  }
  EXPECT_TRUE(parse_position("90°00'N 129°10'E"));
  EXPECT_TRUE(parse_position("90°00'S 180°00'W"));
}

TEST(PositionTest, LongitudeOf181DegreesFails) {
  for (const json& bad : {json("37°30'N 181°00'E"), json("3730N 18100E"),
                          json{{"lat", 37.5}, {"lon", -181}}, json("3730N 18000.5E")}) {
    EXPECT_EQ(parse_position(bad).error(), rule::longitude_range) << bad;
  }
}

TEST(PositionTest, MinutesAndSecondsBelowSixty) {
  EXPECT_EQ(parse_position("37°60'N 129°10'E").error(), rule::minutes_range);
  EXPECT_EQ(parse_position("3775N 12910E").error(), rule::minutes_range);
  EXPECT_EQ(parse_position("373060N 1291000E").error(), rule::minutes_range);
}

TEST(PositionTest, RejectsWhatIsNotAPosition) {
  for (const json& bad :
       {json("37°30'N"), json("129°10'E 37°30'N"), json("37°30' 129°10'"), json("375N 12910E"),
        json("37°30'N 129°10'E extra"), json("3730N 12910E 5"), json(""), json(37.5),
        json::array({37.5, 129.1}), json(std::string(100, '3') + "N 12910E")}) {
    EXPECT_EQ(parse_position(bad).error(), rule::position_format) << bad;
  }
}

TEST(PositionTest, NormalizedToSixDecimals) {
  const json out = to_json(parsed("37°30'N 129°10'E"));
  EXPECT_EQ(out, (json{{"lat", 37.5}, {"lon", 129.166667}}));
  const dms d = to_dms(out["lon"].get<double>());
  EXPECT_EQ(d.degrees, 129);
  EXPECT_EQ(d.minutes, 10);
  EXPECT_EQ(d.seconds, 0);
}

TEST(PositionTest, ValidatingANormalizedPositionChangesNothing) {
  const form f = testing::one_field_form(field_type::position);
  validation_context ctx;
  auto first = validate(f, json{{"value", "37°30'15\"N 129°10'E"}}, ctx);
  ASSERT_TRUE(first) << first.error().message;
  auto second = validate(f, *first, ctx);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*first, *second);
}

}  // namespace
}  // namespace hotline::forms

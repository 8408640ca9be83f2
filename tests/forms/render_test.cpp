// Rendering: every form in every language against its golden file, and the number, unit,
// coordinate and time conventions of each language.
//
// HOTLINE_UPDATE_GOLDEN=1 rewrites tests/forms/golden/ from the current code; read every changed
// file before committing it.
#include "forms/render.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "forms/example.hpp"
#include "forms/validate.hpp"
#include "forms_test_support.hpp"

namespace hotline::forms {
namespace {

using nlohmann::json;
using testing::fixed_now_ms;
using testing::golden_dir;
using testing::one_field_form;
using testing::read_text;
using testing::repo_catalog;

// Each language's golden file is read in the zone of a station that speaks it; English is shown
// in Seoul time, the side that reads most English-language traffic.
std::string zone_for(lang l) {
  switch (l) {
    case lang::ko:
      return "Asia/Seoul";
    case lang::ru:
      return "Asia/Vladivostok";
    case lang::en:
      break;
  }
  return "Asia/Seoul";
}

json validated_example(const form& f) {
  validation_context ctx;
  ctx.now_ms = fixed_now_ms;
  auto out = validate(f, example(f, fixed_now_ms), ctx);
  EXPECT_TRUE(out) << f.id << ": " << out.error().message;
  return out.value_or(json::object());
}

TEST(RenderGoldenTest, EveryFormInEveryLanguage) {
  const bool update = std::getenv("HOTLINE_UPDATE_GOLDEN") != nullptr &&
                      std::string(std::getenv("HOTLINE_UPDATE_GOLDEN")) == "1";
  for (const form& f : repo_catalog().forms()) {
    const json fields = validated_example(f);
    for (lang l : all_langs) {
      const std::string text = render(f, fields, {l, zone_for(l)});
      const auto file = golden_dir() / (f.id + "." + std::string(to_string(l)) + ".txt");
      if (update) {
        std::ofstream(file, std::ios::binary) << text;
      }
      EXPECT_TRUE(std::filesystem::exists(file)) << file << " is missing";
      EXPECT_EQ(text, read_text(file)) << file;
    }
  }
}

std::string shown(field_type type, const json& value, lang l, const std::string& zone = "UTC") {
  const form f = one_field_form(type);
  validation_context ctx;
  auto normalized = validate(f, json{{"value", value}}, ctx);
  EXPECT_TRUE(normalized) << normalized.error().message;
  const std::string text = render(f, normalized.value_or(json::object()), {l, zone});
  const std::string title = f.title.in(l) + "\n";
  EXPECT_TRUE(text.starts_with(title));
  // The one-field template is "{value}", so the body is the value and a newline.
  return text.substr(title.size(), text.size() - title.size() - 1);
}

TEST(RenderTest, AltitudeInEachLanguage) {
  EXPECT_EQ(shown(field_type::altitude, 25000, lang::en), "25,000 ft");
  EXPECT_EQ(shown(field_type::altitude, 25000, lang::ko), "25,000피트");
  EXPECT_EQ(shown(field_type::altitude, 25000, lang::ru), "25\u202F000\u00A0футов");
  EXPECT_EQ(shown(field_type::altitude, "FL250", lang::en), "FL250 (25,000 ft)");
  EXPECT_EQ(shown(field_type::altitude, "FL090", lang::ru), "эшелон FL090 (9000\u00A0футов)");
  EXPECT_EQ(shown(field_type::altitude, "FL250", lang::ko), "FL250 (25,000피트)");
}

TEST(RenderTest, RussianNounAgreesWithTheNumber) {
  EXPECT_EQ(shown(field_type::altitude, 1, lang::ru), "1\u00A0фут");
  EXPECT_EQ(shown(field_type::altitude, 3, lang::ru), "3\u00A0фута");
  EXPECT_EQ(shown(field_type::altitude, 11, lang::ru), "11\u00A0футов");
  EXPECT_EQ(shown(field_type::altitude, 21, lang::ru), "21\u00A0фут");
  EXPECT_EQ(shown(field_type::speed, 12.5, lang::ru), "12,5\u00A0узла");
  EXPECT_EQ(shown(field_type::speed, 14, lang::ru), "14\u00A0узлов");
  EXPECT_EQ(shown(field_type::speed, 22, lang::ru), "22\u00A0узла");
  EXPECT_EQ(shown(field_type::area, {{"centre", "3730N 12910E"}, {"radius_nm", 1}}, lang::ru),
            "в радиусе 1\u00A0морской мили от точки "
            "37°30′\u00A0с.\u00A0ш. 129°10′\u00A0в.\u00A0д.");
}

TEST(RenderTest, SpeedAndHeading) {
  EXPECT_EQ(shown(field_type::speed, 450, lang::en), "450 kt");
  EXPECT_EQ(shown(field_type::speed, 1200, lang::en), "1,200 kt");
  EXPECT_EQ(shown(field_type::speed, 16, lang::ko), "16노트");
  EXPECT_EQ(shown(field_type::heading, 45, lang::en), "045°");
}

TEST(RenderTest, CoordinatesInEachLanguage) {
  EXPECT_EQ(shown(field_type::position, "3730N 12910E", lang::en), "37°30′N 129°10′E");
  EXPECT_EQ(shown(field_type::position, "3730N 12910E", lang::ko), "북위 37°30′ 동경 129°10′");
  EXPECT_EQ(shown(field_type::position, "3730N 12910E", lang::ru),
            "37°30′\u00A0с.\u00A0ш. 129°10′\u00A0в.\u00A0д.");
  EXPECT_EQ(shown(field_type::position, "333015S 0704000W", lang::en), "33°30′15″S 70°40′W");
  EXPECT_EQ(shown(field_type::position, "3330S 07040W", lang::ko), "남위 33°30′ 서경 70°40′");
}

TEST(RenderTest, TimeInUtcAndTheReadersZone) {
  const char* t = "2026-11-22T03:00:00Z";
  EXPECT_EQ(shown(field_type::datetime, t, lang::en, "Asia/Seoul"),
            "2026-11-22 03:00 UTC (12:00 KST)");
  EXPECT_EQ(shown(field_type::datetime, t, lang::en, "Asia/Vladivostok"),
            "2026-11-22 03:00 UTC (13:00 VLAT)");
  EXPECT_EQ(shown(field_type::datetime, t, lang::en, "UTC"), "2026-11-22 03:00 UTC");
  EXPECT_EQ(shown(field_type::datetime, t, lang::en, "Europe/Moscow"), "2026-11-22 03:00 UTC");
  EXPECT_EQ(shown(field_type::datetime, t, lang::ko, "Asia/Seoul"),
            "2026-11-22 03:00 UTC (한국 시간 12:00)");
  EXPECT_EQ(shown(field_type::datetime, t, lang::ru, "Asia/Vladivostok"),
            "2026-11-22 03:00 UTC (13:00 по владивостокскому времени)");
  // Past 15:00 UTC it is already the next day in Seoul.
  EXPECT_EQ(shown(field_type::datetime, "2026-11-22T20:30:15Z", lang::en, "Asia/Seoul"),
            "2026-11-22 20:30:15 UTC (2026-11-23 05:30:15 KST)");
}

TEST(RenderTest, WindowsInUtcAndTheReadersZone) {
  const json same_day{{"start", "2026-11-22T03:00:00Z"}, {"end", "2026-11-22T07:00:00Z"}};
  EXPECT_EQ(shown(field_type::time_window, same_day, lang::en, "Asia/Seoul"),
            "2026-11-22 03:00–07:00 UTC (12:00–16:00 KST)");
  EXPECT_EQ(shown(field_type::time_window, same_day, lang::ko, "Asia/Seoul"),
            "2026-11-22 03:00~07:00 UTC (한국 시간 12:00~16:00)");
  const json overnight{{"start", "2026-11-22T13:00:00Z"}, {"end", "2026-11-22T16:00:00Z"}};
  EXPECT_EQ(shown(field_type::time_window, overnight, lang::en, "Asia/Vladivostok"),
            "2026-11-22 13:00–16:00 UTC (2026-11-22 23:00 – 2026-11-23 02:00 VLAT)");
  const json two_days{{"start", "2026-11-22T20:00:00Z"}, {"end", "2026-11-23T02:00:00Z"}};
  EXPECT_EQ(shown(field_type::time_window, two_days, lang::en, "UTC"),
            "2026-11-22 20:00 – 2026-11-23 02:00 UTC");
}

TEST(RenderTest, EnumShowsItsLabelAndTextStaysAsWritten) {
  EXPECT_EQ(shown(field_type::enumeration, "yes", lang::ru), "Yes (ru)");
  EXPECT_EQ(shown(field_type::text, "Привет", lang::en), "Привет");
}

TEST(RenderTest, AbsentOptionalFieldDropsItsLine) {
  const form& f = *repo_catalog().find("AIR-FLIGHT-NOTICE");
  json fields = validated_example(f);
  fields.erase("remarks");
  const std::string text = render(f, fields, {lang::en, "UTC"});
  EXPECT_EQ(text.find("Remarks:"), std::string::npos);
  EXPECT_NE(text.find("Purpose: training flight\n"), std::string::npos);
}

TEST(RenderTest, MisshapenValueIsShownNotThrown) {
  const form f = one_field_form(field_type::position);
  const std::string text = render(f, json{{"value", 42}}, {lang::en, "UTC"});
  EXPECT_EQ(text, "Test\n42\n");
}

TEST(SummaryTest, TitleAndSummaryFields) {
  const form& f = *repo_catalog().find("AIR-FLIGHT-NOTICE");
  EXPECT_EQ(summary(f, validated_example(f), lang::en),
            "Prior notice of military flight — RFF7701; 2026-11-22 06:00 UTC");
  EXPECT_EQ(summary(f, validated_example(f), lang::ko),
            "군용기 비행 사전 통보 — RFF7701; 2026-11-22 06:00 UTC");
}

TEST(SummaryTest, LongSummaryIsCut) {
  const form& f = *repo_catalog().find("FREE-TEXT");
  const std::string text = summary(f, json{{"text", std::string(500, 'x')}}, lang::en);
  EXPECT_TRUE(text.ends_with("x…"));
  // "—" and "…" are three bytes each and one character each.
  EXPECT_EQ(text.size(), summary_chars_max + 4);
  const std::string short_text = summary(f, json{{"text", "Received."}}, lang::en);
  EXPECT_EQ(short_text, "Free text — Received.");
}

}  // namespace
}  // namespace hotline::forms

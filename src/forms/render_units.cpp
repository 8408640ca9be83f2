// Numbers, units and coordinates as each language writes them.
#include <cmath>
#include <cstdio>
#include <string>

#include "forms/geo.hpp"
#include "forms/render_value.hpp"

namespace hotline::forms::detail {

namespace {

// Russian separates thousands with a narrow no-break space and a number from its unit with a
// no-break space, so neither is ever split across lines.
constexpr std::string_view ru_group = "\u202F";
constexpr std::string_view nbsp = "\u00A0";

// The Russian noun form after a number: 1, 21 фут; 2..4, 22 фута; 5..20, 25 футов; and after a
// fraction (2,5 фута) the `fraction` form.
struct ru_forms {
  std::string_view one;
  std::string_view few;
  std::string_view many;
  std::string_view fraction;
};

std::string_view ru_noun(double value, const ru_forms& forms) {
  if (value != std::floor(value)) {
    return forms.fraction;
  }
  const auto n = static_cast<long long>(std::fabs(value));
  if (n % 10 == 1 && n % 100 != 11) {
    return forms.one;
  }
  if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14)) {
    return forms.few;
  }
  return forms.many;
}

std::string group_digits(const std::string& digits, lang l) {
  // Russian leaves four-digit numbers whole (2500) and groups from five digits (25 000).
  const std::size_t min_grouped = l == lang::ru ? 5 : 4;
  if (digits.size() < min_grouped) {
    return digits;
  }
  const std::string_view separator = l == lang::ru ? ru_group : ",";
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += separator;
    }
    out += digits[i];
  }
  return out;
}

// One coordinate as degrees and minutes, with seconds only when there are any: 37°30′, 37°30′15″.
std::string degrees_text(const dms& d) {
  char buffer[32];
  if (d.seconds == 0) {
    std::snprintf(buffer, sizeof buffer, "%d\u00B0%02d\u2032", d.degrees, d.minutes);
  } else {
    std::snprintf(buffer, sizeof buffer, "%d\u00B0%02d\u2032%02d\u2033", d.degrees, d.minutes,
                  d.seconds);
  }
  return buffer;
}

}  // namespace

std::string format_number(double value, lang l, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, std::fabs(value));
  std::string text = buffer;
  std::string fraction;
  if (const std::size_t dot = text.find('.'); dot != std::string::npos) {
    fraction = text.substr(dot + 1);
    text.resize(dot);
    while (!fraction.empty() && fraction.back() == '0') {
      fraction.pop_back();
    }
  }
  std::string out = (value < 0 && (text != "0" || !fraction.empty())) ? "-" : "";
  out += group_digits(text, l);
  if (!fraction.empty()) {
    out += (l == lang::ru ? "," : ".") + fraction;
  }
  return out;
}

std::string format_feet(double feet, lang l) {
  const std::string number = format_number(feet, l);
  switch (l) {
    case lang::ko:
      return number + "피트";
    case lang::ru:
      return number + std::string(nbsp) +
             std::string(ru_noun(feet, {"фут", "фута", "футов", "фута"}));
    case lang::en:
      break;
  }
  return number + " ft";
}

std::string format_knots(double knots, lang l) {
  const std::string number = format_number(knots, l, 1);
  switch (l) {
    case lang::ko:
      return number + "노트";
    case lang::ru:
      return number + std::string(nbsp) +
             std::string(ru_noun(knots, {"узел", "узла", "узлов", "узла"}));
    case lang::en:
      break;
  }
  return number + " kt";
}

std::string format_position(const nlohmann::json& p, lang l) {
  const dms lat = to_dms(p.at("lat").get<double>());
  const dms lon = to_dms(p.at("lon").get<double>());
  const std::string lat_text = degrees_text(lat);
  const std::string lon_text = degrees_text(lon);
  switch (l) {
    case lang::ko:
      return std::string(lat.negative ? "남위 " : "북위 ") + lat_text +
             (lon.negative ? " 서경 " : " 동경 ") + lon_text;
    case lang::ru:
      return lat_text + std::string(nbsp) + (lat.negative ? "ю.\u00A0ш. " : "с.\u00A0ш. ") +
             lon_text + std::string(nbsp) + (lon.negative ? "з.\u00A0д." : "в.\u00A0д.");
    case lang::en:
      break;
  }
  return lat_text + (lat.negative ? "S " : "N ") + lon_text + (lon.negative ? "W" : "E");
}

std::string format_radius(double nm, lang l) {
  const std::string number = format_number(nm, l, 1);
  switch (l) {
    case lang::ko:
      return number + "해리";
    case lang::ru:
      // Genitive, as the radius follows "в радиусе": 1 морской мили, 5 морских миль.
      return number + std::string(nbsp) +
             std::string(
                 ru_noun(nm, {"морской мили", "морских миль", "морских миль", "морской мили"}));
    case lang::en:
      break;
  }
  return number + " NM";
}

}  // namespace hotline::forms::detail

#include "forms/messages.hpp"

#include <array>

namespace hotline::forms {

namespace {

// One row per rule, in the order of `rule`; columns are ko, ru, en (the order of `lang`).
using row = std::array<std::string_view, 3>;
constexpr std::array<row, rule_count> table{{
    {"필드는 JSON 객체여야 합니다", "поля должны быть объектом JSON",
     "the fields must be a JSON object"},
    {"알 수 없는 필드입니다: {0}", "неизвестное поле: {0}", "unknown field: {0}"},
    {"필수 항목이 누락되었습니다", "не заполнено обязательное поле", "required field is missing"},
    {"문자열이어야 합니다", "должно быть строкой", "must be a string"},
    {"숫자여야 합니다", "должно быть числом", "must be a number"},
    {"정수여야 합니다", "должно быть целым числом", "must be a whole number"},
    {"JSON 객체여야 합니다", "должно быть объектом JSON", "must be a JSON object"},
    {"목록이어야 합니다", "должно быть списком", "must be a list"},
    {"시각은 RFC 3339 형식의 UTC로 입력해야 합니다(예: 2026-11-21T03:12:00Z)",
     "время должно быть указано в UTC в формате RFC 3339, например 2026-11-21T03:12:00Z",
     "time must be UTC in RFC 3339 form, e.g. 2026-11-21T03:12:00Z"},
    {"종료 시각은 시작 시각보다 늦어야 합니다", "время окончания должно быть позже времени начала",
     "the end must be after the start"},
    {"최소 {0}시간 전에 사전 통보해야 합니다",
     "уведомление должно быть направлено не менее чем за {0} ч до события",
     "notice must be given at least {0} hours before the event"},
    {"위치는 37°30'N 129°10'E, 3730N 12910E 또는 {\"lat\":37.5,\"lon\":129.1667} 형식이어야 "
     "합니다",
     "координаты должны быть записаны в виде 37°30'N 129°10'E, 3730N 12910E или "
     "{\"lat\":37.5,\"lon\":129.1667}",
     "position must be written like 37°30'N 129°10'E, 3730N 12910E or "
     "{\"lat\":37.5,\"lon\":129.1667}"},
    {"위도는 -90과 90 사이여야 합니다", "широта должна быть от -90 до 90",
     "latitude must be between -90 and 90"},
    {"경도는 -180과 180 사이여야 합니다", "долгота должна быть от -180 до 180",
     "longitude must be between -180 and 180"},
    {"각도의 분과 초는 60 미만이어야 합니다", "угловые минуты и секунды должны быть меньше 60",
     "minutes and seconds of arc must be below 60"},
    {"구역은 다각형 {\"points\": [...]} 또는 원 {\"centre\": ..., \"radius_nm\": ...}이어야 합니다",
     "район должен быть задан многоугольником {\"points\": [...]} или кругом "
     "{\"centre\": ..., \"radius_nm\": ...}",
     "area must be a polygon {\"points\": [...]} or a circle {\"centre\": ..., \"radius_nm\": "
     "...}"},
    {"다각형은 {0}~{1}개의 점으로 이루어져야 합니다",
     "многоугольник должен иметь от {0} до {1} вершин", "a polygon needs {0} to {1} points"},
    {"반경은 0해리보다 크고 {0}해리 이하여야 합니다",
     "радиус должен быть больше 0 и не больше {0} морских миль",
     "radius must be more than 0 and at most {0} NM"},
    {"항로는 {0}~{1}개의 지점으로 이루어져야 합니다",
     "маршрут должен содержать от {0} до {1} точек", "a route needs {0} to {1} points"},
    {"고도는 피트(25000) 또는 비행고도(FL250)로 입력해야 합니다",
     "высота должна быть указана в футах (25000) или эшелоном (FL250)",
     "altitude must be in feet (25000) or a flight level (FL250)"},
    {"고도는 {0}~{1}피트 사이여야 합니다", "высота должна быть от {0} до {1} футов",
     "altitude must be between {0} and {1} ft"},
    {"방위는 0~359도 사이의 정수여야 합니다", "курс должен быть целым числом градусов от 0 до 359",
     "heading must be a whole number of degrees from 0 to 359"},
    {"속도는 {0}~{1}노트 사이여야 합니다", "скорость должна быть от {0} до {1} узлов",
     "speed must be between {0} and {1} knots"},
    {"호출부호는 영문 대문자(A–Z)와 숫자로 된 2~12자여야 합니다",
     "позывной должен состоять из 2–12 латинских букв (A–Z) и цифр",
     "call sign must be 2 to 12 letters (A–Z) and digits"},
    {"텍스트가 올바른 UTF-8이 아닙니다", "текст не является корректным UTF-8",
     "text is not valid UTF-8"},
    {"텍스트에 제어 문자를 포함할 수 없습니다", "текст не должен содержать управляющих символов",
     "text must not contain control characters"},
    {"텍스트는 {0}자 이하여야 합니다", "текст должен быть не длиннее {0} символов",
     "text must be at most {0} characters"},
    {"FLASH 및 IMMEDIATE 전문은 {0}단어 이하여야 합니다(현재 {1}단어)",
     "текст сообщений FLASH и IMMEDIATE ограничен {0} словами (сейчас {1})",
     "FLASH and IMMEDIATE text is limited to {0} words (this has {1})"},
    {"{0}~{1} 사이의 정수여야 합니다", "должно быть целым числом от {0} до {1}",
     "must be a whole number from {0} to {1}"},
    {"다음 중 하나여야 합니다: {0}", "должно быть одним из значений: {0}", "must be one of: {0}"},
    {"메시지 ID(영문자, 숫자, '-', '_', '.', ':'로 된 1~64자)여야 합니다",
     "должно быть идентификатором сообщения (1–64 латинских букв, цифр, '-', '_', '.' или ':')",
     "must be a message id (1 to 64 letters, digits, '-', '_', '.' or ':')"},
}};

}  // namespace

std::string rule_message(rule r, lang l, const std::vector<std::string>& args) {
  const std::string_view pattern = table[static_cast<std::size_t>(r)][static_cast<std::size_t>(l)];
  std::string out;
  out.reserve(pattern.size() + 16);
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    // Placeholders are "{0}".."{9}"; any other brace (as in the JSON examples) is literal.
    const bool placeholder = pattern[i] == '{' && i + 2 < pattern.size() && pattern[i + 1] >= '0' &&
                             pattern[i + 1] <= '9' && pattern[i + 2] == '}';
    if (!placeholder) {
      out += pattern[i];
      continue;
    }
    const auto index = static_cast<std::size_t>(pattern[i + 1] - '0');
    if (index < args.size()) {
      out += args[index];
    }
    i += 2;
  }
  return out;
}

}  // namespace hotline::forms

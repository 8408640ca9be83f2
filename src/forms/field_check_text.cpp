// Free text: the one field type a person types in their own language.
#include <cstdint>
#include <string>

#include "forms/field_check.hpp"

namespace hotline::forms::detail {

namespace {

// The code point at `s[i]`, advancing `i`; -1 for bytes that are not UTF-8 (overlong forms,
// surrogates and values past U+10FFFF included).
std::int32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  // The lead byte gives the number of continuation bytes and the smallest code point that needs
  // that many; anything smaller is an overlong form.
  std::size_t extra = 3;
  std::int32_t cp = lead & 0x07;
  std::int32_t least = 0x10000;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
    least = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
    least = 0x800;
  } else if ((lead & 0xF8) != 0xF0) {
    return -1;
  }
  if (i + extra >= s.size()) {
    return -1;
  }
  for (std::size_t k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return -1;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  i += extra + 1;
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  return (cp < least || cp > 0x10FFFF || surrogate) ? -1 : cp;
}

bool is_control(std::int32_t cp) {
  const bool allowed = cp == '\n' || cp == '\t';
  return !allowed && (cp < 0x20 || (cp >= 0x7F && cp < 0xA0));
}

}  // namespace

checked check_text(const field& f, const nlohmann::json& value) {
  if (!value.is_string()) {
    return std::unexpected(check_error{rule::expect_string, {}, {}});
  }
  const std::string& text = value.get_ref<const std::string&>();
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++chars) {
    const std::int32_t cp = next_code_point(text, i);
    if (cp < 0) {
      return std::unexpected(check_error{rule::text_utf8, {}, {}});
    }
    if (is_control(cp)) {
      return std::unexpected(check_error{rule::text_control, {}, {}});
    }
  }
  if (chars > f.max_length) {
    return std::unexpected(check_error{rule::text_length, {}, {std::to_string(f.max_length)}});
  }
  return value;
}

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    words += (!space && !in_word) ? 1 : 0;
    in_word = !space;
  }
  return words;
}

}  // namespace hotline::forms::detail

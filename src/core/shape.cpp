#include "core/shape.hpp"

#include <algorithm>
#include <cstdint>

#include "core/limits.hpp"

namespace hotline::shape {
namespace {

template <class Pred>
bool all_of_bounded(std::string_view text, std::size_t bytes_max, Pred ok) {
  return !text.empty() && text.size() <= bytes_max && std::ranges::all_of(text, ok);
}

bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }

}  // namespace

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      extra = 1, cp = b & 0x1Fu;
    } else if ((b & 0xF0) == 0xE0) {
      extra = 2, cp = b & 0x0Fu;
    } else if ((b & 0xF8) == 0xF0) {
      extra = 3, cp = b & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    constexpr std::uint32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string_view utf8_prefix(std::string_view text, std::size_t bytes_max) {
  if (text.size() <= bytes_max) return text;
  std::size_t end = bytes_max;
  // Back off over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

bool valid_agreement_id(std::string_view id, std::size_t bytes_max) {
  return all_of_bounded(id, bytes_max, [](char c) { return lower_or_digit(c) || c == '-'; });
}

bool valid_message_id(std::string_view id) {
  return all_of_bounded(id, limits::message_id_bytes_max, [](char c) {
    return lower_or_digit(c) || upper(c) || c == '-' || c == '_';
  });
}

bool valid_form_id(std::string_view id) {
  return all_of_bounded(id, limits::form_id_bytes_max, [](char c) {
    return upper(c) || (c >= '0' && c <= '9') || c == '-';
  });
}

bool valid_caveat_value(std::string_view value) {
  return value.empty() || all_of_bounded(value, limits::caveat_value_bytes_max, [](char c) {
           return lower_or_digit(c) || c == '-' || c == ',';
         });
}

}  // namespace hotline::shape

#include "forms/render.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "forms/render_value.hpp"
#include "forms/utc_time.hpp"

namespace hotline::forms {

namespace {

// The value as the reader sees it; a value not in normalized shape shows as its JSON text, so a
// caller's mistake is visible rather than fatal.
std::string shown(const field& f, const nlohmann::json& value, lang l, const reader_zone& zone) {
  try {
    return detail::render_value(f, value, l, zone);
  } catch (const nlohmann::json::exception&) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

// One template line with its placeholders filled, or nullopt when it names an absent field.
std::optional<std::string> fill_line(const form& f, std::string_view line,
                                     const nlohmann::json& values, lang l,
                                     const reader_zone& zone) {
  std::string out;
  std::size_t from = 0;
  while (from < line.size()) {
    const std::size_t open = line.find('{', from);
    const std::size_t close = open == std::string_view::npos ? open : line.find('}', open);
    if (close == std::string_view::npos) {
      break;
    }
    out.append(line.substr(from, open - from));
    // Invariant: the catalog loader checked that every placeholder names a field of the form.
    const std::string name(line.substr(open + 1, close - open - 1));
    const field* spec = f.find_field(name);
    const auto it = values.find(name);
    if (spec == nullptr || it == values.end() || it->is_null()) {
      return std::nullopt;
    }
    out += shown(*spec, *it, l, zone);
    from = close + 1;
  }
  out.append(line.substr(std::min(from, line.size())));
  return out;
}

// At most `chars_max` code points; a cut text ends with an ellipsis, which counts as one of them.
std::string truncated(std::string text, std::size_t chars_max) {
  const auto starts_char = [&](std::size_t i) {
    return (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  };
  std::size_t chars = 0;
  std::size_t cut = text.size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (starts_char(i)) {
      ++chars;
      cut = chars == chars_max ? i : cut;
    }
  }
  if (chars <= chars_max) {
    return text;
  }
  text.resize(cut);
  return text + "\u2026";
}

}  // namespace

std::string render(const form& f, const nlohmann::json& normalized, const render_context& ctx) {
  const reader_zone* zone = find_reader_zone(ctx.reader_timezone);
  const reader_zone& shown_zone = zone != nullptr ? *zone : *find_reader_zone("UTC");
  const nlohmann::json values = normalized.is_object() ? normalized : nlohmann::json::object();
  std::string out = f.title.in(ctx.lang) + "\n";
  std::string_view text = f.template_text.in(ctx.lang);
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (auto filled = fill_line(f, line, values, ctx.lang, shown_zone)) {
      out += *filled + "\n";
    }
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return out;
}

std::string summary(const form& f, const nlohmann::json& normalized, lang l) {
  const reader_zone& utc = *find_reader_zone("UTC");
  std::string out = f.title.in(l);
  std::string details;
  for (const std::string& name : f.summary_fields) {
    const field* spec = f.find_field(name);
    if (spec == nullptr || !normalized.is_object() || !normalized.contains(name)) {
      continue;
    }
    details += (details.empty() ? "" : "; ") + shown(*spec, normalized[name], l, utc);
  }
  if (!details.empty()) {
    out += " \u2014 " + details;
  }
  return truncated(std::move(out), summary_chars_max);
}

}  // namespace hotline::forms

// The agreement's policies: acknowledgement deadlines, the link test schedule and the form
// catalog. Each table is optional; absent values keep the allied defaults.
#include <algorithm>
#include <array>
#include <string_view>

#include "config/agreement.hpp"
#include "config/toml_util.hpp"

namespace hotline::config::detail {
namespace {

constexpr std::int64_t deadline_minutes_max = 7 * 24 * 60;
constexpr std::int64_t urgent_words_max_limit = 10'000;
constexpr std::size_t link_test_times_max = 48;

result<void> read_minutes(const toml::table& t, std::string_view key, std::int64_t lo,
                          std::int64_t hi, std::string_view prefix, std::int64_t& out) {
  auto v = optional_integer(t, prefix, key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return {};
  if (**v < lo || **v > hi) {
    return invalid(std::string(prefix) + "." + std::string(key),
                   "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  out = **v;
  return {};
}

result<void> parse_deadlines(const toml::table& root, agreement& out) {
  auto table = optional_table(root, "", "deadlines");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  static constexpr std::array<std::string_view, 4> keys{"flash_minutes", "immediate_minutes",
                                                        "priority_minutes", "routine_minutes"};
  if (auto ok = check_keys(t, "deadlines",
                           {keys[0], keys[1], keys[2], keys[3], "urgent_words_max"});
      !ok) {
    return ok;
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (auto ok = read_minutes(t, keys[i], 1, deadline_minutes_max, "deadlines",
                               out.deadlines.minutes[i]);
        !ok) {
      return ok;
    }
  }
  return read_minutes(t, "urgent_words_max", 1, urgent_words_max_limit, "deadlines",
                      out.deadlines.urgent_words_max);
}

bool valid_clock_time(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (std::size_t i : {0u, 1u, 3u, 4u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int h = (s[0] - '0') * 10 + (s[1] - '0');
  int m = (s[3] - '0') * 10 + (s[4] - '0');
  return h < 24 && m < 60;
}

result<void> parse_link_tests(const toml::table& root, agreement& out) {
  auto table = optional_table(root, "", "link_tests");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = check_keys(t, "link_tests",
                           {"times", "timezone", "every_minutes", "answer_within_minutes"});
      !ok) {
    return ok;
  }
  auto times = optional_string_array(t, "link_tests", "times");
  if (!times) return std::unexpected(times.error());
  if (*times) {
    if ((*times)->size() > link_test_times_max) return invalid("link_tests.times", "has too many times");
    for (const auto& s : **times) {
      if (!valid_clock_time(s)) return invalid("link_tests.times", "must hold times as \"HH:MM\"");
    }
    out.link_tests.times = **times;
  }
  auto tz = optional_string(t, "link_tests", "timezone");
  if (!tz) return std::unexpected(tz.error());
  if (*tz) out.link_tests.timezone = **tz;
  if (auto ok = read_minutes(t, "every_minutes", 1, 24 * 60, "link_tests",
                             out.link_tests.every_minutes);
      !ok) {
    return ok;
  }
  return read_minutes(t, "answer_within_minutes", 1, 24 * 60, "link_tests",
                      out.link_tests.answer_within_minutes);
}

result<void> parse_forms(const toml::table& root, agreement& out) {
  auto table = optional_table(root, "", "forms");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = check_keys(t, "forms", {"catalog", "version", "sha256"}); !ok) return ok;
  for (auto [key, dest] : {std::pair{"catalog", &out.forms.catalog},
                           std::pair{"version", &out.forms.version},
                           std::pair{"sha256", &out.forms.sha256}}) {
    auto v = optional_string(t, "forms", key);
    if (!v) return std::unexpected(v.error());
    if (*v) *dest = **v;
  }
  if (!out.forms.sha256.empty() && !valid_lower_hex64(out.forms.sha256)) {
    return invalid("forms.sha256", "must be 64 lowercase hex digits");
  }
  return {};
}

}  // namespace

result<void> parse_policies(const toml::table& root, agreement& out) {
  if (auto ok = parse_deadlines(root, out); !ok) return ok;
  if (auto ok = parse_link_tests(root, out); !ok) return ok;
  return parse_forms(root, out);
}

}  // namespace hotline::config::detail

#include "core/label.hpp"

#include <algorithm>
#include <charconv>

#include "core/limits.hpp"
#include "core/shape.hpp"

namespace hotline::labels {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::optional<std::int64_t> parse_ms(std::string_view text) {
  if (text.empty() || text.size() > 16 || text.front() == '0') return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

result<void> check_value(const policy& p, const caveat_def& def, const caveat& c,
                         const std::string& field) {
  switch (def.kind) {
    case caveat_kind::embargo:
      if (!parse_ms(c.value)) {
        return fail(errc::invalid_argument,
                    "caveat '" + c.id + "' needs the instant the embargo lifts", field);
      }
      return {};
    case caveat_kind::releasable_to: {
      if (c.value.empty()) {
        return fail(errc::invalid_argument,
                    "caveat '" + c.id + "' needs at least one organisation", field);
      }
      std::string_view prev;
      for (std::string_view org : split(c.value, ',')) {
        if (p.find_organisation(org) == nullptr) {
          return fail(errc::invalid_argument,
                      "caveat '" + c.id + "' names organisation '" + std::string(org) +
                          "', which the agreement does not define",
                      field);
        }
        if (!prev.empty() && org <= prev) {
          return fail(errc::invalid_argument,
                      "caveat '" + c.id + "' must name each organisation once, in order", field);
        }
        prev = org;
      }
      return {};
    }
    case caveat_kind::no_forward:
      if (!c.value.empty()) {
        return fail(errc::invalid_argument, "caveat '" + c.id + "' takes no value", field);
      }
      return {};
  }
  return {};
}

}  // namespace

std::string_view to_string(caveat_kind k) {
  switch (k) {
    case caveat_kind::embargo: return "embargo";
    case caveat_kind::releasable_to: return "releasable-to";
    case caveat_kind::no_forward: return "no-forward";
  }
  return "no-forward";
}

std::optional<caveat_kind> parse_caveat_kind(std::string_view text) {
  if (text == "embargo") return caveat_kind::embargo;
  if (text == "releasable-to") return caveat_kind::releasable_to;
  if (text == "no-forward") return caveat_kind::no_forward;
  return std::nullopt;
}

std::string to_text(const label& l) {
  std::string out = l.marking;
  for (const auto& c : l.caveats) {
    out += '/';
    out += c.id;
    if (!c.value.empty()) out += '=' + c.value;
  }
  return out;
}

std::optional<label> parse_text(std::string_view text) {
  label l;
  if (text.empty()) return l;
  auto parts = split(text, '/');
  l.marking = std::string(parts[0]);
  if (!shape::valid_agreement_id(l.marking, limits::station_id_bytes_max)) return std::nullopt;
  if (parts.size() - 1 > limits::label_caveats_max) return std::nullopt;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    caveat c{std::string(parts[i].substr(0, eq)),
             eq == std::string_view::npos ? std::string() : std::string(parts[i].substr(eq + 1))};
    if (!shape::valid_agreement_id(c.id, limits::station_id_bytes_max)) return std::nullopt;
    if (eq != std::string_view::npos && !shape::valid_caveat_value(c.value)) return std::nullopt;
    l.caveats.push_back(std::move(c));
  }
  return l;
}

std::string name_in(const names& n, std::string_view lang, const std::string& id) {
  for (std::string_view l : {lang, std::string_view("en")}) {
    if (auto it = n.find(l); it != n.end()) return it->second;
  }
  return n.empty() ? id : n.begin()->second;
}

std::vector<std::string> organisation_ids(std::string_view value) {
  std::vector<std::string> out;
  if (value.empty()) return out;
  for (std::string_view id : split(value, ',')) out.emplace_back(id);
  return out;
}

std::size_t weight_bytes(const label& l) {
  std::size_t n = l.marking.size();
  for (const auto& c : l.caveats) n += 4 + c.id.size() + c.value.size();
  return n;
}

const scheme* policy::scheme_of(std::string_view station) const {
  for (const auto& s : schemes) {
    if (std::ranges::find(s.stations, station) != s.stations.end()) return &s;
  }
  return nullptr;
}

const marking_def* policy::find_marking(std::string_view id) const {
  for (const auto& m : markings) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

const caveat_def* policy::find_caveat(std::string_view id) const {
  for (const auto& c : caveats) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const organisation* policy::find_organisation(std::string_view id) const {
  for (const auto& o : organisations) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

bool policy::within_ceiling(std::string_view marking) const {
  const marking_def* m = find_marking(marking);
  if (m == nullptr) return false;
  for (const auto& s : schemes) {
    if (s.id != m->scheme) continue;
    const marking_def* ceiling = find_marking(s.ceiling);
    return ceiling != nullptr && m->rank <= ceiling->rank;
  }
  return false;
}

std::string policy::local_marking(std::string_view reader, std::string_view marking) const {
  const scheme* own = scheme_of(reader);
  const marking_def* m = find_marking(marking);
  if (own == nullptr || m == nullptr) return {};
  if (m->scheme == own->id) return m->id;
  for (const auto& [a, b] : equivalences) {
    if (a == marking && find_marking(b) != nullptr && find_marking(b)->scheme == own->id) return b;
    if (b == marking && find_marking(a) != nullptr && find_marking(a)->scheme == own->id) return a;
  }
  return {};
}

label policy::default_for(std::string_view station, std::string_view form) const {
  const scheme* s = scheme_of(station);
  if (s == nullptr) return {};
  auto it = s->form_defaults.find(form);
  return label{it == s->form_defaults.end() ? s->default_marking : it->second, {}};
}

result<void> check(const policy& p, std::string_view sender, const label& l) {
  if (!p.defined()) {
    if (l.empty()) return {};
    return fail(errc::invalid_argument, "the agreement defines no handling labels",
                "label.marking");
  }
  const scheme* own = p.scheme_of(sender);
  if (own == nullptr) {
    return fail(errc::invalid_argument,
                "the agreement gives station '" + std::string(sender) + "' no markings",
                "label.marking");
  }
  const marking_def* m = p.find_marking(l.marking);
  if (m == nullptr || m->scheme != own->id) {
    return fail(errc::invalid_argument,
                l.marking.empty() ? std::string("a message must carry a marking")
                                  : "marking '" + l.marking + "' is not one of " + own->id +
                                        "'s markings in the agreement",
                "label.marking");
  }
  if (!p.within_ceiling(l.marking)) {
    return fail(errc::invalid_argument,
                "marking '" + l.marking + "' is above the ceiling the agreement sets for a "
                "hotline ('" + own->ceiling + "'); it may not be sent",
                "label.marking");
  }
  if (l.caveats.size() > limits::label_caveats_max) {
    return fail(errc::invalid_argument,
                "at most " + std::to_string(limits::label_caveats_max) + " caveats",
                "label.caveats");
  }
  for (std::size_t i = 0; i < l.caveats.size(); ++i) {
    const caveat& c = l.caveats[i];
    const std::string field = "label.caveats[" + std::to_string(i) + "]";
    const caveat_def* def = p.find_caveat(c.id);
    if (def == nullptr) {
      return fail(errc::invalid_argument,
                  "caveat '" + c.id + "' is not one the agreement defines", field);
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (l.caveats[k].id == c.id) {
        return fail(errc::invalid_argument, "caveat '" + c.id + "' is given twice", field);
      }
    }
    if (auto ok = check_value(p, *def, c, field); !ok) return ok;
  }
  return {};
}

std::optional<std::int64_t> embargo_until_ms(const policy& p, const label& l) {
  for (const auto& c : l.caveats) {
    const caveat_def* def = p.find_caveat(c.id);
    if (def != nullptr && def->kind == caveat_kind::embargo) return parse_ms(c.value);
  }
  return std::nullopt;
}

std::optional<std::int64_t> embargo_value_ms(std::string_view value) { return parse_ms(value); }

std::string policy::lowest_marking(std::string_view station) const {
  const scheme* s = scheme_of(station);
  return s == nullptr || s->markings.empty() ? std::string{} : s->markings.front();
}

bool policy::valid_clearance(std::string_view station, std::string_view clearance) const {
  if (clearance.empty()) return true;
  const scheme* s = scheme_of(station);
  const marking_def* m = find_marking(clearance);
  return s != nullptr && m != nullptr && m->scheme == s->id;
}

std::string policy::effective_clearance(std::string_view station,
                                        std::string_view clearance) const {
  if (!clearance.empty() && valid_clearance(station, clearance)) return std::string(clearance);
  return lowest_marking(station);
}

bool policy::cleared_for(std::string_view station, std::string_view clearance,
                         const label& l) const {
  if (!defined() || l.marking.empty()) return true;
  const marking_def* held = find_marking(effective_clearance(station, clearance));
  const marking_def* needed = find_marking(local_marking(station, l.marking));
  return held != nullptr && needed != nullptr && needed->rank <= held->rank;
}

}  // namespace hotline::labels

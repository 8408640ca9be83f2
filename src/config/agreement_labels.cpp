// The agreement's [labels] table: each side's markings, the equivalences both accepted, the
// caveats and the organisations a message may be released to (docs/agreement.md, "Handling
// labels"). Absent: the agreement defines no labels and messages carry none.
#include <algorithm>
#include <set>
#include <string_view>

#include "config/agreement.hpp"
#include "config/toml_util.hpp"
#include "core/limits.hpp"
#include "core/shape.hpp"

namespace hotline::config::detail {
namespace {

constexpr std::size_t schemes_max = 8;
constexpr std::size_t markings_per_scheme_max = 16;
constexpr std::size_t caveats_max = 16;
constexpr std::size_t organisations_max = 64;
constexpr std::size_t name_bytes_max = 128;

bool known_language(std::string_view l) { return l == "ko" || l == "ru" || l == "en"; }

// A `names` table: language -> name, holding at least every language in `required`.
result<labels::names> parse_names(const toml::table& t, const std::string& prefix,
                                  const std::set<std::string>& required) {
  auto table = optional_table(t, prefix, "names");
  if (!table) return std::unexpected(table.error());
  const std::string field = field_name(prefix, "names");
  if (*table == nullptr) return invalid(field, "is required");
  labels::names out;
  for (const auto& [key, node] : **table) {
    const std::string k{key.str()};
    if (!known_language(k)) return invalid(field_name(field, k), "is not a language (ko, ru, en)");
    const auto* s = node.as_string();
    if (s == nullptr || s->get().empty() || s->get().size() > name_bytes_max) {
      return invalid(field_name(field, k),
                     "must be a name of 1 to " + std::to_string(name_bytes_max) + " bytes");
    }
    out.emplace(k, s->get());
  }
  for (const auto& lang : required) {
    if (!out.contains(lang)) return invalid(field, "must give the name in '" + lang + "'");
  }
  return out;
}

result<std::string> parse_label_id(const toml::table& t, const std::string& prefix) {
  auto id = required_string(t, prefix, "id");
  if (!id) return std::unexpected(id.error());
  if (!valid_id(*id, limits::station_id_bytes_max)) {
    return invalid(field_name(prefix, "id"), "must be 1 to 64 characters of [a-z0-9-]");
  }
  return *id;
}

std::set<std::string> languages_of(const agreement& a) {
  std::set<std::string> out;
  for (const auto& s : a.stations) out.insert(s.language);
  return out;
}

result<void> parse_markings(const toml::table& t, const std::string& prefix,
                            labels::scheme& s, labels::policy& p) {
  auto array = optional_table_array(t, prefix, "markings");
  if (!array) return std::unexpected(array.error());
  const std::string field = field_name(prefix, "markings");
  if (*array == nullptr || (*array)->empty() || (*array)->size() > markings_per_scheme_max) {
    return invalid(field, "must list 1 to " + std::to_string(markings_per_scheme_max) +
                              " markings, lowest first");
  }
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const auto& mt = *(**array)[i].as_table();
    const std::string mp = field + "[" + std::to_string(i) + "]";
    if (auto ok = check_keys(mt, mp, {"id", "names"}); !ok) return ok;
    auto id = parse_label_id(mt, mp);
    if (!id) return std::unexpected(id.error());
    if (p.find_marking(*id) != nullptr) return invalid(mp + ".id", "repeats marking '" + *id + "'");
    auto names = parse_names(mt, mp, {s.language});
    if (!names) return std::unexpected(names.error());
    p.markings.push_back({*id, s.id, static_cast<int>(i), std::move(*names)});
    s.markings.push_back(*id);
  }
  return {};
}

// A marking named by key `key` of scheme `s` that a hotline may carry.
result<std::string> sendable_marking(const toml::table& t, const std::string& prefix,
                                     std::string_view key, const labels::scheme& s,
                                     const labels::policy& p) {
  auto v = required_string(t, prefix, key);
  if (!v) return std::unexpected(v.error());
  if (std::ranges::find(s.markings, *v) == s.markings.end()) {
    return invalid(field_name(prefix, key), "must be one of the scheme's markings");
  }
  if (!s.ceiling.empty() && !p.within_ceiling(*v)) {
    return invalid(field_name(prefix, key), "is above the scheme's ceiling");
  }
  return *v;
}

result<void> parse_form_defaults(const toml::table& t, const std::string& prefix,
                                 labels::scheme& s, const labels::policy& p) {
  auto table = optional_table(t, prefix, "form_defaults");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const std::string field = field_name(prefix, "form_defaults");
  for (const auto& [key, node] : **table) {
    const std::string form{key.str()};
    if (!shape::valid_form_id(form)) return invalid(field_name(field, form), "is not a form id");
    auto m = sendable_marking(**table, field, form, s, p);
    if (!m) return std::unexpected(m.error());
    s.form_defaults.emplace(form, *m);
  }
  return {};
}

result<void> parse_scheme(const toml::table& t, const std::string& prefix, const agreement& a,
                          labels::policy& p) {
  if (auto ok = check_keys(t, prefix,
                           {"id", "stations", "markings", "ceiling", "default", "form_defaults"});
      !ok) {
    return ok;
  }
  labels::scheme s;
  auto id = parse_label_id(t, prefix);
  if (!id) return std::unexpected(id.error());
  s.id = *id;
  for (const auto& other : p.schemes) {
    if (other.id == s.id) return invalid(prefix + ".id", "repeats scheme '" + s.id + "'");
  }
  auto stations = optional_string_array(t, prefix, "stations");
  if (!stations) return std::unexpected(stations.error());
  if (!*stations || (*stations)->empty()) return invalid(prefix + ".stations", "must name stations");
  for (const auto& st : **stations) {
    const station_entry* e = a.find_station(st);
    if (e == nullptr) return invalid(prefix + ".stations", "names unknown station '" + st + "'");
    if (p.scheme_of(st) != nullptr || std::ranges::find(s.stations, st) != s.stations.end()) {
      return invalid(prefix + ".stations", "names station '" + st + "', already in a scheme");
    }
    if (!s.language.empty() && e->language != s.language) {
      return invalid(prefix + ".stations", "must name stations of one language");
    }
    s.language = e->language;
    s.stations.push_back(st);
  }
  if (auto ok = parse_markings(t, prefix, s, p); !ok) return ok;
  p.schemes.push_back(s);  // the ceiling checks below look the scheme up
  auto ceiling = sendable_marking(t, prefix, "ceiling", s, p);
  if (!ceiling) return std::unexpected(ceiling.error());
  p.schemes.back().ceiling = s.ceiling = *ceiling;
  auto def = sendable_marking(t, prefix, "default", s, p);
  if (!def) return std::unexpected(def.error());
  s.default_marking = *def;
  if (auto ok = parse_form_defaults(t, prefix, s, p); !ok) return ok;
  p.schemes.back() = std::move(s);
  return {};
}

result<void> parse_equivalences(const toml::table& t, labels::policy& p) {
  auto array = optional_table_array(t, "labels", "equivalences");
  if (!array) return std::unexpected(array.error());
  if (*array == nullptr) return {};
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const auto& et = *(**array)[i].as_table();
    const std::string prefix = "labels.equivalences[" + std::to_string(i) + "]";
    if (auto ok = check_keys(et, prefix, {"markings"}); !ok) return ok;
    auto pair = optional_string_array(et, prefix, "markings");
    if (!pair) return std::unexpected(pair.error());
    const std::string field = prefix + ".markings";
    if (!*pair || (*pair)->size() != 2) return invalid(field, "must name two markings");
    const auto* a = p.find_marking((**pair)[0]);
    const auto* b = p.find_marking((**pair)[1]);
    if (a == nullptr || b == nullptr) return invalid(field, "names a marking no scheme declares");
    if (a->scheme == b->scheme) return invalid(field, "must pair markings of two schemes");
    if (!p.within_ceiling(a->id) || !p.within_ceiling(b->id)) {
      return invalid(field, "names a marking above its scheme's ceiling");
    }
    for (const auto& [x, y] : p.equivalences) {
      const auto* px = p.find_marking(x);
      const auto* py = p.find_marking(y);
      const bool same_schemes = (px->scheme == a->scheme && py->scheme == b->scheme) ||
                                (px->scheme == b->scheme && py->scheme == a->scheme);
      if (!same_schemes) continue;
      const auto* xa = px->scheme == a->scheme ? px : py;  // the earlier pair's side of a
      const auto* xb = px->scheme == a->scheme ? py : px;
      if (xa == a || xb == b) return invalid(field, "pairs a marking that is already paired");
      if ((xa->rank < a->rank) != (xb->rank < b->rank)) {
        return invalid(field, "must keep the order of both schemes (a higher marking pairs "
                              "with a higher marking)");
      }
    }
    p.equivalences.emplace_back(a->id, b->id);
  }
  return {};
}

// Every marking a station may send has an equivalent its peer on each channel can show.
result<void> check_channels_covered(const agreement& a, const labels::policy& p) {
  for (const auto& c : a.channels) {
    for (int side = 0; side < 2; ++side) {
      const auto* from = p.scheme_of(c.stations[side]);
      const std::string& reader = c.stations[1 - side];
      for (const auto& m : from->markings) {
        if (!p.within_ceiling(m) || !p.local_marking(reader, m).empty()) continue;
        return invalid("labels.equivalences", "must pair marking '" + m + "' with one of " +
                                                  p.scheme_of(reader)->id +
                                                  "'s, for channel '" + c.id + "'");
      }
    }
  }
  return {};
}

template <class Def, class Add>
result<void> parse_named_list(const toml::table& t, std::string_view key, std::size_t max,
                              const std::set<std::string>& languages,
                              std::initializer_list<std::string_view> keys, Add add) {
  auto array = optional_table_array(t, "labels", key);
  if (!array) return std::unexpected(array.error());
  if (*array == nullptr) return {};
  const std::string field = field_name("labels", key);
  if ((*array)->size() > max) return invalid(field, "has more than " + std::to_string(max));
  std::set<std::string> seen;
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const auto& et = *(**array)[i].as_table();
    const std::string prefix = field + "[" + std::to_string(i) + "]";
    if (auto ok = check_keys(et, prefix, keys); !ok) return ok;
    auto id = parse_label_id(et, prefix);
    if (!id) return std::unexpected(id.error());
    if (!seen.insert(*id).second) return invalid(prefix + ".id", "repeats '" + *id + "'");
    auto names = parse_names(et, prefix, languages);
    if (!names) return std::unexpected(names.error());
    Def d;
    d.id = *id;
    d.name = std::move(*names);
    if (auto ok = add(et, prefix, std::move(d)); !ok) return ok;
  }
  return {};
}

}  // namespace

result<void> parse_labels(const toml::table& root, agreement& out) {
  auto table = optional_table(root, "", "labels");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = check_keys(t, "labels", {"schemes", "equivalences", "caveats", "organisations"});
      !ok) {
    return ok;
  }
  labels::policy p;
  auto schemes = optional_table_array(t, "labels", "schemes");
  if (!schemes) return std::unexpected(schemes.error());
  if (*schemes == nullptr || (*schemes)->empty() || (*schemes)->size() > schemes_max) {
    return invalid("labels.schemes", "must declare 1 to " + std::to_string(schemes_max) +
                                         " schemes, one for each side");
  }
  for (std::size_t i = 0; i < (*schemes)->size(); ++i) {
    const std::string prefix = "labels.schemes[" + std::to_string(i) + "]";
    if (auto ok = parse_scheme(*(**schemes)[i].as_table(), prefix, out, p); !ok) return ok;
  }
  for (const auto& s : out.stations) {
    if (p.scheme_of(s.id) == nullptr) {
      return invalid("labels.schemes", "must give station '" + s.id + "' a scheme");
    }
  }
  if (auto ok = parse_equivalences(t, p); !ok) return ok;
  if (auto ok = check_channels_covered(out, p); !ok) return ok;
  const auto languages = languages_of(out);
  auto caveats = parse_named_list<labels::caveat_def>(
      t, "caveats", caveats_max, languages, {"id", "kind", "names"},
      [&](const toml::table& ct, const std::string& prefix, labels::caveat_def d) -> result<void> {
        auto kind = required_string(ct, prefix, "kind");
        if (!kind) return std::unexpected(kind.error());
        auto k = labels::parse_caveat_kind(*kind);
        if (!k) return invalid(prefix + ".kind", "must be embargo, releasable-to or no-forward");
        d.kind = *k;
        p.caveats.push_back(std::move(d));
        return {};
      });
  if (!caveats) return caveats;
  auto orgs = parse_named_list<labels::organisation>(
      t, "organisations", organisations_max, languages, {"id", "names"},
      [&](const toml::table&, const std::string&, labels::organisation o) -> result<void> {
        p.organisations.push_back(std::move(o));
        return {};
      });
  if (!orgs) return orgs;
  const bool releasable = std::ranges::any_of(p.caveats, [](const auto& c) {
    return c.kind == labels::caveat_kind::releasable_to;
  });
  if (releasable && p.organisations.empty()) {
    return invalid("labels.organisations", "must list the organisations a releasable-to caveat "
                                           "may name");
  }
  out.labels = std::move(p);
  return {};
}

}  // namespace hotline::config::detail

#include "api/label_json.hpp"

#include <algorithm>

#include "core/limits.hpp"
#include "core/shape.hpp"
#include "forms/utc_time.hpp"

namespace hotline::api {
namespace {

using json = nlohmann::json;

constexpr std::size_t organisations_per_caveat_max = 64;

std::string language_of(const labels::policy& p, std::string_view station) {
  const labels::scheme* s = p.scheme_of(station);
  return s != nullptr ? s->language : "en";
}

json names_json(const labels::names& n) {
  json out = json::object();
  for (const auto& [lang, name] : n) out[lang] = name;
  return out;
}

json caveat_json(const labels::caveat& c, const labels::policy& p, std::string_view lang) {
  json j{{"id", c.id}};
  const labels::caveat_def* def = p.find_caveat(c.id);
  if (def == nullptr) {
    j["value"] = c.value;
    return j;
  }
  j["kind"] = std::string(labels::to_string(def->kind));
  j["name"] = labels::name_in(def->name, lang, def->id);
  if (def->kind == labels::caveat_kind::embargo) {
    auto until = labels::embargo_value_ms(c.value);
    j["until"] = until ? json(forms::format_rfc3339(*until)) : json(nullptr);
  } else if (def->kind == labels::caveat_kind::releasable_to) {
    j["to"] = labels::organisation_ids(c.value);
  }
  return j;
}

std::unexpected<error> bad(std::string field, std::string message) {
  return fail(errc::invalid_argument, std::move(message), std::move(field));
}

result<labels::caveat> parse_caveat(const json& j, const std::string& field) {
  if (!j.is_object()) return bad(field, field + " must be an object");
  for (const auto& [key, v] : j.items()) {
    if (key != "id" && key != "until" && key != "to") {
      return bad(field + "." + key, "unknown field \"" + key + "\" in a caveat");
    }
  }
  auto id = j.find("id");
  if (id == j.end() || !id->is_string() ||
      !shape::valid_agreement_id(id->get_ref<const std::string&>(), limits::station_id_bytes_max)) {
    return bad(field + ".id", field + ".id must be a caveat id");
  }
  labels::caveat c{id->get<std::string>(), {}};
  if (j.contains("until") && j.contains("to")) {
    return bad(field, "a caveat takes either until or to");
  }
  if (auto u = j.find("until"); u != j.end()) {
    auto ms = u->is_string() ? forms::parse_rfc3339(u->get_ref<const std::string&>())
                             : std::nullopt;
    if (!ms) return bad(field + ".until", field + ".until must be an RFC 3339 instant");
    c.value = std::to_string(*ms);
  }
  if (auto t = j.find("to"); t != j.end()) {
    if (!t->is_array() || t->empty() || t->size() > organisations_per_caveat_max) {
      return bad(field + ".to", field + ".to must list 1 to " +
                                    std::to_string(organisations_per_caveat_max) +
                                    " organisation ids");
    }
    std::vector<std::string> ids;
    for (const auto& o : *t) {
      if (!o.is_string() ||
          !shape::valid_agreement_id(o.get_ref<const std::string&>(), limits::station_id_bytes_max)) {
        return bad(field + ".to", field + ".to must hold organisation ids");
      }
      ids.push_back(o.get<std::string>());
    }
    std::ranges::sort(ids);
    for (const auto& o : ids) c.value += (c.value.empty() ? "" : ",") + o;
    if (!shape::valid_caveat_value(c.value)) return bad(field + ".to", field + ".to is too long");
  }
  return c;
}

}  // namespace

json label_json(const labels::label& l, const labels::policy& p, std::string_view reader) {
  if (l.empty()) return nullptr;
  const std::string lang = language_of(p, reader);
  std::string local = p.local_marking(reader, l.marking);
  const labels::marking_def* def = p.find_marking(local.empty() ? l.marking : local);
  json caveats = json::array();
  for (const auto& c : l.caveats) caveats.push_back(caveat_json(c, p, lang));
  json j{{"marking", l.marking},
         {"local_marking", local.empty() ? json(nullptr) : json(local)},
         {"name", def != nullptr ? labels::name_in(def->name, lang, def->id) : l.marking},
         {"caveats", std::move(caveats)}};
  if (auto until = labels::embargo_until_ms(p, l)) {
    j["embargoed_until"] = forms::format_rfc3339(*until);
  }
  return j;
}

json labels_json(const labels::policy& p, std::string_view station) {
  const labels::scheme* own = p.scheme_of(station);
  if (own == nullptr) {
    return {{"defined", false}, {"markings", json::array()}, {"caveats", json::array()},
            {"organisations", json::array()}};
  }
  const std::string& lang = own->language;
  json markings = json::array();
  for (const auto& id : own->markings) {
    const labels::marking_def* m = p.find_marking(id);
    std::string equivalent;
    for (const auto& [a, b] : p.equivalences) {
      if (a == id) equivalent = b;
      if (b == id) equivalent = a;
    }
    markings.push_back({{"id", id},
                        {"name", labels::name_in(m->name, lang, id)},
                        {"names", names_json(m->name)},
                        {"rank", m->rank},
                        {"sendable", p.within_ceiling(id)},
                        {"equivalent", equivalent.empty() ? json(nullptr) : json(equivalent)}});
  }
  json caveats = json::array();
  for (const auto& c : p.caveats) {
    caveats.push_back({{"id", c.id},
                       {"kind", std::string(labels::to_string(c.kind))},
                       {"name", labels::name_in(c.name, lang, c.id)},
                       {"names", names_json(c.name)}});
  }
  json orgs = json::array();
  for (const auto& o : p.organisations) {
    orgs.push_back({{"id", o.id}, {"name", labels::name_in(o.name, lang, o.id)}, {"names", names_json(o.name)}});
  }
  json defaults = json::object();
  for (const auto& [form, marking] : own->form_defaults) defaults[form] = marking;
  return {{"defined", true},          {"scheme", own->id},         {"language", lang},
          {"ceiling", own->ceiling},  {"default", own->default_marking},
          {"markings", std::move(markings)}, {"caveats", std::move(caveats)},
          {"organisations", std::move(orgs)}, {"form_defaults", std::move(defaults)}};
}

json clearance_json(const labels::policy& p, std::string_view station,
                    std::string_view clearance, std::string_view lang) {
  if (!p.defined()) return nullptr;
  const std::string id = p.effective_clearance(station, clearance);
  const labels::marking_def* m = p.find_marking(id);
  if (m == nullptr) return nullptr;
  const labels::scheme* own = p.scheme_of(station);
  return {{"id", id},
          {"name", labels::name_in(m->name, lang.empty() && own ? own->language : lang, id)}};
}

result<labels::label> parse_label(const json& j) {
  if (!j.is_object()) return bad("label", "label must be an object with a marking");
  for (const auto& [key, v] : j.items()) {
    if (key != "marking" && key != "caveats") {
      return bad("label." + key, "unknown field \"" + key + "\" in label");
    }
  }
  auto marking = j.find("marking");
  if (marking == j.end() || !marking->is_string() ||
      !shape::valid_agreement_id(marking->get_ref<const std::string&>(),
                                 limits::station_id_bytes_max)) {
    return bad("label.marking", "label.marking must be a marking id");
  }
  labels::label l{marking->get<std::string>(), {}};
  auto caveats = j.find("caveats");
  if (caveats == j.end()) return l;
  if (!caveats->is_array() || caveats->size() > limits::label_caveats_max) {
    return bad("label.caveats", "label.caveats must be a list of at most " +
                                    std::to_string(limits::label_caveats_max) + " caveats");
  }
  for (std::size_t i = 0; i < caveats->size(); ++i) {
    auto c = parse_caveat((*caveats)[i], "label.caveats[" + std::to_string(i) + "]");
    if (!c) return std::unexpected(c.error());
    l.caveats.push_back(std::move(*c));
  }
  return l;
}

}  // namespace hotline::api

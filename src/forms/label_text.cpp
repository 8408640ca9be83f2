#include "forms/label_text.hpp"

#include "forms/utc_time.hpp"

namespace hotline::forms {
namespace {

std::string caveat_text(const labels::policy& p, std::string_view lang, const labels::caveat& c) {
  const labels::caveat_def* def = p.find_caveat(c.id);
  if (def == nullptr) return c.id + (c.value.empty() ? "" : "=" + c.value);
  std::string out = labels::name_in(def->name, lang, def->id);
  switch (def->kind) {
    case labels::caveat_kind::embargo: {
      auto until = labels::embargo_value_ms(c.value);
      out += " " + (until ? format_rfc3339(*until) : c.value);
      break;
    }
    case labels::caveat_kind::releasable_to: {
      std::string orgs;
      for (const auto& id : labels::organisation_ids(c.value)) {
        const labels::organisation* o = p.find_organisation(id);
        orgs += (orgs.empty() ? "" : ", ") + (o != nullptr ? labels::name_in(o->name, lang, id) : id);
      }
      out += " " + orgs;
      break;
    }
    case labels::caveat_kind::no_forward: break;
  }
  return out;
}

}  // namespace

std::string describe_label(const labels::policy& p, std::string_view reader,
                           const labels::label& l) {
  if (l.empty()) return "unlabelled";
  const labels::scheme* own = p.scheme_of(reader);
  const std::string lang = own != nullptr ? own->language : "en";
  std::string marking = p.local_marking(reader, l.marking);
  if (marking.empty()) marking = l.marking;
  const labels::marking_def* def = p.find_marking(marking);
  std::string out = (def != nullptr ? labels::name_in(def->name, lang, marking) : marking) + " [" +
                    marking + "]";
  std::string caveats;
  for (const auto& c : l.caveats) caveats += (caveats.empty() ? "" : "; ") + caveat_text(p, lang, c);
  return caveats.empty() ? out : out + " (" + caveats + ")";
}

result<void> check_release(const labels::policy& p, const labels::label& l, std::int64_t now_ms,
                           std::string_view id) {
  const auto until = labels::embargo_until_ms(p, l);
  if (!until || *until <= now_ms) return {};
  return fail(errc::conflict, "message " + std::string(id) + " is under embargo until " +
                                  format_rfc3339(*until) +
                                  "; its evidence may be exported after that",
              "label.caveats");
}

}  // namespace hotline::forms

#include "api/clearance.hpp"

namespace hotline::api {
namespace {

// A marking's name in the station's own language, or its id.
std::string marking_name(const station::service& s, const std::string& id) {
  const labels::policy& p = s.label_policy();
  const labels::marking_def* m = p.find_marking(id);
  const labels::scheme* own = p.scheme_of(s.station_id());
  if (m == nullptr) return id;
  return labels::name_in(m->name, own ? own->language : "en", id) + " [" + id + "]";
}

}  // namespace

bool cleared(const station::service& s, std::string_view clearance, const labels::label& l) {
  return s.label_policy().cleared_for(s.station_id(), clearance, l);
}

result<void> check_cleared(const station::service& s, const principal& who,
                           const labels::label& l) {
  if (cleared(s, who.clearance, l)) return {};
  const labels::policy& p = s.label_policy();
  const std::string station = s.station_id();
  const std::string held = p.effective_clearance(station, who.clearance);
  std::string marking = p.local_marking(station, l.marking);
  if (marking.empty()) marking = l.marking;  // no equivalent here: refused, named as sent
  return fail(errc::refused,
              "the message is marked " + marking_name(s, marking) +
                  ", above the clearance of " + who.name + " (" + marking_name(s, held) + ")",
              "label");
}

result<void> check_cleared(station::service& s, const principal& who, const std::string& id) {
  auto found = s.get(id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(errc::not_found, "no message with id " + id, "id");
  return check_cleared(s, who, (*found)->msg.label);
}

}  // namespace hotline::api

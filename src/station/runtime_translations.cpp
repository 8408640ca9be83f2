// The runtime's translations (service.hpp): the desk's rules on the store's connection, and an
// event to the consoles after each write so that every open detail page shows the new state.
#include <spdlog/spdlog.h>

#include "station/runtime.hpp"
#include "station/translation_desk.hpp"

namespace hotline::station {

result<storage::translation> runtime::translate(const translation_request& req) {
  if (!translations_) return fail(errc::unavailable, "this station keeps no translations");
  auto m = store_.get(req.message_id);
  if (!m) return std::unexpected(m.error());
  auto added = attach_translation(*translations_, *m, req, wall_ms());
  if (!added) return added;
  spdlog::info("translation {} ({}) of {} attached by {}", added->id, added->lang, req.message_id,
               req.by);
  publish({service_event::kind::message, **m});
  return added;
}

result<storage::translation> runtime::review_translation(const review_request& req) {
  if (!translations_) return fail(errc::unavailable, "this station keeps no translations");
  auto m = store_.get(req.message_id);
  if (!m) return std::unexpected(m.error());
  auto reviewed = station::review_translation(*translations_, *m, req, wall_ms());
  if (!reviewed) return reviewed;
  spdlog::info("translation {} of {} {} by {}", reviewed->id, req.message_id,
               storage::to_string(reviewed->state), req.by);
  publish({service_event::kind::message, **m});
  return reviewed;
}

result<std::vector<storage::translation>> runtime::translations(const std::string& message_id) {
  if (!translations_) return std::vector<storage::translation>{};
  return translations_->of_message(message_id);
}

}  // namespace hotline::station

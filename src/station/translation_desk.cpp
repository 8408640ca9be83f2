#include "station/translation_desk.hpp"

namespace hotline::station {
namespace {

result<void> check_message(const std::optional<storage::stored_message>& m, const std::string& id) {
  if (!m) return fail(errc::not_found, "no message with id " + id, "id");
  // The sender reads its own words; translations are for the side that received them.
  if (m->direction != storage::box::in) {
    return fail(errc::invalid_argument, "only received messages are translated here", "id");
  }
  return {};
}

}  // namespace

result<storage::translation> attach_translation(storage::translations& store,
                                                const std::optional<storage::stored_message>& m,
                                                const translation_request& req,
                                                std::int64_t now_ms) {
  if (auto ok = check_message(m, req.message_id); !ok) return std::unexpected(ok.error());
  storage::translation t;
  t.message_id = req.message_id;
  t.lang = req.lang;
  t.text = req.text;
  t.translator = req.by;
  t.created_at_ms = now_ms;
  return store.add(t);
}

result<storage::translation> review_translation(storage::translations& store,
                                                const std::optional<storage::stored_message>& m,
                                                const review_request& req, std::int64_t now_ms) {
  if (!m) return fail(errc::not_found, "no message with id " + req.message_id, "id");
  return store.apply({req.translation_id, req.message_id, req.by, req.approve, req.note, now_ms});
}

}  // namespace hotline::station

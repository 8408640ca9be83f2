// Translation routes: the receiving station's translations of a message, and the supervisor's
// review that certifies or rejects one (docs/translations.md). Internal to src/api; runs on the
// server's io_context thread. Who may call which is the route table's (router.hpp), which also
// hands these their ids already checked; the rule that nobody reviews their own translation is
// the store's.
#pragma once

#include <cstdint>
#include <string>

#include "api/access.hpp"
#include "api/json.hpp"
#include "api/session.hpp"

namespace hotline::api {

// GET /api/v1/messages/{id}/translations: {"translations": [...]}, oldest first. These three
// refuse a caller below the message's marking (api/clearance.hpp).
http_response list_translations(station::service& service, const http_request& req,
                                const std::string& message_id, const principal& who);

// POST /api/v1/messages/{id}/translations {lang, text}: 201 with the pending translation.
http_response attach_translation(station::service& service, const http_request& req,
                                 const std::string& message_id, const principal& who);

// POST /api/v1/messages/{id}/translations/{tid}/review {approve, note?}: 200 with the reviewed
// translation.
http_response review_translation(station::service& service, const http_request& req,
                                 const std::string& message_id, std::int64_t translation_id,
                                 const principal& who);

// Adds "translations" (oldest first) to the JSON of message `id`; callers do so for received
// messages a reader is cleared for only. A store failure is logged and leaves the key out rather than hiding the message.
void add_translations(station::service& service, const std::string& id, json& out);

}  // namespace hotline::api

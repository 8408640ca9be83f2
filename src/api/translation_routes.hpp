// Translation routes: the receiving station's translations of a message, and the supervisor's
// review that certifies or rejects one (docs/translations.md). Internal to src/api; runs on the
// server's io_context thread. Who may call which is the permission table's (access.cpp); the
// rule that nobody reviews their own translation is the store's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/access.hpp"
#include "api/json.hpp"
#include "api/session.hpp"

namespace hotline::api {

// Answers the routes under /api/v1/messages/{id}/translations:
//   GET  .../translations                  {"translations": [...]}
//   POST .../translations {lang, text}     201 with the pending translation
//   POST .../translations/{tid}/review {approve, note?}  200 with the reviewed translation
// nullopt when `path` is not one of them.
std::optional<http_response> route_translations(station::service& service, const http_request& req,
                                                std::string_view path, const principal& who);

// Adds "translations" (oldest first) to the JSON of message `id`; callers do so for received
// messages only. A store failure is logged and leaves the key out rather than hiding the message.
void add_translations(station::service& service, const std::string& id, json& out);

}  // namespace hotline::api

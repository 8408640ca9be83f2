// Form routes: the catalog, previews, rendering in the reader's language, and acknowledgements.
// Internal to src/api; runs on the server's io_context thread.
#pragma once

#include <string>

#include "api/access.hpp"
#include "api/json.hpp"
#include "api/session.hpp"
#include "api/target.hpp"

namespace hotline::api {

// GET /api/v1/forms?lang=: every form with its labels in `lang` and an example valid now.
http_response list_forms(station::service& service, const http_request& req,
                         const request_target& t);

// POST /api/v1/forms/{id}/preview {"fields", "lang", "precedence"?}: validates the fields and
// renders exactly what a reader of `lang` will see, or names the field that is wrong.
http_response preview_form(station::service& service, const http_request& req,
                           const std::string& form_id);

// Adds "rendered" and "summary" in `lang` to a message's JSON (GET /api/v1/messages/{id}?lang=).
void add_rendering(station::service& service, const storage::stored_message& m,
                   std::string_view lang, json& out);

// POST /api/v1/messages/{id}/ack {"answer"?}: acknowledges a received message as `who`, when
// `who` is cleared for it (api/clearance.hpp).
asio::awaitable<http_response> acknowledge_message(station::service& service,
                                                   const http_request& req, const std::string& id,
                                                   const principal& who);

}  // namespace hotline::api

// Journal routes: the station's journal for auditors, its verification, and evidence bundles.
// Internal to src/api; runs on the server's io_context thread.
#pragma once

#include <string>

#include "api/access.hpp"
#include "api/json.hpp"
#include "api/session.hpp"
#include "api/target.hpp"
#include "station/service.hpp"

namespace hotline::api {

// GET /api/v1/journal?kind=&q=&before_seq=&limit=: entries newest first, and the head's seq.
http_response list_journal(station::service& service, const http_request& req,
                           const request_target& t);

// POST /api/v1/journal/verify: checks the whole journal now, off the I/O thread; the report says
// what it found. 409 while another verification is running.
asio::awaitable<http_response> verify_journal(station::service& service, const http_request& req);

// GET /api/v1/messages/{id}/evidence: the message's evidence bundle, as a download; refused
// (403) to a caller below the message's marking (api/clearance.hpp).
http_response message_evidence(station::service& service, const http_request& req,
                               const std::string& id, const principal& who);

}  // namespace hotline::api

// Post routes: POST /api/v1/messages, for one message (an object) or a batch (an array). Internal
// to src/api; runs on the server's io_context thread.
//
// Every message, alone or in a batch, passes the same checks (its shape, the poster's clearance,
// then the station's own: the channel, the form's fields, the label) and is acknowledged only once
// it is committed to the station's disk. A batch's messages are handed to the station together,
// in the array's order, so that they share its group commits; the answer is 200 with one result
// per message, at its index: {"status": 201, "message": {...}} or {"status": 4xx|5xx, "error":
// {...}}. A message that fails does not stop the others.
//
// Exactly once: with an Idempotency-Key K, one message is keyed K, and message i of a batch
// "K#i", so that a retried request, even after a restart, gets its first results again and stores
// nothing new (station::post_request::idempotency_key).
#pragma once

#include "api/access.hpp"
#include "api/session.hpp"

namespace hotline::api {

asio::awaitable<http_response> create_message(server_state& state, const http_request& req,
                                              const principal& who);

}  // namespace hotline::api

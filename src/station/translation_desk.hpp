// Translation desk: the station's rules for translations, between the service and the
// translations store. A translation is attached only to a message this station received, and
// reviewed only in the message it was attached to; the store checks the rest (text, language,
// reviewer apart from translator, one review). Pure apart from the store it is handed;
// not thread-safe, like that store.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "station/service.hpp"
#include "storage/store.hpp"
#include "storage/translations.hpp"

namespace hotline::station {

// Attaches `req` to `m`, the message `req.message_id` names (nullopt: not found), at `now_ms`.
// errc::not_found (field id) for no message; errc::invalid_argument (field id) for one this
// station sent; otherwise what translations::add returns.
result<storage::translation> attach_translation(storage::translations& store,
                                                const std::optional<storage::stored_message>& m,
                                                const translation_request& req,
                                                std::int64_t now_ms);

// Applies `req` to a translation of `m` at `now_ms`. errc::not_found (field id) for no message;
// otherwise what translations::apply returns.
result<storage::translation> review_translation(storage::translations& store,
                                                const std::optional<storage::stored_message>& m,
                                                const review_request& req, std::int64_t now_ms);

}  // namespace hotline::station

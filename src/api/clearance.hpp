// Clearance: what a caller may do with a message's content, given the highest marking it is
// cleared for (principal::clearance) and the message's handling label.
//
// A caller below a message's marking, read in this station's own terms, sees that the message
// exists (its envelope: id, channel, times, state, label) but nothing of what it says: not its
// text or fields, not its rendering, not its translations, not its acknowledgement answer, not
// its evidence. It may not acknowledge, translate or review it, and it may not post a message
// above its clearance. The rule itself is labels::policy::cleared_for. Internal to src/api; runs
// on the server's io_context thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "api/access.hpp"
#include "core/error.hpp"
#include "core/label.hpp"
#include "station/service.hpp"

namespace hotline::api {

// Whether a reader cleared to `clearance` may read the content of a message labelled `l`.
bool cleared(const station::service& s, std::string_view clearance, const labels::label& l);

// Nothing when `who` is cleared for `l`; else errc::refused (403) with field "label", naming
// the message's marking and the caller's clearance in the station's language.
result<void> check_cleared(const station::service& s, const principal& who,
                           const labels::label& l);

// The same for the stored message `id`: errc::not_found when there is none, the store's error
// when it cannot be read.
result<void> check_cleared(station::service& s, const principal& who, const std::string& id);

}  // namespace hotline::api

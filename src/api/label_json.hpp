// Label JSON: how the API spells a message's handling label and the agreement's label policy
// (docs/api.md, "Handling labels"), and how it reads the label a client posts.
//
// A label is shown to a reader in the reader's own terms: `marking` is the sender's marking id,
// `local_marking` and `name` the reading station's equivalent and its name in that station's
// language. Caveats carry their kind and parameter: `until` (RFC 3339 UTC) for an embargo, `to`
// (organisation ids) for releasable-to. Pure functions; never throw; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "core/label.hpp"

namespace hotline::api {

// null for the empty label; else {"marking", "local_marking", "name", "caveats": [...],
// "embargoed_until"?}.
nlohmann::json label_json(const labels::label& l, const labels::policy& p, std::string_view reader);

// GET /api/v1/labels: {"defined", "scheme", "language", "ceiling", "default", "markings": [{"id",
// "name", "names", "rank", "sendable", "equivalent"}], "caveats": [{"id", "kind", "name",
// "names"}], "organisations": [{"id", "name", "names"}], "form_defaults": {form: marking}}.
nlohmann::json labels_json(const labels::policy& p, std::string_view station);

// A reader's clearance (principal::clearance; "" for the lowest) at station `station`: null with
// no policy, else {"id", "name"} of the marking it is cleared to, named in `lang`.
nlohmann::json clearance_json(const labels::policy& p, std::string_view station,
                              std::string_view clearance, std::string_view lang);

// The "label" member of a post: {"marking": ID, "caveats": [{"id": ID, "until"?: RFC 3339,
// "to"?: [ID, ...]}]}. Shapes only, each error naming its field ("label.caveats[0].until");
// whether the agreement defines the label is the station's check.
result<labels::label> parse_label(const nlohmann::json& j);

}  // namespace hotline::api

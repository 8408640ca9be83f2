// The API's OpenAPI 3.1 description, docs/openapi.yaml, as JSON. The build converts the YAML
// (scripts/embed-openapi) into a source file of its own, so the running station serves the
// document it was built with.
#pragma once

#include <string_view>

namespace hotline::api {

std::string_view openapi_json();

}  // namespace hotline::api

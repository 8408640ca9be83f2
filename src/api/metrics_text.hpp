// Metrics text: a station's status and counters in the Prometheus text exposition format
// (version 0.0.4), as GET /metrics serves them. docs/operations.md ("Metrics") lists every
// family; `promtool check metrics` accepts the output (tests/integration/test_metrics.py).
//
// Pure: no I/O. Every label value is escaped as the format requires.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "station/metrics.hpp"
#include "station/service.hpp"

namespace hotline::api {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const station::status_snapshot& status,
                           const station::metrics_snapshot& counted, std::uint64_t login_failures);

}  // namespace hotline::api

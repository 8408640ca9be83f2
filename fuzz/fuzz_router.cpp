// Fuzz target for the API router (src/api/router.hpp).
//
// The input's first byte picks the method, its second the role, and the rest is the request
// target. The router's decision is compared with a reference written here on its own, straight
// from the Roles table of docs/api.md: split the path at every '/', percent-decode each segment,
// compare whole segments. The two must agree on the route (or on there being none, or on the
// methods the path has), on whether the role may call it, and on whether its parameters have
// their shapes. An admitted request must also prove itself: its path splits into exactly the
// route's segments, each literal equal, each parameter non-empty and without '/'. Any
// disagreement aborts, so libFuzzer and the corpus replay (tests/CMakeLists.txt) both report it.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/router.hpp"

namespace {

namespace http = boost::beast::http;
using hotline::api::role;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_router: %s\n", what);
  std::abort();
}

constexpr std::array<http::verb, 10> methods = {
    http::verb::get,     http::verb::head,    http::verb::post,    http::verb::put,
    http::verb::patch,   http::verb::delete_, http::verb::options, http::verb::trace,
    http::verb::connect, http::verb::unknown};
// In the order of the docs table's columns.
constexpr std::array<role, 5> roles = {role::duty_officer, role::translator, role::supervisor,
                                       role::auditor, role::admin};

// The docs' Roles table: method, pattern, and 'y' or 'n' per column.
struct reference_route {
  std::string_view method;
  std::string_view pattern;
  std::string_view roles;
};
constexpr reference_route reference[] = {
    {"GET", "/api/v1/messages", "yyyyy"},
    {"POST", "/api/v1/messages", "ynynn"},
    {"GET", "/api/v1/messages/{id}", "yyyyy"},
    {"POST", "/api/v1/messages/{id}/ack", "ynynn"},
    {"GET", "/api/v1/messages/{id}/translations", "yyyyy"},
    {"POST", "/api/v1/messages/{id}/translations", "nyynn"},
    {"POST", "/api/v1/messages/{id}/translations/{tid}/review", "nnynn"},
    {"GET", "/api/v1/messages/{id}/evidence", "nnyyy"},
    {"GET", "/api/v1/status", "yyyyy"},
    {"GET", "/api/v1/forms", "yyyyy"},
    {"POST", "/api/v1/forms/{form}/preview", "yyyyy"},
    {"GET", "/api/v1/events", "yyyyy"},
    {"GET", "/api/v1/session", "yyyyy"},
    {"POST", "/api/v1/session", "yyyyy"},
    {"DELETE", "/api/v1/session", "yyyyy"},
    {"PATCH", "/api/v1/me", "yyyyy"},
    {"GET", "/api/v1/audit", "nnyyy"},
    {"GET", "/api/v1/journal", "nnyyy"},
    {"POST", "/api/v1/journal/verify", "nnyyy"},
    {"GET", "/api/v1/metrics", "nnnyy"},
    {"GET", "/api/v1/openapi.json", "yyyyy"},
    {"GET", "/api/v1/labels", "yyyyy"},
};

// "a/b//c" -> "a", "b", "", "c"
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0) return std::nullopt;
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}

// The decoded segments of a target's path, or nullopt when it is not "/..." or has a bad escape.
std::optional<std::vector<std::string>> decoded_segments(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::vector<std::string> out;
  for (const std::string_view raw : split(path.substr(1))) {
    auto d = decode(raw);
    if (!d) return std::nullopt;
    out.push_back(std::move(*d));
  }
  return out;
}

bool is_param(std::string_view segment) { return segment.starts_with('{'); }

// The placeholders' values when `pattern` matches `segments`.
std::optional<std::vector<std::string>> fit(std::string_view pattern,
                                            const std::vector<std::string>& segments) {
  const auto want = split(pattern.substr(1));
  if (want.size() != segments.size()) return std::nullopt;
  std::vector<std::string> params;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (is_param(want[i])) {
      if (segments[i].empty()) return std::nullopt;
      params.push_back(segments[i]);
    } else if (want[i] != segments[i]) {
      return std::nullopt;
    }
  }
  return params;
}

struct reference_decision {
  const reference_route* route = nullptr;  // set when the method and path match a row
  std::vector<std::string> params;
  std::set<std::string> allow;  // the path's methods when it matched rows, but not this method
};

reference_decision decide(std::string_view method, std::string_view target) {
  reference_decision out;
  const auto segments = decoded_segments(target);
  if (!segments) return out;
  for (const reference_route& r : reference) {
    auto params = fit(r.pattern, *segments);
    if (!params) continue;
    if (r.method == method) {
      out.route = &r;
      out.params = std::move(*params);
      out.allow.clear();
      return out;
    }
    out.allow.insert(std::string(r.method));
  }
  return out;
}

bool all_of(std::string_view s, std::size_t max, bool (*ok)(char)) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), ok);
}

bool shape_ok(std::string_view name, std::string_view value) {
  if (name == "{id}") {
    return all_of(value, 64, [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    });
  }
  if (name == "{form}") {
    return all_of(value, 64, [](char c) {
      return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
  }
  // {tid}: a positive int64 without leading zeros.
  if (!all_of(value, 19, [](char c) { return c >= '0' && c <= '9'; }) || value[0] == '0') {
    return false;
  }
  return value.size() < 19 || value <= "9223372036854775807";
}

std::set<std::string> split_allow(std::string_view allow) {
  std::set<std::string> out;
  std::size_t count = 0;
  while (!allow.empty()) {
    const auto comma = allow.find(", ");
    out.insert(std::string(allow.substr(0, comma)));
    ++count;
    allow = comma == std::string_view::npos ? std::string_view{} : allow.substr(comma + 2);
  }
  require(out.size() == count, "Allow names a method twice");
  return out;
}

// The router's table is the reference table: same rows, same roles.
void check_tables() {
  const auto table = hotline::api::route_table();
  require(table.size() == std::size(reference), "the route table and the docs differ in size");
  for (const auto& spec : table) {
    const auto* row = std::find_if(std::begin(reference), std::end(reference), [&](const auto& r) {
      return r.pattern == spec.pattern && r.method == http::to_string(spec.method);
    });
    require(row != std::end(reference), "a route is not in the docs table");
    for (std::size_t i = 0; i < roles.size(); ++i) {
      require(hotline::api::allowed(spec.id, roles[i]) == (row->roles[i] == 'y'),
              "a route's roles differ from the docs table");
    }
  }
}

// An admitted request's path is exactly its route's pattern, segment for segment.
void check_admitted(std::string_view pattern, std::string_view target) {
  const auto segments = decoded_segments(target);
  require(segments.has_value(), "an admitted path does not split");
  const auto want = split(pattern.substr(1));
  require(segments->size() == want.size(), "an admitted path has the wrong number of segments");
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::string& got = (*segments)[i];
    if (is_param(want[i])) {
      require(!got.empty() && got.find('/') == std::string::npos, "an admitted parameter is bad");
    } else {
      require(got == want[i], "an admitted literal segment differs");
    }
  }
}

void check_match(const hotline::api::route_match& m, const reference_decision& ref, role who,
                 std::string_view target) {
  const auto& spec = hotline::api::spec_of(m.route);
  require(ref.route != nullptr, "the router found a route the docs table does not have");
  require(spec.pattern == ref.route->pattern && http::to_string(spec.method) == ref.route->method,
          "the router and the docs table found different routes");
  require(m.params == ref.params, "the router and the reference cut different parameters");
  const std::size_t column =
      static_cast<std::size_t>(std::find(roles.begin(), roles.end(), who) - roles.begin());
  const bool may = ref.route->roles[column] == 'y';
  require(hotline::api::allowed(m.route, who) == may, "the router and the docs disagree on a role");
  const auto names = split(spec.pattern.substr(1));
  bool shapes = true;
  std::size_t next = 0;
  for (const std::string_view name : names) {
    if (is_param(name)) shapes = shape_ok(name, ref.params[next++]) && shapes;
  }
  const auto args = hotline::api::route_arguments(m);
  require(args.has_value() == shapes, "the router and the reference disagree on a shape");
  if (!args) {
    require(args.error().code == hotline::errc::not_found, "a bad parameter is not not_found");
    return;
  }
  if (may) check_admitted(spec.pattern, target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool tables_checked = (check_tables(), true);
  (void)tables_checked;
  if (size < 2) return 0;
  const http::verb method = methods[data[0] % methods.size()];
  const role who = roles[data[1] % roles.size()];
  const std::string_view target(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto got = hotline::api::match(method, target);
  const reference_decision ref = decide(http::to_string(method), target);
  if (const auto* m = std::get_if<hotline::api::route_match>(&got)) {
    check_match(*m, ref, who, target);
  } else if (const auto* wrong = std::get_if<hotline::api::wrong_method>(&got)) {
    require(ref.route == nullptr && !ref.allow.empty(), "the router says wrong method; not so");
    require(split_allow(wrong->allow) == ref.allow, "the router and the reference Allow differ");
  } else {
    require(ref.route == nullptr && ref.allow.empty(), "the router found no route; there is one");
  }
  return 0;
}

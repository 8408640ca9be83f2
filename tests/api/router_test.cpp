// The route table and its matcher, without a server: whole-segment matching and its edge cases
// (look-alike prefixes, empty segments, dot segments, percent-encoded slashes), one method per
// route, every route for every role, and the shapes of path parameters.
#include "api/router.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/limits.hpp"

namespace hotline::api {
namespace {

namespace http = boost::beast::http;

constexpr role every_role[] = {role::duty_officer, role::translator, role::supervisor,
                               role::auditor, role::admin};
constexpr http::verb every_method[] = {http::verb::get,    http::verb::head,  http::verb::post,
                                       http::verb::put,    http::verb::patch, http::verb::delete_,
                                       http::verb::options};

std::string describe(const match_result& r) {
  if (const auto* m = std::get_if<route_match>(&r)) {
    std::string out = std::string(spec_of(m->route).pattern) + " with";
    for (const auto& p : m->params) out += " [" + p + "]";
    return out;
  }
  if (const auto* w = std::get_if<wrong_method>(&r)) return "wrong method; allow " + w->allow;
  return "no route";
}

bool is_no_route(http::verb method, std::string_view target) {
  return std::holds_alternative<no_route>(match(method, target));
}

// The route `method` `target` matches; nullopt, failing the test, when it is not `want`.
std::optional<route_match> expect_route(http::verb method, std::string_view target, route_id want) {
  const auto r = match(method, target);
  const auto* m = std::get_if<route_match>(&r);
  if (m != nullptr && m->route == want) return *m;
  ADD_FAILURE() << http::to_string(method) << " " << target << ": " << describe(r);
  return std::nullopt;
}

// Expects `method` `target` to match `want`, with a parameter whose shape names `field`.
void expect_bad_param(http::verb method, std::string_view target, route_id want,
                      const std::string& field) {
  const auto m = expect_route(method, target, want);
  if (!m) return;
  const auto args = route_arguments(*m);
  ASSERT_FALSE(args) << target;
  EXPECT_EQ(args.error().code, errc::not_found) << target;
  EXPECT_EQ(args.error().field, field) << target;
}

std::string allow_of(http::verb method, std::string_view target) {
  const auto r = match(method, target);
  const auto* w = std::get_if<wrong_method>(&r);
  EXPECT_NE(w, nullptr) << http::to_string(method) << " " << target << ": " << describe(r);
  return w != nullptr ? w->allow : std::string{};
}

// The table's pattern with every placeholder filled by a valid value.
std::string concrete(std::string_view pattern) {
  const std::map<std::string, std::string> values = {
      {"{id}", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}, {"{tid}", "7"}, {"{form}", "AIR-NOTICE"}};
  std::string out(pattern);
  for (const auto& [name, value] : values) {
    for (auto at = out.find(name); at != std::string::npos; at = out.find(name)) {
      out.replace(at, name.size(), value);
    }
  }
  return out;
}

TEST(route_table, lists_every_route_once_in_id_order) {
  const auto table = route_table();
  ASSERT_EQ(table.size(), route_count);
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(table[i].id), i);
    EXPECT_EQ(&spec_of(table[i].id), &table[i]);
  }
}

TEST(route_table, no_path_matches_two_patterns) {
  // Two patterns overlap when they have as many segments and each pair of segments is equal or
  // has a placeholder. Patterns that overlap would make the answer depend on the table's order.
  const auto segments = [](std::string_view p) {
    std::vector<std::string> out;
    for (std::size_t at = 1, end = 0; end != std::string_view::npos; at = end + 1) {
      end = p.find('/', at);
      out.emplace_back(p.substr(at, end == std::string_view::npos ? end : end - at));
    }
    return out;
  };
  const auto table = route_table();
  for (std::size_t i = 0; i < table.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (table[i].pattern == table[j].pattern) {
        EXPECT_NE(table[i].method, table[j].method) << table[i].pattern;
        continue;
      }
      const auto a = segments(table[i].pattern);
      const auto b = segments(table[j].pattern);
      bool overlap = a.size() == b.size();
      for (std::size_t k = 0; overlap && k < a.size(); ++k) {
        overlap = a[k] == b[k] || a[k].front() == '{' || b[k].front() == '{';
      }
      EXPECT_FALSE(overlap) << table[i].pattern << " and " << table[j].pattern;
    }
  }
}

TEST(route_table, every_route_matches_its_own_method_and_pattern_only) {
  for (const route_spec& spec : route_table()) {
    const std::string path = concrete(spec.pattern);
    for (const http::verb method : every_method) {
      const auto r = match(method, path);
      if (method == spec.method) {
        const auto* m = std::get_if<route_match>(&r);
        ASSERT_NE(m, nullptr) << path;
        EXPECT_EQ(m->route, spec.id) << path;
        EXPECT_TRUE(route_arguments(*m)) << path;
      } else {
        EXPECT_FALSE(std::holds_alternative<no_route>(r)) << path;
        if (const auto* m = std::get_if<route_match>(&r)) {
          EXPECT_EQ(spec_of(m->route).pattern, spec.pattern) << path;
          EXPECT_EQ(spec_of(m->route).method, method) << path;
        }
      }
    }
  }
}

TEST(route_table, every_route_for_every_role) {
  using enum role;
  const std::set<role> all(std::begin(every_role), std::end(every_role));
  const std::set<role> senders{duty_officer, supervisor};
  const std::set<role> overseers{supervisor, auditor, admin};
  const std::map<route_id, std::set<role>> expected = {
      {route_id::list_messages, all},
      {route_id::post_message, senders},
      {route_id::get_message, all},
      {route_id::acknowledge, senders},
      {route_id::list_translations, all},
      {route_id::attach_translation, {translator, supervisor}},
      {route_id::review_translation, {supervisor}},
      {route_id::evidence, overseers},
      {route_id::status, all},
      {route_id::list_forms, all},
      {route_id::preview_form, all},
      {route_id::events, all},
      {route_id::whoami, all},
      {route_id::sign_in, all},
      {route_id::sign_out, all},
      {route_id::update_me, all},
      {route_id::audit, overseers},
      {route_id::journal, overseers},
      {route_id::verify_journal, overseers},
      {route_id::metrics, {auditor, admin}},
      {route_id::openapi, all},
      {route_id::list_labels, all},
  };
  ASSERT_EQ(expected.size(), route_count);
  for (const auto& [id, roles] : expected) {
    for (const role r : every_role) {
      EXPECT_EQ(allowed(id, r), roles.contains(r))
          << spec_of(id).pattern << " " << http::to_string(spec_of(id).method) << " for "
          << to_string(r);
    }
  }
}

TEST(segments, a_lookalike_prefix_is_no_route) {
  // The red-team paths: a router that matched by prefix and suffix took these for the ack and
  // evidence routes, and cut the id out by position.
  for (const http::verb method : every_method) {
    EXPECT_TRUE(is_no_route(method, "/api/v1/messagesX1/ack"));
    EXPECT_TRUE(is_no_route(method, "/api/v1/messages_1/evidence"));
    EXPECT_TRUE(is_no_route(method, "/api/v1/messages1"));
    EXPECT_TRUE(is_no_route(method, "/api/v1/statusX"));
    EXPECT_TRUE(is_no_route(method, "/api/v1/messages/1/ackX"));
    EXPECT_TRUE(is_no_route(method, "/api/v1/messages/1/xack"));
    EXPECT_TRUE(is_no_route(method, "/api/v1/forms/A/preview/extra"));
    EXPECT_TRUE(is_no_route(method, "/api/v1/journal/verifyX"));
  }
}

TEST(segments, empty_segments_match_nothing) {
  for (const char* target :
       {"//api/v1/status", "/api//v1/status", "/api/v1//status", "/api/v1/status/",
        "/api/v1/messages/", "/api/v1/messages//ack", "/api/v1/messages//translations/1/review",
        "/api/v1/messages/1/translations//review", "/api/v1/forms//preview", "/", "//", ""}) {
    for (const http::verb method : every_method) {
      EXPECT_TRUE(is_no_route(method, target)) << target << ": " << describe(match(method, target));
    }
  }
}

TEST(segments, dot_segments_are_not_resolved_and_fail_the_id_shape) {
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/messages/../status"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/./status"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/journal/../status"));
  // ".." where an id goes is an id, and no id has that shape.
  expect_bad_param(http::verb::get, "/api/v1/messages/..", route_id::get_message, "id");
  expect_bad_param(http::verb::get, "/api/v1/messages/%2E%2E", route_id::get_message, "id");
  expect_bad_param(http::verb::get, "/api/v1/messages/./evidence", route_id::evidence, "id");
  expect_bad_param(http::verb::post, "/api/v1/messages/../ack", route_id::acknowledge, "id");
  expect_bad_param(http::verb::post, "/api/v1/messages/1/translations/../review",
                   route_id::review_translation, "tid");
  expect_bad_param(http::verb::post, "/api/v1/forms/../preview", route_id::preview_form, "form");
}

TEST(segments, an_encoded_slash_stays_inside_its_segment) {
  // The target is split on '/' as sent and each segment decoded after, so %2F never makes a
  // segment boundary: "in-1%2Fack" is one segment, the id "in-1/ack", which no id can be.
  const auto get =
      expect_route(http::verb::get, "/api/v1/messages/in-1%2Fack", route_id::get_message);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->params, std::vector<std::string>{"in-1/ack"});
  expect_bad_param(http::verb::get, "/api/v1/messages/in-1%2Fack", route_id::get_message, "id");
  // Not the ack route: the path has one segment after /messages, and that path has only GET.
  EXPECT_EQ(allow_of(http::verb::post, "/api/v1/messages/in-1%2Fack"), "GET");
  EXPECT_EQ(allow_of(http::verb::post, "/api/v1/messages/in-1%2fack"), "GET");
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/messages%2Fin-1/evidence"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api%2Fv1/status"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/messages/a%2F..%2F..%2Fstatus/x"));
  const auto review = expect_route(http::verb::post, "/api/v1/messages/a%2Fb/translations/1/review",
                                   route_id::review_translation);
  ASSERT_TRUE(review);
  EXPECT_EQ(review->params, (std::vector<std::string>{"a/b", "1"}));
  EXPECT_FALSE(route_arguments(*review));
}

TEST(segments, other_escapes_decode_within_their_segment) {
  // An escaped unreserved character is that character (RFC 3986, 6.2.2.2).
  expect_route(http::verb::get, "/api/v1/st%61tus", route_id::status);
  const auto m = expect_route(http::verb::get, "/api/v1/messages/in%2D1", route_id::get_message);
  ASSERT_TRUE(m);
  EXPECT_EQ(route_arguments(*m)->message_id, "in-1");
  // A malformed escape matches nothing.
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/messages/%zz"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/status%"));
  // A decoded NUL or space is part of the segment: no literal and no id has one.
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/status%00"));
  expect_bad_param(http::verb::get, "/api/v1/messages/a%20b", route_id::get_message, "id");
  expect_bad_param(http::verb::get, "/api/v1/messages/a%00b", route_id::get_message, "id");
}

TEST(segments, literals_are_case_sensitive_and_exact) {
  EXPECT_TRUE(is_no_route(http::verb::get, "/API/v1/status"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/V1/status"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v1/Status"));
  EXPECT_TRUE(is_no_route(http::verb::get, "/api/v2/status"));
  EXPECT_TRUE(is_no_route(http::verb::get, std::string_view("/api/v1/status\0", 15)));
}

TEST(segments, the_query_is_not_part_of_the_path) {
  expect_route(http::verb::get, "/api/v1/messages?box=in", route_id::list_messages);
  const auto m =
      expect_route(http::verb::get, "/api/v1/messages/in-1?x=/ack", route_id::get_message);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params, std::vector<std::string>{"in-1"});
  EXPECT_TRUE(is_no_route(http::verb::get, "?/api/v1/status"));
}

TEST(segments, only_origin_form_targets_route) {
  for (const char* target :
       {"api/v1/status", "*", "http://host/api/v1/status", " /api/v1/status"}) {
    EXPECT_TRUE(is_no_route(http::verb::get, target)) << target;
  }
}

TEST(segments, a_path_longer_than_any_pattern_is_no_route) {
  EXPECT_TRUE(is_no_route(http::verb::post, "/api/v1/messages/a/translations/1/review/x"));
  std::string deep = "/api/v1/messages";
  for (int i = 0; i < 10'000; ++i) deep += "/a";
  EXPECT_TRUE(is_no_route(http::verb::get, deep));
}

TEST(methods, a_known_path_with_another_method_lists_the_right_ones) {
  EXPECT_EQ(allow_of(http::verb::delete_, "/api/v1/messages"), "GET, POST");
  EXPECT_EQ(allow_of(http::verb::put, "/api/v1/session"), "GET, POST, DELETE");
  EXPECT_EQ(allow_of(http::verb::get, "/api/v1/messages/1/ack"), "POST");
  EXPECT_EQ(allow_of(http::verb::post, "/api/v1/messages/1/evidence"), "GET");
  EXPECT_EQ(allow_of(http::verb::get, "/api/v1/messages/1/translations/7/review"), "POST");
  EXPECT_EQ(allow_of(http::verb::delete_, "/api/v1/messages/1/translations"), "GET, POST");
  EXPECT_EQ(allow_of(http::verb::get, "/api/v1/me"), "PATCH");
  EXPECT_EQ(allow_of(http::verb::get, "/api/v1/journal/verify"), "POST");
  // HEAD and OPTIONS are methods like any other: no route has them.
  EXPECT_EQ(allow_of(http::verb::head, "/api/v1/status"), "GET");
  EXPECT_EQ(allow_of(http::verb::options, "/api/v1/status"), "GET");
  EXPECT_EQ(allow_of(http::verb::unknown, "/api/v1/status"), "GET");
  EXPECT_EQ(allow_of(http::verb::trace, "/api/v1/forms/AIR-NOTICE/preview"), "POST");
}

TEST(methods, an_unknown_path_is_no_route_whatever_the_method) {
  // There is no default: an unlisted GET is refused like anything else.
  for (const http::verb method : every_method) {
    for (const char* target :
         {"/api/v1/nowhere", "/api/v1", "/api/", "/api/v1/messages/1/hide",
          "/api/v1/messages/1/translations/1", "/api/v1/forms/A", "/healthz", "/index.html"}) {
      EXPECT_TRUE(is_no_route(method, target)) << http::to_string(method) << " " << target;
    }
  }
}

TEST(params, a_message_id_is_one_to_the_limit_of_its_alphabet) {
  const auto id_of = [](const std::string& segment) {
    return route_arguments(route_match{route_id::get_message, {segment}});
  };
  EXPECT_EQ(id_of("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")->message_id,
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_TRUE(id_of("in-1"));
  EXPECT_TRUE(id_of("Msg_1"));
  EXPECT_TRUE(id_of(std::string(limits::message_id_bytes_max, 'a')));
  for (const std::string& bad :
       {std::string(limits::message_id_bytes_max + 1, 'a'), std::string("a.b"), std::string("a/b"),
        std::string("a%2Fb"), std::string("a b"), std::string("a\0b", 3), std::string("\xc3\xa9"),
        std::string(".."), std::string("a?b")}) {
    const auto r = id_of(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::not_found);
    EXPECT_EQ(r.error().field, "id");
  }
}

TEST(params, a_translation_id_is_a_positive_integer_without_leading_zeros) {
  const auto tid_of = [](const std::string& segment) {
    return route_arguments(route_match{route_id::review_translation, {"in-1", segment}});
  };
  EXPECT_EQ(tid_of("7")->translation_id, 7);
  EXPECT_EQ(tid_of("7")->message_id, "in-1");
  EXPECT_EQ(tid_of("9223372036854775807")->translation_id, 9223372036854775807);
  for (const char* bad : {"0", "007", "-1", "+1", "1a", "abc", "1.0", " 1", "9223372036854775808",
                          "99999999999999999999"}) {
    const auto r = tid_of(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::not_found);
    EXPECT_EQ(r.error().field, "tid");
  }
}

TEST(params, a_form_id_is_the_catalogs_alphabet) {
  const auto form_of = [](const std::string& segment) {
    return route_arguments(route_match{route_id::preview_form, {segment}});
  };
  EXPECT_EQ(form_of("AIR-FLIGHT-NOTICE")->form_id, "AIR-FLIGHT-NOTICE");
  EXPECT_TRUE(form_of(std::string(limits::form_id_bytes_max, 'A')));
  for (const std::string& bad :
       {std::string("air-flight-notice"), std::string("AIR_NOTICE"),
        std::string(limits::form_id_bytes_max + 1, 'A'), std::string("A/B"), std::string("..")}) {
    const auto r = form_of(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "form");
  }
}

}  // namespace
}  // namespace hotline::api

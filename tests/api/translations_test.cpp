// Translation routes over real sockets with the real translations store: who may attach and
// review, the translator never certifying their own work, errors naming the field, and the
// message carrying its translations with their state.
#include "storage/translations.hpp"

#include <gtest/gtest.h>

#include "accounts_fixture.hpp"

namespace hotline::testing {
namespace {

class translations_api_test : public accounts_server_test {
 protected:
  void SetUp() override {
    accounts_server_test::SetUp();
    auto t = storage::open_translations(*store_);
    ASSERT_TRUE(t) << t.error().message;
    translations_ = std::move(*t);
    inbound_id_ = on_io([this] {
      service_.translation_store = translations_.get();
      return service_.receive("navy", "Учения в районе 42N 131E с 0600").msg.id;
    });
  }

  void TearDown() override {
    accounts_server_test::TearDown();
    translations_.reset();
  }

  std::string translations_path(const std::string& id) {
    return "/api/v1/messages/" + id + "/translations";
  }

  response attach(client& c, const std::string& token, const std::string& text = "Exercise",
                  const std::string& lang = "en") {
    return c.request(http::verb::post, translations_path(inbound_id_),
                     api::dump({{"lang", lang}, {"text", text}}), token);
  }

  response review(client& c, const std::string& token, std::int64_t tid, bool approve,
                  const std::string& note = {}) {
    api::json body{{"approve", approve}};
    if (!note.empty()) body["note"] = note;
    return c.request(http::verb::post,
                     translations_path(inbound_id_) + "/" + std::to_string(tid) + "/review",
                     api::dump(body), token);
  }

  api::json translations_of(client& c) {
    return body_json(c.request(http::verb::get, "/api/v1/messages/" + inbound_id_))["translations"];
  }

  std::unique_ptr<storage::translations> translations_;
  std::string inbound_id_;
};

void expect_error(const response& res, http::status status, const std::string& code,
                  const std::string& field = {}) {
  EXPECT_EQ(res.result(), status) << res.body();
  const auto j = body_json(res);
  EXPECT_EQ(j["error"].value("code", ""), code) << res.body();
  if (!field.empty()) {
    EXPECT_EQ(j["error"].value("field", ""), field) << res.body();
  }
}

TEST_F(translations_api_test, a_translation_is_certified_only_after_a_supervisor_approves) {
  client c(port());
  const auto added = attach(c, translator_token, "Exercise in area 42N 131E from 0600");
  ASSERT_EQ(added.result(), http::status::created) << added.body();
  const auto t = body_json(added);
  EXPECT_EQ(t["state"], "pending");
  EXPECT_EQ(t["by"], "translate");  // the token's name
  EXPECT_EQ(t["lang"], "en");
  EXPECT_TRUE(t["reviewed_by"].is_null());

  auto listed = translations_of(c);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["state"], "pending");

  const auto approved = review(c, supervisor_token, t["id"].get<std::int64_t>(), true);
  ASSERT_EQ(approved.result(), http::status::ok) << approved.body();
  EXPECT_EQ(body_json(approved)["state"], "certified");
  listed = translations_of(c);
  EXPECT_EQ(listed[0]["state"], "certified");
  EXPECT_EQ(listed[0]["reviewed_by"], "watch-lead");
  EXPECT_TRUE(listed[0]["reviewed_at"].is_string());
  // The original stays as it came.
  const auto m = body_json(c.request(http::verb::get, "/api/v1/messages/" + inbound_id_));
  EXPECT_EQ(m["text"], "Учения в районе 42N 131E с 0600");
}

TEST_F(translations_api_test, the_translator_cannot_review_their_own_translation) {
  client c(port());
  // A supervisor may translate too, but then another supervisor must review it.
  const auto added = attach(c, supervisor_token);
  ASSERT_EQ(added.result(), http::status::created) << added.body();
  const auto tid = body_json(added)["id"].get<std::int64_t>();
  expect_error(review(c, supervisor_token, tid, true), http::status::forbidden, "refused",
               "reviewer");
  EXPECT_EQ(translations_of(c)[0]["state"], "pending");

  // A signed-in supervisor is someone else, and may.
  on_io([this] {
    add_user("supervisor-choi", "supervisor", "ko");
    return 0;
  });
  const auto session = sign_in(c, "supervisor-choi");
  const auto rejected = send(
      c, http::verb::post, translations_path(inbound_id_) + "/" + std::to_string(tid) + "/review",
      api::dump({{"approve", false}, {"note", "the time is 0600 local, not UTC"}}),
      with_session(session));
  ASSERT_EQ(rejected.result(), http::status::ok) << rejected.body();
  const auto listed = translations_of(c);
  EXPECT_EQ(listed[0]["state"], "rejected");
  EXPECT_EQ(listed[0]["reviewed_by"], "supervisor-choi");
  EXPECT_EQ(listed[0]["review_note"], "the time is 0600 local, not UTC");
  // Reviewed once.
  expect_error(review(c, supervisor_token, tid, true), http::status::forbidden, "refused");
  on_io([this] {
    add_user("supervisor-park", "supervisor", "ko");
    return 0;
  });
  const auto other = sign_in(c, "supervisor-park");
  expect_error(send(c, http::verb::post,
                    translations_path(inbound_id_) + "/" + std::to_string(tid) + "/review",
                    api::dump({{"approve", true}}), with_session(other)),
               http::status::conflict, "conflict");
}

TEST_F(translations_api_test, roles_that_may_not_translate_or_review_are_refused) {
  client c(port());
  expect_error(attach(c, auditor_token), http::status::forbidden, "forbidden");
  expect_error(attach(c, test_token), http::status::forbidden, "forbidden");  // duty officer
  expect_error(attach(c, admin_token), http::status::forbidden, "forbidden");
  const auto added = attach(c, translator_token);
  ASSERT_EQ(added.result(), http::status::created) << added.body();
  const auto tid = body_json(added)["id"].get<std::int64_t>();
  for (const char* token : {translator_token, auditor_token, test_token, admin_token}) {
    expect_error(review(c, token, tid, true), http::status::forbidden, "forbidden");
  }
  EXPECT_EQ(translations_of(c)[0]["state"], "pending");
  // Every role reads them.
  const auto read = c.request(http::verb::get, translations_path(inbound_id_), {}, auditor_token);
  ASSERT_EQ(read.result(), http::status::ok) << read.body();
  EXPECT_EQ(body_json(read)["translations"].size(), 1u);
}

TEST_F(translations_api_test, unknown_and_outbound_messages_and_bad_values_are_refused) {
  client c(port());
  expect_error(c.request(http::verb::post, translations_path("no-such-message"),
                         api::dump({{"lang", "en"}, {"text", "x"}}), translator_token),
               http::status::not_found, "not_found", "id");
  expect_error(c.request(http::verb::get, translations_path("no-such-message")),
               http::status::not_found, "not_found", "id");
  const auto posted =
      c.request(http::verb::post, "/api/v1/messages",
                api::dump({{"channel", "navy"}, {"precedence", "routine"}, {"text", "outbound"}}));
  ASSERT_EQ(posted.result(), http::status::created) << posted.body();
  const std::string out_id = body_json(posted)["id"];
  expect_error(c.request(http::verb::post, translations_path(out_id),
                         api::dump({{"lang", "en"}, {"text", "x"}}), translator_token),
               http::status::bad_request, "invalid_argument", "id");
  expect_error(attach(c, translator_token, "x", "de"), http::status::bad_request,
               "invalid_argument", "lang");
  expect_error(attach(c, translator_token, ""), http::status::bad_request, "invalid_argument",
               "text");
  expect_error(
      attach(c, translator_token, std::string(storage::translation_text_bytes_max + 1, 'a')),
      http::status::payload_too_large, "limit", "text");
  EXPECT_EQ(
      attach(c, translator_token, std::string(storage::translation_text_bytes_max, 'a')).result(),
      http::status::created);
  expect_error(c.request(http::verb::post, translations_path(inbound_id_),
                         api::dump({{"lang", "en"}, {"text", "x"}, {"by", "someone-else"}}),
                         translator_token),
               http::status::bad_request, "invalid_argument", "by");
  expect_error(review(c, supervisor_token, 999, true), http::status::not_found, "not_found", "tid");
  expect_error(c.request(http::verb::post, translations_path(inbound_id_) + "/abc/review",
                         api::dump({{"approve", true}}), supervisor_token),
               http::status::not_found, "not_found", "tid");
  const auto tid = body_json(attach(c, translator_token))["id"].get<std::int64_t>();
  expect_error(review(c, supervisor_token, tid, false), http::status::bad_request,
               "invalid_argument", "note");
  expect_error(c.request(http::verb::post,
                         translations_path(inbound_id_) + "/" + std::to_string(tid) + "/review",
                         api::dump({{"approve", "yes"}}), supervisor_token),
               http::status::bad_request, "invalid_argument", "approve");
}

TEST_F(translations_api_test, a_message_without_translations_lists_none) {
  client c(port());
  const auto j = translations_of(c);
  ASSERT_TRUE(j.is_array()) << j.dump();
  EXPECT_TRUE(j.empty());
}

}  // namespace
}  // namespace hotline::testing

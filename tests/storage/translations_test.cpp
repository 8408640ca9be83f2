// The translations store (the "translations" migration): attaching, reviewing once and never by the
// translator, the limits at their edges, and the schema refusing what the interface refuses; on
// both backends (store_backends.hpp).
#include "storage/translations.hpp"

#include <gtest/gtest.h>

#include "storage/sqlite_store.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

translation make_translation(std::string message_id, std::string lang = "ko",
                             std::string translator = "translator-lee") {
  translation t;
  t.message_id = std::move(message_id);
  t.lang = std::move(lang);
  t.text = "발사 통보 0312";
  t.translator = std::move(translator);
  t.created_at_ms = 5'000;
  return t;
}

review make_review(const translation& t, std::string reviewer, bool approve,
                   std::string note = {}) {
  return {t.id, t.message_id, std::move(reviewer), approve, std::move(note), 9'000};
}

class translations_test : public backend_test {
 protected:
  void SetUp() override {
    backend_test::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = open_persistent();
    ASSERT_NE(store_, nullptr);
    auto t = open_translations(*store_);
    ASSERT_TRUE(t) << t.error().message;
    translations_ = std::move(*t);
  }

  // Runs raw SQL on the store's database behind the translations' back; whether it succeeded.
  bool raw(const std::string& sql) {
    if (postgresql()) return pg_cluster::exec(location(), sql).empty();
    return sqlite3_exec(static_cast<sqlite_store&>(*store_).handle(), sql.c_str(), nullptr,
                        nullptr, nullptr) == SQLITE_OK;
  }

  translation add_ok(const translation& t) {
    auto added = translations_->add(t);
    EXPECT_TRUE(added) << added.error().message;
    return added.value_or(translation{});
  }

  std::unique_ptr<store> store_;
  std::unique_ptr<translations> translations_;
};

TEST_P(translations_test, an_attached_translation_is_pending_and_listed_in_order) {
  const auto first = add_ok(make_translation("m-1", "ko"));
  const auto second = add_ok(make_translation("m-1", "en"));
  add_ok(make_translation("m-2", "ko"));
  EXPECT_GT(second.id, first.id);
  const auto listed = translations_->of_message("m-1").value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, first.id);
  EXPECT_EQ(listed[0].lang, "ko");
  EXPECT_EQ(listed[0].text, "발사 통보 0312");
  EXPECT_EQ(listed[0].translator, "translator-lee");
  EXPECT_EQ(listed[0].created_at_ms, 5'000);
  EXPECT_EQ(listed[0].state, translation_state::pending);
  EXPECT_TRUE(listed[0].reviewer.empty());
  EXPECT_FALSE(listed[0].reviewed_at_ms);
  EXPECT_EQ(listed[1].lang, "en");
  EXPECT_TRUE(translations_->of_message("m-3").value().empty());
}

TEST_P(translations_test, approval_certifies_and_records_the_reviewer) {
  const auto t = add_ok(make_translation("m-1"));
  auto reviewed = translations_->apply(make_review(t, "supervisor-choi", true));
  ASSERT_TRUE(reviewed) << reviewed.error().message;
  EXPECT_EQ(reviewed->state, translation_state::certified);
  const auto stored = translations_->of_message("m-1").value().at(0);
  EXPECT_EQ(stored.state, translation_state::certified);
  EXPECT_EQ(stored.reviewer, "supervisor-choi");
  EXPECT_EQ(stored.reviewed_at_ms, 9'000);
  EXPECT_EQ(stored.text, t.text);
}

TEST_P(translations_test, rejection_needs_a_note_and_keeps_it) {
  const auto t = add_ok(make_translation("m-1"));
  auto no_note = translations_->apply(make_review(t, "supervisor-choi", false));
  ASSERT_FALSE(no_note);
  EXPECT_EQ(no_note.error().code, errc::invalid_argument);
  EXPECT_EQ(no_note.error().field, "note");
  auto rejected = translations_->apply(make_review(t, "supervisor-choi", false, "time is wrong"));
  ASSERT_TRUE(rejected) << rejected.error().message;
  const auto stored = translations_->of_message("m-1").value().at(0);
  EXPECT_EQ(stored.state, translation_state::rejected);
  EXPECT_EQ(stored.review_note, "time is wrong");
}

TEST_P(translations_test, the_translator_cannot_review_their_own_translation) {
  const auto t = add_ok(make_translation("m-1", "ko", "supervisor-choi"));
  auto own = translations_->apply(make_review(t, "supervisor-choi", true));
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, errc::refused);
  EXPECT_EQ(own.error().field, "reviewer");
  EXPECT_EQ(translations_->of_message("m-1").value().at(0).state, translation_state::pending);
}

TEST_P(translations_test, a_translation_is_reviewed_once) {
  const auto t = add_ok(make_translation("m-1"));
  ASSERT_TRUE(translations_->apply(make_review(t, "supervisor-choi", true)));
  auto again = translations_->apply(make_review(t, "supervisor-park", false, "no"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::conflict);
  const auto stored = translations_->of_message("m-1").value().at(0);
  EXPECT_EQ(stored.state, translation_state::certified);
  EXPECT_EQ(stored.reviewer, "supervisor-choi");
}

TEST_P(translations_test, a_review_names_a_translation_of_its_own_message) {
  const auto t = add_ok(make_translation("m-1"));
  review wrong_message = make_review(t, "supervisor-choi", true);
  wrong_message.message_id = "m-2";
  EXPECT_EQ(translations_->apply(wrong_message).error().code, errc::not_found);
  review unknown = make_review(t, "supervisor-choi", true);
  unknown.translation_id = t.id + 100;
  const auto missing = translations_->apply(unknown);
  EXPECT_EQ(missing.error().code, errc::not_found);
  EXPECT_EQ(missing.error().field, "tid");
}

TEST_P(translations_test, text_and_language_are_checked_at_their_edges) {
  auto at_max = make_translation("m-1");
  at_max.text = std::string(translation_text_bytes_max, 'a');
  EXPECT_TRUE(translations_->add(at_max));
  auto over = make_translation("m-1");
  over.text = std::string(translation_text_bytes_max + 1, 'a');
  const auto too_long = translations_->add(over);
  EXPECT_EQ(too_long.error().code, errc::limit);
  EXPECT_EQ(too_long.error().field, "text");
  auto empty = make_translation("m-1");
  empty.text.clear();
  EXPECT_EQ(translations_->add(empty).error().field, "text");
  EXPECT_EQ(translations_->add(make_translation("m-1", "de")).error().field, "lang");
  EXPECT_EQ(translations_->add(make_translation("m-1", "ko", "")).error().field, "translator");
  auto t = add_ok(make_translation("m-1"));
  const auto long_note = translations_->apply(
      make_review(t, "supervisor-choi", false, std::string(review_note_bytes_max + 1, 'n')));
  EXPECT_EQ(long_note.error().field, "note");
}

TEST_P(translations_test, a_message_takes_at_most_the_limit) {
  for (std::size_t i = 0; i < translations_per_message_max; ++i) add_ok(make_translation("m-1"));
  const auto one_more = translations_->add(make_translation("m-1"));
  ASSERT_FALSE(one_more);
  EXPECT_EQ(one_more.error().code, errc::limit);
  EXPECT_EQ(translations_->of_message("m-1").value().size(), translations_per_message_max);
  EXPECT_TRUE(translations_->add(make_translation("m-2")));  // the limit is per message
}

TEST_P(translations_test, the_schema_refuses_rewrites_deletes_and_self_review) {
  const auto t = add_ok(make_translation("m-1"));
  const std::string id = std::to_string(t.id);
  EXPECT_FALSE(raw("UPDATE translations SET state = 'certified', reviewer = 'translator-lee',"
                " reviewed_at_ms = 1 WHERE id = " +
                id));
  ASSERT_TRUE(translations_->apply(make_review(t, "supervisor-choi", true)));
  EXPECT_FALSE(raw("UPDATE translations SET text = 'other words' WHERE id = " + id));
  EXPECT_FALSE(raw("DELETE FROM translations WHERE id = " + id));
  EXPECT_EQ(translations_->of_message("m-1").value().at(0).text, t.text);
}

TEST_P(translations_test, the_store_survives_a_reopen) {
  const std::int64_t id = add_ok(make_translation("m-1")).id;
  translations_.reset();
  store_.reset();
  store_ = open_persistent();
  ASSERT_NE(store_, nullptr);
  auto t = open_translations(*store_).value();
  const auto listed = t->of_message("m-1").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, id);
}

// Each add and review appends its journal entry in the same transaction, the same on both
// backends: who translated or reviewed what, and a digest of the text.
TEST_P(translations_test, each_write_is_journaled_with_a_digest_of_the_text) {
  const auto t = add_ok(make_translation("m-1"));
  ASSERT_TRUE(translations_->apply(make_review(t, "supervisor-choi", true)));
  auto entries = store_->journal({{}, {}, 0, 10});
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].kind, "translation_certified");
  EXPECT_EQ((*entries)[1].kind, "translation_attached");
  EXPECT_EQ((*entries)[1].message_id, "m-1");
  EXPECT_NE((*entries)[1].detail.find("text_sha256"), std::string::npos);
  EXPECT_EQ((*entries)[1].detail.find(t.text), std::string::npos);
  EXPECT_EQ((*entries)[0].prev_hash, (*entries)[1].hash);
}

HOTLINE_STORE_BACKENDS(translations_test);

}  // namespace
}  // namespace hotline::storage

// The accounts store (SQLite migration 2, PostgreSQL migration 5): users, sessions, the
// append-only audit log, on both backends (store_backends.hpp); and Argon2id passwords.
#include "storage/accounts.hpp"

#include <gtest/gtest.h>

#include "storage/migrations.hpp"
#include "storage/passwords.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

// One hash for every test: each costs about 100 ms.
const std::string& some_hash() {
  static const std::string hash = hash_password("correct horse battery").value();
  return hash;
}

user make_user(std::string name, std::string role = "duty-officer") {
  user u;
  u.name = std::move(name);
  u.role = std::move(role);
  u.language = "ko";
  u.password_hash = some_hash();
  u.created_at_ms = 1'000;
  return u;
}

session_record make_session(char fill, std::string user_name, std::int64_t created_ms) {
  return {std::string(64, fill),
          std::move(user_name),
          "csrf-" + std::string(1, fill),
          created_ms,
          created_ms,
          created_ms + 12 * 3600'000,
          15 * 60'000};
}

class accounts_test : public backend_test {
 protected:
  void SetUp() override {
    backend_test::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = open_persistent();
    ASSERT_NE(store_, nullptr);
    auto a = open_accounts(*store_);
    ASSERT_TRUE(a) << a.error().message;
    accounts_ = std::move(*a);
    ASSERT_TRUE(accounts_->add_user(make_user("officer-kim")));
  }

  // Runs raw SQL on the store's database behind the accounts' back; whether it succeeded.
  bool raw(const std::string& sql) {
    if (postgresql()) return pg_cluster::exec(location(), sql).empty();
    return sqlite3_exec(static_cast<sqlite_store&>(*store_).handle(), sql.c_str(), nullptr,
                        nullptr, nullptr) == SQLITE_OK;
  }

  std::unique_ptr<store> store_;
  std::unique_ptr<accounts> accounts_;
};

HOTLINE_STORE_BACKENDS(accounts_test);

TEST(accounts_schema, migration_2_is_the_accounts_migration) {
  ASSERT_GE(schema_migrations().size(), 2u);
  EXPECT_EQ(schema_migrations()[1].version, 2);
  EXPECT_EQ(schema_migrations()[1].name, "accounts");
}

TEST(accounts_open, refuses_a_store_of_another_kind) {
  struct other_store final : store {
    result<void> commit(std::span<const records::record>, std::int64_t) override { return {}; }
    result<records::channel_recovery> recover(const std::string&) override { return {}; }
    result<std::vector<message>> queued_after(const std::string&, precedence, std::string_view,
                                              std::size_t, std::size_t) override {
      return {};
    }
    result<std::optional<stored_message>> get(std::string_view) override { return {}; }
    result<std::vector<stored_message>> list(const list_query&) override { return {}; }
    result<std::vector<stored_message>> inbound_range(const std::string&, std::uint64_t,
                                                      std::uint64_t) override {
      return {};
    }
    result<std::vector<stored_message>> outbound_range(const std::string&, std::uint64_t,
                                                       std::uint64_t) override {
      return {};
    }
    result<std::vector<stored_message>> awaiting_ack(std::int64_t, std::size_t) override {
      return {};
    }
    result<std::optional<stored_message>> last_sent(const std::string&, std::string_view) override {
      return {};
    }
    result<std::optional<stored_message>> last_acknowledged(const std::string&,
                                                            std::string_view) override {
      return {};
    }
    result<records::range_rows> range_proofs(const std::string&, box, std::uint64_t,
                                             std::uint64_t) override {
      return {};
    }
    result<std::vector<journal_entry>> journal(const journal_query&) override { return {}; }
    result<void> keep_agreement(std::string_view, const std::string&, const std::string&,
                                const std::string&, std::int64_t) override {
      return {};
    }
  } other;
  auto a = open_accounts(other);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, errc::invalid_argument);
}

TEST_P(accounts_test, a_user_is_stored_and_found_with_every_field) {
  auto found = accounts_->find_user("officer-kim");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->role, "duty-officer");
  EXPECT_EQ((*found)->language, "ko");
  EXPECT_EQ((*found)->password_hash, some_hash());
  EXPECT_FALSE((*found)->disabled);
  EXPECT_EQ((*found)->created_at_ms, 1'000);
  EXPECT_EQ((*found)->failed_attempts, 0);
  auto missing = accounts_->find_user("nobody");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_P(accounts_test, names_roles_languages_and_hashes_are_checked) {
  auto dup = accounts_->add_user(make_user("officer-kim"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  for (const std::string& name :
       std::vector<std::string>{"a", std::string(33, 'a'), "Officer", "kim lee", "kim/lee"}) {
    auto r = accounts_->add_user(make_user(name));
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().field, "name") << name;
  }
  EXPECT_TRUE(accounts_->add_user(make_user("ab")));
  EXPECT_TRUE(accounts_->add_user(make_user(std::string(32, 'z'))));
  EXPECT_TRUE(accounts_->add_user(make_user("a.b_c-9")));
  EXPECT_EQ(accounts_->add_user(make_user("x1", "root")).error().field, "role");
  user bad_lang = make_user("x2");
  bad_lang.language = "de";
  EXPECT_EQ(accounts_->add_user(bad_lang).error().field, "language");
  user clear = make_user("x3");
  clear.password_hash = "hunter2hunter2";
  EXPECT_EQ(accounts_->add_user(clear).error().field, "password_hash");
  // The schema refuses what the code would, for anyone writing the table directly.
  EXPECT_FALSE(raw("INSERT INTO users (name, role, password_hash, language, created_at_ms) VALUES "
                "('BAD', 'admin', '$argon2id$x', 'en', 0)"));
}

TEST_P(accounts_test, users_are_listed_by_name) {
  ASSERT_TRUE(accounts_->add_user(make_user("auditor-rok", "auditor")));
  auto all = accounts_->list_users();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "auditor-rok");
  EXPECT_EQ((*all)[1].name, "officer-kim");
}

TEST_P(accounts_test, a_session_is_found_with_its_user_touched_and_deleted) {
  ASSERT_TRUE(accounts_->create_session(make_session('a', "officer-kim", 5'000), 16));
  auto found = accounts_->find_session(std::string(64, 'a'));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->session.csrf_token, "csrf-a");
  EXPECT_EQ((*found)->owner.name, "officer-kim");
  EXPECT_EQ((*found)->owner.role, "duty-officer");
  ASSERT_TRUE(accounts_->touch_session(std::string(64, 'a'), 7'000));
  EXPECT_EQ((*accounts_->find_session(std::string(64, 'a')))->session.last_seen_ms, 7'000);
  ASSERT_TRUE(accounts_->delete_session(std::string(64, 'a')));
  EXPECT_FALSE(accounts_->find_session(std::string(64, 'a'))->has_value());
}

TEST_P(accounts_test, the_oldest_sessions_give_way_beyond_the_per_user_cap) {
  ASSERT_TRUE(accounts_->create_session(make_session('a', "officer-kim", 1'000), 2));
  ASSERT_TRUE(accounts_->create_session(make_session('b', "officer-kim", 2'000), 2));
  ASSERT_TRUE(accounts_->create_session(make_session('c', "officer-kim", 3'000), 2));
  EXPECT_FALSE(accounts_->find_session(std::string(64, 'a'))->has_value());
  EXPECT_TRUE(accounts_->find_session(std::string(64, 'b'))->has_value());
  EXPECT_TRUE(accounts_->find_session(std::string(64, 'c'))->has_value());
}

TEST_P(accounts_test, expired_sessions_are_removed_by_idle_and_by_absolute_limit) {
  session_record idle = make_session('a', "officer-kim", 0);
  session_record old = make_session('b', "officer-kim", 0);
  old.idle_ms = 100 * 3600'000;  // never idle, but past its absolute end below
  old.expires_at_ms = 1'000'000;
  session_record live = make_session('c', "officer-kim", 0);
  live.last_seen_ms = 999'000;
  for (const auto& s : {idle, old, live}) ASSERT_TRUE(accounts_->create_session(s, 16));
  auto removed = accounts_->delete_expired_sessions(1'000'000);
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 2);
  EXPECT_TRUE(accounts_->find_session(std::string(64, 'c'))->has_value());
}

TEST_P(accounts_test, disabling_a_user_or_changing_its_password_ends_its_sessions) {
  ASSERT_TRUE(accounts_->create_session(make_session('a', "officer-kim", 0), 16));
  ASSERT_TRUE(accounts_->set_disabled("officer-kim", true));
  EXPECT_FALSE(accounts_->find_session(std::string(64, 'a'))->has_value());
  EXPECT_TRUE((*accounts_->find_user("officer-kim"))->disabled);

  ASSERT_TRUE(accounts_->set_disabled("officer-kim", false));
  ASSERT_TRUE(accounts_->create_session(make_session('b', "officer-kim", 0), 16));
  // The former per-user lockout's columns, as a station before the lockout per address left them.
  ASSERT_TRUE(raw("UPDATE users SET failed_attempts = 3, locked_until_ms = 99 WHERE name = "
                "'officer-kim'"));
  const std::string other = hash_password("another passphrase").value();
  ASSERT_TRUE(accounts_->set_password_hash("officer-kim", other));
  EXPECT_FALSE(accounts_->find_session(std::string(64, 'b'))->has_value());
  const auto u = *accounts_->find_user("officer-kim");
  EXPECT_EQ(u->password_hash, other);
  EXPECT_EQ(u->locked_until_ms, 0);  // a new password clears them
  EXPECT_EQ(u->failed_attempts, 0);
  EXPECT_EQ(accounts_->set_disabled("nobody", true).error().code, errc::not_found);
  EXPECT_EQ(accounts_->set_language("officer-kim", "fr").error().field, "language");
  ASSERT_TRUE(accounts_->set_language("officer-kim", "en"));
  EXPECT_EQ((*accounts_->find_user("officer-kim"))->language, "en");
}

TEST_P(accounts_test, the_audit_log_pages_in_order_and_refuses_changes) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(accounts_->append_audit({0, 100 + i, "officer-kim", "login", std::to_string(i)}));
  }
  ASSERT_TRUE(accounts_->append_audit({0, 200, "-", "login_failed", std::string(2000, 'x')}));
  auto first = accounts_->list_audit(0, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].detail, "0");
  EXPECT_EQ((*first)[1].at_ms, 101);
  auto rest = accounts_->list_audit((*first)[1].id, 100);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 4u);
  EXPECT_EQ(rest->back().action, "login_failed");
  EXPECT_EQ(rest->back().detail.size(), audit_detail_bytes_max);
  EXPECT_FALSE(raw("UPDATE audit SET actor = 'someone-else'"));
  EXPECT_FALSE(raw("DELETE FROM audit"));
  EXPECT_EQ(accounts_->list_audit(0, 100)->size(), 6u);
}

TEST_P(accounts_test, an_audit_row_is_journaled_in_its_transaction) {
  ASSERT_TRUE(accounts_->append_audit({0, 100, "os:root", "user_added", "officer-lee"}));
  auto entries = store_->journal({{}, {}, 0, 5});
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].kind, "user_added");
  EXPECT_EQ((*entries)[0].at_ms, 100);
  EXPECT_NE((*entries)[0].detail.find("os:root"), std::string::npos);
  if (postgresql()) {
    EXPECT_FALSE(raw("TRUNCATE audit"));
  }
  EXPECT_EQ(accounts_->list_audit(0, 10)->size(), 1u);
}

stored_token make_token(std::string name, char fill, std::string role = "auditor") {
  stored_token t;
  t.name = std::move(name);
  t.role = std::move(role);
  t.sha256_hex = std::string(64, fill);
  t.created_at_ms = 2'000;
  t.created_by = "os:root";
  return t;
}

TEST_P(accounts_test, a_token_is_found_by_its_hash_until_it_is_revoked) {
  ASSERT_TRUE(accounts_->add_token(make_token("grafana", 'a')));
  auto found = accounts_->find_live_token(std::string(64, 'a'));
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, "grafana");
  EXPECT_EQ((*found)->role, "auditor");
  EXPECT_EQ((*found)->created_by, "os:root");
  EXPECT_FALSE((*found)->revoked_at_ms);
  EXPECT_FALSE(*accounts_->find_live_token(std::string(64, 'b')));

  ASSERT_TRUE(accounts_->revoke_token("grafana", 3'000));
  EXPECT_FALSE(*accounts_->find_live_token(std::string(64, 'a')));
  EXPECT_EQ(accounts_->revoke_token("grafana", 4'000).error().code, errc::not_found);
  auto all = accounts_->list_tokens();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].revoked_at_ms, 3'000);
}

TEST_P(accounts_test, a_live_token_name_is_unique_and_reusable_after_revocation) {
  ASSERT_TRUE(accounts_->add_token(make_token("feeder", 'a')));
  EXPECT_EQ(accounts_->add_token(make_token("feeder", 'b')).error().code, errc::conflict);
  EXPECT_EQ(accounts_->add_token(make_token("other", 'a')).error().code, errc::conflict);
  ASSERT_TRUE(accounts_->revoke_token("feeder", 3'000));
  ASSERT_TRUE(accounts_->add_token(make_token("feeder", 'c', "duty-officer")));
  auto all = accounts_->list_tokens();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE((*all)[0].revoked_at_ms);
  EXPECT_EQ((*all)[1].role, "duty-officer");
  EXPECT_FALSE((*all)[1].revoked_at_ms);
}

TEST_P(accounts_test, token_names_roles_and_hashes_are_checked) {
  EXPECT_EQ(accounts_->add_token(make_token("Bad Name", 'a')).error().field, "name");
  EXPECT_EQ(accounts_->add_token(make_token("ok", 'a', "root")).error().field, "role");
  EXPECT_EQ(accounts_->add_token(make_token("ok", 'A')).error().field, "sha256");
  auto short_hash = make_token("ok", 'a');
  short_hash.sha256_hex.pop_back();
  EXPECT_EQ(accounts_->add_token(short_hash).error().field, "sha256");
  EXPECT_TRUE(accounts_->list_tokens()->empty());
}

TEST_P(accounts_test, a_clearance_is_kept_set_and_checked_for_shape) {
  // Unset, a user holds the lowest marking: the empty clearance.
  EXPECT_EQ((*accounts_->find_user("officer-kim"))->clearance, "");
  ASSERT_TRUE(accounts_->set_clearance("officer-kim", "rok-restricted"));
  EXPECT_EQ((*accounts_->find_user("officer-kim"))->clearance, "rok-restricted");
  EXPECT_EQ(accounts_->set_clearance("nobody", "rok-restricted").error().code, errc::not_found);
  EXPECT_EQ(accounts_->set_clearance("officer-kim", "Not A Marking").error().field, "clearance");
  EXPECT_EQ((*accounts_->find_user("officer-kim"))->clearance, "rok-restricted");
  // The session lookup carries it, so that a change applies at the user's next request.
  ASSERT_TRUE(accounts_->create_session(make_session('a', "officer-kim", 5'000), 16));
  EXPECT_EQ((*accounts_->find_session(std::string(64, 'a')))->owner.clearance, "rok-restricted");
  ASSERT_TRUE(accounts_->set_clearance("officer-kim", ""));
  EXPECT_EQ((*accounts_->find_session(std::string(64, 'a')))->owner.clearance, "");
  // A user may be added cleared, and a token made cleared; a bad shape is refused by field.
  storage::user u = make_user("reader");
  u.clearance = "rok-restricted";
  ASSERT_TRUE(accounts_->add_user(u));
  EXPECT_EQ((*accounts_->find_user("reader"))->clearance, "rok-restricted");
  u = make_user("bad");
  u.clearance = "rok restricted";
  EXPECT_EQ(accounts_->add_user(u).error().field, "clearance");
  auto t = make_token("feeder", 'a');
  t.clearance = "rok-restricted";
  ASSERT_TRUE(accounts_->add_token(t));
  EXPECT_EQ((*accounts_->find_live_token(std::string(64, 'a')))->clearance, "rok-restricted");
  t = make_token("other", 'b');
  t.clearance = std::string(65, 'a');
  EXPECT_EQ(accounts_->add_token(t).error().field, "clearance");
}

TEST_P(accounts_test, a_token_row_can_only_be_revoked_and_never_deleted) {
  ASSERT_TRUE(accounts_->add_token(make_token("grafana", 'a')));
  EXPECT_FALSE(raw("UPDATE api_tokens SET role = 'admin'"));
  EXPECT_FALSE(raw("UPDATE api_tokens SET sha256 = '" + std::string(64, 'b') + "'"));
  EXPECT_FALSE(raw("UPDATE api_tokens SET clearance = 'rok-restricted'"));
  EXPECT_FALSE(raw("DELETE FROM api_tokens"));
  ASSERT_TRUE(accounts_->revoke_token("grafana", 3'000));
  // Once revoked, it stays revoked.
  EXPECT_FALSE(raw("UPDATE api_tokens SET revoked_at_ms = NULL"));
  EXPECT_FALSE(*accounts_->find_live_token(std::string(64, 'a')));
  EXPECT_EQ((*accounts_->list_tokens())[0].role, "auditor");
}

TEST(passwords, argon2id_hashes_verify_only_the_right_password) {
  const std::string& h = some_hash();
  EXPECT_TRUE(h.starts_with("$argon2id$v=19$m=65536,t=2,p=1$")) << h;
  EXPECT_TRUE(verify_password(h, "correct horse battery"));
  EXPECT_FALSE(verify_password(h, "correct horse batterY"));
  EXPECT_FALSE(verify_password("not a hash", "correct horse battery"));
  EXPECT_NE(hash_password("correct horse battery").value(), h);  // salted
}

TEST(passwords, new_passwords_need_twelve_characters_and_no_control_characters) {
  EXPECT_EQ(check_new_password(std::string(11, 'a')).error().field, "password");
  EXPECT_TRUE(check_new_password(std::string(12, 'a')));
  EXPECT_TRUE(check_new_password(std::string(password_bytes_max, 'a')));
  EXPECT_FALSE(check_new_password(std::string(password_bytes_max + 1, 'a')));
  EXPECT_FALSE(check_new_password("twelve chars\n"));
}

TEST(passwords, random_passwords_have_the_length_asked_and_differ) {
  const std::string a = random_password(16);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, random_password(16));
  EXPECT_EQ(a.find_first_of("0O1lI"), std::string::npos);
}

}  // namespace
}  // namespace hotline::storage

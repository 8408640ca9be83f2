// What only the PostgreSQL store has to show: its session's durability settings, its migrations,
// failed commits that apply nothing (a refused row, a connection cut under it), the journal's
// protection in the schema, cursor order between two stores sharing one database, and a journal
// identical, hash for hash and signature for signature, to the SQLite store's for the same records,
// with the same verification reports and evidence bundles.
#include "storage/pg_store.hpp"

#include <gtest/gtest.h>

#include <array>

#include "evidence/bundle.hpp"
#include "storage/evidence_source.hpp"
#include "storage/journal_verify.hpp"
#include "storage/pg_migrations.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

class pg_store_test : public backend_test {
 protected:
  PGconn* handle(store& s) { return static_cast<pg_store&>(s).handle(); }

  bool exists(store& s, std::string_view id) {
    auto m = s.get(id);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    return m && m->has_value();
  }
};

TEST_P(pg_store_test, the_session_commits_synchronously_and_the_schema_is_current) {
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(pg_cluster::query_text(location(), "SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(pg_schema_migrations().size()));
  auto version = pg_schema_version(handle(*s));
  ASSERT_TRUE(version) << version.error().message;
  EXPECT_EQ(*version, static_cast<int>(pg_schema_migrations().size()));
  for (const char* setting : {"synchronous_commit", "fsync"}) {
    PGresult* r = PQexec(handle(*s), (std::string{"SHOW "} + setting).c_str());
    ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
    EXPECT_STREQ(PQgetvalue(r, 0, 0), "on") << setting;
    PQclear(r);
  }
  s.reset();
  ASSERT_NE(open_persistent(), nullptr);  // reopening applies nothing new
  EXPECT_EQ(pg_cluster::query_text(location(), "SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(pg_schema_migrations().size()));
}

TEST_P(pg_store_test, migration_list_is_numbered_from_one_without_gaps) {
  int expected = 1;
  for (const auto& m : pg_schema_migrations()) EXPECT_EQ(m.version, expected++);
}

TEST_P(pg_store_test, a_newer_schema_is_refused_untouched) {
  ASSERT_NE(open_persistent(), nullptr);
  const int newer = static_cast<int>(pg_schema_migrations().size()) + 1;
  exec_persistent("INSERT INTO schema_migrations VALUES (" + std::to_string(newer) + ", 1)");
  auto s = open_postgresql(location());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::conflict);
  EXPECT_NE(s.error().message.find("newer than this hotline build"), std::string::npos)
      << s.error().message;
}

TEST_P(pg_store_test, an_unreachable_server_is_an_io_error_that_says_so) {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  auto s = open_postgresql("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::io);
  EXPECT_NE(s.error().message.find("cannot connect to PostgreSQL"), std::string::npos)
      << s.error().message;
}

// A row the server refuses in the middle of a batch (here a trigger raising an I/O error, as a
// failing disk would) undoes every record before it and comes back as errc::io naming the record.
TEST_P(pg_store_test, a_commit_the_server_refuses_applies_nothing) {
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  exec_persistent(
      "CREATE FUNCTION fail_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      " IF NEW.id = 'poison' THEN RAISE EXCEPTION USING ERRCODE = 'io_error',"
      " MESSAGE = 'injected write failure'; END IF; RETURN NEW; END $$;"
      "CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION "
      "fail_poison()");
  auto r = s->commit(
      std::vector{posted("m-1", "navy"), received("in-1", "navy", 1), posted("poison", "navy")},
      1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io);
  EXPECT_NE(r.error().message.find("record 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("injected write failure"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE(exists(*s, "m-1"));
  EXPECT_FALSE(exists(*s, "in-1"));
  auto journal = s->journal({});
  ASSERT_TRUE(journal) << journal.error().message;
  EXPECT_TRUE(journal->empty()) << "the journal entries went with the rows";
  commit_ok(*s, {posted("m-1", "navy"), received("in-1", "navy", 1)});
  EXPECT_TRUE(exists(*s, "m-1"));
}

// PostgreSQL's text cannot hold a NUL byte. A text field with one is refused whole, never cut
// short at the NUL (libpq's text parameters would end there).
TEST_P(pg_store_test, a_nul_byte_in_a_text_field_is_refused_not_cut_short) {
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  message m = make_message("m-1", "navy");
  m.form = std::string("FREE\0TEXT", 9);
  auto r = s->commit(std::vector<records::record>{records::posted{m}}, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_argument) << r.error().message;
  EXPECT_FALSE(exists(*s, "m-1"));
}

// The connection cut under the store (the server restarted, a failover): the commit fails with
// errc::io saying so, nothing of it is applied, and the next commit reconnects by itself.
TEST_P(pg_store_test, a_lost_connection_fails_the_commit_and_the_store_reconnects) {
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  commit_ok(*s, {posted("before", "navy")});
  const int pid = PQbackendPID(handle(*s));
  ASSERT_GT(pid, 0);
  exec_persistent("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  auto r = s->commit(std::vector{posted("lost", "navy")}, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io);
  EXPECT_NE(r.error().message.find("connection to PostgreSQL is lost"), std::string::npos)
      << r.error().message;
  commit_ok(*s, {posted("after", "navy")});
  EXPECT_FALSE(exists(*s, "lost"));
  EXPECT_TRUE(exists(*s, "before"));
  EXPECT_TRUE(exists(*s, "after"));
}

TEST_P(pg_store_test, the_journal_and_kept_agreements_refuse_update_delete_and_truncate) {
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  commit_ok(*s, {posted("m-1", "navy")});
  ASSERT_TRUE(s->keep_agreement("config_loaded", "abc", "agreement text", "{}", 1000));
  for (const char* sql :
       {"UPDATE journal SET kind = 'forged'", "DELETE FROM journal", "TRUNCATE journal"}) {
    EXPECT_NE(pg_cluster::exec(location(), sql).find("the journal is append-only"),
              std::string::npos)
        << sql;
  }
  for (const char* sql :
       {"UPDATE agreements SET text = 'forged'", "DELETE FROM agreements", "TRUNCATE agreements"}) {
    EXPECT_NE(pg_cluster::exec(location(), sql).find("agreement versions are kept"),
              std::string::npos)
        << sql;
  }
  auto journal = s->journal({});
  ASSERT_TRUE(journal) << journal.error().message;
  ASSERT_EQ(journal->size(), 2u);
  EXPECT_EQ(journal->front().kind, "config_loaded");
  EXPECT_EQ(journal->back().kind, "queued");
}

// Two stores on one database (two nodes of a station) take turns: cursors still increase in
// commit order and the journal stays one chain, whichever store wrote each transaction.
TEST_P(pg_store_test, two_stores_on_one_database_keep_one_order_and_one_chain) {
  auto a = open_persistent();
  auto b = open_persistent();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  commit_ok(*a, {posted("a-1", "navy")});
  commit_ok(*b, {posted("b-1", "navy"), posted("b-2", "navy")});
  commit_ok(*a, {posted("a-2", "navy")});
  std::int64_t previous = 0;
  for (const char* id : {"a-1", "b-1", "b-2", "a-2"}) {
    auto m = b->get(id);
    ASSERT_TRUE(m && *m) << id;
    EXPECT_GT((*m)->cursor, previous) << id;
    previous = (*m)->cursor;
  }
  auto journal = a->journal({});
  ASSERT_TRUE(journal) << journal.error().message;
  ASSERT_EQ(journal->size(), 4u);
  for (std::size_t i = 0; i + 1 < journal->size(); ++i) {
    EXPECT_EQ((*journal)[i].seq, (*journal)[i + 1].seq + 1);
    EXPECT_EQ((*journal)[i].prev_hash, (*journal)[i + 1].hash);
  }
}

// Every record kind, committed at the same times with the same key into a SQLite store and a
// PostgreSQL store, gives the same journal: the same entries, hashes and signatures. This is
// what lets the journal's verification, written against the SQLite rows, accept PostgreSQL's.
std::vector<std::vector<records::record>> every_kind_of_record() {
  message labelled = make_message("out-2", "navy", 2);
  labelled.label.marking = "restricted";
  wire::receipt rc{"navy", "rok-fleet", "ru-pacific", 2, {}, 5000, std::string(64, '\x07')};
  rc.chain.fill(0x42);
  wire::seal_statement seal{"navy", "ru-pacific", 1, {}, 5100, std::string(64, '\x09')};
  seal.chain.fill(0x24);
  records::sequenced seq{"navy", "out-1", 1, std::string(64, '\x05'), {}, {}};
  seq.chain.fill(0x11);
  seq.digest.fill(0x22);
  return {
      {posted("out-1", "navy"), records::posted{labelled, {}}},
      {seq, received("in-1", "navy", 1), records::sealed{seal}},
      {delivered("navy", 2), records::attested{rc, {}}, records::attested{rc, "chain differs"}},
      {records::acknowledged{"in-1", "officer-kim", "Roger", 0},
       records::escalated{"out-2", 9000, false}, records::escalated{"out-1", 9100, true},
       records::flagged{"in-1", "form field missing"}},
      {records::noted{"link_up", "navy", "", "{\"peer\":\"ru-pacific\"}"},
       records::reclaimed{make_message("lost-3", "navy", 3), {}}},
  };
}

TEST_P(pg_store_test, the_journal_matches_the_sqlite_stores_hash_for_hash) {
  std::array<std::uint8_t, signing::seed_bytes> seed{};
  seed.fill(7);
  const signing::signer key{signing::secret_key::from_seed(seed)};
  auto lite = open_sqlite(":memory:", journal_options{key, true});
  ASSERT_TRUE(lite) << lite.error().message;
  auto pg = open_at(pg_cluster::instance().new_database(), journal_options{key, true});
  ASSERT_NE(pg, nullptr);
  std::int64_t now_ms = 1'700'000'000'000;
  for (const auto& batch : every_kind_of_record()) {
    now_ms += 1000;
    commit_ok(**lite, batch, now_ms);
    commit_ok(*pg, batch, now_ms);
  }
  ASSERT_TRUE((*lite)->keep_agreement("config_loaded", "h", "text", "{\"v\":1}", now_ms + 1));
  ASSERT_TRUE(pg->keep_agreement("config_loaded", "h", "text", "{\"v\":1}", now_ms + 1));

  journal_query all;
  all.limit = 500;
  auto want = (*lite)->journal(all);
  auto got = pg->journal(all);
  ASSERT_TRUE(want) << want.error().message;
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), want->size());
  ASSERT_GE(want->size(), 16u);
  std::size_t signed_entries = 0;
  for (std::size_t i = 0; i < want->size(); ++i) {
    const journal_entry& w = (*want)[i];
    const journal_entry& g = (*got)[i];
    EXPECT_EQ(g.seq, w.seq);
    EXPECT_EQ(g.at_ms, w.at_ms);
    EXPECT_EQ(g.kind, w.kind);
    EXPECT_EQ(g.channel, w.channel);
    EXPECT_EQ(g.message_id, w.message_id);
    EXPECT_EQ(g.msg_seq, w.msg_seq);
    EXPECT_EQ(g.detail, w.detail);
    EXPECT_EQ(g.prev_hash, w.prev_hash);
    EXPECT_EQ(g.hash, w.hash) << "entry " << w.seq << " (" << w.kind << ")";
    EXPECT_EQ(g.hash, journal_entry_hash(g)) << "entry " << g.seq;
    EXPECT_EQ(g.signature, w.signature) << "entry " << w.seq;
    if (!g.signature.empty()) ++signed_entries;
  }
  EXPECT_EQ(signed_entries, every_kind_of_record().size() + 1) << "one per transaction";

  // And the rows the records made read back the same.
  for (const char* id : {"out-1", "out-2", "in-1", "lost-3"}) {
    auto w = (*lite)->get(id);
    auto g = pg->get(id);
    ASSERT_TRUE(w && *w && g && *g) << id;
    EXPECT_EQ((*g)->msg, (*w)->msg) << id;
    EXPECT_EQ((*g)->status, (*w)->status) << id;
    EXPECT_EQ((*g)->delivered_at_ms, (*w)->delivered_at_ms) << id;
    EXPECT_EQ((*g)->acknowledged_by, (*w)->acknowledged_by) << id;
    EXPECT_EQ((*g)->escalated_at_ms, (*w)->escalated_at_ms) << id;
    EXPECT_EQ((*g)->flag, (*w)->flag) << id;
  }
}

// Verification reads a PostgreSQL database as it reads a SQLite file: through the store, and
// offline through a read-only connection of its own, it reports what it reports on SQLite.
TEST_P(pg_store_test, journal_verification_reports_the_same_as_on_sqlite) {
  std::array<std::uint8_t, signing::seed_bytes> seed{};
  seed.fill(7);
  const signing::signer key{signing::secret_key::from_seed(seed)};
  temp_dir dir;
  const std::string file = dir.file("station.db");
  const std::string url = pg_cluster::instance().new_database();
  {
    auto lite = open_sqlite(file, journal_options{key, true});
    ASSERT_TRUE(lite) << lite.error().message;
    auto pg = open_at(url, journal_options{key, true});
    ASSERT_NE(pg, nullptr);
    std::int64_t now_ms = 1'700'000'000'000;
    for (const auto& batch : every_kind_of_record()) {
      now_ms += 1000;
      commit_ok(**lite, batch, now_ms);
      commit_ok(*pg, batch, now_ms);
    }
    const std::string detail = R"({"station":"rok-fleet","agreement_hash":"h"})";
    ASSERT_TRUE((*lite)->keep_agreement("config_loaded", "h", "text", detail, now_ms + 1));
    ASSERT_TRUE(pg->keep_agreement("config_loaded", "h", "text", detail, now_ms + 1));
    const journal_keys keys{"rok-fleet", {}};
    auto via_store = verify_journal(*pg, keys);
    ASSERT_TRUE(via_store) << via_store.error().message;
    auto again = verify_journal(*pg, keys);  // its statements are prepared once
    ASSERT_TRUE(again) << again.error().message;
  }
  const journal_keys keys{"rok-fleet", {}};
  auto want = verify_journal(file, keys);
  auto got = verify_postgresql_journal(url, keys);
  ASSERT_TRUE(want) << want.error().message;
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->entries, want->entries);
  EXPECT_EQ(got->head_seq, want->head_seq);
  EXPECT_EQ(got->messages, want->messages);
  ASSERT_EQ(got->first_bad.has_value(), want->first_bad.has_value());
  if (want->first_bad) {
    EXPECT_EQ(got->first_bad->seq, want->first_bad->seq);
    EXPECT_EQ(got->first_bad->what, want->first_bad->what);
  }
  auto id = read_postgresql_identity(url);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->station, "rok-fleet");
  EXPECT_EQ(id->agreement_text, "text");
  EXPECT_EQ(id->agreement_texts, std::vector<std::string>{"text"});
  // A database that holds no journal is no Hotline store.
  auto empty = verify_postgresql_journal(pg_cluster::instance().new_database(), keys);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, errc::corrupt);
}

// An acknowledgement message on "navy": `form` ACK with `body`, sent (seq given) or received.
message ack_message(std::string id, std::uint64_t seq, std::string body, bool received) {
  message m = make_message(std::move(id), "navy", seq, received ? "ru-pacific" : "rok-fleet");
  m.form = "ACK";
  m.body = std::move(body);
  return m;
}

// After every_kind_of_record(): the peer's acknowledgement of out-1, arriving after a body that
// names out-1 but is neither JSON nor UTF-8 (skipped on both stores, never a failed query), and
// this station's acknowledgement of in-1, sent.
std::vector<std::vector<records::record>> acknowledgements() {
  const std::string garbage = "\xff\xfe{\"reference\":\"out-1\" not JSON";
  return {
      {records::received{ack_message("ack-bad", 2, garbage, true), {}},
       records::received{
           ack_message("ack-out", 3, R"({"reference":"out-1","answered_by":"ivanov"})", true), {}},
       records::acknowledged{"out-1", "officer-ivanov", "Roger", 0}},
      {records::posted{
          ack_message("ack-in", 4, R"({"reference":"in-1","answered_by":"officer-kim"})", false),
          {}}},
  };
}

// Evidence reads a PostgreSQL database as it reads a SQLite file: through the store and offline,
// the same history gives the same bundle, byte for byte.
TEST_P(pg_store_test, evidence_bundles_are_the_same_as_on_sqlite) {
  std::array<std::uint8_t, signing::seed_bytes> seed{};
  seed.fill(7);
  const signing::signer key{signing::secret_key::from_seed(seed)};
  temp_dir dir;
  const std::string file = dir.file("station.db");
  const std::string url = pg_cluster::instance().new_database();
  auto lite = open_sqlite(file, journal_options{key, true});
  ASSERT_TRUE(lite) << lite.error().message;
  auto pg = open_at(url, journal_options{key, true});
  ASSERT_NE(pg, nullptr);
  std::int64_t now_ms = 1'700'000'000'000;
  auto history = every_kind_of_record();
  for (auto& batch : acknowledgements()) history.push_back(std::move(batch));
  for (const auto& batch : history) {
    now_ms += 1000;
    commit_ok(**lite, batch, now_ms);
    commit_ok(*pg, batch, now_ms);
  }
  const std::string detail = R"({"station":"rok-fleet","agreement_hash":"sha256:ab"})";
  ASSERT_TRUE((*lite)->keep_agreement("config_loaded", "h", "text", detail, now_ms + 1));
  ASSERT_TRUE(pg->keep_agreement("config_loaded", "h", "text", detail, now_ms + 1));

  const std::int64_t exported_at_ms = 1'800'000'000'000;
  auto text = [&](result<evidence_material> m, const std::string& where) {
    EXPECT_TRUE(m) << where << ": " << (m ? "" : m.error().message);
    return m ? evidence::make_bundle(*m, exported_at_ms).dump(2) : std::string{};
  };
  for (const char* id : {"out-1", "in-1", "out-2", "ack-out"}) {
    const std::string want = text(gather_evidence(**lite, id), std::string{"sqlite store "} + id);
    ASSERT_FALSE(want.empty()) << id;
    EXPECT_EQ(text(gather_evidence(file, id), std::string{"sqlite file "} + id), want);
    EXPECT_EQ(text(gather_evidence(*pg, id), std::string{"pg store "} + id), want);
    EXPECT_EQ(text(gather_evidence(*pg, id), std::string{"pg store again "} + id), want);
    EXPECT_EQ(text(gather_postgresql_evidence(url, id), std::string{"pg url "} + id), want);
  }
  // What the bundles hold, so that two empty ones cannot pass for two equal ones.
  auto sent = gather_postgresql_evidence(url, "out-1");
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_TRUE(sent->outbound);
  EXPECT_EQ(sent->station, "rok-fleet");
  ASSERT_TRUE(sent->acknowledgement);
  EXPECT_EQ(sent->acknowledgement->id, "ack-out");
  EXPECT_FALSE(sent->journal.empty());
  auto received_in = gather_postgresql_evidence(url, "in-1");
  ASSERT_TRUE(received_in) << received_in.error().message;
  EXPECT_FALSE(received_in->outbound);
  ASSERT_TRUE(received_in->acknowledgement);
  EXPECT_EQ(received_in->acknowledgement->id, "ack-in");

  for (auto got :
       {gather_evidence(**lite, "no-such-id"), gather_evidence(file, "no-such-id"),
        gather_evidence(*pg, "no-such-id"), gather_postgresql_evidence(url, "no-such-id")}) {
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, errc::not_found) << got.error().message;
  }
  // A database that holds no journal is no Hotline store.
  auto empty = gather_postgresql_evidence(pg_cluster::instance().new_database(), "out-1");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, errc::corrupt);
}

INSTANTIATE_TEST_SUITE_P(backends, pg_store_test, ::testing::Values(backend::postgresql),
                         backend_name);

}  // namespace
}  // namespace hotline::storage

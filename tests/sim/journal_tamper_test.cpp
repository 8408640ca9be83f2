// The journal against tampering: each way of changing a station's database is found by the
// verification `hotline journal verify` runs, and names the entry where it is found.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "sim/journal_world.hpp"
#include "storage/sqlite_journal.hpp"

namespace hotline::test {
namespace {

constexpr int A = 0;
constexpr int B = 1;

std::string finding(const storage::verify_report& r) {
  return r.first_bad ? "#" + std::to_string(r.first_bad->seq) + ": " + r.first_bad->what : "(none)";
}

TEST(journal_tamper, untouched_journals_verify_on_both_sides) {
  journal_world w;
  for (int i : {A, B}) {
    const auto r = w.verify(i);
    EXPECT_TRUE(r.ok()) << finding(r);
    EXPECT_EQ(r.messages, 10);  // 6 sent by A and 4 by B, on each side
    EXPECT_GT(r.checkpoints, 0);
    EXPECT_GT(r.seals, 0);  // the peer's seals over what it sent
    EXPECT_GT(r.signatures, 0);
    EXPECT_EQ(r.entries, r.head_seq);
  }
}

TEST(journal_tamper, a_changed_payload_byte_is_found) {
  journal_world w;
  w.tamper(A, "UPDATE messages SET body = CAST('x' || substr(CAST(body AS TEXT), 2) AS BLOB)"
              " WHERE box = 'out' AND seq = 2");
  const auto r = w.verify(A);
  ASSERT_FALSE(r.ok());
  EXPECT_GT(r.first_bad->seq, 0);
  EXPECT_NE(r.first_bad->what.find("differ from the digest journaled"), std::string::npos) << finding(r);
}

TEST(journal_tamper, a_changed_byte_of_a_received_message_is_found) {
  journal_world w;
  w.tamper(B, "UPDATE messages SET body = CAST('x' || substr(CAST(body AS TEXT), 2) AS BLOB)"
              " WHERE box = 'in' AND seq = 2");
  const auto r = w.verify(B);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.first_bad->what.find("differ from the digest journaled"), std::string::npos) << finding(r);
}

TEST(journal_tamper, a_changed_signature_is_found) {
  journal_world w;
  w.tamper(B, "UPDATE messages SET signature = zeroblob(64) WHERE box = 'in' AND seq = 3");
  const auto r = w.verify(B);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.first_bad->what.find("signature is not valid for rok-fleet's key"), std::string::npos)
      << finding(r);
}

TEST(journal_tamper, a_deleted_message_row_is_found) {
  journal_world w;
  w.tamper(A, "DELETE FROM messages WHERE box = 'out' AND seq = 3");
  const auto r = w.verify(A);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.first_bad->what.find("missing from the store"), std::string::npos) << finding(r);
}

TEST(journal_tamper, two_swapped_message_rows_are_found) {
  journal_world w;
  w.tamper(A,
           "UPDATE messages SET seq = 1000 WHERE box = 'out' AND seq = 2;"
           "UPDATE messages SET seq = 2 WHERE box = 'out' AND seq = 4;"
           "UPDATE messages SET seq = 4 WHERE box = 'out' AND seq = 1000;");
  const auto r = w.verify(A);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.first_bad->what.find("not the one journaled"), std::string::npos) << finding(r);
}

TEST(journal_tamper, a_deleted_journal_entry_breaks_the_chain) {
  journal_world w;
  w.tamper(A, "DELETE FROM journal WHERE seq = 5");
  const auto r = w.verify(A);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad->seq, 6);
  EXPECT_NE(r.first_bad->what.find("missing or out of order"), std::string::npos) << finding(r);
}

TEST(journal_tamper, two_swapped_journal_entries_break_the_chain) {
  journal_world w;
  w.tamper(B,
           "UPDATE journal SET seq = 1000000 WHERE seq = 4; UPDATE journal SET seq = 4 WHERE seq = 5;"
           "UPDATE journal SET seq = 5 WHERE seq = 1000000;");
  const auto r = w.verify(B);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad->seq, 4);
  EXPECT_NE(r.first_bad->what.find("prev_hash"), std::string::npos) << finding(r);
}

TEST(journal_tamper, an_edited_journal_entry_no_longer_matches_its_hash) {
  journal_world w;
  w.tamper(A, "UPDATE journal SET at_ms = at_ms + 1 WHERE seq = 3");
  const auto r = w.verify(A);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.first_bad->seq, 3);
  EXPECT_NE(r.first_bad->what.find("hash does not match"), std::string::npos) << finding(r);
}

TEST(journal_tamper, an_unsigned_tail_is_found) {
  journal_world w;
  w.tamper(A, "UPDATE journal SET signature = x'' WHERE seq = (SELECT MAX(seq) FROM journal)");
  const auto r = w.verify(A);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.first_bad->what.find("not signed"), std::string::npos) << finding(r);
}

// Someone with A's disk and A's signing key rewrites one of A's messages (of `box`) and then
// makes A's whole history consistent again: every digest, chain and journal hash recomputed,
// every journal signature redone. A's own signatures all check; the checkpoints B signed,
// which A cannot forge, still name the old chain.
void rewrite_consistently(journal_world& w, int victim, std::uint64_t seq,
                          const std::string& box = "out") {
  sqlite3* db = w.db(victim);
  const auto& key = w.sim().at(victim).setup().key;
  auto entries = storage::read_journal_range(db, 1, 100'000);
  ASSERT_TRUE(entries.has_value());
  // Rewrite the message and re-sign it.
  sqlite3_stmt* st = nullptr;
  const std::string select = "SELECT id, channel, sender, seq, precedence, form, body,"
                             " created_at_ms FROM messages WHERE box = '" + box +
                             "' AND seq > 0 ORDER BY seq";
  ASSERT_EQ(sqlite3_prepare_v2(db, select.c_str(), -1, &st, nullptr), SQLITE_OK);
  std::map<std::string, message> out;  // by id
  std::map<std::string, signing::digest> chain_of;
  signing::digest chain{};
  while (sqlite3_step(st) == SQLITE_ROW) {
    message m;
    m.id = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    m.channel = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    m.from = reinterpret_cast<const char*>(sqlite3_column_text(st, 2));
    m.seq = static_cast<std::uint64_t>(sqlite3_column_int64(st, 3));
    m.prec = static_cast<precedence>(sqlite3_column_int(st, 4));
    m.form = reinterpret_cast<const char*>(sqlite3_column_text(st, 5));
    m.body.assign(static_cast<const char*>(sqlite3_column_blob(st, 6)),
                  static_cast<std::size_t>(sqlite3_column_bytes(st, 6)));
    m.created_at_ms = sqlite3_column_int64(st, 7);
    if (m.seq == seq) m.body = "nothing happened";
    chain = signing::chain_next(chain, signing::message_digest(m));
    chain_of[m.id] = chain;
    out[m.id] = m;
  }
  sqlite3_finalize(st);
  for (const auto& [id, m] : out) {
    std::string sig_hex = signing::to_hex(std::span(reinterpret_cast<const std::uint8_t*>(m.signature.data()), m.signature.size()));
    w.tamper(victim, "UPDATE messages SET body = CAST('" + m.body + "' AS BLOB), signature = x'" + sig_hex +
                         "', chain = x'" + signing::to_hex(chain_of[id]) + "' WHERE id = '" + id + "'");
  }
  // Rebuild the journal with the new digests and chains, re-hashed and re-signed.
  signing::digest prev{};
  w.tamper(victim, "DELETE FROM journal");
  for (auto e : *entries) {
    if (e.kind == (box == "out" ? "sent" : "received") && out.count(e.message_id)) {
      auto d = nlohmann::json::parse(e.detail);
      if (d.contains("digest")) d["digest"] = signing::to_hex(signing::message_digest(out[e.message_id]));
      d["chain"] = signing::to_hex(chain_of[e.message_id]);
      e.detail = d.dump();
    }
    e.prev_hash = prev;
    e.hash = storage::journal_entry_hash(e);
    if (!e.signature.empty()) e.signature = key.sign(storage::journal_signed_bytes(e.hash));
    prev = e.hash;
    sqlite3_stmt* ins = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO journal (seq, at_ms, kind, channel, message_id, msg_seq,"
                                 " detail, prev_hash, hash, signature) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                 -1, &ins, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(ins, 1, e.seq);
    sqlite3_bind_int64(ins, 2, e.at_ms);
    sqlite3_bind_text(ins, 3, e.kind.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 4, e.channel.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 5, e.message_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 6, static_cast<std::int64_t>(e.msg_seq));
    sqlite3_bind_text(ins, 7, e.detail.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 8, e.prev_hash.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 9, e.hash.data(), 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins, 10, e.signature.data(), static_cast<int>(e.signature.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(ins), SQLITE_DONE);
    sqlite3_finalize(ins);
  }
}

TEST(journal_tamper, a_consistent_rewrite_re_signed_is_caught_by_the_peers_checkpoints) {
  journal_world w;
  rewrite_consistently(w, A, 2);
  const auto r = w.verify(A);
  ASSERT_FALSE(r.ok());
  EXPECT_GT(r.first_bad->seq, 0);
  EXPECT_NE(r.first_bad->what.find("ru-pacific's signed checkpoint contradicts this station's history"),
            std::string::npos)
      << finding(r);
}

// The receiver cannot rewrite what the peer sent it, even with its own key: the peer's seal,
// kept in its journal, still covers the chain of what was really sent.
TEST(journal_tamper, a_received_message_rewritten_and_re_signed_is_caught_by_the_senders_seal) {
  journal_world w;
  rewrite_consistently(w, B, 2, "in");
  const auto r = w.verify(B);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.first_bad->what.find("rok-fleet's seal of navy up to seq"), std::string::npos)
      << finding(r);
  EXPECT_NE(r.first_bad->what.find("does not match the messages received"), std::string::npos)
      << finding(r);
}

TEST(journal_tamper, a_failed_commit_leaves_a_journal_that_verifies) {
  journal_world w;
  const auto before = w.verify(A);
  ASSERT_TRUE(before.ok());
  // A full disk: the next commit cannot grow the file, and fails as a whole.
  auto pages = storage::sqlite_testing::pragma_value(w.store(A), "page_count");
  ASSERT_TRUE(pages.has_value());
  ASSERT_TRUE(storage::sqlite_testing::set_max_page_count(w.store(A), std::stoll(*pages)).has_value());
  message m;
  m.id = "too-big";
  m.channel = "navy";
  m.from = "rok-fleet";
  m.body = std::string(200'000, 'x');
  const records::record rec = records::posted{m, {}};
  auto committed = w.store(A).commit(std::span(&rec, 1), 1);
  ASSERT_FALSE(committed.has_value());
  const auto after = w.verify(A);
  EXPECT_TRUE(after.ok()) << finding(after);
  EXPECT_EQ(after.head_seq, before.head_seq);
  auto got = w.store(A).get("too-big");
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->has_value());
}

}  // namespace
}  // namespace hotline::test

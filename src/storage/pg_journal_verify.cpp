// Journal verification and the stored identity on a PostgreSQL database: the PostgreSQL side of
// verify_source.hpp, and the entry points journal_verify.hpp declares for a URL. Offline readers
// (these, and evidence gathering in pg_evidence.cpp) get a connection of their own, read-only, and
// read in one REPEATABLE READ snapshot, so that a station writing meanwhile is seen as it was at
// the first read.
#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"
#include "storage/pg_db.hpp"
#include "storage/pg_journal.hpp"
#include "storage/verify_source.hpp"

namespace hotline::storage {

message_row read_message_row(const pg::rows& r, int i) {
  message_row m;
  m.msg.id = r.get_bytes(i, 0);
  m.msg.channel = r.get_bytes(i, 1);
  m.outbound = r.get_bytes(i, 2) == "out";
  m.msg.from = r.get_bytes(i, 3);
  m.msg.seq = static_cast<std::uint64_t>(r.get_int(i, 4));
  m.msg.prec = static_cast<precedence>(r.get_int(i, 5) & 3);
  m.msg.form = r.get_bytes(i, 6);
  m.msg.body = r.get_bytes(i, 7);
  m.msg.signature = r.get_bytes(i, 8);
  m.msg.created_at_ms = r.get_int(i, 9);
  m.chain = r.get_hash(i, 10);
  // As on SQLite: a malformed label leaves the message unlabelled, so its signature no longer
  // verifies and the journal's check names it.
  m.msg.label = labels::parse_text(r.get_bytes(i, 11)).value_or(labels::label{});
  return m;
}

namespace {

class pg_source final : public verify_source {
 public:
  explicit pg_source(PGconn* c) : c_(c) {}

  result<std::vector<journal_entry>> range(std::int64_t from_seq, std::size_t limit) override {
    return pg_read_journal_range(c_, from_seq, limit);
  }

  result<std::optional<message_row>> message(const std::string& id) override {
    pg::params p;
    p.add_text(id);
    auto r = pg::exec_prepared(c_, "verify_message", p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->size() == 0) return std::optional<message_row>{};
    return std::optional<message_row>{read_message_row(*r, 0)};
  }

  result<std::optional<std::string>> unjournaled_message() override {
    auto r = pg::exec_prepared(c_, "verify_unjournaled", {});
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->size() == 0) return std::optional<std::string>{};
    return std::optional<std::string>{r->get_bytes(0, 0) + " (" + r->get_bytes(0, 1) + " " +
                                      r->get_bytes(0, 2) + " seq " +
                                      std::to_string(r->get_int(0, 3)) + ")"};
  }

 private:
  PGconn* c_;
};

}  // namespace

result<pg::connection> pg_open_read_only(const std::string& url) {
  auto c = pg::connect(url);
  if (!c) return std::unexpected(std::move(c.error()));
  const std::string set = "SET client_encoding = 'UTF8'; SET default_transaction_read_only = on;"
                          " SET statement_timeout = " + std::to_string(pg_statement_timeout_ms);
  if (auto r = pg::exec(c->get(), set); !r) return std::unexpected(std::move(r.error()));
  if (auto r = pg::exec(c->get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !r) {
    return std::unexpected(std::move(r.error()));
  }
  // The journal is what makes this a Hotline store; without it nothing here can be checked.
  if (auto r = pg::exec(c->get(), "SELECT 1 FROM journal LIMIT 1"); !r) {
    return fail(errc::corrupt, "the database holds no Hotline journal: " + r.error().message);
  }
  if (auto r = pg_journal_writer(c->get(), {}, false).prepare(); !r) {
    return std::unexpected(std::move(r.error()));
  }
  for (const auto& [name, sql] : pg_verify_statements()) {
    if (auto r = pg::prepare(c->get(), name, sql); !r) return std::unexpected(std::move(r.error()));
  }
  return c;
}

std::vector<std::pair<const char*, const char*>> pg_verify_statements() {
  return {
      {"verify_message",
       "SELECT id, channel, box, sender, seq, precedence, form, body, signature, created_at_ms,"
       " chain, label FROM messages WHERE id = $1"},
      {"verify_unjournaled", unjournaled_message_sql},
      {"verify_identity",
       "SELECT detail FROM journal WHERE kind IN ('config_loaded', 'agreement_switched')"
       " ORDER BY seq DESC LIMIT 1"},
      {"verify_agreement", "SELECT text FROM agreements WHERE hash = $1"},
      {"verify_agreements", "SELECT text FROM agreements ORDER BY loaded_at_ms, hash"},
  };
}

result<verify_report> verify_pg_journal(PGconn* c, const journal_keys& keys) {
  pg_source source(c);
  return verify_journal(source, keys);
}

result<stored_identity> read_pg_identity(PGconn* c) {
  stored_identity out;
  auto last = pg::exec_prepared(c, "verify_identity", {});
  if (!last) return std::unexpected(std::move(last.error()));
  if (last->size() == 0) return out;
  const auto detail = nlohmann::json::parse(last->get_bytes(0, 0), nullptr, false);
  out.station = json_safe::text(detail, "station").value_or("");
  pg::params p;
  p.add_text(json_safe::text(detail, "agreement_hash").value_or(""));
  auto text = pg::exec_prepared(c, "verify_agreement", p);
  if (!text) return std::unexpected(std::move(text.error()));
  if (text->size() > 0) out.agreement_text = text->get_bytes(0, 0);
  auto all = pg::exec_prepared(c, "verify_agreements", {});
  if (!all) return std::unexpected(std::move(all.error()));
  for (int i = 0; i < all->size(); ++i) out.agreement_texts.push_back(all->get_bytes(i, 0));
  return out;
}

result<verify_report> verify_postgresql_journal(const std::string& url, const journal_keys& keys) {
  auto c = pg_open_read_only(url);
  if (!c) return std::unexpected(std::move(c.error()));
  return verify_pg_journal(c->get(), keys);
}

result<stored_identity> read_postgresql_identity(const std::string& url) {
  auto c = pg_open_read_only(url);
  if (!c) return std::unexpected(std::move(c.error()));
  return read_pg_identity(c->get());
}

}  // namespace hotline::storage

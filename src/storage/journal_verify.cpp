#include "storage/journal_verify.hpp"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"

#include "storage/message_rows.hpp"
#include "storage/pg_store.hpp"
#include "storage/sqlite_journal.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/verify_source.hpp"

namespace hotline::storage {
namespace {

constexpr std::size_t page_entries = 4096;

struct channel_state {
  std::uint64_t out_seq = 0;
  std::vector<signing::digest> out_chains;  // index seq - 1
  std::uint64_t in_seq = 0;
  signing::digest in_chain{};
  std::uint64_t in_unsealed_from = 0;  // the first received seq no seal covers yet; 0: none
};

// The SQLite database's side of the verification.
class sqlite_source final : public verify_source {
 public:
  explicit sqlite_source(sqlite3* db) : db_(db) {}

  result<void> prepare() {
    auto st = sqlite::statement::prepare(db_, std::string{message_row_select} + "WHERE id = ?1");
    if (!st) return std::unexpected(st.error());
    message_st_ = std::move(*st);
    return {};
  }

  result<std::vector<journal_entry>> range(std::int64_t from_seq, std::size_t limit) override {
    return read_journal_range(db_, from_seq, limit);
  }

  result<std::optional<message_row>> message(const std::string& id) override {
    sqlite::query q{message_st_};
    q.bind_text(1, id);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<message_row>{};
    return std::optional<message_row>{read_message_row(q)};
  }

  result<std::optional<std::string>> unjournaled_message() override {
    auto st = sqlite::statement::prepare(db_, std::string{unjournaled_message_sql});
    if (!st) return std::unexpected(st.error());
    sqlite::query q{*st};
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>{q.column_text(0) + " (" + q.column_text(1) + " " +
                                      q.column_text(2) + " seq " +
                                      std::to_string(q.column_int(3)) + ")"};
  }

 private:
  sqlite3* db_;
  sqlite::statement message_st_;
};

class verifier {
 public:
  verifier(verify_source& source, const journal_keys& keys) : source_(source), keys_(keys) {}

  result<verify_report> run() {
    std::int64_t from = 1;
    while (!report_.first_bad) {
      auto page = source_.range(from, page_entries);
      if (!page) return std::unexpected(page.error());
      for (const auto& e : *page) {
        if (!check_entry(e)) break;
      }
      if (page->size() < page_entries) break;
      from = page->back().seq + 1;
    }
    if (!report_.first_bad) check_tail();
    if (!report_.first_bad) {
      auto missing = source_.unjournaled_message();
      if (!missing) return std::unexpected(missing.error());
      if (*missing) bad(0, "message " + **missing + " is in the store but not in the journal");
    }
    return report_;
  }

 private:
  bool bad(std::int64_t seq, std::string what) {
    report_.first_bad = verify_finding{seq, std::move(what)};
    return false;
  }

  bool check_entry(const journal_entry& e) {
    if (e.seq != report_.head_seq + 1) {
      return bad(e.seq, "entry #" + std::to_string(e.seq) + " follows #" +
                            std::to_string(report_.head_seq) +
                            ": entries are missing or out of order");
    }
    if (e.prev_hash != head_) {
      return bad(e.seq, "its prev_hash is not the hash of entry #" +
                            std::to_string(report_.head_seq) +
                            ": an entry before it was changed, removed or reordered");
    }
    if (journal_entry_hash(e) != e.hash) {
      return bad(e.seq, "its hash does not match its contents: the entry was changed");
    }
    if (!e.signature.empty()) {
      const auto* key = keys_.keys.at(keys_.station, e.at_ms);
      if (key == nullptr || !signing::verify(*key, journal_signed_bytes(e.hash), e.signature)) {
        return bad(e.seq, "its signature is not " + keys_.station + "'s");
      }
      last_signed_ = e.seq;
      report_.signatures++;
    }
    head_ = e.hash;
    report_.head_seq = e.seq;
    report_.entries++;
    if (e.kind == "sent") return check_message(e, true);
    if (e.kind == "received") return check_message(e, false);
    if (e.kind == "receipt" || e.kind == "attestation_mismatch") return check_receipt(e);
    if (e.kind == "sealed") return check_seal(e);
    return true;
  }

  std::optional<message_row> load(const std::string& id) {
    auto row = source_.message(id);
    if (!row) return std::nullopt;
    return std::move(*row);
  }

  static std::string detail_string(const nlohmann::json& d, const char* key) {
    auto it = d.find(key);
    return it != d.end() && it->is_string() ? it->get<std::string>() : std::string{};
  }

  bool check_message(const journal_entry& e, bool outbound) {
    const std::string what = "message " + e.message_id;
    auto row = load(e.message_id);
    if (!row) return bad(e.seq, what + " is missing from the store");
    const message* m = &row->msg;
    if (row->outbound != outbound || m->channel != e.channel || m->seq != e.msg_seq) {
      return bad(e.seq, what + " in the store is not the one journaled: its channel, direction "
                               "or seq differ");
    }
    if (outbound != (m->from == keys_.station) || !keys_.keys.knows(m->from)) {
      return bad(e.seq, what + " names sender '" + m->from + "', whose key the agreement does not pin");
    }
    // A message from before seals (protocol 4) carries its sender's signature. Since then the
    // sender's seal covers a received message (check_seal), and this station's own are proven
    // by its signed journal.
    if (!m->signature.empty()) {
      const signing::public_key* key = keys_.keys.at(m->from, m->created_at_ms);
      if (key == nullptr || !signing::verify_message(*key, *m)) {
        return bad(e.seq, what + " (" + e.channel + " seq " + std::to_string(m->seq) +
                              "): its signature is not valid for " + m->from +
                              "'s key: the stored message was changed");
      }
    }
    const signing::digest digest = signing::message_digest(*m);
    const auto detail = nlohmann::json::parse(e.detail.empty() ? "{}" : e.detail, nullptr, false);
    const std::string journaled = detail.is_object() ? detail_string(detail, "digest") : "";
    if (!journaled.empty() && journaled != signing::to_hex(digest)) {
      return bad(e.seq, what + ": the stored bytes differ from the digest journaled for it");
    }
    auto& ch = channels_[e.channel];
    std::uint64_t& last = outbound ? ch.out_seq : ch.in_seq;
    if (m->seq != last + 1) {
      return bad(e.seq, e.channel + (outbound ? " outbound" : " inbound") + ": seq " +
                            std::to_string(m->seq) + " follows seq " + std::to_string(last));
    }
    last = m->seq;
    const signing::digest prev =
        outbound ? (ch.out_chains.empty() ? signing::digest{} : ch.out_chains.back()) : ch.in_chain;
    const signing::digest chain = signing::chain_next(prev, digest);
    if (detail.is_object() && detail_string(detail, "chain") != signing::to_hex(chain)) {
      return bad(e.seq, what + ": the chain journaled for it does not follow from the messages "
                               "before it");
    }
    // The store resumes each chain from the value kept with the last message: it must be the
    // chain of the history, or the station would sign receipts and checkpoints against another.
    if (row->chain != chain) {
      return bad(e.seq, what + ": the chain stored with it is not the chain of the messages up to it");
    }
    if (outbound) {
      ch.out_chains.push_back(chain);
    } else {
      ch.in_chain = chain;
      if (m->signature.empty() && ch.in_unsealed_from == 0) ch.in_unsealed_from = m->seq;
    }
    report_.messages++;
    return true;
  }

  // The peer's seal is written right after the messages it covers: it must be the peer's, over
  // the chain of what this station received up to there.
  bool check_seal(const journal_entry& e) {
    const std::optional<wire::seal_statement> parsed = seal_from_entry(e);
    if (!parsed) return bad(e.seq, "the seal's detail, chain or signature is malformed");
    const wire::seal_statement& st = *parsed;
    const auto* key = keys_.keys.at(st.from, st.at_ms);
    if (st.from == keys_.station || key == nullptr ||
        !signing::verify(*key, wire::canonical_seal_bytes(st), st.signature)) {
      return bad(e.seq, "the seal of " + st.channel + " up to seq " + std::to_string(st.up_to_seq) +
                            " is not valid for '" + st.from + "''s key");
    }
    auto& ch = channels_[st.channel];
    if (st.up_to_seq != ch.in_seq || st.chain != ch.in_chain) {
      return bad(e.seq, st.from + "'s seal of " + st.channel + " up to seq " +
                            std::to_string(st.up_to_seq) + " does not match the messages received " +
                            "before it: the stored history was changed");
    }
    ch.in_unsealed_from = 0;
    report_.seals++;
    return true;
  }

  bool check_receipt(const journal_entry& e) {
    const std::optional<wire::receipt> parsed = receipt_from_entry(e);
    if (!parsed) return bad(e.seq, "the checkpoint's detail, chain or signature is malformed");
    const wire::receipt& rc = *parsed;
    if (rc.by == keys_.station || !keys_.keys.knows(rc.by) || rc.from != keys_.station) {
      return bad(e.seq, "a checkpoint by '" + rc.by + "' of '" + rc.from + "' does not belong in " + keys_.station + "'s journal");
    }
    const auto* key = keys_.keys.at(rc.by, rc.at_ms);
    if (key == nullptr || !signing::verify(*key, wire::canonical_receipt_bytes(rc), rc.signature)) {
      return bad(e.seq, rc.by + "'s signature on its checkpoint of " + rc.channel + " up to seq " +
                            std::to_string(rc.up_to_seq) + " is not valid");
    }
    const auto& ch = channels_[rc.channel];
    if (rc.up_to_seq > ch.out_chains.size()) {
      return bad(e.seq, rc.by + " signed that it holds " + rc.channel + " up to seq " +
                            std::to_string(rc.up_to_seq) + ", but this journal sent only up to " +
                            std::to_string(ch.out_chains.size()) +
                            ": messages were removed from this station's history");
    }
    if (rc.up_to_seq > 0 && ch.out_chains[rc.up_to_seq - 1] != rc.chain) {
      return bad(e.seq, rc.by + "'s signed checkpoint contradicts this station's history of " +
                            rc.channel + ": at seq " + std::to_string(rc.up_to_seq) + " " + rc.by +
                            " holds chain " + signing::to_hex(rc.chain).substr(0, 16) +
                            "..., this journal has " +
                            signing::to_hex(ch.out_chains[rc.up_to_seq - 1]).substr(0, 16) +
                            "...: one side's history was rewritten");
    }
    report_.checkpoints++;
    return true;
  }

  void check_tail() {
    report_.head_hash = signing::to_hex(head_);
    for (const auto& [channel, ch] : channels_) {
      if (ch.in_unsealed_from == 0) continue;
      bad(report_.head_seq, "messages received on " + channel + " from seq " +
                                std::to_string(ch.in_unsealed_from) +
                                " carry no seal of their sender: nothing proves who sent them");
      return;
    }
    if (report_.head_seq > 0 && last_signed_ != report_.head_seq) {
      bad(last_signed_ + 1, "entries from #" + std::to_string(last_signed_ + 1) + " to #" +
                                std::to_string(report_.head_seq) + " are not signed by " +
                                keys_.station);
    }
  }

  verify_source& source_;
  const journal_keys& keys_;
  verify_report report_;
  signing::digest head_{};
  std::int64_t last_signed_ = 0;
  std::map<std::string, channel_state> channels_;
};

}  // namespace

result<verify_report> verify_journal(const std::string& db_path, const journal_keys& keys) {
  auto db = open_journal_read_only(db_path);
  if (!db) return std::unexpected(db.error());
  // One read transaction: a station that writes meanwhile is seen as it was at the first read,
  // so the journal and the messages it names are checked as one snapshot.
  if (auto r = sqlite::exec(db->get(), "BEGIN"); !r) return std::unexpected(r.error());
  auto report = verify_journal(db->get(), keys);
  (void)sqlite::exec(db->get(), "COMMIT");
  return report;
}

result<verify_report> verify_journal(sqlite3* db, const journal_keys& keys) {
  sqlite_source source(db);
  if (auto r = source.prepare(); !r) return std::unexpected(r.error());
  return verify_journal(source, keys);
}

result<verify_report> verify_journal(verify_source& source, const journal_keys& keys) {
  return verifier(source, keys).run();
}

result<verify_report> verify_journal(store& s, const journal_keys& keys) {
  if (auto* sq = dynamic_cast<sqlite_store*>(&s)) return verify_journal(sq->handle(), keys);
  if (auto* pg = dynamic_cast<pg_store*>(&s)) {
    if (auto r = pg->add_statements(pg_verify_statements()); !r) return std::unexpected(r.error());
    return verify_pg_journal(pg->handle(), keys);
  }
  return fail(errc::invalid_argument, "not a SQLite or PostgreSQL store", "store");
}

result<stored_identity> read_stored_identity(const std::string& db_path) {
  auto db = open_journal_read_only(db_path);
  if (!db) return std::unexpected(db.error());
  stored_identity out;
  auto st = sqlite::statement::prepare(
      db->get(),
      "SELECT j.detail, a.text FROM journal j LEFT JOIN agreements a ON a.hash ="
      " json_extract(j.detail, '$.agreement_hash')"
      " WHERE j.kind IN ('config_loaded', 'agreement_switched') ORDER BY j.seq DESC LIMIT 1");
  if (!st) return std::unexpected(st.error());
  sqlite::query q{*st};
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return out;
  auto detail = nlohmann::json::parse(q.column_text(0), nullptr, false);
  out.station = json_safe::text(detail, "station").value_or("");
  out.agreement_text = q.column_text(1);
  auto all = sqlite::statement::prepare(db->get(),
                                        "SELECT text FROM agreements ORDER BY loaded_at_ms, hash");
  if (!all) return std::unexpected(all.error());
  sqlite::query every{*all};
  for (;;) {
    auto next = every.step();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    out.agreement_texts.push_back(every.column_text(0));
  }
  return out;
}

}  // namespace hotline::storage

#include "storage/evidence_source.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"

#include "storage/evidence_reads.hpp"
#include "storage/message_rows.hpp"
#include "storage/pg_store.hpp"
#include "storage/sqlite_journal.hpp"
#include "storage/sqlite_store.hpp"

namespace hotline::storage {
namespace {

// A segment longer than this has no signed end in sight: the journal is damaged, and the
// bundle says so by failing verification rather than growing without bound.
constexpr std::size_t segment_entries_max = 20'000;

// The SQLite database's side of the gathering: each read one query, inside the caller's snapshot.
class sqlite_reads final : public evidence_reads {
 public:
  explicit sqlite_reads(sqlite3* db) : db_(db) {}

  result<std::optional<message_row>> message(const std::string& id) override {
    return first(rows("WHERE id = ?1", [&](sqlite::query& q) { q.bind_text(1, id); }));
  }

  result<std::optional<message_row>> message_at(const std::string& channel, bool outbound,
                                                std::uint64_t seq) override {
    return first(rows("WHERE channel = ?1 AND box = ?2 AND seq = ?3", [&](sqlite::query& q) {
      q.bind_text(1, channel)
          .bind_text(2, std::string_view(outbound ? "out" : "in"))
          .bind_int(3, static_cast<std::int64_t>(seq));
    }));
  }

  result<std::vector<message_row>> messages_between(const std::string& channel, bool outbound,
                                                    std::uint64_t after_seq,
                                                    std::uint64_t up_to_seq) override {
    return rows("WHERE channel = ?1 AND box = ?2 AND seq > ?3 AND seq <= ?4 ORDER BY seq",
                [&](sqlite::query& q) {
                  q.bind_text(1, channel)
                      .bind_text(2, std::string_view(outbound ? "out" : "in"))
                      .bind_int(3, static_cast<std::int64_t>(after_seq))
                      .bind_int(4, static_cast<std::int64_t>(up_to_seq));
                });
  }

  result<std::optional<message_row>> acknowledgement_of(const std::string& channel,
                                                        const std::string& id) override {
    return first(rows(std::string{"WHERE channel = ?1 AND form IN ('ACK', 'LINK-TEST-REPLY') AND"
                                  " seq > 0 AND "} +
                          ack_reference_sql + " ORDER BY cursor LIMIT 1",
                      [&](sqlite::query& q) { q.bind_text(1, channel).bind_text(2, id); }));
  }

  result<std::optional<journal_entry>> last_identity_entry() override {
    // The agreement version in effect: the last loaded, or the last switched to.
    return first(entries_where(
        "WHERE (kind = ?1 OR kind = 'agreement_switched') AND seq > ?2 ORDER BY seq DESC LIMIT 1",
        "config_loaded", 0));
  }

  result<std::vector<journal_entry>> entries_of(const std::string& message_id) override {
    return entries_where("WHERE message_id = ?1 AND seq > ?2 ORDER BY seq", message_id, 0);
  }

  result<std::optional<journal_entry>> first_covering(std::string_view kind,
                                                      const std::string& channel,
                                                      std::uint64_t msg_seq) override {
    return first(read_journal_where(
        db_, "WHERE kind = ?1 AND channel = ?2 AND msg_seq >= ?3 ORDER BY msg_seq, seq LIMIT 1",
        [&](sqlite::query& q) {
          q.bind_text(1, kind)
              .bind_text(2, channel)
              .bind_int(3, static_cast<std::int64_t>(msg_seq));
        }));
  }

  result<std::vector<journal_entry>> range(std::int64_t from_seq, std::size_t limit) override {
    return read_journal_range(db_, from_seq, limit);
  }

 private:
  template <class T>
  static result<std::optional<T>> first(result<std::vector<T>> all) {
    if (!all) return std::unexpected(std::move(all.error()));
    if (all->empty()) return std::optional<T>{};
    return std::optional<T>{std::move(all->front())};
  }

  result<std::vector<message_row>> rows(const std::string& where,
                                        const std::function<void(sqlite::query&)>& bind) {
    auto st = sqlite::statement::prepare(db_, std::string{message_row_select} + where);
    if (!st) return std::unexpected(st.error());
    sqlite::query q{*st};
    bind(q);
    return sqlite::collect(q, [](const sqlite::query& row) { return read_message_row(row); });
  }

  result<std::vector<journal_entry>> entries_where(const std::string& where, const std::string& a,
                                                   std::int64_t b) {
    return read_journal_where(db_, where,
                              [&](sqlite::query& q) { q.bind_text(1, a).bind_int(2, b); });
  }

  sqlite3* db_;
};

// Adds to `out` the entries from `seq` up to and including the next signed one.
result<void> add_segment(evidence_reads& db, std::int64_t seq,
                         std::map<std::int64_t, journal_entry>& out) {
  std::int64_t from = seq;
  while (static_cast<std::size_t>(from - seq) < segment_entries_max) {
    auto page = db.range(from, 256);
    if (!page) return std::unexpected(page.error());
    for (auto& e : *page) {
      const bool signed_end = !e.signature.empty();
      out.emplace(e.seq, std::move(e));
      if (signed_end) return {};
    }
    if (page->size() < 256) return {};
    from = page->back().seq + 1;
  }
  return {};
}

result<void> find_station(evidence_reads& db, evidence_material& m) {
  auto found = db.last_identity_entry();
  if (!found) return std::unexpected(found.error());
  if (!*found) return {};
  auto d = nlohmann::json::parse((*found)->detail, nullptr, false);
  if (d.is_object()) {
    m.station = json_safe::text(d, "station").value_or("");
    m.agreement_hash = json_safe::text(d, "agreement_hash").value_or("");
  }
  return {};
}

result<signing::digest> chain_before(evidence_reads& db, const message_row& r) {
  if (r.msg.seq <= 1) return signing::digest{};
  auto prev = db.message_at(r.msg.channel, r.outbound, r.msg.seq - 1);
  if (!prev) return std::unexpected(prev.error());
  return *prev ? (*prev)->chain : signing::digest{};
}

// The digests of the messages after `r` in its direction, up to seq `up_to`.
result<std::vector<signing::digest>> links_to(evidence_reads& db, const message_row& r,
                                              std::uint64_t up_to) {
  auto links = db.messages_between(r.msg.channel, r.outbound, r.msg.seq, up_to);
  if (!links) return std::unexpected(links.error());
  std::vector<signing::digest> out;
  for (const auto& l : *links) out.push_back(signing::message_digest(l.msg));
  return out;
}

// The sender's first seal that covers a message received here, with its journal entry as an
// anchor; none for this station's own messages and for those signed one by one (protocol 4).
result<std::optional<seal_proof>> find_seal(evidence_reads& db, const message_row& r,
                                            std::vector<std::int64_t>& anchors) {
  if (r.outbound || !r.msg.signature.empty()) return std::optional<seal_proof>{};
  auto found = db.first_covering("sealed", r.msg.channel, r.msg.seq);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<seal_proof>{};
  auto seal = seal_from_entry(**found);
  if (!seal) return std::optional<seal_proof>{};
  anchors.push_back((*found)->seq);
  seal_proof p;
  auto before = chain_before(db, r);
  if (!before) return std::unexpected(before.error());
  p.chain_before = *before;
  auto links = links_to(db, r, seal->up_to_seq);
  if (!links) return std::unexpected(links.error());
  p.links = std::move(*links);
  p.seal = std::move(*seal);
  return std::optional<seal_proof>{std::move(p)};
}

// For a message this station sent: the peer's first receipt covering it, as an anchor, and the
// digests linking the message to the receipt's chain.
result<void> find_receipt(evidence_reads& db, const message_row& r, evidence_material& m,
                          std::vector<std::int64_t>& anchors) {
  auto receipt = db.first_covering("receipt", r.msg.channel, r.msg.seq);
  if (!receipt) return std::unexpected(receipt.error());
  if (!*receipt) return {};
  m.receipt = receipt_from_entry(**receipt);
  anchors.push_back((*receipt)->seq);
  if (!m.receipt) return {};
  auto links = links_to(db, r, m.receipt->up_to_seq);
  if (!links) return std::unexpected(links.error());
  m.chain_links = std::move(*links);
  return {};
}

// The acknowledgement of `r`, with its own entries (and its seal, if received) as anchors.
result<void> find_acknowledgement(evidence_reads& db, const message_row& r, evidence_material& m,
                                  std::vector<std::int64_t>& anchors) {
  auto ack = db.acknowledgement_of(r.msg.channel, r.msg.id);
  if (!ack) return std::unexpected(ack.error());
  if (!*ack) return {};
  m.acknowledgement = (*ack)->msg;
  auto ack_entries = db.entries_of((*ack)->msg.id);
  if (!ack_entries) return std::unexpected(ack_entries.error());
  for (const auto& e : *ack_entries) anchors.push_back(e.seq);
  auto ack_sealed = find_seal(db, **ack, anchors);
  if (!ack_sealed) return std::unexpected(ack_sealed.error());
  m.acknowledgement_sealed = std::move(*ack_sealed);
  return {};
}

}  // namespace

result<evidence_material> gather_evidence(evidence_reads& db, const std::string& id) {
  evidence_material m;
  auto self = db.message(id);
  if (!self) return std::unexpected(self.error());
  if (!*self) return fail(errc::not_found, "no message '" + id + "'", "id");
  const message_row r = **self;
  if (r.msg.seq == 0)
    return fail(errc::conflict, "message '" + id + "' has not been sent yet", "id");
  m.msg = r.msg;
  m.outbound = r.outbound;
  if (auto s = find_station(db, m); !s) return std::unexpected(s.error());
  auto before = chain_before(db, r);
  if (!before) return std::unexpected(before.error());
  m.chain_before = *before;
  std::vector<std::int64_t> anchors;
  auto own = db.entries_of(id);
  if (!own) return std::unexpected(own.error());
  for (const auto& e : *own) anchors.push_back(e.seq);
  auto sealed = find_seal(db, r, anchors);
  if (!sealed) return std::unexpected(sealed.error());
  m.sealed = std::move(*sealed);
  if (r.outbound) {
    if (auto s = find_receipt(db, r, m, anchors); !s) return std::unexpected(s.error());
  }
  if (auto s = find_acknowledgement(db, r, m, anchors); !s) return std::unexpected(s.error());
  std::map<std::int64_t, journal_entry> segments;
  for (std::int64_t a : anchors) {
    if (auto s = add_segment(db, a, segments); !s) return std::unexpected(s.error());
  }
  for (auto& [seq, e] : segments) m.journal.push_back(std::move(e));
  return m;
}

result<evidence_material> gather_evidence(store& s, const std::string& id) {
  if (auto* sq = dynamic_cast<sqlite_store*>(&s)) {
    sqlite_reads reads(sq->handle());
    return gather_evidence(reads, id);
  }
  if (auto* pg = dynamic_cast<pg_store*>(&s)) return gather_pg_evidence(*pg, id);
  return fail(errc::invalid_argument, "not a SQLite or PostgreSQL store", "store");
}

result<evidence_material> gather_evidence(const std::string& db_path, const std::string& id) {
  auto db = open_journal_read_only(db_path);
  if (!db) return std::unexpected(db.error());
  sqlite_reads reads(db->get());
  return gather_evidence(reads, id);
}

}  // namespace hotline::storage

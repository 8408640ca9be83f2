#include "storage/evidence_source.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"

#include "storage/message_rows.hpp"
#include "storage/sqlite_journal.hpp"
#include "storage/sqlite_store.hpp"

namespace hotline::storage {
namespace {

// A segment longer than this has no signed end in sight: the journal is damaged, and the
// bundle says so by failing verification rather than growing without bound.
constexpr std::size_t segment_entries_max = 20'000;

result<std::vector<message_row>> rows(sqlite3* db, const std::string& where,
                                      const std::function<void(sqlite::query&)>& bind) {
  auto st = sqlite::statement::prepare(db, std::string{message_row_select} + where);
  if (!st) return std::unexpected(st.error());
  sqlite::query q{*st};
  bind(q);
  return sqlite::collect(q, read_message_row);
}

result<std::vector<journal_entry>> entries_where(sqlite3* db, const std::string& where,
                                                 const std::string& a, std::int64_t b) {
  return read_journal_where(db, where, [&](sqlite::query& q) { q.bind_text(1, a).bind_int(2, b); });
}

// Adds to `out` the entries from `seq` up to and including the next signed one.
result<void> add_segment(sqlite3* db, std::int64_t seq,
                         std::map<std::int64_t, journal_entry>& out) {
  std::int64_t from = seq;
  while (static_cast<std::size_t>(from - seq) < segment_entries_max) {
    auto page = read_journal_range(db, from, 256);
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

result<void> find_station(sqlite3* db, evidence_material& m) {
  // The agreement version in effect: the last loaded, or the last switched to.
  auto found = entries_where(
      db, "WHERE (kind = ?1 OR kind = 'agreement_switched') AND seq > ?2 ORDER BY seq DESC LIMIT 1",
      "config_loaded", 0);
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return {};
  auto d = nlohmann::json::parse(found->front().detail, nullptr, false);
  if (d.is_object()) {
    m.station = json_safe::text(d, "station").value_or("");
    m.agreement_hash = json_safe::text(d, "agreement_hash").value_or("");
  }
  return {};
}

result<signing::digest> chain_before(sqlite3* db, const message_row& r) {
  if (r.msg.seq <= 1) return signing::digest{};
  auto prev = rows(db, "WHERE channel = ?1 AND box = ?2 AND seq = ?3", [&](sqlite::query& q) {
    q.bind_text(1, r.msg.channel)
        .bind_text(2, std::string_view(r.outbound ? "out" : "in"))
        .bind_int(3, static_cast<std::int64_t>(r.msg.seq - 1));
  });
  if (!prev) return std::unexpected(prev.error());
  return prev->empty() ? signing::digest{} : prev->front().chain;
}

// The digests of the messages after `r` in its direction, up to seq `up_to`.
result<std::vector<signing::digest>> links_to(sqlite3* db, const message_row& r,
                                              std::uint64_t up_to) {
  auto links = rows(db, "WHERE channel = ?1 AND box = ?2 AND seq > ?3 AND seq <= ?4 ORDER BY seq",
                    [&](sqlite::query& q) {
                      q.bind_text(1, r.msg.channel)
                          .bind_text(2, std::string_view(r.outbound ? "out" : "in"))
                          .bind_int(3, static_cast<std::int64_t>(r.msg.seq))
                          .bind_int(4, static_cast<std::int64_t>(up_to));
                    });
  if (!links) return std::unexpected(links.error());
  std::vector<signing::digest> out;
  for (const auto& l : *links) out.push_back(signing::message_digest(l.msg));
  return out;
}

// The sender's first seal that covers a message received here, with its journal entry as an
// anchor; none for this station's own messages and for those signed one by one (protocol 4).
result<std::optional<seal_proof>> find_seal(sqlite3* db, const message_row& r,
                                            std::vector<std::int64_t>& anchors) {
  if (r.outbound || !r.msg.signature.empty()) return std::optional<seal_proof>{};
  auto found = entries_where(db,
                             "WHERE kind = 'sealed' AND channel = ?1 AND"
                             " msg_seq >= ?2 ORDER BY msg_seq, seq LIMIT 1",
                             r.msg.channel, static_cast<std::int64_t>(r.msg.seq));
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return std::optional<seal_proof>{};
  auto seal = seal_from_entry(found->front());
  if (!seal) return std::optional<seal_proof>{};
  anchors.push_back(found->front().seq);
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

result<evidence_material> gather(sqlite3* db, const std::string& id) {
  evidence_material m;
  auto self = rows(db, "WHERE id = ?1", [&](sqlite::query& q) { q.bind_text(1, id); });
  if (!self) return std::unexpected(self.error());
  if (self->empty()) return fail(errc::not_found, "no message '" + id + "'", "id");
  const message_row r = self->front();
  if (r.msg.seq == 0)
    return fail(errc::conflict, "message '" + id + "' has not been sent yet", "id");
  m.msg = r.msg;
  m.outbound = r.outbound;
  if (auto s = find_station(db, m); !s) return std::unexpected(s.error());
  auto before = chain_before(db, r);
  if (!before) return std::unexpected(before.error());
  m.chain_before = *before;
  std::vector<std::int64_t> anchors;
  auto own = entries_where(db, "WHERE message_id = ?1 AND seq > ?2 ORDER BY seq", id, 0);
  if (!own) return std::unexpected(own.error());
  for (const auto& e : *own) anchors.push_back(e.seq);
  auto sealed = find_seal(db, r, anchors);
  if (!sealed) return std::unexpected(sealed.error());
  m.sealed = std::move(*sealed);
  if (r.outbound) {
    auto receipts = entries_where(
        db,
        "WHERE kind = 'receipt' AND channel = ?1 AND msg_seq >= ?2 ORDER BY msg_seq, seq LIMIT 1",
        r.msg.channel, static_cast<std::int64_t>(r.msg.seq));
    if (!receipts) return std::unexpected(receipts.error());
    if (!receipts->empty()) {
      m.receipt = receipt_from_entry(receipts->front());
      anchors.push_back(receipts->front().seq);
    }
    if (m.receipt) {
      auto links = links_to(db, r, m.receipt->up_to_seq);
      if (!links) return std::unexpected(links.error());
      m.chain_links = std::move(*links);
    }
  }
  auto acks = rows(db,
                   "WHERE channel = ?1 AND form IN ('ACK', 'LINK-TEST-REPLY') AND seq > 0 AND"
                   " json_valid(CAST(body AS TEXT)) AND"
                   " json_extract(CAST(body AS TEXT), '$.reference') = ?2 ORDER BY cursor LIMIT 1",
                   [&](sqlite::query& q) { q.bind_text(1, r.msg.channel).bind_text(2, id); });
  if (!acks) return std::unexpected(acks.error());
  if (!acks->empty()) {
    m.acknowledgement = acks->front().msg;
    auto ack_entries = entries_where(db, "WHERE message_id = ?1 AND seq > ?2 ORDER BY seq",
                                     acks->front().msg.id, 0);
    if (!ack_entries) return std::unexpected(ack_entries.error());
    for (const auto& e : *ack_entries) anchors.push_back(e.seq);
    auto ack_sealed = find_seal(db, acks->front(), anchors);
    if (!ack_sealed) return std::unexpected(ack_sealed.error());
    m.acknowledgement_sealed = std::move(*ack_sealed);
  }
  std::map<std::int64_t, journal_entry> segments;
  for (std::int64_t a : anchors) {
    if (auto s = add_segment(db, a, segments); !s) return std::unexpected(s.error());
  }
  for (auto& [seq, e] : segments) m.journal.push_back(std::move(e));
  return m;
}

}  // namespace

result<evidence_material> gather_evidence(store& s, const std::string& id) {
  auto* sq = dynamic_cast<sqlite_store*>(&s);
  if (sq == nullptr) {
    return fail(errc::unavailable,
                "evidence bundles are gathered from a SQLite store only: this store is not one "
                "(PostgreSQL stores do not export evidence yet)");
  }
  return gather(sq->handle(), id);
}

result<evidence_material> gather_evidence(const std::string& db_path, const std::string& id) {
  auto db = open_journal_read_only(db_path);
  if (!db) return std::unexpected(db.error());
  return gather(db->get(), id);
}

}  // namespace hotline::storage

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
  const std::string box = r.outbound ? "out" : "in";
  if (r.msg.seq > 1) {
    auto prev = rows(db, "WHERE channel = ?1 AND box = ?2 AND seq = ?3", [&](sqlite::query& q) {
      q.bind_text(1, r.msg.channel)
          .bind_text(2, box)
          .bind_int(3, static_cast<std::int64_t>(r.msg.seq - 1));
    });
    if (!prev) return std::unexpected(prev.error());
    if (!prev->empty()) m.chain_before = prev->front().chain;
  }
  std::vector<std::int64_t> anchors;
  auto own = entries_where(db, "WHERE message_id = ?1 AND seq > ?2 ORDER BY seq", id, 0);
  if (!own) return std::unexpected(own.error());
  for (const auto& e : *own) anchors.push_back(e.seq);
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
      auto links =
          rows(db, "WHERE channel = ?1 AND box = 'out' AND seq > ?2 AND seq <= ?3 ORDER BY seq",
               [&](sqlite::query& q) {
                 q.bind_text(1, r.msg.channel)
                     .bind_int(2, static_cast<std::int64_t>(r.msg.seq))
                     .bind_int(3, static_cast<std::int64_t>(m.receipt->up_to_seq));
               });
      if (!links) return std::unexpected(links.error());
      for (const auto& l : *links) m.chain_links.push_back(signing::message_digest(l.msg));
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
  if (sq == nullptr) return fail(errc::invalid_argument, "not a SQLite store", "store");
  return gather(sq->handle(), id);
}

result<evidence_material> gather_evidence(const std::string& db_path, const std::string& id) {
  auto db = open_journal_read_only(db_path);
  if (!db) return std::unexpected(db.error());
  return gather(db->get(), id);
}

}  // namespace hotline::storage

#include "storage/pg_journal.hpp"

#include <algorithm>
#include <limits>

namespace hotline::storage {

namespace {

journal_entry read_entry(const pg::rows& r, int i) {
  journal_entry e;
  e.seq = r.get_int(i, 0);
  e.at_ms = r.get_int(i, 1);
  e.kind = r.get_bytes(i, 2);
  e.channel = r.get_bytes(i, 3);
  e.message_id = r.get_bytes(i, 4);
  e.msg_seq = static_cast<std::uint64_t>(r.get_int(i, 5));
  e.detail = r.get_bytes(i, 6);
  e.prev_hash = r.get_hash(i, 7);
  e.hash = r.get_hash(i, 8);
  e.signature = r.get_bytes(i, 9);
  return e;
}

}  // namespace

result<std::vector<journal_entry>> pg_read_entries(PGconn* c, const char* name,
                                                   const pg::params& p) {
  auto r = pg::exec_prepared(c, name, p);
  if (!r) return std::unexpected(std::move(r.error()));
  std::vector<journal_entry> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i) out.push_back(read_entry(*r, i));
  return out;
}

result<void> pg_journal_writer::prepare() {
  const std::pair<const char*, std::string> statements[] = {
      {"journal_head", "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"},
      {"journal_insert",
       "INSERT INTO journal (seq, at_ms, kind, channel, message_id, msg_seq, detail, prev_hash,"
       " hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"},
      {"journal_search",
       std::string{pg_journal_select} +
           "WHERE ($1::bigint = 0 OR seq < $1::bigint) AND ($2::text = '' OR kind = $2::text)"
           " AND ($3::text = '' OR strpos(kind || ' ' || channel || ' ' || message_id || ' ' ||"
           " detail, $3::text) > 0) ORDER BY seq DESC LIMIT $4"},
      {"journal_seals",
       std::string{pg_journal_select} +
           "WHERE kind = 'sealed' AND channel = $1 AND msg_seq >= $2 AND msg_seq <= $3"
           " ORDER BY msg_seq"},
      {"journal_range", std::string{pg_journal_select} + "WHERE seq >= $1 ORDER BY seq LIMIT $2"},
  };
  for (const auto& [name, sql] : statements) {
    if (auto r = pg::prepare(c_, name, sql); !r) return r;
  }
  return {};
}

result<void> pg_journal_writer::begin() {
  chain_.begin(0, {});
  if (!enabled_) return {};
  auto r = pg::exec_prepared(c_, "journal_head", {});
  if (!r) return std::unexpected(std::move(r.error()));
  if (r->size() == 1) chain_.begin(r->get_int(0, 0), r->get_hash(0, 1));
  return {};
}

result<void> pg_journal_writer::append(journal_entry e) {
  if (!enabled_) return {};
  if (auto previous = chain_.append(std::move(e))) return insert(*previous);
  return {};
}

result<void> pg_journal_writer::seal() {
  if (auto last = chain_.seal(key_)) return insert(*last);
  return {};
}

result<void> pg_journal_writer::insert(const journal_entry& e) {
  pg::params p;
  p.add_int(e.seq)
      .add_int(e.at_ms)
      .add_text(e.kind)
      .add_text(e.channel)
      .add_text(e.message_id)
      .add_int(static_cast<std::int64_t>(e.msg_seq))
      .add_text(e.detail)
      .add_hash(e.prev_hash)
      .add_hash(e.hash)
      .add_bytea(e.signature);
  auto r = pg::exec_prepared(c_, "journal_insert", p);
  if (!r) return std::unexpected(std::move(r.error()));
  return {};
}

result<std::vector<journal_entry>> pg_read_journal(PGconn* c, const journal_query& q) {
  pg::params p;
  p.add_int(q.before_seq)
      .add_text(q.kind)
      .add_text(q.text)
      .add_int(static_cast<std::int64_t>(std::clamp<std::size_t>(q.limit, 1, 500)));
  return pg_read_entries(c, "journal_search", p);
}

result<std::vector<journal_entry>> pg_read_seals(PGconn* c, const std::string& channel,
                                                 std::int64_t from_seq, std::int64_t to_seq) {
  pg::params p;
  p.add_text(channel).add_int(from_seq).add_int(to_seq);
  return pg_read_entries(c, "journal_seals", p);
}

result<std::vector<journal_entry>> pg_read_journal_range(PGconn* c, std::int64_t from_seq,
                                                         std::size_t limit) {
  pg::params p;
  const auto limit_max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  p.add_int(from_seq).add_int(static_cast<std::int64_t>(std::min(limit, limit_max)));
  return pg_read_entries(c, "journal_range", p);
}

}  // namespace hotline::storage

// The SQLite store's read path: recover(), queued_after(), get(), list() and the seq ranges,
// and the checks every row passes on its way off the disk.
#include <algorithm>
#include <limits>

#include "core/limits.hpp"
#include "core/watch.hpp"
#include "storage/sqlite_journal.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/store_checks.hpp"

namespace hotline::storage {

namespace {

// Every read selects these columns in this order; decode() reads them by position.
constexpr std::string_view message_columns =
    "cursor, id, channel, box, sender, seq, precedence, form, body, signature, created_at_ms,"
    " received_at_ms, delivered_at_ms, acknowledged_at_ms, acknowledged_by, ack_answer,"
    " escalated_at_ms, flag, label";

constexpr auto seq_db_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

std::string select_messages(std::string_view rest) {
  std::string sql = "SELECT ";
  sql += message_columns;
  sql += " FROM messages ";
  sql += rest;
  return sql;
}

std::string list_sql(std::size_t variant) {
  std::string where;
  auto add = [&where](std::string_view term) {
    where += where.empty() ? "WHERE " : " AND ";
    where += term;
  };
  // With both a channel and a box, messages_channel_box_cursor serves the page. With one of
  // them, `+` keeps the planner off that index (it would sort the whole channel): the table is
  // walked in cursor order instead, which stops at `limit` (migration 12).
  const bool both = (variant & 3U) == 3U;
  if ((variant & 1U) != 0) add(both ? "channel = :channel" : "+channel = :channel");
  if ((variant & 2U) != 0) add(both ? "box = :box" : "+box = :box");
  if ((variant & 4U) != 0) add("cursor > :after");
  // After a cursor the oldest come first; without one the newest are taken and then reversed.
  where += (variant & 4U) != 0 ? " ORDER BY cursor ASC" : " ORDER BY cursor DESC";
  return select_messages(where + " LIMIT :limit");
}

// Turns the current row into a stored_message, checking what the schema cannot: a row that
// fails is reported as errc::corrupt rather than handed to the core.
result<stored_message> decode(const sqlite::query& q) {
  undecoded_message row;
  stored_message& m = row.m;
  m.cursor = q.column_int(0);
  m.msg.id = q.column_text(1);
  m.msg.channel = q.column_text(2);
  row.box_text = q.column_text(3);
  m.msg.from = q.column_text(4);
  row.seq = q.column_int(5);
  row.precedence = q.column_int(6);
  m.msg.form = q.column_text(7);
  m.msg.body = q.column_blob(8);
  m.msg.signature = q.column_blob(9);
  m.msg.created_at_ms = q.column_int(10);
  if (!q.column_is_null(11)) m.received_at_ms = q.column_int(11);
  if (!q.column_is_null(12)) m.delivered_at_ms = q.column_int(12);
  if (!q.column_is_null(13)) m.acknowledged_at_ms = q.column_int(13);
  if (!q.column_is_null(14)) m.acknowledged_by = q.column_text(14);
  if (!q.column_is_null(15)) m.ack_answer = q.column_text(15);
  if (!q.column_is_null(16)) m.escalated_at_ms = q.column_int(16);
  if (!q.column_is_null(17)) m.flag = q.column_text(17);
  row.label_text = q.column_text(18);
  return decode_message(std::move(row));
}

result<std::vector<stored_message>> read_all(sqlite::query& q) {
  return sqlite::collect(q, decode);
}

std::vector<message> messages_of(std::vector<stored_message>&& rows) {
  std::vector<message> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.msg));
  return out;
}

error corrupt(const std::string& channel, const std::string& what) {
  return error{errc::corrupt, "channel '" + channel + "': " + what, {}};
}

}  // namespace

result<void> sqlite_store::prepare_read_statements() {
  std::vector<std::pair<sqlite::statement*, std::string>> reads = {
      {&st_.get, select_messages("WHERE id = ?1")},
      {&st_.seq_stats,
       "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM messages"
       " WHERE channel = ?1 AND box = ?2 AND seq > 0"},
      {&st_.highest_delivered,
       "SELECT seq FROM messages WHERE channel = ?1 AND box = 'out' AND seq > 0"
       " AND delivered_at_ms IS NOT NULL ORDER BY seq DESC LIMIT 1"},
      {&st_.undelivered_below,
       "SELECT COUNT(*) FROM messages INDEXED BY messages_out_undelivered"
       " WHERE channel = ?1 AND box = 'out' AND seq > 0"
       " AND delivered_at_ms IS NULL AND seq <= ?2"},
      {&st_.unacked,
       select_messages("WHERE channel = ?1 AND box = 'out' AND seq > 0 AND seq > ?2 ORDER BY seq")},
      // INDEXED BY: the partial index holds only the queue, so neither read walks the channel's
      // sequenced history; SQLite refuses to prepare the statement if it could not use it.
      {&st_.queued,
       select_messages("INDEXED BY messages_out_queued_precedence"
                       " WHERE channel = ?1 AND box = 'out' AND seq = 0 AND precedence = ?2"
                       " AND cursor > ?3 ORDER BY cursor LIMIT ?4")},
      {&st_.queued_counts,
       "SELECT precedence, COUNT(*) FROM messages INDEXED BY messages_out_queued_precedence"
       " WHERE channel = ?1 AND box = 'out' AND seq = 0 GROUP BY precedence"},
      {&st_.queue_position,
       "SELECT cursor FROM messages WHERE id = ?1 AND channel = ?2 AND box = 'out'"},
      // The literal `seq > 0` (chain_at() never asks for seq 0) lets the planner use the partial
      // unique index instead of walking every message of the channel.
      {&st_.chain_at,
       "SELECT chain FROM messages WHERE channel = ?1 AND box = ?2 AND seq = ?3 AND seq > 0"},
      {&st_.inbound_range,
       select_messages("WHERE channel = ?1 AND box = 'in' AND seq > 0 AND seq >= ?2"
                       " AND seq <= ?3 ORDER BY seq")},
      {&st_.outbound_range,
       select_messages("WHERE channel = ?1 AND box = 'out' AND seq > 0 AND seq >= ?2"
                       " AND seq <= ?3 ORDER BY seq")},
  };
  reads.emplace_back(&st_.awaiting_ack,
                     select_messages("WHERE acknowledged_at_ms IS NULL AND escalated_at_ms IS NULL"
                                     " AND form NOT IN ('ACK', 'LINK-TEST-REPLY')"
                                     " AND cursor > ?2 ORDER BY cursor LIMIT ?1"));
  // The link-test view's reads, on the index that holds link tests alone (migration 12); the
  // literal form is what lets SQLite use that partial index.
  const std::string link_test_where = "INDEXED BY messages_link_tests WHERE channel = ?1 AND form = ?2"
                                      " AND box = 'out' AND form = '" +
                                      std::string(core::form_link_test) + "'";
  reads.emplace_back(&st_.last_link_test_sent,
                     select_messages(link_test_where + " ORDER BY cursor DESC LIMIT 1"));
  // The newest answered, on the index of answered link tests (migration 14): no sort.
  reads.emplace_back(&st_.last_link_test_acknowledged,
                     select_messages("INDEXED BY messages_link_tests_answered WHERE channel = ?1"
                                     " AND form = ?2 AND box = 'out' AND form = '" +
                                     std::string(core::form_link_test) +
                                     "' AND acknowledged_at_ms IS NOT NULL"
                                     " ORDER BY acknowledged_at_ms DESC, cursor DESC LIMIT 1"));
  for (std::size_t v = 0; v < list_variants; ++v) reads.emplace_back(&st_.list[v], list_sql(v));
  for (const auto& [target, sql] : reads) {
    auto s = sqlite::statement::prepare(db_.get(), sql);
    if (!s) return std::unexpected(s.error());
    *target = std::move(*s);
  }
  return {};
}

result<std::optional<stored_message>> sqlite_store::get(std::string_view id) {
  sqlite::query q{st_.get};
  q.bind_text(1, id);
  auto row = q.step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<stored_message>{};
  auto m = decode(q);
  if (!m) return std::unexpected(std::move(m.error()));
  return std::optional<stored_message>{std::move(*m)};
}

result<std::vector<stored_message>> sqlite_store::list(const list_query& lq) {
  if (lq.limit == 0) return fail(errc::invalid_argument, "limit must be at least 1", "limit");
  if (lq.limit > limits::list_limit_max) {
    return fail(errc::limit, "limit exceeds list_limit_max", "limit");
  }
  const std::size_t variant =
      (lq.channel.empty() ? 0U : 1U) | (lq.direction ? 2U : 0U) | (lq.after_cursor ? 4U : 0U);
  sqlite::query q{st_.list[variant]};
  q.bind_text(":channel", lq.channel)
      .bind_text(":box", lq.direction ? to_string(*lq.direction) : std::string_view{})
      .bind_int(":after", lq.after_cursor.value_or(0))
      .bind_int(":limit", static_cast<std::int64_t>(lq.limit));
  auto rows = read_all(q);
  if (rows && !lq.after_cursor) std::reverse(rows->begin(), rows->end());
  return rows;
}

result<std::vector<stored_message>> sqlite_store::inbound_range(const std::string& channel,
                                                                std::uint64_t from_seq,
                                                                std::uint64_t to_seq) {
  return seq_range(st_.inbound_range, channel, from_seq, to_seq);
}

result<records::range_rows> sqlite_store::range_proofs(const std::string& channel, box direction,
                                                       std::uint64_t from_seq,
                                                       std::uint64_t to_seq) {
  records::range_rows out;
  auto chain = chain_at(channel, direction, to_seq);
  if (!chain) return std::unexpected(std::move(chain.error()));
  out.chain = *chain;
  if (direction == box::out) return out;
  auto entries = read_journal_where(
      db_.get(),
      "INDEXED BY journal_seals WHERE kind = 'sealed' AND channel = ?1 AND msg_seq >= ?2"
      " AND msg_seq <= ?3 ORDER BY msg_seq",
      [&](sqlite::query& q) {
        q.bind_text(1, channel)
            .bind_int(2, static_cast<std::int64_t>(from_seq))
            .bind_int(3, static_cast<std::int64_t>(to_seq));
      });
  if (!entries) return std::unexpected(std::move(entries.error()));
  for (const auto& e : *entries) {
    auto seal = seal_from_entry(e);
    if (!seal) return std::unexpected(corrupt(channel, "a malformed seal in journal entry #" + std::to_string(e.seq)));
    out.seals.push_back(std::move(*seal));
  }
  return out;
}

result<std::vector<stored_message>> sqlite_store::outbound_range(const std::string& channel,
                                                                 std::uint64_t from_seq,
                                                                 std::uint64_t to_seq) {
  return seq_range(st_.outbound_range, channel, from_seq, to_seq);
}

result<std::vector<stored_message>> sqlite_store::seq_range(sqlite::statement& st,
                                                            const std::string& channel,
                                                            std::uint64_t from_seq,
                                                            std::uint64_t to_seq) {
  if (from_seq > to_seq || from_seq > seq_db_max) return std::vector<stored_message>{};
  sqlite::query q{st};
  q.bind_text(1, channel)
      .bind_int(2, static_cast<std::int64_t>(from_seq))
      .bind_int(3, static_cast<std::int64_t>(std::min(to_seq, seq_db_max)));
  return read_all(q);
}

result<std::pair<std::uint64_t, std::uint64_t>> sqlite_store::seq_count_and_max(
    const std::string& channel, box direction) {
  sqlite::query q{st_.seq_stats};
  q.bind_text(1, channel).bind_text(2, to_string(direction));
  auto row = q.step();
  if (!row) return std::unexpected(std::move(row.error()));
  // An aggregate always yields one row, and the schema keeps seq non-negative.
  return std::pair{static_cast<std::uint64_t>(q.column_int(0)),
                   static_cast<std::uint64_t>(q.column_int(1))};
}

result<std::uint64_t> sqlite_store::out_delivered(const std::string& channel) {
  std::uint64_t highest = 0;
  {
    sqlite::query q{st_.highest_delivered};
    q.bind_text(1, channel);
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (*row) highest = static_cast<std::uint64_t>(q.column_int(0));
  }
  // Delivered marks are cumulative: every outbound message at or below the highest mark must
  // carry one. The undelivered index holds only the window, so this check is cheap.
  sqlite::query q{st_.undelivered_below};
  q.bind_text(1, channel).bind_int(2, static_cast<std::int64_t>(highest));
  auto row = q.step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (const std::int64_t holes = q.column_int(0); holes != 0) {
    return std::unexpected(corrupt(channel, std::to_string(holes) +
                                                " outbound messages at or below delivered seq " +
                                                std::to_string(highest) + " lack a delivery mark"));
  }
  return highest;
}

result<std::vector<message>> sqlite_store::load_unacked(const std::string& channel,
                                                        std::uint64_t after_seq,
                                                        std::uint64_t next_out_seq) {
  sqlite::query q{st_.unacked};
  q.bind_text(1, channel).bind_int(2, static_cast<std::int64_t>(after_seq));
  auto rows = read_all(q);
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::uint64_t expected = after_seq + 1;
  for (const auto& r : *rows) {
    if (r.msg.seq != expected) {
      return std::unexpected(corrupt(channel, "outbound seq " + std::to_string(expected) +
                                                  " is missing (next on disk is " +
                                                  std::to_string(r.msg.seq) + ")"));
    }
    ++expected;
  }
  if (expected != next_out_seq) {
    return std::unexpected(corrupt(channel, "unacknowledged messages end at seq " +
                                                std::to_string(expected - 1) + ", expected " +
                                                std::to_string(next_out_seq - 1)));
  }
  return messages_of(std::move(*rows));
}

// Queued messages of one precedence after `after_cursor`, in post order, within `limit` and
// (after the first) `bytes_max`. Rows are read one at a time, so memory stays within the bounds
// however long the queue on disk is.
result<std::vector<message>> sqlite_store::read_queued(const std::string& channel, precedence prec,
                                                       std::int64_t after_cursor, std::size_t limit,
                                                       std::size_t bytes_max) {
  std::vector<message> out;
  std::size_t bytes = 0;
  sqlite::query q{st_.queued};
  q.bind_text(1, channel)
      .bind_int(2, static_cast<std::int64_t>(prec))
      .bind_int(3, after_cursor)
      .bind_int(4, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, seq_db_max)));
  while (out.size() < limit) {
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) break;
    auto m = decode(q);
    if (!m) return std::unexpected(std::move(m.error()));
    // The index promised these; a row that is not what was asked for is not handed to the core.
    if (m->direction != box::out || m->msg.seq != 0 || m->msg.prec != prec ||
        m->msg.channel != channel) {
      return std::unexpected(corrupt(channel, "message '" + m->msg.id + "' is not queued here"));
    }
    const std::size_t weight = message_weight_bytes(m->msg);
    if (!out.empty() && bytes + weight > bytes_max) break;
    bytes += weight;
    out.push_back(std::move(m->msg));
  }
  return out;
}

result<std::array<std::uint64_t, precedence_count>> sqlite_store::count_queued(
    const std::string& channel) {
  std::array<std::uint64_t, precedence_count> counts{};
  sqlite::query q{st_.queued_counts};
  q.bind_text(1, channel);
  while (true) {
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) break;
    const std::int64_t prec = q.column_int(0);
    const std::int64_t n = q.column_int(1);
    if (prec < 0 || prec >= precedence_count || n < 0) {
      return std::unexpected(corrupt(
          channel, "queued messages of precedence " + std::to_string(prec) + " cannot be counted"));
    }
    counts[static_cast<std::size_t>(prec)] = static_cast<std::uint64_t>(n);
  }
  return counts;
}

// The oldest queued messages of each precedence, flash first, within the bounds the core keeps
// in memory (limits::queue_memory_*): the core reads the rest with queued_after() as it drains.
result<std::vector<message>> sqlite_store::load_queued(const std::string& channel,
                                                       const records::channel_recovery& counted) {
  std::vector<message> out;
  std::size_t bytes = 0;
  for (std::size_t p = 0; p < precedence_count; ++p) {
    if (out.size() >= limits::queue_memory_messages_max ||
        bytes >= limits::queue_memory_bytes_max) {
      break;
    }
    if (counted.queued_total[p] == 0) continue;
    auto rows = read_queued(channel, static_cast<precedence>(p), 0,
                            limits::queue_memory_messages_max - out.size(),
                            limits::queue_memory_bytes_max - bytes);
    if (!rows) return std::unexpected(std::move(rows.error()));
    if (rows->size() > counted.queued_total[p]) {
      return std::unexpected(corrupt(channel, "more queued messages read than counted"));
    }
    for (auto& m : *rows) {
      bytes += message_weight_bytes(m);
      out.push_back(std::move(m));
    }
  }
  return out;
}

result<std::vector<message>> sqlite_store::queued_after(const std::string& channel, precedence prec,
                                                        std::string_view after_id,
                                                        std::size_t limit, std::size_t bytes_max) {
  if (limit == 0) return fail(errc::invalid_argument, "limit must be at least 1", "limit");
  std::int64_t after_cursor = 0;
  if (!after_id.empty()) {
    sqlite::query q{st_.queue_position};
    q.bind_text(1, after_id).bind_text(2, channel);
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) {
      return std::unexpected(corrupt(
          channel, "queue position '" + std::string{after_id} + "' is not an outbound message"));
    }
    after_cursor = q.column_int(0);
  }
  return read_queued(channel, prec, after_cursor, limit, bytes_max);
}

// The chain up to `seq` (zeros for seq 0). A sequenced message without one predates the journal
// and starts a fresh chain.
result<wire::hash256> sqlite_store::chain_at(const std::string& channel, box direction,
                                             std::uint64_t seq) {
  wire::hash256 chain{};
  if (seq == 0) return chain;
  sqlite::query q{st_.chain_at};
  q.bind_text(1, channel)
      .bind_text(2, to_string(direction))
      .bind_int(3, static_cast<std::int64_t>(seq));
  auto row = q.step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::unexpected(corrupt(channel, "no message at seq " + std::to_string(seq)));
  return q.column_hash(0);
}

result<records::channel_recovery> sqlite_store::recover(const std::string& channel) {
  auto out = seq_count_and_max(channel, box::out);
  if (!out) return std::unexpected(std::move(out.error()));
  auto in = seq_count_and_max(channel, box::in);
  if (!in) return std::unexpected(std::move(in.error()));
  auto delivered = out_delivered(channel);
  if (!delivered) return std::unexpected(std::move(delivered.error()));

  records::channel_recovery rec;
  rec.channel = channel;
  rec.next_out_seq = out->second + 1;
  rec.out_delivered = *delivered;
  rec.in_next_expected = in->second + 1;

  auto unacked = load_unacked(channel, rec.out_delivered, rec.next_out_seq);
  if (!unacked) return std::unexpected(std::move(unacked.error()));
  // Sequence numbers start at 1 and are unique per box (the schema ensures it), so the count
  // equals the highest seq exactly when nothing below it is missing.
  if (out->first != out->second) {
    return std::unexpected(corrupt(channel, std::to_string(out->first) +
                                                " outbound messages are sequenced but the highest"
                                                " seq is " +
                                                std::to_string(out->second)));
  }
  if (in->first != in->second) {
    return std::unexpected(corrupt(
        channel, "inbound seqs have a gap: " + std::to_string(in->first) +
                     " messages on disk but the highest seq is " + std::to_string(in->second)));
  }
  auto queued_total = count_queued(channel);
  if (!queued_total) return std::unexpected(std::move(queued_total.error()));
  rec.queued_total = *queued_total;
  auto queued = load_queued(channel, rec);
  if (!queued) return std::unexpected(std::move(queued.error()));
  auto out_base = chain_at(channel, box::out, rec.out_delivered);
  if (!out_base) return std::unexpected(std::move(out_base.error()));
  auto in_chain = chain_at(channel, box::in, in->second);
  if (!in_chain) return std::unexpected(std::move(in_chain.error()));
  rec.out_chain_base = *out_base;
  rec.in_chain = *in_chain;
  rec.unacked = std::move(*unacked);
  rec.queued = std::move(*queued);
  return rec;
}

result<std::vector<stored_message>> sqlite_store::awaiting_ack(std::int64_t after_cursor,
                                                               std::size_t limit) {
  sqlite::query q{st_.awaiting_ack};
  q.bind_int(1, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, seq_db_max)))
      .bind_int(2, after_cursor);
  return read_all(q);
}

result<std::optional<stored_message>> sqlite_store::one(sqlite::statement& st,
                                                        const std::string& channel,
                                                        std::string_view form) {
  sqlite::query q{st};
  q.bind_text(1, channel).bind_text(2, form);
  auto rows = read_all(q);
  if (!rows) return std::unexpected(std::move(rows.error()));
  if (rows->empty()) return std::optional<stored_message>{};
  return std::optional<stored_message>{std::move(rows->front())};
}

result<std::optional<stored_message>> sqlite_store::last_sent(const std::string& channel,
                                                              std::string_view form) {
  if (form != core::form_link_test) return fail(errc::invalid_argument, "only link tests are tracked");
  return one(st_.last_link_test_sent, channel, form);
}

result<std::optional<stored_message>> sqlite_store::last_acknowledged(const std::string& channel,
                                                                      std::string_view form) {
  if (form != core::form_link_test) return fail(errc::invalid_argument, "only link tests are tracked");
  return one(st_.last_link_test_acknowledged, channel, form);
}

}  // namespace hotline::storage

// The PostgreSQL store's read path: recover(), queued_after(), get(), list() and the seq ranges.
// Every read gives what the SQLite store's gives (sqlite_store_reads.cpp), in the same order and
// within the same limits, and every row passes the same checks (store_checks.hpp).
#include <algorithm>
#include <limits>

#include "core/limits.hpp"
#include "core/watch.hpp"
#include "storage/pg_store.hpp"
#include "storage/store_checks.hpp"

namespace hotline::storage {

namespace {

// Every read of messages selects these columns in this order; decode() reads them by position.
constexpr std::string_view message_columns =
    "cursor, id, channel, box, sender, seq, precedence, form, body, signature, created_at_ms,"
    " received_at_ms, delivered_at_ms, acknowledged_at_ms, acknowledged_by, ack_answer,"
    " escalated_at_ms, flag, label";

constexpr auto seq_db_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
constexpr std::size_t list_variants = 8;

std::string select_messages(std::string_view rest) {
  std::string sql = "SELECT ";
  sql += message_columns;
  sql += " FROM messages ";
  sql += rest;
  return sql;
}

std::string list_name(std::size_t variant) { return "list" + std::to_string(variant); }

// One statement per combination of filters (bit 0 channel, bit 1 box, bit 2 after_cursor), with
// its parameters numbered in that order and the limit last, so the planner sees each shape.
std::string list_sql(std::size_t variant) {
  std::string where;
  int n = 0;
  auto add = [&](std::string_view column, std::string_view op) {
    where += where.empty() ? "WHERE " : " AND ";
    where += std::string{column} + " " + std::string{op} + " $" + std::to_string(++n);
  };
  if ((variant & 1U) != 0) add("channel", "=");
  if ((variant & 2U) != 0) add("box", "=");
  if ((variant & 4U) != 0) add("cursor", ">");
  // After a cursor the oldest come first; without one the newest are taken and then reversed.
  where += (variant & 4U) != 0 ? " ORDER BY cursor ASC" : " ORDER BY cursor DESC";
  return select_messages(where + " LIMIT $" + std::to_string(++n));
}

result<stored_message> decode(const pg::rows& r, int i) {
  undecoded_message row;
  stored_message& m = row.m;
  m.cursor = r.get_int(i, 0);
  m.msg.id = r.get_bytes(i, 1);
  m.msg.channel = r.get_bytes(i, 2);
  row.box_text = r.get_bytes(i, 3);
  m.msg.from = r.get_bytes(i, 4);
  row.seq = r.get_int(i, 5);
  row.precedence = r.get_int(i, 6);
  m.msg.form = r.get_bytes(i, 7);
  m.msg.body = r.get_bytes(i, 8);
  m.msg.signature = r.get_bytes(i, 9);
  m.msg.created_at_ms = r.get_int(i, 10);
  if (!r.is_null(i, 11)) m.received_at_ms = r.get_int(i, 11);
  if (!r.is_null(i, 12)) m.delivered_at_ms = r.get_int(i, 12);
  if (!r.is_null(i, 13)) m.acknowledged_at_ms = r.get_int(i, 13);
  if (!r.is_null(i, 14)) m.acknowledged_by = r.get_bytes(i, 14);
  if (!r.is_null(i, 15)) m.ack_answer = r.get_bytes(i, 15);
  if (!r.is_null(i, 16)) m.escalated_at_ms = r.get_int(i, 16);
  if (!r.is_null(i, 17)) m.flag = r.get_bytes(i, 17);
  row.label_text = r.get_bytes(i, 18);
  return decode_message(std::move(row));
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

std::int64_t clamp_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(limit, seq_db_max));
}

}  // namespace

result<void> pg_store::prepare_read_statements() {
  std::vector<std::pair<std::string, std::string>> reads = {
      {"get", select_messages("WHERE id = $1")},
      {"seq_stats",
       "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM messages"
       " WHERE channel = $1 AND box = $2 AND seq > 0"},
      {"highest_delivered",
       "SELECT seq FROM messages WHERE channel = $1 AND box = 'out' AND seq > 0"
       " AND delivered_at_ms IS NOT NULL ORDER BY seq DESC LIMIT 1"},
      {"undelivered_below",
       "SELECT COUNT(*) FROM messages WHERE channel = $1 AND box = 'out' AND seq > 0"
       " AND delivered_at_ms IS NULL AND seq <= $2"},
      {"unacked",
       select_messages("WHERE channel = $1 AND box = 'out' AND seq > 0 AND seq > $2 ORDER BY seq")},
      {"queued", select_messages("WHERE channel = $1 AND box = 'out' AND seq = 0"
                                 " AND precedence = $2 AND cursor > $3 ORDER BY cursor LIMIT $4")},
      {"queued_counts",
       "SELECT precedence, COUNT(*) FROM messages"
       " WHERE channel = $1 AND box = 'out' AND seq = 0 GROUP BY precedence"},
      {"queue_position",
       "SELECT cursor FROM messages WHERE id = $1 AND channel = $2 AND box = 'out'"},
      {"chain_at",
       "SELECT chain FROM messages WHERE channel = $1 AND box = $2 AND seq = $3"
       " AND seq > 0"},
      {"inbound_range", select_messages("WHERE channel = $1 AND box = 'in' AND seq > 0"
                                        " AND seq >= $2 AND seq <= $3 ORDER BY seq")},
      {"outbound_range", select_messages("WHERE channel = $1 AND box = 'out' AND seq > 0"
                                         " AND seq >= $2 AND seq <= $3 ORDER BY seq")},
      {"awaiting_ack",
       select_messages("WHERE acknowledged_at_ms IS NULL AND escalated_at_ms IS NULL"
                       " AND form NOT IN ('ACK', 'LINK-TEST-REPLY')"
                       " AND cursor > $2 ORDER BY cursor LIMIT $1")},
      {"last_sent", select_messages("WHERE channel = $1 AND form = $2 AND box = 'out'"
                                    " ORDER BY cursor DESC LIMIT 1")},
      {"last_acknowledged",
       select_messages("WHERE channel = $1 AND form = $2 AND box = 'out'"
                       " AND acknowledged_at_ms IS NOT NULL"
                       " ORDER BY acknowledged_at_ms DESC, cursor DESC LIMIT 1")},
  };
  for (std::size_t v = 0; v < list_variants; ++v) reads.emplace_back(list_name(v), list_sql(v));
  for (const auto& [name, sql] : reads) {
    if (auto r = pg::prepare(c_.get(), name, sql); !r) return r;
  }
  return {};
}

result<std::vector<stored_message>> pg_store::read_messages(const std::string& name,
                                                            const pg::params& p) {
  auto r = run(name, p);
  if (!r) return std::unexpected(std::move(r.error()));
  std::vector<stored_message> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i) {
    auto m = decode(*r, i);
    if (!m) return std::unexpected(std::move(m.error()));
    out.push_back(std::move(*m));
  }
  return out;
}

result<std::optional<stored_message>> pg_store::first_message(const std::string& name,
                                                              const pg::params& p) {
  auto rows = read_messages(name, p);
  if (!rows) return std::unexpected(std::move(rows.error()));
  if (rows->empty()) return std::optional<stored_message>{};
  return std::optional<stored_message>{std::move(rows->front())};
}

result<std::optional<stored_message>> pg_store::get(std::string_view id) {
  pg::params p;
  p.add_text(id);
  return first_message("get", p);
}

result<std::vector<stored_message>> pg_store::list(const list_query& lq) {
  if (lq.limit == 0) return fail(errc::invalid_argument, "limit must be at least 1", "limit");
  if (lq.limit > limits::list_limit_max) {
    return fail(errc::limit, "limit exceeds list_limit_max", "limit");
  }
  const std::size_t variant =
      (lq.channel.empty() ? 0U : 1U) | (lq.direction ? 2U : 0U) | (lq.after_cursor ? 4U : 0U);
  pg::params p;
  if (!lq.channel.empty()) p.add_text(lq.channel);
  if (lq.direction) p.add_text(to_string(*lq.direction));
  if (lq.after_cursor) p.add_int(*lq.after_cursor);
  p.add_int(static_cast<std::int64_t>(lq.limit));
  auto rows = read_messages(list_name(variant), p);
  if (rows && !lq.after_cursor) std::reverse(rows->begin(), rows->end());
  return rows;
}

result<std::vector<stored_message>> pg_store::inbound_range(const std::string& channel,
                                                            std::uint64_t from_seq,
                                                            std::uint64_t to_seq) {
  return seq_range("inbound_range", channel, from_seq, to_seq);
}

result<std::vector<stored_message>> pg_store::outbound_range(const std::string& channel,
                                                             std::uint64_t from_seq,
                                                             std::uint64_t to_seq) {
  return seq_range("outbound_range", channel, from_seq, to_seq);
}

result<std::vector<stored_message>> pg_store::seq_range(const std::string& name,
                                                        const std::string& channel,
                                                        std::uint64_t from_seq,
                                                        std::uint64_t to_seq) {
  if (from_seq > to_seq || from_seq > seq_db_max) return std::vector<stored_message>{};
  pg::params p;
  p.add_text(channel)
      .add_int(static_cast<std::int64_t>(from_seq))
      .add_int(static_cast<std::int64_t>(std::min(to_seq, seq_db_max)));
  return read_messages(name, p);
}

result<records::range_rows> pg_store::range_proofs(const std::string& channel, box direction,
                                                   std::uint64_t from_seq, std::uint64_t to_seq) {
  records::range_rows out;
  auto chain = chain_at(channel, direction, to_seq);
  if (!chain) return std::unexpected(std::move(chain.error()));
  out.chain = *chain;
  if (direction == box::out) return out;
  auto entries = pg_read_seals(c_.get(), channel, static_cast<std::int64_t>(from_seq),
                               static_cast<std::int64_t>(std::min(to_seq, seq_db_max)));
  if (!entries) return std::unexpected(std::move(entries.error()));
  for (const auto& e : *entries) {
    auto seal = seal_from_entry(e);
    if (!seal) {
      return std::unexpected(
          corrupt(channel, "a malformed seal in journal entry #" + std::to_string(e.seq)));
    }
    out.seals.push_back(std::move(*seal));
  }
  return out;
}

result<std::pair<std::uint64_t, std::uint64_t>> pg_store::seq_count_and_max(
    const std::string& channel, box direction) {
  pg::params p;
  p.add_text(channel).add_text(to_string(direction));
  auto r = run("seq_stats", p);
  if (!r) return std::unexpected(std::move(r.error()));
  // An aggregate always yields one row, and the schema keeps seq non-negative.
  return std::pair{static_cast<std::uint64_t>(r->get_int(0, 0)),
                   static_cast<std::uint64_t>(r->get_int(0, 1))};
}

result<std::uint64_t> pg_store::out_delivered(const std::string& channel) {
  pg::params p;
  p.add_text(channel);
  auto top = run("highest_delivered", p);
  if (!top) return std::unexpected(std::move(top.error()));
  const std::uint64_t highest =
      top->size() == 1 ? static_cast<std::uint64_t>(top->get_int(0, 0)) : 0;
  // Delivered marks are cumulative: every outbound message at or below the highest mark must
  // carry one.
  pg::params q;
  q.add_text(channel).add_int(static_cast<std::int64_t>(highest));
  auto holes = run("undelivered_below", q);
  if (!holes) return std::unexpected(std::move(holes.error()));
  if (const std::int64_t n = holes->get_int(0, 0); n != 0) {
    return std::unexpected(corrupt(channel, std::to_string(n) +
                                                " outbound messages at or below delivered seq " +
                                                std::to_string(highest) + " lack a delivery mark"));
  }
  return highest;
}

result<std::vector<message>> pg_store::load_unacked(const std::string& channel,
                                                    std::uint64_t after_seq,
                                                    std::uint64_t next_out_seq) {
  pg::params p;
  p.add_text(channel).add_int(static_cast<std::int64_t>(after_seq));
  auto rows = read_messages("unacked", p);
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
// (after the first) `bytes_max`, read pg_queue_page_rows at a time so that memory stays within
// the bounds however long the queue on disk is.
result<std::vector<message>> pg_store::read_queued(const std::string& channel, precedence prec,
                                                   std::int64_t after_cursor, std::size_t limit,
                                                   std::size_t bytes_max) {
  std::vector<message> out;
  std::size_t bytes = 0;
  while (out.size() < limit) {
    const std::size_t page = std::min(limit - out.size(), pg_queue_page_rows);
    pg::params p;
    p.add_text(channel)
        .add_int(static_cast<std::int64_t>(prec))
        .add_int(after_cursor)
        .add_int(clamp_limit(page));
    auto rows = read_messages("queued", p);
    if (!rows) return std::unexpected(std::move(rows.error()));
    for (auto& m : *rows) {
      // The query promised these; a row that is not what was asked for is not handed to the core.
      if (m.direction != box::out || m.msg.seq != 0 || m.msg.prec != prec ||
          m.msg.channel != channel) {
        return std::unexpected(corrupt(channel, "message '" + m.msg.id + "' is not queued here"));
      }
      const std::size_t weight = message_weight_bytes(m.msg);
      if (!out.empty() && bytes + weight > bytes_max) return out;
      bytes += weight;
      after_cursor = m.cursor;
      out.push_back(std::move(m.msg));
    }
    if (rows->size() < page) break;
  }
  return out;
}

result<std::array<std::uint64_t, precedence_count>> pg_store::count_queued(
    const std::string& channel) {
  std::array<std::uint64_t, precedence_count> counts{};
  pg::params p;
  p.add_text(channel);
  auto r = run("queued_counts", p);
  if (!r) return std::unexpected(std::move(r.error()));
  for (int i = 0; i < r->size(); ++i) {
    const std::int64_t prec = r->get_int(i, 0);
    const std::int64_t n = r->get_int(i, 1);
    if (prec < 0 || prec >= precedence_count || n < 0) {
      return std::unexpected(corrupt(
          channel, "queued messages of precedence " + std::to_string(prec) + " cannot be counted"));
    }
    counts[static_cast<std::size_t>(prec)] = static_cast<std::uint64_t>(n);
  }
  return counts;
}

// The oldest queued messages of each precedence, flash first, within the bounds the core keeps
// in memory (limits::queue_memory_*).
result<std::vector<message>> pg_store::load_queued(const std::string& channel,
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

result<std::vector<message>> pg_store::queued_after(const std::string& channel, precedence prec,
                                                    std::string_view after_id, std::size_t limit,
                                                    std::size_t bytes_max) {
  if (limit == 0) return fail(errc::invalid_argument, "limit must be at least 1", "limit");
  std::int64_t after_cursor = 0;
  if (!after_id.empty()) {
    pg::params p;
    p.add_text(after_id).add_text(channel);
    auto r = run("queue_position", p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->size() == 0) {
      return std::unexpected(corrupt(
          channel, "queue position '" + std::string{after_id} + "' is not an outbound message"));
    }
    after_cursor = r->get_int(0, 0);
  }
  return read_queued(channel, prec, after_cursor, limit, bytes_max);
}

// The chain up to `seq` (zeros for seq 0). A sequenced message without one predates the journal
// and starts a fresh chain.
result<wire::hash256> pg_store::chain_at(const std::string& channel, box direction,
                                         std::uint64_t seq) {
  wire::hash256 chain{};
  if (seq == 0) return chain;
  pg::params p;
  p.add_text(channel).add_text(to_string(direction)).add_int(static_cast<std::int64_t>(seq));
  auto r = run("chain_at", p);
  if (!r) return std::unexpected(std::move(r.error()));
  if (r->size() == 0)
    return std::unexpected(corrupt(channel, "no message at seq " + std::to_string(seq)));
  return r->get_hash(0, 0);
}

result<records::channel_recovery> pg_store::recover(const std::string& channel) {
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

result<std::vector<stored_message>> pg_store::awaiting_ack(std::int64_t after_cursor,
                                                           std::size_t limit) {
  pg::params p;
  p.add_int(clamp_limit(limit)).add_int(after_cursor);
  return read_messages("awaiting_ack", p);
}

result<std::optional<stored_message>> pg_store::last_sent(const std::string& channel,
                                                          std::string_view form) {
  if (form != core::form_link_test) return fail(errc::invalid_argument, "only link tests are tracked");
  pg::params p;
  p.add_text(channel).add_text(form);
  return first_message("last_sent", p);
}

result<std::optional<stored_message>> pg_store::last_acknowledged(const std::string& channel,
                                                                  std::string_view form) {
  if (form != core::form_link_test) return fail(errc::invalid_argument, "only link tests are tracked");
  pg::params p;
  p.add_text(channel).add_text(form);
  return first_message("last_acknowledged", p);
}

}  // namespace hotline::storage

#include "storage/sqlite_journal.hpp"

#include <algorithm>
#include <cassert>
#include <type_traits>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/json_safe.hpp"

namespace hotline::storage {
namespace {

void put_u64(wire::bytes& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_str(wire::bytes& out, std::string_view s) {
  put_u64(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

std::string hex(const signing::digest& d) { return signing::to_hex(d); }
std::string b64(std::string_view bytes) {
  return signing::to_base64(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

journal_entry entry(std::string kind, std::string channel, std::string id, std::uint64_t seq,
                    nlohmann::json detail, std::int64_t at_ms) {
  journal_entry e;
  e.kind = std::move(kind);
  e.channel = std::move(channel);
  e.message_id = std::move(id);
  e.msg_seq = seq;
  e.detail = detail.is_null() ? std::string{} : json_safe::dump(detail);
  e.at_ms = at_ms;
  return e;
}

journal_entry message_entry(std::string kind, const message& m, const signing::digest& chain,
                            std::int64_t now_ms) {
  nlohmann::json d{{"from", m.from},
                   {"precedence", to_string(m.prec)},
                   {"form", m.form},
                   {"digest", hex(signing::message_digest(m))},
                   {"chain", hex(chain)}};
  if (!m.label.empty()) d["label"] = labels::to_text(m.label);
  return entry(std::move(kind), m.channel, m.id, m.seq, std::move(d), now_ms);
}

constexpr const char* select_columns =
    "SELECT seq, at_ms, kind, channel, message_id, msg_seq, detail, prev_hash, hash, signature"
    " FROM journal ";

journal_entry read_entry(sqlite::query& q) {
  journal_entry e;
  e.seq = q.column_int(0);
  e.at_ms = q.column_int(1);
  e.kind = q.column_text(2);
  e.channel = q.column_text(3);
  e.message_id = q.column_text(4);
  e.msg_seq = static_cast<std::uint64_t>(q.column_int(5));
  e.detail = q.column_text(6);
  e.prev_hash = q.column_hash(7);
  e.hash = q.column_hash(8);
  e.signature = q.column_blob(9);
  return e;
}

}  // namespace

signing::digest journal_entry_hash(const journal_entry& e) {
  wire::bytes b;
  put_str(b, "hotline-journal-v1");
  put_u64(b, static_cast<std::uint64_t>(e.seq));
  put_u64(b, static_cast<std::uint64_t>(e.at_ms));
  put_str(b, e.kind);
  put_str(b, e.channel);
  put_str(b, e.message_id);
  put_u64(b, e.msg_seq);
  put_str(b, e.detail);
  b.insert(b.end(), e.prev_hash.begin(), e.prev_hash.end());
  return signing::sha256(b);
}

wire::bytes journal_signed_bytes(const signing::digest& hash) {
  wire::bytes b;
  put_str(b, "hotline-journal-head-v1");
  b.insert(b.end(), hash.begin(), hash.end());
  return b;
}

std::vector<journal_entry> journal_entries_for(const records::record& rec, std::int64_t now_ms) {
  return std::visit(
      [now_ms](const auto& r) -> std::vector<journal_entry> {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, records::posted>) {
          if (r.msg.seq > 0) return {message_entry("sent", r.msg, r.chain, now_ms)};
          nlohmann::json d{{"precedence", to_string(r.msg.prec)}, {"form", r.msg.form}};
          if (!r.msg.label.empty()) d["label"] = labels::to_text(r.msg.label);
          return {entry("queued", r.msg.channel, r.msg.id, 0, std::move(d), now_ms)};
        } else if constexpr (std::is_same_v<T, records::sequenced>) {
          // The row holds the rest of the message; the digest is checked against it on verify.
          return {entry("sent", r.channel, r.id, r.seq,
                        {{"chain", hex(r.chain)}, {"digest", hex(r.digest)}}, now_ms)};
        } else if constexpr (std::is_same_v<T, records::received>) {
          return {message_entry("received", r.msg, r.chain, now_ms)};
        } else if constexpr (std::is_same_v<T, records::reclaimed>) {
          // Sent before a restore lost it: journaled as sent, now, and delivered at once.
          return {message_entry("sent", r.msg, r.chain, now_ms),
                  entry("delivered", r.msg.channel, {}, r.msg.seq, nullptr, now_ms)};
        } else if constexpr (std::is_same_v<T, records::delivered>) {
          return {entry("delivered", r.channel, {}, r.up_to_seq, nullptr, now_ms)};
        } else if constexpr (std::is_same_v<T, records::acknowledged>) {
          return {entry("acknowledged", {}, r.id, 0,
                        {{"by", r.by}, {"answer", r.answer}, {"at_ms", r.at_ms ? r.at_ms : now_ms}},
                        now_ms)};
        } else if constexpr (std::is_same_v<T, records::escalated>) {
          return {entry(r.missed_link_test ? "test_missed" : "escalated", {}, r.id, 0,
                        {{"deadline_ms", r.deadline_ms}}, now_ms)};
        } else if constexpr (std::is_same_v<T, records::flagged>) {
          return {entry("flagged", {}, r.id, 0, {{"reason", r.reason}}, now_ms)};
        } else if constexpr (std::is_same_v<T, records::sealed>) {
          const wire::seal_statement& st = r.seal;
          nlohmann::json d{{"from", st.from},
                           {"up_to_seq", st.up_to_seq},
                           {"chain", hex(st.chain)},
                           {"at_ms", st.at_ms},
                           {"signature", b64(st.signature)}};
          return {entry("sealed", st.channel, {}, st.up_to_seq, std::move(d), now_ms)};
        } else if constexpr (std::is_same_v<T, records::attested>) {
          const wire::receipt& rc = r.receipt;
          nlohmann::json d{
              {"from", rc.from},
              {"by", rc.by},
              {"up_to_seq", rc.up_to_seq},
              {"chain", hex(rc.chain)},
              {"at_ms", rc.at_ms},
              {"signature", b64(rc.signature)}};
          if (!r.mismatch.empty()) d["mismatch"] = r.mismatch;
          return {entry(r.mismatch.empty() ? "receipt" : "attestation_mismatch", rc.channel, {},
                        rc.up_to_seq, std::move(d), now_ms)};
        } else {
          static_assert(std::is_same_v<T, records::noted>);
          journal_entry e = entry(r.kind, r.channel, r.message_id, 0, nullptr, now_ms);
          e.detail = r.detail;
          return {std::move(e)};
        }
      },
      rec);
}

std::optional<wire::seal_statement> seal_from_entry(const journal_entry& e) {
  auto rc = receipt_from_entry(e);
  if (!rc) return std::nullopt;
  return wire::seal_statement{rc->channel, rc->from, rc->up_to_seq, rc->chain, rc->at_ms,
                              std::move(rc->signature)};
}

std::optional<wire::receipt> receipt_from_entry(const journal_entry& e) {
  const auto d = nlohmann::json::parse(e.detail, nullptr, false);
  if (!d.is_object()) return std::nullopt;
  auto text = [&d](const char* key) {
    auto it = d.find(key);
    return it != d.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  auto chain = signing::digest_from_hex(text("chain"));
  auto sig = signing::from_base64(text("signature"));
  if (!chain || !sig) return std::nullopt;
  wire::receipt rc;
  rc.channel = e.channel;
  rc.from = text("from");
  rc.by = text("by");
  const auto up_to_seq = json_safe::unsigned_integer(d, "up_to_seq");
  const auto at_ms = json_safe::integer(d, "at_ms");
  if (!up_to_seq || !at_ms) return std::nullopt;
  rc.up_to_seq = *up_to_seq;
  rc.at_ms = *at_ms;
  rc.chain = *chain;
  rc.signature = *sig;
  return rc;
}

journal_writer::journal_writer(sqlite3* db, signing::signer key, bool enabled)
    : db_(db), key_(std::move(key)), enabled_(enabled) {}

result<void> journal_writer::prepare() {
  auto head =
      sqlite::statement::prepare(db_, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1");
  if (!head) return std::unexpected(head.error());
  auto insert = sqlite::statement::prepare(
      db_,
      "INSERT INTO journal (seq, at_ms, kind, channel, message_id, msg_seq, detail, prev_hash,"
      " hash, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!insert) return std::unexpected(insert.error());
  head_ = std::move(*head);
  insert_ = std::move(*insert);
  return {};
}

void journal_chain::begin(std::int64_t head_seq, const signing::digest& head_hash) {
  head_seq_ = head_seq;
  head_hash_ = head_hash;
  last_.reset();
}

std::optional<journal_entry> journal_chain::append(journal_entry e) {
  std::optional<journal_entry> previous = std::move(last_);
  e.seq = ++head_seq_;
  e.prev_hash = head_hash_;
  e.hash = journal_entry_hash(e);
  head_hash_ = e.hash;
  last_ = std::move(e);
  // Invariant: the entry handed back is the one the new entry links to.
  assert(!previous || previous->hash == last_->prev_hash);
  return previous;
}

std::optional<journal_entry> journal_chain::seal(const signing::signer& key) {
  std::optional<journal_entry> e = std::move(last_);
  last_.reset();
  if (e && !key.at(e->at_ms).empty()) {
    e->signature = key.at(e->at_ms).sign(journal_signed_bytes(e->hash));
  }
  return e;
}

result<void> journal_writer::begin() {
  chain_.begin(0, {});
  if (!enabled_) return {};
  sqlite::query q{head_};
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  chain_.begin(*row ? q.column_int(0) : 0, *row ? q.column_hash(1) : signing::digest{});
  return {};
}

result<void> journal_writer::append(journal_entry e) {
  if (!enabled_) return {};
  if (auto previous = chain_.append(std::move(e))) return insert(*previous);
  return {};
}

result<void> journal_writer::seal() {
  if (auto last = chain_.seal(key_)) return insert(*last);
  return {};
}

result<void> journal_writer::record(journal_entry e) {
  if (!enabled_) return {};
  if (auto r = begin(); !r) return r;
  if (auto r = append(std::move(e)); !r) return r;
  return seal();
}

result<void> journal_writer::insert(const journal_entry& e) {
  sqlite::query q{insert_};
  q.bind_int(1, e.seq)
      .bind_int(2, e.at_ms)
      .bind_text(3, e.kind)
      .bind_text(4, e.channel)
      .bind_text(5, e.message_id)
      .bind_int(6, static_cast<std::int64_t>(e.msg_seq))
      .bind_text(7, e.detail)
      .bind_hash(8, e.prev_hash)
      .bind_hash(9, e.hash)
      .bind_blob(10, e.signature);
  return q.run();
}

result<sqlite::connection> open_journal_read_only(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  sqlite::connection db{raw};
  if (rc != SQLITE_OK) return std::unexpected(sqlite::make_error(raw, rc, "open " + path));
  // A station may hold the write lock on the same file; wait for it as the station's own
  // connection would, rather than failing at once.
  sqlite3_busy_timeout(raw, sqlite_busy_timeout_ms);
  auto check = sqlite::statement::prepare(db.get(), "SELECT 1 FROM journal LIMIT 1");
  if (!check) {
    return fail(errc::corrupt,
                path + " is not a Hotline store with a journal: " + check.error().message);
  }
  return db;
}

result<std::vector<journal_entry>> read_journal_where(
    sqlite3* db, std::string_view where, const std::function<void(sqlite::query&)>& bind) {
  auto st = sqlite::statement::prepare(db, std::string{select_columns} + std::string{where});
  if (!st) return std::unexpected(st.error());
  sqlite::query q{*st};
  bind(q);
  return sqlite::collect(q, read_entry);
}

result<std::vector<journal_entry>> read_journal(sqlite3* db, const journal_query& jq) {
  return read_journal_where(
      db,
      "WHERE (?1 = 0 OR seq < ?1) AND (?2 = '' OR kind = ?2)"
      " AND (?3 = '' OR instr(kind || ' ' || channel || ' ' || message_id || ' ' || detail, ?3) > "
      "0)"
      " ORDER BY seq DESC LIMIT ?4",
      [&](sqlite::query& q) {
        q.bind_int(1, jq.before_seq)
            .bind_text(2, jq.kind)
            .bind_text(3, jq.text)
            .bind_int(4, static_cast<std::int64_t>(std::clamp<std::size_t>(jq.limit, 1, 500)));
      });
}

result<std::vector<journal_entry>> read_journal_range(sqlite3* db, std::int64_t from_seq,
                                                      std::size_t limit) {
  return read_journal_where(db, "WHERE seq >= ?1 ORDER BY seq LIMIT ?2", [&](sqlite::query& q) {
    q.bind_int(1, from_seq).bind_int(2, static_cast<std::int64_t>(limit));
  });
}

}  // namespace hotline::storage

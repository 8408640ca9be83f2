#include "storage/store.hpp"

#include <limits>
#include <type_traits>
#include <variant>

#include "core/limits.hpp"
#include "storage/store_checks.hpp"

namespace hotline::storage {

namespace {
constexpr auto seq_db_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}  // namespace

// These spellings are also what the schema stores in messages.box; changing them needs a
// migration.
std::string_view to_string(box b) {
  switch (b) {
    case box::in:
      return "in";
    case box::out:
      return "out";
  }
  return "out";
}

std::string_view to_string(delivery_status s) {
  switch (s) {
    case delivery_status::queued:
      return "queued";
    case delivery_status::sent:
      return "sent";
    case delivery_status::delivered:
      return "delivered";
    case delivery_status::acknowledged:
      return "acknowledged";
  }
  return "queued";
}

result<records::range_rows> sequenced_range(store& s, const std::string& channel, bool outbound,
                                            std::uint64_t from_seq, std::uint64_t to_seq) {
  auto rows = outbound ? s.outbound_range(channel, from_seq, to_seq)
                       : s.inbound_range(channel, from_seq, to_seq);
  if (!rows) return std::unexpected(rows.error());
  auto out = s.range_proofs(channel, outbound ? box::out : box::in, from_seq, to_seq);
  if (!out) return std::unexpected(out.error());
  out->messages.reserve(rows->size());
  for (auto& r : *rows) out->messages.push_back(std::move(r.msg));
  return out;
}

// Checks a message against the limits before it reaches the disk. The core has already
// validated it; a failure here means a bug upstream, reported rather than stored.
result<void> check_message(const message& m) {
  auto too_long = [](std::string_view v, std::size_t max) { return v.size() > max; };
  if (m.id.empty() || too_long(m.id, limits::message_id_bytes_max)) {
    return fail(errc::invalid_argument, "message id is empty or too long", "id");
  }
  if (m.channel.empty() || too_long(m.channel, limits::channel_id_bytes_max)) {
    return fail(errc::invalid_argument, "channel is empty or too long", "channel");
  }
  if (too_long(m.from, limits::station_id_bytes_max)) {
    return fail(errc::invalid_argument, "sender station id is too long", "from");
  }
  if (too_long(m.form, limits::form_id_bytes_max)) {
    return fail(errc::invalid_argument, "form id is too long", "form");
  }
  if (too_long(m.body, limits::message_body_bytes_max)) {
    return fail(errc::limit, "body exceeds message_body_bytes_max", "body");
  }
  if (too_long(m.signature, limits::signature_bytes_max)) {
    return fail(errc::limit, "signature exceeds signature_bytes_max", "signature");
  }
  if (m.seq > seq_db_max) return fail(errc::invalid_argument, "seq out of range", "seq");
  if (static_cast<int>(m.prec) >= precedence_count) {
    return fail(errc::invalid_argument, "unknown precedence", "precedence");
  }
  return {};
}

std::string describe_record(const records::record& rec) {
  return std::visit(
      [](const auto& r) -> std::string {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, records::posted>) return "posted '" + r.msg.id + "'";
        if constexpr (std::is_same_v<T, records::received>) return "received '" + r.msg.id + "'";
        if constexpr (std::is_same_v<T, records::sequenced>) return "sequenced '" + r.id + "'";
        if constexpr (std::is_same_v<T, records::delivered>) {
          return "delivered '" + r.channel + "' up to " + std::to_string(r.up_to_seq);
        }
        if constexpr (std::is_same_v<T, records::acknowledged>) return "acknowledged '" + r.id + "'";
        if constexpr (std::is_same_v<T, records::escalated>) return "escalated '" + r.id + "'";
        if constexpr (std::is_same_v<T, records::flagged>) return "flagged '" + r.id + "'";
        if constexpr (std::is_same_v<T, records::attested>) {
          return "receipt for '" + r.receipt.channel + "' up to " +
                 std::to_string(r.receipt.up_to_seq);
        }
        if constexpr (std::is_same_v<T, records::noted>) return "noted '" + r.kind + "'";
        if constexpr (std::is_same_v<T, records::sealed>) {
          return "seal for '" + r.seal.channel + "' up to " + std::to_string(r.seal.up_to_seq);
        }
        if constexpr (std::is_same_v<T, records::reclaimed>) return "reclaimed '" + r.msg.id + "'";
      },
      rec);
}

result<stored_message> decode_message(undecoded_message&& row) {
  stored_message m = std::move(row.m);
  auto label = labels::parse_text(row.label_text);
  if (!label) return fail(errc::corrupt, "message '" + m.msg.id + "' has a malformed label");
  m.msg.label = std::move(*label);
  if (row.box_text != "in" && row.box_text != "out") {
    return fail(errc::corrupt, "message '" + m.msg.id + "' has box '" + row.box_text + "'");
  }
  if (row.seq < 0 || row.precedence < 0 || row.precedence >= precedence_count) {
    return fail(errc::corrupt, "message '" + m.msg.id + "' has an invalid seq or precedence");
  }
  m.direction = row.box_text == "in" ? box::in : box::out;
  m.msg.seq = static_cast<std::uint64_t>(row.seq);
  m.msg.prec = static_cast<precedence>(row.precedence);
  if (m.direction == box::in) {
    m.status = delivery_status::delivered;  // it is on this station's disk
  } else if (m.msg.seq == 0) {
    m.status = delivery_status::queued;
  } else {
    m.status = m.delivered_at_ms ? delivery_status::delivered : delivery_status::sent;
  }
  if (m.acknowledged_at_ms) m.status = delivery_status::acknowledged;
  return m;
}

}  // namespace hotline::storage

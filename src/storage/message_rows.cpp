#include "storage/message_rows.hpp"

namespace hotline::storage {

message_row read_message_row(const sqlite::query& q) {
  message_row r;
  r.msg.id = q.column_text(0);
  r.msg.channel = q.column_text(1);
  r.outbound = q.column_text(2) == "out";
  r.msg.from = q.column_text(3);
  r.msg.seq = static_cast<std::uint64_t>(q.column_int(4));
  r.msg.prec = static_cast<precedence>(q.column_int(5) & 3);
  r.msg.form = q.column_text(6);
  r.msg.body = q.column_blob(7);
  r.msg.signature = q.column_blob(8);
  r.msg.created_at_ms = q.column_int(9);
  r.chain = q.column_hash(10);
  // A malformed label leaves the message unlabelled, so its signature no longer verifies and the
  // journal's check names it.
  r.msg.label = labels::parse_text(q.column_text(11)).value_or(labels::label{});
  return r;
}

}  // namespace hotline::storage

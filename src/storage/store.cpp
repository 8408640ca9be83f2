#include "storage/store.hpp"

namespace hotline::storage {

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

}  // namespace hotline::storage

// Evidence reads: what evidence gathering (evidence_source.hpp) reads from a store's database,
// behind one small interface so that the one gatherer reads a SQLite file and a PostgreSQL
// database alike, and bundles from the same history come out the same. Internal to src/storage.
//
// A source reads inside one snapshot its caller opened (a read transaction), so the message, its
// neighbours and the journal entries that anchor them are seen as of one instant while a station
// keeps writing. Not thread-safe: one source, one connection, one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/evidence_source.hpp"
#include "storage/message_rows.hpp"

namespace hotline::storage {

class evidence_reads {
 public:
  virtual ~evidence_reads() = default;
  // The message row with `id`, or nullopt.
  virtual result<std::optional<message_row>> message(const std::string& id) = 0;
  // The message at `seq` of `channel` in one direction, or nullopt.
  virtual result<std::optional<message_row>> message_at(const std::string& channel, bool outbound,
                                                        std::uint64_t seq) = 0;
  // The messages of `channel` in one direction with after_seq < seq <= up_to_seq, ascending.
  virtual result<std::vector<message_row>> messages_between(const std::string& channel,
                                                            bool outbound, std::uint64_t after_seq,
                                                            std::uint64_t up_to_seq) = 0;
  // The first (by cursor) sent or received ACK or LINK-TEST-REPLY on `channel` whose body is JSON
  // with "reference" the string `id`, judged as ack_reference_sql judges it; or nullopt.
  virtual result<std::optional<message_row>> acknowledgement_of(const std::string& channel,
                                                                const std::string& id) = 0;
  // The last `config_loaded` or `agreement_switched` entry, or nullopt.
  virtual result<std::optional<journal_entry>> last_identity_entry() = 0;
  // The entries naming `message_id`, ascending seq.
  virtual result<std::vector<journal_entry>> entries_of(const std::string& message_id) = 0;
  // The first entry of `kind` ("sealed", "receipt") on `channel` with msg_seq >= `msg_seq`, by
  // msg_seq then seq; or nullopt.
  virtual result<std::optional<journal_entry>> first_covering(std::string_view kind,
                                                              const std::string& channel,
                                                              std::uint64_t msg_seq) = 0;
  // Journal entries in ascending seq from `from_seq`, at most `limit`.
  virtual result<std::vector<journal_entry>> range(std::int64_t from_seq, std::size_t limit) = 0;
};

// Whether a message body (`body`, SQLite parameter ?1 or column) is JSON whose "reference" is the
// text ?2, in SQLite's own terms: the bytes read as text up to any NUL, strict JSON, the first of
// duplicate keys, bytes that are not UTF-8 kept as they are. PostgreSQL's JSON parser differs on
// each of these and fails its statement on the last, so both stores judge a body with this one
// predicate, run by SQLite (in a WHERE clause, where AND stops at an invalid body before
// json_extract could fail on it).
inline constexpr const char* ack_reference_sql =
    "json_valid(CAST(body AS TEXT)) AND json_extract(CAST(body AS TEXT), '$.reference') = ?2";

// Gathers a bundle's material for message `id` from `source` (evidence_source.cpp).
result<evidence_material> gather_evidence(evidence_reads& source, const std::string& id);
// The PostgreSQL side (pg_evidence.cpp): from an open store, on its connection, in one REPEATABLE
// READ, read-only transaction of its own.
class pg_store;
result<evidence_material> gather_pg_evidence(pg_store& s, const std::string& id);

}  // namespace hotline::storage

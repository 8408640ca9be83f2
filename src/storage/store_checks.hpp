// The checks every backend of the store makes on both sides of the disk: a message before it is
// written (check_message), and a row of `messages` right after it is read (decode_message), so
// that SQLite and PostgreSQL accept, refuse and report exactly the same. Internal to src/storage.
#pragma once

#include <cstdint>
#include <string>

#include "storage/store.hpp"

namespace hotline::storage {

// Checks `m` against the limits before it reaches the disk. The core has already validated it; a
// failure here (errc::invalid_argument or errc::limit, naming the field) means a bug upstream,
// reported rather than stored.
result<void> check_message(const message& m);

// A record in a few words, for the error that says which record of a commit failed.
std::string describe_record(const records::record& rec);

// A row as a backend read it: `m` holds every column but those below, which still need checking.
struct undecoded_message {
  stored_message m;
  std::string box_text;
  std::int64_t seq = 0;
  std::int64_t precedence = 0;
  std::string label_text;
};

// The stored message `row` holds, with its direction, seq, precedence, label and status; a row
// that breaks what the schema cannot enforce (a malformed label, an unknown box, a negative seq,
// an unknown precedence) is errc::corrupt, never handed to the core.
result<stored_message> decode_message(undecoded_message&& row);

}  // namespace hotline::storage

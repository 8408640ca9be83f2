// PostgreSQL helpers for the storage layer (libpq): an owned connection, owned results, typed
// parameters, and PostgreSQL's errors turned into Hotline errors. Internal to src/storage.
//
// Every statement the store runs is prepared once on its connection (prepare) and executed with
// parameters (exec_prepared); no value is ever spliced into SQL. Integers go as text; text and
// bytea go as binary, so that every byte reaches the server: bytea keeps any bytes, and text
// with a NUL byte or invalid UTF-8 is refused (errc::invalid_argument), never cut short. Results
// come back in binary: integers as big-endian two's complement of their column's width, text and
// bytea as their raw bytes.
//
// Not thread-safe: a connection and its results belong to one thread. A `params` must outlive
// the exec_prepared() it is passed to (it holds the bytes libpq reads).
#pragma once

#include <libpq-fe.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace hotline::storage {
// How long libpq waits to establish a connection before giving up, unless the URL says otherwise.
inline constexpr int pg_connect_timeout_s = 5;
// How long the server lets one statement run (a write waiting for the writer lock included)
// before cancelling it; the caller then sees errc::unavailable.
inline constexpr int pg_statement_timeout_ms = 10'000;
}  // namespace hotline::storage

namespace hotline::storage::pg {

struct connection_closer {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using connection = std::unique_ptr<PGconn, connection_closer>;

struct result_clearer {
  void operator()(PGresult* r) const { PQclear(r); }
};

// Connects to `url` (a libpq URI or key=value string) with pg_connect_timeout_s unless the URL
// sets its own connect_timeout, and silences server notices. Failure: errc::io with libpq's
// reason; the URL is not repeated in the message because it may hold a password.
result<connection> connect(const std::string& url);

// Turns a failed call into an error by its SQLSTATE: integrity violations (class 23, a journal
// trigger's refusal included) become errc::conflict, data exceptions (class 22: a value the
// column cannot hold) errc::invalid_argument, a cancelled statement, lock timeout or
// serialization failure errc::unavailable, data corruption (XX001, XX002) errc::corrupt, and
// everything else (a lost connection, a full disk) errc::io. The message is `context` followed by
// the server's or libpq's explanation.
error make_error(PGconn* c, const PGresult* r, std::string_view context);

using hash_bytes = std::array<std::uint8_t, 32>;

class params {
 public:
  params& add_int(std::int64_t v);
  params& add_text(std::string_view v);
  params& add_bytea(std::string_view v);
  params& add_hash(const hash_bytes& h);
  params& add_null();

  int size() const { return static_cast<int>(values_.size()); }
  // Parameter i's bytes, or null for SQL NULL; valid while this object lives unchanged.
  const char* value(int i) const;
  int length(int i) const { return static_cast<int>(values_[static_cast<std::size_t>(i)].size()); }
  int format(int i) const { return formats_[static_cast<std::size_t>(i)]; }

 private:
  params& add(std::string v, bool is_null, int format);

  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> formats_;  // 0 text, 1 binary
};

// The rows of one executed statement, owned.
class rows {
 public:
  explicit rows(PGresult* r) : r_(r) {}

  PGresult* raw() const { return r_.get(); }
  int size() const { return PQntuples(r_.get()); }
  // Rows a command changed (UPDATE, INSERT); 0 when it reports none.
  std::int64_t changed() const;
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  // An integer column of 2, 4 or 8 bytes; 0 for NULL.
  std::int64_t get_int(int row, int col) const;
  // A text or bytea column's bytes; empty for NULL.
  std::string get_bytes(int row, int col) const;
  // A 32-byte hash; zeros when the column holds anything but exactly 32 bytes (NULL included).
  hash_bytes get_hash(int row, int col) const;

 private:
  std::unique_ptr<PGresult, result_clearer> r_;
};

// Runs `sql` (one or more statements, no parameters, no rows wanted).
result<void> exec(PGconn* c, const std::string& sql);
// Prepares `sql` as the named statement `name` on the connection.
result<void> prepare(PGconn* c, const std::string& name, const std::string& sql);
// Executes the prepared statement `name` with `p`; its rows in binary.
result<rows> exec_prepared(PGconn* c, const std::string& name, const params& p);

}  // namespace hotline::storage::pg

// SQLite helpers for the storage layer: an owned connection, cached statements, and SQLite
// result codes turned into Hotline errors. Internal to src/storage; nothing outside includes it.
//
// `statement` owns one prepared statement (finalized on destruction) and must be destroyed
// before the connection it was prepared on. `query` borrows a statement for one execution:
// it binds, steps and reads columns, and resets the statement (clearing its bindings) when it
// goes out of scope, so a cached statement never holds a read transaction open between uses.
// Text and blob parameters are bound without copying: the bound bytes must outlive the query.
//
// Not thread-safe: a connection and its statements belong to one thread.
#pragma once

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace hotline::storage {
// How long a statement waits for a lock held by another connection (a reader's checkpoint, an
// operator's sqlite3 shell) before failing with errc::unavailable.
inline constexpr int sqlite_busy_timeout_ms = 5'000;
}  // namespace hotline::storage

namespace hotline::storage::sqlite {

struct connection_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using connection = std::unique_ptr<sqlite3, connection_closer>;

// Turns a failed SQLite call into an error: disk and permission failures become errc::io,
// constraint violations errc::conflict, a damaged file errc::corrupt and lock contention
// errc::unavailable. The message is `context` followed by SQLite's own explanation.
error make_error(sqlite3* db, int rc, std::string_view context);

// Runs `sql` (one or more statements, no results wanted). Failure: make_error.
result<void> exec(sqlite3* db, std::string_view sql);

using hash_bytes = std::array<std::uint8_t, 32>;

class statement {
 public:
  statement() = default;

  // Prepares `sql` for repeated use (SQLITE_PREPARE_PERSISTENT). Failure: make_error.
  static result<statement> prepare(sqlite3* db, std::string_view sql);

  sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  struct finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

// Prepares `sql[i]` into `out[i]` for each i; stops at the first failure (make_error).
template <std::size_t N>
result<void> prepare_all(sqlite3* db, const std::array<std::string, N>& sql,
                         std::array<statement, N>& out) {
  for (std::size_t i = 0; i < N; ++i) {
    auto s = statement::prepare(db, sql[i]);
    if (!s) return std::unexpected(s.error());
    out[i] = std::move(*s);
  }
  return {};
}

class query {
 public:
  explicit query(const statement& s);
  ~query();
  query(const query&) = delete;
  query& operator=(const query&) = delete;

  // Binding never fails on the spot: the first failure is remembered and returned by step().
  // Parameter indexes start at 1, as in SQLite.
  query& bind_int(int index, std::int64_t value);
  query& bind_text(int index, std::string_view text);
  query& bind_text(int index, std::string&& text) = delete;  // would dangle before step()
  query& bind_blob(int index, std::string_view bytes);
  query& bind_blob(int index, std::string&& bytes) = delete;
  // A 32-byte hash (a digest or a chain), bound as a blob without copying.
  query& bind_hash(int index, const hash_bytes& h);
  query& bind_null(int index);
  // Binds the named parameter if the statement has it; a missing name is not an error because
  // the list statements are built with only the filters a query asks for.
  query& bind_int(const char* name, std::int64_t value);
  query& bind_text(const char* name, std::string_view text);

  // Steps once: true when a row is ready, false when the statement is done.
  result<bool> step();
  // Steps a statement that returns no rows.
  result<void> run();

  bool column_is_null(int col) const;
  std::int64_t column_int(int col) const;
  std::string column_text(int col) const;
  std::string column_blob(int col) const;
  // A 32-byte hash; zeros when the column holds anything but exactly 32 bytes (NULL included).
  hash_bytes column_hash(int col) const;

 private:
  void note(int rc);

  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

namespace detail {
template <class T>
struct row_value {
  using type = T;
};
template <class T>
struct row_value<result<T>> {
  using type = T;
};
}  // namespace detail

// Steps `q` to its end and turns each row into a value with `read(q)`, which returns the value or
// a result of it; the first failed step or read ends the collection with its error.
template <class Read>
auto collect(query& q, Read&& read)
    -> result<std::vector<typename detail::row_value<std::invoke_result_t<Read&, query&>>::type>> {
  using read_type = std::invoke_result_t<Read&, query&>;
  std::vector<typename detail::row_value<read_type>::type> out;
  for (;;) {
    auto row = q.step();
    if (!row) return std::unexpected(std::move(row.error()));
    if (!*row) return out;
    if constexpr (std::is_same_v<read_type, typename detail::row_value<read_type>::type>) {
      out.push_back(read(q));
    } else {
      auto value = read(q);
      if (!value) return std::unexpected(std::move(value.error()));
      out.push_back(std::move(*value));
    }
  }
}

}  // namespace hotline::storage::sqlite

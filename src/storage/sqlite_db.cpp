#include "storage/sqlite_db.hpp"

#include <climits>
#include <cstring>

namespace hotline::storage::sqlite {

namespace {

errc code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return errc::conflict;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return errc::corrupt;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return errc::unavailable;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return errc::invalid_argument;
    default:
      return errc::io;  // FULL, IOERR, READONLY, CANTOPEN, PERM, NOMEM, ...
  }
}

// SQLite takes lengths as int. Every value Hotline stores is bounded far below INT_MAX by
// core/limits.hpp, so a longer one is a programmer error upstream; it is refused, not truncated.
bool fits_int(std::string_view s) { return s.size() <= static_cast<std::size_t>(INT_MAX); }

}  // namespace

error make_error(sqlite3* db, int rc, std::string_view context) {
  // The connection's message is only about `rc` while nothing else has run on it; fall back to
  // the generic text for the code when there is no connection.
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message{context};
  message += ": ";
  message += detail;
  return error{code_for(rc), std::move(message), {}};
}

result<void> exec(sqlite3* db, std::string_view sql) {
  const std::string text{sql};
  if (int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    return std::unexpected(make_error(db, rc, "sqlite exec"));
  }
  return {};
}

result<statement> statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return std::unexpected(make_error(db, rc, "sqlite prepare"));
  }
  statement s;
  s.stmt_.reset(raw);
  return s;
}

query::query(const statement& s) : stmt_(s.get()) {}

query::~query() {
  // The step result was already reported; reset only rewinds the statement and ends its
  // implicit read transaction.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void query::note(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

query& query::bind_int(int index, std::int64_t value) {
  note(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

query& query::bind_text(int index, std::string_view text) {
  if (!fits_int(text)) {
    note(SQLITE_TOOBIG);
    return *this;
  }
  // A null pointer would bind SQL NULL, so an empty view gets a real (empty) string.
  const char* data = text.data() != nullptr ? text.data() : "";
  note(sqlite3_bind_text(stmt_, index, data, static_cast<int>(text.size()), SQLITE_STATIC));
  return *this;
}

query& query::bind_hash(int index, const hash_bytes& h) {
  return bind_blob(index, std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

query& query::bind_blob(int index, std::string_view bytes) {
  if (!fits_int(bytes)) {
    note(SQLITE_TOOBIG);
    return *this;
  }
  if (bytes.empty()) {
    note(sqlite3_bind_zeroblob(stmt_, index, 0));  // an empty blob, not NULL
    return *this;
  }
  note(
      sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC));
  return *this;
}

query& query::bind_null(int index) {
  note(sqlite3_bind_null(stmt_, index));
  return *this;
}

query& query::bind_int(const char* name, std::int64_t value) {
  if (int index = sqlite3_bind_parameter_index(stmt_, name); index > 0) bind_int(index, value);
  return *this;
}

query& query::bind_text(const char* name, std::string_view text) {
  if (int index = sqlite3_bind_parameter_index(stmt_, name); index > 0) bind_text(index, text);
  return *this;
}

result<bool> query::step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK) return std::unexpected(make_error(db, bind_rc_, "sqlite bind"));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(make_error(db, rc, "sqlite step"));
}

result<void> query::run() {
  auto row = step();
  if (!row) return std::unexpected(std::move(row.error()));
  if (*row) {
    return fail(errc::io, std::string{"sqlite step: unexpected row from "} + sqlite3_sql(stmt_));
  }
  return {};
}

bool query::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

std::int64_t query::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string query::column_text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  const int size = sqlite3_column_bytes(stmt_, col);
  if (text == nullptr || size <= 0) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string query::column_blob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  const int size = sqlite3_column_bytes(stmt_, col);
  if (data == nullptr || size <= 0) return {};
  return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

hash_bytes query::column_hash(int col) const {
  hash_bytes h{};
  const void* data = sqlite3_column_blob(stmt_, col);
  if (data != nullptr && sqlite3_column_bytes(stmt_, col) == static_cast<int>(h.size())) {
    std::memcpy(h.data(), data, h.size());
  }
  return h;
}

}  // namespace hotline::storage::sqlite

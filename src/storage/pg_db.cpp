#include "storage/pg_db.hpp"

#include <cassert>
#include <cstring>

namespace hotline::storage::pg {

namespace {

void ignore_notice(void*, const char*) {}

// libpq's messages span lines (and indent the continuation); an error is one line.
std::string trimmed(const char* text) {
  std::string s;
  for (const char* p = text; p != nullptr && *p != '\0'; ++p) {
    const bool space = *p == '\n' || *p == '\t' || *p == ' ';
    if (space && (s.empty() || s.back() == ' ')) continue;
    s += space ? ' ' : *p;
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

errc code_of(std::string_view state) {
  if (state.starts_with("23")) return errc::conflict;
  if (state.starts_with("22")) return errc::invalid_argument;  // a value the column cannot hold
  if (state == "57014" || state == "55P03" || state == "40001" || state == "40P01") {
    return errc::unavailable;
  }
  if (state == "XX001" || state == "XX002") return errc::corrupt;
  return errc::io;
}

// The server's primary message with its detail, on one line; libpq's own message when the
// server sent none (the connection failed).
std::string explanation(PGconn* c, const PGresult* r) {
  const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary == nullptr) return trimmed(PQerrorMessage(c));
  std::string why = primary;
  if (const char* detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL); detail != nullptr) {
    why += std::string{" ("} + detail + ")";
  }
  return why;
}

}  // namespace

result<connection> connect(const std::string& url) {
  const std::string timeout = std::to_string(pg_connect_timeout_s);
  // Our timeout comes first so that a connect_timeout in the URL, expanded after it, wins.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "hotline", url.c_str(), nullptr};
  connection c{PQconnectdbParams(keys, values, 1)};
  if (!c) return fail(errc::io, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(c.get()) != CONNECTION_OK) {
    return fail(errc::io, "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(c.get())));
  }
  PQsetNoticeProcessor(c.get(), ignore_notice, nullptr);
  return c;
}

error make_error(PGconn* c, const PGresult* r, std::string_view context) {
  std::string why = explanation(c, r);
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  errc code = state != nullptr ? code_of(state) : errc::io;
  if (PQstatus(c) != CONNECTION_OK) {
    code = errc::io;
    why = "the connection to PostgreSQL is lost: " + why;
  }
  return error{code, std::string{context} + ": " + why, {}};
}

params& params::add(std::string v, bool is_null, int format) {
  values_.push_back(std::move(v));
  nulls_.push_back(is_null);
  formats_.push_back(format);
  return *this;
}

params& params::add_int(std::int64_t v) { return add(std::to_string(v), false, 0); }
// Text goes in binary too: a text parameter in text format ends at its first NUL byte, which
// would cut the value short silently; in binary the server sees every byte and refuses a NUL.
params& params::add_text(std::string_view v) { return add(std::string{v}, false, 1); }
params& params::add_bytea(std::string_view v) { return add(std::string{v}, false, 1); }
params& params::add_hash(const hash_bytes& h) {
  return add(std::string(reinterpret_cast<const char*>(h.data()), h.size()), false, 1);
}
params& params::add_null() { return add({}, true, 0); }

const char* params::value(int i) const {
  const auto at = static_cast<std::size_t>(i);
  return nulls_[at] ? nullptr : values_[at].c_str();
}

std::int64_t rows::changed() const {
  const char* n = PQcmdTuples(r_.get());
  return n == nullptr || *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

std::int64_t rows::get_int(int row, int col) const {
  if (is_null(row, col)) return 0;
  const auto* p = reinterpret_cast<const std::uint8_t*>(PQgetvalue(r_.get(), row, col));
  const int n = PQgetlength(r_.get(), row, col);
  // Invariant: every integer the store selects is a smallint, integer or bigint column.
  assert(n == 2 || n == 4 || n == 8);
  std::uint64_t v = (p[0] & 0x80U) != 0 ? ~std::uint64_t{0} : 0;  // sign-extend
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return static_cast<std::int64_t>(v);
}

std::string rows::get_bytes(int row, int col) const {
  if (is_null(row, col)) return {};
  return std::string(PQgetvalue(r_.get(), row, col),
                     static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

hash_bytes rows::get_hash(int row, int col) const {
  hash_bytes h{};
  if (is_null(row, col) || PQgetlength(r_.get(), row, col) != static_cast<int>(h.size())) {
    return h;
  }
  std::memcpy(h.data(), PQgetvalue(r_.get(), row, col), h.size());
  return h;
}

result<void> exec(PGconn* c, const std::string& sql) {
  rows r{PQexec(c, sql.c_str())};
  const auto st = PQresultStatus(r.raw());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return std::unexpected(make_error(c, r.raw(), "PostgreSQL"));
  }
  return {};
}

result<void> prepare(PGconn* c, const std::string& name, const std::string& sql) {
  rows r{PQprepare(c, name.c_str(), sql.c_str(), 0, nullptr)};
  if (PQresultStatus(r.raw()) != PGRES_COMMAND_OK) {
    return std::unexpected(make_error(c, r.raw(), "prepare " + name));
  }
  return {};
}

result<rows> exec_prepared(PGconn* c, const std::string& name, const params& p) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (int i = 0; i < p.size(); ++i) {
    values.push_back(p.value(i));
    lengths.push_back(p.length(i));
    formats.push_back(p.format(i));
  }
  rows r{
      PQexecPrepared(c, name.c_str(), p.size(), values.data(), lengths.data(), formats.data(), 1)};
  const auto st = PQresultStatus(r.raw());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return std::unexpected(make_error(c, r.raw(), name));
  }
  return r;
}

}  // namespace hotline::storage::pg

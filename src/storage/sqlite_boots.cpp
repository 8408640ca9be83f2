// SQLite store: numbering the station's starts (store.hpp, next_boot).
#include "storage/sqlite_store.hpp"

namespace hotline::storage {

namespace {

result<std::int64_t> insert_boot(sqlite3* db, std::int64_t now_ms) {
  auto st = sqlite::statement::prepare(db,
                                       "INSERT INTO boots (n, started_at_ms) "
                                       "SELECT MAX(COALESCE(MAX(n), 0) + 1, ?1 / 1000), ?1 "
                                       "FROM boots RETURNING n");
  if (!st) return std::unexpected(st.error());
  sqlite::query q(*st);
  q.bind_int(1, now_ms);
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(errc::corrupt, "numbering a boot returned no row");
  return q.column_int(0);
}

}  // namespace

result<std::uint64_t> sqlite_store::next_boot(std::int64_t now_ms) {
  if (auto r = sqlite::exec(handle(), "BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  auto n = insert_boot(handle(), now_ms);
  if (n) {
    if (auto r = sqlite::exec(handle(), "COMMIT"); !r) n = std::unexpected(r.error());
  }
  if (!n) {
    rollback_if_open();
    return std::unexpected(n.error());
  }
  return static_cast<std::uint64_t>(*n);
}

}  // namespace hotline::storage

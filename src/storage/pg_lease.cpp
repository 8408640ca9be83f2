// The PostgreSQL store's lease (lease.hpp): acquiring, renewing and releasing it, and the fence
// every write transaction passes under the writer lock. The lease lives on the writer row
// (migration 7), so that taking the lease and writing under it serialise on one row lock, and
// every time in it is the database's clock (clock_timestamp()), never a node's.
#include <cassert>
#include <string>
#include <string_view>
#include <utility>

#include "storage/pg_store.hpp"

namespace hotline::storage {

namespace {

// The lease's holder, epoch, and how long it has left in whole milliseconds rounded up, so that
// it is above 0 exactly while expires_at lies ahead of the database's clock (0 without a holder).
constexpr std::string_view lease_columns =
    "holder, epoch,"
    " GREATEST(0, COALESCE(CEIL(EXTRACT(EPOCH FROM expires_at - clock_timestamp()) * 1000), 0))"
    "::bigint";

// $1 node id, $2 ttl in ms, $3 the epoch this store holds (0 when none). One statement, so one
// row lock: two nodes racing for a free lease queue on the row, and the second sees the first's
// lease when it re-checks the WHERE clause, so exactly one of them wins. The epoch is kept only
// when this store renews its own live tenure; every other taking starts a new one.
constexpr const char* acquire_sql =
    "WITH t AS (SELECT clock_timestamp() AS now)"
    " UPDATE writer SET"
    " epoch = CASE WHEN holder = $1 AND epoch = $3::bigint AND expires_at > t.now"
    " THEN epoch ELSE epoch + 1 END,"
    " holder = $1, expires_at = t.now + $2::bigint * interval '1 millisecond'"
    " FROM t WHERE id = 1 AND (holder = '' OR holder = $1 OR expires_at <= t.now)"
    " RETURNING holder, epoch, $2::bigint";

}  // namespace

// The writer lock is here because it reads the lease with the lock, for the fence.
result<void> pg_store::prepare_lease_statements() {
  const std::string columns{lease_columns};
  const std::pair<std::string, std::string> statements[] = {
      {"writer_lock", "SELECT " + columns + " FROM writer WHERE id = 1 FOR UPDATE"},
      {"lease_acquire", acquire_sql},
      {"lease_release",
       "UPDATE writer SET holder = '', expires_at = NULL"
       " WHERE id = 1 AND holder = $1 AND epoch = $2::bigint"},
      {"lease_read", "SELECT " + columns + " FROM writer WHERE id = 1"},
  };
  for (const auto& [name, sql] : statements) {
    if (auto r = pg::prepare(c_.get(), name, sql); !r) return r;
  }
  return {};
}

// `r` holds one row of holder, epoch and milliseconds left.
result<lease_state> pg_store::lease_from(const pg::rows& r) const {
  if (r.size() != 1) {
    return fail(errc::corrupt, "the writer row, which holds the lease, is missing");
  }
  lease_state s{r.get_bytes(0, 0), r.get_int(0, 1), r.get_int(0, 2)};
  if (s.epoch < 0 || s.expires_in_ms < 0) {
    return fail(errc::corrupt, "the lease's epoch or expiry is negative");
  }
  return s;
}

result<void> pg_store::lock_writer() {
  auto lock = pg::exec_prepared(c_.get(), "writer_lock", {});
  if (!lock) return std::unexpected(std::move(lock.error()));
  auto now = lease_from(*lock);
  if (!now) return std::unexpected(std::move(now.error()));
  if (!lease_) return {};  // a single-node station: no lease, no fence
  // Invariant: the schema lets the epoch only grow (migration 7), so the row's epoch is at
  // least the one this store acquired; anything else is a damaged or foreign database.
  if (now->epoch < lease_->epoch) {
    return fail(errc::corrupt, "the lease's epoch went back from " + std::to_string(lease_->epoch) +
                                   " to " + std::to_string(now->epoch));
  }
  if (now->holder == lease_->node_id && now->epoch == lease_->epoch && now->live()) return {};
  return std::unexpected(lost_lease(lease_->epoch, *now));
}

result<pg::rows> pg_store::write(const std::string& name, const pg::params& p) {
  if (!lease_) return run(name, p);
  std::optional<pg::rows> out;
  auto done = transact([&]() -> result<void> {
    auto r = pg::exec_prepared(c_.get(), name, p);
    if (!r) return std::unexpected(std::move(r.error()));
    out.emplace(std::move(*r));
    return {};
  });
  if (!done) return std::unexpected(std::move(done.error()));
  assert(out.has_value());
  return std::move(*out);
}

result<lease_state> pg_store::acquire_lease(std::string_view node_id, std::int64_t ttl_ms) {
  if (auto ok = check_lease_node_id(node_id); !ok) return std::unexpected(ok.error());
  if (auto ok = check_lease_ttl(ttl_ms); !ok) return std::unexpected(ok.error());
  const bool renewing = lease_ && lease_->node_id == node_id;
  pg::params p;
  p.add_text(node_id).add_int(ttl_ms).add_int(renewing ? lease_->epoch : 0);
  auto r = run("lease_acquire", p);
  if (!r) return std::unexpected(std::move(r.error()));
  if (r->size() == 0) {
    auto now = read_lease();
    if (!now) return std::unexpected(std::move(now.error()));
    if (renewing) return std::unexpected(lost_lease(lease_->epoch, *now));
    return fail(errc::conflict, "the station's lease is held by " + now->holder + " at epoch " +
                                    std::to_string(now->epoch) + " for another " +
                                    std::to_string(now->expires_in_ms) + " ms");
  }
  auto got = lease_from(*r);
  if (!got) return got;
  // Invariant: a renewal keeps this store's epoch and any other taking moves past it.
  if (lease_ && got->epoch < lease_->epoch) {
    return fail(errc::corrupt, "acquiring the lease gave epoch " + std::to_string(got->epoch) +
                                   " below this store's " + std::to_string(lease_->epoch));
  }
  lease_ = held_lease{std::string{node_id}, got->epoch};
  return got;
}

result<void> pg_store::release_lease(std::string_view node_id) {
  if (auto ok = check_lease_node_id(node_id); !ok) return ok;
  if (lease_ && lease_->node_id == node_id) {
    pg::params p;
    p.add_text(node_id).add_int(lease_->epoch);
    auto r = run("lease_release", p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->changed() == 1) return {};
    auto now = read_lease();
    if (!now) return std::unexpected(std::move(now.error()));
    return std::unexpected(lost_lease(lease_->epoch, *now));
  }
  return fail(errc::conflict, "this store does not hold the station's lease as " +
                                  std::string{node_id} + "; nothing was released");
}

result<lease_state> pg_store::read_lease() {
  auto r = run("lease_read", {});
  if (!r) return std::unexpected(std::move(r.error()));
  return lease_from(*r);
}

}  // namespace hotline::storage

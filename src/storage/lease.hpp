// Lease: which node of a station may write to the store its nodes share, and for how long.
//
// A station may run as several nodes (processes on different machines) on one PostgreSQL
// database, exactly one of them active. The active node is the one holding the lease: a row in
// the database naming the holder, an epoch, and an expiry read from the database's clock, never
// from a node's. The epoch increases at every change of holder, and also when a holder takes the
// lease again after letting it expire, or from another store instance of the same node id (a
// restarted process): an epoch names one tenure of one store instance.
//
// What a lease guarantees: once a store instance has acquired a lease, every write transaction it
// runs checks, under the writer lock and inside the transaction, that the lease still names this
// node at the epoch it acquired and has not expired by the database's clock; otherwise the
// transaction writes nothing and fails with errc::fenced. Since taking the lease also takes the
// writer lock, every write of the old holder is ordered before the new holder's tenure: a paused,
// partitioned or slow node that lost the lease cannot write even one row after it.
//
// What it does not guarantee: a lease fences writes through this store only. It does not stop a
// node from sending frames to the peer or acknowledging to it what it holds in memory; the holder
// must stop doing so on its own when it cannot renew in time (the runtime's job). A commit does
// not renew the lease: renewal is an explicit acquire_lease() by the holder. A store that never
// acquired a lease writes unfenced, as a single-node station does. The lease's expiry bounds how
// long a dead holder keeps the station without an active node, nothing more.
//
// The calls are on `store` (store.hpp); the PostgreSQL store implements them, the SQLite store
// fails them with errc::unavailable. The helpers here are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace hotline::storage {

// How long one acquire or renewal keeps the lease, by the database's clock.
inline constexpr std::int64_t lease_ttl_ms_min = 500;
inline constexpr std::int64_t lease_ttl_ms_max = 60'000;
// A node id: 1 to 64 characters from [a-z0-9-].
inline constexpr std::size_t lease_node_id_bytes_min = 1;
inline constexpr std::size_t lease_node_id_bytes_max = 64;

// The lease as the database holds it.
struct lease_state {
  std::string holder;      // the holding node's id; empty when no node holds it
  std::int64_t epoch = 0;  // 0 before any node ever held it
  // How long the lease has left by the database's clock; 0 when it has expired or has no holder.
  std::int64_t expires_in_ms = 0;

  bool live() const { return !holder.empty() && expires_in_ms > 0; }
};

bool valid_lease_node_id(std::string_view node_id);
// Nothing when `node_id` is valid; else errc::invalid_argument, field "node_id".
result<void> check_lease_node_id(std::string_view node_id);
// Nothing when lease_ttl_ms_min <= ttl_ms <= lease_ttl_ms_max; else errc::invalid_argument,
// field "ttl_ms".
result<void> check_lease_ttl(std::int64_t ttl_ms);

// "this node no longer holds the station's lease (epoch N, now held by X at epoch M)": the
// errc::fenced error for a store that acquired epoch `held_epoch` and finds `now` in the database.
error lost_lease(std::int64_t held_epoch, const lease_state& now);

}  // namespace hotline::storage

#include "storage/lease.hpp"

#include <algorithm>

namespace hotline::storage {

bool valid_lease_node_id(std::string_view node_id) {
  if (node_id.size() < lease_node_id_bytes_min || node_id.size() > lease_node_id_bytes_max) {
    return false;
  }
  return std::ranges::all_of(
      node_id, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

result<void> check_lease_node_id(std::string_view node_id) {
  if (valid_lease_node_id(node_id)) return {};
  return fail(
      errc::invalid_argument,
      "a node id is 1 to " + std::to_string(lease_node_id_bytes_max) + " characters from [a-z0-9-]",
      "node_id");
}

result<void> check_lease_ttl(std::int64_t ttl_ms) {
  if (ttl_ms >= lease_ttl_ms_min && ttl_ms <= lease_ttl_ms_max) return {};
  return fail(errc::invalid_argument,
              "a lease lasts " + std::to_string(lease_ttl_ms_min) + " to " +
                  std::to_string(lease_ttl_ms_max) + " ms, not " + std::to_string(ttl_ms),
              "ttl_ms");
}

error lost_lease(std::int64_t held_epoch, const lease_state& now) {
  std::string where;
  if (now.holder.empty()) {
    where = "now held by no node at epoch " + std::to_string(now.epoch);
  } else {
    where = "now held by " + now.holder + " at epoch " + std::to_string(now.epoch);
    if (!now.live()) where += ", expired";
  }
  return error{errc::fenced,
               "this node no longer holds the station's lease (epoch " +
                   std::to_string(held_epoch) + ", " + where + ")",
               {}};
}

}  // namespace hotline::storage

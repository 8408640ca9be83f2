#include "station/station_store.hpp"

#include <filesystem>

#include "config/keys.hpp"

namespace hotline::station {

storage::journal_keys journal_keys_for(const config::agreement& a, const std::string& station) {
  storage::journal_keys keys;
  keys.station = station;
  for (const auto& s : a.stations) {
    auto k = signing::parse_public_key(s.signing_key);
    if (!k) continue;
    if (s.id == station) {
      keys.station_key = *k;
    } else {
      keys.peer_keys[s.id] = *k;
    }
  }
  return keys;
}

result<opened_store> open_station_store(const config::station_config& cfg, key_policy policy) {
  opened_store out;
  std::error_code ec;
  const bool wanted = policy == key_policy::required || std::filesystem::exists(cfg.signing_key, ec);
  if (cfg.journal_enabled && wanted) {
    auto key = config::load_signing_key(cfg.signing_key);
    if (!key) return std::unexpected(key.error());
    out.key = std::move(*key);
  }
  std::filesystem::create_directories(cfg.database.parent_path(), ec);
  storage::journal_options j;
  if (!out.key.empty()) j.key = out.key;
  j.enabled = cfg.journal_enabled;
  auto store = storage::open_sqlite(cfg.database.string(), std::move(j));
  if (!store) return std::unexpected(store.error());
  out.store = std::move(*store);
  return out;
}

}  // namespace hotline::station

#include "station/station_store.hpp"

#include <filesystem>

#include "config/keys.hpp"

namespace hotline::station {

result<opened_store> open_station_store(const config::station_config& cfg) {
  opened_store out;
  if (cfg.journal_enabled) {
    auto key = config::load_signing_key(cfg.signing_key);
    if (!key) return std::unexpected(key.error());
    out.key = std::move(*key);
  }
  std::error_code ec;
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

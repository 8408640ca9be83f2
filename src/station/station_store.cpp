#include "station/station_store.hpp"

#include <filesystem>

#include "config/keys.hpp"


namespace hotline::station {

storage::journal_keys journal_keys_for(const config::agreement_history& h,
                                       const std::string& station) {
  return {station, h.signing_keys()};
}

storage::journal_keys journal_keys_for(const config::agreement& a, const std::string& station) {
  return journal_keys_for(config::agreement_history(a), station);
}

result<config::agreement_history> stored_history(const storage::stored_identity& id) {
  if (id.agreement_text.empty()) return fail(errc::not_found, "the store holds no agreement");
  auto a = config::parse_agreement(id.agreement_text);
  if (!a) return std::unexpected(a.error());
  return config::agreement_history(std::move(*a)).with_ancestors(id.agreement_texts);
}

namespace {

// What an offline command signs with: the keyring's signer when the agreement can be read (so
// that entries after a key rotation are signed with the new key), else the key file alone.
result<signing::signer> offline_signer(const config::station_config& cfg) {
  if (!cfg.journal_enabled) return signing::signer{};
  if (auto keys = load_keyring(cfg, {false, false})) return keys->signer;
  std::error_code ec;
  if (!std::filesystem::exists(cfg.signing_key, ec)) return signing::signer{};
  auto key = config::load_signing_key(cfg.signing_key);
  if (!key) return std::unexpected(key.error());
  return signing::signer(std::move(*key));
}

// The backend [storage] names. A PostgreSQL error never repeats the URL (pg_db.hpp); the caller
// names the database with config::database_label().
result<std::unique_ptr<storage::store>> open_configured(const config::station_config& cfg,
                                                        storage::journal_options j) {
  if (cfg.backend == config::storage_backend::postgresql) {
    return storage::open_postgresql(cfg.database_url, std::move(j));
  }
  std::error_code ec;
  std::filesystem::create_directories(cfg.database.parent_path(), ec);
  return storage::open_sqlite(cfg.database.string(), std::move(j));
}

}  // namespace

result<storage::stored_identity> read_identity(const config::station_config& cfg) {
  if (cfg.backend == config::storage_backend::postgresql) {
    return storage::read_postgresql_identity(cfg.database_url);
  }
  return storage::read_stored_identity(cfg.database.string());
}

result<opened_store> open_station_store(const config::station_config& cfg, key_policy policy) {
  opened_store out;
  storage::journal_options j;
  j.enabled = cfg.journal_enabled;
  if (policy == key_policy::required) {
    auto keys = load_keyring(cfg);
    if (!keys) return std::unexpected(keys.error());
    j.key = keys->signer;
    out.keys = std::move(*keys);
  } else {
    auto signer = offline_signer(cfg);
    if (!signer) return std::unexpected(signer.error());
    j.key = std::move(*signer);
  }
  auto store = open_configured(cfg, std::move(j));
  if (!store) return std::unexpected(store.error());
  out.store = std::move(*store);
  // Earlier versions the store kept check what was signed under them; a store that cannot be
  // read here fails at its first use with a clearer error.
  if (out.keys) {
    if (auto id = read_identity(cfg)) add_ancestors(*out.keys, id->agreement_texts);
  }
  return out;
}

}  // namespace hotline::station

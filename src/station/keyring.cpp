#include "station/keyring.hpp"

#include <algorithm>
#include <optional>

#include "config/keys.hpp"

namespace hotline::station {
namespace {

struct held_signing_key {
  std::filesystem::path file;
  signing::secret_key key;
};

result<std::vector<config::agreement>> load_versions(const config::station_config& cfg) {
  std::vector<config::agreement> out;
  auto current = config::load_agreement_for(cfg);
  if (!current) return std::unexpected(current.error());
  out.push_back(std::move(*current));
  if (cfg.next_agreement_file.empty()) return out;
  auto next = config::load_agreement(cfg.next_agreement_file);
  if (!next) return std::unexpected(next.error());
  if (auto ok = config::check_successor(out.front(), *next); !ok) {
    error e = ok.error();
    e.message = cfg.next_agreement_file.string() + " cannot follow " +
                cfg.agreement_file.string() + ": " + e.message;
    return std::unexpected(std::move(e));
  }
  out.push_back(std::move(*next));
  return out;
}

result<std::vector<held_signing_key>> load_signing_keys(const config::station_config& cfg,
                                                        bool required) {
  std::vector<held_signing_key> out;
  for (const auto* file : {&cfg.signing_key, &cfg.next_signing_key}) {
    if (file->empty()) continue;
    std::error_code ec;
    if (!required && !std::filesystem::exists(*file, ec)) continue;
    auto key = config::load_signing_key(*file);
    if (!key) return std::unexpected(key.error());
    out.push_back({*file, std::move(*key)});
  }
  return out;
}

result<std::vector<tls_key_files>> load_tls_keys(const config::station_config& cfg) {
  std::vector<tls_key_files> out;
  const std::pair<const std::filesystem::path*, const std::filesystem::path*> pairs[] = {
      {&cfg.tls_certificate, &cfg.tls_private_key},
      {&cfg.next_tls_certificate, &cfg.next_tls_private_key}};
  for (const auto& [cert, key] : pairs) {
    if (cert->empty()) continue;
    auto fp = config::certificate_fingerprint(*cert);
    if (!fp) return std::unexpected(fp.error());
    out.push_back({*cert, *key, *fp});
  }
  return out;
}

// Every version's own signing key must be held, each era starting when its version does.
result<signing::signer> make_signer(const config::station_config& cfg,
                                    const config::agreement_history& h,
                                    const std::vector<held_signing_key>& held) {
  signing::signer out;
  if (held.empty()) return out;
  for (std::size_t i = 0; i < h.versions().size(); ++i) {
    const auto& version = h.versions()[i];
    const auto* own = version.find_station(cfg.station);
    auto pinned = own ? signing::parse_public_key(own->signing_key) : std::nullopt;
    auto it = std::find_if(held.begin(), held.end(), [&](const held_signing_key& k) {
      return pinned && k.key.public_half() == *pinned;
    });
    if (it == held.end()) {
      return fail(errc::refused, "agreement version " + std::to_string(version.version) + " (" +
                                     version.hash_hex() + ") pins a signing key for " +
                                     cfg.station + " that is in none of the key files given (" +
                                     held.front().file.string() +
                                     (held.size() > 1 ? ", " + held.back().file.string() : "") + ")");
    }
    out.add(i == 0 ? signing::era_start_ms_min : version.effective_at_ms, it->key);
  }
  return out;
}

result<void> check_tls_keys(const config::station_config& cfg, const config::agreement_history& h,
                            const std::vector<tls_key_files>& held) {
  for (const auto& version : h.versions()) {
    const auto* own = version.find_station(cfg.station);
    const bool found = own && std::any_of(held.begin(), held.end(), [&](const tls_key_files& k) {
                         return k.fingerprint == own->tls_fingerprint;
                       });
    if (!found) {
      return fail(errc::refused, "agreement version " + std::to_string(version.version) +
                                     " pins a TLS key for " + cfg.station +
                                     " that is in none of the certificates given ([tls], [rotation])");
    }
  }
  return {};
}

}  // namespace

const tls_key_files* keyring::tls_at(std::int64_t ms) const {
  const auto* own = history.in_effect_at(ms).find_station(station);
  if (own == nullptr) return nullptr;
  for (const auto& k : tls) {
    if (k.fingerprint == own->tls_fingerprint) return &k;
  }
  return nullptr;
}

result<keyring> load_keyring(const config::station_config& cfg, keyring_needs needs) {
  auto versions = load_versions(cfg);
  if (!versions) return std::unexpected(versions.error());
  auto history = config::agreement_history::build(std::move(*versions));
  if (!history) return std::unexpected(history.error());
  std::vector<held_signing_key> held;
  if (cfg.journal_enabled) {
    auto loaded = load_signing_keys(cfg, needs.signing_required);
    if (!loaded) return std::unexpected(loaded.error());
    held = std::move(*loaded);
  }
  auto signer = make_signer(cfg, *history, held);
  if (!signer) return std::unexpected(signer.error());
  std::vector<tls_key_files> tls;
  if (needs.tls) {
    auto loaded = load_tls_keys(cfg);
    if (!loaded) return std::unexpected(loaded.error());
    if (auto ok = check_tls_keys(cfg, *history, *loaded); !ok) return std::unexpected(ok.error());
    tls = std::move(*loaded);
  }
  return keyring{cfg.station, std::move(*history), std::move(*signer), std::move(tls)};
}

void add_ancestors(keyring& k, const std::vector<std::string>& stored_texts) {
  k.history = k.history.with_ancestors(stored_texts);
}

}  // namespace hotline::station

// The `hotline station` daemon: loads the config and agreement, opens the store, and runs the
// peer links and the API on one I/O thread until SIGINT or SIGTERM.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <iostream>

#include "api/server.hpp"
#include "api/tls_context.hpp"
#include "cli/service_notifier.hpp"
#include "config/keys.hpp"
#include "config/station_config.hpp"
#include "forms/catalog.hpp"
#include "station/entry.hpp"
#include "station/runtime.hpp"
#include "station/station_store.hpp"
#include "storage/accounts.hpp"
#include "storage/store.hpp"

namespace hotline::station {
namespace {

void setup_logging(const std::string& station, const std::string& level) {
  auto logger = spdlog::stderr_color_mt("hotline");
  // UTC timestamps: both watch centres read the same log times.
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ [" + station + "] %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::info);
}

std::string describe(const error& e) {
  return e.field.empty() ? e.message : e.message + " (" + e.field + ")";
}

// What the agreement's labels ask of this station's config and catalog, checked before anything
// is stored: a token's clearance is a marking of the station's own scheme, and every form given
// a default marking is in the catalog (a misspelt id would leave that form at the scheme's
// default without a word).
result<void> check_labels(const config::station_config& cfg, const labels::policy& p,
                          const forms::catalog* catalog) {
  for (const config::api_token& t : cfg.api_tokens) {
    if (!p.valid_clearance(cfg.station, t.clearance)) {
      return fail(errc::invalid_argument,
                  "api token " + t.name + ": clearance '" + t.clearance + "' is not a marking of " +
                      cfg.station + "'s scheme in the agreement",
                  "api.tokens");
    }
  }
  if (catalog == nullptr) return {};
  for (const labels::scheme& s : p.schemes) {
    for (const auto& [form, marking] : s.form_defaults) {
      if (catalog->find(form) == nullptr) {
        return fail(errc::invalid_argument,
                    "the agreement's scheme " + s.id + " gives a default marking to form " + form +
                        ", which the form catalog " + catalog->id() + " does not have",
                    "labels.schemes.form_defaults");
      }
    }
  }
  return {};
}

}  // namespace

int run_station(const std::filesystem::path& config_file) {
  auto cfg = config::load_station_config(config_file);
  if (!cfg) {
    std::cerr << "hotline station: " << config_file.string() << ": " << describe(cfg.error()) << "\n";
    return 2;
  }
  auto agreement = config::load_agreement_for(*cfg);
  if (!agreement) {
    std::cerr << "hotline station: agreement: " << describe(agreement.error()) << "\n";
    return 2;
  }
  // Private keys other users could read are refused, as OpenSSH refuses them. The signing key
  // is checked where it is loaded (config::load_signing_key).
  for (const auto* key :
       {&cfg->tls_private_key, &cfg->next_tls_private_key, &cfg->api_tls_private_key}) {
    if (key->empty()) continue;
    if (auto ok = config::check_private_key_mode(*key); !ok) {
      std::cerr << "hotline station: " << ok.error().message << "\n";
      return 2;
    }
  }
  setup_logging(cfg->station, cfg->log_level);
  std::error_code fs_ec;
  std::filesystem::create_directories(cfg->data_dir, fs_ec);
  // The form catalog both sides agreed on; without one the station carries free text only.
  std::optional<forms::catalog> catalog;
  if (!cfg->catalog_dir.empty()) {
    auto loaded = forms::catalog::load(cfg->catalog_dir);
    if (!loaded) {
      spdlog::critical("cannot load the form catalog {}: {}", cfg->catalog_dir.string(),
                       describe(loaded.error()));
      return 2;
    }
    catalog = std::move(*loaded);
    spdlog::info("form catalog {} {} ({} forms, sha256 {})", catalog->id(), catalog->version(),
                 catalog->forms().size(), catalog->hash());
  }
  if (auto ok = check_labels(*cfg, agreement->labels, catalog ? &*catalog : nullptr); !ok) {
    spdlog::critical("{}", describe(ok.error()));
    return 2;
  }
  auto opened = open_station_store(*cfg);
  if (!opened) {
    spdlog::critical("cannot open the store {} with the station's keys: {}",
                     config::database_label(*cfg), opened.error().message);
    return 1;
  }
  auto* store = &opened->store;
  if (!cfg->journal_enabled) {
    spdlog::warn("the journal is off: this station signs nothing and can prove nothing");
  }
  boost::asio::io_context io;
  // Escalation hooks are not waited for; the kernel reaps them.
  ::signal(SIGCHLD, SIG_IGN);
  auto rt = runtime::create(io, *cfg, *opened->keys, **store, catalog ? &*catalog : nullptr);
  if (!rt) {
    spdlog::critical("cannot start: {}", describe(rt.error()));
    return 1;
  }
  // The accounts share the store's connection and thread, and go before it (declared after).
  auto accounts = storage::open_accounts(**store);
  if (!accounts) {
    spdlog::critical("cannot open the accounts in {}: {}", config::database_label(*cfg),
                     accounts.error().message);
    return 1;
  }
  api::server_options api_options;
  api_options.accounts = accounts->get();
  api_options.console_dir = cfg->console_dir;
  if (!cfg->api_tls_certificate.empty()) {
    auto tls = api::make_api_tls_context(cfg->api_tls_certificate, cfg->api_tls_private_key);
    if (!tls) {
      spdlog::critical("cannot serve the API over TLS: {}", describe(tls.error()));
      return 2;
    }
    api_options.tls = std::move(*tls);
  }
  const char* api_scheme = api_options.tls ? "https" : "http";
  api::server api(io, **rt, cfg->api_listen, cfg->api_tokens, std::move(api_options));
  if (auto r = api.start(); !r) {
    spdlog::critical("cannot start the API on {}: {}", cfg->api_listen.to_string(), r.error().message);
    return 1;
  }
  service_notifier notifier(io);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    notifier.stopping();
    api.stop();
    (*rt)->stop();
    io.stop();
  });
  (*rt)->start();
  spdlog::info("station {} following agreement {} ({}); API on {}://{}", cfg->station,
               agreement->id, agreement->hash_hex(), api_scheme, cfg->api_listen.to_string());
  // The store is open, the peer and API listeners are bound: the station serves from here on.
  notifier.ready("serving " + cfg->station + " on " + cfg->api_listen.to_string());
  // The last line of defence: every handler has its own catch-all, but should an exception still
  // reach the loop, the station logs it and goes on serving rather than exiting.
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      spdlog::critical("event loop: an exception escaped a handler: {}", e.what());
    } catch (...) {
      spdlog::critical("event loop: an unknown exception escaped a handler");
    }
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace hotline::station

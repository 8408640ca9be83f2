#include "cli/token_commands.hpp"

#include <iomanip>
#include <ostream>

#include "cli/cli.hpp"
#include "cli/user_commands.hpp"
#include "config/keys.hpp"
#include "config/station_config.hpp"
#include "forms/utc_time.hpp"

namespace hotline::cli {
namespace {

int report(const std::string& what, const error& e, streams io) {
  io.err << "hotline token " << what << ": " << e.message << "\n";
  return e.code == errc::invalid_argument ? exit_usage : exit_station_error;
}

// The token in the station config called `name`, if any.
const config::api_token* config_token(const config::station_config& cfg, const std::string& name) {
  for (const config::api_token& t : cfg.api_tokens) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// The station's config and its database, opened for token work.
struct station_tokens {
  config::station_config cfg;
  station_accounts db;
};

result<station_tokens> open_station_tokens(const std::filesystem::path& config) {
  auto cfg = config::load_station_config(config);
  if (!cfg) return std::unexpected(cfg.error());
  auto db = open_station_accounts(config);
  if (!db) return std::unexpected(db.error());
  return station_tokens{std::move(*cfg), std::move(*db)};
}

void print_row(std::ostream& out, const std::string& name, const std::string& role,
               const std::string& clearance, const std::string& source, const std::string& created,
               const std::string& state) {
  out << std::left << std::setw(34) << name << std::setw(14) << role << std::setw(26) << clearance
      << std::setw(8) << source << std::setw(22) << created << state << "\n";
}

}  // namespace

int token_add_command(const token_options& opts, streams io) {
  if (!storage::valid_user_name(opts.name)) {
    io.err << "hotline token add: a token name is 2 to 32 characters from a-z, 0-9, '.', '_' "
              "and '-'\n";
    return exit_usage;
  }
  auto st = open_station_tokens(opts.config);
  if (!st) return report("add", st.error(), io);
  if (auto ok = check_clearance(st->db, opts.clearance); !ok) return report("add", ok.error(), io);
  if (config_token(st->cfg, opts.name) != nullptr) {
    return report("add",
                  error{errc::conflict,
                        "the station config already has a token named " + opts.name, "name"},
                  io);
  }
  const std::string secret = config::new_token_secret();
  storage::stored_token t;
  t.name = opts.name;
  t.role = opts.role;
  t.sha256_hex = config::sha256_hex(secret);
  t.created_at_ms = wall_clock_ms();
  t.created_by = os_actor();
  t.clearance = opts.clearance;
  const std::string cleared = describe_clearance(st->db, t.clearance);
  auto& accounts = *st->db.accounts;
  if (auto r = accounts.add_token(t); !r) return report("add", r.error(), io);
  if (auto r = accounts.append_audit(
          {0, t.created_at_ms, t.created_by, "token_added",
           t.name + " as " + t.role + ", cleared to " + cleared});
      !r) {
    return report("add", r.error(), io);
  }
  io.out << "Added API token " << t.name << " (" << t.role << ", cleared to " << cleared
         << "). It is shown only now; the station keeps only its hash.\n"
         << secret << "\n";
  return exit_ok;
}

int token_list_command(const std::filesystem::path& config, streams io) {
  auto st = open_station_tokens(config);
  if (!st) return report("list", st.error(), io);
  auto stored = st->db.accounts->list_tokens();
  if (!stored) return report("list", stored.error(), io);
  if (st->cfg.api_tokens.empty() && stored->empty()) {
    io.out << "(no API tokens; add one with hotline token add)\n";
    return exit_ok;
  }
  print_row(io.out, "NAME", "ROLE", "CLEARANCE", "SOURCE", "CREATED", "STATE");
  for (const config::api_token& t : st->cfg.api_tokens) {
    print_row(io.out, t.name, t.role, describe_clearance(st->db, t.clearance), "config", "-",
              "active");
  }
  for (const storage::stored_token& t : *stored) {
    const std::string state = t.revoked_at_ms
                                  ? "revoked " + forms::format_rfc3339(*t.revoked_at_ms)
                                  : "active";
    print_row(io.out, t.name, t.role, describe_clearance(st->db, t.clearance), "store",
              forms::format_rfc3339(t.created_at_ms), state);
  }
  return exit_ok;
}

int token_revoke_command(const token_options& opts, streams io) {
  auto st = open_station_tokens(opts.config);
  if (!st) return report("revoke", st.error(), io);
  auto& accounts = *st->db.accounts;
  const std::int64_t now = wall_clock_ms();
  if (auto r = accounts.revoke_token(opts.name, now); !r) {
    if (r.error().code == errc::not_found && config_token(st->cfg, opts.name) != nullptr) {
      return report("revoke",
                    error{errc::invalid_argument,
                          opts.name + " is in the station config: remove it from [[api.tokens]] "
                                      "there and restart the station",
                          "name"},
                    io);
    }
    return report("revoke", r.error(), io);
  }
  if (auto r = accounts.append_audit({0, now, os_actor(), "token_revoked", opts.name}); !r) {
    return report("revoke", r.error(), io);
  }
  io.out << "Revoked API token " << opts.name << "; the station refuses it from now on.\n";
  return exit_ok;
}

}  // namespace hotline::cli

#include "cli/user_commands.hpp"

#include <pwd.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <istream>
#include <ostream>

#include "cli/cli.hpp"
#include "config/agreement.hpp"
#include "config/station_config.hpp"
#include "station/station_store.hpp"
#include "storage/passwords.hpp"

namespace hotline::cli {

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string os_actor() {
  const passwd* pw = ::getpwuid(::geteuid());
  return "os:" + (pw != nullptr ? std::string(pw->pw_name) : std::to_string(::geteuid()));
}

namespace {

int report(const std::string& what, const error& e, streams io) {
  io.err << "hotline user " << what << ": " << e.message << "\n";
  return e.code == errc::invalid_argument ? exit_usage : exit_station_error;
}

// Wipes a password from memory when it goes out of scope.
struct wiped {
  std::string text;
  ~wiped() { sodium_memzero(text.data(), text.size()); }
};

// Reads one line with terminal echo off; restores the terminal whatever happens.
bool read_hidden_line(std::istream& in, std::string& out) {
  termios before{};
  const bool is_tty = ::tcgetattr(STDIN_FILENO, &before) == 0;
  if (is_tty) {
    termios quiet = before;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  const bool ok = static_cast<bool>(std::getline(in, out));
  if (is_tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &before);
  return ok;
}

result<void> read_new_password(const std::string& name, password_source pw, streams io,
                               wiped& out) {
  if (!pw.terminal) {
    if (!std::getline(pw.in, out.text)) {
      return fail(errc::invalid_argument, "no password on standard input", "password");
    }
    if (!out.text.empty() && out.text.back() == '\r') out.text.pop_back();
    return storage::check_new_password(out.text);
  }
  io.err << "New password for " << name << " (at least " << storage::password_bytes_min
         << " characters): " << std::flush;
  const bool first = read_hidden_line(pw.in, out.text);
  io.err << "\nAgain: " << std::flush;
  wiped again;
  const bool second = first && read_hidden_line(pw.in, again.text);
  io.err << "\n";
  if (!second) return fail(errc::invalid_argument, "no password given", "password");
  if (out.text != again.text) {
    return fail(errc::invalid_argument, "the two passwords differ", "password");
  }
  return storage::check_new_password(out.text);
}

result<void> audit(storage::accounts& accounts, const std::string& actor, std::string action,
                   std::string detail) {
  return accounts.append_audit({0, wall_clock_ms(), actor, std::move(action), std::move(detail)});
}

std::string describe_state(const storage::user& u, std::int64_t now_ms) {
  if (u.disabled) return "disabled";
  if (u.locked_until_ms > now_ms) {
    return "locked " + std::to_string((u.locked_until_ms - now_ms + 59'999) / 60'000) + " min";
  }
  return "active";
}

}  // namespace

result<station_accounts> open_station_accounts(const std::filesystem::path& config) {
  auto cfg = config::load_station_config(config);
  if (!cfg) return std::unexpected(cfg.error());
  station_accounts out;
  out.station = cfg->station;
  auto agreement = config::load_agreement(cfg->agreement_file);
  out.labels = agreement ? result<labels::policy>(agreement->labels)
                         : std::unexpected(agreement.error());
  auto opened = station::open_station_store(*cfg, station::key_policy::if_present);
  if (!opened) return std::unexpected(opened.error());
  out.store = std::move(opened->store);
  auto accounts = storage::open_accounts(*out.store);
  if (!accounts) return std::unexpected(accounts.error());
  out.accounts = std::move(*accounts);
  return out;
}

result<void> check_clearance(const station_accounts& db, const std::string& clearance) {
  if (clearance.empty()) return {};
  if (!db.labels) {
    return fail(errc::invalid_argument,
                "cannot check clearance '" + clearance + "': " + db.labels.error().message,
                "clearance");
  }
  if (db.labels->valid_clearance(db.station, clearance)) return {};
  std::string known;
  if (const labels::scheme* own = db.labels->scheme_of(db.station)) {
    for (const auto& m : own->markings) known += (known.empty() ? "" : ", ") + m;
  }
  return fail(errc::invalid_argument,
              "clearance '" + clearance + "' is not a marking of " + db.station +
                  "'s scheme in the agreement" +
                  (known.empty() ? std::string(" (it defines none)") : " (" + known + ")"),
              "clearance");
}

std::string describe_clearance(const station_accounts& db, const std::string& clearance) {
  if (!db.labels || !db.labels->defined()) return clearance.empty() ? "-" : clearance;
  const std::string id = db.labels->effective_clearance(db.station, clearance);
  return clearance.empty() ? id + " (lowest)" : id;
}

result<void> provision_user(storage::accounts& accounts, const storage::user& spec,
                            const std::string& password, const std::string& actor) {
  if (auto ok = storage::check_new_password(password); !ok) return ok;
  auto hash = storage::hash_password(password);
  if (!hash) return std::unexpected(hash.error());
  auto existing = accounts.find_user(spec.name);
  if (!existing) return std::unexpected(existing.error());
  if (!*existing) {
    storage::user u = spec;
    u.password_hash = *hash;
    u.created_at_ms = wall_clock_ms();
    if (auto r = accounts.add_user(u); !r) return r;
    return audit(accounts, actor, "user_added", spec.name + " as " + spec.role);
  }
  if (auto r = accounts.set_password_hash(spec.name, *hash); !r) return r;
  if (auto r = accounts.set_disabled(spec.name, false); !r) return r;
  if (auto r = accounts.set_language(spec.name, spec.language); !r) return r;
  if (auto r = accounts.set_clearance(spec.name, spec.clearance); !r) return r;
  return audit(accounts, actor, "password_changed", spec.name);
}

int user_add_command(const user_options& opts, password_source pw, streams io) {
  storage::user u;
  u.name = opts.name;
  u.role = opts.role;
  u.language = opts.language;
  u.clearance = opts.clearance;
  // Check the name before asking for a password that would then be thrown away.
  if (!storage::valid_user_name(u.name)) {
    io.err << "hotline user add: a user name is 2 to 32 characters from a-z, 0-9, '.', '_' "
              "and '-'\n";
    return exit_usage;
  }
  auto db = open_station_accounts(opts.config);
  if (!db) return report("add", db.error(), io);
  if (auto ok = check_clearance(*db, u.clearance); !ok) return report("add", ok.error(), io);
  wiped password;
  if (auto r = read_new_password(u.name, pw, io, password); !r) return report("add", r.error(), io);
  auto hash = storage::hash_password(password.text);
  if (!hash) return report("add", hash.error(), io);
  u.password_hash = std::move(*hash);
  u.created_at_ms = wall_clock_ms();
  if (auto r = db->accounts->add_user(u); !r) return report("add", r.error(), io);
  if (auto r = audit(*db->accounts, os_actor(), "user_added",
                     u.name + " as " + u.role + ", cleared to " + describe_clearance(*db, u.clearance));
      !r) {
    return report("add", r.error(), io);
  }
  io.out << "Added " << u.name << " (" << u.role << ", " << u.language << ", cleared to "
         << describe_clearance(*db, u.clearance) << ").\n";
  return exit_ok;
}

int user_list_command(const std::filesystem::path& config, streams io) {
  auto db = open_station_accounts(config);
  if (!db) return report("list", db.error(), io);
  auto users = db->accounts->list_users();
  if (!users) return report("list", users.error(), io);
  if (users->empty()) {
    io.out << "(no users; add one with hotline user add)\n";
    return exit_ok;
  }
  const std::int64_t now = wall_clock_ms();
  io.out << std::left << std::setw(34) << "NAME" << std::setw(14) << "ROLE" << std::setw(10)
         << "LANGUAGE" << std::setw(26) << "CLEARANCE"
         << "STATE\n";
  for (const storage::user& u : *users) {
    io.out << std::left << std::setw(34) << u.name << std::setw(14) << u.role << std::setw(10)
           << u.language << std::setw(26) << describe_clearance(*db, u.clearance)
           << describe_state(u, now) << "\n";
  }
  return exit_ok;
}

int user_disable_command(const user_options& opts, bool disabled, streams io) {
  const std::string what = disabled ? "disable" : "enable";
  auto db = open_station_accounts(opts.config);
  if (!db) return report(what, db.error(), io);
  if (auto r = db->accounts->set_disabled(opts.name, disabled); !r) {
    return report(what, r.error(), io);
  }
  if (auto r =
          audit(*db->accounts, os_actor(), disabled ? "user_disabled" : "user_enabled", opts.name);
      !r) {
    return report(what, r.error(), io);
  }
  io.out << (disabled ? "Disabled " : "Enabled ") << opts.name
         << (disabled ? "; their sessions have ended.\n" : ".\n");
  return exit_ok;
}

int user_passwd_command(const user_options& opts, password_source pw, streams io) {
  auto db = open_station_accounts(opts.config);
  if (!db) return report("passwd", db.error(), io);
  auto existing = db->accounts->find_user(opts.name);
  if (!existing) return report("passwd", existing.error(), io);
  if (!*existing)
    return report("passwd", error{errc::not_found, "no user named " + opts.name, "name"}, io);
  wiped password;
  if (auto r = read_new_password(opts.name, pw, io, password); !r) {
    return report("passwd", r.error(), io);
  }
  auto hash = storage::hash_password(password.text);
  if (!hash) return report("passwd", hash.error(), io);
  if (auto r = db->accounts->set_password_hash(opts.name, *hash); !r) {
    return report("passwd", r.error(), io);
  }
  if (auto r = audit(*db->accounts, os_actor(), "password_changed", opts.name); !r) {
    return report("passwd", r.error(), io);
  }
  io.out << "Changed the password of " << opts.name
         << "; their sessions have ended and any lockout is cleared.\n";
  return exit_ok;
}

int user_clearance_command(const user_options& opts, streams io) {
  auto db = open_station_accounts(opts.config);
  if (!db) return report("clearance", db.error(), io);
  if (auto ok = check_clearance(*db, opts.clearance); !ok) return report("clearance", ok.error(), io);
  auto existing = db->accounts->find_user(opts.name);
  if (!existing) return report("clearance", existing.error(), io);
  if (!*existing) {
    return report("clearance", error{errc::not_found, "no user named " + opts.name, "name"}, io);
  }
  if (auto r = db->accounts->set_clearance(opts.name, opts.clearance); !r) {
    return report("clearance", r.error(), io);
  }
  const std::string change = opts.name + ": " + describe_clearance(*db, (*existing)->clearance) +
                             " -> " + describe_clearance(*db, opts.clearance);
  if (auto r = audit(*db->accounts, os_actor(), "clearance_changed", change); !r) {
    return report("clearance", r.error(), io);
  }
  io.out << "Cleared " << opts.name << " to " << describe_clearance(*db, opts.clearance)
         << "; it applies from their next request.\n";
  return exit_ok;
}

}  // namespace hotline::cli

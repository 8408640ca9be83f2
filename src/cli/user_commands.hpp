// User commands: `hotline user add|list|disable|enable|passwd|clearance`, which manage the people who sign
// in to a station's console. They open the station's SQLite database directly (found from its
// station config), which is safe while the station runs: the database is in WAL mode and waits
// out a busy lock. Each change is written to the station's audit log with the operating-system
// account that made it ("os:<login>") as the actor.
//
// A new password is read from standard input: prompted for twice with echo off when it is a
// terminal, otherwise one line is read (so that scripts can pipe it, as with
// `docker login --password-stdin`). It must meet storage::check_new_password.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/label.hpp"
#include "storage/accounts.hpp"
#include "storage/store.hpp"

namespace hotline::cli {

struct user_options {
  std::string name;
  std::string role;
  std::string language = "en";
  // A marking of the station's own scheme in the agreement; "" for the lowest.
  std::string clearance = {};
  std::filesystem::path config;  // the station config file
};

// Where a new password comes from. `terminal`: prompt on `io.err` twice, with echo off.
struct password_source {
  std::istream& in;
  bool terminal = false;
};

int user_add_command(const user_options& opts, password_source pw, streams io);
int user_list_command(const std::filesystem::path& config, streams io);
int user_disable_command(const user_options& opts, bool disabled, streams io);
int user_passwd_command(const user_options& opts, password_source pw, streams io);
// Sets the highest marking the user may read; it applies from their next request.
int user_clearance_command(const user_options& opts, streams io);

// A station's database opened for account work. Members are destroyed in reverse order, so the
// accounts (which borrow the store's connection) go first.
struct station_accounts {
  std::unique_ptr<storage::store> store;
  std::unique_ptr<storage::accounts> accounts;
  std::string station;  // the station's id
  // The agreement's label policy, to check clearances against, or why the agreement the config
  // names could not be read (accounts work on without it; clearances cannot be given then).
  result<labels::policy> labels = labels::policy{};
};

// Opens (creating it and its directory if needed, and migrating it) the database named by the
// station config at `config`, and reads the label policy of the agreement that config names.
result<station_accounts> open_station_accounts(const std::filesystem::path& config);

// Nothing when `clearance` may be given at this station: empty, or a marking of its own scheme in
// the agreement; else errc::invalid_argument naming the markings there are (or the agreement's
// error when it could not be read).
result<void> check_clearance(const station_accounts& db, const std::string& clearance);
// A clearance as the lists and the audit log show it: its marking id, with "(lowest)" when
// unset; "-" when the agreement defines no labels or could not be read and none is set.
std::string describe_clearance(const station_accounts& db, const std::string& clearance);

// Milliseconds since the Unix epoch, for the records these commands write.
std::int64_t wall_clock_ms();
// The operating-system account running this command ("os:<login>"), the actor in the audit log.
std::string os_actor();

// Adds the user, or, when the name exists, sets its password to `password`, enables it and sets
// its language and clearance (the role of an existing user is kept). Audited with `actor`. For
// the demo.
result<void> provision_user(storage::accounts& accounts, const storage::user& spec,
                            const std::string& password, const std::string& actor);

}  // namespace hotline::cli

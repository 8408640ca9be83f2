#include "cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <ostream>
#include <sstream>

#include "cli/backup_commands.hpp"
#include "cli/commands.hpp"
#include "cli/form_commands.hpp"
#include "cli/journal_commands.hpp"
#include "cli/token_commands.hpp"
#include "cli/user_commands.hpp"
#include "config/database_url.hpp"
#include "core/version.hpp"

namespace hotline::cli {
namespace {

constexpr const char* description =
    "Hotline: direct, signed, exactly-once messaging between two stations.\n"
    "Run a station with `hotline station --config FILE`; duty officers use send, inbox,\n"
    "status, forms and ack against it.";

constexpr const char* footer =
    "Client commands (send, inbox, status, forms, ack, journal verify,\n"
    "evidence export) find the station in HOTLINE_ADDR\n"
    "(e.g. http://127.0.0.1:7402 or https://watch.example:7402) and present the API token in\n"
    "HOTLINE_TOKEN; over https, HOTLINE_CACERT names the CA or station certificate to trust.\n"
    "--addr, --token and --cacert override them.\n"
    "Exit codes: 0 ok, 1 refused or failed, 2 usage error, 3 station unreachable.";

// Everything the parsed command line says, filled in by CLI11.
struct parsed_args {
  std::optional<std::string> addr;
  std::optional<std::string> token;
  std::optional<std::string> cacert;
  send_options send;
  inbox_options inbox;
  forms_options forms;
  ack_options ack;
  bool status_json = false;
  bool labels_json = false;
  std::filesystem::path keygen_dir;
  std::string keygen_station;
  std::filesystem::path station_config;
  station::demo_options demo;
  user_options user;
  token_options token_cmd;
  backup_options backup;
  journal_options journal;
  evidence_options evidence;
};

// An existing file, or a PostgreSQL URL, which is never repeated in the refusal: it may hold a
// password.
CLI::Validator database_file_or_url() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (config::is_postgresql_uri(value)) return {};
        return CLI::ExistingFile(value);
      },
      "FILE|URL");
}

void add_journal_commands(CLI::App& app, parsed_args& a) {
  CLI::App* journal = app.add_subcommand("journal", "Check the station's signed journal");
  journal->require_subcommand(1);
  CLI::App* verify = journal->add_subcommand(
      "verify", "Check the whole journal: chain, signatures, sequences, the peer's checkpoints");
  verify->add_option("--db", a.journal.db,
                     "Check this database offline: a SQLite file, or a postgresql:// URL")
      ->check(database_file_or_url());
  verify->add_option("--agreement", a.journal.agreements,
                     "Agreement with the public keys; repeat it for each version after a key "
                     "rotation (default: the versions the store kept)")
      ->check(CLI::ExistingFile);
  verify->add_flag("--json", a.journal.json, "Print the report as JSON");

  CLI::App* evidence = app.add_subcommand("evidence", "Export or check a message's evidence");
  evidence->require_subcommand(1);
  CLI::App* ex = evidence->add_subcommand("export", "Write one message's evidence bundle");
  ex->add_option("id", a.evidence.message_id, "Message id")->required();
  ex->add_option("--out", a.evidence.out, "Bundle file to write")->required();
  ex->add_option("--db", a.evidence.db,
                 "Export offline from this database: a SQLite file, or a postgresql:// URL")
      ->check(database_file_or_url());
  CLI::App* check = evidence->add_subcommand("verify", "Check a bundle with only the agreement");
  check->add_option("bundle", a.evidence.bundle, "Bundle file")->required()->check(CLI::ExistingFile);
  check->add_option("--agreement", a.evidence.agreements,
                    "Agreement with the public keys; repeat it for each version the bundle's "
                    "signatures were made under")
      ->required()
      ->check(CLI::ExistingFile);
}

int journal_dispatch(const CLI::App& app, const parsed_args& a, const context& ctx, streams io) {
  auto settings = resolve_client_settings(a.addr, a.token, ctx.getenv);
  std::optional<client_settings> s;
  if (settings) s = *settings;
  if (app.got_subcommand("journal")) return journal_verify_command(s, a.journal, io);
  const CLI::App* ev = app.get_subcommand("evidence");
  if (ev->got_subcommand("export")) return evidence_export_command(s, a.evidence, io);
  return evidence_verify_command(a.evidence, io);
}

void add_client_commands(CLI::App& app, parsed_args& a) {
  CLI::App* send = app.add_subcommand("send", "Post a message to the other station");
  send->add_option("-c,--channel", a.send.channel,
                   "Hotline to post on, e.g. navy (a form: default the station's only one)");
  send->add_option("-p,--precedence", a.send.precedence,
                   "flash (10 min), immediate (30 min), priority (3 h) or routine (6 h)")
      ->check(CLI::IsMember({"flash", "immediate", "priority", "routine"}))
      ->capture_default_str();
  send->add_option("text", a.send.words, "Free text; quote it or give it as several words");
  send->add_option("--form", a.send.form, "Send this catalog form instead, e.g. AIR-FLIGHT-NOTICE");
  send->add_option("--field", a.send.fields,
                   "A form field as name=value (repeat); JSON objects, arrays and numbers are "
                   "taken as JSON")
      ->allow_extra_args(false);
  send->add_flag("--json", a.send.json, "Print the created message as JSON");
  send->add_option("--idempotency-key", a.send.idempotency_key,
                   "Send with this key: a retry with the same key stores nothing new "
                   "(default: a fresh random key)");
  send->add_option("--marking", a.send.marking,
                   "Handling marking, an id of this station's scheme (hotline labels lists them); "
                   "default: the form's");
  send->add_option("--caveat", a.send.caveats,
                   "A handling caveat (repeat): ID, ID=2026-12-10T00:00:00Z for an embargo, or "
                   "ID=ORG,ORG for releasable-to")
      ->allow_extra_args(false);

  CLI::App* forms = app.add_subcommand("forms", "List the form catalog the station validates");
  forms->add_option("--lang", a.forms.lang, "Language of titles and labels")
      ->check(CLI::IsMember({"ko", "ru", "en"}))
      ->capture_default_str();
  forms->add_flag("--json", a.forms.json, "Print the catalog as JSON, examples included");

  CLI::App* ack = app.add_subcommand("ack", "Acknowledge a received message");
  ack->add_option("id", a.ack.id, "The message's id")->required();
  ack->add_option("--answer", a.ack.answer, "A short answer (at most 1000 bytes)");
  ack->add_flag("--json", a.ack.json, "Print the acknowledged message as JSON");

  CLI::App* inbox = app.add_subcommand("inbox", "List messages received from the other station");
  inbox->add_option("-c,--channel", a.inbox.channel, "Only this hotline");
  inbox->add_option("--after", a.inbox.after, "Only messages after this cursor")
      ->check(CLI::NonNegativeNumber);
  inbox->add_option("-n,--limit", a.inbox.limit, "At most this many (station default 100)")
      ->check(CLI::PositiveNumber);
  inbox->add_flag("--json", a.inbox.json, "Print JSON (one message per line with --follow)");
  inbox->add_flag("-f,--follow", a.inbox.follow, "Keep printing new messages as they arrive");

  CLI::App* status = app.add_subcommand("status", "Show links, paths and queues per hotline");
  status->add_flag("--json", a.status_json, "Print the status as JSON");

  CLI::App* labels = app.add_subcommand(
      "labels", "List this station's handling markings, their equivalents and the caveats");
  labels->add_flag("--json", a.labels_json, "Print the label policy as JSON");
}

void add_local_commands(CLI::App& app, parsed_args& a) {
  CLI::App* keygen = app.add_subcommand(
      "keygen", "Create a station's TLS key and certificate and print its fingerprint");
  keygen->add_option("--dir", a.keygen_dir, "Directory for tls.key and tls.crt")->required();
  keygen->add_option("--station", a.keygen_station, "Station id, e.g. rok-fleet-command")
      ->required();

  CLI::App* station = app.add_subcommand("station", "Run the station daemon until interrupted");
  station->add_option("--config", a.station_config, "Station config file (TOML)")
      ->required()
      ->check(CLI::ExistingFile);

  CLI::App* demo = app.add_subcommand("demo", "Set up and run two stations on this machine");
  demo->add_option("--dir", a.demo.dir, "Directory for the demo's keys, configs and data")
      ->required();
  demo->add_option("--port-base", a.demo.port_base, "First of the ports the demo uses")
      ->capture_default_str();
  demo->add_flag("--setup-only", a.demo.setup_only, "Write the files and exit");
  demo->add_option("--hotline", a.demo.hotline, "Which hotline of the 2021 memorandum: navy or air")
      ->check(CLI::IsMember({"navy", "air"}));
}

void add_user_commands(CLI::App& app, parsed_args& a) {
  CLI::App* user = app.add_subcommand(
      "user", "Manage the people who sign in to the station's console (on the station machine)");
  user->require_subcommand(1);
  const auto config = [&a](CLI::App* cmd) {
    cmd->add_option("--config", a.user.config, "Station config file (TOML)")
        ->required()
        ->check(CLI::ExistingFile);
  };
  const auto name = [&a](CLI::App* cmd) {
    cmd->add_option("name", a.user.name, "User name: 2 to 32 of a-z 0-9 . _ -")->required();
  };
  CLI::App* add = user->add_subcommand(
      "add", "Add a user; the password is prompted for, or read from standard input");
  name(add);
  add->add_option("--role", a.user.role, "What the user may do")
      ->required()
      ->check(CLI::IsMember({"duty-officer", "translator", "supervisor", "auditor", "admin"}));
  add->add_option("--lang", a.user.language, "Interface language")
      ->check(CLI::IsMember({"ko", "ru", "en"}))
      ->capture_default_str();
  add->add_option("--clearance", a.user.clearance,
                  "Highest marking of this station's scheme the user may read (default: the "
                  "lowest)");
  config(add);
  CLI::App* clearance = user->add_subcommand(
      "clearance", "Set the highest marking a user may read (from their next request)");
  name(clearance);
  clearance->add_option("marking", a.user.clearance, "A marking id of this station's scheme")
      ->required();
  config(clearance);
  config(user->add_subcommand("list", "List users, their roles and whether they may sign in"));
  for (const auto& [cmd, help] :
       {std::pair{"disable", "Stop a user signing in and end their sessions"},
        std::pair{"enable", "Let a disabled user sign in again"},
        std::pair{"passwd", "Set a user's password (ends their sessions, clears a lockout)"}}) {
    CLI::App* sub = user->add_subcommand(cmd, help);
    name(sub);
    config(sub);
  }
}

int user_dispatch(const CLI::App& user, const parsed_args& a, const context& ctx, streams io) {
  std::istringstream no_input;
  password_source pw{ctx.in != nullptr ? *ctx.in : no_input, ctx.in_is_terminal};
  if (user.got_subcommand("add")) return user_add_command(a.user, pw, io);
  if (user.got_subcommand("list")) return user_list_command(a.user.config, io);
  if (user.got_subcommand("disable")) return user_disable_command(a.user, true, io);
  if (user.got_subcommand("enable")) return user_disable_command(a.user, false, io);
  if (user.got_subcommand("clearance")) return user_clearance_command(a.user, io);
  return user_passwd_command(a.user, pw, io);
}

void add_token_commands(CLI::App& app, parsed_args& a) {
  CLI::App* token = app.add_subcommand(
      "token", "Manage the API tokens that scripts and feeders use (on the station machine)");
  token->require_subcommand(1);
  const auto config = [&a](CLI::App* cmd) {
    cmd->add_option("--config", a.token_cmd.config, "Station config file (TOML)")
        ->required()
        ->check(CLI::ExistingFile);
  };
  const auto name = [&a](CLI::App* cmd) {
    cmd->add_option("name", a.token_cmd.name, "Token name: 2 to 32 of a-z 0-9 . _ -")->required();
  };
  CLI::App* add = token->add_subcommand(
      "add", "Make a token and print it once, on the last line; only its hash is kept");
  name(add);
  add->add_option("--role", a.token_cmd.role, "What the token may do")
      ->required()
      ->check(CLI::IsMember({"duty-officer", "translator", "supervisor", "auditor", "admin"}));
  add->add_option("--clearance", a.token_cmd.clearance,
                  "Highest marking of this station's scheme the token may read (default: the "
                  "lowest; fixed for the token's life)");
  config(add);
  config(token->add_subcommand("list", "List tokens (the config's and the store's) and roles"));
  CLI::App* revoke =
      token->add_subcommand("revoke", "Revoke a token; the station refuses it at once");
  name(revoke);
  config(revoke);
}

void add_backup_commands(CLI::App& app, parsed_args& a) {
  CLI::App* backup = app.add_subcommand(
      "backup", "Write a verified, compressed copy of the station's database (while it runs)");
  CLI::App* restore = app.add_subcommand(
      "restore", "Restore the station's database from a backup, where none exists");
  for (CLI::App* cmd : {backup, restore}) {
    cmd->add_option("--config", a.backup.config, "Station config file (TOML)")
        ->required()
        ->check(CLI::ExistingFile);
  }
  backup->add_option("--out", a.backup.file, "Backup file to write (zstd-compressed SQLite)")
      ->required();
  restore->add_option("--from", a.backup.file, "Backup file written by hotline backup")
      ->required()
      ->check(CLI::ExistingFile);
}

int token_dispatch(const CLI::App& token, const parsed_args& a, streams io) {
  if (token.got_subcommand("add")) return token_add_command(a.token_cmd, io);
  if (token.got_subcommand("list")) return token_list_command(a.token_cmd.config, io);
  return token_revoke_command(a.token_cmd, io);
}

std::vector<char*> argv_of(const std::vector<std::string>& args, std::vector<std::string>& store) {
  store = args;
  if (store.empty()) store.emplace_back("hotline");
  std::vector<char*> argv;
  for (std::string& s : store) argv.push_back(s.data());
  return argv;
}

int dispatch(const CLI::App& app, parsed_args& a, const context& ctx) {
  streams io{*ctx.out, *ctx.err};
  if (app.got_subcommand("keygen")) return keygen_command(a.keygen_dir, a.keygen_station, io);
  if (app.got_subcommand("station")) return ctx.run_station(a.station_config);
  if (app.got_subcommand("user")) return user_dispatch(*app.get_subcommand("user"), a, ctx, io);
  if (app.got_subcommand("token")) return token_dispatch(*app.get_subcommand("token"), a, io);
  if (app.got_subcommand("backup")) return backup_command(a.backup, io);
  if (app.got_subcommand("restore")) return restore_command(a.backup, io);
  if (app.got_subcommand("journal") || app.got_subcommand("evidence")) {
    return journal_dispatch(app, a, ctx, io);
  }
  if (app.got_subcommand("demo")) {
    a.demo.self_exe = ctx.self_exe;
    return ctx.run_demo(a.demo);
  }
  auto settings = resolve_client_settings(a.addr, a.token, ctx.getenv, a.cacert);
  if (!settings) {
    io.err << "hotline: " << settings.error().message << "\n";
    return exit_usage;
  }
  if (app.got_subcommand("send")) return send_command(*settings, a.send, io);
  if (app.got_subcommand("inbox")) return inbox_command(*settings, a.inbox, io);
  if (app.got_subcommand("forms")) return forms_command(*settings, a.forms, io);
  if (app.got_subcommand("ack")) return ack_command(*settings, a.ack, io);
  if (app.got_subcommand("labels")) return labels_command(*settings, a.labels_json, io);
  return status_command(*settings, a.status_json, io);
}

}  // namespace

int run(const std::vector<std::string>& args, const context& ctx) {
  CLI::App app{description, "hotline"};
  app.footer(footer);
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", "hotline " + std::string(hotline::version));
  parsed_args a;
  app.add_option("--addr", a.addr, "Station API address (default: $HOTLINE_ADDR)");
  app.add_option("--token", a.token, "API token (default: $HOTLINE_TOKEN)");
  app.add_option("--cacert", a.cacert,
                 "PEM file of the CA or station certificate to trust over https "
                 "(default: $HOTLINE_CACERT, else the system's authorities)");
  add_client_commands(app, a);
  add_local_commands(app, a);
  add_user_commands(app, a);
  add_token_commands(app, a);
  add_backup_commands(app, a);
  add_journal_commands(app, a);
  std::vector<std::string> storage;
  std::vector<char*> argv = argv_of(args, storage);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, *ctx.out, *ctx.err);
    return code == 0 ? exit_ok : exit_usage;
  }
  try {
    return dispatch(app, a, ctx);
  } catch (const std::exception& e) {
    // Commands report their errors as values; this is the last guard for the unexpected.
    *ctx.err << "hotline: " << e.what() << "\n";
    return exit_station_error;
  }
}

}  // namespace hotline::cli

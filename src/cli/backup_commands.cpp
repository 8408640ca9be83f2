#include "cli/backup_commands.hpp"

#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/user_commands.hpp"
#include "config/agreement.hpp"
#include "config/station_config.hpp"
#include "station/station_store.hpp"
#include "storage/backup.hpp"
#include "storage/journal_verify.hpp"

namespace hotline::cli {
namespace {

int report(const std::string& what, const error& e, streams io) {
  io.err << "hotline " << what << ": " << e.message << "\n";
  return e.code == errc::invalid_argument ? exit_usage : exit_station_error;
}

std::string size_text(std::uint64_t bytes) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1);
  if (bytes < 1024 * 1024) {
    o << static_cast<double>(bytes) / 1024.0 << " KiB";
  } else {
    o << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  }
  return o.str();
}

// What a copy must pass before it is published or restored: SQLite's integrity check, a journal
// that names `station`, and a full verification of that journal with the keys of the agreement
// the copy itself holds. Fills `verified` with the report.
storage::snapshot_check copy_check(const std::string& station, storage::verify_report& verified) {
  return [station, &verified](const std::string& path) -> result<void> {
    if (auto ok = storage::check_database_integrity(path); !ok) return ok;
    auto id = storage::read_stored_identity(path);
    if (!id) return std::unexpected(id.error());
    if (id->station != station) {
      return fail(errc::invalid_argument, "the copy is the database of '" + id->station +
                                              "', not of '" + station + "'");
    }
    auto agreement = station::stored_history(*id);
    if (!agreement) {
      return fail(errc::corrupt, "the copy holds no usable agreement: " + agreement.error().message);
    }
    auto r = storage::verify_journal(path, station::journal_keys_for(*agreement, station));
    if (!r) return std::unexpected(r.error());
    if (!r->ok()) {
      return fail(errc::corrupt, "the copy's journal fails verification at entry #" +
                                     std::to_string(r->first_bad->seq) + ": " +
                                     r->first_bad->what);
    }
    verified = *r;
    return {};
  };
}

void print_summary(std::ostream& out, const storage::backup_summary& s,
                   const storage::verify_report& v) {
  out << "  database " << size_text(s.database_bytes) << ", compressed "
      << size_text(s.compressed_bytes)
      << ", sha256 " << s.database_sha256 << "\n"
      << "  journal verified: " << v.entries << " entries, " << v.messages << " messages, "
      << v.signatures << " signatures; head #" << v.head_seq << "\n";
}

// Backups and restores are of the SQLite file; a PostgreSQL store is PostgreSQL's to back up,
// and a restore into it would bypass the checks above, so both are refused before anything is
// written.
std::optional<int> refuse_postgresql(const config::station_config& cfg, const std::string& what,
                                     streams io) {
  if (cfg.backend != config::storage_backend::postgresql) return std::nullopt;
  io.err << "hotline " << what << ": the store of " << cfg.station << " is in PostgreSQL ("
         << config::database_label(cfg) << "); its " << what
         << " is PostgreSQL's: use pg_basebackup or pg_dump, and restore with PostgreSQL's tools"
            " (docs/operations.md, \"PostgreSQL store\")\n";
  return exit_usage;
}

}  // namespace

int backup_command(const backup_options& opts, streams io) {
  auto cfg = config::load_station_config(opts.config);
  if (!cfg) return report("backup", cfg.error(), io);
  if (auto refused = refuse_postgresql(*cfg, "backup", io)) return *refused;
  {
    // Recorded in the live database before the copy is taken, so the copy holds it too.
    auto db = open_station_accounts(opts.config);
    if (!db) return report("backup", db.error(), io);
    if (auto r = db->accounts->append_audit(
            {0, wall_clock_ms(), os_actor(), "backup_taken", "to " + opts.file.string()});
        !r) {
      return report("backup", r.error(), io);
    }
  }
  storage::verify_report verified;
  auto s = storage::write_backup(cfg->database.string(), opts.file, copy_check(cfg->station, verified));
  if (!s) return report("backup", s.error(), io);
  io.out << "Backup of " << cfg->station << " written to " << opts.file.string() << "\n";
  print_summary(io.out, *s, verified);
  return exit_ok;
}

int restore_command(const backup_options& opts, streams io) {
  auto cfg = config::load_station_config(opts.config);
  if (!cfg) return report("restore", cfg.error(), io);
  if (auto refused = refuse_postgresql(*cfg, "restore", io)) return *refused;
  storage::verify_report verified;
  auto s = storage::restore_backup(opts.file, cfg->database.string(),
                                   copy_check(cfg->station, verified));
  if (!s) return report("restore", s.error(), io);
  auto db = open_station_accounts(opts.config);
  if (!db) return report("restore", db.error(), io);
  const std::string detail = "from " + opts.file.string() + " (sha256 " + s->database_sha256 +
                             ", journal head #" + std::to_string(verified.head_seq) +
                             "); what was journaled after the backup is missing here";
  if (auto r = db->accounts->append_audit({0, wall_clock_ms(), os_actor(), "restored_from_backup",
                                           detail});
      !r) {
    return report("restore", r.error(), io);
  }
  io.out << "Restored " << cfg->station << " from " << opts.file.string() << " into "
         << cfg->database.string() << "\n";
  print_summary(io.out, *s, verified);
  io.out << "Start the station: it learns from the peer what it sent and received after the "
            "backup.\n";
  return exit_ok;
}

}  // namespace hotline::cli

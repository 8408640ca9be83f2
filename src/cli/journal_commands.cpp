#include "cli/journal_commands.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "cli/cli.hpp"
#include "cli/http_client.hpp"
#include "config/agreement.hpp"
#include "config/agreement_history.hpp"
#include "config/database_url.hpp"
#include "evidence/bundle.hpp"
#include "forms/label_text.hpp"
#include "station/station_store.hpp"
#include "storage/evidence_source.hpp"
#include "storage/journal_verify.hpp"

namespace hotline::cli {
namespace {

using json = nlohmann::json;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int fail_with(streams io, const std::string& what, int code = exit_station_error) {
  io.err << "hotline: " << what << "\n";
  return code;
}

// The agreement versions to check against: those given, or else those the store kept (which a
// station with its disk rewritten could have replaced; say so).
result<config::agreement_history> agreement_for(const journal_options& opts,
                                                const storage::stored_identity& id, streams io) {
  if (!opts.agreements.empty()) return config::agreement_history::load(opts.agreements);
  if (id.agreement_text.empty()) {
    return fail(errc::not_found, "the store holds no agreement; give one with --agreement");
  }
  io.out << "Using the agreement kept in the store; give --agreement to check against your own copy.\n";
  return station::stored_history(id);
}

int print_report(const json& r, const std::string& station, bool as_json, streams io) {
  if (as_json) {
    io.out << r.dump(2) << "\n";
  } else if (r.value("ok", false)) {
    io.out << "Journal of " << station << " verified: " << r.value("entries_checked", 0)
           << " entries, " << r.value("messages_checked", 0) << " messages, "
           << r.value("checkpoints_checked", 0) << " checkpoints and "
           << r.value("seals_checked", 0) << " seals from the peer, "
           << r.value("signatures_checked", 0) << " signatures. All sound.\nHead: entry #"
           << r.value("head_seq", 0) << ", sha256 " << r.value("head_hash", std::string{}) << "\n";
  } else {
    const json& bad = r["first_bad"];
    io.out << "JOURNAL OF " << station << " FAILS VERIFICATION";
    if (bad.value("seq", 0) > 0) io.out << " at entry #" << bad.value("seq", 0);
    io.out << ":\n  " << bad.value("what", std::string{}) << "\n";
  }
  return r.value("ok", false) ? exit_ok : exit_station_error;
}

json report_json(const storage::verify_report& r) {
  json bad = nullptr;
  if (r.first_bad) bad = {{"seq", r.first_bad->seq}, {"what", r.first_bad->what}};
  return {{"ok", r.ok()},
          {"entries_checked", r.entries},
          {"messages_checked", r.messages},
          {"checkpoints_checked", r.checkpoints},
          {"seals_checked", r.seals},
          {"signatures_checked", r.signatures},
          {"head_seq", r.head_seq},
          {"head_hash", r.head_hash},
          {"first_bad", bad}};
}

// The database --db names: a SQLite file, or a PostgreSQL database when it is a postgresql://
// URL. `label` names it in messages, without any password the URL holds.
struct offline_db {
  std::string where;
  std::string label;
  bool postgresql = false;

  explicit offline_db(const std::filesystem::path& db)
      : where(db.string()),
        label(config::redact_database_url(where)),
        postgresql(config::is_postgresql_uri(where)) {}

  result<storage::stored_identity> identity() const {
    return postgresql ? storage::read_postgresql_identity(where)
                      : storage::read_stored_identity(where);
  }
  result<storage::verify_report> verify(const storage::journal_keys& keys) const {
    return postgresql ? storage::verify_postgresql_journal(where, keys)
                      : storage::verify_journal(where, keys);
  }
  result<storage::evidence_material> evidence(const std::string& id) const {
    return postgresql ? storage::gather_postgresql_evidence(where, id)
                      : storage::gather_evidence(where, id);
  }
};

int verify_offline(const journal_options& opts, streams io) {
  const offline_db db(opts.db);
  auto id = db.identity();
  if (!id) return fail_with(io, db.label + ": " + id.error().message);
  if (id->station.empty()) return fail_with(io, db.label + ": the journal names no station");
  auto a = agreement_for(opts, *id, io);
  if (!a) return fail_with(io, "agreement: " + a.error().message, exit_usage);
  if (!a->latest().find_station(id->station)) {
    return fail_with(io, "station " + id->station + " is not in the agreement", exit_usage);
  }
  auto report = db.verify(station::journal_keys_for(*a, id->station));
  if (!report) return fail_with(io, db.label + ": " + report.error().message);
  return print_report(report_json(*report), id->station, opts.json, io);
}

bool write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  f.flush();
  return static_cast<bool>(f);
}

}  // namespace

int journal_verify_command(const std::optional<client_settings>& settings,
                           const journal_options& opts, streams io) {
  if (!opts.db.empty()) return verify_offline(opts, io);
  if (!settings) return fail_with(io, "give --db PATH, or the station's --addr and --token", exit_usage);
  http_client client(settings->addr, settings->token);
  int code = exit_ok;
  auto status = call_station(client, "GET", "/api/v1/status", {}, io, code);
  if (!status) return code;
  auto report = call_station(client, "POST", "/api/v1/journal/verify", "{}", io, code);
  if (!report) return code;
  return print_report(*report, status->value("station", std::string{"the station"}), opts.json, io);
}

int evidence_export_command(const std::optional<client_settings>& settings,
                            const evidence_options& opts, streams io) {
  json bundle;
  if (!opts.db.empty()) {
    const offline_db db(opts.db);
    auto m = db.evidence(opts.message_id);
    if (!m) return fail_with(io, m.error().message);
    // Offline too, the embargo of the agreement the database keeps holds the export back.
    if (!m->msg.label.empty()) {
      auto id = db.identity();
      if (!id) return fail_with(io, db.label + ": " + id.error().message);
      auto history = station::stored_history(*id);
      if (!history) return fail_with(io, db.label + ": " + history.error().message);
      if (auto ok = forms::check_release(history->latest().labels, m->msg.label, now_ms(),
                                         opts.message_id);
          !ok) {
        return fail_with(io, ok.error().message);
      }
    }
    bundle = evidence::make_bundle(*m, now_ms());
  } else {
    if (!settings) return fail_with(io, "give --db PATH, or the station's --addr and --token", exit_usage);
    http_client client(settings->addr, settings->token);
    int code = exit_ok;
    auto got = call_station(client, "GET", "/api/v1/messages/" + opts.message_id + "/evidence", {}, io, code);
    if (!got) return code;
    bundle = std::move(*got);
  }
  if (!write_file(opts.out, bundle.dump(2) + "\n")) {
    return fail_with(io, "cannot write " + opts.out.string());
  }
  io.out << "Wrote the evidence for message " << opts.message_id << " to " << opts.out.string()
         << ".\nCheck it anywhere with: hotline evidence verify " << opts.out.string()
         << " --agreement AGREEMENT\n";
  return exit_ok;
}

int evidence_verify_command(const evidence_options& opts, streams io) {
  auto a = config::agreement_history::load(opts.agreements);
  if (!a) return fail_with(io, "agreement: " + a.error().message, exit_usage);
  std::ifstream f(opts.bundle, std::ios::binary);
  if (!f) return fail_with(io, "cannot read " + opts.bundle.string(), exit_usage);
  std::ostringstream text;
  text << f.rdbuf();
  if (text.str().size() > evidence::bundle_bytes_max) return fail_with(io, "the bundle is too large");
  const json bundle = json::parse(text.str(), nullptr, false);
  if (bundle.is_discarded()) {
    io.out << "NOT VERIFIED: " << opts.bundle.string() << " is not JSON.\n";
    return exit_station_error;
  }
  const evidence::verdict v = evidence::verify_bundle(bundle, *a);
  if (!v.ok) {
    io.out << "NOT VERIFIED: " << v.failure << ".\nNothing in this bundle can be relied on.\n";
    return exit_station_error;
  }
  io.out << "VERIFIED with agreement " << a->latest().id;
  for (const auto& version : a->versions()) {
    io.out << (&version == &a->versions().front() ? " (" : ", ") << version.hash_hex();
  }
  io.out << ").\n\nProven:\n";
  for (const auto& line : v.proven) io.out << "  - " << line << "\n";
  if (!v.not_shown.empty()) {
    io.out << "\nNot shown by this bundle:\n";
    for (const auto& line : v.not_shown) io.out << "  - " << line << "\n";
  }
  return exit_ok;
}

}  // namespace hotline::cli

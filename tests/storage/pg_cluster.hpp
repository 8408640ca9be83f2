// A private PostgreSQL 15 cluster for one test binary: made with initdb in a fresh temporary
// directory the first time a test asks for a database, listening on 127.0.0.1 at a free port and
// on a unix socket in that directory, with fsync on and trust authentication for local
// connections only; stopped (pg_ctl stop -m immediate) and removed when the binary ends. Each
// test gets databases of its own (CREATE DATABASE t_N).
//
// If the binary dies before it can stop the cluster, a background shell started with the cluster
// stops it and removes the directory once the binary's process is gone.
//
// initdb refuses to run as root, so when the tests run as root the cluster runs as the
// `postgres` user (runuser), owning its directory. HOTLINE_PG_TESTS=off skips the PostgreSQL
// tests, saying so; otherwise a cluster that cannot start fails them with the reason.
//
// Not thread-safe: the tests of one binary run on one thread.
#pragma once

#include <optional>
#include <string>

namespace hotline::storage::fixtures {

class pg_cluster {
 public:
  // The binary's cluster, started on first use.
  static pg_cluster& instance();

  // Why the PostgreSQL tests are skipped (HOTLINE_PG_TESTS=off); nullopt when they run.
  static std::optional<std::string> skip_reason();

  // Starts the cluster if it is not running. Empty on success, else why it cannot run.
  std::string start();
  // A URL for a new, empty database; start() must have succeeded.
  std::string new_database();
  // Runs `sql` on the database at `url` through a connection of its own; the error, or empty.
  static std::string exec(const std::string& url, const std::string& sql);
  // The first column of the first row `sql` returns on `url`, as text; nullopt on failure.
  static std::optional<std::string> query_text(const std::string& url, const std::string& sql);
  // Stops the cluster and removes its directory; nothing when it is not running.
  void stop();

  ~pg_cluster() { stop(); }

 private:
  pg_cluster() = default;
  std::string run(const std::string& command);
  void start_reaper(const std::string& data);

  std::string dir_;
  int port_ = 0;
  bool running_ = false;
  std::string failure_;
  int databases_ = 0;
};

}  // namespace hotline::storage::fixtures

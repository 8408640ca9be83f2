#include "storage/pg_cluster.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hotline::storage::fixtures {

namespace {

constexpr const char* pg_bin = "/usr/lib/postgresql/15/bin";
constexpr const char* cluster_user = "postgres";
constexpr int start_attempts_max = 3;

// A port on 127.0.0.1 that was free a moment ago; 0 when none could be had. Another process may
// take it before the cluster binds it, so start() tries again on failure.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Stops the cluster when the test binary ends, whatever the tests did.
class cluster_environment : public ::testing::Environment {
 public:
  void TearDown() override { pg_cluster::instance().stop(); }
};

[[maybe_unused]] ::testing::Environment* const environment =
    ::testing::AddGlobalTestEnvironment(new cluster_environment);

}  // namespace

pg_cluster& pg_cluster::instance() {
  static pg_cluster cluster;
  return cluster;
}

std::optional<std::string> pg_cluster::skip_reason() {
  const char* v = std::getenv("HOTLINE_PG_TESTS");
  if (v != nullptr && std::string_view{v} == "off") {
    return "HOTLINE_PG_TESTS=off: the PostgreSQL store's tests are skipped";
  }
  return std::nullopt;
}

// Runs a shell command (every part of it is ours: paths from mkdtemp, numbers), as the cluster's
// user when this process is root; its output goes to the directory's log. Empty on success.
std::string pg_cluster::run(const std::string& command) {
  const std::string log = dir_ + "/command.log";
  const std::string as_user =
      ::geteuid() == 0 ? std::string{"runuser -u "} + cluster_user + " -- " : std::string{};
  const int rc = std::system((as_user + command + " >" + log + " 2>&1").c_str());
  if (rc == 0) return {};
  return "`" + command + "` failed (status " + std::to_string(rc) + "): " + read_file(log);
}

std::string pg_cluster::start() {
  if (running_) return {};
  if (!failure_.empty()) return failure_;  // one attempt per binary; each test reports it
  if (!std::filesystem::exists(std::string{pg_bin} + "/initdb")) {
    return failure_ = std::string{pg_bin} +
                      "/initdb is missing: install Debian's postgresql-15"
                      " (scripts/install-deps)";
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "hotline-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return failure_ = "mkdtemp failed";
  dir_ = pattern;
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam(cluster_user);
    if (pw == nullptr) return failure_ = "there is no `postgres` user to run the cluster as";
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return failure_ = "chown failed";
  }
  const std::string data = dir_ + "/data";
  if (auto e = run(std::string{pg_bin} +
                   "/initdb --no-sync -A trust -U postgres -E UTF8"
                   " --locale=C -D " +
                   data);
      !e.empty()) {
    return failure_ = e;
  }
  for (int attempt = 0; attempt < start_attempts_max; ++attempt) {
    port_ = free_port();
    const std::string options = "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
                                " -c unix_socket_directories=" + dir_ + " -c fsync=on";
    failure_ = run(std::string{pg_bin} + "/pg_ctl start -w -t 60 -D " + data + " -l " + dir_ +
                   "/server.log -o '" + options + "'");
    if (failure_.empty()) {
      running_ = true;
      start_reaper(data);
      return {};
    }
    failure_ += read_file(dir_ + "/server.log");
  }
  return failure_;
}

// A test binary that dies (a sanitizer's abort, a crash) never reaches the environment's
// TearDown; a small shell in the background stops its cluster and removes the directory once
// this process is gone. After a normal stop it finds nothing left to do.
void pg_cluster::start_reaper(const std::string& data) {
  const std::string as_user =
      ::geteuid() == 0 ? std::string{"runuser -u "} + cluster_user + " -- " : std::string{};
  const std::string script = "while kill -0 " + std::to_string(::getpid()) +
                             " 2>/dev/null; do sleep 1; done; if [ -d " + data + " ]; then " +
                             as_user + pg_bin + "/pg_ctl stop -m immediate -D " + data +
                             "; rm -rf " + dir_ + "; fi";
  (void)std::system(("(" + script + ") </dev/null >/dev/null 2>&1 &").c_str());
}

std::string pg_cluster::new_database() {
  const std::string name = "t_" + std::to_string(++databases_);
  const std::string base = "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/";
  if (auto e = exec(base + "postgres", "CREATE DATABASE " + name); !e.empty()) {
    ADD_FAILURE() << "CREATE DATABASE " << name << ": " << e;
  }
  return base + name;
}

std::string pg_cluster::exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

std::optional<std::string> pg_cluster::query_text(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::optional<std::string> out;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

void pg_cluster::stop() {
  if (dir_.empty()) return;
  if (running_) {
    (void)run(std::string{pg_bin} + "/pg_ctl stop -m immediate -w -D " + dir_ + "/data");
    running_ = false;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

}  // namespace hotline::storage::fixtures

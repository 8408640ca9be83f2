// A backlog of queued posts far beyond what a station keeps in memory: recovering an engine from
// a real SQLite file that holds it costs memory in proportion to the in-memory bound of the
// queue (limits::queue_memory_*), not to the backlog. The test measures the process's peak RSS
// (getrusage) before opening the store and after the engine is restored, and fails if it grew
// past a generous bound. It measures memory, not time.
//
// HOTLINE_BACKLOG_MESSAGES=N sets the backlog: 100,000 by default, so that the sanitizer build
// stays quick; docs/benchmarks.md gives the figures for 1,000,000.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "core/engine.hpp"
#include "core/limits.hpp"
#include "storage/store.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

constexpr std::size_t backlog_messages_default = 100'000;
constexpr std::size_t body_bytes = 1024;
// Far above what the bounded queue needs (a few MiB of messages, SQLite's cache and the pages
// it maps), far below what holding the backlog would take (over 200 MiB at the default size).
constexpr long rss_growth_kib_max = 256 * 1024;

std::size_t backlog_messages() {
  const char* v = std::getenv("HOTLINE_BACKLOG_MESSAGES");
  if (v == nullptr || *v == '\0') return backlog_messages_default;
  return static_cast<std::size_t>(std::strtoull(v, nullptr, 10));
}

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// This process's resident memory now, by kind, from /proc (Linux): for the report only. Pages of
// the database file that SQLite maps count as file-backed, not anonymous, memory.
std::string resident_now() {
  std::ifstream status("/proc/self/status");
  std::string line;
  std::string out;
  while (std::getline(status, line)) {
    if (line.starts_with("RssAnon:") || line.starts_with("RssFile:")) {
      out += (out.empty() ? "" : ", ") + line;
    }
  }
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Commits `n` queued posts on channel navy through the store, in the largest batches it takes.
bool fill(const std::string& path, std::size_t n) {
  auto s = open_sqlite(path, journal_options{{}, false});
  if (!s) return false;
  std::vector<records::record> batch;
  batch.reserve(limits::group_commit_records_max);
  for (std::size_t i = 0; i < n; ++i) {
    message m = fixtures::make_message("backlog-" + std::to_string(i), "navy");
    m.prec = i % 1000 == 999 ? precedence::flash : precedence::routine;
    m.body.assign(body_bytes, 'x');
    batch.push_back(records::posted{std::move(m)});
    if (batch.size() == limits::group_commit_records_max || i + 1 == n) {
      if (!(*s)->commit(batch, 1'700'000'000'000)) return false;
      batch.clear();
    }
  }
  return true;
}

// Fills the store in a child process, so that what filling costs does not count in this
// process's peak.
bool fill_in_child(const std::string& path, std::size_t n) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) ::_exit(fill(path, n) ? 0 : 1);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(queue_backlog, recovering_a_huge_queue_takes_bounded_memory) {
  const std::size_t n = backlog_messages();
  ASSERT_LE(n, limits::queue_messages_max);
  fixtures::temp_dir dir;
  const std::string path = dir.file("backlog.db");
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(fill_in_child(path, n));
  const double fill_s = seconds_since(started);

  const long before_kib = peak_rss_kib();
  started = std::chrono::steady_clock::now();
  auto s = open_sqlite(path, journal_options{{}, false});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  const long opened_kib = peak_rss_kib();
  auto rec = (*s)->recover("navy");
  ASSERT_TRUE(rec.has_value()) << rec.error().message;
  core::engine_config cfg;
  cfg.station = "rok-fleet";
  cfg.channel_peer = {{"navy", "ru-pacific"}};
  cfg.peers = {{"ru-pacific", {"fibre"}}};
  core::engine e(std::move(cfg));
  e.restore({*rec});
  const double recover_s = seconds_since(started);
  const long after_kib = peak_rss_kib();

  EXPECT_EQ(e.status(0).at(0).queued, n);
  EXPECT_LE(rec->queued.size(), limits::queue_memory_messages_max);
  std::cout << n << " queued posts of " << body_bytes << " bytes: filled in " << fill_s
            << " s; peak RSS " << before_kib / 1024 << " MiB before opening the store, "
            << opened_kib / 1024 << " MiB once open, " << after_kib / 1024
            << " MiB after the engine was restored (+" << (after_kib - before_kib) / 1024
            << " MiB in all) in " << recover_s << " s; now " << resident_now() << "\n";
  EXPECT_LT(after_kib - before_kib, rss_growth_kib_max);
}

}  // namespace
}  // namespace hotline::storage

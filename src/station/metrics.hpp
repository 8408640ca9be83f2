// Station metrics: what a station counts about itself for GET /metrics (docs/operations.md,
// "Metrics"), beyond what its status already says.
//
// `station_counters` is kept by the runtime on its I/O thread and only grows while the station
// runs (counters restart at zero with the process, as Prometheus expects). `metrics_snapshot`
// is a copy of it with the figures read from the store at the same moment; the API renders it
// with the status taken on the same turn of the I/O thread. Nothing here does I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/histogram.hpp"

namespace hotline::station {

// Bounds in seconds for commit durations: from a fast disk's fsync to a stalled one.
inline const std::vector<double>& commit_seconds_bounds() {
  static const std::vector<double> b{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                     0.05,   0.1,   0.25,  0.5,   1,    2.5};
  return b;
}
// Bounds in records for the size of a group commit.
inline const std::vector<double>& batch_records_bounds() {
  static const std::vector<double> b{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
  return b;
}

struct station_counters {
  core::histogram commit_seconds{commit_seconds_bounds()};       // whole transactions
  core::histogram commit_sync_seconds{commit_seconds_bounds()};  // their WAL write and fsync
  core::histogram batch_records{batch_records_bounds()};
  core::histogram commit_pages{batch_records_bounds()};  // pages each wrote to the log
  std::uint64_t commit_failures = 0;
  std::map<std::string, std::uint64_t> refused_by_peer;        // frames and links refused
  std::map<std::string, std::uint64_t> escalations_by_channel;  // messages and link tests
  std::map<std::string, std::uint64_t> missed_link_tests_by_channel;  // link tests alone
  std::uint64_t alarms = 0;            // attestation mismatches raised
  std::uint64_t handler_failures = 0;  // handlers that threw and were recovered from
};

struct metrics_snapshot {
  station_counters counters;
  // Messages awaiting a person's answer, by channel: received ones this station's officers have
  // not acknowledged, and sent ones the other side has not.
  std::map<std::string, std::size_t> awaiting_our_answer;
  std::map<std::string, std::size_t> awaiting_their_answer;
  std::int64_t journal_entries = 0;  // the journal's head seq
  std::int64_t database_bytes = -1;  // the database file with its WAL; -1 in memory
};

}  // namespace hotline::station

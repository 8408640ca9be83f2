// Entry points: the two long-running modes of the `hotline` executable, called by the CLI after
// it has parsed their options.
//
// `run_station` loads the station config at `config_file` (and the agreement it names), opens
// the store, starts the peer links and the HTTP API, and blocks until SIGINT or SIGTERM; then it
// shuts down within a bounded time. It returns the process exit code: 0 after a clean shutdown,
// 1 when the station could not start or failed while running (the reason is logged).
//
// `run_demo` sets up two stations that share one agreement under `opts.dir` (keys, configs,
// tokens), using ports from `opts.port_base` upwards, and, unless `opts.setup_only`, runs both
// (as child processes of `opts.self_exe`) until interrupted. It returns the process exit code.
//
// Both run on the calling thread and are not meant to be called twice in one process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace hotline::station {

int run_station(const std::filesystem::path& config_file);  // blocks until SIGINT/SIGTERM

struct demo_options {
  std::filesystem::path dir;
  std::uint16_t port_base = 7400;
  bool setup_only = false;
  std::string hotline = "navy";  // navy or air: the two hotlines of the 2021 memorandum
  std::string self_exe;
};

int run_demo(const demo_options& opts);

}  // namespace hotline::station

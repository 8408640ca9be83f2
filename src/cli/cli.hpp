// CLI: the `hotline` command line. One executable, many subcommands: the station daemon
// (`station`), the two-station demo (`demo`), key generation (`keygen`), the people who may sign
// in (`user`, on the station's own machine) and the client commands an operator uses against a
// running station (`send`, `inbox`, `status`, `forms`, `ack`).
//
// Client commands find the station in HOTLINE_ADDR and HOTLINE_TOKEN, overridden by the global
// options --addr and --token. Exit codes: 0 success, 1 the station (or a local operation such as
// keygen) refused or failed, 2 usage error, 3 the station could not be reached.
//
// `run` is called once, on the main thread.
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "station/entry.hpp"

namespace hotline::cli {

enum exit_code : int { exit_ok = 0, exit_station_error = 1, exit_usage = 2, exit_unreachable = 3 };

// Everything `run` touches outside itself, so that tests can run it without a real environment,
// real terminal or real station daemon.
struct context {
  std::function<std::optional<std::string>(const char*)> getenv;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  std::istream* in = nullptr;   // where `user add` and `user passwd` read a new password
  bool in_is_terminal = false;  // prompt twice with echo off instead of reading one line
  std::function<int(const std::filesystem::path&)> run_station;
  std::function<int(const station::demo_options&)> run_demo;
  std::string self_exe;  // this executable's path, for the demo's child processes
};

// Parses `args` (args[0] is the program name) and runs the chosen subcommand; returns the exit
// code. Never throws.
int run(const std::vector<std::string>& args, const context& ctx);

// The process entry point: the real environment, std::cout/std::cerr, the real daemon and demo.
int run(int argc, char** argv);

}  // namespace hotline::cli

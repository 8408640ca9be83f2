// The process entry point, kept apart from cli.cpp so that tests can link the command line
// without the station daemon.

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/cli.hpp"

namespace hotline::cli {

int run(int argc, char** argv) {
  context ctx;
  ctx.getenv = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  ctx.in = &std::cin;
  ctx.in_is_terminal = ::isatty(STDIN_FILENO) == 1;
  ctx.run_station = [](const std::filesystem::path& file) { return station::run_station(file); };
  ctx.run_demo = [](const station::demo_options& opts) { return station::run_demo(opts); };
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  ctx.self_exe = ec ? std::string(argc > 0 ? argv[0] : "hotline") : exe.string();
  return run(std::vector<std::string>(argv, argv + argc), ctx);
}

}  // namespace hotline::cli

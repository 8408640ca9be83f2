// The `hotline` executable: every mode (station daemon, demo, client commands) is a subcommand.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return hotline::cli::run(argc, argv); }

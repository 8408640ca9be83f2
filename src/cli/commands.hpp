// Commands: what each CLI subcommand does once its options are parsed. Each returns the
// process exit code (see cli.hpp) and writes results to `out`, problems to `err`.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/settings.hpp"

namespace hotline::cli {

class http_client;

struct streams {
  std::ostream& out;
  std::ostream& err;
};

struct send_options {
  std::string channel;
  std::string precedence = "routine";
  std::vector<std::string> words;  // joined with single spaces into the text
  bool json = false;
};

struct inbox_options {
  std::string channel;  // empty: every channel
  std::optional<std::int64_t> after;
  std::optional<std::int64_t> limit;  // nullopt: the station's default
  bool json = false;
  bool follow = false;
  std::chrono::milliseconds poll_interval{1000};
};

int send_command(const client_settings& settings, const send_options& opts, streams io);
int inbox_command(const client_settings& settings, const inbox_options& opts, streams io);
int status_command(const client_settings& settings, bool json, streams io);
int keygen_command(const std::filesystem::path& dir, const std::string& station, streams io);

// Calls the station and hands back the parsed JSON of a 2xx answer; otherwise reports the
// problem on `io.err` and sets `code` to the exit code.
std::optional<nlohmann::json> call(http_client& client, std::string_view method,
                                   const std::string& target, const std::string& body, streams io,
                                   int& code);

}  // namespace hotline::cli

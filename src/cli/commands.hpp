// Commands: what each CLI subcommand does once its options are parsed. Each returns the
// process exit code (see cli.hpp) and writes results to `out`, problems to `err`.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/settings.hpp"

namespace hotline::cli {


struct streams {
  std::ostream& out;
  std::ostream& err;
};

class http_client;

struct send_options {
  std::string channel;  // empty: free text refuses; a form goes on the station's only hotline
  std::string precedence = "routine";
  std::vector<std::string> words;  // joined with single spaces into the text
  std::string form;                // a catalog form instead of free text
  std::vector<std::string> fields;  // with `form`: "name=value", see form_commands.hpp
  bool json = false;
  // Sent as the Idempotency-Key header: a retry with the same key stores nothing new. Empty: a
  // fresh random key for this post.
  std::string idempotency_key;
  // The handling label (docs/api.md, "Handling labels"): a marking id of this station's scheme,
  // and caveats as "ID", "ID=RFC 3339 instant" (an embargo) or "ID=ORG,ORG" (releasable to).
  // No marking: the station gives the form's default.
  std::string marking;
  std::vector<std::string> caveats;
};

// The "label" member of a post for `opts`, or nothing when no marking is given. A caveat given
// without --marking is a usage error.
result<std::optional<nlohmann::json>> label_member(const send_options& opts);

struct inbox_options {
  std::string channel;  // empty: every channel
  std::optional<std::int64_t> after;
  std::optional<std::int64_t> limit;  // nullopt: the station's default
  bool json = false;
  bool follow = false;
  std::chrono::milliseconds poll_interval{1000};
};

// Calls the station and hands back the parsed JSON of a 2xx answer. Otherwise it writes the
// problem (the station's message and field, or why it could not be reached) to `io.err`, sets
// `code` to the exit code and returns nullopt.
std::optional<nlohmann::json> call_station(http_client& client, std::string_view method,
                                           const std::string& target, const std::string& body,
                                           streams io, int& code,
                                           const std::string& idempotency_key = {});
// The Idempotency-Key a post is sent with: the one given, or a fresh random one.
std::string post_key(const send_options& opts);

// Free text, or a form when `opts.form` is set (form_commands.cpp).
int send_command(const client_settings& settings, const send_options& opts, streams io);
int inbox_command(const client_settings& settings, const inbox_options& opts, streams io);
int status_command(const client_settings& settings, bool json, streams io);
// GET /api/v1/labels: the markings a post may carry (hotline send --marking), what the other
// side reads each as, and the caveats.
int labels_command(const client_settings& settings, bool json, streams io);
int keygen_command(const std::filesystem::path& dir, const std::string& station, streams io);


}  // namespace hotline::cli

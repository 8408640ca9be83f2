// Token commands: `hotline token add|list|revoke`, which manage the API tokens that scripts and
// feeders present as `Authorization: Bearer <token>`. Like the user commands they open the
// station's database directly (found from its station config), which is safe while the station
// runs, and write each change to the audit log as "os:<login>".
//
// `add` makes a new secret (config::new_token_secret) and prints it once, on the last line of
// standard output; only its SHA-256 is stored. The station reads stored tokens from the database
// at each request, so a new token works at once and a revoked one is refused at once, and an
// event stream opened with it is closed (websocket_session.cpp). Tokens in the station config
// ([[api.tokens]]) are listed too, but change only with the config and a restart.
#pragma once

#include <filesystem>
#include <string>

#include "cli/commands.hpp"

namespace hotline::cli {

struct token_options {
  std::string name;
  std::string role;
  std::string clearance = {};  // a marking of the station's scheme; "" for the lowest
  std::filesystem::path config;  // the station config file
};

int token_add_command(const token_options& opts, streams io);
int token_list_command(const std::filesystem::path& config, streams io);
int token_revoke_command(const token_options& opts, streams io);

}  // namespace hotline::cli

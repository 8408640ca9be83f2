// Form commands: the catalog (`hotline forms`), sending a form (`hotline send --form`) and
// acknowledging a received message (`hotline ack`), as clients of the station's API. Each command
// returns the process exit code (cli.hpp). The parsing and formatting helpers are pure, so that
// tests can check them without a station.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace hotline::cli {

struct forms_options {
  std::string lang = "en";  // ko | ru | en
  bool json = false;
};

struct ack_options {
  std::string id;
  std::string answer;  // empty: none
  bool json = false;
};

// "name=value" from --field. The value is JSON when it parses as a JSON object, array or number
// (`area={"circle":...}`, `aircraft_count=2`), and a string otherwise, so `callsign=RFF7701` and
// `purpose=true` need no quoting. errc::invalid_argument when there is no '=' or no name.
result<std::pair<std::string, nlohmann::json>> parse_field_arg(std::string_view arg);

// The POST /api/v1/messages body for a form: {"channel", "precedence", "form", "fields"}.
// errc::invalid_argument when a --field is malformed or names a field twice.
result<nlohmann::json> form_message_body(const send_options& opts, const std::string& channel);

int forms_command(const client_settings& settings, const forms_options& opts, streams io);
int send_form_command(const client_settings& settings, const send_options& opts, streams io);
int ack_command(const client_settings& settings, const ack_options& opts, streams io);

}  // namespace hotline::cli

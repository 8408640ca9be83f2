#include "cli/form_commands.hpp"

#include "api/target.hpp"
#include "cli/cli.hpp"
#include "cli/format.hpp"
#include "cli/http_client.hpp"

namespace hotline::cli {
namespace {

using json = nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A string member, or "" when it is absent or null.
std::string string_of(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

// The hotline a form goes on when --channel is not given: the station's only one. With several,
// guessing could put a notice on the wrong hotline, so the officer must say which.
std::optional<std::string> only_channel(http_client& client, streams io, int& code) {
  const auto status = call_station(client, "GET", "/api/v1/status", {}, io, code);
  if (!status) return std::nullopt;
  std::vector<std::string> names;
  for (const auto& c : status->value("channels", json::array())) {
    names.push_back(string_of(c, "channel"));
  }
  if (names.size() == 1) return names.front();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  io.err << "hotline send: the station serves " << names.size() << " hotlines (" << list
         << "); say which with --channel\n";
  code = exit_usage;
  return std::nullopt;
}

}  // namespace

result<std::pair<std::string, json>> parse_field_arg(std::string_view arg) {
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return fail(
        errc::invalid_argument,
        "--field takes name=value, e.g. --field callsign=RFF7701; got '" + std::string(arg) + "'",
        "field");
  }
  const std::string name(arg.substr(0, eq));
  const std::string_view text = arg.substr(eq + 1);
  json value = json::parse(text, nullptr, false);
  // Only structured values and numbers are taken as JSON: a bare word, true or null is what
  // the officer typed, and the station's validation says whether it fits the field.
  if (value.is_discarded() || !(value.is_object() || value.is_array() || value.is_number())) {
    value = std::string(text);
  }
  return std::pair{name, std::move(value)};
}

result<json> form_message_body(const send_options& opts, const std::string& channel) {
  json fields = json::object();
  for (const std::string& arg : opts.fields) {
    auto field = parse_field_arg(arg);
    if (!field) return std::unexpected(field.error());
    if (fields.contains(field->first)) {
      return fail(errc::invalid_argument, "--field " + field->first + " is given twice", "field");
    }
    fields[field->first] = std::move(field->second);
  }
  json body{{"channel", channel},
            {"precedence", opts.precedence},
            {"form", opts.form},
            {"fields", std::move(fields)}};
  auto label = label_member(opts);
  if (!label) return std::unexpected(label.error());
  if (*label) body["label"] = **label;
  return body;
}

int forms_command(const client_settings& settings, const forms_options& opts, streams io) {
  http_client client(settings.addr, settings.token);
  int code = exit_ok;
  const auto catalog = call_station(
      client, "GET", "/api/v1/forms?lang=" + api::percent_encode(opts.lang), {}, io, code);
  if (!catalog) return code;
  io.out << (opts.json ? catalog->dump(2) + "\n" : format_forms_table(*catalog));
  return exit_ok;
}

int send_form_command(const client_settings& settings, const send_options& opts, streams io) {
  if (opts.form.empty() || !opts.words.empty()) {
    io.err << "hotline send: give either the text or --form ID with --field name=value\n";
    return exit_usage;
  }
  // Checked before anything is sent: a typing mistake should not cost a round trip.
  if (auto body = form_message_body(opts, "-"); !body) {
    io.err << "hotline send: " << body.error().message << "\n";
    return exit_usage;
  }
  http_client client(settings.addr, settings.token);
  int code = exit_ok;
  std::string channel = opts.channel;
  if (channel.empty()) {
    auto only = only_channel(client, io, code);
    if (!only) return code;
    channel = std::move(*only);
  }
  const json body = *form_message_body(opts, channel);
  const auto created =
      call_station(client, "POST", "/api/v1/messages", dump(body), io, code, post_key(opts));
  if (!created) return code;
  if (opts.json) {
    io.out << created->dump(2) << "\n";
  } else {
    io.out << string_of(*created, "id") << " " << string_of(*created, "status") << "\n";
  }
  return exit_ok;
}

int ack_command(const client_settings& settings, const ack_options& opts, streams io) {
  json body = json::object();
  if (!opts.answer.empty()) body["answer"] = opts.answer;
  http_client client(settings.addr, settings.token);
  int code = exit_ok;
  const auto acked =
      call_station(client, "POST", "/api/v1/messages/" + api::percent_encode(opts.id) + "/ack",
                   dump(body), io, code);
  if (!acked) return code;
  if (opts.json) {
    io.out << acked->dump(2) << "\n";
  } else {
    io.out << string_of(*acked, "id") << " " << string_of(*acked, "status") << " by "
           << string_of(*acked, "acknowledged_by") << "\n";
  }
  return exit_ok;
}

}  // namespace hotline::cli

#include "cli/commands.hpp"

#include "forms/utc_time.hpp"

#include <nlohmann/json.hpp>
#include <thread>

#include "api/target.hpp"
#include "cli/cli.hpp"
#include "cli/form_commands.hpp"
#include "cli/format.hpp"
#include "cli/http_client.hpp"
#include "config/keys.hpp"
#include "station/ids.hpp"

namespace hotline::cli {
namespace {

using json = nlohmann::json;

int report(const error& e, streams io) {
  io.err << "hotline: " << e.message << "\n";
  return e.code == errc::unavailable ? exit_unreachable : exit_station_error;
}

std::string list_target(const inbox_options& opts, std::optional<std::int64_t> after) {
  std::string target = "/api/v1/messages?box=in";
  if (!opts.channel.empty()) target += "&channel=" + api::percent_encode(opts.channel);
  if (after) target += "&after=" + std::to_string(*after);
  if (opts.limit) target += "&limit=" + std::to_string(*opts.limit);
  return target;
}

void print_messages(const json& messages, const inbox_options& opts, bool header, streams io) {
  if (opts.json && opts.follow) {
    // Following in JSON prints one message per line, so that a script can read it as it comes.
    for (const auto& m : messages) io.out << m.dump() << "\n";
  } else if (opts.json) {
    return;
  } else if (!messages.empty() || header) {
    io.out << format_message_table(messages, header);
  }
  io.out.flush();
}

}  // namespace

std::optional<json> call_station(http_client& client, std::string_view method,
                                 const std::string& target, const std::string& body, streams io,
                                 int& code, const std::string& idempotency_key) {
  auto reply = client.request(method, target, body, idempotency_key);
  if (!reply) {
    code = report(reply.error(), io);
    return std::nullopt;
  }
  if (reply->status < 200 || reply->status >= 300) {
    io.err << "hotline: " << format_station_error(reply->status, reply->body) << "\n";
    if (reply->status == 401) io.err << "hotline: check HOTLINE_TOKEN or --token\n";
    code = exit_station_error;
    return std::nullopt;
  }
  json parsed = json::parse(reply->body, nullptr, false);
  if (parsed.is_discarded()) {
    io.err << "hotline: the station's answer is not JSON\n";
    code = exit_station_error;
    return std::nullopt;
  }
  code = exit_ok;
  return parsed;
}

std::string post_key(const send_options& opts) {
  return opts.idempotency_key.empty() ? station::new_message_id() : opts.idempotency_key;
}

result<std::optional<json>> label_member(const send_options& opts) {
  if (opts.marking.empty()) {
    if (opts.caveats.empty()) return std::optional<json>{};
    return fail(errc::invalid_argument, "--caveat needs --marking", "caveat");
  }
  json caveats = json::array();
  for (const std::string& arg : opts.caveats) {
    const auto eq = arg.find('=');
    json c{{"id", arg.substr(0, eq)}};
    if (eq != std::string::npos) {
      const std::string value = arg.substr(eq + 1);
      if (forms::parse_rfc3339(value)) {
        c["until"] = value;
      } else {
        json to = json::array();
        std::size_t start = 0;
        while (start <= value.size()) {
          std::size_t end = std::min(value.find(',', start), value.size());
          to.push_back(value.substr(start, end - start));
          start = end + 1;
        }
        c["to"] = std::move(to);
      }
    }
    caveats.push_back(std::move(c));
  }
  return std::optional<json>(json{{"marking", opts.marking}, {"caveats", std::move(caveats)}});
}

int send_command(const client_settings& settings, const send_options& opts, streams io) {
  auto label = label_member(opts);
  if (!label) {
    io.err << "hotline send: " << label.error().message << "\n";
    return exit_usage;
  }
  if (!opts.form.empty() || !opts.fields.empty()) return send_form_command(settings, opts, io);
  if (opts.channel.empty() || opts.words.empty()) {
    io.err << "hotline send: free text needs --channel and the text; a form needs --form ID\n";
    return exit_usage;
  }
  std::string text;
  for (const std::string& w : opts.words) text += (text.empty() ? "" : " ") + w;
  json body = {{"channel", opts.channel}, {"precedence", opts.precedence}, {"text", text}};
  if (*label) body["label"] = **label;
  http_client client(settings.addr, settings.token);
  int code = exit_ok;
  const auto created =
      call_station(client, "POST", "/api/v1/messages",
                   body.dump(-1, ' ', false, json::error_handler_t::replace), io, code, post_key(opts));
  if (!created) return code;
  if (opts.json) {
    io.out << created->dump(2) << "\n";
  } else {
    io.out << created->value("id", "") << " " << created->value("status", "") << "\n";
  }
  return exit_ok;
}

int inbox_command(const client_settings& settings, const inbox_options& opts, streams io) {
  http_client client(settings.addr, settings.token);
  int code = exit_ok;
  auto page = call_station(client, "GET", list_target(opts, opts.after), {}, io, code);
  if (!page) return code;
  if (opts.json && !opts.follow) {
    io.out << page->dump(2) << "\n";
    return exit_ok;
  }
  const json empty = json::array();
  print_messages(page->value("messages", empty), opts, true, io);
  if (!opts.follow) {
    if (page->value("messages", empty).empty()) io.out << "(no messages)\n";
    return exit_ok;
  }
  // Polling the list with the cursor it hands back never misses or repeats a message, and it
  // needs nothing beyond plain HTTP from whatever network sits between operator and station.
  for (;;) {
    const std::int64_t after = page->value("next_after", std::int64_t{0});
    std::this_thread::sleep_for(opts.poll_interval);
    page = call_station(client, "GET", list_target(opts, after), {}, io, code);
    if (!page) return code;
    print_messages(page->value("messages", empty), opts, false, io);
  }
}

int status_command(const client_settings& settings, bool as_json, streams io) {
  http_client client(settings.addr, settings.token);
  int code = exit_ok;
  const auto status = call_station(client, "GET", "/api/v1/status", {}, io, code);
  if (!status) return code;
  io.out << (as_json ? status->dump(2) + "\n" : format_status(*status));
  return exit_ok;
}

int labels_command(const client_settings& settings, bool as_json, streams io) {
  http_client client(settings.addr, settings.token);
  int code = exit_ok;
  const auto policy = call_station(client, "GET", "/api/v1/labels", {}, io, code);
  if (!policy) return code;
  io.out << (as_json ? policy->dump(2) + "\n" : format_labels(*policy));
  return exit_ok;
}

int keygen_command(const std::filesystem::path& dir, const std::string& station, streams io) {
  auto identity = config::generate_tls_identity(dir, station);
  if (!identity) {
    io.err << "hotline keygen: " << identity.error().message << "\n";
    return exit_station_error;
  }
  auto signing_key = config::generate_signing_key(dir);
  if (!signing_key) {
    io.err << "hotline keygen: " << signing_key.error().message << "\n";
    return exit_station_error;
  }
  io.out << "Wrote " << identity->private_key.string() << " and " << (dir / "signing.key").string()
         << " (keep both secret), and " << identity->certificate.string() << ".\n"
         << "Give these lines to both sides for station " << station
         << "'s entry in the agreement:\n\n"
         << "tls_fingerprint = \"" << identity->fingerprint << "\"\n"
         << "signing_key = \"" << signing::encode_public_key(signing_key->public_half())
         << "\"\n";
  return exit_ok;
}

}  // namespace hotline::cli

#include "cli/format.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace hotline::cli {
namespace {

using json = nlohmann::json;

constexpr std::size_t text_chars_max = 60;

std::string text_of(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// "2026-11-21T03:12:00.000Z" reads as "2026-11-21 03:12:00Z" at a glance.
std::string short_time(std::string t) {
  if (t.size() == 24 && t[10] == 'T') return t.substr(0, 10) + " " + t.substr(11, 8) + "Z";
  return t;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

std::string message_summary(const json& m) {
  if (m.value("redacted", false)) return "(withheld: above your clearance)";
  std::string text = m.contains("text") ? text_of(m, "text") : "[" + text_of(m, "form") + "]";
  const auto newline = text.find('\n');
  const bool more = newline != std::string::npos;
  std::string first = clip_utf8(text.substr(0, newline), text_chars_max);
  return more ? first + " …" : first;
}

// Characters, not bytes: a Korean or Russian marking pads like a Latin one.
std::size_t chars_in(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Renders rows with every column but the last padded to its widest cell.
template <std::size_t N>
std::string render_table(const std::vector<std::array<std::string, N>>& rows) {
  std::array<std::size_t, N> width{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < N; ++c) width[c] = std::max(width[c], chars_in(row[c]));
  }
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < N; ++c) {
      out += row[c];
      if (c + 1 < N) out += std::string(width[c] - chars_in(row[c]) + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

std::string rtt_text(const json& v) { return v.is_number() ? v.dump() + " ms" : "-"; }

std::string heard_text(const json& v) {
  if (!v.is_number()) return "never";
  const auto ms = v.get<std::int64_t>();
  if (ms < 1000) return std::to_string(ms) + " ms ago";
  return std::to_string(ms / 1000) + " s ago";
}

std::string paths_line(const json& paths) {
  std::string out;
  for (const auto& p : paths) {
    if (!out.empty()) out += ", ";
    out += text_of(p, "path") + (p.value("up", false) ? " up" : " down");
    if (p.value("active", false)) out += " (active)";
    if (p.contains("rtt_ms") && p["rtt_ms"].is_number()) out += " " + rtt_text(p["rtt_ms"]);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string clip_utf8(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    // Count only lead bytes, so a cut never splits a character.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return std::string(text.substr(0, i)) + "…";
    ++chars;
  }
  return std::string(text);
}

namespace {

// The label as this station reads it: its own marking's name, and each caveat's name with its
// parameter ("대외비 · 공개 금지 시한 2026-12-10T00:00:00Z"); "-" for none.
std::string label_text(const json& m) {
  const json l = m.value("label", json());
  if (!l.is_object()) return "-";
  std::string out = text_of(l, "name");
  for (const auto& c : l.value("caveats", json::array())) {
    out += " · " + (c.contains("name") ? text_of(c, "name") : text_of(c, "id"));
    if (c.contains("until")) out += " " + text_of(c, "until");
    if (c.contains("to") && c["to"].is_array()) {
      std::string to;
      for (const auto& o : c["to"]) to += (to.empty() ? "" : ",") + (o.is_string() ? o.get<std::string>() : "");
      out += " " + to;
    }
  }
  return out;
}

}  // namespace

std::string format_message_table(const json& messages, bool with_header) {
  std::vector<std::array<std::string, 8>> rows;
  if (with_header)
    rows.push_back({"CURSOR", "TIME (UTC)", "CHANNEL", "PREC", "LABEL", "FROM", "STATUS", "TEXT"});
  for (const auto& m : messages) {
    const bool inbound = text_of(m, "box") == "in";
    rows.push_back({text_of(m, "cursor"),
                    short_time(text_of(m, inbound ? "received_at" : "created_at")),
                    text_of(m, "channel"), upper(text_of(m, "precedence")), label_text(m),
                    text_of(m, "from"), text_of(m, "status"), message_summary(m)});
  }
  return render_table(rows);
}

std::string format_labels(const json& p) {
  if (!p.value("defined", false)) return "The agreement defines no handling labels.\n";
  std::vector<std::array<std::string, 4>> markings;
  markings.push_back({"MARKING", "NAME", "THE OTHER SIDE READS", "MAY BE SENT"});
  for (const auto& m : p.value("markings", json::array())) {
    std::string sendable = m.value("sendable", false) ? "yes" : "no (above the ceiling)";
    if (text_of(m, "id") == text_of(p, "default")) sendable += ", default";
    markings.push_back({text_of(m, "id"), text_of(m, "name"),
                        m.value("equivalent", json()).is_string() ? text_of(m, "equivalent") : "-",
                        sendable});
  }
  std::vector<std::array<std::string, 3>> caveats;
  caveats.push_back({"CAVEAT", "KIND", "NAME"});
  for (const auto& c : p.value("caveats", json::array())) {
    caveats.push_back({text_of(c, "id"), text_of(c, "kind"), text_of(c, "name")});
  }
  std::string orgs;
  for (const auto& o : p.value("organisations", json::array())) {
    orgs += "  " + text_of(o, "id") + "  " + text_of(o, "name") + "\n";
  }
  return render_table(markings) + "\n" + render_table(caveats) +
         (orgs.empty() ? "" : "\nOrganisations a message may be released to:\n" + orgs);
}

std::string format_status(const json& s) {
  std::string out = "Station    " + text_of(s, "station") + " (" + text_of(s, "station_name") +
                    ")\nAgreement  " + text_of(s, "agreement") + "\nUp since   " +
                    short_time(text_of(s, "started_at")) + "\n\n";
  std::vector<std::array<std::string, 8>> rows;
  rows.push_back({"CHANNEL", "PEER", "LINK", "PATH", "RTT", "LAST HEARD", "QUEUED", "UNACKED"});
  const json channels = s.value("channels", json::array());
  for (const auto& c : channels) {
    rows.push_back({text_of(c, "channel"), text_of(c, "peer"),
                    c.value("link_up", false) ? "up" : "DOWN", text_of(c, "active_path"),
                    rtt_text(c.value("rtt_ms", json())),
                    heard_text(c.value("last_heard_ms_ago", json())), text_of(c, "queued"),
                    text_of(c, "unacked")});
  }
  out += render_table(rows);
  for (const auto& c : channels) {
    out += "\n" + text_of(c, "channel") + " paths: " + paths_line(c.value("paths", json::array()));
  }
  if (!channels.empty()) out += "\n";
  return out;
}

std::string format_forms_table(const json& catalog) {
  std::vector<std::array<std::string, 4>> rows;
  rows.push_back({"ID", "TITLE", "PRECEDENCE", "REQUIRED FIELDS"});
  for (const auto& f : catalog.value("forms", json::array())) {
    std::string required;
    for (const auto& field : f.value("fields", json::array())) {
      if (!field.value("required", false)) continue;
      required += (required.empty() ? "" : ", ") + text_of(field, "name");
    }
    rows.push_back({text_of(f, "id"), clip_utf8(text_of(f, "title"), text_chars_max),
                    text_of(f, "precedence"), required.empty() ? "-" : required});
  }
  return render_table(rows);
}

std::string format_station_error(unsigned http_status, std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const json& e = j["error"];
    std::string out = text_of(e, "message");
    if (e.contains("field")) out += " (field: " + text_of(e, "field") + ")";
    return out;
  }
  return "the station answered HTTP " + std::to_string(http_status) + ": " + clip_utf8(body, 200);
}

}  // namespace hotline::cli

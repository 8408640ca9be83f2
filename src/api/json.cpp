#include "api/json.hpp"

#include "api/clearance.hpp"
#include "api/label_json.hpp"
#include "core/json_safe.hpp"
#include "core/shape.hpp"

#include <chrono>
#include <cstdio>

#include "core/limits.hpp"

namespace hotline::api {
namespace {

// Fields a POST /api/v1/messages body may carry. Anything else is refused by name so that a
// misspelt field ("precedance") never silently falls back to a default.
constexpr std::string_view post_fields[] = {"channel", "precedence", "text", "form", "fields",
                                            "label"};

json optional_time(const std::optional<std::int64_t>& ms) {
  return ms ? json(format_rfc3339_ms(*ms)) : json(nullptr);
}

// Microseconds as whole milliseconds, with a negative value ("unknown") as null.
json optional_ms(std::int64_t us) { return us < 0 ? json(nullptr) : json(us / 1000); }

json channel_json(const station::channel_view& v) {
  const core::channel_status& c = v.core;
  json paths = json::array();
  for (const core::path_status& p : c.paths) {
    paths.push_back(
        {{"path", p.path}, {"up", p.up}, {"active", p.active}, {"rtt_ms", optional_ms(p.rtt_us)}});
  }
  return {
      {"channel", c.channel},
      {"peer", c.peer},
      {"link_up", c.link_up},
      {"active_path", c.active_path.empty() ? json(nullptr) : json(c.active_path)},
      {"rtt_ms", optional_ms(c.rtt_us)},
      {"last_heard_ms_ago", v.last_heard_ms_ago < 0 ? json(nullptr) : json(v.last_heard_ms_ago)},
      {"queued", c.queued},
      {"unacked", c.unacked},
      {"out_acked", c.out_acked},
      {"out_next_seq", c.out_next_seq},
      {"in_next_expected", c.in_next_expected},
      {"recovery", c.reclaiming ? json("reclaiming") : c.refilling ? json("refilling") : json(nullptr)},
      // Three separate answers: is a network path up, is the peer station alive (heard within
      // the heartbeat window), and when did a person there last answer a link test.
      {"peer_alive", c.link_up && v.last_heard_ms_ago >= 0},
      {"last_link_test",
       {{"sent_at", optional_time(v.link_test_sent_at_ms)},
        {"answered_at", optional_time(v.link_test_answered_at_ms)},
        {"answered_by",
         v.link_test_answered_by.empty() ? json(nullptr) : json(v.link_test_answered_by)}}},
      {"next_link_test_at", optional_time(v.next_link_test_at_ms)},
      {"paths", std::move(paths)}};
}

// Reads one required string field, refusing absence and any other JSON type.
result<std::string> string_field(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end())
    return fail(errc::invalid_argument, std::string(name) + " is required", name);
  if (!it->is_string()) {
    return fail(errc::invalid_argument, std::string(name) + " must be a string", name);
  }
  return it->get<std::string>();
}

}  // namespace

std::string format_rfc3339_ms(std::int64_t ms_since_epoch) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{ms_since_epoch}};
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()),
                int(hms.subseconds().count()));
  return out;
}

bool valid_utf8(std::string_view text) { return shape::valid_utf8(text); }

json to_json(const storage::stored_message& s) {
  const message& m = s.msg;
  json j = {{"id", m.id},
            {"channel", m.channel},
            {"seq", m.seq == 0 ? json(nullptr) : json(m.seq)},
            {"box", storage::to_string(s.direction)},
            {"precedence", to_string(m.prec)},
            {"form", m.form}};
  if (m.form == form_free_text) {
    j["text"] = m.body;
  } else {
    // A form's body is its fields as JSON; should it not parse, show it as text rather than
    // hide it from the reader.
    json fields = json::parse(m.body, nullptr, false);
    if (fields.is_discarded()) {
      j["text"] = m.body;
    } else {
      j["fields"] = std::move(fields);
    }
  }
  j["from"] = m.from;
  j["created_at"] = format_rfc3339_ms(m.created_at_ms);
  j["status"] = storage::to_string(s.status);
  j["delivered_at"] = optional_time(s.delivered_at_ms);
  j["received_at"] = optional_time(s.received_at_ms);
  j["acknowledged_at"] = optional_time(s.acknowledged_at_ms);
  j["acknowledged_by"] = s.acknowledged_by.empty() ? json(nullptr) : json(s.acknowledged_by);
  if (!s.ack_answer.empty()) j["answer"] = s.ack_answer;
  j["escalated_at"] = optional_time(s.escalated_at_ms);
  if (!s.flag.empty()) j["flag"] = s.flag;
  j["cursor"] = s.cursor;
  j["redacted"] = false;
  return j;
}

json to_json(const storage::stored_message& s, const labels::policy& p, std::string_view reader) {
  json j = to_json(s);
  j["label"] = label_json(s.msg.label, p, reader);
  return j;
}

json to_json(const storage::stored_message& m, const station::service& s,
             std::string_view clearance) {
  json j = to_json(m, s.label_policy(), s.station_id());
  if (cleared(s, clearance, m.msg.label)) return j;
  for (const char* content : {"text", "fields", "answer", "flag"}) j.erase(content);
  j["redacted"] = true;
  return j;
}

json to_json(const storage::translation& t) {
  json j = {{"id", t.id},
            {"lang", t.lang},
            {"text", t.text},
            {"by", t.translator},
            {"created_at", format_rfc3339_ms(t.created_at_ms)},
            {"state", storage::to_string(t.state)},
            {"reviewed_by", t.reviewer.empty() ? json(nullptr) : json(t.reviewer)},
            {"reviewed_at", optional_time(t.reviewed_at_ms)}};
  if (!t.review_note.empty()) j["review_note"] = t.review_note;
  return j;
}

json to_json(const station::status_snapshot& s) {
  json channels = json::array();
  for (const station::channel_view& v : s.channels) channels.push_back(channel_json(v));
  return {{"station", s.station},
          {"station_name", s.station_name},
          {"agreement", s.agreement_hash},
          {"started_at", format_rfc3339_ms(s.started_at_ms)},
          {"channels", std::move(channels)}};
}

json error_json(std::string_view code, std::string_view message, std::string_view field) {
  json e = {{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  return {{"error", std::move(e)}};
}

namespace {

result<void> check_text(const std::string& text) {
  if (text.empty()) return fail(errc::invalid_argument, "text must not be empty", "text");
  if (text.size() > limits::message_body_bytes_max) {
    return fail(errc::limit,
                "text is longer than " + std::to_string(limits::message_body_bytes_max) + " bytes",
                "text");
  }
  if (!valid_utf8(text)) return fail(errc::invalid_argument, "text must be UTF-8", "text");
  return {};
}

// {"form": "AIR-FLIGHT-NOTICE", "fields": {...}}: the station validates the fields against the
// catalog; here only the shape is checked. FREE-TEXT may also come as fields {"text": ...}.
result<station::post_request> parse_form_fields(const json& body, station::post_request req) {
  auto form = string_field(body, "form");
  if (!form) return std::unexpected(form.error());
  if (form->empty() || form->size() > limits::form_id_bytes_max) {
    return fail(errc::invalid_argument, "form must be 1 to 64 bytes", "form");
  }
  if (body.contains("text")) {
    return fail(errc::invalid_argument, "give either text or form with fields", "text");
  }
  auto fields = body.find("fields");
  if (fields == body.end() || !fields->is_object()) {
    return fail(errc::invalid_argument, "fields must be a JSON object", "fields");
  }
  req.form = std::move(*form);
  if (req.form == form_free_text) {
    auto t = fields->find("text");
    if (t == fields->end() || !t->is_string()) {
      return fail(errc::invalid_argument, "text must be a string", "fields.text");
    }
    req.body = t->get<std::string>();
    if (auto ok = check_text(req.body); !ok) return std::unexpected(ok.error());
    return req;
  }
  req.body = dump(*fields);
  if (req.body.size() > limits::message_body_bytes_max) {
    return fail(errc::limit, "fields are too large", "fields");
  }
  return req;
}

// The JSON of a body, or the parser's complaint with its byte position.
result<json> parse_json(std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return fail(errc::invalid_argument,
                "malformed JSON at byte " + std::to_string(e.byte) + ": " + e.what());
  }
}

}  // namespace

result<station::post_request> parse_post_request(std::string_view text) {
  auto body = parse_json(text);
  if (!body) return std::unexpected(body.error());
  return parse_post_object(*body);
}

result<post_body> parse_post_body(std::string_view text) {
  auto body = parse_json(text);
  if (!body) return std::unexpected(body.error());
  post_body out;
  if (!body->is_array()) {
    out.items.push_back(parse_post_object(*body));
    return out;
  }
  out.batch = true;
  if (body->empty() || body->size() > post_batch_messages_max) {
    return fail(errc::invalid_argument,
                "a batch holds 1 to " + std::to_string(post_batch_messages_max) + " messages");
  }
  out.items.reserve(body->size());
  for (const json& item : *body) out.items.push_back(parse_post_object(item));
  return out;
}

result<station::post_request> parse_post_object(const json& body) {
  if (!body.is_object()) return fail(errc::invalid_argument, "the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (std::string_view f : post_fields) known = known || key == f;
    if (!known) return fail(errc::invalid_argument, "unknown field \"" + key + "\"", key);
  }
  station::post_request req;
  auto channel = string_field(body, "channel");
  if (!channel) return std::unexpected(channel.error());
  if (channel->empty() || channel->size() > limits::channel_id_bytes_max) {
    return fail(errc::invalid_argument, "channel must be 1 to 64 bytes", "channel");
  }
  req.channel = std::move(*channel);
  auto prec = string_field(body, "precedence");
  if (!prec) return std::unexpected(prec.error());
  const auto p = parse_precedence(*prec);
  if (!p) {
    return fail(errc::invalid_argument,
                "precedence must be one of flash, immediate, priority, routine", "precedence");
  }
  req.prec = *p;
  if (auto l = body.find("label"); l != body.end()) {
    auto label = parse_label(*l);
    if (!label) return std::unexpected(label.error());
    req.label = std::move(*label);
  }
  if (body.contains("form")) return parse_form_fields(body, std::move(req));
  auto body_text = string_field(body, "text");
  if (!body_text) return std::unexpected(body_text.error());
  if (auto ok = check_text(*body_text); !ok) return std::unexpected(ok.error());
  req.form = std::string(form_free_text);
  req.body = std::move(*body_text);
  return req;
}

std::string dump(const json& j) { return json_safe::dump(j); }

}  // namespace hotline::api

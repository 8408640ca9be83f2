#include "api/translation_routes.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/clearance.hpp"
#include "api/routes.hpp"
#include "storage/accounts.hpp"

namespace hotline::api {
namespace {

result<json> object_body(const http_request& req) {
  if (!is_json_content(req)) {
    return fail(errc::invalid_argument, "the body must be JSON: Content-Type: application/json");
  }
  json body = json::parse(req.body(), nullptr, false);
  if (!body.is_object()) return fail(errc::invalid_argument, "the body must be a JSON object");
  return body;
}

result<void> only_fields(const json& body, std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : body.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return fail(errc::invalid_argument, "unknown field \"" + key + "\"", key);
    }
  }
  return {};
}

// {lang, text} -> the request, checked here for what the store cannot see (types, UTF-8).
result<station::translation_request> parse_attach(const http_request& req) {
  auto body = object_body(req);
  if (!body) return std::unexpected(body.error());
  if (auto ok = only_fields(*body, {"lang", "text"}); !ok) return std::unexpected(ok.error());
  station::translation_request out;
  const auto lang = body->find("lang");
  if (lang == body->end() || !lang->is_string() ||
      !storage::valid_language(lang->get<std::string>())) {
    return fail(errc::invalid_argument, "lang must be ko, ru or en", "lang");
  }
  out.lang = lang->get<std::string>();
  const auto text = body->find("text");
  if (text == body->end() || !text->is_string() || text->get<std::string>().empty()) {
    return fail(errc::invalid_argument, "text is required: the translation itself", "text");
  }
  out.text = text->get<std::string>();
  if (!valid_utf8(out.text)) return fail(errc::invalid_argument, "text must be UTF-8", "text");
  return out;
}

// {approve, note?} -> the request.
result<station::review_request> parse_review(const http_request& req) {
  auto body = object_body(req);
  if (!body) return std::unexpected(body.error());
  if (auto ok = only_fields(*body, {"approve", "note"}); !ok) return std::unexpected(ok.error());
  station::review_request out;
  const auto approve = body->find("approve");
  if (approve == body->end() || !approve->is_boolean()) {
    return fail(errc::invalid_argument, "approve must be true or false", "approve");
  }
  out.approve = approve->get<bool>();
  if (const auto note = body->find("note"); note != body->end()) {
    if (!note->is_string() || !valid_utf8(note->get<std::string>())) {
      return fail(errc::invalid_argument, "note must be UTF-8 text", "note");
    }
    out.note = note->get<std::string>();
  }
  return out;
}

}  // namespace

http_response attach_translation(station::service& service, const http_request& req,
                                 const std::string& message_id, const principal& who) {
  if (auto ok = check_cleared(service, who, message_id); !ok) return error_answer(req, ok.error());
  auto parsed = parse_attach(req);
  if (!parsed) return error_answer(req, parsed.error());
  parsed->message_id = message_id;
  parsed->by = who.name;
  auto added = service.translate(*parsed);
  if (!added) return error_answer(req, added.error());
  return json_response(req, http::status::created, to_json(*added));
}

http_response review_translation(station::service& service, const http_request& req,
                                 const std::string& message_id, std::int64_t translation_id,
                                 const principal& who) {
  if (auto ok = check_cleared(service, who, message_id); !ok) return error_answer(req, ok.error());
  auto parsed = parse_review(req);
  if (!parsed) return error_answer(req, parsed.error());
  parsed->message_id = message_id;
  parsed->translation_id = translation_id;
  parsed->by = who.name;
  auto reviewed = service.review_translation(*parsed);
  if (!reviewed) return error_answer(req, reviewed.error());
  return json_response(req, http::status::ok, to_json(*reviewed));
}

http_response list_translations(station::service& service, const http_request& req,
                                const std::string& message_id, const principal& who) {
  if (auto ok = check_cleared(service, who, message_id); !ok) return error_answer(req, ok.error());
  json out = json::object();
  add_translations(service, message_id, out);
  return json_response(req, http::status::ok, out);
}

void add_translations(station::service& service, const std::string& id, json& out) {
  auto found = service.translations(id);
  if (!found) {
    spdlog::error("api: cannot read the translations of {}: {}", id, found.error().message);
    return;
  }
  json list = json::array();
  for (const auto& t : *found) list.push_back(to_json(t));
  out["translations"] = std::move(list);
}

}  // namespace hotline::api

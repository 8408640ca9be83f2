#include "api/form_routes.hpp"

#include <chrono>

#include "api/clearance.hpp"
#include "api/routes.hpp"
#include "api/service_call.hpp"
#include "forms/example.hpp"
#include "forms/render.hpp"
#include "forms/validate.hpp"

namespace hotline::api {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

forms::lang lang_of(std::string_view text) { return forms::parse_lang(text).value_or(forms::lang::en); }

// Each language's readers sit at one side's watch centre: Korean readers in Seoul, Russian
// readers in Vladivostok. English readers get UTC only.
std::string zone_of(forms::lang l) {
  switch (l) {
    case forms::lang::ko: return "Asia/Seoul";
    case forms::lang::ru: return "Asia/Vladivostok";
    case forms::lang::en: return "UTC";
  }
  return "UTC";
}

json form_json(const forms::form& f, forms::lang l) {
  json fields = json::array();
  for (const auto& fd : f.fields) {
    json j{{"name", fd.name}, {"type", to_string(fd.type)}, {"required", fd.required},
           {"label", fd.label.in(l)}};
    if (fd.min) j["min"] = *fd.min;
    if (fd.max) j["max"] = *fd.max;
    if (fd.max_length > 0) j["max_length"] = fd.max_length;
    if (!fd.options.empty()) {
      json opts = json::array();
      for (const auto& o : fd.options) opts.push_back({{"value", o.value}, {"label", o.label.in(l)}});
      j["options"] = std::move(opts);
    }
    fields.push_back(std::move(j));
  }
  return {{"id", f.id}, {"title", f.title.in(l)}, {"category", f.category}, {"fields", std::move(fields)},
          {"example", forms::example(f, now_ms())}};
}

}  // namespace

http_response list_forms(station::service& service, const http_request& req,
                         const request_target& t) {
  const forms::catalog* c = service.form_catalog();
  if (!c) {
    return error_response(req.version(), req.keep_alive(), http::status::not_found, "not_found",
                          "this station has no form catalog");
  }
  auto it = t.params.find("lang");
  forms::lang l = lang_of(it == t.params.end() ? "en" : it->second);
  json list = json::array();
  for (const auto& f : c->forms()) list.push_back(form_json(f, l));
  return json_response(req, http::status::ok,
                       {{"catalog", c->id()}, {"version", c->version()}, {"sha256", c->hash()},
                        {"forms", std::move(list)}});
}

http_response preview_form(station::service& service, const http_request& req,
                           const std::string& form_id) {
  const forms::catalog* c = service.form_catalog();
  const forms::form* f = c ? c->find(form_id) : nullptr;
  if (!f) return error_answer(req, {errc::not_found, "no form '" + form_id + "'", "form"});
  json body = json::parse(req.body(), nullptr, false);
  if (!body.is_object() || !body.contains("fields") || !body["fields"].is_object()) {
    return error_answer(req, {errc::invalid_argument, "fields must be a JSON object", "fields"});
  }
  forms::lang reader = lang_of(body.value("lang", std::string("en")));
  forms::lang writer = lang_of(std::string(req[http::field::accept_language]).substr(0, 2));
  auto prec = parse_precedence(body.value("precedence", std::string("routine")));
  if (!prec) return error_answer(req, {errc::invalid_argument, "unknown precedence", "precedence"});
  forms::validation_context ctx{now_ms(), *prec, writer, service.urgent_words_max()};
  auto normalized = forms::validate(*f, body["fields"], ctx);
  if (!normalized) return error_answer(req, normalized.error());
  std::string rendered = forms::render(*f, *normalized, {reader, zone_of(reader)});
  return json_response(req, http::status::ok,
                       {{"form", f->id}, {"lang", to_string(reader)}, {"rendered", rendered},
                        {"fields", *normalized}});
}

void add_rendering(station::service& service, const storage::stored_message& m,
                   std::string_view lang, json& out) {
  forms::lang l = lang_of(lang);
  out["lang"] = to_string(l);
  const forms::catalog* c = service.form_catalog();
  const forms::form* f = c ? c->find(m.msg.form) : nullptr;
  if (!f) {
    // Answers and unknown forms carry their body as the sender wrote it.
    out["rendered"] = m.msg.body;
    return;
  }
  json fields = m.msg.form == form_free_text ? json{{"text", m.msg.body}}
                                             : json::parse(m.msg.body, nullptr, false);
  if (!fields.is_object()) {
    out["rendered"] = m.msg.body;
    return;
  }
  out["rendered"] = forms::render(*f, fields, {l, zone_of(l)});
  out["summary"] = forms::summary(*f, fields, l);
  out["title"] = f->title.in(l);
}

asio::awaitable<http_response> acknowledge_message(station::service& service,
                                                   const http_request& req, const std::string& id,
                                                   const principal& who) {
  if (auto ok = check_cleared(service, who, id); !ok) co_return error_answer(req, ok.error());
  station::ack_request ack{id, who.name, {}};
  if (!req.body().empty()) {
    json body = json::parse(req.body(), nullptr, false);
    if (!body.is_object()) {
      co_return error_answer(req, {errc::invalid_argument, "the body must be a JSON object", {}});
    }
    if (body.contains("answer")) {
      if (!body["answer"].is_string() || body["answer"].get<std::string>().size() > 1000 ||
          !valid_utf8(body["answer"].get<std::string>())) {
        co_return error_answer(req, {errc::invalid_argument,
                                     "answer must be UTF-8 text of at most 1000 bytes", "answer"});
      }
      ack.answer = body["answer"].get<std::string>();
    }
  }
  auto done = co_await service_call<storage::stored_message>(
      [&service, &ack](station::service::post_callback cb) {
        service.acknowledge(std::move(ack), std::move(cb));
      });
  if (!done) co_return error_answer(req, done.error());
  co_return json_response(req, http::status::ok, to_json(*done, service, who.clearance));
}

}  // namespace hotline::api

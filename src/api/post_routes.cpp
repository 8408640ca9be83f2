#include "api/post_routes.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "api/clearance.hpp"
#include "api/json.hpp"
#include "api/routes.hpp"
#include "api/service_call.hpp"

// GCC 12 misreads Asio's coroutine frames, which are allocated and freed by the frame's own
// operator new and delete, as a mismatched pair once it inlines them.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace hotline::api {
namespace {

// An Idempotency-Key is the client's own: a UUID or a hash fits many times over.
constexpr std::size_t idempotency_key_bytes_max = 255;

using answer = result<storage::stored_message>;

// Who posts, as the station keys idempotent posts by it.
std::string poster_of(const principal& who) {
  return (who.kind == principal::via::token ? "token:" : "user:") + who.name;
}

// Adapts the service's callback-style post to a coroutine. The service may call back at once or
// later; either way the coroutine resumes through its executor, never inside `service.post`.
asio::awaitable<result<storage::stored_message>> post_message(station::service& service,
                                                              station::post_request req) {
  co_return co_await service_call<storage::stored_message>(
      [&service, &req](station::service::post_callback done) {
        service.post(std::move(req), std::move(done));
      });
}

// The Idempotency-Key header: 1 to 255 visible ASCII characters, at most once.
result<std::string> idempotency_key_of(const http_request& req) {
  auto [first, last] = req.equal_range("Idempotency-Key");
  if (first == last) return std::string{};
  const std::string key{first->value()};
  const bool visible = std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (std::next(first) != last || key.empty() || key.size() > idempotency_key_bytes_max || !visible) {
    return fail(errc::invalid_argument,
                "Idempotency-Key must be given once, as 1 to " +
                    std::to_string(idempotency_key_bytes_max) + " visible ASCII characters",
                "Idempotency-Key");
  }
  return key;
}

// Nothing when `who` may post `r`: the label it asks for, or its form's default, is within the
// poster's clearance. A label the agreement does not allow is the station's to refuse (400,
// naming why), so it passes here.
result<void> check_poster(const station::service& svc, const principal& who,
                          const station::post_request& r) {
  const labels::label effective =
      r.label ? *r.label : svc.label_policy().default_for(svc.station_id(), r.form);
  if (!labels::check(svc.label_policy(), svc.station_id(), effective)) return {};
  auto ok = check_cleared(svc, who, effective);
  if (!ok) {
    error e = ok.error();
    e.field = "label.marking";
    return std::unexpected(std::move(e));
  }
  return {};
}

// The error as the client reads it: what the station could not store says so.
error for_client(error e) {
  if (e.code == errc::io || e.code == errc::unavailable || e.code == errc::fenced) {
    e.message = "the station could not store the message: " + e.message;
  }
  return e;
}

// Hands every request to the station at once, in order, and resumes when each has its answer.
// Requests that already failed keep their error and are not sent.
asio::awaitable<std::vector<answer>> post_all(station::service& service,
                                              std::vector<result<station::post_request>> items) {
  auto answers = co_await service_call<std::vector<answer>>(
      [&service, &items](std::function<void(result<std::vector<answer>>)> done) {
        struct pending {
          std::vector<answer> out;
          std::size_t left = 0;
          std::function<void(result<std::vector<answer>>)> done;
        };
        if (items.empty()) return done(std::vector<answer>{});
        auto p = std::make_shared<pending>();
        p->out.resize(items.size(), answer(std::unexpected(error{})));
        p->left = items.size();
        p->done = std::move(done);
        const auto one_done = [p](std::size_t i, answer r) {
          p->out[i] = std::move(r);
          if (--p->left == 0) p->done(std::move(p->out));
        };
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (!items[i]) {
            one_done(i, std::unexpected(items[i].error()));
            continue;
          }
          service.post(std::move(*items[i]), [one_done, i](answer r) { one_done(i, std::move(r)); });
        }
      });
  co_return std::move(*answers);
}

// A batch: 200 with one result per message, at its index.
asio::awaitable<http_response> create_batch(server_state& state, const http_request& req,
                                            const principal& who, post_body body,
                                            const std::string& key) {
  const std::string poster = poster_of(who);
  for (std::size_t i = 0; i < body.items.size(); ++i) {
    auto& item = body.items[i];
    if (!item) continue;
    if (auto ok = check_poster(state.service, who, *item); !ok) {
      item = std::unexpected(ok.error());
      continue;
    }
    item->principal = poster;
    if (!key.empty()) item->idempotency_key = key + "#" + std::to_string(i);
  }
  const std::vector<answer> answers = co_await post_all(state.service, std::move(body.items));
  json results = json::array();
  std::size_t created = 0;
  for (const answer& a : answers) {
    if (a) {
      ++created;
      results.push_back({{"status", 201}, {"message", to_json(*a, state.service, who.clearance)}});
      continue;
    }
    const error e = for_client(a.error());
    results.push_back({{"status", static_cast<unsigned>(status_for(e.code))},
                       {"error", error_json(to_string(e.code), e.message, e.field)["error"]}});
  }
  co_return json_response(req, http::status::ok,
                          {{"results", std::move(results)},
                           {"created", created},
                           {"failed", answers.size() - created}});
}

// One message: 201 with it, or the error.
asio::awaitable<http_response> create_one(server_state& state, const http_request& req,
                                          const principal& who,
                                          result<station::post_request> parsed,
                                          const std::string& key) {
  if (!parsed) co_return error_answer(req, parsed.error());
  if (auto ok = check_poster(state.service, who, *parsed); !ok) {
    co_return error_answer(req, ok.error());
  }
  parsed->idempotency_key = key;
  parsed->principal = poster_of(who);
  auto stored = co_await post_message(state.service, std::move(*parsed));
  if (!stored) co_return error_answer(req, for_client(stored.error()));
  co_return json_response(req, http::status::created,
                          to_json(*stored, state.service, who.clearance));
}

}  // namespace

asio::awaitable<http_response> create_message(server_state& state, const http_request& req,
                                              const principal& who) {
  if (!is_json_content(req)) {
    co_return error_response(req.version(), req.keep_alive(), http::status::unsupported_media_type,
                             "unsupported_media_type",
                             "the body must be JSON: Content-Type: application/json");
  }
  auto body = parse_post_body(req.body());
  if (!body) co_return error_answer(req, body.error());
  auto key = idempotency_key_of(req);
  if (!key) co_return error_answer(req, key.error());
  if (body->batch) co_return co_await create_batch(state, req, who, std::move(*body), *key);
  co_return co_await create_one(state, req, who, std::move(body->items.front()), *key);
}

}  // namespace hotline::api

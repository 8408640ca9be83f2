#include "api/journal_routes.hpp"

#include <charconv>
#include <chrono>

#include "api/clearance.hpp"
#include "api/routes.hpp"
#include "api/service_call.hpp"
#include "evidence/bundle.hpp"

namespace hotline::api {
namespace {

constexpr std::size_t journal_page_entries_max = 500;
constexpr std::size_t journal_query_bytes_max = 200;

result<std::int64_t> int_param(const request_target& t, const std::string& name, std::int64_t dflt,
                               std::int64_t max) {
  auto it = t.params.find(name);
  if (it == t.params.end()) return dflt;
  std::int64_t v = 0;
  const auto& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 0 || v > max) {
    return fail(errc::invalid_argument, "must be a whole number from 0 to " + std::to_string(max), name);
  }
  return v;
}

json entry_json(const storage::journal_entry& e) {
  json detail = e.detail.empty() ? json::object() : json::parse(e.detail, nullptr, false);
  if (detail.is_discarded()) detail = e.detail;
  return {{"seq", e.seq},
          {"at_ms", e.at_ms},
          {"kind", e.kind},
          {"channel", e.channel.empty() ? json(nullptr) : json(e.channel)},
          {"message_id", e.message_id.empty() ? json(nullptr) : json(e.message_id)},
          {"detail", std::move(detail)},
          {"hash", signing::to_hex(e.hash)},
          {"signed", !e.signature.empty()}};
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

http_response list_journal(station::service& service, const http_request& req,
                           const request_target& t) {
  storage::journal_query q;
  auto before = int_param(t, "before_seq", 0, std::numeric_limits<std::int64_t>::max());
  if (!before) return error_answer(req, before.error());
  auto limit = int_param(t, "limit", 50, journal_page_entries_max);
  if (!limit) return error_answer(req, limit.error());
  q.before_seq = *before;
  q.limit = static_cast<std::size_t>(std::max<std::int64_t>(*limit, 1));
  if (auto k = t.params.find("kind"); k != t.params.end()) q.kind = k->second;
  if (auto s = t.params.find("q"); s != t.params.end()) q.text = s->second;
  if (q.kind.size() > journal_query_bytes_max || q.text.size() > journal_query_bytes_max) {
    return error_answer(req, error{errc::limit, "search text too long", "q"});
  }
  auto entries = service.journal(q);
  if (!entries) return error_answer(req, entries.error());
  json out = json::array();
  for (const auto& e : *entries) out.push_back(entry_json(e));
  auto head = service.journal({{}, {}, 0, 1});
  const std::int64_t head_seq = head && !head->empty() ? head->front().seq : 0;
  return json_response(req, http::status::ok, {{"entries", std::move(out)}, {"head_seq", head_seq}});
}

asio::awaitable<http_response> verify_journal(station::service& service, const http_request& req) {
  const auto started = std::chrono::steady_clock::now();
  auto report = co_await service_call<storage::verify_report>(
      [&service](station::service::verify_callback done) { service.verify_journal(std::move(done)); });
  if (!report) co_return error_answer(req, report.error());
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  json first_bad = nullptr;
  if (report->first_bad) first_bad = {{"seq", report->first_bad->seq}, {"what", report->first_bad->what}};
  co_return json_response(req, http::status::ok,
                       {{"ok", report->ok()},
                        {"entries_checked", report->entries},
                        {"messages_checked", report->messages},
                        {"checkpoints_checked", report->checkpoints},
                        {"seals_checked", report->seals},
                        {"signatures_checked", report->signatures},
                        {"head_seq", report->head_seq},
                        {"head_hash", report->head_hash},
                        {"first_bad", std::move(first_bad)},
                        {"duration_ms", ms}});
}

http_response message_evidence(station::service& service, const http_request& req,
                               const std::string& id, const principal& who) {
  if (auto ok = check_cleared(service, who, id); !ok) return error_answer(req, ok.error());
  auto material = service.evidence(id);
  if (!material) return error_answer(req, material.error());
  auto res = json_response(req, http::status::ok, evidence::make_bundle(*material, now_ms()));
  res.set(http::field::content_disposition, "attachment; filename=\"evidence-" + id + ".json\"");
  return res;
}

}  // namespace hotline::api

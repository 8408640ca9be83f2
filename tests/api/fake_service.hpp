// An in-memory station::service for API and CLI tests. Honest: posts are stored and returned
// by list/get with increasing cursors, subscribers hear about every post, and the post callback
// runs later on the io_context, as a real station's does after its commit.
//
// Like the real service it must be used on the io_context's thread; tests on another thread go
// through `on_io`.
#pragma once

#include <algorithm>
#include <boost/asio.hpp>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "station/service.hpp"
#include "station/translation_desk.hpp"

namespace hotline::testing {

class fake_service final : public station::service {
 public:
  explicit fake_service(boost::asio::io_context& ioc) : ioc_(ioc) {}

  // The error the next post fails with, as a full disk would make a station's fail.
  std::optional<error> next_post_error;
  std::set<std::string> channels{"navy", "air"};
  // Where translations go; null: the station keeps none, as the service's defaults say.
  storage::translations* translation_store = nullptr;
  std::int64_t translation_clock_ms = 1'795'000'001'000;
  // The agreement's label policy and this station's id, which decide what a caller of a given
  // clearance may read; empty: no labels, as the service's defaults say.
  labels::policy policy;
  std::string station;
  const labels::policy& label_policy() const override { return policy; }
  std::string station_id() const override { return station; }

  // The real desk's rules over `translation_store`, with the message event a station sends.
  result<storage::translation> translate(const station::translation_request& req) override {
    if (translation_store == nullptr) return service::translate(req);
    auto added =
        station::attach_translation(*translation_store, get(req.message_id).value(), req,
                                    translation_clock_ms);
    if (added) notify(*get(req.message_id).value());
    return added;
  }

  result<storage::translation> review_translation(const station::review_request& req) override {
    if (translation_store == nullptr) return service::review_translation(req);
    auto reviewed = station::review_translation(*translation_store, get(req.message_id).value(),
                                                req, translation_clock_ms);
    if (reviewed) notify(*get(req.message_id).value());
    return reviewed;
  }

  result<std::vector<storage::translation>> translations(const std::string& id) override {
    if (translation_store == nullptr) return service::translations(id);
    return translation_store->of_message(id);
  }

  // Acknowledges a stored message by id; enough for the API's routing and error mapping.
  void acknowledge(station::ack_request req, post_callback done) override {
    ++acknowledge_calls;
    boost::asio::post(ioc_, [this, req = std::move(req), done = std::move(done)] {
      for (auto& m : messages_) {
        if (m.msg.id != req.id) continue;
        if (m.acknowledged_at_ms) return done(fail(errc::conflict, "already acknowledged", "id"));
        m.acknowledged_at_ms = 1;
        m.acknowledged_by = req.by;
        m.ack_answer = req.answer;
        m.status = storage::delivery_status::acknowledged;
        return done(m);
      }
      done(fail(errc::not_found, "no message '" + req.id + "'", "id"));
    });
  }

  void post(station::post_request req, post_callback done) override {
    idempotency_keys.push_back(req.idempotency_key);
    boost::asio::post(ioc_, [this, req = std::move(req), done = std::move(done)] {
      if (next_post_error) {
        error e = *std::exchange(next_post_error, std::nullopt);
        done(std::unexpected(std::move(e)));
        return;
      }
      if (!channels.contains(req.channel)) {
        done(fail(errc::invalid_argument, "no hotline named " + req.channel, "channel"));
        return;
      }
      storage::stored_message m;
      m.msg.id = "msg-" + std::to_string(next_cursor_);
      m.msg.channel = req.channel;
      m.msg.from = "rok-fleet-command";
      m.msg.prec = req.prec;
      m.msg.form = req.form;
      m.msg.body = req.body;
      m.msg.created_at_ms = 1'795'000'000'000 + next_cursor_;
      m.direction = storage::box::out;
      m.status = storage::delivery_status::queued;
      done(add(std::move(m)));
    });
  }

  // Stores an inbound message as if the peer had sent it. Call on the io thread.
  storage::stored_message receive(const std::string& channel, const std::string& text,
                                  labels::label label = {}) {
    storage::stored_message m;
    m.msg.label = std::move(label);
    m.msg.id = "in-" + std::to_string(next_cursor_);
    m.msg.channel = channel;
    m.msg.from = "ru-pacific-fleet";
    m.msg.seq = ++inbound_seq_;
    m.msg.body = text;
    m.msg.created_at_ms = 1'795'000'000'000;
    m.direction = storage::box::in;
    m.received_at_ms = 1'795'000'000'500;
    m.status = storage::delivery_status::delivered;
    return add(std::move(m));
  }

  result<std::vector<storage::stored_message>> list(const storage::list_query& q) override {
    ++list_calls;
    std::vector<storage::stored_message> out;
    for (const auto& m : messages_) {
      if (!q.channel.empty() && m.msg.channel != q.channel) continue;
      if (q.direction && m.direction != *q.direction) continue;
      if (q.after_cursor && m.cursor <= *q.after_cursor) continue;
      out.push_back(m);
    }
    if (q.after_cursor) {
      if (out.size() > q.limit) out.resize(q.limit);
    } else if (out.size() > q.limit) {
      out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(q.limit));
    }
    last_limit = q.limit;
    return out;
  }

  result<std::optional<storage::stored_message>> get(const std::string& id) override {
    for (const auto& m : messages_) {
      if (m.msg.id == id) return m;
    }
    return std::optional<storage::stored_message>{};
  }

  // The catalog form routes answer from; null: the station has none, as the service's default.
  const forms::catalog* catalog = nullptr;
  const forms::catalog* form_catalog() const override { return catalog; }

  // The base service's answer (no journal), counted: the API asked for a bundle.
  result<storage::evidence_material> evidence(const std::string& id) override {
    ++evidence_calls;
    return service::evidence(id);
  }

  station::status_snapshot status() override {
    station::status_snapshot s;
    s.station = "rok-fleet-command";
    s.station_name = "ROK Fleet Command";
    s.agreement_hash = "sha256:" + std::string(64, 'a');
    s.started_at_ms = 1'795'000'000'000;
    station::channel_view v;
    v.core.channel = "navy";
    v.core.peer = "ru-pacific-fleet";
    v.core.link_up = true;
    v.core.active_path = "satellite";
    v.core.rtt_us = 42'000;
    v.core.queued = 3;
    v.core.paths = {{"satellite", true, true, 42'000, 0}, {"fibre", false, false, -1, -1}};
    v.last_heard_ms_ago = 120;
    s.channels.push_back(v);
    return s;
  }

  std::uint64_t subscribe(event_callback cb) override {
    subscribers_.emplace(next_subscriber_, std::move(cb));
    return next_subscriber_++;
  }
  void unsubscribe(std::uint64_t id) override { subscribers_.erase(id); }

  // Tells subscribers the status changed, as a station does when a link goes up or down.
  void publish_status() {
    station::service_event e;
    e.type = station::service_event::kind::status;
    const auto subscribers = subscribers_;
    for (const auto& [id, cb] : subscribers) cb(e);
  }

  std::size_t subscriber_count() const { return subscribers_.size(); }

  // Runs `fn` on the io thread and waits for its result.
  template <class F>
  auto on_io(F fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto done = task.get_future();
    boost::asio::post(ioc_, [&task] { task(); });
    return done.get();
  }

  std::size_t list_calls = 0;
  // The Idempotency-Key of every post the API handed over, in order ("" for none).
  std::vector<std::string> idempotency_keys;
  std::size_t last_limit = 0;
  // How often the API called acknowledge and evidence; read them on the io thread.
  std::size_t acknowledge_calls = 0;
  std::size_t evidence_calls = 0;

 private:
  storage::stored_message add(storage::stored_message m) {
    m.cursor = next_cursor_++;
    messages_.push_back(m);
    notify(m);
    return m;
  }

  void notify(const storage::stored_message& m) {
    station::service_event e;
    e.type = station::service_event::kind::message;
    e.msg = m;
    // A copy: a subscriber may unsubscribe while hearing the event.
    const auto subscribers = subscribers_;
    for (const auto& [id, cb] : subscribers) cb(e);
  }

  boost::asio::io_context& ioc_;
  std::vector<storage::stored_message> messages_;
  std::map<std::uint64_t, event_callback> subscribers_;
  std::int64_t next_cursor_ = 1;
  std::uint64_t inbound_seq_ = 0;
  std::uint64_t next_subscriber_ = 1;
};

}  // namespace hotline::testing

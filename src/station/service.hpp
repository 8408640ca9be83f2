// Service: what a running station offers its API and console, independent of HTTP.
//
// All calls are made on the station's I/O thread (the io_context that runs the station); the
// callbacks also run there. `post` answers only after the message is durably committed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/message.hpp"
#include "forms/catalog.hpp"
#include "station/metrics.hpp"
#include "storage/evidence_source.hpp"
#include "storage/journal_verify.hpp"
#include "storage/store.hpp"
#include "storage/translations.hpp"

namespace hotline::station {

struct post_request {
  std::string channel;
  precedence prec = precedence::routine;
  std::string form{form_free_text};
  std::string body;   // free text, or the form's fields as JSON
  std::string lang = "en";  // language for validation errors: ko | ru | en
  // The client's Idempotency-Key (api::valid_idempotency_key), and who posts. With a key, a
  // retry of the same post returns the message the first one stored and stores nothing new;
  // the same key for a different message is refused (errc::conflict). Empty: no key.
  std::string idempotency_key{};
  std::string principal{};  // "user:NAME" or "token:NAME"
  // The handling label (core/label.hpp); none: the default the agreement gives the form.
  std::optional<labels::label> label{};
};

// A duty officer acknowledges a received message, optionally with a short answer.
struct ack_request {
  std::string id;
  std::string by;
  std::string answer;
};

// Someone at the receiving station attaches a translation of a received message.
struct translation_request {
  std::string message_id;
  std::string lang;  // ko | ru | en
  std::string text;
  std::string by;  // the signed-in user or the API token's name
};

// A supervisor approves (certifies) or rejects a pending translation.
struct review_request {
  std::string message_id;
  std::int64_t translation_id = 0;
  bool approve = false;
  std::string note;
  std::string by;
};

struct channel_view {
  core::channel_status core;
  std::int64_t last_heard_ms_ago = -1;  // -1: never heard
  // When a person last answered one of this station's link tests, and who.
  std::optional<std::int64_t> link_test_answered_at_ms;
  std::string link_test_answered_by;
  std::optional<std::int64_t> link_test_sent_at_ms;
  std::optional<std::int64_t> next_link_test_at_ms;
};

struct status_snapshot {
  std::string station;
  std::string station_name;
  std::string agreement_hash;  // "sha256:..."
  std::int64_t started_at_ms = 0;
  std::vector<channel_view> channels;
};

// A change the API pushes to WebSocket subscribers.
struct service_event {
  // `alarm`: the peer's signed checkpoint contradicts this station's history (`detail` says
  // how). Raised loudly on every console; an auditor must look.
  enum class kind { message, status, escalation, alarm } type = kind::message;
  std::optional<storage::stored_message> msg;  // message and escalation: its current state
  bool missed_link_test = false;               // escalation: an unanswered link test
  std::int64_t deadline_ms = 0;                // escalation: when the answer was due
  std::string detail{};                        // alarm: what contradicts what
};

class service {
 public:
  using post_callback = std::function<void(result<storage::stored_message>)>;
  using event_callback = std::function<void(const service_event&)>;
  using verify_callback = std::function<void(result<storage::verify_report>)>;

  virtual ~service() = default;

  // Validates and commits the message, then calls `done` with it (status queued or sent).
  virtual void post(post_request req, post_callback done) = 0;
  // Acknowledges a received message: records who and when, and sends the acknowledgement to
  // the sender as a message of its own. `done` gets the acknowledged message.
  virtual void acknowledge(ack_request req, post_callback done) = 0;
  virtual result<std::vector<storage::stored_message>> list(const storage::list_query& q) = 0;
  virtual result<std::optional<storage::stored_message>> get(const std::string& id) = 0;
  virtual status_snapshot status() = 0;
  // The form catalog this station validates and renders with; null when it has none.
  virtual const forms::catalog* form_catalog() const { return nullptr; }
  // The agreement's handling labels, and this station's id: whose terms a label is read in.
  virtual const labels::policy& label_policy() const {
    static const labels::policy none;
    return none;
  }
  virtual std::string station_id() const { return {}; }
  // Maximum words of free text at flash and immediate (the agreement's urgent_words_max).
  virtual std::size_t urgent_words_max() const { return 200; }

  // The station's journal, newest first; its verification (chain, signatures, sequences and the
  // peer's checkpoints, as `hotline journal verify`); and the material of one message's
  // evidence bundle. Stations without a journal answer errc::unavailable.
  virtual result<std::vector<storage::journal_entry>> journal(const storage::journal_query&) {
    return fail(errc::unavailable, "this station keeps no journal");
  }
  // What the station counts about itself (metrics.hpp); errc::unavailable when it counts nothing.
  virtual result<metrics_snapshot> metrics() {
    return fail(errc::unavailable, "this station keeps no metrics");
  }
  // Verification may take seconds on a large journal, so it answers through `done`, which is
  // called exactly once, on the station's thread; the station keeps serving meanwhile.
  // errc::conflict while another verification is running.
  virtual void verify_journal(verify_callback done) {
    done(fail(errc::unavailable, "this station keeps no journal"));
  }
  virtual result<storage::evidence_material> evidence(const std::string&) {
    return fail(errc::unavailable, "this station keeps no journal");
  }

  // Translations of received messages (storage/translations.hpp has the rules). Each write
  // commits before it returns and tells subscribers the message changed. errc::not_found for an
  // unknown message; errc::invalid_argument (field id) for one this station sent; errc::unavailable
  // when the station keeps no translations.
  virtual result<storage::translation> translate(const translation_request& req) {
    (void)req;
    return fail(errc::unavailable, "this station keeps no translations");
  }
  virtual result<storage::translation> review_translation(const review_request& req) {
    (void)req;
    return fail(errc::unavailable, "this station keeps no translations");
  }
  // The message's translations, oldest first; empty when the station keeps none.
  virtual result<std::vector<storage::translation>> translations(const std::string& message_id) {
    (void)message_id;
    return std::vector<storage::translation>{};
  }

  // Registers a subscriber; returns an id for `unsubscribe`.
  virtual std::uint64_t subscribe(event_callback cb) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

}  // namespace hotline::station

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
#include "storage/store.hpp"

namespace hotline::station {

struct post_request {
  std::string channel;
  precedence prec = precedence::routine;
  std::string form{form_free_text};
  std::string body;  // free text, or the form's fields as JSON
};

struct channel_view {
  core::channel_status core;
  std::int64_t last_heard_ms_ago = -1;  // -1: never heard
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
  enum class kind { message, status } type = kind::message;
  std::optional<storage::stored_message> msg;  // for kind::message: its new state
};

class service {
 public:
  using post_callback = std::function<void(result<storage::stored_message>)>;
  using event_callback = std::function<void(const service_event&)>;

  virtual ~service() = default;

  // Validates and commits the message, then calls `done` with it (status queued or sent).
  virtual void post(post_request req, post_callback done) = 0;
  virtual result<std::vector<storage::stored_message>> list(const storage::list_query& q) = 0;
  virtual result<std::optional<storage::stored_message>> get(const std::string& id) = 0;
  virtual status_snapshot status() = 0;

  // Registers a subscriber; returns an id for `unsubscribe`.
  virtual std::uint64_t subscribe(event_callback cb) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

}  // namespace hotline::station

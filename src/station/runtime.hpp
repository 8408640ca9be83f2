// Runtime: a running station. It drives the sans-I/O engine with real sockets, a real clock and
// the real store, and offers the `service` the API and console use.
//
// Every persist action the engine asks for goes into a commit queue. The queue is flushed as one
// transaction (group commit) as soon as the I/O thread is free, so under load many messages
// share one fsync, and nothing is acknowledged (to the officer or to the peer) before its commit
// returns. If a commit fails the engine is rebuilt from the store, as after a crash, and the
// failure is reported to whoever posted.
//
// Runs entirely on one io_context thread; not thread-safe. The io_context, config, agreement
// and store must outlive it.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "config/agreement.hpp"
#include "config/station_config.hpp"
#include "core/engine.hpp"
#include "core/limits.hpp"
#include "core/rate_gate.hpp"
#include "core/watch.hpp"
#include "forms/catalog.hpp"
#include "net/peer_transport.hpp"
#include "station/keyring.hpp"
#include "station/service.hpp"
#include "storage/group_commit.hpp"
#include "storage/store.hpp"
#include "storage/translations.hpp"

namespace hotline::station {

class runtime final : public service,
                      private net::peer_transport::handler,
                      private net::peer_connection::handler {
 public:
  // `catalog` may be null (free text only); it must outlive the runtime.
  // `keys` (the agreement's versions and this station's keys) must outlive the runtime.
  static result<std::unique_ptr<runtime>> create(boost::asio::io_context& io,
                                                 const config::station_config& cfg,
                                                 const keyring& keys, storage::store& store,
                                                 const forms::catalog* catalog = nullptr);
  ~runtime() override;

  void start();
  // Stops accepting and dialing, commits what is queued, closes every link.
  void stop();
  std::vector<std::uint16_t> peer_ports() const { return transport_->bound_ports(); }
  // Handlers that threw and were recovered from (the link closed, the engine rebuilt). Zero in a
  // healthy station: anything else is a bug or input that the edge failed to refuse.
  std::uint64_t handler_failures() const { return handler_failures_; }

  void post(post_request req, post_callback done) override;
  void acknowledge(ack_request req, post_callback done) override;
  const forms::catalog* form_catalog() const override { return catalog_; }
  const labels::policy& label_policy() const override { return agreement_.labels; }
  std::string station_id() const override { return cfg_.station; }
  std::size_t urgent_words_max() const override {
    return static_cast<std::size_t>(agreement_.deadlines.urgent_words_max);
  }
  result<std::vector<storage::stored_message>> list(const storage::list_query& q) override;
  result<std::optional<storage::stored_message>> get(const std::string& id) override;
  status_snapshot status() override;
  result<metrics_snapshot> metrics() override;
  result<std::vector<storage::journal_entry>> journal(const storage::journal_query& q) override;
  void verify_journal(verify_callback done) override;
  result<storage::evidence_material> evidence(const std::string& id) override;
  // In runtime_translations.cpp.
  result<storage::translation> translate(const translation_request& req) override;
  result<storage::translation> review_translation(const review_request& req) override;
  result<std::vector<storage::translation>> translations(const std::string& message_id) override;
  std::uint64_t subscribe(event_callback cb) override;
  void unsubscribe(std::uint64_t id) override;

 private:
  runtime(boost::asio::io_context& io, const config::station_config& cfg, const keyring& keys,
          storage::store& store);

  // peer_transport::handler
  void on_connected(std::shared_ptr<net::peer_connection> conn, core::direction dir,
                    const std::string& peer, const std::string& path) override;
  void on_dial_failed(const std::string& peer, const std::string& path,
                      const std::string& reason) override;
  // peer_connection::handler
  void on_bytes(std::uint64_t id, std::span<const std::uint8_t> bytes) override;
  void on_closed(std::uint64_t id, const std::string& reason) override;

  result<void> rebuild_engine();
  std::uint64_t boot_number_ = 0;  // this process's start, numbered by the store
  std::uint64_t rebuilds_ = 0;     // engines built since it
  template <class F>
  void guarded(const char* what, std::optional<core::conn_id> conn, F&& f);
  void connected(std::shared_ptr<net::peer_connection> conn, core::direction dir,
                 const std::string& peer, const std::string& path);
  result<void> restore_watch();
  result<void> keep_agreement();
  void follow_rotation();
  void switched_to(const config::agreement& current);
  result<message> prepare(post_request& req);
  // Gives `m` the label asked for, or its form's default, and checks it against the agreement.
  result<message> label_post(message m, const std::optional<labels::label>& asked) const;
  void submit(message m, std::vector<records::record> extra, post_callback done);
  void annotate_inbound(std::vector<records::record>& recs);
  records::record answer_record(const message& m, std::set<std::string>& answered);
  void restore_answer(const message& own, std::vector<records::record>& recs);
  void after_commit(const std::vector<records::record>& recs);
  void watch_tick();
  void send_link_test(const std::string& channel);
  void escalate(const core::escalation& e);
  void run_hook(const core::escalation& e);
  void raise_alarm(const core::event& e);
  void spawn_hook(std::vector<std::string> vars);
  void apply(core::effects e);
  void answer_loads(const std::vector<core::load_action>& loads,
                    const std::vector<core::range_load_action>& range_loads);
  void rebuild_if_failed();
  void drive();
  void schedule_flush();
  void wait_for_commit();
  void flush();
  void arm_timer();
  void log_event(const core::event& e);
  void count_commit(bool ok, std::chrono::steady_clock::time_point started, std::size_t records);
  void publish(const service_event& e);
  std::int64_t now_us() const;
  static std::int64_t wall_ms();


  boost::asio::io_context& io_;
  const config::station_config& cfg_;
  const keyring& keys_;
  const config::agreement& agreement_;  // the latest version: keys aside, every version is alike
  storage::store& store_;
  wire::hash256 followed_{};  // the agreement version in effect, as last followed
  net::tls_settings tls_;     // the TLS key presented and the pins accepted, as last set
  core::engine_config engine_cfg_;
  std::unique_ptr<core::engine> engine_;
  std::uint64_t engine_generation_ = 0;
  std::unique_ptr<net::peer_transport> transport_;
  std::map<core::conn_id, std::shared_ptr<net::peer_connection>> conns_;
  storage::group_commit commits_;
  std::map<std::uint64_t, post_callback> post_callbacks_;  // persist token -> waiting post
  const forms::catalog* catalog_ = nullptr;
  // On the store's connection; null when the store is not SQLite (no translations kept).
  std::unique_ptr<storage::translations> translations_;
  core::watch watch_;
  // Per channel: this station's last link test and the last one answered, as status() shows
  // them. Read from the store once at start and kept up to date by every commit, so that a
  // status call or event asks the store nothing.
  struct link_test_view {
    std::optional<std::int64_t> sent_at_ms;
    std::optional<std::int64_t> answered_at_ms;
    std::string answered_by;
  };
  std::map<std::string, link_test_view> link_tests_;
  void note_link_test(const storage::stored_message& m);
  boost::asio::steady_timer watch_timer_;
  std::map<std::uint64_t, event_callback> subscribers_;
  std::uint64_t next_subscriber_ = 1;
  boost::asio::steady_timer timer_;
  bool flush_scheduled_ = false;
  // Armed while only actions that may wait are queued (group_commit::urgent()).
  boost::asio::steady_timer commit_wait_timer_;
  bool commit_waiting_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  std::int64_t started_at_ms_ = 0;
  std::map<std::pair<std::string, std::string>, std::string> last_dial_error_;
  core::rate_gate hook_gate_{limits::hooks_per_minute_max, limits::minute_us};
  std::map<std::string, core::rate_gate> alarm_gates_;  // by channel
  // Received messages whose acknowledgement is posted but not yet committed.
  std::set<std::string> acks_in_flight_;
  // Posts made with an Idempotency-Key, by message id, until their commit answers.
  std::set<std::string> keyed_in_flight_;
  // This station's own answers recovered from the peer after a restore, by the id of the message
  // they answer, until that message is received again (restore_answer()).
  std::map<std::string, records::acknowledged> recovered_answers_;
  std::uint64_t handler_failures_ = 0;  // handlers that threw and were recovered from
  station_counters counters_;
  // True while a journal verification runs on verify_pool_; shared with its completion, which
  // may run after the runtime is gone.
  std::shared_ptr<bool> verifying_ = std::make_shared<bool>(false);
  // Last, so it is destroyed first: a verification under way finishes before the rest goes.
  boost::asio::thread_pool verify_pool_{1};
};

}  // namespace hotline::station

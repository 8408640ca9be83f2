// Station world: one real station (station::runtime with its real SQLite store, real TLS peer
// listener and the form catalog) running on its own I/O thread, and the files of its
// counterpart (keys, certificate), so that a test can act as that counterpart.
//
// The agreement names two stations, `rok` (the station under test) and `ru` (the counterpart,
// played by the test), on two hotlines, `navy` and `air`. Station `ru` has an address no one
// listens on, so the station's own dials fail quietly and every link is one the test opens.
//
// Everything that touches the runtime or its store runs on the I/O thread (`on_io`), as in the
// station. Not thread-safe otherwise; one world per test.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "config/agreement.hpp"
#include "config/keys.hpp"
#include "config/station_config.hpp"
#include "forms/catalog.hpp"
#include "station/runtime.hpp"
#include "station/station_store.hpp"
#include "storage/journal.hpp"

namespace hotline::test {

inline constexpr const char* station_rok = "rok";
inline constexpr const char* station_ru = "ru";

inline std::filesystem::path repo_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

// A port nobody listens on now (bound, then released): for the counterpart's address.
inline std::uint16_t unused_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class station_world {
 public:
  station_world() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("hotline-world-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_ / station_rok);
    std::filesystem::create_directories(dir_ / station_ru);
  }
  ~station_world() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  station_world(const station_world&) = delete;
  station_world& operator=(const station_world&) = delete;

  // Makes keys, writes the agreement and the station's config, and starts the station.
  void start() {
    auto rok_tls = config::generate_tls_identity(dir_ / station_rok, station_rok);
    auto ru_tls = config::generate_tls_identity(dir_ / station_ru, station_ru);
    auto rok_key = config::generate_signing_key(dir_ / station_rok);
    auto ru_key = config::generate_signing_key(dir_ / station_ru);
    ASSERT_TRUE(rok_tls) << rok_tls.error().message;
    ASSERT_TRUE(ru_tls) << ru_tls.error().message;
    ASSERT_TRUE(rok_key) << rok_key.error().message;
    ASSERT_TRUE(ru_key) << ru_key.error().message;
    rok_fingerprint_ = rok_tls->fingerprint;
    ru_key_ = *ru_key;
    write(dir_ / "agreement.toml", agreement_text(*rok_tls, *ru_tls, *rok_key, *ru_key));
    write(dir_ / station_rok / "station.toml",
          "station = \"rok\"\nagreement = \"../agreement.toml\"\ndata_dir = \".\"\n"
          "[tls]\ncertificate = \"tls.crt\"\nprivate_key = \"tls.key\"\n"
          "[journal]\nsigning_key = \"signing.key\"\n"
          "[listen]\napi = \"127.0.0.1:" + std::to_string(unused_port()) + "\"\n"
          "[forms]\ncatalog = \"" +
              (repo_dir() / "catalog").string() + "\"\n[log]\nlevel = \"warn\"\n");
    auto cfg = config::load_station_config(dir_ / station_rok / "station.toml");
    ASSERT_TRUE(cfg) << cfg.error().message;
    cfg_ = std::move(*cfg);
    auto agreement = config::load_agreement_for(cfg_);
    ASSERT_TRUE(agreement) << agreement.error().message;
    agreement_ = std::move(*agreement);
    auto catalog = forms::catalog::load(cfg_.catalog_dir);
    ASSERT_TRUE(catalog) << catalog.error().message;
    catalog_ = std::move(*catalog);
    auto opened = station::open_station_store(cfg_);
    ASSERT_TRUE(opened) << opened.error().message;
    opened_.emplace(std::move(*opened));
    auto rt = station::runtime::create(io_, cfg_, *opened_->keys, *opened_->store, &*catalog_);
    ASSERT_TRUE(rt) << rt.error().message;
    runtime_ = std::move(*rt);
    runtime_->start();
    work_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop() {
    if (!thread_.joinable()) return;
    on_io([this] {
      runtime_->stop();
      return 0;
    });
    work_.reset();
    io_.stop();
    thread_.join();
    runtime_.reset();
  }

  // Runs `f` on the station's I/O thread and returns what it returns.
  template <class F>
  auto on_io(F f) -> decltype(f()) {
    std::promise<decltype(f())> done;
    boost::asio::post(io_, [&] { done.set_value(f()); });
    return done.get_future().get();
  }

  // Posts free text on `channel` as a duty officer would; the message once it is stored.
  result<storage::stored_message> post(const std::string& channel, const std::string& text) {
    std::promise<result<storage::stored_message>> done;
    boost::asio::post(io_, [&] {
      runtime_->post({channel, precedence::routine, std::string(form_free_text), text, "en"},
                     [&done](result<storage::stored_message> r) { done.set_value(std::move(r)); });
    });
    return done.get_future().get();
  }

  // Posts as the API would, with whatever the request carries (a label, a key).
  result<storage::stored_message> post_request(station::post_request req) {
    std::promise<result<storage::stored_message>> done;
    boost::asio::post(io_, [&] {
      runtime_->post(std::move(req),
                     [&done](result<storage::stored_message> r) { done.set_value(std::move(r)); });
    });
    return done.get_future().get();
  }

  // Posts free text with an Idempotency-Key, as token `token` would through the API.
  result<storage::stored_message> post_keyed(const std::string& channel, const std::string& text,
                                             const std::string& token, const std::string& key) {
    std::promise<result<storage::stored_message>> done;
    boost::asio::post(io_, [&] {
      station::post_request req{channel, precedence::routine, std::string(form_free_text), text, "en"};
      req.idempotency_key = key;
      req.principal = "token:" + token;
      runtime_->post(std::move(req),
                     [&done](result<storage::stored_message> r) { done.set_value(std::move(r)); });
    });
    return done.get_future().get();
  }

  // Acknowledges a received message as duty officer `by` would from the console.
  result<storage::stored_message> acknowledge(const std::string& id, const std::string& by) {
    std::promise<result<storage::stored_message>> done;
    boost::asio::post(io_, [&] {
      runtime_->acknowledge({id, by, {}}, [&done](result<storage::stored_message> r) {
        done.set_value(std::move(r));
      });
    });
    return done.get_future().get();
  }

  std::optional<storage::stored_message> get(const std::string& id) {
    return on_io([&] {
      auto found = runtime_->get(id);
      return found ? *found : std::nullopt;
    });
  }

  std::vector<storage::stored_message> inbox() { return box(storage::box::in); }
  std::vector<storage::stored_message> outbox() { return box(storage::box::out); }
  std::vector<storage::stored_message> box(storage::box direction) {
    return on_io([&] {
      storage::list_query q;
      q.direction = direction;
      q.limit = 1000;
      auto found = runtime_->list(q);
      return found ? *found : std::vector<storage::stored_message>{};
    });
  }

  // Polls `pred` until it holds or `timeout` passes; whether it held. Commits follow the frames
  // that cause them, so a test waits for what it checks rather than guessing how long.
  template <class P>
  static bool eventually(P pred, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // Waits for a journal entry of `kind` whose detail contains `text`.
  bool journaled_eventually(const std::string& kind, const std::string& text) {
    return eventually([&] { return journaled(kind, text) > 0; });
  }

  // Waits for message `id` to be stored and returns it; a test failure if it never is.
  storage::stored_message stored(const std::string& id) {
    std::optional<storage::stored_message> found;
    if (!eventually([&] { return (found = get(id)).has_value(); })) {
      ADD_FAILURE() << "message " << id << " was never stored";
      return {};
    }
    return *found;
  }

  // Journal entries of `kind` whose detail contains `text`.
  std::size_t journaled(const std::string& kind, const std::string& text) {
    return on_io([&] {
      storage::journal_query q;
      q.kind = kind;
      q.limit = 1000;
      auto entries = runtime_->journal(q);
      std::size_t n = 0;
      if (entries) {
        for (const auto& e : *entries) n += e.detail.find(text) != std::string::npos;
      }
      return n;
    });
  }

  // The runtime itself, for calls a helper above does not cover; only from inside on_io.
  station::runtime& runtime() { return *runtime_; }

  std::uint64_t handler_failures() {
    return on_io([&] { return runtime_->handler_failures(); });
  }
  std::uint16_t peer_port() { return runtime_->peer_ports().at(0); }
  const std::filesystem::path& dir() const { return dir_; }
  const config::agreement& agreement() const { return agreement_; }
  const std::string& rok_fingerprint() const { return rok_fingerprint_; }

  // Set before start(): the agreement then defines handling labels (labels_text).
  bool labelled = false;
  static constexpr const char* labels_text = R"(
[[labels.schemes]]
id = "rok"
stations = ["rok"]
ceiling = "rok-restricted"
default = "rok-unclassified"
markings = [
  { id = "rok-unclassified", names = { en = "Unclassified" } },
  { id = "rok-restricted", names = { en = "Restricted" } },
  { id = "rok-secret", names = { en = "Secret" } },
]
[[labels.schemes]]
id = "ru"
stations = ["ru"]
ceiling = "ru-dsp"
default = "ru-unclassified"
markings = [
  { id = "ru-unclassified", names = { en = "Unclassified" } },
  { id = "ru-dsp", names = { en = "For official use" } },
  { id = "ru-secret", names = { en = "Secret" } },
]
[[labels.equivalences]]
markings = ["rok-unclassified", "ru-unclassified"]
[[labels.equivalences]]
markings = ["rok-restricted", "ru-dsp"]
[[labels.caveats]]
id = "embargo"
kind = "embargo"
names = { en = "Not for release before" }
[[labels.caveats]]
id = "no-forward"
kind = "no-forward"
names = { en = "No forwarding" }
)";
  const signing::secret_key& ru_key() const { return ru_key_; }

 private:
  static void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
  }

  std::string agreement_text(const config::tls_identity& rok_tls, const config::tls_identity& ru_tls,
                             const signing::secret_key& rok_key, const signing::secret_key& ru_key) {
    rok_port_ = unused_port();
    const std::uint16_t ru_port = unused_port();
    std::string t =
        "[agreement]\nid = \"hostile-test\"\ntitle = \"test\"\nversion = 1\n"
        "[link]\nheartbeat_interval_ms = 250\nheartbeat_misses_max = 20\n"
        "[deadlines]\nflash_minutes = 10\nimmediate_minutes = 30\npriority_minutes = 180\n"
        "routine_minutes = 360\nurgent_words_max = 200\n"
        "[forms]\ncatalog = \"hotline-forms\"\n";
    const auto station = [&](const char* id, const config::tls_identity& tls,
                             const signing::secret_key& key, std::uint16_t port) {
      t += "[[stations]]\nid = \"" + std::string(id) + "\"\nname = \"" + id +
           "\"\nlanguage = \"en\"\ntimezone = \"UTC\"\ntls_fingerprint = \"" + tls.fingerprint +
           "\"\nsigning_key = \"" + signing::encode_public_key(key.public_half()) +
           "\"\n[stations.addresses]\nprimary = \"127.0.0.1:" + std::to_string(port) + "\"\n";
    };
    station(station_rok, rok_tls, rok_key, rok_port_);
    station(station_ru, ru_tls, ru_key, ru_port);
    for (const char* channel : {"navy", "air"}) {
      t += "[[channels]]\nid = \"" + std::string(channel) +
           "\"\ntitle = \"t\"\nstations = [\"rok\", \"ru\"]\npaths = [\"primary\"]\n";
    }
    if (labelled) t += labels_text;
    return t;
  }

  std::filesystem::path dir_;
  std::uint16_t rok_port_ = 0;
  std::string rok_fingerprint_;
  signing::secret_key ru_key_;
  config::station_config cfg_;
  config::agreement agreement_;
  std::optional<forms::catalog> catalog_;
  std::optional<station::opened_store> opened_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<station::runtime> runtime_;
  std::thread thread_;
};

}  // namespace hotline::test
